//! Permits — 三零e办 (SPEC 2): permit types and their forms, applications decided instantly by
//! fixed rules or by a reviewer, and signed electronic certificates anyone can verify.
//!
//! - `domain`: the permit types, form validation, the application state machine (pure).
//! - `cas`: CAS registry numbers and their check digit (pure).
//! - `rules`: the thirteen rules over a plain [`rules::RuleInputs`] (pure).
//! - `certificates`: numbers, validity, verification codes, the signed payload (pure).
//! - `store`: diesel, including the one function that gathers the rule inputs.
//! - `types`: the permit types as the process last read them (at most a second old).
//! - `lifecycle`: the use cases (create, submit, decide, withdraw, issue, revoke), each run
//!   inside the caller's one transaction, shared by the handlers and the demo seed.
//! - `handlers`: the HTTP routes.
//! - `seed`: demo applications and certificates.

pub mod cas;
pub mod certificates;
pub mod domain;
pub mod handlers;
pub mod lifecycle;
pub mod rules;
pub mod seed;
pub mod store;
pub mod types;
