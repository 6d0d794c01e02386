//! Permit types, their forms, and the application state machine — plain data and pure
//! functions, no I/O.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::text_enum;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::cas::CasNumber;
use crate::validate::Validator;

text_enum! {
    /// How an application of a type is decided.
    PermitMode {
        InstantApproval => "instant_approval",
        InstantFiling => "instant_filing",
        Review => "review",
    }
}

text_enum! {
    /// What an approval of a type does.
    PermitKind {
        Licence => "licence",
        Renewal => "renewal",
        Change => "change",
        Reissue => "reissue",
        Filing => "filing",
    }
}

text_enum! {
    ApplicationStatus {
        Draft => "draft",
        Approved => "approved",
        Rejected => "rejected",
        Filed => "filed",
        UnderReview => "under_review",
        Withdrawn => "withdrawn",
    }
}

text_enum! {
    /// `expired` is derived from `valid_until`; the database stores the other three.
    CertificateStatus {
        Active => "active",
        Superseded => "superseded",
        Revoked => "revoked",
        Expired => "expired",
    }
}

impl PermitKind {
    /// Renewals, changes and reissues continue an existing licence.
    pub fn continues_licence(self) -> bool {
        matches!(self, Self::Renewal | Self::Change | Self::Reissue)
    }

    pub fn issues_certificate(self) -> bool {
        self != Self::Filing
    }
}

/// The type of a form field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    Integer,
    Decimal,
    Date,
    Bool,
    Enum,
    List,
}

/// Special text formats a client can check locally too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TextFormat {
    /// A CAS registry number with its check digit (`7732-18-5`).
    CasNo,
    /// A certificate number `QD-<PREFIX>-<YEAR>-<6 digits>`.
    CertificateNo,
}

/// Constraints of a field; only those that apply to its type are set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Constraints {
    /// text: length in characters after trimming.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<TextFormat>,
    /// integer, decimal: strictly greater than.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gt: Option<f64>,
    /// integer, decimal: at least.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// integer, decimal: at most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// enum (and a list of enums): the allowed codes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
    /// date: must be after the date in this other field of the same form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_field: Option<String>,
    /// list: number of items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_items: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_items: Option<usize>,
    /// list of objects: the fields of each item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(no_recursion)]
    pub item_fields: Option<Vec<FieldDef>>,
    /// list of scalars: the type of each item (checked against `values` for enums).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_type: Option<FieldType>,
}

/// One field of a permit type's form: enough for a client to render and check it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    pub key: String,
    pub label: String,
    #[serde(rename = "type")]
    pub kind: FieldType,
    pub required: bool,
    #[serde(default)]
    pub constraints: Constraints,
}

/// A permit type as the rules and handlers use it.
#[derive(Debug, Clone, PartialEq)]
pub struct PermitType {
    pub code: String,
    pub name: String,
    pub mode: PermitMode,
    pub kind: PermitKind,
    pub validity_months: Option<u32>,
    pub statutory_days: u32,
    pub industries: Vec<String>,
    pub fields: Vec<FieldDef>,
    pub applies_to: Vec<String>,
    pub certificate_prefix: Option<String>,
    pub active: bool,
}

impl PermitType {
    pub fn has_field(&self, key: &str) -> bool {
        self.fields.iter().any(|f| f.key == key)
    }

    /// Whether the rules may approve an application of this type as it is submitted, and so
    /// issue its certificate in the same transaction.
    pub fn issues_on_submit(&self) -> bool {
        self.mode == PermitMode::InstantApproval && self.kind.issues_certificate()
    }

    /// The licence types whose certificates this type concerns: itself for a new licence, the
    /// continued licences for a renewal, change or reissue.
    pub fn licence_types(&self) -> Vec<String> {
        if self.kind.continues_licence() {
            self.applies_to.clone()
        } else {
            vec![self.code.clone()]
        }
    }
}

/// `QD-<PREFIX>-<YEAR>-<6 digits>`, the PREFIX 2 to 6 capital letters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CertificateNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must look like QD-WHJY-2026-000123")]
pub struct CertificateNumberError;

