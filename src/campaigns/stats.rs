//! The figures of SPEC 4 (the city's yearly report), aggregated in the database.
//!
//! Everything is counted per `(district, industry)` cell of the enterprise: the totals,
//! `by_district` and `by_industry` are sums of those cells. Distinct enterprises add up exactly
//! because every enterprise lies in exactly one cell. The scope is either one campaign or an
//! inclusive range of local dates on each record's own date.
//!
//! Inspections and hazards (~520,000 rows a year at city scale) carry copies of their
//! enterprise's district and industry (migration `000009_stats_copies`, kept by
//! `enforcement::store::insert_inspection`, `insert_hazard` and `recopy_enterprise`), so they
//! are counted without a join: one correlated `COUNT(*)` per cell (and per level and status),
//! each a range of a covering index. Distinct enterprises inspected are counted as the
//! enterprise's first inspection in the scope: `campaign_first` for a campaign, and for dates
//! an inspection in `[from, to]` whose `prev_inspected_on` is NULL or before `from`.
//! Penalties and orders (a few thousand a year) are joined to their enterprise as before.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Text};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbConn;
use crate::enforcement::domain::rectification_rate;
use crate::error::ApiError;
use crate::ids::CampaignId;

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Campaign(CampaignId),
    /// Inclusive; open ends are filled with the far past and future.
    Dates {
        from: NaiveDate,
        to: NaiveDate,
    },
}

impl Scope {
    pub fn dates(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Self {
        Self::Dates {
            from: from.unwrap_or(far_past()),
            to: to.unwrap_or(far_future()),
        }
    }
}

fn far_past() -> NaiveDate {
    NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or_default()
}

fn far_future() -> NaiveDate {
    NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default()
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct HazardCounts {
    pub general: i64,
    pub major: i64,
    pub total: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct TaskFigures {
    pub total: i64,
    pub done: i64,
    pub overdue: i64,
}

/// One row of `by_district` / `by_industry`; `hazards_found` is the total.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Breakdown {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub industry: Option<String>,
    pub inspections: i64,
    pub enterprises_inspected: i64,
    pub hazards_found: i64,
    pub hazards_verified: i64,
    pub hazards_overdue: i64,
    pub penalties: i64,
    pub fines_fen: i64,
    pub orders_issued: i64,
}

impl Breakdown {
    fn add(&mut self, c: &Cell) {
        self.inspections += c.inspections;
        self.enterprises_inspected += c.enterprises_inspected;
        self.hazards_found += c.hazards.total;
        self.hazards_verified += c.hazards_verified;
        self.hazards_overdue += c.hazards_overdue;
        self.penalties += c.penalties;
        self.fines_fen += c.fines_fen;
        self.orders_issued += c.orders_issued;
    }
}

/// The figures of the yearly report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InspectionStats {
    pub campaign_id: Option<i64>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub groups: i64,
    pub inspectors_deployed: i64,
    pub inspections: i64,
    pub enterprises_inspected: i64,
    pub stationed_enterprises: i64,
    pub stationed_inspectors: i64,
    pub hazards_found: HazardCounts,
    pub hazards_rectified: i64,
    pub hazards_verified: i64,
    pub rectification_rate: f64,
    pub hazards_overdue: i64,
    pub penalties: i64,
    pub fines_fen: i64,
    pub orders_issued: i64,
    pub orders_lifted: i64,
    /// Only when counted by campaign.
    pub tasks: Option<TaskFigures>,
    pub by_district: Vec<Breakdown>,
    pub by_industry: Vec<Breakdown>,
}

/// Everything counted for one `(district, industry)`.
#[derive(Debug, Clone, Default)]
struct Cell {
    inspections: i64,
    enterprises_inspected: i64,
    hazards: HazardCounts,
    hazards_rectified: i64,
    hazards_verified: i64,
    hazards_overdue: i64,
    penalties: i64,
    fines_fen: i64,
    orders_issued: i64,
    orders_lifted: i64,
}

#[derive(QueryableByName)]
struct Scalars {
    #[diesel(sql_type = BigInt)]
    n_groups: i64,
    #[diesel(sql_type = BigInt)]
    inspectors_deployed: i64,
    #[diesel(sql_type = BigInt)]
    stationed_enterprises: i64,
    #[diesel(sql_type = BigInt)]
    stationed_inspectors: i64,
}

#[derive(QueryableByName)]
struct InspectionCell {
    #[diesel(sql_type = Text)]
    district: String,
    #[diesel(sql_type = Text)]
    industry: String,
    #[diesel(sql_type = BigInt)]
    inspections: i64,
    #[diesel(sql_type = BigInt)]
    enterprises: i64,
}

#[derive(QueryableByName)]
struct HazardCell {
    #[diesel(sql_type = Text)]
    district: String,
    #[diesel(sql_type = Text)]
    industry: String,
    #[diesel(sql_type = Text)]
    level: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = BigInt)]
    overdue: i64,
    #[diesel(sql_type = BigInt)]
    found: i64,
}

