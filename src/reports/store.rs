//! Reports, messages, reward rules, reward situations and rewards in the database. Every
//! function takes `conn` first so that a use case composes them inside one transaction.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::domain::{AccidentGrade, AmountRule, ReportId, ReportStatus, RewardId, RuleKind};
use crate::audit::{self, Actor};
use crate::db::{DbConn, is_unique_violation};
use crate::error::ApiError;
use crate::schema::{
    penalties, report_messages, report_penalties, reports, reward_rules, reward_situations,
    rewards, users,
};

// ---------------------------------------------------------------------------------------------
// Rows

/// Every column of `reports`, in table order.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reports)]
pub struct ReportRow {
    pub id: i64,
    pub receipt_hash: String,
    pub industry: String,
    pub category: String,
    pub enterprise_name: Option<String>,
    pub enterprise_credit_code: Option<String>,
    pub enterprise_id: Option<i64>,
    pub district: Option<String>,
    pub location: Option<String>,
    pub occurred_on: Option<NaiveDate>,
    pub description: String,
    pub is_employee: bool,
    pub contact_sealed: Option<String>,
    pub status: String,
    pub assignee_id: Option<i64>,
    pub duplicate_of: Option<i64>,
    pub findings: Option<String>,
    pub situation_code: Option<String>,
    pub accident_grade: Option<String>,
    pub concealed_deaths: Option<i32>,
    pub identity_opened_at: Option<NaiveDateTime>,
    pub filed_on: NaiveDate,
    pub received_at: NaiveDateTime,
    pub concluded_on: Option<NaiveDate>,
    pub concluded_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = reports)]
pub struct NewReport {
    pub receipt_hash: String,
    pub industry: String,
    pub category: String,
    pub enterprise_name: Option<String>,
    pub enterprise_credit_code: Option<String>,
    pub enterprise_id: Option<i64>,
    pub district: Option<String>,
    pub location: Option<String>,
    pub occurred_on: Option<NaiveDate>,
    pub description: String,
    pub is_employee: bool,
    pub contact_sealed: Option<String>,
    pub status: String,
    pub assignee_id: Option<i64>,
    pub duplicate_of: Option<i64>,
    pub findings: Option<String>,
    pub situation_code: Option<String>,
    pub accident_grade: Option<String>,
    pub concealed_deaths: Option<i32>,
    pub filed_on: NaiveDate,
    pub received_at: NaiveDateTime,
    pub concluded_on: Option<NaiveDate>,
    pub concluded_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = report_messages)]
pub struct MessageRow {
    pub id: i64,
    pub report_id: i64,
    pub direction: String,
    pub body: String,
    pub author_id: Option<i64>,
    pub at: NaiveDateTime,
}

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

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reward_situations)]
pub struct SituationRow {
    pub id: i64,
    pub code: String,
    pub industry: String,
    pub category: String,
    pub description: String,
    pub kind: String,
    pub amount_fen: Option<i64>,
    pub rate_bp: Option<i32>,
    pub per_death_general_fen: Option<i64>,
    pub per_death_larger_fen: Option<i64>,
    pub per_death_major_fen: Option<i64>,
    pub per_death_especially_major_fen: Option<i64>,
    pub floor_fen: Option<i64>,
    pub cap_fen: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = reward_situations, treat_none_as_null = true)]
