//! The reward-situation catalogue (奖励情形).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::rewards::amount_rule;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::reports::domain::AmountRule;
use crate::schema::reward_situations;

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

impl SituationRow {
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