impl CertificateNumber {
    pub fn parse(raw: &str) -> Result<Self, CertificateNumberError> {
        let text = raw.trim();
        let parts: Vec<&str> = text.split('-').collect();
        let ok = match parts.as_slice() {
            ["QD", prefix, year, serial] => {
                (2..=6).contains(&prefix.len())
                    && prefix.bytes().all(|b| b.is_ascii_uppercase())
                    && year.len() == 4
                    && year.bytes().all(|b| b.is_ascii_digit())
                    && serial.len() == 6
                    && serial.bytes().all(|b| b.is_ascii_digit())
            }
            _ => false,
        };
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(CertificateNumberError)
        }
    }

    pub fn format(prefix: &str, year: i32, serial: i64) -> String {
        format!("QD-{prefix}-{year:04}-{serial:06}")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a form against its type's fields. Every present value must be valid and no unknown
/// key may appear; with `complete`, every required field must be present too. `null` counts as
/// absent. Errors are recorded under `form.<key>` (`form.chemicals[1].cas_no`). Returns the
/// form with text trimmed.
pub fn validate_form(
    fields: &[FieldDef],
    form: &Value,
    complete: bool,
    v: &mut Validator,
) -> Value {
    let Some(object) = form.as_object() else {
        v.add("form", "invalid_type", "must be an object");
        return Value::Object(Map::new());
    };
    validate_object(fields, object, "form", complete, v)
}

fn validate_object(
    fields: &[FieldDef],
    object: &Map<String, Value>,
    path: &str,
    complete: bool,
    v: &mut Validator,
) -> Value {
    let mut out = Map::new();
    for key in object.keys() {
        if !fields.iter().any(|f| &f.key == key) {
            v.add(
                format!("{path}.{key}"),
                "unknown_field",
                "is not a field of this form",
            );
        }
    }
    for field in fields {
        let here = format!("{path}.{}", field.key);
        match object.get(&field.key) {
            None | Some(Value::Null) => {
                if complete && field.required {
                    v.add(here, "required", "is required");
                }
            }
            Some(value) => {
                if let Some(clean) =
                    validate_value(field.kind, &field.constraints, value, &here, complete, v)
                {
                    out.insert(field.key.clone(), clean);
                }
            }
        }
    }
    // Cross-field: dates that must follow another date.
    for field in fields {
        if let (Some(other), Some(Value::String(this))) =
            (&field.constraints.after_field, out.get(&field.key))
            && let Some(Value::String(before)) = out.get(other)
            && let (Ok(a), Ok(b)) = (parse_date(this), parse_date(before))
            && a <= b
        {
            v.add(
                format!("{path}.{}", field.key),
                "out_of_range",
                format!("must be after {other}"),
            );
        }
    }
    Value::Object(out)
}

fn parse_date(s: &str) -> Result<NaiveDate, chrono::ParseError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
}

