//! The permit figures (SPEC 2.6): per permit type the outcomes of the applications submitted in
//! a period, the share decided instantly, the time from submission to decision; the reviews
//! open and overdue and the certificates active and expiring now.

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::applications::local_midnight;
use super::domain::ApplicationStatus;
use super::error::PermitError;
use super::store;
use crate::db::DbConn;
use crate::validate::Invalid;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// First local date of the period (default: 1 January of this year).
    pub from: Option<NaiveDate>,
    /// Last local date of the period, included (default: today).
    pub to: Option<NaiveDate>,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct OutcomeCounts {
    pub approved: u64,
    pub rejected: u64,
    pub filed: u64,
    pub under_review: u64,
    pub withdrawn: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TypeFigures {
    pub permit_type: String,
    /// Applications submitted in the period.
    pub submitted: u64,
    /// Their states now.
    pub outcomes: OutcomeCounts,
    /// Approved, rejected or filed.
    pub decided: u64,
    /// Of those, decided by the rules at submission.
    pub decided_instantly: u64,
    /// `decided_instantly / decided` (null when nothing was decided).
    pub instant_share: Option<f64>,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Durations {
    pub count: u64,
    /// Seconds from submission to decision.
    pub median_seconds: Option<f64>,
    pub p90_seconds: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionTimes {
    /// Decided by the rules.
    pub instant: Durations,
    /// Decided by a reviewer.
    pub review: Durations,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewFigures {
    /// Under review now.
    pub open: i64,
    /// Under review past `due_on` now.
    pub overdue: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateFigures {
    /// Issued in the period.
    pub issued: i64,
    /// Active now.
    pub active: i64,
    /// Active now and expiring within 90 days.
    pub expiring_within_90_days: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PermitStats {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Per permit type (every type, in code order).
    pub by_type: Vec<TypeFigures>,
    pub total: TypeFigures,
    pub decision_times: DecisionTimes,
    pub reviews: ReviewFigures,
    pub certificates: CertificateFigures,
}

/// Nearest-rank percentile of ascending values.
fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

fn durations(mut values: Vec<f64>) -> Durations {
    values.sort_by(f64::total_cmp);
    Durations {
        count: values.len() as u64,
        median_seconds: percentile(&values, 50.0),
        p90_seconds: percentile(&values, 90.0),
    }
}

fn figures(permit_type: String, rows: &[&store::StatRow]) -> TypeFigures {
    let mut outcomes = OutcomeCounts::default();
    let mut decided_instantly = 0;
    for r in rows {
        match ApplicationStatus::parse(&r.status) {
            Some(ApplicationStatus::Approved) => outcomes.approved += 1,
            Some(ApplicationStatus::Rejected) => outcomes.rejected += 1,
            Some(ApplicationStatus::Filed) => outcomes.filed += 1,
            Some(ApplicationStatus::UnderReview) => outcomes.under_review += 1,
            Some(ApplicationStatus::Withdrawn) => outcomes.withdrawn += 1,
            _ => {}
        }
        if r.decided_at.is_some() && r.decided_by.is_none() {
            decided_instantly += 1;
        }
    }
    let decided = outcomes.approved + outcomes.rejected + outcomes.filed;
    TypeFigures {
        permit_type,
        submitted: rows.len() as u64,
        outcomes,
        decided,
        decided_instantly,
        instant_share: (decided > 0).then(|| decided_instantly as f64 / decided as f64),
    }
}

/// The figures for the local dates `from` (default: 1 January of `to`'s year) to `to`
/// (default: `today`), both included: the outcomes and instant share of the applications
/// submitted in the period, per type (every type, in code order) and in total; the median and
/// 90th-percentile seconds from submission to decision, instant and review apart (nearest
/// rank); reviews open and overdue, and certificates active and expiring within 90 days, as of
/// `today`; certificates issued in the period. `from` after `to` is a 422 on `to`.
pub fn permit_stats(
    conn: &mut DbConn,
    today: NaiveDate,
    tz: Tz,
    q: &StatsQuery,
) -> Result<PermitStats, PermitError> {
    let to = q.to.unwrap_or(today);
    let from = q
        .from
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(to.year(), 1, 1).unwrap_or(to));
    if from > to {
        return Err(Invalid::field("to", "out_of_range", "must not be before from").into());
    }
    let start = local_midnight(tz, from);
    let end = local_midnight(tz, to.succ_opt().unwrap_or(to));
    let horizon = today + chrono::Duration::days(90);
    let types = store::list_types(conn)?;
    let rows = store::submitted_between(conn, start, end)?;
    let reviews = store::reviews_open(conn, today)?;
    let certs = store::certificate_counts(conn, start, end, today, horizon)?;
    let by_type = types
        .iter()
        .map(|t| {
            let mine: Vec<&store::StatRow> =
                rows.iter().filter(|r| r.permit_type == t.code).collect();
            figures(t.code.clone(), &mine)
        })
        .collect();
    let all: Vec<&store::StatRow> = rows.iter().collect();
    let seconds = |r: &store::StatRow| match (r.submitted_at, r.decided_at) {
        (Some(s), Some(d)) => Some((d - s).num_microseconds().unwrap_or(0) as f64 / 1e6),
        _ => None,
    };
    let instant = rows
        .iter()
        .filter(|r| r.decided_by.is_none())
        .filter_map(seconds)
        .collect();
    let review = rows
        .iter()
        .filter(|r| r.decided_by.is_some())
        .filter_map(seconds)
        .collect();
    Ok(PermitStats {
        from,
        to,
        by_type,
        total: figures("all".into(), &all),
        decision_times: DecisionTimes {
            instant: durations(instant),
            review: durations(review),
        },
        reviews: ReviewFigures {
            open: reviews.0,
            overdue: reviews.1,
        },
        certificates: CertificateFigures {
            issued: certs.0,
            active: certs.1,
            expiring_within_90_days: certs.2,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(5.0));
        assert_eq!(percentile(&v, 90.0), Some(9.0));
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[3.0], 90.0), Some(3.0));
    }
}
