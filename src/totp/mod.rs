//! Two-factor sign-in (TOTP, RFC 6238; SPEC 1.5): enrolment, confirmation with recovery codes,
//! disabling, an admin's reset, and the second step of a sign-in.

pub mod domain;
pub mod handlers;
pub mod store;
pub mod usecases;
