//! The rules of the instant decision (SPEC 2.3): pure functions over [`RuleInputs`], which
//! `store::rule_inputs` gathers from the enterprise's own records (zero material). Each rule
//! yields pass, fail or refer with a message; every rule that applies to the type runs and all
//! results are kept; the decision is fail > refer > pass.

use chrono::{Months, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::domain::{CertificateStatus, PermitKind, PermitType};
use crate::enterprises::domain::EnterpriseStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    EnterpriseOperating,
    NoSuspensionOrder,
    NoOpenMajorHazard,
    NoOverdueHazard,
    NoUnpaidOverdueFine,
    IndustryAllowed,
    TrainingOnFile,
    EmergencyPlanOnFile,
    NoDuplicate,
    BaseCertificateValid,
    NoRecentRevocation,
    CommitmentAccepted,
    HighRiskReferral,
}

impl Rule {
    pub const ALL: [Rule; 13] = [
        Rule::EnterpriseOperating,
        Rule::NoSuspensionOrder,
        Rule::NoOpenMajorHazard,
        Rule::NoOverdueHazard,
        Rule::NoUnpaidOverdueFine,
        Rule::IndustryAllowed,
        Rule::TrainingOnFile,
        Rule::EmergencyPlanOnFile,
        Rule::NoDuplicate,
        Rule::BaseCertificateValid,
        Rule::NoRecentRevocation,
        Rule::CommitmentAccepted,
        Rule::HighRiskReferral,
    ];
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Refer,
    Fail,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Refer => "refer",
            Self::Fail => "fail",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RuleResult {
    pub rule: Rule,
    pub outcome: Outcome,
    pub message: String,
}

fn pass(rule: Rule, message: impl Into<String>) -> RuleResult {
    RuleResult {
        rule,
        outcome: Outcome::Pass,
        message: message.into(),
    }
}
fn fail(rule: Rule, message: impl Into<String>) -> RuleResult {
    RuleResult {
        rule,
        outcome: Outcome::Fail,
        message: message.into(),
    }
}
fn refer(rule: Rule, message: impl Into<String>) -> RuleResult {
    RuleResult {
        rule,
        outcome: Outcome::Refer,
        message: message.into(),
    }
}
const NOT_APPLICABLE: &str = "not applicable";

/// A `safety_training_filing` the enterprise has on file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingFiling {
    /// `principal` or `safety_manager`.
    pub person_role: String,
    pub cert_no: String,
    pub expires_on: NaiveDate,
}

/// The certificate a renewal, change or reissue names, when it is the enterprise's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseCertificate {
    pub number: String,
    pub permit_type: String,
    /// As derived today (an active certificate past `valid_until` is `expired`).
    pub status: CertificateStatus,
    pub valid_until: NaiveDate,
}

/// Everything the rules read, gathered by `store::rule_inputs` before the decision's write
/// transaction and, for the active certificates and the one continued, `store::certificate_inputs`
/// inside it.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleInputs {
    /// The city's local date.
    pub today: NaiveDate,
    pub enterprise_status: EnterpriseStatus,
    pub enterprise_industry: String,
    /// Suspension orders issued and not lifted.
    pub orders_in_force: u32,
    /// Major hazards not verified closed.
    pub open_major_hazards: u32,
    /// Hazards still open after their rectification deadline.
    pub overdue_hazards: u32,
    /// Penalties with a fine unpaid more than 15 days after the decision.
    pub unpaid_overdue_fines: u32,
    pub training_filings: Vec<TrainingFiling>,
    pub emergency_plans_filed: u32,
    /// Active, unexpired certificates of the type applied for (new licences).
    pub active_certificates_of_type: u32,
    /// The named certificate (renewal, change, reissue) if it is the enterprise's own.
    pub base_certificate: Option<BaseCertificate>,
    /// Certificates of the licence revoked within the last 12 months.
    pub recent_revocations: u32,
    pub commitment_accepted: bool,
    /// Form values the rules read.
    pub principal_cert_no: Option<String>,
    pub safety_manager_cert_no: Option<String>,
    pub includes_highly_toxic: Option<bool>,
    pub includes_explosive_precursors: Option<bool>,
}

