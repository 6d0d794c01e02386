//! Enterprises (SPEC 1.6): the regulated production units, their credit codes, and bulk import.

pub mod credit_code;
pub mod domain;
pub mod handlers;
pub mod registry;
pub mod store;
