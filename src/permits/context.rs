//! What every permit use case shares: the audit trail's names for the two aggregates, and who
//! acts when ([`Ctx`]). A leaf of the permits rooms, so that the use-case files
//! (`lifecycle`, `review`, `register`, `applications`) can all name it without naming each other.

use chrono::{NaiveDate, NaiveDateTime};
use ed25519_dalek::SigningKey;

use crate::audit::Actor;

pub const APPLICATION: &str = "application";
pub const CERTIFICATE: &str = "certificate";

/// Who acts, and when.
pub struct Ctx<'a> {
    pub actor: &'a Actor,
    pub now: NaiveDateTime,
    /// The city's local date.
    pub today: NaiveDate,
    pub signing_key: &'a SigningKey,
}

impl<'a> Ctx<'a> {
    /// The same moment, acted by the system (the rules deciding, a certificate they issue).
    pub(crate) fn as_system(&self) -> Ctx<'a> {
        Ctx {
            actor: &Actor::SYSTEM,
            ..*self
        }
    }
}
