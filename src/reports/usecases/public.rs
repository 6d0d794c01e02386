//! The reporter's side (SPEC 5.1), with no account: filing a report, following it by its
//! receipt, adding information and claiming the reward. The receipt reaches these functions
//! only as its slow hash (`crypto::hash_receipt_blocking`, in the caller); contact fields and
//! the payee are sealed here with the data key before they are written.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::{Now, ReportError, internal_text};
use crate::audit::{self, Actor};
use crate::db::DbConn;
use crate::enterprises::credit_code::CreditCode;
use crate::enterprises::domain::ReferenceCodes;
use crate::reports::crypto;
use crate::reports::domain::{
    self, Category, Contact, Direction, Payee, ReportId, ReportStatus, RewardAction, RewardStatus,
};
use crate::reports::store::{self, NewReport, RewardChanges, RewardRow};
use crate::validate::{Invalid, Validator};

// =============================================================================================
// Views and inputs

#[derive(Debug, Serialize, ToSchema)]
pub struct ReporterMessageView {
    /// `bureau` (a message to you) or `reporter` (one you sent).
    pub from: String,
    pub body: String,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub at: NaiveDateTime,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReporterRewardView {
    pub amount_fen: i64,
    pub status: RewardStatus,
    pub decided_on: NaiveDate,
    /// The last day the reward may be claimed.
    pub claim_deadline: NaiveDate,
    pub paid_on: Option<NaiveDate>,
}

impl ReporterRewardView {
    fn from_row(r: &RewardRow, today: NaiveDate) -> Result<Self, ReportError> {
        let stored = internal_text(&r.status, RewardStatus::parse)?;
        Ok(Self {
            amount_fen: r.amount_fen,
            status: domain::effective_reward_status(stored, r.claim_deadline, today),
            decided_on: r.decided_on,
            claim_deadline: r.claim_deadline,
            paid_on: r.paid_on,
        })
    }
}

/// What a reporter sees with the receipt.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReporterView {
    pub tracking_number: String,
    pub status: ReportStatus,
    pub category: Category,
    pub industry: String,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub received_at: NaiveDateTime,
    pub concluded_on: Option<NaiveDate>,
    pub messages: Vec<ReporterMessageView>,
    /// Whether an administrator has opened the reporter's identity (never by whom).
    pub identity_opened: bool,
    pub reward: Option<ReporterRewardView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageCreated {
    pub id: i64,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub at: NaiveDateTime,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileReportRequest {
    /// An industry code.
    pub industry: String,
    pub category: Category,
    pub enterprise_name: Option<String>,
    /// The enterprise's unified social credit code, when known.
    pub enterprise_credit_code: Option<String>,
    /// A district code.
    pub district: Option<String>,
    pub location: Option<String>,
    pub occurred_on: Option<NaiveDate>,
    /// 20 to 5,000 characters.
    pub description: String,
    /// An employee reporting its own employer: name and phone are then required.
    pub is_employee: bool,
    pub reporter: Option<Contact>,
}

/// A filing that passed the checks that need no database ([`check_filing`]).
pub struct Filing {
    input: FileReportRequest,
    contact: Contact,
    credit_code: Option<String>,
    description: String,
    enterprise_name: Option<String>,
    location: Option<String>,
}

/// A report just filed.
#[derive(Debug)]
pub struct Filed {
    pub id: ReportId,
    pub tracking_number: String,
}

// =============================================================================================
// Filing

/// The checks of a filing that need no database, made before the receipt's slow hash: the
/// description 20 to 5,000 characters, a valid credit code, no occurrence in the future, the
/// contact fields well formed, and an employee reporting its employer gives name and phone
/// (employee reports are real-name by rule).
pub fn check_filing(input: FileReportRequest, today: NaiveDate) -> Result<Filing, Invalid> {
    let mut v = Validator::new();
    let description = v
        .text("description", &input.description, 20, 5_000)
        .unwrap_or_default();
    let optional_text = |v: &mut Validator, field: &str, s: &Option<String>, max: usize| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .and_then(|s| v.text(field, s, 1, max))
    };
    let enterprise_name = optional_text(&mut v, "enterprise_name", &input.enterprise_name, 200);
    let location = optional_text(&mut v, "location", &input.location, 300);
    let credit_code = input
        .enterprise_credit_code
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .and_then(|c| v.check("enterprise_credit_code", "invalid", CreditCode::parse(c)))
        .map(|c| c.as_str().to_owned());
    if input.occurred_on.is_some_and(|d| d > today) {
        v.add("occurred_on", "out_of_range", "must not be in the future");
    }
    let contact = domain::check_contact(
        &input.reporter.clone().unwrap_or_default(),
        "reporter.",
        &mut v,
    );
    if input.is_employee {
        // Employee reports are real-name by rule.
        if contact.name.is_none() {
            v.add(
                "reporter.name",
                "required",
                "an employee reporting its employer must give a name",
            );
        }
        if contact.phone.is_none() {
            v.add(
                "reporter.phone",
                "required",
                "an employee reporting its employer must give a phone number",
            );
        }
    }
    v.finish()?;
    Ok(Filing {
        input,
        contact,
        credit_code,
        description,
        enterprise_name,
        location,
    })
}

/// Files a checked report as `received`: the industry and district must be known codes; a
/// registered enterprise with the credit code is linked (and gives the district when none was
/// sent); the contact fields are sealed; only the receipt's hash is stored. The `filed` event
/// is the public's.
pub fn file(
    conn: &mut DbConn,
    now: Now,
    data_key: &[u8; 32],
    filing: &Filing,
    receipt_hash: String,
) -> Result<Filed, ReportError> {
    let codes = crate::enterprises::store::reference_codes(conn)?;
    let mut v = Validator::new();
    if !codes.has_industry(filing.input.industry.trim()) {
        v.add("industry", "unknown_code", "is not an industry code");
    }
    let district = filing
        .input
        .district
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty());
    if district.is_some_and(|d| !codes.has_district(d)) {
        v.add("district", "unknown_code", "is not a district code");
    }
    v.finish()?;
    let contact_sealed = if filing.contact.is_empty() {
        None
    } else {
        Some(crypto::seal_json(
            data_key,
            crypto::CONTACT,
            &filing.contact,
        )?)
    };
    let enterprise = match &filing.credit_code {
        Some(code) => store::enterprise_by_code(conn, code)?,
        None => None,
    };
    let row = store::insert_report(
        conn,
        &NewReport {
            receipt_hash,
            industry: filing.input.industry.trim().to_owned(),
            category: filing.input.category.as_str().to_owned(),
            enterprise_name: filing.enterprise_name.clone(),
            enterprise_credit_code: filing.credit_code.clone(),
            enterprise_id: enterprise.as_ref().map(|e| e.0.0),
            district: district
                .map(str::to_owned)
                .or_else(|| enterprise.as_ref().map(|e| e.1.clone())),
            location: filing.location.clone(),
            occurred_on: filing.input.occurred_on,
            description: filing.description.clone(),
            is_employee: filing.input.is_employee,
            contact_sealed,
            status: ReportStatus::Received.as_str().to_owned(),
            assignee_id: None,
            duplicate_of: None,
            findings: None,
            situation_code: None,
            accident_grade: None,
            concealed_deaths: None,
            filed_on: now.today,
            received_at: now.at,
            concluded_on: None,
            concluded_at: None,
            updated_at: now.at,
        },
    )?;
    audit::store::append_first(
        conn,
        "report",
        &row.id.to_string(),
        "filed",
        &Actor::PUBLIC,
        json!({
            "industry": row.industry, "category": row.category,
            "district": row.district, "enterprise_id": row.enterprise_id,
            "is_employee": row.is_employee, "anonymous": row.contact_sealed.is_none(),
        }),
        now.at,
    )?;
    let id = ReportId(row.id);
    Ok(Filed {
        id,
        tracking_number: domain::tracking_number(id, row.filed_on),
    })
}