/// Days after a penalty decision within which the fine must be paid.
pub const FINE_GRACE_DAYS: i64 = 15;
/// Months back in which a revoked certificate of the licence fails [`no_recent_revocation`].
pub const REVOCATION_LOOKBACK_MONTHS: u32 = 12;

/// The dates from which the rules count an enterprise's records, as of a moment: the one
/// place that says how far back the unpaid-fine and recent-revocation rules look.
/// `store::rule_inputs` binds them into its counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lookback {
    /// [`no_unpaid_overdue_fine`]: a penalty whose fine is still unpaid counts when it was
    /// decided before this local date, that is more than [`FINE_GRACE_DAYS`] days ago.
    pub fines_decided_before: NaiveDate,
    /// [`no_recent_revocation`]: a certificate of the licence counts when it was revoked at or
    /// after this instant, [`REVOCATION_LOOKBACK_MONTHS`] months ago.
    pub revoked_since: NaiveDateTime,
}

impl Lookback {
    /// As of the city's local date `today` and the instant `now`.
    pub fn at(today: NaiveDate, now: NaiveDateTime) -> Self {
        Self {
            fines_decided_before: today - chrono::Duration::days(FINE_GRACE_DAYS),
            revoked_since: now
                .checked_sub_months(Months::new(REVOCATION_LOOKBACK_MONTHS))
                .unwrap_or(now),
        }
    }

    /// Whether a fine decided on `decided_on` and still unpaid is overdue.
    pub fn fine_overdue(&self, decided_on: NaiveDate) -> bool {
        decided_on < self.fines_decided_before
    }
}
/// A renewal may be applied for when the old certificate expires within this many days.
pub const RENEWAL_WINDOW_DAYS: i64 = 90;

pub fn enterprise_operating(i: &RuleInputs) -> RuleResult {
    let rule = Rule::EnterpriseOperating;
    match i.enterprise_status {
        EnterpriseStatus::Operating => pass(rule, "the enterprise is operating"),
        other => fail(rule, format!("the enterprise is {}", other.as_str())),
    }
}

pub fn no_suspension_order(i: &RuleInputs) -> RuleResult {
    let rule = Rule::NoSuspensionOrder;
    match i.orders_in_force {
        0 => pass(rule, "no suspension order in force"),
        n => fail(rule, format!("{n} suspension order(s) in force")),
    }
}

pub fn no_open_major_hazard(i: &RuleInputs) -> RuleResult {
    let rule = Rule::NoOpenMajorHazard;
    match i.open_major_hazards {
        0 => pass(rule, "no major hazard open"),
        n => fail(rule, format!("{n} major hazard(s) not verified closed")),
    }
}

pub fn no_overdue_hazard(i: &RuleInputs) -> RuleResult {
    let rule = Rule::NoOverdueHazard;
    match i.overdue_hazards {
        0 => pass(rule, "no hazard past its rectification deadline"),
        n => fail(
            rule,
            format!("{n} hazard(s) past the rectification deadline and not rectified"),
        ),
    }
}

pub fn no_unpaid_overdue_fine(i: &RuleInputs) -> RuleResult {
    let rule = Rule::NoUnpaidOverdueFine;
    match i.unpaid_overdue_fines {
        0 => pass(rule, "no fine unpaid past its due date"),
        n => fail(
            rule,
            format!("{n} fine(s) unpaid more than {FINE_GRACE_DAYS} days after the decision"),
        ),
    }
}

pub fn industry_allowed(t: &PermitType, i: &RuleInputs) -> RuleResult {
    let rule = Rule::IndustryAllowed;
    if t.industries.is_empty() || t.industries.contains(&i.enterprise_industry) {
        pass(
            rule,
            format!("industry {} may apply", i.enterprise_industry),
        )
    } else {
        fail(
            rule,
            format!(
                "industry {} may not apply for this permit",
                i.enterprise_industry
            ),
        )
    }
}