pub struct NewSituation {
    pub code: String,
    pub industry: String,
    pub category: String,
    pub description: String,
    pub kind: String,
    pub amount_fen: Option<i64>,
    pub rate_bp: Option<i32>,
    pub per_death_general_fen: Option<i64>,
    pub per_death_larger_fen: Option<i64>,
    pub per_death_major_fen: Option<i64>,
    pub per_death_especially_major_fen: Option<i64>,
    pub floor_fen: Option<i64>,
    pub cap_fen: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

fn per_death_table(
    g: Option<i64>,
    l: Option<i64>,
    m: Option<i64>,
    e: Option<i64>,
) -> Option<[i64; 4]> {
    Some([g?, l?, m?, e?])
}

impl RuleRow {
    pub fn amount_rule(&self) -> Result<AmountRule, ApiError> {
        Ok(AmountRule {
            kind: RuleKind::parse(&self.kind)
                .ok_or_else(|| ApiError::internal("unknown rule kind stored"))?,
            amount_fen: self.amount_fen,
            rate_bp: self.rate_bp,
            per_death_fen: per_death_table(
                self.per_death_general_fen,
                self.per_death_larger_fen,
                self.per_death_major_fen,
                self.per_death_especially_major_fen,
            ),
            floor_fen: self.floor_fen,
            cap_fen: self.cap_fen,
        })
    }
}

impl SituationRow {
    pub fn amount_rule(&self) -> Result<AmountRule, ApiError> {
        Ok(AmountRule {
            kind: RuleKind::parse(&self.kind)
                .ok_or_else(|| ApiError::internal("unknown rule kind stored"))?,
            amount_fen: self.amount_fen,
            rate_bp: self.rate_bp,
            per_death_fen: per_death_table(
                self.per_death_general_fen,
                self.per_death_larger_fen,
                self.per_death_major_fen,
                self.per_death_especially_major_fen,
            ),
            floor_fen: self.floor_fen,
            cap_fen: self.cap_fen,
        })
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

// ---------------------------------------------------------------------------------------------
// Reports

pub fn insert_report(conn: &mut DbConn, row: &NewReport) -> Result<ReportRow, ApiError> {
    diesel::insert_into(reports::table)
        .values(row)
        .returning(reports::all_columns)
        .get_result(conn)
        .map_err(|e| {
            if is_unique_violation(&e) {
                // Two reports drew the same 16-digit receipt: astronomically rare; refiling works.
                ApiError::Conflict("please file the report again".into())
            } else {
                e.into()
            }
        })
}

/// Multi-row insert (seeding); callers find the ids by receipt hash.
pub fn insert_reports(conn: &mut DbConn, rows: &[NewReport]) -> Result<(), ApiError> {
    for chunk in rows.chunks(500) {
        crate::db::on_backend!(conn, |c| diesel::insert_into(reports::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

pub fn ids_by_receipt_hash(
    conn: &mut DbConn,
    hashes: &[&str],
) -> Result<Vec<(String, i64)>, ApiError> {
    let mut out = Vec::with_capacity(hashes.len());
    for chunk in hashes.chunks(1000) {
        let found: Vec<(String, i64)> = reports::table
            .filter(reports::receipt_hash.eq_any(chunk))
            .select((reports::receipt_hash, reports::id))
            .load(conn)?;
        out.extend(found);
    }
    Ok(out)
}

pub fn find_report(conn: &mut DbConn, id: ReportId) -> Result<Option<ReportRow>, ApiError> {
    Ok(reports::table
        .find(id.0)
        .select(ReportRow::as_select())
        .get_result(conn)
        .optional()?)
}

pub fn find_by_receipt_hash(conn: &mut DbConn, hash: &str) -> Result<Option<ReportRow>, ApiError> {
    Ok(reports::table
        .filter(reports::receipt_hash.eq(hash))
        .select(ReportRow::as_select())
        .get_result(conn)
        .optional()?)
}

#[derive(Debug, Default, Clone)]
pub struct ReportFilter {
    pub status: Option<String>,
    pub category: Option<String>,
    pub industry: Option<String>,
    pub district: Option<String>,
    pub assignee_id: Option<i64>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

pub fn list_reports(
    conn: &mut DbConn,
    f: &ReportFilter,
    before_id: Option<i64>,
    fetch: i64,
) -> Result<Vec<ReportRow>, ApiError> {
    let mut q = reports::table.select(ReportRow::as_select()).into_boxed();
    if let Some(v) = &f.status {
        q = q.filter(reports::status.eq(v.clone()));
    }
    if let Some(v) = &f.category {
        q = q.filter(reports::category.eq(v.clone()));
    }
    if let Some(v) = &f.industry {
        q = q.filter(reports::industry.eq(v.clone()));
    }
    if let Some(v) = &f.district {
        q = q.filter(reports::district.eq(v.clone()));
    }
    if let Some(v) = f.assignee_id {
        q = q.filter(reports::assignee_id.eq(v));
    }
    if let Some(v) = f.from {
        q = q.filter(reports::filed_on.ge(v));
    }
    if let Some(v) = f.to {
        q = q.filter(reports::filed_on.le(v));
    }
    if let Some(before) = before_id {
        q = q.filter(reports::id.lt(before));
    }
    Ok(q.order(reports::id.desc()).limit(fetch).load(conn)?)
}

/// Moves a report from one of `from` to `to` (compare-and-set on the status): 0 rows — another
/// state, or a concurrent transition that won — is a 409. The caller writes the transition's
/// other fields after it, inside the same transaction.
pub fn transition(
    conn: &mut DbConn,
    id: ReportId,
    from: &[ReportStatus],
    to: ReportStatus,
    action: &str,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    let n = diesel::update(
        reports::table
            .filter(reports::id.eq(id.0))
            .filter(reports::status.eq_any(from)),
    )
    .set((reports::status.eq(to.as_str()), reports::updated_at.eq(now)))
    .execute(conn)?;
    if n == 1 {
        Ok(())
    } else {
        Err(ApiError::InvalidTransition(format!(
            "the report's state does not allow {action}"
        )))
    }
}

pub fn insert_message(
    conn: &mut DbConn,
    report: ReportId,
    direction: &str,
    body: &str,
    author: Option<i64>,
    at: NaiveDateTime,
) -> Result<MessageRow, ApiError> {
    Ok(diesel::insert_into(report_messages::table)
        .values((
            report_messages::report_id.eq(report.0),
            report_messages::direction.eq(direction),
            report_messages::body.eq(body),
            report_messages::author_id.eq(author),
            report_messages::at.eq(at),
        ))
        .returning(report_messages::all_columns)
        .get_result(conn)?)
}

/// The report's messages in order, optionally only those of the given directions.
pub fn messages(
    conn: &mut DbConn,
    report: ReportId,
    directions: Option<&[&str]>,
) -> Result<Vec<MessageRow>, ApiError> {
    let mut q = report_messages::table
        .filter(report_messages::report_id.eq(report.0))
        .select(MessageRow::as_select())
        .into_boxed();
    if let Some(d) = directions {
        q = q.filter(report_messages::direction.eq_any(d.to_vec()));
    }
    Ok(q.order(report_messages::id.asc()).load(conn)?)
}

pub fn link_penalties(
    conn: &mut DbConn,
    report: ReportId,
    penalty_ids: &[i64],
) -> Result<(), ApiError> {
    for p in penalty_ids {
        diesel::insert_into(report_penalties::table)
            .values((
                report_penalties::report_id.eq(report.0),
                report_penalties::penalty_id.eq(*p),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn penalty_ids(conn: &mut DbConn, report: ReportId) -> Result<Vec<i64>, ApiError> {
    Ok(report_penalties::table
        .filter(report_penalties::report_id.eq(report.0))
        .select(report_penalties::penalty_id)
        .order(report_penalties::penalty_id.asc())
        .load(conn)?)
}

/// The ids among `ids` that name existing penalties.
pub fn existing_penalties(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<i64>, ApiError> {
    Ok(penalties::table
        .filter(penalties::id.eq_any(ids.to_vec()))
        .select(penalties::id)
        .load(conn)?)
}

/// The sum of the fines of the penalties the report led to.
pub fn linked_fines(conn: &mut DbConn, report: ReportId) -> Result<i64, ApiError> {
    let fines: Vec<i64> = report_penalties::table
        .inner_join(penalties::table)
        .filter(report_penalties::report_id.eq(report.0))
        .select(penalties::fine_fen)
        .load(conn)?;
    Ok(fines.iter().sum())
}

/// Whether `user` is an active inspector (or admin) who may be assigned reports.
pub fn is_assignable(conn: &mut DbConn, user: i64) -> Result<bool, ApiError> {
    let row: Option<(String, bool)> = users::table
        .find(user)
        .select((users::role, users::disabled))
        .get_result(conn)
        .optional()?;
    Ok(matches!(row, Some((role, false)) if role == "inspector" || role == "admin"))
}

// ---------------------------------------------------------------------------------------------
// Rules and situations

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

pub fn find_situation(conn: &mut DbConn, code: &str) -> Result<Option<SituationRow>, ApiError> {
    Ok(reward_situations::table
        .filter(reward_situations::code.eq(code))
        .select(SituationRow::as_select())
        .get_result(conn)
        .optional()?)
}

pub fn list_situations(
    conn: &mut DbConn,
    industry: Option<&str>,
    category: Option<&str>,
    before_id: Option<i64>,
    fetch: i64,
) -> Result<Vec<SituationRow>, ApiError> {
    let mut q = reward_situations::table
        .select(SituationRow::as_select())
        .into_boxed();
    if let Some(i) = industry {
        q = q.filter(reward_situations::industry.eq(i.to_owned()));
    }
    if let Some(c) = category {
        q = q.filter(reward_situations::category.eq(c.to_owned()));
    }
    if let Some(b) = before_id {
        q = q.filter(reward_situations::id.lt(b));
    }
    Ok(q.order(reward_situations::id.desc())
        .limit(fetch)
        .load(conn)?)
}

/// The codes among `codes` already in the catalogue.
pub fn existing_situation_codes(
    conn: &mut DbConn,
    codes: &[&str],
) -> Result<Vec<String>, ApiError> {
    let mut out = Vec::new();
    for chunk in codes.chunks(1000) {
        let found: Vec<String> = reward_situations::table
            .filter(reward_situations::code.eq_any(chunk))
            .select(reward_situations::code)
            .load(conn)?;
        out.extend(found);
    }
    Ok(out)
}

pub fn insert_situations(conn: &mut DbConn, rows: &[NewSituation]) -> Result<(), ApiError> {
    for chunk in rows.chunks(500) {
        crate::db::on_backend!(conn, |c| diesel::insert_into(reward_situations::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

/// Replaces a situation's fields (its `created_at` is kept).
pub fn update_situation(conn: &mut DbConn, row: &NewSituation) -> Result<(), ApiError> {
    diesel::update(reward_situations::table.filter(reward_situations::code.eq(&row.code)))
        .set((
            reward_situations::industry.eq(&row.industry),
            reward_situations::category.eq(&row.category),
            reward_situations::description.eq(&row.description),
            reward_situations::kind.eq(&row.kind),
            reward_situations::amount_fen.eq(row.amount_fen),
            reward_situations::rate_bp.eq(row.rate_bp),
            reward_situations::per_death_general_fen.eq(row.per_death_general_fen),
            reward_situations::per_death_larger_fen.eq(row.per_death_larger_fen),
            reward_situations::per_death_major_fen.eq(row.per_death_major_fen),
            reward_situations::per_death_especially_major_fen
                .eq(row.per_death_especially_major_fen),
            reward_situations::floor_fen.eq(row.floor_fen),
            reward_situations::cap_fen.eq(row.cap_fen),
            reward_situations::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Rewards

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
    pub status: Option<super::domain::RewardStatus>,
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
    use super::domain::RewardStatus as S;
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

/// Writes down the lapse of every decided reward whose claim deadline is before `today`, each
/// with a `lapsed` event by the system. Run by the housekeeping and before a reward is read or
/// claimed. Returns how many lapsed.
pub fn lapse_overdue(
    conn: &mut DbConn,
    today: NaiveDate,
    now: NaiveDateTime,
    only: Option<RewardId>,
) -> Result<usize, ApiError> {
    let mut q = rewards::table
        .filter(rewards::status.eq("decided"))
        .filter(rewards::claim_deadline.lt(today))
        .select((rewards::id, rewards::claim_deadline))
        .into_boxed();
    if let Some(id) = only {
        q = q.filter(rewards::id.eq(id.0));
    }
    let due: Vec<(i64, NaiveDate)> = q.limit(10_000).load(conn)?;
    let mut lapsed = 0;
    for (id, deadline) in due {
        let n = diesel::update(
            rewards::table
                .filter(rewards::id.eq(id))
                .filter(rewards::status.eq("decided")),
        )
        .set((
            rewards::status.eq("lapsed"),
            rewards::lapsed_at.eq(Some(now)),
            rewards::updated_at.eq(now),
        ))
        .execute(conn)?;
        if n == 1 {
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

// ---------------------------------------------------------------------------------------------
// Figures

/// One group of the report figures: `(key, status, count)`.
pub type GroupCount = (Option<String>, String, i64);

pub struct ReportFigures {
    pub by_category: Vec<GroupCount>,
    pub by_industry: Vec<GroupCount>,
    pub by_district: Vec<GroupCount>,
    /// `(filed_on, concluded_on)` of the concluded reports.
    pub concluded: Vec<(NaiveDate, NaiveDate)>,
    /// `(industry, count, sum)` of rewards decided in the period.
    pub decided: Vec<(String, i64, i64)>,
    /// `(industry, count, sum)` of rewards paid in the period.
    pub paid: Vec<(String, i64, i64)>,
    /// `(industry, count)` of the catalogue.
    pub situations: Vec<(String, i64)>,
}

pub fn figures(
    conn: &mut DbConn,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<ReportFigures, ApiError> {
    macro_rules! in_period {
        ($q:expr, $col:expr) => {{
            let mut q = $q;
            if let Some(f) = from {
                q = q.filter($col.ge(f));
            }
            if let Some(t) = to {
                q = q.filter($col.le(t));
            }
            q
        }};
    }
    let by_category: Vec<(String, String, i64)> = in_period!(
        reports::table
            .group_by((reports::category, reports::status))
            .select((
                reports::category,
                reports::status,
                diesel::dsl::count_star()
            ))
            .into_boxed(),
        reports::filed_on
    )
    .load(conn)?;
    let by_industry: Vec<(String, String, i64)> = in_period!(
        reports::table
            .group_by((reports::industry, reports::status))
            .select((
                reports::industry,
                reports::status,
                diesel::dsl::count_star()
            ))
            .into_boxed(),
        reports::filed_on
    )
    .load(conn)?;
    let by_district: Vec<GroupCount> = in_period!(
        reports::table
            .group_by((reports::district, reports::status))
            .select((
                reports::district,
                reports::status,
                diesel::dsl::count_star()
            ))
            .into_boxed(),
        reports::filed_on
    )
    .load(conn)?;
    let concluded: Vec<(NaiveDate, Option<NaiveDate>)> =
        in_period!(reports::table.into_boxed(), reports::filed_on)
            .filter(reports::concluded_on.is_not_null())
            .select((reports::filed_on, reports::concluded_on))
            .load(conn)?;
    let decided = reward_sums(conn, from, to, false)?;
    let paid = reward_sums(conn, from, to, true)?;
    let situations: Vec<(String, i64)> = reward_situations::table
        .group_by(reward_situations::industry)
        .select((reward_situations::industry, diesel::dsl::count_star()))
        .load(conn)?;
    let wrap = |v: Vec<(String, String, i64)>| {
        v.into_iter()
            .map(|(k, s, n)| (Some(k), s, n))
            .collect::<Vec<_>>()
    };
    Ok(ReportFigures {
        by_category: wrap(by_category),
        by_industry: wrap(by_industry),
        by_district,
        concluded: concluded
            .into_iter()
            .filter_map(|(f, c)| c.map(|c| (f, c)))
            .collect(),
        decided,
        paid,
        situations,
    })
}

/// `(industry, count, sum)` of rewards decided (by `decided_on`) or paid (by `paid_on`) in the
/// period. Summed here rather than in SQL: `sum(bigint)` is `numeric` on PostgreSQL and the
/// rows are few (one per reward in the period).
fn reward_sums(
    conn: &mut DbConn,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    paid: bool,
) -> Result<Vec<(String, i64, i64)>, ApiError> {
    let mut q = rewards::table
        .select((rewards::industry, rewards::amount_fen))
        .into_boxed();
    if paid {
        q = q.filter(rewards::status.eq("paid"));
        if let Some(f) = from {
            q = q.filter(rewards::paid_on.ge(f));
        }
        if let Some(t) = to {
            q = q.filter(rewards::paid_on.le(t));
        }
    } else {
        if let Some(f) = from {
            q = q.filter(rewards::decided_on.ge(f));
        }
        if let Some(t) = to {
            q = q.filter(rewards::decided_on.le(t));
        }
    }
    let rows: Vec<(String, i64)> = q.load(conn)?;
    let mut map = std::collections::BTreeMap::<String, (i64, i64)>::new();
    for (i, a) in rows {
        let e = map.entry(i).or_default();
        e.0 += 1;
        e.1 += a;
    }
    Ok(map.into_iter().map(|(i, (n, s))| (i, n, s)).collect())
}

/// Stored text of an accident grade, for the changeset.
pub fn grade_text(g: Option<AccidentGrade>) -> Option<String> {
    g.map(|g| g.as_str().to_owned())
}