// =============================================================================================
// Following

/// The report of a receipt's hash as its reporter sees it: status, the messages meant for the
/// reporter, whether the identity was opened, and the reward. `None`: no such receipt.
pub fn lookup(
    conn: &mut DbConn,
    today: NaiveDate,
    receipt_hash: &str,
) -> Result<Option<ReporterView>, ReportError> {
    let Some(report) = store::find_by_receipt_hash(conn, receipt_hash)? else {
        return Ok(None);
    };
    let id = ReportId(report.id);
    let messages = store::messages(
        conn,
        id,
        Some(&[
            Direction::ToReporter.as_str(),
            Direction::FromReporter.as_str(),
        ]),
    )?
    .into_iter()
    .map(|m| ReporterMessageView {
        from: if m.direction == Direction::ToReporter.as_str() {
            "bureau".into()
        } else {
            "reporter".into()
        },
        body: m.body,
        at: m.at,
    })
    .collect();
    let reward = store::reward_of_report(conn, id)?
        .map(|r| ReporterRewardView::from_row(&r, today))
        .transpose()?;
    Ok(Some(ReporterView {
        tracking_number: domain::tracking_number(id, report.filed_on),
        status: internal_text(&report.status, ReportStatus::parse)?,
        category: internal_text(&report.category, Category::parse)?,
        industry: report.industry,
        received_at: report.received_at,
        concluded_on: report.concluded_on,
        messages,
        identity_opened: report.identity_opened_at.is_some(),
        reward,
    }))
}

