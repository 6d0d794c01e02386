//! The counts behind the report and reward figures (SPEC 5.3).

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::ApiError;
use crate::schema::{reports, reward_situations, rewards};

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
