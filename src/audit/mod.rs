//! The tamper-evident audit trail (SPEC 1.7).
//!
//! Every state change appends an event in the same transaction as the change. Events form one
//! hash chain per aggregate: `hash = sha256(prev_hash ‖ canonical JSON of the event's other
//! fields)`, `prev_hash` the hash of the aggregate's previous event (64 zeros for the first).
//! Per-aggregate chains keep unrelated writes from queueing behind one global lock. The row id
//! is assigned by the database and is not part of the hash.

pub mod handlers;
pub mod store;

use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

pub use crate::actor::Actor;
use crate::canonical::SortedValue;
pub use crate::canonical::canonical_json;

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields an event's hash covers.
#[derive(Debug, Clone)]
pub struct EventFields<'a> {
    pub aggregate_type: &'a str,
    pub aggregate_id: &'a str,
    pub seq: i32,
    pub action: &'a str,
    pub actor_user_id: Option<i64>,
    pub actor_role: &'a str,
    pub payload: &'a Value,
    pub at: NaiveDateTime,
}

impl<'a> EventFields<'a> {
    /// The fields of an event `actor` records.
    pub fn by(
        actor: &Actor,
        aggregate_type: &'a str,
        aggregate_id: &'a str,
        seq: i32,
        action: &'a str,
        payload: &'a Value,
        at: NaiveDateTime,
    ) -> Self {
        Self {
            aggregate_type,
            aggregate_id,
            seq,
            action,
            actor_user_id: actor.user_id.map(|id| id.0),
            actor_role: actor.role,
            payload,
            at,
        }
    }
}

#[expect(
    clippy::expect_used,
    reason = "serde_json fails only on a map key that is not a string or a failing Serialize; these fields have neither"
)]
pub fn event_hash(prev_hash: &str, fields: &EventFields<'_>) -> String {
    /// The event as its hash covers it: the fields in the order of their names, which makes
    /// this the event's canonical JSON, written without copying the payload.
    #[derive(Serialize)]
    struct Hashed<'a> {
        action: &'a str,
        actor_role: &'a str,
        actor_user_id: Option<i64>,
        aggregate_id: &'a str,
        aggregate_type: &'a str,
        at: String,
        payload: SortedValue<'a>,
        seq: i32,
    }
    let body = serde_json::to_string(&Hashed {
        action: fields.action,
        actor_role: fields.actor_role,
        actor_user_id: fields.actor_user_id,
        aggregate_id: fields.aggregate_id,
        aggregate_type: fields.aggregate_type,
        at: crate::clock::rfc3339(fields.at),
        payload: SortedValue(fields.payload),
        seq: fields.seq,
    })
    .expect("an event always serializes");
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(body.as_bytes());
    hex::encode(hasher.finalize())
}

/// One line of a record's history as its readers see it (never an identity).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimelineEntry {
    pub seq: i32,
    pub action: String,
    pub actor_role: String,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub at: NaiveDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(payload: &Value) -> EventFields<'_> {
        EventFields {
            aggregate_type: "enterprise",
            aggregate_id: "7",
            seq: 1,
            action: "created",
            actor_user_id: Some(1),
            actor_role: "admin",
            payload,
            at: chrono::DateTime::from_timestamp(1_800_000_000, 0)
                .unwrap()
                .naive_utc(),
        }
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let v = json!({"b": 1, "a": {"d": [ {"z": 1, "y": 2} ], "c": null}});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}"#
        );
    }

    /// The hash is SHA-256 over the previous hash and the event's canonical JSON, which any
    /// other implementation can compute: the expected values were computed with Python's
    /// `json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`, which
    /// writes these values (nested keys, `null`, escapes, a fraction, a negative number) as
    /// serde_json does. Stored chains verify only while this holds.
    #[test]
    fn the_hash_is_sha256_of_the_previous_hash_and_the_canonical_json() {
        let payload = json!({"name": "青岛港", "list": [{"z": 1, "y": null}]});
        assert_eq!(
            event_hash(GENESIS, &fields(&payload)),
            "1d0ae9a09d1bc8edc66f62b86e64d0cbd5c3857f2241ead43d2f1ed228495293"
        );
        let payload = json!({"note": "引号\"\\\n\t\u{1}", "area": 86.5, "delta": -3});
        let mut system = fields(&payload);
        system.actor_user_id = None;
        assert_eq!(
            event_hash(GENESIS, &system),
            "a211f41c331ddb9db26dc6bef3f2980818bccaf7173f4bf6f9632def6a5d7cc6"
        );
    }

    #[test]
    fn the_hash_covers_every_field_and_the_previous_hash() {
        let payload = json!({"name": "青岛港"});
        let base = event_hash(GENESIS, &fields(&payload));
        assert_eq!(base.len(), 64);
        assert_eq!(
            base,
            event_hash(GENESIS, &fields(&payload)),
            "deterministic"
        );
        assert_ne!(base, event_hash(&"1".repeat(64), &fields(&payload)));
        let other = json!({"name": "青岛港 "});
        assert_ne!(base, event_hash(GENESIS, &fields(&other)));
        let mut f = fields(&payload);
        f.seq = 2;
        assert_ne!(base, event_hash(GENESIS, &f));
        let mut f = fields(&payload);
        f.actor_role = "inspector";
        assert_ne!(base, event_hash(GENESIS, &f));
        let mut f = fields(&payload);
        f.at += chrono::Duration::microseconds(1);
        assert_ne!(base, event_hash(GENESIS, &f));
    }
}
