//! What the permit routes answer: the permit type, the application and the certificate as a
//! client sees them, and the public verification. The use cases build them; the handlers
//! send them.

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::domain::{ApplicationStatus, CertificateStatus, FieldDef, PermitKind, PermitMode};
use super::rules::RuleResult;
use super::store::{ApplicationRow, CertificateRow, PermitTypeRow};
use crate::audit::TimelineEntry;
use crate::error::ApiError;
use crate::ids::EnterpriseId;

#[derive(Debug, Serialize, ToSchema)]
pub struct PermitTypeView {
    pub code: String,
    pub name: String,
    pub mode: PermitMode,
    /// `licence` (a new licence), `renewal`, `change`, `reissue` (continue a licence) or `filing`.
    pub kind: PermitKind,
    /// Null: the certificate keeps the old expiry, or the type issues none.
    pub validity_months: Option<u32>,
    /// Calendar days a reviewer has to decide (also for instant items referred to review).
    pub statutory_days: u32,
    /// Industry codes that may apply; empty admits every industry.
    pub industries: Vec<String>,
    /// The form: enough for a client to render and check it.
    pub fields: Vec<FieldDef>,
    /// The licence types a renewal, change or reissue continues.
    pub applies_to: Vec<String>,
    /// The certificate number prefix (`QD-<prefix>-<year>-<serial>`) of a licence type.
    pub certificate_prefix: Option<String>,
    pub active: bool,
}

pub fn type_view(row: &PermitTypeRow) -> Result<PermitTypeView, ApiError> {
    let t = row.to_domain()?;
    Ok(PermitTypeView {
        code: t.code,
        name: t.name,
        mode: t.mode,
        kind: t.kind,
        validity_months: t.validity_months,
        statutory_days: t.statutory_days,
        industries: t.industries,
        fields: t.fields,
        applies_to: t.applies_to,
        certificate_prefix: t.certificate_prefix,
        active: t.active,
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Holder {
    pub name: String,
    pub credit_code: String,
    pub address: String,
    pub legal_representative: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateView {
    pub id: i64,
    pub number: String,
    /// The licence type (a renewal's certificate has its base licence's type).
    pub permit_type: String,
    pub enterprise_id: EnterpriseId,
    pub application_id: i64,
    /// The enterprise as it was when the certificate was issued.
    pub holder: Holder,
    #[schema(value_type = Object)]
    pub scope: Value,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub issued_at: NaiveDateTime,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    /// `expired` is derived: an active certificate past `valid_until`.
    pub status: CertificateStatus,
    #[serde(serialize_with = "crate::clock::utc::option::serialize")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<NaiveDateTime>,
    pub revoke_reason: Option<String>,
    /// The id of the certificate that replaced this one.
    pub superseded_by: Option<i64>,
    /// 10 Crockford base32 characters; with the number, anyone may verify the certificate.
    pub verification_code: String,
    /// The canonical JSON that was signed, as signed.
    pub signed_payload: String,
    /// Ed25519 signature of `signed_payload`'s UTF-8 bytes, standard base64.
    pub signature: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<TimelineEntry>>,
}

pub fn certificate_view(
    row: CertificateRow,
    today: NaiveDate,
    timeline: Option<Vec<TimelineEntry>>,
) -> CertificateView {
    CertificateView {
        status: row.status_on(today),
        id: row.id,
        number: row.number,
        permit_type: row.permit_type,
        enterprise_id: EnterpriseId(row.enterprise_id),
        application_id: row.application_id,
        holder: Holder {
            name: row.holder_name,
            credit_code: row.holder_credit_code,
            address: row.holder_address,
            legal_representative: row.holder_legal_representative,
        },
        scope: serde_json::from_str(&row.scope).unwrap_or(Value::Null),
        issued_at: row.issued_at,
        valid_from: row.valid_from,
        valid_until: row.valid_until,
        revoked_at: row.revoked_at,
        revoke_reason: row.revoke_reason,
        superseded_by: row.superseded_by,
        verification_code: row.verification_code,
        signed_payload: row.signed_payload,
        signature: row.signature,
        timeline,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationView {
    pub id: i64,
    /// `QDYJ-<year>-<serial>`.
    pub number: String,
    pub enterprise_id: EnterpriseId,
    pub permit_type: String,
    pub mode: PermitMode,
    #[schema(value_type = Object)]
    pub form: Value,
    pub commitment_accepted: bool,
    pub status: ApplicationStatus,
    #[serde(serialize_with = "crate::clock::utc::option::serialize")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub submitted_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::clock::utc::option::serialize")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<NaiveDateTime>,
    /// Review path: the local date by which a reviewer must decide.
    pub due_on: Option<NaiveDate>,
    /// Under review past `due_on`.
    pub overdue: bool,
    /// The reviewer's user id; null when the rules decided.
    pub decided_by: Option<i64>,
    pub decision_reason: Option<String>,
    /// Every applicable rule's result, stored at submission.
    pub rule_results: Option<Vec<RuleResult>>,
    pub certificate_id: Option<i64>,
    /// The certificate issued on approval (single-record responses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertificateView>,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<TimelineEntry>>,
}

pub fn application_view(
    row: ApplicationRow,
    today: NaiveDate,
) -> Result<ApplicationView, ApiError> {
    let status = row.status()?;
    Ok(ApplicationView {
        overdue: status == ApplicationStatus::UnderReview && row.due_on.is_some_and(|d| d < today),
        mode: PermitMode::parse(&row.mode)
            .ok_or_else(|| ApiError::internal("unknown mode stored"))?,
        form: row.form_value()?,
        rule_results: row
            .rule_results
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(ApiError::internal)?,
        status,
        id: row.id,
        number: row.number,
        enterprise_id: EnterpriseId(row.enterprise_id),
        permit_type: row.permit_type,
        commitment_accepted: row.commitment_accepted,
        submitted_at: row.submitted_at,
        decided_at: row.decided_at,
        due_on: row.due_on,
        decided_by: row.decided_by,
        decision_reason: row.decision_reason,
        certificate_id: row.certificate_id,
        certificate: None,
        created_at: row.created_at,
        updated_at: row.updated_at,
        timeline: None,
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationView {
    /// True only for an active certificate.
    pub valid: bool,
    pub status: CertificateStatus,
    pub number: String,
    pub permit_type: String,
    pub holder_name: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    /// The canonical JSON that was signed, byte for byte.
    pub signed_payload: String,
    /// Ed25519 signature of `signed_payload`, base64.
    pub signature: String,
}
