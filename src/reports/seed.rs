//! Seed data for reports and rewards.
