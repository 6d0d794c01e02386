//! Reward rules (the category defaults, versioned by date) and rewards.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::db::{DbConn, is_unique_violation};
use crate::error::ApiError;
use crate::ids::{ReportId, RewardId};
use crate::reports::domain::{AmountRule, RewardAction, RewardStatus, RuleKind};
use crate::schema::{reward_rules, rewards};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reward_rules)]
pub struct RuleRow {
    pub id: i64,
    pub category: String,
    pub kind: String,
    pub amount_fen: Option<i64>,
    pub rate_bp: Option<i32>,
    pub per_death_general_fen: Option<i64>,
    pub per_death_larger_fen: Option<i64>,
    pub per_death_major_fen: Option<i64>,
    pub per_death_especially_major_fen: Option<i64>,
    pub floor_fen: Option<i64>,
    pub cap_fen: Option<i64>,
    pub uplift_bp: i32,
    pub effective_from: NaiveDate,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = reward_rules)]
pub struct NewRule {
    pub category: String,
    pub kind: String,
    pub amount_fen: Option<i64>,
    pub rate_bp: Option<i32>,
    pub per_death_general_fen: Option<i64>,
    pub per_death_larger_fen: Option<i64>,
    pub per_death_major_fen: Option<i64>,
    pub per_death_especially_major_fen: Option<i64>,
    pub floor_fen: Option<i64>,
    pub cap_fen: Option<i64>,
    pub uplift_bp: i32,
    pub effective_from: NaiveDate,
    pub created_at: NaiveDateTime,
}

/// A stored rule's columns (a category default's or a situation's) as its [`AmountRule`]; a
/// kind the service did not write is a broken row (500). The per-death table is whole or
/// absent (general, larger, major, especially major).
pub(super) fn amount_rule(
    kind: &str,
    amount_fen: Option<i64>,
    rate_bp: Option<i32>,
    [g, l, m, e]: [Option<i64>; 4],
    floor_fen: Option<i64>,
    cap_fen: Option<i64>,
) -> Result<AmountRule, ApiError> {
    let per_death_fen = match (g, l, m, e) {
        (Some(g), Some(l), Some(m), Some(e)) => Some([g, l, m, e]),
        _ => None,
    };
    Ok(AmountRule {
        kind: RuleKind::parse(kind)
            .ok_or_else(|| ApiError::internal("unknown rule kind stored"))?,
        amount_fen,
        rate_bp,
        per_death_fen,
        floor_fen,
        cap_fen,
    })
}

impl RuleRow {
    pub fn amount_rule(&self) -> Result<AmountRule, ApiError> {
        amount_rule(
            &self.kind,
            self.amount_fen,
            self.rate_bp,
            [
                self.per_death_general_fen,
                self.per_death_larger_fen,
                self.per_death_major_fen,
                self.per_death_especially_major_fen,
            ],
            self.floor_fen,
            self.cap_fen,
        )
    }
}

/// Every column of `rewards`, in table order.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = rewards)]
pub struct RewardRow {
    pub id: i64,
    pub report_id: i64,
    pub industry: String,
    pub status: String,
    pub amount_fen: i64,
    pub computed_fen: i64,
    pub overridden: bool,
    pub override_reason: Option<String>,
    pub breakdown: String,
    pub decided_by: Option<i64>,
    pub decided_at: NaiveDateTime,
    pub decided_on: NaiveDate,
    pub claim_deadline: NaiveDate,
    pub payee_sealed: Option<String>,
    pub claimed_at: Option<NaiveDateTime>,
    pub paid_on: Option<NaiveDate>,
    pub payment_reference: Option<String>,
    pub lapsed_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = rewards)]
pub struct NewReward {
    pub report_id: i64,
    pub industry: String,
    pub status: String,
    pub amount_fen: i64,
    pub computed_fen: i64,
    pub overridden: bool,
    pub override_reason: Option<String>,
    pub breakdown: String,
    pub decided_by: Option<i64>,
    pub decided_at: NaiveDateTime,
    pub decided_on: NaiveDate,
    pub claim_deadline: NaiveDate,
    pub payee_sealed: Option<String>,
    pub claimed_at: Option<NaiveDateTime>,
    pub paid_on: Option<NaiveDate>,
    pub payment_reference: Option<String>,
    pub updated_at: NaiveDateTime,
}

