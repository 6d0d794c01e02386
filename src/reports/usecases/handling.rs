//! Staff handling a report (SPEC 5.2): the list and the detail, assignment, the start of the
//! investigation, messages, the conclusion, and the opening of the reporter's identity. Every
//! state change asks the state machine (`domain::transition`) first, then makes one
//! compare-and-set (`store::transition`) that `db::transition::settle` finishes.

use std::collections::HashSet;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::rewards::RewardView;
use super::{Now, ReportError, internal_text};
use crate::audit::{self, Actor, TimelineEntry};
use crate::db::DbConn;
use crate::db::transition::{self, Event};
use crate::error::ApiError;
use crate::http::pagination::{Page, PageRequest};
use crate::ids::{PenaltyId, UserId};
use crate::reports::crypto;
use crate::reports::domain::{
    self, AccidentGrade, Action, Category, Contact, Direction, Outcome, ReportId, ReportStatus,
    RuleKind,
};
use crate::reports::store::{self, MessageRow, ReportChanges, ReportFilter, ReportRow};
use crate::validate::{Invalid, Validator};

// =============================================================================================
// Views

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    pub id: i64,
    pub direction: Direction,
    pub body: String,
    pub author_id: Option<i64>,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub at: NaiveDateTime,
}

impl TryFrom<MessageRow> for MessageView {
    type Error = ApiError;
    fn try_from(m: MessageRow) -> Result<Self, ApiError> {
        Ok(Self {
            id: m.id,
            direction: internal_text(&m.direction, Direction::parse)?,
            body: m.body,
            author_id: m.author_id,
            at: m.at,
        })
    }
}

/// A report as staff see it: everything but the reporter's identity.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    pub id: ReportId,
    pub tracking_number: String,
    pub industry: String,
    pub category: Category,
    pub enterprise_name: Option<String>,
    pub enterprise_credit_code: Option<String>,
    /// The registered enterprise with that credit code, when there is one.
    pub enterprise_id: Option<i64>,
    pub district: Option<String>,
    pub location: Option<String>,
    pub occurred_on: Option<NaiveDate>,
    pub description: String,
    pub is_employee: bool,
    /// No contact field was given (a contact erased under the retention rule was given: false).
    pub anonymous: bool,
    pub status: ReportStatus,
    pub assignee_id: Option<i64>,
    pub duplicate_of: Option<ReportId>,
    pub findings: Option<String>,
    pub situation_code: Option<String>,
    pub accident_grade: Option<AccidentGrade>,
    pub concealed_deaths: Option<i32>,
    pub identity_opened: bool,
    pub filed_on: NaiveDate,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub received_at: NaiveDateTime,
    pub concluded_on: Option<NaiveDate>,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