pub fn training_on_file(t: &PermitType, i: &RuleInputs) -> RuleResult {
    let rule = Rule::TrainingOnFile;
    if !has_input(rule, t) {
        return pass(rule, NOT_APPLICABLE);
    }
    let named = [
        ("principal_cert_no", "principal", &i.principal_cert_no),
        (
            "safety_manager_cert_no",
            "safety_manager",
            &i.safety_manager_cert_no,
        ),
    ];
    let applicable: Vec<_> = named
        .iter()
        .filter(|(key, _, _)| t.has_field(key))
        .collect();
    if applicable.is_empty() {
        return pass(rule, NOT_APPLICABLE);
    }
    let mut missing = Vec::new();
    for (key, role, value) in applicable {
        let found = value.as_deref().is_some_and(|no| {
            i.training_filings
                .iter()
                .any(|f| f.person_role == *role && f.cert_no == no && f.expires_on >= i.today)
        });
        if !found {
            missing.push(*key);
        }
    }
    if missing.is_empty() {
        pass(
            rule,
            "every named training certificate is on file and valid",
        )
    } else {
        fail(
            rule,
            format!(
                "not filed through safety_training_filing for that role, or expired: {}",
                missing.join(", ")
            ),
        )
    }
}

pub fn emergency_plan_on_file(t: &PermitType, i: &RuleInputs) -> RuleResult {
    let rule = Rule::EmergencyPlanOnFile;
    if !has_input(rule, t) {
        return pass(rule, NOT_APPLICABLE);
    }
    match i.emergency_plans_filed {
        0 => fail(rule, "no emergency plan filed (emergency_plan_filing)"),
        _ => pass(rule, "an emergency plan is on file"),
    }
}

pub fn no_duplicate(i: &RuleInputs) -> RuleResult {
    let rule = Rule::NoDuplicate;
    match i.active_certificates_of_type {
        0 => pass(rule, "no active certificate of this type"),
        _ => fail(
            rule,
            "an active certificate of this type exists; apply for a renewal, change or reissue",
        ),
    }
}

pub fn base_certificate_valid(t: &PermitType, i: &RuleInputs) -> RuleResult {
    let rule = Rule::BaseCertificateValid;
    let Some(base) = &i.base_certificate else {
        return fail(
            rule,
            "certificate_no names no certificate of this enterprise",
        );
    };
    if !t.applies_to.contains(&base.permit_type) {
        return fail(
            rule,
            format!(
                "{} is a {} certificate, which this permit does not continue",
                base.number, base.permit_type
            ),
        );
    }
    if base.status != CertificateStatus::Active {
        return fail(rule, format!("{} is {}", base.number, base.status.as_str()));
    }
    if t.kind == PermitKind::Renewal
        && base.valid_until > i.today + chrono::Duration::days(RENEWAL_WINDOW_DAYS)
    {
        return fail(
            rule,
            format!(
                "{} expires on {}; renewal opens {RENEWAL_WINDOW_DAYS} days before",
                base.number, base.valid_until
            ),
        );
    }
    pass(rule, format!("{} is active", base.number))
}

pub fn no_recent_revocation(i: &RuleInputs) -> RuleResult {
    let rule = Rule::NoRecentRevocation;
    match i.recent_revocations {
        0 => pass(
            rule,
            "no certificate of this licence revoked in the last 12 months",
        ),
        n => fail(
            rule,
            format!("{n} certificate(s) of this licence revoked in the last 12 months"),
        ),
    }
}

pub fn commitment_accepted(i: &RuleInputs) -> RuleResult {
    let rule = Rule::CommitmentAccepted;
    if i.commitment_accepted {
        pass(rule, "the commitment statement is accepted")
    } else {
        fail(rule, "the commitment statement (告知承诺) is not accepted")
    }
}

pub fn high_risk_referral(t: &PermitType, i: &RuleInputs) -> RuleResult {
    let rule = Rule::HighRiskReferral;
    if !has_input(rule, t) {
        return pass(rule, NOT_APPLICABLE);
    }
    let mut risks = Vec::new();
    if i.includes_highly_toxic == Some(true) {
        risks.push("highly toxic chemicals (剧毒化学品)");
    }
    if i.includes_explosive_precursors == Some(true) {
        risks.push("explosive precursors (易制爆危险化学品)");
    }
    if risks.is_empty() {
        pass(rule, "no high-risk chemicals")
    } else {
        refer(rule, format!("referred to review: {}", risks.join(", ")))
    }
}

