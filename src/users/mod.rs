//! Accounts (SPEC 1.5): bureau staff and enterprise accounts, managed by admins.

pub mod accounts;
pub mod domain;
pub mod handlers;
pub mod store;
