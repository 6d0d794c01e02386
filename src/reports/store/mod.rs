//! Reports, messages, reward rules, reward situations and rewards in the database. Every
//! function takes `conn` first so that a use case composes them inside one transaction. One
//! file per sub-resource; a state change is one compare-and-set (`transition_report`,
//! `transition_reward`) that the use case finishes with `db::transition::settle`.

mod figures;
mod reports;
mod retention;
mod rewards;
mod situations;

pub use figures::*;
pub use reports::*;
pub use retention::*;
pub use rewards::*;
pub use situations::*;
