//! Reference data (SPEC 1.6): districts and industries, seeded by migration with Qingdao's
//! defaults, readable by anyone signed in and editable by admins.

pub mod codes;
pub mod handlers;
pub mod store;