impl TryFrom<ReportRow> for ReportView {
    type Error = ApiError;
    fn try_from(r: ReportRow) -> Result<Self, ApiError> {
        Ok(Self {
            id: ReportId(r.id),
            tracking_number: domain::tracking_number(ReportId(r.id), r.filed_on),
            category: internal_text(&r.category, Category::parse)?,
            status: internal_text(&r.status, ReportStatus::parse)?,
            accident_grade: r
                .accident_grade
                .as_deref()
                .map(|g| internal_text(g, AccidentGrade::parse))
                .transpose()?,
            anonymous: r.contact_sealed.is_none() && r.identity_erased_at.is_none(),
            identity_opened: r.identity_opened_at.is_some(),
            duplicate_of: r.duplicate_of.map(ReportId),
            industry: r.industry,
            enterprise_name: r.enterprise_name,
            enterprise_credit_code: r.enterprise_credit_code,
            enterprise_id: r.enterprise_id,
            district: r.district,
            location: r.location,
            occurred_on: r.occurred_on,
            description: r.description,
            is_employee: r.is_employee,
            assignee_id: r.assignee_id,
            findings: r.findings,
            situation_code: r.situation_code,
            concealed_deaths: r.concealed_deaths,
            filed_on: r.filed_on,
            received_at: r.received_at,
            concluded_on: r.concluded_on,
            updated_at: r.updated_at,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportDetail {
    #[serde(flatten)]
    pub report: ReportView,
    /// The penalties the report led to (named at conclusion).
    pub penalty_ids: Vec<i64>,
    /// Every message: from the reporter, to the reporter, and internal notes.
    pub messages: Vec<MessageView>,
    pub reward: Option<RewardView>,
    pub timeline: Vec<TimelineEntry>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IdentityView {
    pub report_id: ReportId,
    /// The reporter gave no contact field.
    pub anonymous: bool,
    #[serde(flatten)]
    pub contact: Contact,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConcludeRequest {
    pub outcome: Outcome,
    /// 1 to 5,000 characters.
    pub findings: String,
    /// Required for, and only for, `duplicate`: an earlier report on the same matter.
    pub duplicate_of: Option<i64>,
    /// The penalties the report led to (their fines set `major_hazard` and
    /// `illegal_production` rewards).
    pub penalty_ids: Option<Vec<i64>>,
    /// The reward situation the report matched; its rule replaces the category default.
    pub situation_code: Option<String>,
    /// Required, with `concealed_deaths`, for a substantiated accident report.
    pub accident_grade: Option<AccidentGrade>,
    pub concealed_deaths: Option<i64>,
}

// =============================================================================================
// Reads

/// Reports, newest first, without the reporters' identities; the filter's industry and
/// district must be known codes.
pub fn list(
    conn: &mut DbConn,
    filter: &ReportFilter,
    page: PageRequest,
) -> Result<Page<ReportView>, ReportError> {
    crate::enterprises::store::check_filter_codes(
        conn,
        filter.industry.as_deref(),
        filter.district.as_deref(),
    )?;
    let rows = store::list_reports(conn, filter, page.before_id, page.fetch())?;
    Ok(Page::of(rows, page, |r| r.id, ReportView::try_from)?)
}

/// One report with its messages, the penalties it led to, its reward and its timeline; never
/// the reporter's identity.
pub fn detail(
    conn: &mut DbConn,
    today: NaiveDate,
    id: ReportId,
) -> Result<ReportDetail, ReportError> {
    let row = store::find_report(conn, id)?.ok_or(ReportError::NotFound)?;
    report_detail(conn, row, today)
}

fn report_detail(
    conn: &mut DbConn,
    row: ReportRow,
    today: NaiveDate,
) -> Result<ReportDetail, ReportError> {
    let id = ReportId(row.id);
    let messages = store::messages(conn, id, None)?
        .into_iter()
        .map(MessageView::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    let reward = store::reward_of_report(conn, id)?
        .map(|r| RewardView::from_row(r, today))
        .transpose()?;
    Ok(ReportDetail {
        penalty_ids: store::penalty_ids(conn, id)?
            .into_iter()
            .map(|p| p.0)
            .collect(),
        messages,
        reward,
        timeline: audit::store::timeline(conn, "report", &id.to_string())?,
        report: ReportView::try_from(row)?,
    })
}

// =============================================================================================
// Transitions

/// The state machine first: the states `action` may start from, or 409 naming the report's.
fn allowed(report: &ReportRow, action: Action) -> Result<&'static [ReportStatus], ReportError> {
    let status = internal_text(&report.status, ReportStatus::parse)?;
    if domain::may(action, status) {
        Ok(domain::transition(action).0)
    } else {
        Err(transition::refused("the report", status.as_str()).into())
    }
}

/// Makes the compare-and-set of a report's transition and finishes it: the audit event on a
/// win, 409 naming the current state for the loser of a race.
fn settle(
    conn: &mut DbConn,
    report: &ReportRow,
    from: &[ReportStatus],
    changes: &ReportChanges,
    event: (&str, &Actor, Value),
) -> Result<ReportRow, ReportError> {
    let id = ReportId(report.id);
    let updated = store::transition_report(conn, id, from, changes)?;
    let (action, actor, payload) = event;
    Ok(transition::settle(
        conn,
        updated,
        "the report",
        |conn| store::report_status(conn, id),
        Event {
            aggregate: "report",
            id: id.0,
            action,
            actor,
            payload,
            at: changes.updated_at,
        },
    )?)
}

/// Assigns a `received` (or reassigns an `assigned`) report to an active inspector or admin.
pub fn assign(
    conn: &mut DbConn,
    now: Now,
    actor: &Actor,
    id: ReportId,
    inspector: UserId,
) -> Result<ReportDetail, ReportError> {
    let report = store::find_report(conn, id)?.ok_or(ReportError::NotFound)?;
    if !store::is_assignable(conn, inspector)? {
        return Err(Invalid::field("inspector_id", "invalid", "is not an active inspector").into());
    }
    let from = allowed(&report, Action::Assign)?;
    let changes = ReportChanges {
        assignee_id: Some(Some(inspector.0)),
        ..ReportChanges::to(ReportStatus::Assigned, now.at)
    };
    let event = ("assigned", actor, json!({"inspector_id": inspector.0}));
    let row = settle(conn, &report, from, &changes, event)?;
    report_detail(conn, row, now.today)
}

/// Starts the investigation of an `assigned` report.
pub fn start(
    conn: &mut DbConn,
    now: Now,
    actor: &Actor,
    id: ReportId,
) -> Result<ReportDetail, ReportError> {
    let report = store::find_report(conn, id)?.ok_or(ReportError::NotFound)?;
    let from = allowed(&report, Action::Start)?;
    let changes = ReportChanges::to(ReportStatus::Investigating, now.at);
    let event = ("investigation_started", actor, json!({}));
    let row = settle(conn, &report, from, &changes, event)?;
    report_detail(conn, row, now.today)
}

/// Adds a staff message (1 to 5,000 characters) to a report: to the reporter, who sees it on
/// lookup, or an internal note. The author is the actor.
pub fn add_message(
    conn: &mut DbConn,
    at: NaiveDateTime,
    actor: &Actor,
    id: ReportId,
    body: &str,
    to_reporter: bool,
) -> Result<MessageView, ReportError> {
    let mut v = Validator::new();
    let text = v.text("body", body, 1, 5_000);
    v.finish()?;
    let text = text.unwrap_or_default();
    store::find_report(conn, id)?.ok_or(ReportError::NotFound)?;
    let direction = if to_reporter {
        Direction::ToReporter
    } else {
        Direction::Internal
    };
    let m = store::insert_message(conn, id, direction.as_str(), &text, actor.user_id, at)?;
    audit::store::append(
        conn,
        "report",
        &id.to_string(),
        "message_added",
        actor,
        json!({"message_id": m.id, "to_reporter": to_reporter}),
        at,
    )?;
    Ok(MessageView::try_from(m)?)
}

/// Concludes an `investigating` report as substantiated, unsubstantiated or a duplicate of an
/// earlier report, naming the penalties it led to and the reward situation it matched. A
/// substantiated accident report (or one matching a per-death situation) needs the accident's
/// grade and the number of concealed deaths. Every bad field is named at once; then the state
/// machine; then the compare-and-set.
pub fn conclude(
    conn: &mut DbConn,
    now: Now,
    actor: &Actor,
    id: ReportId,
    input: ConcludeRequest,
) -> Result<ReportDetail, ReportError> {
    let report = store::find_report(conn, id)?.ok_or(ReportError::NotFound)?;
    let category = internal_text(&report.category, Category::parse)?;
    let mut v = Validator::new();
    let findings = v.text("findings", &input.findings, 1, 5_000);
    match (input.outcome, input.duplicate_of) {
        (Outcome::Duplicate, None) => {
            v.add(
                "duplicate_of",
                "required",
                "a duplicate names the earlier report",
            );
        }
        (Outcome::Duplicate, Some(d)) => {
            if d >= id.0 || store::find_report(conn, ReportId(d))?.is_none() {
                v.add(
                    "duplicate_of",
                    "invalid",
                    "must name an earlier report on the same matter",
                );
            }
        }
        (_, Some(_)) => {
            v.add(
                "duplicate_of",
                "invalid",
                "only a duplicate names another report",
            );
        }
        (_, None) => {}
    }
    let mut penalty_ids: Vec<PenaltyId> = input
        .penalty_ids
        .iter()
        .flatten()
        .map(|p| PenaltyId(*p))
        .collect();
    let existing: HashSet<PenaltyId> = store::existing_penalties(conn, &penalty_ids)?
        .into_iter()
        .collect();
    let mut seen = HashSet::new();
    for (i, p) in penalty_ids.iter().enumerate() {
        if !existing.contains(p) {
            v.add(format!("penalty_ids[{i}]"), "not_found", "is not a penalty");
        } else if !seen.insert(*p) {
            v.add(format!("penalty_ids[{i}]"), "duplicate", "is named twice");
        }
    }
    penalty_ids.sort_unstable();
    penalty_ids.dedup();
    let situation = match input.situation_code.as_deref().map(str::trim) {
        Some(code) => {
            let s = store::find_situation(conn, code)?;
            if s.is_none() {
                v.add(
                    "situation_code",
                    "unknown_code",
                    "is not a reward situation",
                );
            }
            s
        }
        None => None,
    };
    let per_death = category.is_accident()
        || situation
            .as_ref()
            .is_some_and(|s| s.kind == RuleKind::PerDeath.as_str());
    if input.outcome == Outcome::Substantiated && per_death {
        if input.accident_grade.is_none() {
            v.add(
                "accident_grade",
                "required",
                "an accident report needs the accident's grade",
            );
        }
        if input.concealed_deaths.is_none() {
            v.add(
                "concealed_deaths",
                "required",
                "an accident report needs the number of concealed deaths",
            );
        }
    }
    if input
        .concealed_deaths
        .is_some_and(|n| !(0..=10_000).contains(&n))
    {
        v.add("concealed_deaths", "out_of_range", "must be 0 to 10,000");
    }
    v.finish()?;
    let from = allowed(&report, Action::Conclude)?;
    let situation_code = situation.as_ref().map(|s| s.code.clone());
    let changes = ReportChanges {
        duplicate_of: Some(input.duplicate_of),
        findings: Some(findings.clone()),
        situation_code: Some(situation_code.clone()),
        accident_grade: Some(store::grade_text(input.accident_grade)),
        concealed_deaths: Some(input.concealed_deaths.map(|n| n as i32)),
        concluded_on: Some(Some(now.today)),
        concluded_at: Some(Some(now.at)),
        ..ReportChanges::to(input.outcome.status(), now.at)
    };
    let payload = json!({
        "outcome": input.outcome.as_str(), "findings": findings,
        "duplicate_of": input.duplicate_of,
        "penalty_ids": penalty_ids.iter().map(|p| p.0).collect::<Vec<_>>(),
        "situation_code": situation_code,
        "accident_grade": input.accident_grade.map(|g| g.as_str()),
        "concealed_deaths": input.concealed_deaths,
    });
    let row = settle(conn, &report, from, &changes, ("concluded", actor, payload))?;
    store::link_penalties(conn, id, &penalty_ids)?;
    report_detail(conn, row, now.today)
}

/// Opens the reporter's contact fields for an administrator, with a reason kept in the audit
/// trail (10 to 500 characters); the reporter's lookup then shows that the identity was opened
/// (not by whom). A contact erased under the retention rule is gone: 409 `conflict`.
pub fn open_identity(
    conn: &mut DbConn,
    at: NaiveDateTime,
    actor: &Actor,
    data_key: &[u8; 32],
    id: ReportId,
    reason: &str,
) -> Result<IdentityView, ReportError> {
    let mut v = Validator::new();
    let reason = v.text("reason", reason, domain::MIN_REASON_CHARS, 500);
    v.finish()?;
    let report = store::find_report(conn, id)?.ok_or(ReportError::NotFound)?;
    if let (None, Some(erased)) = (&report.contact_sealed, report.identity_erased_at) {
        return Err(ReportError::Conflict(format!(
            "the reporter's contact was erased on {} under the retention rule",
            erased.date()
        )));
    }
    let contact: Contact = match &report.contact_sealed {
        Some(sealed) => crypto::open_json(data_key, crypto::CONTACT, sealed)?,
        None => Contact::default(),
    };
    store::mark_identity_opened(conn, id, at)?;
    audit::store::append(
        conn,
        "report",
        &id.to_string(),
        "identity_opened",
        actor,
        json!({"reason": reason}),
        at,
    )?;
    Ok(IdentityView {
        report_id: id,
        anonymous: report.contact_sealed.is_none(),
        contact,
    })
}
