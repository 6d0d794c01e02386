//! Whistleblower reports and rewards (SPEC 5): anonymous filing with a receipt, protected
//! identities, handling, rule-based rewards, the reward-situation catalogue and the figures.
//!
//! `domain.rs` holds the pure rules (the state machines, the reward calculation), `store/`
//! the database, `usecases/` one function per use case, `handlers/` the JSON routes.

pub mod crypto;
pub mod domain;
pub mod gate;
pub mod handlers;
pub mod seed;
pub mod store;
pub mod usecases;