#[derive(QueryableByName)]
struct MoneyCell {
    #[diesel(sql_type = Text)]
    district: String,
    #[diesel(sql_type = Text)]
    industry: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = BigInt)]
    m: i64,
}

#[derive(QueryableByName)]
struct TaskRowCounts {
    #[diesel(sql_type = BigInt)]
    total: i64,
    #[diesel(sql_type = BigInt)]
    done: i64,
    #[diesel(sql_type = BigInt)]
    overdue: i64,
}

/// Runs `sql` with its scope condition put in place of `{W}`, today's date in place of `{T}`,
/// and in place of `{FIRST}` the condition that an inspection `i` is its enterprise's first in
/// the scope. Today, when the query needs it, is the first parameter (`{T}` must come before
/// `{W}` in the text: SQLite numbers `$n` parameters in order of first appearance); then the
/// campaign id (`<campaign column> = $n`) or the two dates (`<date column> BETWEEN $n AND
/// $n+1`).
fn run<T>(
    conn: &mut DbConn,
    sql: &str,
    scope: Scope,
    campaign_col: &str,
    date_col: &str,
    today: Option<NaiveDate>,
) -> Result<Vec<T>, ApiError>
where
    T: diesel::deserialize::FromSqlRow<diesel::sql_types::Untyped, <DbConn as Connection>::Backend>
        + 'static,
{
    let first = if today.is_some() { 2 } else { 1 };
    let (condition, first_in_scope) = match scope {
        Scope::Campaign(_) => (
            format!("{campaign_col} = ${first}"),
            "i.campaign_first = TRUE".to_owned(),
        ),
        Scope::Dates { .. } => (
            format!("{date_col} BETWEEN ${first} AND ${}", first + 1),
            format!("(i.prev_inspected_on IS NULL OR i.prev_inspected_on < ${first})"),
        ),
    };
    let sql = sql
        .replace("{T}", "$1")
        .replace("{W}", &condition)
        .replace("{FIRST}", &first_in_scope);
    let mut query = diesel::sql_query(sql).into_boxed::<<DbConn as Connection>::Backend>();
    if let Some(t) = today {
        query = query.bind::<Date, _>(t);
    }
    let query = match scope {
        Scope::Campaign(id) => query.bind::<BigInt, _>(id.0),
        Scope::Dates { from, to } => query.bind::<Date, _>(from).bind::<Date, _>(to),
    };
    Ok(query.load(conn)?)
}

// Inspectors deployed: each inspector who is a member of some group (a skip-ahead DISTINCT
// over `group_members_inspector`, ~2,400 at city scale) with a membership in scope, which is
// found at the first membership probed when the scope is the year; a DISTINCT over the year's
// ~151,000 memberships took 60-190 ms.
const SCALARS: &str = "SELECT \
  (SELECT COUNT(*) FROM inspection_groups g JOIN campaigns c ON c.id = g.campaign_id WHERE {W}) AS n_groups, \
  (SELECT COUNT(*) FROM (SELECT DISTINCT gm.inspector_id AS id FROM group_members gm) u \
     WHERE EXISTS (SELECT 1 FROM group_members m JOIN inspection_groups g ON g.id = m.group_id \
       JOIN campaigns c ON c.id = g.campaign_id WHERE m.inspector_id = u.id AND {W})) AS inspectors_deployed, \
  CAST(0 AS BIGINT) AS stationed_enterprises, CAST(0 AS BIGINT) AS stationed_inspectors";

const STATIONED: &str = "SELECT CAST(0 AS BIGINT) AS n_groups, CAST(0 AS BIGINT) AS inspectors_deployed, \
  (SELECT COUNT(DISTINCT s.enterprise_id) FROM stationings s JOIN inspection_groups g ON g.id = s.group_id \
     WHERE {W}) AS stationed_enterprises, \
  (SELECT COUNT(DISTINCT si.inspector_id) FROM stationing_inspectors si \
     JOIN stationings s ON s.id = si.stationing_id JOIN inspection_groups g ON g.id = s.group_id \
     WHERE {W}) AS stationed_inspectors";

