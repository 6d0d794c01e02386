//! Violation-behaviour negative lists (SPEC 3, 员工违规行为负面清单): industry templates,
//! versioned enterprise lists, violation records with repeat and escalation flags, and the
//! year-on-year figures.
//!
//! The rooms: [`domain`] (the pure rules), [`store`] (diesel, a file per table family),
//! [`usecases`] (one function per use case, with its audit events and a
//! [`usecases::NegativeListError`]), [`handlers`] (the JSON API), [`seed`] (demo data).

pub mod domain;
pub mod handlers;
pub mod resident_id;
pub mod seed;
pub mod store;
pub mod usecases;