/// One present value. `complete` (a submission) also requires a list's minimum of items and
/// each item's required fields; a draft's may still be missing.
fn validate_value(
    kind: FieldType,
    c: &Constraints,
    value: &Value,
    path: &str,
    complete: bool,
    v: &mut Validator,
) -> Option<Value> {
    let type_error = |v: &mut Validator, what: &str| {
        v.add(path, "invalid_type", format!("must be {what}"));
        None
    };
    match kind {
        FieldType::Text => {
            let Some(s) = value.as_str() else {
                return type_error(v, "a string");
            };
            let trimmed = s.trim();
            let len = trimmed.chars().count();
            let min = c.min_length.unwrap_or(1);
            let max = c.max_length.unwrap_or(1000);
            if len < min || len > max {
                v.add(
                    path,
                    "invalid_length",
                    format!("must be {min} to {max} characters"),
                );
                return None;
            }
            match c.format {
                Some(TextFormat::CasNo) => {
                    v.check(path, "invalid", CasNumber::parse(trimmed))?;
                }
                Some(TextFormat::CertificateNo) => {
                    v.check(path, "invalid", CertificateNumber::parse(trimmed))?;
                }
                None => {}
            }
            Some(Value::String(trimmed.to_owned()))
        }
        FieldType::Integer | FieldType::Decimal => {
            let number = if kind == FieldType::Integer {
                match value.as_i64() {
                    Some(n) => n as f64,
                    None => return type_error(v, "a whole number"),
                }
            } else {
                match value.as_f64() {
                    Some(n) => n,
                    None => return type_error(v, "a number"),
                }
            };
            let mut bad = Vec::new();
            if let Some(gt) = c.gt.filter(|gt| number <= *gt) {
                bad.push(format!("greater than {gt}"));
            }
            if let Some(min) = c.min.filter(|m| number < *m) {
                bad.push(format!("at least {min}"));
            }
            if let Some(max) = c.max.filter(|m| number > *m) {
                bad.push(format!("at most {max}"));
            }
            if !bad.is_empty() {
                v.add(
                    path,
                    "out_of_range",
                    format!("must be {}", bad.join(" and ")),
                );
                return None;
            }
            Some(value.clone())
        }
        FieldType::Date => {
            let Some(s) = value.as_str() else {
                return type_error(v, "a date YYYY-MM-DD");
            };
            match parse_date(s.trim()) {
                Ok(d) => Some(Value::String(d.format("%Y-%m-%d").to_string())),
                Err(_) => type_error(v, "a date YYYY-MM-DD"),
            }
        }
        FieldType::Bool => match value {
            Value::Bool(_) => Some(value.clone()),
            _ => type_error(v, "true or false"),
        },
        FieldType::Enum => {
            let Some(s) = value.as_str() else {
                return type_error(v, "a string");
            };
            let values = c.values.as_deref().unwrap_or_default();
            if values.iter().any(|allowed| allowed == s) {
                Some(value.clone())
            } else {
                v.add(
                    path,
                    "invalid_value",
                    format!("must be one of {}", values.join(", ")),
                );
                None
            }
        }
        FieldType::List => {
            let Some(items) = value.as_array() else {
                return type_error(v, "a list");
            };
            // A draft may hold fewer items than a submission needs, never more.
            let min = if complete {
                c.min_items.unwrap_or(0)
            } else {
                0
            };
            let max = c.max_items.unwrap_or(1000);
            if items.len() < min || items.len() > max {
                v.add(
                    path,
                    "invalid_length",
                    format!("must hold {min} to {max} items"),
                );
                return None;
            }
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let here = format!("{path}[{i}]");
                if let Some(item_fields) = &c.item_fields {
                    match item.as_object() {
                        // A draft's items may be half entered, like the draft itself;
                        // what they hold must be valid.
                        Some(obj) => {
                            out.push(validate_object(item_fields, obj, &here, complete, v))
                        }
                        None => {
                            v.add(here, "invalid_type", "must be an object");
                        }
                    }
                } else {
                    let item_kind = c.item_type.unwrap_or(FieldType::Text);
                    let item_c = Constraints {
                        values: c.values.clone(),
                        ..Constraints::default()
                    };
                    if let Some(clean) =
                        validate_value(item_kind, &item_c, item, &here, complete, v)
                    {
                        out.push(clean);
                    }
                }
            }
            Some(Value::Array(out))
        }
    }
}

/// The transitions of an application (SPEC 2.2). Anything else is a 409 `invalid_transition`.
pub fn may_edit_form(status: ApplicationStatus) -> bool {
    status == ApplicationStatus::Draft
}

pub fn may_submit(status: ApplicationStatus) -> bool {
    status == ApplicationStatus::Draft
}

pub fn may_withdraw(status: ApplicationStatus) -> bool {
    matches!(
        status,
        ApplicationStatus::Draft | ApplicationStatus::UnderReview
    )
}

pub fn may_decide(status: ApplicationStatus) -> bool {
    status == ApplicationStatus::UnderReview
}

/// A reviewer's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
}

