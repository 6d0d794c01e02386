//! Canonical JSON: object keys sorted at every level, no insignificant white space. The audit
//! trail hashes it (`audit`), so it must never change for a value that has been hashed.

use serde::Serialize;
use serde_json::Value;

/// JSON with object keys sorted at every level and no insignificant white space.
#[expect(
    clippy::expect_used,
    reason = "serde_json fails only on a map key that is not a string or a failing Serialize; a Value has neither"
)]
pub fn canonical_json(value: &Value) -> String {
    serde_json::to_string(&SortedValue(value)).expect("a JSON value always serializes")
}

/// A `Value` written as [`canonical_json`] writes it, borrowed rather than copied. serde_json's
/// default map keeps its keys sorted already; sorting the entries again keeps the output
/// canonical if a dependency ever turns on insertion order.
pub struct SortedValue<'a>(pub &'a Value);

impl Serialize for SortedValue<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self.0 {
            Value::Object(map) => {
                let mut entries: Vec<_> = map.iter().collect();
                entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
                let mut out = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    out.serialize_entry(key, &SortedValue(value))?;
                }
                out.end()
            }
            Value::Array(items) => serializer.collect_seq(items.iter().map(SortedValue)),
            other => other.serialize(serializer),
        }
    }
}
