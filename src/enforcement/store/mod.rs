//! The enforcement records in the database, a file per record: inspections, hazards, penalties
//! and orders. Every function takes the connection first so a use case composes them inside
//! one transaction.

pub mod hazards;
pub mod inspections;
pub mod orders;
pub mod penalties;

pub(crate) use crate::campaigns::store::insert_many;
pub use hazards::*;
pub use inspections::*;
pub use orders::*;
pub use penalties::*;
