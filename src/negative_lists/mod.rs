//! Violation-behaviour negative lists (SPEC 3, 员工违规行为负面清单): industry templates,
//! versioned enterprise lists, violation records with repeat and escalation flags, and the
//! year-on-year figures.

pub mod domain;
pub mod handlers;
pub mod resident_id;
pub mod seed;
pub mod store;
