//! The use cases of the enterprise register: registering one enterprise, importing many, changing
//! one, and the reads that combine queries. Each runs inside the caller's one transaction (or
//! read), writes its audit events, and answers with a view or an [`EnterpriseError`].

use std::collections::HashMap;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::credit_code::CreditCode;
use super::domain::{self, EnterpriseInput, EnterpriseStatus, ReferenceCodes, ValidEnterprise};
use super::store::{self, EnterpriseChanges, EnterpriseRow, Filter, NewEnterprise};
use crate::actor::{Actor, Scope};
use crate::audit;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::http::pagination::{Page, PageRequest};
use crate::ids::EnterpriseId;
use crate::validate::{Invalid, Validator};

/// The aggregate type of an enterprise's audit events.
pub const ENTERPRISE: &str = "enterprise";

pub const MAX_IMPORT_ROWS: usize = 10_000;

/// What the register's use cases answer besides their view.
#[derive(Debug, thiserror::Error)]
pub enum EnterpriseError {
    #[error("no such enterprise")]
    NotFound,
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// `operating` asked for while a suspension order is in force.
    #[error("a suspension order is in force; lift it to resume operation")]
    OrderInForce,
    /// Store and audit failures (a taken credit code, a lost race) pass through.
    #[error(transparent)]
    Store(#[from] ApiError),
}

impl From<EnterpriseError> for ApiError {
    fn from(e: EnterpriseError) -> Self {
        match e {
            EnterpriseError::NotFound => ApiError::NotFound,
            EnterpriseError::Invalid(invalid) => invalid.into(),
            EnterpriseError::OrderInForce => ApiError::Conflict(e.to_string()),
            EnterpriseError::Store(e) => e,
        }
    }
}

impl From<diesel::result::Error> for EnterpriseError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Store(e.into())
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EnterpriseView {
    pub id: EnterpriseId,
    pub credit_code: String,
    pub name: String,
    pub industry: String,
    pub district: String,
    pub address: String,
    pub legal_representative: String,
    pub safety_director: Option<String>,
    pub employee_count: i32,
    pub status: EnterpriseStatus,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

impl TryFrom<EnterpriseRow> for EnterpriseView {
    type Error = ApiError;
    fn try_from(r: EnterpriseRow) -> Result<Self, ApiError> {
        Ok(Self {
            id: EnterpriseId(r.id),
            status: EnterpriseStatus::parse(&r.status)
                .ok_or_else(|| ApiError::internal("unknown status stored"))?,
            credit_code: r.credit_code,
            name: r.name,
            industry: r.industry,
            district: r.district,
            address: r.address,
            legal_representative: r.legal_representative,
            safety_director: r.safety_director,
            employee_count: r.employee_count,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ImportResult {
    pub imported: usize,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEnterpriseRequest {
    pub credit_code: Option<String>,
    pub name: Option<String>,
    pub industry: Option<String>,
    pub district: Option<String>,
    pub address: Option<String>,
    pub legal_representative: Option<String>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "crate::http::extract::double_option")]
    #[schema(value_type = Option<String>)]
    pub safety_director: Option<Option<String>>,
    pub employee_count: Option<i64>,
    /// `closed` (deregistered) or back to `operating`; `suspended` is set only by orders.
    pub status: Option<EnterpriseStatus>,
}

fn created_payload(e: &ValidEnterprise) -> Value {
    json!({
        "credit_code": e.credit_code.as_str(), "name": e.name, "industry": e.industry,
        "district": e.district, "address": e.address, "legal_representative": e.legal_representative,
        "safety_director": e.safety_director, "employee_count": e.employee_count,
    })
}

/// A new enterprise's fields checked, its industry and district against the reference tables
/// (every bad field named). Done before an idempotent replay is looked up, as the handler's
/// first step.
pub fn check_new(
    conn: &mut DbConn,
    input: &EnterpriseInput,
) -> Result<ValidEnterprise, EnterpriseError> {
    let codes = store::reference_codes(conn)?;
    let mut v = Validator::new();
    let valid = domain::validate(input, &codes, "", &mut v);
    v.finish()?;
    Ok(valid.ok_or_else(|| ApiError::internal("validator passed without a value"))?)
}

/// Registers a checked enterprise, `operating`, with its `created` event. The credit code is
/// unique (409 `conflict`).
pub fn create(
    conn: &mut DbConn,
    now: NaiveDateTime,
    actor: &Actor,
    valid: &ValidEnterprise,
) -> Result<EnterpriseView, EnterpriseError> {
    let row = store::insert(conn, &NewEnterprise::from_valid(valid, now))?;
    audit::store::append_first(
        conn,
        ENTERPRISE,
        &row.id.to_string(),
        "created",
        actor,
        created_payload(valid),
        now,
    )?;
    Ok(EnterpriseView::try_from(row)?)
}

/// Imports up to [`MAX_IMPORT_ROWS`] enterprises, all or nothing: every row is checked, its
/// credit code unique within the file and new to the register; a 422 names every bad row by
/// index and field (`[3].credit_code`). Each enterprise gets an `imported` event.
pub fn import(
    conn: &mut DbConn,
    now: NaiveDateTime,
    actor: &Actor,
    inputs: &[EnterpriseInput],
) -> Result<ImportResult, EnterpriseError> {
    let codes = store::reference_codes(conn)?;
    let valid = check_import(conn, inputs, &codes)?;
    let rows: Vec<NewEnterprise<'_>> = valid
        .iter()
        .map(|e| NewEnterprise::from_valid(e, now))
        .collect();
    store::insert_many(conn, &rows)?;
    let all_codes: Vec<&str> = valid.iter().map(|e| e.credit_code.as_str()).collect();
    let ids: HashMap<String, EnterpriseId> = store::ids_by_credit_code(conn, &all_codes)?
        .into_iter()
        .collect();
    let events = valid
        .iter()
        .filter_map(|e| {
            ids.get(e.credit_code.as_str())
                .map(|id| (id.to_string(), created_payload(e)))
        })
        .collect::<Vec<_>>();
    audit::store::append_first_many(conn, ENTERPRISE, "imported", actor, &events, now)?;
    Ok(ImportResult {
        imported: valid.len(),
    })
}

/// Checks every row, its credit code against the file and the database.
fn check_import(
    conn: &mut DbConn,
    inputs: &[EnterpriseInput],
    codes: &impl ReferenceCodes,
) -> Result<Vec<ValidEnterprise>, EnterpriseError> {
    let mut v = Validator::new();
    if inputs.is_empty() {
        v.add("", "empty", "the import holds no rows");
    }
    if inputs.len() > MAX_IMPORT_ROWS {
        v.add(
            "",
            "too_many_rows",
            format!("at most {MAX_IMPORT_ROWS} rows per import"),
        );
    }
    v.finish()?;
    let mut v = Validator::new();
    let mut valid = Vec::with_capacity(inputs.len());
    let mut seen = HashMap::<CreditCode, usize>::new();
    for (i, input) in inputs.iter().enumerate() {
        if let Some(e) = domain::validate(input, codes, &format!("[{i}]."), &mut v) {
            if let Some(first) = seen.insert(e.credit_code.clone(), i) {
                v.add(
                    format!("[{i}].credit_code"),
                    "duplicate",
                    format!("repeats row {first}"),
                );
            }
            valid.push(e);
        }
    }
    let all_codes: Vec<&str> = valid.iter().map(|e| e.credit_code.as_str()).collect();
    for (code, _) in store::ids_by_credit_code(conn, &all_codes)? {
        if let Some(i) = CreditCode::parse(&code).ok().and_then(|c| seen.get(&c)) {
            v.add(
                format!("[{i}].credit_code"),
                "taken",
                "an enterprise with this credit_code exists",
            );
        }
    }
    v.finish()?;
    Ok(valid)
}

/// A page of enterprises, newest first. An unknown `industry` or `district` filter is a 422
/// naming it, never an empty page.
pub fn list(
    conn: &mut DbConn,
    filter: &Filter,
    page: PageRequest,
) -> Result<Page<EnterpriseView>, EnterpriseError> {
    store::check_filter_codes(conn, filter.industry.as_deref(), filter.district.as_deref())?;
    let rows = store::list(conn, filter, page.before_id.map(EnterpriseId), page.fetch())?;
    Ok(Page::of(rows, page, |r| r.id, EnterpriseView::try_from)?)
}

/// One enterprise, if the caller may see it: staff any, an enterprise user only its own
/// (another's is "no such enterprise").
pub fn get(
    conn: &mut DbConn,
    scope: Scope,
    id: EnterpriseId,
) -> Result<EnterpriseView, EnterpriseError> {
    if !scope.sees(id) {
        return Err(EnterpriseError::NotFound);
    }
    let row = store::find(conn, id)?.ok_or(EnterpriseError::NotFound)?;
    Ok(EnterpriseView::try_from(row)?)
}

/// Changes an enterprise. Every given field is checked (every bad one named); `status` may be
/// set to `closed` or back to `operating` — never while a suspension order is in force
/// ([`EnterpriseError::OrderInForce`]) — and asking for `suspended` is a 422: only orders set
/// it. A change of district or industry is copied to the enterprise's inspections (the figures
/// group by those copies). The event is `status_changed` when the status moves, else `updated`.
pub fn update(
    conn: &mut DbConn,
    now: NaiveDateTime,
    actor: &Actor,
    id: EnterpriseId,
    patch: UpdateEnterpriseRequest,
) -> Result<EnterpriseView, EnterpriseError> {
    let current = store::find(conn, id)?.ok_or(EnterpriseError::NotFound)?;
    let codes = store::reference_codes(conn)?;
    let checked = check_patch(&patch, &codes)?;
    let old_status = EnterpriseStatus::parse(&current.status)
        .ok_or_else(|| ApiError::internal("unknown status stored"))?;
    if patch.status == Some(EnterpriseStatus::Operating) && store::order_in_force(conn, id)? {
        return Err(EnterpriseError::OrderInForce);
    }
    let status = patch.status.filter(|s| *s != old_status);
    let changes = EnterpriseChanges {
        credit_code: checked.credit_code,
        name_lower: checked.name.as_ref().map(|n| n.to_lowercase()),
        name: checked.name,
        industry: patch.industry,
        district: patch.district,
        address: checked.address,
        legal_representative: checked.legal_representative,
        safety_director: checked.safety_director,
        employee_count: patch.employee_count.map(|n| n as i32),
        status: status.map(|s| s.as_str().to_owned()),
        updated_at: Some(now),
    };
    let row = store::update_if_unchanged(conn, id, current.updated_at, &changes)?;
    if row.district != current.district || row.industry != current.industry {
        // The inspection figures group by copies of these (enforcement::store).
        crate::enforcement::store::recopy_enterprise(conn, id, &row.district, &row.industry)?;
    }
    audit::store::append(
        conn,
        ENTERPRISE,
        &id.to_string(),
        if status.is_some() {
            "status_changed"
        } else {
            "updated"
        },
        actor,
        json!({
            "credit_code": changes.credit_code, "name": changes.name, "industry": changes.industry,
            "district": changes.district, "address": changes.address,
            "legal_representative": changes.legal_representative,
            "safety_director": changes.safety_director, "employee_count": changes.employee_count,
            "status": changes.status,
        }),
        now,
    )?;
    Ok(EnterpriseView::try_from(row)?)
}

/// A patch's text fields as they will be stored.
struct CheckedPatch {
    credit_code: Option<String>,
    name: Option<String>,
    address: Option<String>,
    legal_representative: Option<String>,
    safety_director: Option<Option<String>>,
}

fn check_patch(
    patch: &UpdateEnterpriseRequest,
    codes: &impl ReferenceCodes,
) -> Result<CheckedPatch, Invalid> {
    let mut v = Validator::new();
    let credit_code = patch
        .credit_code
        .as_deref()
        .and_then(|c| v.check("credit_code", "invalid", CreditCode::parse(c)))
        .map(|c| c.as_str().to_owned());
    let name = patch
        .name
        .as_deref()
        .and_then(|s| v.text("name", s, 1, 200));
    let address = patch
        .address
        .as_deref()
        .and_then(|s| v.text("address", s, 1, 300));
    let legal_representative = patch
        .legal_representative
        .as_deref()
        .and_then(|s| v.text("legal_representative", s, 1, 100));
    let safety_director = match &patch.safety_director {
        Some(Some(s)) => v.text("safety_director", s, 1, 100).map(Some),
        Some(None) => Some(None),
        None => None,
    };
    if let Some(code) = patch.industry.as_deref().filter(|c| !codes.has_industry(c)) {
        v.add(
            "industry",
            "unknown_code",
            format!("{code} is not an industry code"),
        );
    }
    if let Some(code) = patch.district.as_deref().filter(|c| !codes.has_district(c)) {
        v.add(
            "district",
            "unknown_code",
            format!("{code} is not a district code"),
        );
    }
    if patch
        .employee_count
        .is_some_and(|n| !(0..=domain::MAX_EMPLOYEES).contains(&n))
    {
        v.add("employee_count", "out_of_range", "must be 0 to 10,000,000");
    }
    if patch.status == Some(EnterpriseStatus::Suspended) {
        v.add(
            "status",
            "invalid_value",
            "suspended is set and cleared only by suspension orders",
        );
    }
    v.finish()?;
    Ok(CheckedPatch {
        credit_code,
        name,
        address,
        legal_representative,
        safety_director,
    })
}