pub const MIN_REASON_CHARS: usize = 10;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::Invalid;
    use serde_json::json;

    fn errors(v: Validator) -> Vec<(String, String)> {
        match v.finish() {
            Ok(()) => vec![],
            Err(Invalid(e)) => e.into_iter().map(|e| (e.field, e.code)).collect(),
        }
    }

    fn hazchem_fields() -> Vec<FieldDef> {
        serde_json::from_value(json!([
            {"key": "premises_address", "label": "地址", "type": "text", "required": true, "constraints": {"min_length": 2, "max_length": 300}},
            {"key": "premises_area_m2", "label": "面积", "type": "decimal", "required": true, "constraints": {"gt": 0}},
            {"key": "chemicals", "label": "品种", "type": "list", "required": true, "constraints": {"min_items": 1, "item_fields": [
                {"key": "name", "label": "品名", "type": "text", "required": true},
                {"key": "cas_no", "label": "CAS", "type": "text", "required": true, "constraints": {"format": "cas_no"}}
            ]}},
            {"key": "includes_highly_toxic", "label": "剧毒", "type": "bool", "required": true},
            {"key": "changed", "label": "变更", "type": "list", "required": false, "constraints": {"item_type": "enum", "values": ["name", "principal"]}},
            {"key": "issued_on", "label": "发证", "type": "date", "required": false},
            {"key": "expires_on", "label": "到期", "type": "date", "required": false, "constraints": {"after_field": "issued_on"}}
        ]))
        .unwrap()
    }

    #[test]
    fn a_draft_may_be_incomplete_but_not_wrong() {
        let mut v = Validator::new();
        validate_form(
            &hazchem_fields(),
            &json!({"premises_address": " 市南区 "}),
            false,
            &mut v,
        );
        assert!(v.is_empty());
        let mut v = Validator::new();
        validate_form(
            &hazchem_fields(),
            &json!({"premises_area_m2": 0, "chemicals": [{"name": "乙醇", "cas_no": "64-17-4"}], "colour": 1,
                    "includes_highly_toxic": "no", "changed": ["name", "size"], "issued_on": "2026-05-01", "expires_on": "2026-04-01"}),
            false,
            &mut v,
        );
        assert_eq!(
            errors(v),
            [
                ("form.colour".into(), "unknown_field".into()),
                ("form.premises_area_m2".into(), "out_of_range".into()),
                ("form.chemicals[0].cas_no".into(), "invalid".into()),
                ("form.includes_highly_toxic".into(), "invalid_type".into()),
                ("form.changed[1]".into(), "invalid_value".into()),
                ("form.expires_on".into(), "out_of_range".into()),
            ]
        );
    }

    #[test]
    fn a_draft_may_hold_a_half_entered_list_item_or_none_but_a_submission_not() {
        for (form, missing) in [
            (
                json!({"chemicals": [{"name": "乙醇"}]}),
                "form.chemicals[0].cas_no",
            ),
            (json!({"chemicals": []}), "form.chemicals"),
        ] {
            let mut v = Validator::new();
            validate_form(&hazchem_fields(), &form, false, &mut v);
            assert!(v.is_empty(), "{form}");
            let mut v = Validator::new();
            validate_form(&hazchem_fields(), &form, true, &mut v);
            let errors = errors(v);
            assert!(
                errors.iter().any(|(field, _)| field == missing),
                "{form}: {errors:?}"
            );
        }
    }

    #[test]
    fn a_complete_form_names_every_missing_required_field() {
        let mut v = Validator::new();
        validate_form(
            &hazchem_fields(),
            &json!({"premises_address": "市南区", "includes_highly_toxic": null, "chemicals": [{"name": "乙醇"}]}),
            true,
            &mut v,
        );
        assert_eq!(
            errors(v),
            [
                ("form.premises_area_m2".into(), "required".into()),
                ("form.chemicals[0].cas_no".into(), "required".into()),
                ("form.includes_highly_toxic".into(), "required".into()),
            ]
        );
    }

    #[test]
    fn a_valid_form_is_returned_trimmed() {
        let mut v = Validator::new();
        let out = validate_form(
            &hazchem_fields(),
            &json!({"premises_address": " 市南区 ", "premises_area_m2": 12.5, "includes_highly_toxic": false,
                    "chemicals": [{"name": "乙醇", "cas_no": "64-17-5"}]}),
            true,
            &mut v,
        );
        assert!(v.is_empty());
        assert_eq!(out["premises_address"], "市南区");
    }

    #[test]
    fn a_form_that_is_not_an_object_is_refused() {
        let mut v = Validator::new();
        validate_form(&hazchem_fields(), &json!([1]), false, &mut v);
        assert_eq!(errors(v), [("form".into(), "invalid_type".into())]);
    }

    #[test]
    fn certificate_numbers_have_one_shape() {
        assert!(CertificateNumber::parse("QD-WHJY-2026-000123").is_ok());
        for bad in [
            "QD-WHJY-2026-123",
            "qd-WHJY-2026-000123",
            "QD-W-2026-000123",
            "QD-WHJY-26-000123",
            "QD-WH1Y-2026-000123",
            "",
        ] {
            assert!(CertificateNumber::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            CertificateNumber::format("YHBZ", 2026, 7),
            "QD-YHBZ-2026-000007"
        );
    }

    #[test]
    fn only_drafts_change_and_only_reviews_are_decided() {
        use ApplicationStatus::*;
        for s in ApplicationStatus::ALL {
            assert_eq!(may_submit(*s), *s == Draft);
            assert_eq!(may_edit_form(*s), *s == Draft);
            assert_eq!(may_decide(*s), *s == UnderReview);
            assert_eq!(may_withdraw(*s), matches!(s, Draft | UnderReview));
        }
    }

    #[test]
    fn stored_texts_round_trip() {
        for s in ApplicationStatus::ALL {
            assert_eq!(ApplicationStatus::parse(s.as_str()), Some(*s));
        }
        for s in PermitKind::ALL {
            assert_eq!(PermitKind::parse(s.as_str()), Some(*s));
        }
        assert_eq!(PermitMode::parse("nope"), None);
    }
}
