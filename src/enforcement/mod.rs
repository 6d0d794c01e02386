//! The enforcement records of SPEC 4: inspections, the hazards they find (and those an
//! enterprise reports itself) with their rectification and verification, administrative
//! penalties, and suspension orders with the lift-order gate. They belong to a campaign and a
//! group when there is one (`crate::campaigns`), and the figures count them there.

pub mod domain;
pub mod handlers;
pub mod store;
pub mod usecases;
