//! Enterprises in the database.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::domain::{ReferenceCodes, ValidEnterprise};
use crate::db::{DbConn, is_unique_violation, like_contains};
use crate::error::ApiError;
use crate::ids::EnterpriseId;
use crate::schema::{districts, enterprises, industries};

/// Every column of `enterprises`, in table order.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = enterprises)]
pub struct EnterpriseRow {
    pub id: i64,
    pub credit_code: String,
    pub name: String,
    pub name_lower: String,
    pub industry: String,
    pub district: String,
    pub address: String,
    pub legal_representative: String,
    pub safety_director: Option<String>,
    pub employee_count: i32,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = enterprises)]
pub struct NewEnterprise<'a> {
    pub credit_code: &'a str,
    pub name: &'a str,
    pub name_lower: String,
    pub industry: &'a str,
    pub district: &'a str,
    pub address: &'a str,
    pub legal_representative: &'a str,
    pub safety_director: Option<&'a str>,
    pub employee_count: i32,
    pub status: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl<'a> NewEnterprise<'a> {
    pub fn from_valid(e: &'a ValidEnterprise, now: NaiveDateTime) -> Self {
        Self {
            credit_code: e.credit_code.as_str(),
            name: &e.name,
            name_lower: e.name.to_lowercase(),
            industry: &e.industry,
            district: &e.district,
            address: &e.address,
            legal_representative: &e.legal_representative,
            safety_director: e.safety_director.as_deref(),
            employee_count: e.employee_count,
            status: "operating",
            created_at: now,
            updated_at: now,
        }
    }
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = enterprises)]
pub struct EnterpriseChanges {
    pub credit_code: Option<String>,
    pub name: Option<String>,
    pub name_lower: Option<String>,
    pub industry: Option<String>,
    pub district: Option<String>,
    pub address: Option<String>,
    pub legal_representative: Option<String>,
    pub safety_director: Option<Option<String>>,
    pub employee_count: Option<i32>,
    pub status: Option<String>,
    pub updated_at: Option<NaiveDateTime>,
}

/// The reference codes, loaded once per use case.
pub struct Codes {
    industries: HashSet<String>,
    districts: HashSet<String>,
}

impl ReferenceCodes for Codes {
    fn has_industry(&self, code: &str) -> bool {
        self.industries.contains(code)
    }
    fn has_district(&self, code: &str) -> bool {
        self.districts.contains(code)
    }
}

pub fn reference_codes(conn: &mut DbConn) -> Result<Codes, ApiError> {
    Ok(Codes {
        industries: industries::table
            .select(industries::code)
            .load::<String>(conn)?
            .into_iter()
            .collect(),
        districts: districts::table
            .select(districts::code)
            .load::<String>(conn)?
            .into_iter()
            .collect(),
    })
}

/// Checks the `industry` and `district` filters of a list or figures query against the
/// reference tables: an unknown code is a 422 naming the parameter, never an empty answer.
pub fn check_filter_codes(
    conn: &mut DbConn,
    industry: Option<&str>,
    district: Option<&str>,
) -> Result<(), ApiError> {
    if industry.is_none() && district.is_none() {
        return Ok(());
    }
    // Point lookups of the codes given, not the whole tables, in one statement.
    let (industry_known, district_known): (bool, bool) = diesel::select((
        diesel::dsl::exists(industries::table.find(industry.unwrap_or_default())),
        diesel::dsl::exists(districts::table.find(district.unwrap_or_default())),
    ))
    .get_result(conn)?;
    let mut v = crate::validate::Validator::new();
    if industry.is_some() && !industry_known {
        v.add("industry", "unknown_code", "is not an industry code");
    }
    if district.is_some() && !district_known {
        v.add("district", "unknown_code", "is not a district code");
    }
    Ok(v.finish()?)
}

fn credit_code_taken(e: diesel::result::Error) -> ApiError {
    if is_unique_violation(&e) {
        ApiError::Conflict("an enterprise with this credit_code exists".into())
    } else {
        e.into()
    }
}

pub fn insert(conn: &mut DbConn, row: &NewEnterprise<'_>) -> Result<EnterpriseRow, ApiError> {
    diesel::insert_into(enterprises::table)
        .values(row)
        .returning(enterprises::all_columns)
        .get_result(conn)
        .map_err(credit_code_taken)
}

