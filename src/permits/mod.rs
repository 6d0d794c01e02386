//! Permits — 三零e办 (SPEC 2): permit types and their forms, applications decided instantly by
//! fixed rules or by a reviewer, and signed electronic certificates anyone can verify.
//!
//! The pure rooms (no I/O):
//! - `domain`: the permit types, form validation, the application state machine.
//! - `cas`: CAS registry numbers and their check digit.
//! - `rules`: the thirteen rules over a plain [`rules::RuleInputs`], and how far back they look
//!   ([`rules::Lookback`]).
//! - `certificates`: numbers, validity, verification codes, the signed payload.
//!
//! The use cases, each one function run inside the caller's one transaction, answering a view
//! or a [`PermitError`] (`error`):
//! - `lifecycle`: an application's writes (create, the instant decision's `open` and `file`,
//!   edit the form, submit, withdraw), shared by the handlers and the demo seed.
//! - `review`: a reviewer's decision.
//! - `register`: the certificate an approval issues, revocation, the certificate reads and the
//!   public verification.
//! - `applications`: the application reads (one, the list).
//! - `types`: the permit types as the process last read them (`TypeCache`, at most a second
//!   old, its own app data), the list and the admin's change.
//! - `figures`: the permit figures.
//!
//! And: `context` (the aggregates' names and who acts when, shared by the use cases), `views` (what the routes answer), `store` (diesel, a file per sub-resource, including
//! the functions that gather the rule inputs), `handlers` (the HTTP routes, a file per
//! sub-resource), `seed` (demo applications and certificates).

pub mod applications;
pub mod cas;
pub mod certificates;
pub mod context;
pub mod domain;
pub mod error;
pub mod figures;
pub mod handlers;
pub mod lifecycle;
pub mod register;
pub mod review;
pub mod rules;
pub mod seed;
pub mod store;
pub mod types;
pub mod views;

pub use error::PermitError;