/// Whether `rule` has anything to read for a type: a rule whose input the type's form does
/// not have (training certificates, high-risk chemicals) or that does not concern it (an
/// emergency plan for a type that issues no certificate) passes as "not applicable". The
/// service guide lists only the rules that read something.
pub fn has_input(rule: Rule, t: &PermitType) -> bool {
    match rule {
        Rule::TrainingOnFile => {
            t.has_field("principal_cert_no") || t.has_field("safety_manager_cert_no")
        }
        Rule::EmergencyPlanOnFile => t.kind.issues_certificate(),
        Rule::HighRiskReferral => {
            t.has_field("includes_highly_toxic") || t.has_field("includes_explosive_precursors")
        }
        _ => true,
    }
}

/// The rules that run for a type: filings run only `commitment_accepted`; new licences all
/// but `base_certificate_valid`; renewals, changes and reissues all but `no_duplicate`.
pub fn applicable(t: &PermitType) -> Vec<Rule> {
    match t.kind {
        PermitKind::Filing => vec![Rule::CommitmentAccepted],
        PermitKind::Licence => Rule::ALL
            .into_iter()
            .filter(|r| *r != Rule::BaseCertificateValid)
            .collect(),
        PermitKind::Renewal | PermitKind::Change | PermitKind::Reissue => Rule::ALL
            .into_iter()
            .filter(|r| *r != Rule::NoDuplicate)
            .collect(),
    }
}

pub fn run(rule: Rule, t: &PermitType, i: &RuleInputs) -> RuleResult {
    match rule {
        Rule::EnterpriseOperating => enterprise_operating(i),
        Rule::NoSuspensionOrder => no_suspension_order(i),
        Rule::NoOpenMajorHazard => no_open_major_hazard(i),
        Rule::NoOverdueHazard => no_overdue_hazard(i),
        Rule::NoUnpaidOverdueFine => no_unpaid_overdue_fine(i),
        Rule::IndustryAllowed => industry_allowed(t, i),
        Rule::TrainingOnFile => training_on_file(t, i),
        Rule::EmergencyPlanOnFile => emergency_plan_on_file(t, i),
        Rule::NoDuplicate => no_duplicate(i),
        Rule::BaseCertificateValid => base_certificate_valid(t, i),
        Rule::NoRecentRevocation => no_recent_revocation(i),
        Rule::CommitmentAccepted => commitment_accepted(i),
        Rule::HighRiskReferral => high_risk_referral(t, i),
    }
}

/// Every applicable rule's result, in rule order.
pub fn evaluate(t: &PermitType, i: &RuleInputs) -> Vec<RuleResult> {
    applicable(t).into_iter().map(|r| run(r, t, i)).collect()
}