/// Inserts many rows with multi-row statements (the multi-backend connection has no batch
/// insert of its own, so each backend's is called directly). Returns nothing: callers look up
/// ids by credit code.
pub fn insert_many(conn: &mut DbConn, rows: &[NewEnterprise<'_>]) -> Result<(), ApiError> {
    for chunk in rows.chunks(1000) {
        crate::db::on_backend!(conn, |c| diesel::insert_into(enterprises::table)
            .values(chunk)
            .execute(c))
        .map_err(credit_code_taken)?;
    }
    Ok(())
}

/// The ids of the given credit codes (those that exist).
pub fn ids_by_credit_code(
    conn: &mut DbConn,
    codes: &[&str],
) -> Result<Vec<(String, EnterpriseId)>, ApiError> {
    let mut out = Vec::with_capacity(codes.len());
    for chunk in codes.chunks(1000) {
        let found: Vec<(String, i64)> = enterprises::table
            .filter(enterprises::credit_code.eq_any(chunk))
            .select((enterprises::credit_code, enterprises::id))
            .load(conn)?;
        out.extend(found.into_iter().map(|(code, id)| (code, EnterpriseId(id))));
    }
    Ok(out)
}

pub fn find(conn: &mut DbConn, id: EnterpriseId) -> Result<Option<EnterpriseRow>, ApiError> {
    Ok(enterprises::table
        .find(id.0)
        .select(EnterpriseRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// Applies `changes` only if the row is still as read; a lost race is 409.
pub fn update_if_unchanged(
    conn: &mut DbConn,
    id: EnterpriseId,
    read_at: NaiveDateTime,
    changes: &EnterpriseChanges,
) -> Result<EnterpriseRow, ApiError> {
    diesel::update(
        enterprises::table
            .filter(enterprises::id.eq(id.0))
            .filter(enterprises::updated_at.eq(read_at)),
    )
    .set(changes)
    .returning(enterprises::all_columns)
    .get_result::<EnterpriseRow>(conn)
    .optional()
    .map_err(credit_code_taken)?
    .ok_or_else(|| {
        ApiError::Conflict("the enterprise was changed concurrently; reload and retry".into())
    })
}

#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub industry: Option<String>,
    pub district: Option<String>,
    pub status: Option<String>,
    /// Name contains (case-insensitive on both backends: matched against `name_lower`).
    pub q: Option<String>,
}

pub fn list(
    conn: &mut DbConn,
    filter: &Filter,
    before: Option<EnterpriseId>,
    fetch: i64,
) -> Result<Vec<EnterpriseRow>, ApiError> {
    let mut query = enterprises::table
        .select(EnterpriseRow::as_select())
        .into_boxed();
    if let Some(v) = &filter.industry {
        query = query.filter(enterprises::industry.eq(v.clone()));
    }
    if let Some(v) = &filter.district {
        query = query.filter(enterprises::district.eq(v.clone()));
    }
    if let Some(v) = &filter.status {
        query = query.filter(enterprises::status.eq(v.clone()));
    }
    if let Some(q) = &filter.q {
        query = query.filter(
            enterprises::name_lower
                .like(like_contains(&q.to_lowercase()))
                .escape('\\'),
        );
    }
    if let Some(before) = before {
        query = query.filter(enterprises::id.lt(before.0));
    }
    Ok(query
        .order(enterprises::id.desc())
        .limit(fetch)
        .load(conn)?)
}

/// Whether a suspension order is in force for the enterprise (issued and not lifted).
pub fn order_in_force(conn: &mut DbConn, id: EnterpriseId) -> Result<bool, ApiError> {
    use crate::schema::orders;
    let n: i64 = orders::table
        .filter(orders::enterprise_id.eq(id.0))
        .filter(orders::lifted_on.is_null())
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

// The status the suspension-order functions below read and write.
use super::domain::EnterpriseStatus as Status;

/// Takes the enterprise's row lock (PostgreSQL) for the rest of the transaction, so that two
/// order changes on one enterprise serialise; returns its status, `None` when it does not exist.
pub fn lock_status(conn: &mut DbConn, id: EnterpriseId) -> Result<Option<Status>, ApiError> {
    let touched = diesel::update(enterprises::table.find(id.0))
        .set(enterprises::status.eq(enterprises::status))
        .execute(conn)?;
    if touched == 0 {
        return Ok(None);
    }
    let status: String = enterprises::table
        .find(id.0)
        .select(enterprises::status)
        .get_result(conn)?;
    Status::parse(&status)
        .map(Some)
        .ok_or_else(|| ApiError::internal("unknown enterprise status stored"))
}

/// Compare-and-set of the enterprise's status (what suspension orders do): true when it was
/// `from` and is now `to`.
pub fn set_status_if(
    conn: &mut DbConn,
    id: EnterpriseId,
    from: Status,
    to: Status,
    now: NaiveDateTime,
) -> Result<bool, ApiError> {
    let n = diesel::update(
        enterprises::table
            .find(id.0)
            .filter(enterprises::status.eq(from.as_str())),
    )
    .set((
        enterprises::status.eq(to.as_str()),
        enterprises::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}
