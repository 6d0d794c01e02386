//! Rewards (SPEC 5.3): the decision by the rules in force when the report was filed, the
//! payment of a claimed reward, the list and the detail, and the reward rules. The amounts
//! themselves are `domain::calculate` and `domain::check_override`; the reward's states are
//! `domain::RewardAction`.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::{Now, ReportError, internal_text, to_json};
use crate::audit::{self, Actor, TimelineEntry};
use crate::db::DbConn;
use crate::db::transition::{self, Event};
use crate::error::ApiError;
use crate::http::pagination::{Page, PageRequest};
use crate::reports::crypto;
use crate::reports::domain::{
    self, AccidentGrade, AmountRule, Breakdown, Category, Payee, ReportId, ReportStatus,
    RewardAction, RewardCase, RewardId, RewardStatus, RuleFigures, RuleKind,
};
use crate::reports::store::{
    self, NewReward, NewRule, ReportRow, RewardChanges, RewardFilter, RewardRow, RuleRow,
};
use crate::validate::Validator;

// =============================================================================================
// Views and inputs

#[derive(Debug, Serialize, ToSchema)]
pub struct RewardView {
    pub id: RewardId,
    pub report_id: ReportId,
    pub industry: String,
    /// As of today: a decided reward past its claim deadline reads `lapsed`.
    pub status: RewardStatus,
    pub amount_fen: i64,
    pub overridden: bool,
    pub override_reason: Option<String>,
    pub breakdown: Breakdown,
    pub decided_on: NaiveDate,
    pub claim_deadline: NaiveDate,
    #[serde(serialize_with = "crate::clock::utc::option::serialize")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub claimed_at: Option<NaiveDateTime>,
    pub paid_on: Option<NaiveDate>,
    pub payment_reference: Option<String>,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

impl RewardView {
    pub fn from_row(r: RewardRow, today: NaiveDate) -> Result<Self, ApiError> {
        let stored = internal_text(&r.status, RewardStatus::parse)?;
        Ok(Self {
            id: RewardId(r.id),
            report_id: ReportId(r.report_id),
            industry: r.industry,
            status: domain::effective_reward_status(stored, r.claim_deadline, today),
            amount_fen: r.amount_fen,
            overridden: r.overridden,
            override_reason: r.override_reason,
            breakdown: serde_json::from_str(&r.breakdown).map_err(ApiError::internal)?,
            decided_on: r.decided_on,
            claim_deadline: r.claim_deadline,
            claimed_at: r.claimed_at,
            paid_on: r.paid_on,
            payment_reference: r.payment_reference,
            updated_at: r.updated_at,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RewardDetail {
    #[serde(flatten)]
    pub reward: RewardView,
    /// Decrypted for the admin paying it, once claimed.
    pub payee: Option<Payee>,
    pub timeline: Vec<TimelineEntry>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RewardRequest {
    /// An amount other than the computed one: within `[floor_fen, cap_fen]`, with a reason.
    pub amount_fen: Option<i64>,
    /// At least 10 characters, required with an overridden amount.
    pub override_reason: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayRequest {
    /// Not in the future, not before the decision.
    pub paid_on: NaiveDate,
    /// The payment's reference (transfer number): 1 to 100 characters.
    pub reference: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleView {
    pub id: i64,
    pub category: Category,
    pub kind: RuleKind,
    pub amount_fen: Option<i64>,
    pub rate: Option<f64>,
    pub per_death_general_fen: Option<i64>,
    pub per_death_larger_fen: Option<i64>,
    pub per_death_major_fen: Option<i64>,
    pub per_death_especially_major_fen: Option<i64>,
    pub floor_fen: Option<i64>,
    pub cap_fen: Option<i64>,
    pub uplift_rate: f64,
    pub effective_from: NaiveDate,
}

impl TryFrom<RuleRow> for RuleView {
    type Error = ApiError;
    fn try_from(r: RuleRow) -> Result<Self, ApiError> {
        Ok(Self {
            id: r.id,
            category: internal_text(&r.category, Category::parse)?,
            kind: internal_text(&r.kind, RuleKind::parse)?,
            amount_fen: r.amount_fen,
            rate: r.rate_bp.map(|b| f64::from(b) / domain::BP as f64),
            per_death_general_fen: r.per_death_general_fen,
            per_death_larger_fen: r.per_death_larger_fen,
            per_death_major_fen: r.per_death_major_fen,
            per_death_especially_major_fen: r.per_death_especially_major_fen,
            floor_fen: r.floor_fen,
            cap_fen: r.cap_fen,
            uplift_rate: f64::from(r.uplift_bp) / domain::BP as f64,
            effective_from: r.effective_from,
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    pub category: Category,
    pub kind: RuleKind,
    #[serde(flatten)]
    pub figures: RuleFigures,
    /// The employee uplift as a fraction (default 0.2).
    pub uplift_rate: Option<f64>,
    /// Today or later: a rule never changes the past.
    pub effective_from: NaiveDate,
}

// =============================================================================================
// Rewards

/// The rule that applies to a concluded report and the case for the calculation: the named
/// situation's rule, or else the category's rule in force on the filing date; the employee
/// uplift is always the category rule's.
pub fn reward_case(conn: &mut DbConn, report: &ReportRow) -> Result<RewardCase, ReportError> {
    let category = internal_text(&report.category, Category::parse)?;
    let default =
        store::rule_in_force(conn, category.as_str(), report.filed_on)?.ok_or_else(|| {
            ReportError::Conflict("no reward rule was in force when the report was filed".into())
        })?;
    let (rule_name, rule, situation_code): (String, AmountRule, Option<String>) =
        match &report.situation_code {
            Some(code) => {
                let s = store::find_situation(conn, code)?
                    .ok_or_else(|| ApiError::internal("a named situation is missing"))?;
                (
                    format!("situation:{code}"),
                    s.amount_rule()?,
                    Some(code.clone()),
                )
            }
            None => (
                format!("category:{}@{}", category.as_str(), default.effective_from),
                default.amount_rule()?,
                None,
            ),
        };
    Ok(RewardCase {
        rule_name,
        situation_code,
        rule,
        uplift_bp: default.uplift_bp,
        is_employee: report.is_employee,
        duplicate: report.status == ReportStatus::Duplicate.as_str(),
        fines_fen: store::linked_fines(conn, ReportId(report.id))?,
        accident_grade: report
            .accident_grade
            .as_deref()
            .and_then(AccidentGrade::parse),
        deaths: report.concealed_deaths,
    })
}

/// Decides the reward of a substantiated report, once, by the rules in force when it was filed
/// (or the named situation's rule). An amount other than the computed one must lie within the
/// rule's bounds and come with a reason of at least 10 characters; a rule that computes
/// nothing decides no reward. The claim period starts today.
pub fn decide(
    conn: &mut DbConn,
    now: Now,
    actor: &Actor,
    id: ReportId,
    input: &RewardRequest,
) -> Result<RewardView, ReportError> {
    let report = store::find_report(conn, id)?.ok_or(ReportError::NotFound)?;
    if report.status != ReportStatus::Substantiated.as_str() {
        return Err(ReportError::Conflict(
            "only a substantiated report is rewarded".into(),
        ));
    }
    if store::reward_of_report(conn, id)?.is_some() {
        return Err(ReportError::Conflict(
            "the report already has a reward".into(),
        ));
    }
    let case = reward_case(conn, &report)?;
    let breakdown = domain::calculate(&case).map_err(|e| ReportError::Conflict(e.to_string()))?;
    let amount = input.amount_fen.unwrap_or(breakdown.amount_fen);
    let reason = input
        .override_reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let mut v = Validator::new();
    for (field, message) in domain::check_override(&breakdown, amount, reason) {
        v.add(field, "invalid", message);
    }
    v.finish()?;
    if amount <= 0 {
        return Err(ReportError::Conflict("the rule computes no reward".into()));
    }
    let overridden = amount != breakdown.amount_fen;
    let row = store::insert_reward(
        conn,
        &NewReward {
            report_id: id.0,
            industry: report.industry.clone(),
            status: RewardStatus::Decided.as_str().to_owned(),
            amount_fen: amount,
            computed_fen: breakdown.amount_fen,
            overridden,
            override_reason: overridden.then(|| reason.map(str::to_owned)).flatten(),
            breakdown: to_json(&breakdown)?.to_string(),
            decided_by: actor.user_id.map(|u| u.0),
            decided_at: now.at,
            decided_on: now.today,
            claim_deadline: domain::claim_deadline(now.today),
            payee_sealed: None,
            claimed_at: None,
            paid_on: None,
            payment_reference: None,
            updated_at: now.at,
        },
    )?;
    audit::store::append_first(
        conn,
        "reward",
        &row.id.to_string(),
        "decided",
        actor,
        json!({
            "report_id": id.0, "amount_fen": amount, "computed_fen": breakdown.amount_fen,
            "overridden": overridden, "override_reason": row.override_reason,
            "breakdown": to_json(&breakdown)?,
        }),
        now.at,
    )?;
    audit::store::append(
        conn,
        "report",
        &id.to_string(),
        "reward_decided",
        actor,
        json!({"reward_id": row.id, "amount_fen": amount}),
        now.at,
    )?;
    Ok(RewardView::from_row(row, now.today)?)
}

/// Rewards newest first, as readers see them today; the filter's industry must be a known code.
pub fn list(
    conn: &mut DbConn,
    today: NaiveDate,
    filter: &RewardFilter,
    page: PageRequest,
) -> Result<Page<RewardView>, ReportError> {
    crate::enterprises::store::check_filter_codes(conn, filter.industry.as_deref(), None)?;
    let rows = store::list_rewards(conn, filter, today, page.before_id, page.fetch())?;
    Ok(Page::of(
        rows,
        page,
        |r| r.id,
        |r| RewardView::from_row(r, today),
    )?)
}

/// One reward with its timeline and, once claimed, the decrypted payee. A decided reward past
/// its deadline is written down as lapsed first.
pub fn detail(
    conn: &mut DbConn,
    now: Now,
    data_key: &[u8; 32],
    id: RewardId,
) -> Result<RewardDetail, ReportError> {
    store::find_reward(conn, id)?.ok_or(ReportError::NotFound)?;
    store::lapse_overdue(conn, now.today, now.at, Some(id))?;
    let row = store::find_reward(conn, id)?.ok_or(ReportError::NotFound)?;
    reward_detail(conn, row, now.today, data_key)
}

fn reward_detail(
    conn: &mut DbConn,
    row: RewardRow,
    today: NaiveDate,
    data_key: &[u8; 32],
) -> Result<RewardDetail, ReportError> {
    let payee = row
        .payee_sealed
        .as_deref()
        .map(|s| crypto::open_json::<Payee>(data_key, crypto::PAYEE, s))
        .transpose()?;
    let timeline = audit::store::timeline(conn, "reward", &row.id.to_string())?;
    Ok(RewardDetail {
        reward: RewardView::from_row(row, today)?,
        payee,
        timeline,
    })
}

/// Makes the compare-and-set of a reward's transition, the state machine asked first, and
/// finishes it: the audit event on a win, 409 naming the current state otherwise.
pub(super) fn settle(
    conn: &mut DbConn,
    reward: &RewardRow,
    action: RewardAction,
    changes: RewardChanges,
    event: (&str, &Actor, serde_json::Value),
) -> Result<RewardRow, ReportError> {
    let id = RewardId(reward.id);
    let stored = internal_text(&reward.status, RewardStatus::parse)?;
    if !action.may(stored) {
        return Err(transition::refused("the reward", stored.as_str()).into());
    }
    let (from, to) = action.transition();
    let changes = RewardChanges {
        status: to.as_str(),
        ..changes
    };
    let updated = store::transition_reward(conn, id, from, &changes)?;
    let (name, actor, payload) = event;
    Ok(transition::settle(
        conn,
        updated,
        "the reward",
        |conn| store::reward_status(conn, id),
        Event {
            aggregate: "reward",
            id: id.0,
            action: name,
            actor,
            payload,
            at: changes.updated_at,
        },
    )?)
}

/// Records the payment of a `claimed` reward: paid today or earlier, not before the decision,
/// with the transfer's reference (1 to 100 characters).
pub fn pay(
    conn: &mut DbConn,
    now: Now,
    actor: &Actor,
    data_key: &[u8; 32],
    id: RewardId,
    input: &PayRequest,
) -> Result<RewardDetail, ReportError> {
    let current = store::find_reward(conn, id)?.ok_or(ReportError::NotFound)?;
    let mut v = Validator::new();
    let reference = v.text("reference", &input.reference, 1, 100);
    if input.paid_on > now.today {
        v.add("paid_on", "out_of_range", "must not be in the future");
    } else if input.paid_on < current.decided_on {
        v.add("paid_on", "out_of_range", "must not be before the decision");
    }
    v.finish()?;
    let changes = RewardChanges {
        paid_on: Some(Some(input.paid_on)),
        payment_reference: Some(reference.clone()),
        ..RewardChanges::to(RewardStatus::Paid, now.at)
    };
    let payload = json!({"paid_on": input.paid_on.to_string(), "reference": reference});
    let row = settle(
        conn,
        &current,
        RewardAction::Pay,
        changes,
        ("paid", actor, payload),
    )?;
    reward_detail(conn, row, now.today, data_key)
}

// =============================================================================================
// Rules

/// Every version of the reward rules, newest first.
pub fn list_rules(
    conn: &mut DbConn,
    category: Option<Category>,
    page: PageRequest,
) -> Result<Page<RuleView>, ReportError> {
    let category = category.map(Category::as_str);
    let rows = store::list_rules(conn, category, page.before_id, page.fetch())?;
    Ok(Page::of(rows, page, |r| r.id, RuleView::try_from)?)
}

/// Adds a version of a category's reward rule, in force from `effective_from` (today or later:
/// a rule never changes the past) for reports filed from that day; one version per category
/// and date. Without an uplift rate, the employee uplift is `domain::DEFAULT_UPLIFT_BP`.
pub fn create_rule(
    conn: &mut DbConn,
    now: Now,
    actor: &Actor,
    input: &RuleInput,
) -> Result<RuleView, ReportError> {
    let mut v = Validator::new();
    let rule = domain::check_rule(input.kind, &input.figures, "", &mut v);
    let uplift_bp = domain::uplift_bp(input.uplift_rate);
    if uplift_bp.is_none() {
        v.add("uplift_rate", "out_of_range", "must be 0 to 1");
    }
    if input.effective_from < now.today {
        v.add(
            "effective_from",
            "out_of_range",
            "a rule cannot take effect in the past",
        );
    }
    v.finish()?;
    let (Some(rule), Some(uplift_bp)) = (rule, uplift_bp) else {
        return Err(ApiError::internal("validator passed without values").into());
    };
    let per = rule.per_death_fen;
    let row = store::insert_rule(
        conn,
        &NewRule {
            category: input.category.as_str().to_owned(),
            kind: rule.kind.as_str().to_owned(),
            amount_fen: rule.amount_fen,
            rate_bp: rule.rate_bp,
            per_death_general_fen: per.map(|t| t[0]),
            per_death_larger_fen: per.map(|t| t[1]),
            per_death_major_fen: per.map(|t| t[2]),
            per_death_especially_major_fen: per.map(|t| t[3]),
            floor_fen: rule.floor_fen,
            cap_fen: rule.cap_fen,
            uplift_bp,
            effective_from: input.effective_from,
            created_at: now.at,
        },
    )?;
    let view = RuleView::try_from(row)?;
    audit::store::append_first(
        conn,
        "reward_rule",
        &view.id.to_string(),
        "created",
        actor,
        to_json(&view)?,
        now.at,
    )?;
    Ok(view)
}
