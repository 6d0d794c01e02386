//! The violation figures (`/stats/violations`): a period's breakdown and a comparison period.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{NegativeListError, narrowed};
use crate::actor::Scope;
use crate::db::DbConn;
use crate::ids::EnterpriseId;
use crate::negative_lists::domain::{self, Category, Severity};
use crate::negative_lists::store::{self, StatsScope};
use crate::validate::Validator;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// First local date of the period (inclusive); open when left out.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// Last local date of the period (inclusive); open when left out.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
    /// First local date of the comparison period (inclusive).
    #[param(value_type = Option<String>, format = Date)]
    pub compare_from: Option<NaiveDate>,
    /// Last local date of the comparison period (inclusive).
    #[param(value_type = Option<String>, format = Date)]
    pub compare_to: Option<NaiveDate>,
    pub enterprise_id: Option<i64>,
    pub industry: Option<String>,
    pub district: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ViolationStats {
    #[schema(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    #[schema(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
    pub total: i64,
    /// Every category code with its count.
    pub by_category: BTreeMap<String, i64>,
    /// Every severity code with its count.
    pub by_severity: BTreeMap<String, i64>,
    /// The employees of the enterprises in scope.
    pub employees: i64,
    /// `total × 100 / employees`; null without employees.
    pub per_100_employees: Option<f64>,
    pub corrected: i64,
    /// `corrected / total`, 0 to 1; null without violations.
    pub corrected_share: Option<f64>,
    pub repeats: i64,
    pub escalations: i64,
    #[schema(value_type = Option<String>, format = Date)]
    pub compare_from: Option<NaiveDate>,
    #[schema(value_type = Option<String>, format = Date)]
    pub compare_to: Option<NaiveDate>,
    /// The comparison period's total; null when no comparison period is given.
    pub compare_total: Option<i64>,
    /// `(total − compare_total) / compare_total`; null when `compare_total` is 0 or absent.
    pub change_ratio: Option<f64>,
}

/// Violation figures for a period of the city's local dates (both inclusive, either open; `to`
/// not before `from`, `compare_to` not before `compare_from`), for the city, an industry, a
/// district or one enterprise, with a comparison period: `change_ratio` is
/// `(total − compare_total) / compare_total` (`domain::change_ratio`), `per_100_employees` and
/// `corrected_share` as `domain` computes them. Counting happens in the database. Staff see
/// any scope; an enterprise gets its own figures, and another's is `NotFound`.
pub fn violation_stats(
    conn: &mut DbConn,
    tz: Tz,
    scope: Scope,
    q: StatsQuery,
) -> Result<ViolationStats, NegativeListError> {
    let mut v = Validator::new();
    if let (Some(f), Some(t)) = (q.from, q.to)
        && f > t
    {
        v.add("to", "out_of_range", "must not be before from");
    }
    if let (Some(f), Some(t)) = (q.compare_from, q.compare_to)
        && f > t
    {
        v.add(
            "compare_to",
            "out_of_range",
            "must not be before compare_from",
        );
    }
    v.finish()?;
    let enterprise =
        narrowed(scope, q.enterprise_id.map(EnterpriseId)).ok_or(NegativeListError::NotFound)?;
    let counted = StatsScope {
        enterprise,
        industry: q.industry,
        district: q.district,
    };
    let (start, end) = domain::local_period(q.from, q.to, tz);
    let compare = (q.compare_from.is_some() || q.compare_to.is_some())
        .then(|| domain::local_period(q.compare_from, q.compare_to, tz));
    crate::enterprises::store::check_filter_codes(
        conn,
        counted.industry.as_deref(),
        counted.district.as_deref(),
    )?;
    let groups = store::breakdown(conn, &counted, start, end)?;
    let employees = store::employees(conn, &counted)?;
    let compare_total = compare
        .map(|(s, e)| store::count(conn, &counted, s, e))
        .transpose()?;

    let mut by_category: BTreeMap<String, i64> = Category::ALL
        .iter()
        .map(|c| (c.as_str().to_owned(), 0))
        .collect();
    let mut by_severity: BTreeMap<String, i64> = Severity::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), 0))
        .collect();
    let (mut total, mut corrected, mut repeats, mut escalations) = (0, 0, 0, 0);
    for g in groups {
        *by_category.entry(g.category).or_insert(0) += g.count;
        *by_severity.entry(g.severity).or_insert(0) += g.count;
        total += g.count;
        corrected += g.corrected;
        if g.repeat {
            repeats += g.count;
        }
        if g.escalated {
            escalations += g.count;
        }
    }
    Ok(ViolationStats {
        from: q.from,
        to: q.to,
        total,
        by_category,
        by_severity,
        employees,
        per_100_employees: domain::per_100_employees(total, employees),
        corrected,
        corrected_share: domain::share(corrected, total),
        repeats,
        escalations,
        compare_from: q.compare_from,
        compare_to: q.compare_to,
        compare_total,
        change_ratio: compare_total.and_then(|c| domain::change_ratio(total, c)),
    })
}