/// The checks of a reporter's message before its receipt's slow hash: a well-formed receipt
/// and a text of 1 to 5,000 characters (each problem named at once). Answers both, the text
/// trimmed.
pub fn check_message(receipt: &str, body: &str) -> Result<(domain::Receipt, String), Invalid> {
    let mut v = Validator::new();
    let receipt = v.check("receipt", "invalid", domain::Receipt::parse(receipt));
    let text = v.text("body", body, 1, 5_000);
    v.finish()?;
    match (receipt, text) {
        (Some(receipt), Some(text)) => Ok((receipt, text)),
        _ => Err(Invalid::field(
            "receipt",
            "invalid",
            "a receipt is 16 digits",
        )),
    }
}

/// The checks of a reward claim before its receipt's slow hash: a well-formed receipt and the
/// payee's name, phone and bank account (each problem named at once).
pub fn check_claim(receipt: &str, payee: &Payee) -> Result<(domain::Receipt, Payee), Invalid> {
    let mut v = Validator::new();
    let receipt = v.check("receipt", "invalid", domain::Receipt::parse(receipt));
    let payee = domain::check_payee(payee, &mut v);
    v.finish()?;
    let receipt =
        receipt.ok_or_else(|| Invalid::field("receipt", "invalid", "a receipt is 16 digits"))?;
    Ok((receipt, payee))
}

/// Adds the reporter's information (checked text) to the report of a receipt's hash.
/// [`ReportError::NotFound`]: no such receipt.
pub fn add_message(
    conn: &mut DbConn,
    at: NaiveDateTime,
    receipt_hash: &str,
    text: &str,
) -> Result<MessageCreated, ReportError> {
    let report = store::find_by_receipt_hash(conn, receipt_hash)?.ok_or(ReportError::NotFound)?;
    let id = ReportId(report.id);
    let m = store::insert_message(conn, id, Direction::FromReporter.as_str(), text, None, at)?;
    audit::store::append(
        conn,
        "report",
        &id.to_string(),
        "reporter_message",
        &Actor::PUBLIC,
        json!({"message_id": m.id}),
        at,
    )?;
    Ok(MessageCreated { id: m.id, at: m.at })
}

/// How a claim ended.
pub enum Claim {
    UnknownReceipt,
    /// Refused, with what the transaction wrote (a lapse) kept.
    Refused(ReportError),
    Claimed(ReporterRewardView),
}

/// Claims the decided reward of a receipt's report, naming the (checked) payee, sealed here.
/// Past the 60-day deadline the reward is written down as lapsed and the claim refused; a
/// reward not `decided` is refused by the state machine.
pub fn claim(
    conn: &mut DbConn,
    now: Now,
    data_key: &[u8; 32],
    receipt_hash: &str,
    payee: &Payee,
) -> Result<Claim, ReportError> {
    let Some(report) = store::find_by_receipt_hash(conn, receipt_hash)? else {
        return Ok(Claim::UnknownReceipt);
    };
    let Some(reward) = store::reward_of_report(conn, ReportId(report.id))? else {
        return Ok(Claim::Refused(ReportError::Conflict(
            "the report has no reward to claim".into(),
        )));
    };
    let id = domain::RewardId(reward.id);
    if store::lapse_overdue(conn, now.today, now.at, Some(id))? > 0 {
        return Ok(Claim::Refused(ReportError::InvalidTransition(
            "the claim period has ended; the reward has lapsed".into(),
        )));
    }
    let sealed = crypto::seal_json(data_key, crypto::PAYEE, payee)?;
    let changes = RewardChanges {
        payee_sealed: Some(Some(sealed)),
        claimed_at: Some(Some(now.at)),
        ..RewardChanges::to(RewardStatus::Claimed, now.at)
    };
    let event = ("claimed", &Actor::PUBLIC, json!({}));
    let row = super::rewards::settle(conn, &reward, RewardAction::Claim, changes, event)?;
    Ok(Claim::Claimed(ReporterRewardView::from_row(
        &row, now.today,
    )?))
}
