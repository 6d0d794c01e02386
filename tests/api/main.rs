//! The integration suite: one binary, a module per capability, every test on its own fresh
//! database. Set `TEST_DATABASE_URL=postgres://…` to run the same tests on PostgreSQL.
// Test code: a panic is a failed test, and row tuples spell out the columns they check.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::type_complexity)]

mod audit;
mod auth;
mod binary;
mod campaigns;
mod conventions;
mod enterprises;
mod helpers;
mod negative_lists;
mod openapi;
mod permits;
mod portal;
mod portal_enterprise;
mod portal_public;
mod portal_staff;
mod races;
mod reports;
mod retention;
mod schema;
mod text;
mod totp;
mod users;