// Per cell, two counts over a range of `inspections_cell_date` (dates) or
// `inspections_campaign_cell` (campaign). A GROUP BY over the year instead sorts every row.
const INSPECTIONS: &str = "SELECT d.code AS district, n.code AS industry, \
  (SELECT COUNT(*) FROM inspections i \
     WHERE i.district = d.code AND i.industry = n.code AND {W}) AS inspections, \
  (SELECT COUNT(*) FROM inspections i \
     WHERE i.district = d.code AND i.industry = n.code AND {W} AND {FIRST}) AS enterprises \
  FROM districts d CROSS JOIN industries n";

// Per cell, level and status (the values of their CHECK constraints), the count over a range
// of `hazards_cell_date` or `hazards_campaign_cell`; for open hazards also those overdue (both
// indexes end with `deadline`). Overdue comes first in the text: see `run`.
const HAZARDS: &str = "SELECT d.code AS district, n.code AS industry, l.level AS level, \
  s.status AS status, \
  CASE WHEN s.status = 'open' THEN \
    (SELECT COUNT(*) FROM hazards h WHERE h.deadline < {T} AND h.district = d.code \
       AND h.industry = n.code AND h.level = l.level AND h.status = 'open' AND {W}) \
  ELSE 0 END AS overdue, \
  (SELECT COUNT(*) FROM hazards h WHERE h.district = d.code AND h.industry = n.code \
     AND h.level = l.level AND h.status = s.status AND {W}) AS found \
  FROM districts d CROSS JOIN industries n \
  CROSS JOIN (SELECT 'general' AS level UNION ALL SELECT 'major') l \
  CROSS JOIN (SELECT 'open' AS status UNION ALL SELECT 'rectified' UNION ALL SELECT 'verified') s";

const PENALTIES: &str = "SELECT e.district AS district, e.industry AS industry, \
  COUNT(*) AS n, CAST(COALESCE(SUM(p.fine_fen), 0) AS BIGINT) AS m \
  FROM penalties p JOIN enterprises e ON e.id = p.enterprise_id WHERE {W} \
  GROUP BY e.district, e.industry";

const ORDERS: &str = "SELECT e.district AS district, e.industry AS industry, \
  COUNT(*) AS n, SUM(CASE WHEN o.lifted_on IS NOT NULL THEN 1 ELSE 0 END) AS m \
  FROM orders o JOIN enterprises e ON e.id = o.enterprise_id WHERE {W} \
  GROUP BY e.district, e.industry";

const TASKS: &str = "SELECT COUNT(*) AS total, \
  COALESCE(SUM(CASE WHEN t.status = 'done' THEN 1 ELSE 0 END), 0) AS done, \
  COALESCE(SUM(CASE WHEN t.status <> 'done' AND t.deadline < {T} THEN 1 ELSE 0 END), 0) AS overdue \
  FROM key_tasks t WHERE {W}";