/// The rule of `category` in force on `on`: the latest `effective_from` not after it.
pub fn rule_in_force(
    conn: &mut DbConn,
    category: &str,
    on: NaiveDate,
) -> Result<Option<RuleRow>, ApiError> {
    Ok(reward_rules::table
        .filter(reward_rules::category.eq(category))
        .filter(reward_rules::effective_from.le(on))
        .order(reward_rules::effective_from.desc())
        .select(RuleRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn insert_rule(conn: &mut DbConn, row: &NewRule) -> Result<RuleRow, ApiError> {
    diesel::insert_into(reward_rules::table)
        .values(row)
        .returning(reward_rules::all_columns)
        .get_result(conn)
        .map_err(|e| {
            if is_unique_violation(&e) {
                ApiError::Conflict(
                    "a rule of this category is already effective from that date".into(),
                )
            } else {
                e.into()
            }
        })
}

pub fn list_rules(
    conn: &mut DbConn,
    category: Option<&str>,
    before_id: Option<i64>,
    fetch: i64,
) -> Result<Vec<RuleRow>, ApiError> {
    let mut q = reward_rules::table
        .select(RuleRow::as_select())
        .into_boxed();
    if let Some(c) = category {
        q = q.filter(reward_rules::category.eq(c.to_owned()));
    }
    if let Some(b) = before_id {
        q = q.filter(reward_rules::id.lt(b));
    }
    Ok(q.order(reward_rules::id.desc()).limit(fetch).load(conn)?)
}

pub fn insert_reward(conn: &mut DbConn, row: &NewReward) -> Result<RewardRow, ApiError> {
    diesel::insert_into(rewards::table)
        .values(row)
        .returning(rewards::all_columns)
        .get_result(conn)
        .map_err(|e| {
            if is_unique_violation(&e) {
                ApiError::Conflict("the report already has a reward".into())
            } else {
                e.into()
            }
        })
}

pub fn insert_rewards(conn: &mut DbConn, rows: &[NewReward]) -> Result<(), ApiError> {
    for chunk in rows.chunks(500) {
        crate::db::on_backend!(conn, |c| diesel::insert_into(rewards::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

pub fn find_reward(conn: &mut DbConn, id: RewardId) -> Result<Option<RewardRow>, ApiError> {
    Ok(rewards::table
        .find(id.0)
        .select(RewardRow::as_select())
        .get_result(conn)
        .optional()?)
}

pub fn reward_of_report(
    conn: &mut DbConn,
    report: ReportId,
) -> Result<Option<RewardRow>, ApiError> {
    Ok(rewards::table
        .filter(rewards::report_id.eq(report.0))
        .select(RewardRow::as_select())
        .get_result(conn)
        .optional()?)
}

#[derive(Debug, Default, Clone)]
pub struct RewardFilter {
    /// The stored status (a `decided` reward past its deadline reads as `lapsed`; see
    /// [`list_rewards`]).
    pub status: Option<RewardStatus>,
    pub industry: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// Rewards newest first. `decided` and `lapsed` are filtered as readers see them: a decided
/// reward whose claim deadline is before `today` counts as lapsed.
pub fn list_rewards(
    conn: &mut DbConn,
    f: &RewardFilter,
    today: NaiveDate,
    before_id: Option<i64>,
    fetch: i64,
) -> Result<Vec<RewardRow>, ApiError> {
    use RewardStatus as S;
    let mut q = rewards::table.select(RewardRow::as_select()).into_boxed();
    match f.status {
        Some(S::Decided) => {
            q = q
                .filter(rewards::status.eq("decided"))
                .filter(rewards::claim_deadline.ge(today));
        }
        Some(S::Lapsed) => {
            q = q.filter(
                rewards::status.eq("lapsed").or(rewards::status
                    .eq("decided")
                    .and(rewards::claim_deadline.lt(today))),
            );
        }
        Some(s) => q = q.filter(rewards::status.eq(s.as_str())),
        None => {}
    }
    if let Some(i) = &f.industry {
        q = q.filter(rewards::industry.eq(i.clone()));
    }
    if let Some(v) = f.from {
        q = q.filter(rewards::decided_on.ge(v));
    }
    if let Some(v) = f.to {
        q = q.filter(rewards::decided_on.le(v));
    }
    if let Some(b) = before_id {
        q = q.filter(rewards::id.lt(b));
    }
    Ok(q.order(rewards::id.desc()).limit(fetch).load(conn)?)
}

/// What a reward's transition writes besides the status: `None` leaves a column as it is.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = rewards)]
pub struct RewardChanges {
    pub status: &'static str,
    pub payee_sealed: Option<Option<String>>,
    pub claimed_at: Option<Option<NaiveDateTime>>,
    pub paid_on: Option<Option<NaiveDate>>,
    pub payment_reference: Option<Option<String>>,
    pub lapsed_at: Option<Option<NaiveDateTime>>,
    pub updated_at: NaiveDateTime,
}

impl RewardChanges {
    /// A move to `to` at `now` that writes nothing else.
    pub fn to(to: RewardStatus, now: NaiveDateTime) -> Self {
        Self {
            status: to.as_str(),
            payee_sealed: None,
            claimed_at: None,
            paid_on: None,
            payment_reference: None,
            lapsed_at: None,
            updated_at: now,
        }
    }
}

/// The compare-and-set of a reward's transition: writes `changes` if the reward is `from`,
/// and returns the updated row (`None`: another state, or a concurrent transition won; finish
/// with `db::transition::settle`).
pub fn transition_reward(
    conn: &mut DbConn,
    id: RewardId,
    from: RewardStatus,
    changes: &RewardChanges,
) -> Result<Option<RewardRow>, ApiError> {
    Ok(diesel::update(
        rewards::table
            .filter(rewards::id.eq(id.0))
            .filter(rewards::status.eq(from.as_str())),
    )
    .set(changes)
    .returning(rewards::all_columns)
    .get_result(conn)
    .optional()?)
}

/// The reward's status as stored, `None` if there is no such reward (a transition's loser).
pub fn reward_status(conn: &mut DbConn, id: RewardId) -> Result<Option<String>, ApiError> {
    Ok(rewards::table
        .find(id.0)
        .select(rewards::status)
        .get_result(conn)
        .optional()?)
}

/// Writes down the lapse of every decided reward whose claim deadline is before `today`, each
/// with a `lapsed` event by the system (the state machine's `RewardAction::Lapse`). Run by the
/// housekeeping and before a reward is read or claimed. Returns how many lapsed.
pub fn lapse_overdue(
    conn: &mut DbConn,
    today: NaiveDate,
    now: NaiveDateTime,
    only: Option<RewardId>,
) -> Result<usize, ApiError> {
    let (from, to) = RewardAction::Lapse.transition();
    let mut q = rewards::table
        .filter(rewards::status.eq(from.as_str()))
        .filter(rewards::claim_deadline.lt(today))
        .select((rewards::id, rewards::claim_deadline))
        .into_boxed();
    if let Some(id) = only {
        q = q.filter(rewards::id.eq(id.0));
    }
    let due: Vec<(i64, NaiveDate)> = q.limit(10_000).load(conn)?;
    let mut lapsed = 0;
    for (id, deadline) in due {
        let changes = RewardChanges {
            lapsed_at: Some(Some(now)),
            ..RewardChanges::to(to, now)
        };
        // A reward another transaction moved meanwhile is simply not lapsed here.
        if transition_reward(conn, RewardId(id), from, &changes)?.is_some() {
            audit::store::append(
                conn,
                "reward",
                &id.to_string(),
                "lapsed",
                &Actor::SYSTEM,
                serde_json::json!({"claim_deadline": deadline.to_string()}),
                now,
            )?;
            lapsed += 1;
        }
    }
    Ok(lapsed)
}

/// The ids of the rewards of these reports (seeding: found after a multi-row insert).
pub fn reward_ids_of_reports(
    conn: &mut DbConn,
    reports: &[ReportId],
) -> Result<Vec<RewardId>, ApiError> {
    let mut out = Vec::with_capacity(reports.len());
    for chunk in reports.chunks(1000) {
        let ids: Vec<i64> = chunk.iter().map(|r| r.0).collect();
        let found: Vec<i64> = rewards::table
            .filter(rewards::report_id.eq_any(ids))
            .select(rewards::id)
            .load(conn)?;
        out.extend(found.into_iter().map(RewardId));
    }
    Ok(out)
}
