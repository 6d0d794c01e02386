//! The figures' counts, done in the database: one `GROUP BY` for a period's breakdown, a count
//! for the comparison period, the employees in scope.

use chrono::NaiveDateTime;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamp};

use crate::db::DbConn;
use crate::error::ApiError;
use crate::ids::EnterpriseId;
use crate::negative_lists::domain::{Category, Severity};

/// Which violations the figures count: one enterprise, or the enterprises of an industry and/or
/// a district, or the whole city.
#[derive(Debug, Default, Clone)]
pub struct StatsScope {
    pub enterprise: Option<EnterpriseId>,
    pub industry: Option<String>,
    pub district: Option<String>,
}

/// Adds a bind and returns its placeholder.
fn bind(b: Bind, binds: &mut Vec<Bind>) -> String {
    binds.push(b);
    format!("${}", binds.len())
}

/// A value bound to a `$n` placeholder of the figures' SQL.
enum Bind {
    Int(i64),
    Text(String),
    At(NaiveDateTime),
}

/// Builds `WHERE …` for the enterprises in scope (`e` columns) or their violations in a period
/// (`v` columns), numbering placeholders as it goes.
fn where_clause(
    scope: &StatsScope,
    period: Option<(Option<NaiveDateTime>, Option<NaiveDateTime>)>,
) -> (String, Vec<Bind>) {
    let mut clauses: Vec<String> = Vec::new();
    let mut binds: Vec<Bind> = Vec::new();
    let mut enterprise_clauses: Vec<String> = Vec::new();
    if let Some(i) = &scope.industry {
        enterprise_clauses.push(format!(
            "industry = {}",
            bind(Bind::Text(i.clone()), &mut binds)
        ));
    }
    if let Some(d) = &scope.district {
        enterprise_clauses.push(format!(
            "district = {}",
            bind(Bind::Text(d.clone()), &mut binds)
        ));
    }
    match period {
        None => {
            if let Some(e) = scope.enterprise {
                enterprise_clauses.push(format!("id = {}", bind(Bind::Int(e.0), &mut binds)));
            }
            clauses = enterprise_clauses;
        }
        Some((start, end)) => {
            if !enterprise_clauses.is_empty() {
                clauses.push(format!(
                    "enterprise_id IN (SELECT id FROM enterprises WHERE {})",
                    enterprise_clauses.join(" AND ")
                ));
            }
            if let Some(e) = scope.enterprise {
                clauses.push(format!(
                    "enterprise_id = {}",
                    bind(Bind::Int(e.0), &mut binds)
                ));
            }
            if let Some(s) = start {
                clauses.push(format!("occurred_at >= {}", bind(Bind::At(s), &mut binds)));
            }
            if let Some(e) = end {
                clauses.push(format!("occurred_at < {}", bind(Bind::At(e), &mut binds)));
            }
        }
    }
    if clauses.is_empty() {
        (String::new(), binds)
    } else {
        (format!(" WHERE {}", clauses.join(" AND ")), binds)
    }
}

/// Runs a raw query with its binds on whichever backend `conn` holds (the multi-backend
/// connection cannot box a raw query with a varying number of binds).
fn load_raw<R>(conn: &mut DbConn, sql: &str, binds: &[Bind]) -> Result<Vec<R>, ApiError>
where
    R: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + 'static,
{
    use diesel::RunQueryDsl;
    Ok(crate::db::on_backend!(conn, |c| {
        let mut q = diesel::sql_query(sql).into_boxed();
        for b in binds {
            q = match b {
                Bind::Int(v) => q.bind::<BigInt, _>(*v),
                Bind::Text(v) => q.bind::<Text, _>(v.clone()),
                Bind::At(v) => q.bind::<Timestamp, _>(*v),
            };
        }
        q.load::<R>(c)
    })?)
}

/// One group of the breakdown of a period.
#[derive(Debug, Clone, QueryableByName)]
pub struct Group {
    #[diesel(sql_type = Text)]
    pub category: String,
    #[diesel(sql_type = Text)]
    pub severity: String,
    #[diesel(sql_type = Bool)]
    pub repeat: bool,
    #[diesel(sql_type = Bool)]
    pub escalated: bool,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
    #[diesel(sql_type = BigInt)]
    pub corrected: i64,
}

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = Nullable<BigInt>)]
    n: Option<i64>,
}

/// The period's violations counted in the database by category, severity, repeat and
/// escalated, with the corrected ones of each group.
///
/// City-wide, every value of the grouping columns is listed, so that both backends seek each
/// group's range in `violations_stats` instead of sorting half a million rows (SQLite needs no
/// statistics for that); within an enterprise scope the per-enterprise index is used.
pub fn breakdown(
    conn: &mut DbConn,
    scope: &StatsScope,
    start: Option<NaiveDateTime>,
    end: Option<NaiveDateTime>,
) -> Result<Vec<Group>, ApiError> {
    let (mut filter, binds) = where_clause(scope, Some((start, end)));
    let city_wide =
        scope.enterprise.is_none() && scope.industry.is_none() && scope.district.is_none();
    if city_wide {
        let list = |values: &[&str]| {
            values
                .iter()
                .map(|v| format!("'{v}'"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let categories: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
        let severities: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
        let groups = format!(
            "category IN ({}) AND severity IN ({}) AND repeat IN (FALSE, TRUE) AND escalated IN (FALSE, TRUE)",
            list(&categories),
            list(&severities)
        );
        filter = if filter.is_empty() {
            format!(" WHERE {groups}")
        } else {
            format!("{filter} AND {groups}")
        };
    }
    let sql = format!(
        "SELECT category, severity, repeat, escalated, COUNT(*) AS count, \
         COUNT(corrected_at) AS corrected FROM violations{filter} \
         GROUP BY category, severity, repeat, escalated"
    );
    load_raw(conn, &sql, &binds)
}

/// The number of the period's violations.
pub fn count(
    conn: &mut DbConn,
    scope: &StatsScope,
    start: Option<NaiveDateTime>,
    end: Option<NaiveDateTime>,
) -> Result<i64, ApiError> {
    let (filter, binds) = where_clause(scope, Some((start, end)));
    let sql = format!("SELECT COUNT(*) AS n FROM violations{filter}");
    let rows = load_raw::<Number>(conn, &sql, &binds)?;
    Ok(rows.first().and_then(|r| r.n).unwrap_or(0))
}

/// The employees of the enterprises in scope.
pub fn employees(conn: &mut DbConn, scope: &StatsScope) -> Result<i64, ApiError> {
    let (filter, binds) = where_clause(scope, None);
    let sql = format!("SELECT SUM(employee_count) AS n FROM enterprises{filter}");
    let rows = load_raw::<Number>(conn, &sql, &binds)?;
    Ok(rows.first().and_then(|r| r.n).unwrap_or(0))
}
