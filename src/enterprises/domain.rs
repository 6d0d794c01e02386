//! Enterprise rules, free of I/O: status, and the checks on an enterprise's fields.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::credit_code::CreditCode;
use crate::validate::Validator;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EnterpriseStatus {
    Operating,
    /// Set and cleared only by suspension orders.
    Suspended,
    /// Deregistered.
    Closed,
}

impl EnterpriseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operating => "operating",
            Self::Suspended => "suspended",
            Self::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Operating, Self::Suspended, Self::Closed]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// The fields of a new enterprise, as sent (JSON body, import row or CSV line).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnterpriseInput {
    /// 18-character unified social credit code (GB 32100-2015).
    pub credit_code: String,
    pub name: String,
    /// An industry code from `/api/v1/reference/industries`.
    pub industry: String,
    /// A district code from `/api/v1/reference/districts`.
    pub district: String,
    pub address: String,
    pub legal_representative: String,
    /// 安全总监
    pub safety_director: Option<String>,
    pub employee_count: i64,
}

/// A checked new enterprise.
#[derive(Debug, Clone)]
pub struct ValidEnterprise {
    pub credit_code: CreditCode,
    pub name: String,
    pub industry: String,
    pub district: String,
    pub address: String,
    pub legal_representative: String,
    pub safety_director: Option<String>,
    pub employee_count: i32,
}

/// What the reference tables hold, for checking codes without a query per row.
pub trait ReferenceCodes {
    fn has_industry(&self, code: &str) -> bool;
    fn has_district(&self, code: &str) -> bool;
}

pub const MAX_EMPLOYEES: i64 = 10_000_000;

/// Checks every field, recording errors under `prefix` (`""` or `[3].`).
pub fn validate(
    input: &EnterpriseInput,
    codes: &impl ReferenceCodes,
    prefix: &str,
    v: &mut Validator,
) -> Option<ValidEnterprise> {
    let field = |name: &str| format!("{prefix}{name}");
    let credit_code = v.check(
        &field("credit_code"),
        "invalid",
        CreditCode::parse(&input.credit_code),
    );
    let name = v.text(&field("name"), &input.name, 1, 200);
    let address = v.text(&field("address"), &input.address, 1, 300);
    let legal_representative = v.text(
        &field("legal_representative"),
        &input.legal_representative,
        1,
        100,
    );
    let safety_director = match &input.safety_director {
        Some(s) => v.text(&field("safety_director"), s, 1, 100).map(Some),
        None => Some(None),
    };
    let industry = input.industry.trim();
    if !codes.has_industry(industry) {
        v.add(field("industry"), "unknown_code", "is not an industry code");
    }
    let district = input.district.trim();
    if !codes.has_district(district) {
        v.add(field("district"), "unknown_code", "is not a district code");
    }
    let employee_count = if (0..=MAX_EMPLOYEES).contains(&input.employee_count) {
        Some(input.employee_count as i32)
    } else {
        v.add(
            field("employee_count"),
            "out_of_range",
            "must be 0 to 10,000,000",
        );
        None
    };
    Some(ValidEnterprise {
        credit_code: credit_code?,
        name: name?,
        industry: industry.to_owned(),
        district: district.to_owned(),
        address: address?,
        legal_representative: legal_representative?,
        safety_director: safety_director?,
        employee_count: employee_count?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::Invalid;

    struct Codes;
    impl ReferenceCodes for Codes {
        fn has_industry(&self, code: &str) -> bool {
            code == "gas"
        }
        fn has_district(&self, code: &str) -> bool {
            code == "shinan"
        }
    }

    fn input() -> EnterpriseInput {
        EnterpriseInput {
            credit_code: "914403001922038216".into(),
            name: "青岛燃气".into(),
            industry: "gas".into(),
            district: "shinan".into(),
            address: "市南区香港中路1号".into(),
            legal_representative: "王五".into(),
            safety_director: None,
            employee_count: 120,
        }
    }

    #[test]
    fn a_good_enterprise_passes() {
        let mut v = Validator::new();
        assert!(validate(&input(), &Codes, "", &mut v).is_some());
        assert!(v.is_empty());
    }

    #[test]
    fn every_bad_field_is_named_with_its_prefix() {
        let mut bad = input();
        bad.credit_code = "914403001922038217".into();
        bad.industry = "mining".into();
        bad.district = "nowhere".into();
        bad.employee_count = -1;
        bad.name = " ".into();
        let mut v = Validator::new();
        assert!(validate(&bad, &Codes, "[4].", &mut v).is_none());
        let Err(Invalid(errors)) = v.finish() else {
            panic!("expected errors")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "[4].credit_code",
                "[4].name",
                "[4].industry",
                "[4].district",
                "[4].employee_count"
            ]
        );
    }
}
