//! Whistleblower reports and rewards (SPEC 5): anonymous filing with a receipt, protected
//! identities, handling, rule-based rewards, the reward-situation catalogue and the figures.

pub mod crypto;
pub mod domain;
pub mod handlers;
pub mod seed;
pub mod store;
