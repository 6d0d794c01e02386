//! The report and reward figures (SPEC 5.3) for a period of local dates.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::{ReportError, to_json};
use crate::db::DbConn;
use crate::error::ApiError;
use crate::reports::domain::{self, ReportStatus};
use crate::reports::store;

#[derive(Debug, Default, Clone, Serialize, ToSchema)]
pub struct ReportCounts {
    pub received: i64,
    pub concluded: i64,
    pub substantiated: i64,
    pub unsubstantiated: i64,
    pub duplicate: i64,
}

#[derive(Debug, Default, Clone, Serialize, ToSchema)]
pub struct MoneyCount {
    pub count: i64,
    pub amount_fen: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IndustryRewards {
    pub industry: String,
    pub decided: MoneyCount,
    pub paid: MoneyCount,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RewardFigures {
    pub decided: MoneyCount,
    pub paid: MoneyCount,
    pub by_industry: Vec<IndustryRewards>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SituationCount {
    pub industry: String,
    pub situations: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportStats {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Reports filed in the period, and of them those concluded, by outcome.
    pub reports: ReportCounts,
    /// `{category, received, concluded, substantiated, unsubstantiated, duplicate}`.
    #[schema(value_type = Vec<Object>)]
    pub by_category: Vec<Value>,
    /// `{industry, …}` likewise.
    #[schema(value_type = Vec<Object>)]
    pub by_industry: Vec<Value>,
    /// `{district, …}` likewise (`district` null: none given).
    #[schema(value_type = Vec<Object>)]
    pub by_district: Vec<Value>,
    /// Median of (conclusion date − filing date) in days over the concluded reports.
    pub median_days_to_conclusion: Option<f64>,
    /// Rewards decided (by decision date) and paid (by payment date) in the period.
    pub rewards: RewardFigures,
    /// The catalogue's situations per industry (not bound to the period).
    pub situations_by_industry: Vec<SituationCount>,
}

fn tally(counts: &mut ReportCounts, status: &str, n: i64) {
    counts.received += n;
    match ReportStatus::parse(status) {
        Some(ReportStatus::Substantiated) => counts.substantiated += n,
        Some(ReportStatus::Unsubstantiated) => counts.unsubstantiated += n,
        Some(ReportStatus::Duplicate) => counts.duplicate += n,
        _ => {}
    }
    if ReportStatus::parse(status).is_some_and(ReportStatus::is_concluded) {
        counts.concluded += n;
    }
}

fn grouped(rows: &[store::GroupCount], name: &str) -> Result<Vec<Value>, ApiError> {
    let mut map = BTreeMap::<Option<String>, ReportCounts>::new();
    for (key, status, n) in rows {
        tally(map.entry(key.clone()).or_default(), status, *n);
    }
    map.into_iter()
        .map(|(key, counts)| {
            let mut v = to_json(&counts)?;
            if let Some(obj) = v.as_object_mut() {
                obj.insert(name.to_owned(), json!(key));
            }
            Ok(v)
        })
        .collect()
}

/// The figures of a period (inclusive local dates): reports received, concluded and
/// substantiated by category, industry and district (by filing date); the median days to
/// conclusion; rewards decided and paid, count and sum, by industry; and the catalogue's
/// situations per industry.
pub fn report_stats(
    conn: &mut DbConn,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<ReportStats, ReportError> {
    let f = store::figures(conn, from, to)?;
    let mut reports = ReportCounts::default();
    for (_, status, n) in &f.by_category {
        tally(&mut reports, status, *n);
    }
    let days = f
        .concluded
        .iter()
        .map(|(filed, concluded)| (*concluded - *filed).num_days())
        .collect();
    let mut by_industry = BTreeMap::<String, (MoneyCount, MoneyCount)>::new();
    let mut decided = MoneyCount::default();
    let mut paid = MoneyCount::default();
    for (industry, n, sum) in &f.decided {
        let e = by_industry.entry(industry.clone()).or_default();
        e.0.count += n;
        e.0.amount_fen += sum;
        decided.count += n;
        decided.amount_fen += sum;
    }
    for (industry, n, sum) in &f.paid {
        let e = by_industry.entry(industry.clone()).or_default();
        e.1.count += n;
        e.1.amount_fen += sum;
        paid.count += n;
        paid.amount_fen += sum;
    }
    let mut situations = f.situations.clone();
    situations.sort();
    Ok(ReportStats {
        from,
        to,
        reports,
        by_category: grouped(&f.by_category, "category")?,
        by_industry: grouped(&f.by_industry, "industry")?,
        by_district: grouped(&f.by_district, "district")?,
        median_days_to_conclusion: domain::median_days(days),
        rewards: RewardFigures {
            decided,
            paid,
            by_industry: by_industry
                .into_iter()
                .map(|(industry, (decided, paid))| IndustryRewards {
                    industry,
                    decided,
                    paid,
                })
                .collect(),
        },
        situations_by_industry: situations
            .into_iter()
            .map(|(industry, situations)| SituationCount {
                industry,
                situations,
            })
            .collect(),
    })
}