/// fail > refer > pass.
pub fn decide(results: &[RuleResult]) -> Outcome {
    results
        .iter()
        .map(|r| r.outcome)
        .max()
        .unwrap_or(Outcome::Pass)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::permits::domain::{FieldDef, PermitMode};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_fine_is_overdue_only_after_its_fifteen_days_and_revocations_count_for_a_year() {
        let now = d("2026-03-31").and_hms_opt(9, 0, 0).unwrap();
        let back = Lookback::at(d("2026-03-31"), now);
        assert!(
            !back.fine_overdue(d("2026-03-16")),
            "the 15th day is still in time"
        );
        assert!(back.fine_overdue(d("2026-03-15")));
        assert_eq!(
            back.revoked_since,
            d("2025-03-31").and_hms_opt(9, 0, 0).unwrap()
        );
    }

    fn field(key: &str) -> FieldDef {
        serde_json::from_value(
            serde_json::json!({"key": key, "label": key, "type": "text", "required": true}),
        )
        .unwrap()
    }

    fn licence() -> PermitType {
        PermitType {
            code: "hazchem_business_no_storage".into(),
            name: "危险化学品经营许可证（不带储存）".into(),
            mode: PermitMode::InstantApproval,
            kind: PermitKind::Licence,
            validity_months: Some(36),
            statutory_days: 20,
            industries: vec!["hazardous_chemicals".into()],
            fields: [
                "principal_cert_no",
                "safety_manager_cert_no",
                "includes_highly_toxic",
                "includes_explosive_precursors",
            ]
            .into_iter()
            .map(field)
            .collect(),
            applies_to: vec![],
            certificate_prefix: Some("WHJY".into()),
            active: true,
        }
    }

    fn renewal() -> PermitType {
        PermitType {
            code: "hazchem_business_renewal".into(),
            kind: PermitKind::Renewal,
            fields: vec![field("certificate_no")],
            applies_to: vec!["hazchem_business_no_storage".into()],
            certificate_prefix: None,
            ..licence()
        }
    }

    fn filing() -> PermitType {
        PermitType {
            code: "emergency_plan_filing".into(),
            mode: PermitMode::InstantFiling,
            kind: PermitKind::Filing,
            industries: vec![],
            fields: vec![field("plan_name")],
            certificate_prefix: None,
            ..licence()
        }
    }

    /// An enterprise with a clean record that passes every rule of `licence()`.
    fn clean() -> RuleInputs {
        RuleInputs {
            today: d("2026-06-01"),
            enterprise_status: EnterpriseStatus::Operating,
            enterprise_industry: "hazardous_chemicals".into(),
            orders_in_force: 0,
            open_major_hazards: 0,
            overdue_hazards: 0,
            unpaid_overdue_fines: 0,
            training_filings: vec![
                TrainingFiling {
                    person_role: "principal".into(),
                    cert_no: "P-1".into(),
                    expires_on: d("2027-01-01"),
                },
                TrainingFiling {
                    person_role: "safety_manager".into(),
                    cert_no: "S-1".into(),
                    expires_on: d("2026-06-01"),
                },
            ],
            emergency_plans_filed: 1,
            active_certificates_of_type: 0,
            base_certificate: Some(BaseCertificate {
                number: "QD-WHJY-2023-000001".into(),
                permit_type: "hazchem_business_no_storage".into(),
                status: CertificateStatus::Active,
                valid_until: d("2026-08-01"),
            }),
            recent_revocations: 0,
            commitment_accepted: true,
            principal_cert_no: Some("P-1".into()),
            safety_manager_cert_no: Some("S-1".into()),
            includes_highly_toxic: Some(false),
            includes_explosive_precursors: Some(false),
        }
    }

    fn outcome(r: RuleResult) -> Outcome {
        r.outcome
    }

    #[test]
    fn enterprise_operating_passes_only_an_operating_enterprise() {
        assert_eq!(outcome(enterprise_operating(&clean())), Outcome::Pass);
        for s in [EnterpriseStatus::Suspended, EnterpriseStatus::Closed] {
            let i = RuleInputs {
                enterprise_status: s,
                ..clean()
            };
            assert_eq!(outcome(enterprise_operating(&i)), Outcome::Fail);
        }
    }

    #[test]
    fn no_suspension_order_fails_while_one_is_in_force() {
        assert_eq!(outcome(no_suspension_order(&clean())), Outcome::Pass);
        assert_eq!(
            outcome(no_suspension_order(&RuleInputs {
                orders_in_force: 1,
                ..clean()
            })),
            Outcome::Fail
        );
    }

    #[test]
    fn no_open_major_hazard_fails_on_an_unverified_major_hazard() {
        assert_eq!(outcome(no_open_major_hazard(&clean())), Outcome::Pass);
        assert_eq!(
            outcome(no_open_major_hazard(&RuleInputs {
                open_major_hazards: 2,
                ..clean()
            })),
            Outcome::Fail
        );
    }

    #[test]
    fn no_overdue_hazard_fails_on_a_hazard_past_its_deadline() {
        assert_eq!(outcome(no_overdue_hazard(&clean())), Outcome::Pass);
        assert_eq!(
            outcome(no_overdue_hazard(&RuleInputs {
                overdue_hazards: 1,
                ..clean()
            })),
            Outcome::Fail
        );
    }

    #[test]
    fn no_unpaid_overdue_fine_fails_on_a_late_fine() {
        assert_eq!(outcome(no_unpaid_overdue_fine(&clean())), Outcome::Pass);
        assert_eq!(
            outcome(no_unpaid_overdue_fine(&RuleInputs {
                unpaid_overdue_fines: 1,
                ..clean()
            })),
            Outcome::Fail
        );
    }

    #[test]
    fn industry_allowed_reads_the_type_list_and_an_empty_list_admits_all() {
        assert_eq!(
            outcome(industry_allowed(&licence(), &clean())),
            Outcome::Pass
        );
        let i = RuleInputs {
            enterprise_industry: "textiles".into(),
            ..clean()
        };
        assert_eq!(outcome(industry_allowed(&licence(), &i)), Outcome::Fail);
        assert_eq!(outcome(industry_allowed(&filing(), &i)), Outcome::Pass);
    }

    #[test]
    fn training_on_file_needs_each_named_certificate_filed_for_its_role_and_unexpired() {
        assert_eq!(
            outcome(training_on_file(&licence(), &clean())),
            Outcome::Pass
        );
        // Filed, but for the other role.
        let i = RuleInputs {
            principal_cert_no: Some("S-1".into()),
            ..clean()
        };
        let r = training_on_file(&licence(), &i);
        assert_eq!(r.outcome, Outcome::Fail);
        assert!(r.message.contains("principal_cert_no"), "{}", r.message);
        // Expired yesterday.
        let i = RuleInputs {
            today: d("2026-06-02"),
            ..clean()
        };
        assert_eq!(outcome(training_on_file(&licence(), &i)), Outcome::Fail);
        // Never filed.
        let i = RuleInputs {
            training_filings: vec![],
            ..clean()
        };
        assert_eq!(outcome(training_on_file(&licence(), &i)), Outcome::Fail);
        // A renewal's form names no training certificate.
        let r = training_on_file(
            &renewal(),
            &RuleInputs {
                training_filings: vec![],
                ..clean()
            },
        );
        assert_eq!(
            (r.outcome, r.message.as_str()),
            (Outcome::Pass, NOT_APPLICABLE)
        );
    }

    #[test]
    fn emergency_plan_on_file_needs_a_filed_plan_for_licences() {
        assert_eq!(
            outcome(emergency_plan_on_file(&licence(), &clean())),
            Outcome::Pass
        );
        let i = RuleInputs {
            emergency_plans_filed: 0,
            ..clean()
        };
        assert_eq!(
            outcome(emergency_plan_on_file(&licence(), &i)),
            Outcome::Fail
        );
        assert_eq!(
            outcome(emergency_plan_on_file(&renewal(), &i)),
            Outcome::Fail
        );
        assert_eq!(
            outcome(emergency_plan_on_file(&filing(), &i)),
            Outcome::Pass
        );
    }

    #[test]
    fn no_duplicate_fails_while_an_active_certificate_of_the_type_exists() {
        assert_eq!(outcome(no_duplicate(&clean())), Outcome::Pass);
        assert_eq!(
            outcome(no_duplicate(&RuleInputs {
                active_certificates_of_type: 1,
                ..clean()
            })),
            Outcome::Fail
        );
    }

    #[test]
    fn base_certificate_valid_checks_owner_licence_status_and_renewal_window() {
        assert_eq!(
            outcome(base_certificate_valid(&renewal(), &clean())),
            Outcome::Pass
        );
        let none = RuleInputs {
            base_certificate: None,
            ..clean()
        };
        assert_eq!(
            outcome(base_certificate_valid(&renewal(), &none)),
            Outcome::Fail
        );
        let mut other = clean();
        if let Some(b) = other.base_certificate.as_mut() {
            b.permit_type = "fireworks_retail".into();
        }
        assert_eq!(
            outcome(base_certificate_valid(&renewal(), &other)),
            Outcome::Fail
        );
        for status in [
            CertificateStatus::Superseded,
            CertificateStatus::Revoked,
            CertificateStatus::Expired,
        ] {
            let mut i = clean();
            if let Some(b) = i.base_certificate.as_mut() {
                b.status = status;
            }
            assert_eq!(
                outcome(base_certificate_valid(&renewal(), &i)),
                Outcome::Fail,
                "{status:?}"
            );
        }
        // Expiring in 91 days: too early to renew, but a change or reissue is fine.
        let mut early = clean();
        if let Some(b) = early.base_certificate.as_mut() {
            b.valid_until = d("2026-08-31");
        }
        assert_eq!(
            outcome(base_certificate_valid(&renewal(), &early)),
            Outcome::Fail
        );
        let change = PermitType {
            kind: PermitKind::Change,
            ..renewal()
        };
        assert_eq!(
            outcome(base_certificate_valid(&change, &early)),
            Outcome::Pass
        );
        if let Some(b) = early.base_certificate.as_mut() {
            b.valid_until = d("2026-08-30");
        }
        assert_eq!(
            outcome(base_certificate_valid(&renewal(), &early)),
            Outcome::Pass
        );
    }

    #[test]
    fn no_recent_revocation_fails_after_a_revocation() {
        assert_eq!(outcome(no_recent_revocation(&clean())), Outcome::Pass);
        assert_eq!(
            outcome(no_recent_revocation(&RuleInputs {
                recent_revocations: 1,
                ..clean()
            })),
            Outcome::Fail
        );
    }

    #[test]
    fn commitment_accepted_fails_without_the_commitment() {
        assert_eq!(outcome(commitment_accepted(&clean())), Outcome::Pass);
        assert_eq!(
            outcome(commitment_accepted(&RuleInputs {
                commitment_accepted: false,
                ..clean()
            })),
            Outcome::Fail
        );
    }

    #[test]
    fn high_risk_referral_refers_highly_toxic_and_explosive_precursors() {
        assert_eq!(
            outcome(high_risk_referral(&licence(), &clean())),
            Outcome::Pass
        );
        let i = RuleInputs {
            includes_highly_toxic: Some(true),
            ..clean()
        };
        assert_eq!(outcome(high_risk_referral(&licence(), &i)), Outcome::Refer);
        let i = RuleInputs {
            includes_explosive_precursors: Some(true),
            ..clean()
        };
        assert_eq!(outcome(high_risk_referral(&licence(), &i)), Outcome::Refer);
        let r = high_risk_referral(&renewal(), &i);
        assert_eq!(
            (r.outcome, r.message.as_str()),
            (Outcome::Pass, NOT_APPLICABLE)
        );
    }

    #[test]
    fn each_kind_runs_its_rules() {
        assert_eq!(evaluate(&filing(), &clean()).len(), 1);
        let new = evaluate(&licence(), &clean());
        assert_eq!(new.len(), 12);
        assert!(new.iter().all(|r| r.rule != Rule::BaseCertificateValid));
        let renew = evaluate(&renewal(), &clean());
        assert_eq!(renew.len(), 12);
        assert!(renew.iter().all(|r| r.rule != Rule::NoDuplicate));
        // A suspended enterprise can still file.
        let suspended = RuleInputs {
            enterprise_status: EnterpriseStatus::Suspended,
            orders_in_force: 1,
            ..clean()
        };
        assert_eq!(decide(&evaluate(&filing(), &suspended)), Outcome::Pass);
    }

    #[test]
    fn the_decision_is_fail_over_refer_over_pass() {
        assert_eq!(decide(&evaluate(&licence(), &clean())), Outcome::Pass);
        let referred = RuleInputs {
            includes_highly_toxic: Some(true),
            ..clean()
        };
        assert_eq!(decide(&evaluate(&licence(), &referred)), Outcome::Refer);
        let both = RuleInputs {
            orders_in_force: 1,
            ..referred
        };
        let results = evaluate(&licence(), &both);
        assert_eq!(decide(&results), Outcome::Fail);
        assert_eq!(
            results
                .iter()
                .filter(|r| r.outcome != Outcome::Pass)
                .count(),
            2,
            "all results are kept"
        );
        assert_eq!(decide(&[]), Outcome::Pass);
    }
}