/// Every figure for `scope`, with overdue judged on `today`; `districts` and `industries` are
/// the reference codes (each gets a row, zeros included).
pub fn compute(
    conn: &mut DbConn,
    scope: Scope,
    today: NaiveDate,
    districts: &[String],
    industries: &[String],
) -> Result<InspectionStats, ApiError> {
    let groups: Vec<Scalars> = run(conn, SCALARS, scope, "g.campaign_id", "c.starts_on", None)?;
    let stationed: Vec<Scalars> =
        run(conn, STATIONED, scope, "g.campaign_id", "s.starts_on", None)?;
    let mut cells: BTreeMap<(String, String), Cell> = BTreeMap::new();
    let inspections: Vec<InspectionCell> = run(
        conn,
        INSPECTIONS,
        scope,
        "i.campaign_id",
        "i.inspected_on",
        None,
    )?;
    for r in inspections.into_iter().filter(|r| r.inspections > 0) {
        let c = cells.entry((r.district, r.industry)).or_default();
        c.inspections += r.inspections;
        c.enterprises_inspected += r.enterprises;
    }
    let hazards: Vec<HazardCell> = run(
        conn,
        HAZARDS,
        scope,
        "h.campaign_id",
        "h.found_on",
        Some(today),
    )?;
    for r in hazards.into_iter().filter(|r| r.found > 0) {
        let c = cells.entry((r.district, r.industry)).or_default();
        if r.level == "major" {
            c.hazards.major += r.found;
        } else {
            c.hazards.general += r.found;
        }
        c.hazards.total += r.found;
        if r.status != "open" {
            c.hazards_rectified += r.found;
        }
        if r.status == "verified" {
            c.hazards_verified += r.found;
        }
        c.hazards_overdue += r.overdue;
    }
    let penalties: Vec<MoneyCell> = run(
        conn,
        PENALTIES,
        scope,
        "p.campaign_id",
        "p.decided_on",
        None,
    )?;
    for r in penalties {
        let c = cells.entry((r.district, r.industry)).or_default();
        c.penalties += r.n;
        c.fines_fen += r.m;
    }
    let orders: Vec<MoneyCell> = run(conn, ORDERS, scope, "o.campaign_id", "o.issued_on", None)?;
    for r in orders {
        let c = cells.entry((r.district, r.industry)).or_default();
        c.orders_issued += r.n;
        c.orders_lifted += r.m;
    }
    let tasks = match scope {
        Scope::Campaign(_) => {
            let rows: Vec<TaskRowCounts> = run(
                conn,
                TASKS,
                scope,
                "t.campaign_id",
                "t.deadline",
                Some(today),
            )?;
            rows.into_iter().next().map(|r| TaskFigures {
                total: r.total,
                done: r.done,
                overdue: r.overdue,
            })
        }
        Scope::Dates { .. } => None,
    };

    let mut total = Cell::default();
    let mut by_district: BTreeMap<String, Breakdown> = districts
        .iter()
        .map(|d| {
            (
                d.clone(),
                Breakdown {
                    district: Some(d.clone()),
                    ..Breakdown::default()
                },
            )
        })
        .collect();
    let mut by_industry: BTreeMap<String, Breakdown> = industries
        .iter()
        .map(|i| {
            (
                i.clone(),
                Breakdown {
                    industry: Some(i.clone()),
                    ..Breakdown::default()
                },
            )
        })
        .collect();
    for ((district, industry), c) in &cells {
        by_district
            .entry(district.clone())
            .or_insert_with(|| Breakdown {
                district: Some(district.clone()),
                ..Breakdown::default()
            })
            .add(c);
        by_industry
            .entry(industry.clone())
            .or_insert_with(|| Breakdown {
                industry: Some(industry.clone()),
                ..Breakdown::default()
            })
            .add(c);
        total.inspections += c.inspections;
        total.enterprises_inspected += c.enterprises_inspected;
        total.hazards.general += c.hazards.general;
        total.hazards.major += c.hazards.major;
        total.hazards.total += c.hazards.total;
        total.hazards_rectified += c.hazards_rectified;
        total.hazards_verified += c.hazards_verified;
        total.hazards_overdue += c.hazards_overdue;
        total.penalties += c.penalties;
        total.fines_fen += c.fines_fen;
        total.orders_issued += c.orders_issued;
        total.orders_lifted += c.orders_lifted;
    }
    let g = groups.first();
    let s = stationed.first();
    let (campaign_id, from, to) = match scope {
        Scope::Campaign(id) => (Some(id.0), None, None),
        Scope::Dates { from, to } => (
            None,
            (from != far_past()).then_some(from),
            (to != far_future()).then_some(to),
        ),
    };
    Ok(InspectionStats {
        campaign_id,
        from,
        to,
        groups: g.map_or(0, |g| g.n_groups),
        inspectors_deployed: g.map_or(0, |g| g.inspectors_deployed),
        inspections: total.inspections,
        enterprises_inspected: total.enterprises_inspected,
        stationed_enterprises: s.map_or(0, |s| s.stationed_enterprises),
        stationed_inspectors: s.map_or(0, |s| s.stationed_inspectors),
        rectification_rate: rectification_rate(total.hazards_verified, total.hazards.total),
        hazards_found: total.hazards,
        hazards_rectified: total.hazards_rectified,
        hazards_verified: total.hazards_verified,
        hazards_overdue: total.hazards_overdue,
        penalties: total.penalties,
        fines_fen: total.fines_fen,
        orders_issued: total.orders_issued,
        orders_lifted: total.orders_lifted,
        tasks,
        by_district: by_district.into_values().collect(),
        by_industry: by_industry.into_values().collect(),
    })
}
