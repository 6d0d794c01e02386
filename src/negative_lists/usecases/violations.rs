//! Violation records: recording one (with the repeat and escalation flags of the employee's
//! window), correcting it once, reading one and the list.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SubsecRound, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use super::{NegativeListError, VIOLATION, empty_page, narrowed, stored};
use crate::actor::Scope;
use crate::audit::{self, Actor, TimelineEntry};
use crate::db::DbConn;
use crate::db::transition::{self, Event};
use crate::error::ApiError;
use crate::http::pagination::{Page, PageRequest};
use crate::ids::{EnterpriseId, ViolationId};
use crate::negative_lists::domain::{
    self, Category, EmployeeRef, EmployeeRefError, Handling, Severity,
};
use crate::negative_lists::store::{self, NewViolation, ViolationFilter, ViolationRow};
use crate::validate::{Invalid, Validator};

/// A violation, in the words of a refused transition.
const WHAT: &str = "the violation";

#[derive(Debug, Serialize, ToSchema)]
pub struct ViolationView {
    pub id: i64,
    pub enterprise_id: EnterpriseId,
    /// The version in force at `occurred_at`.
    pub list_id: i64,
    pub item_code: String,
    /// The item's category and severity.
    pub category: Category,
    pub severity: Severity,
    pub employee_ref: String,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: NaiveDateTime,
    pub location: String,
    pub description: String,
    pub handling: Handling,
    pub fine_fen: i64,
    /// The user who recorded it.
    pub recorded_by: i64,
    #[serde(serialize_with = "crate::clock::utc::option::serialize")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub corrected_at: Option<NaiveDateTime>,
    pub correction_note: Option<String>,
    /// Another violation of the same employee in the 90 days up to this one.
    pub repeat: bool,
    /// The third or later in those 90 days.
    pub escalated: bool,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    /// The record's history (single-record responses only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<TimelineEntry>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ViolationRequest {
    /// Required for staff; an enterprise account records for itself (may be left out).
    pub enterprise_id: Option<i64>,
    /// An item of the list version in force at `occurred_at`.
    pub item_code: String,
    /// The enterprise's staff number or a pseudonym; never a resident ID number.
    pub employee_ref: String,
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: DateTime<Utc>,
    pub location: String,
    pub description: String,
    pub handling: Handling,
    /// Required (> 0) with handling `fine`, and only then.
    #[serde(default)]
    pub fine_fen: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectRequest {
    /// When the behaviour was corrected: not before the violation, not in the future.
    #[schema(value_type = String, format = DateTime)]
    pub corrected_at: DateTime<Utc>,
    pub note: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ViolationQuery {
    pub enterprise_id: Option<i64>,
    pub category: Option<Category>,
    pub severity: Option<Severity>,
    /// First local date (inclusive) of `occurred_at`.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// Last local date (inclusive) of `occurred_at`.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
    pub corrected: Option<bool>,
    pub repeat: Option<bool>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

pub const MAX_FINE_FEN: i64 = 10_000_000_000;

fn violation_view(
    r: ViolationRow,
    timeline: Option<Vec<TimelineEntry>>,
) -> Result<ViolationView, ApiError> {
    Ok(ViolationView {
        id: r.id.0,
        enterprise_id: r.enterprise_id,
        list_id: r.list_id.0,
        category: stored(Category::parse(&r.category))?,
        severity: stored(Severity::parse(&r.severity))?,
        handling: stored(Handling::parse(&r.handling))?,
        item_code: r.item_code,
        employee_ref: r.employee_ref,
        occurred_at: r.occurred_at,
        location: r.location,
        description: r.description,
        fine_fen: r.fine_fen,
        recorded_by: r.recorded_by,
        corrected_at: r.corrected_at,
        correction_note: r.correction_note,
        repeat: r.repeat,
        escalated: r.escalated,
        created_at: r.created_at,
        updated_at: r.updated_at,
        timeline,
    })
}

/// A record with its timeline.
fn full_violation(conn: &mut DbConn, r: ViolationRow) -> Result<ViolationView, NegativeListError> {
    let timeline = audit::store::timeline(conn, VIOLATION, &r.id.to_string())?;
    Ok(violation_view(r, Some(timeline))?)
}

/// The record `id` if the caller may see it (another enterprise's is `NotFound`).
fn visible_violation(
    conn: &mut DbConn,
    scope: Scope,
    id: ViolationId,
) -> Result<ViolationRow, NegativeListError> {
    scope
        .visible(store::find_violation(conn, id)?, |r| r.enterprise_id)
        .ok_or(NegativeListError::NotFound)
}

/// A record's state as a refused correction names it.
fn correction_state(r: &ViolationRow) -> String {
    if r.corrected_at.is_some() {
        "corrected"
    } else {
        "open"
    }
    .to_owned()
}

/// A violation as sent, checked: what [`record`] writes.
#[derive(Debug, Clone)]
pub struct Recording {
    pub enterprise: EnterpriseId,
    pub employee: EmployeeRef,
    pub occurred_at: NaiveDateTime,
    pub item_code: String,
    pub location: String,
    pub description: String,
    pub handling: Handling,
    pub fine_fen: i64,
}

impl Recording {
    /// Checks a request against the fields' rules, before any database work: an enterprise
    /// records for itself (staff name the enterprise), `occurred_at` not in the future, an
    /// `employee_ref` that is not a resident ID number, a fine's amount with, and only with,
    /// handling `fine`. Every bad field is named.
    pub fn parse(
        scope: Scope,
        now: NaiveDateTime,
        input: ViolationRequest,
    ) -> Result<Self, NegativeListError> {
        let mut v = Validator::new();
        let enterprise = match (scope, input.enterprise_id) {
            (Scope::Enterprise(own), Some(asked)) if own.0 != asked => {
                v.add(
                    "enterprise_id",
                    "not_found",
                    "is not an enterprise you may record for",
                );
                None
            }
            (Scope::Enterprise(own), _) => Some(own),
            (Scope::Nothing, _) => {
                v.add(
                    "enterprise_id",
                    "not_found",
                    "is not an enterprise you may record for",
                );
                None
            }
            (Scope::All, Some(asked)) => Some(EnterpriseId(asked)),
            (Scope::All, None) => {
                v.add("enterprise_id", "required", "is required");
                None
            }
        };
        let employee = match EmployeeRef::parse(&input.employee_ref) {
            Ok(e) => Some(e),
            Err(e) => {
                let code = match e {
                    EmployeeRefError::Length => "invalid_length",
                    EmployeeRefError::ResidentId => "resident_id",
                };
                v.add("employee_ref", code, e.to_string());
                None
            }
        };
        let occurred_at = input.occurred_at.trunc_subsecs(6).naive_utc();
        if occurred_at > now {
            v.add("occurred_at", "out_of_range", "cannot lie in the future");
        }
        let item_code = input.item_code.trim().to_owned();
        if item_code.is_empty() {
            v.add("item_code", "required", "is required");
        }
        let location = v.text("location", &input.location, 1, 200);
        let description = v.text("description", &input.description, 0, 2000);
        if !(0..=MAX_FINE_FEN).contains(&input.fine_fen) {
            v.add("fine_fen", "out_of_range", "must be 0 to 10,000,000,000");
        } else if input.handling == Handling::Fine && input.fine_fen == 0 {
            v.add("fine_fen", "required", "a fine needs its amount in fen");
        } else if input.handling != Handling::Fine && input.fine_fen != 0 {
            v.add(
                "fine_fen",
                "invalid",
                "only handling `fine` carries an amount",
            );
        }
        v.finish()?;
        let (Some(enterprise), Some(employee), Some(location), Some(description)) =
            (enterprise, employee, location, description)
        else {
            return Err(ApiError::internal("validator passed without values").into());
        };
        Ok(Self {
            enterprise,
            employee,
            occurred_at,
            item_code,
            location,
            description,
            handling: input.handling,
            fine_fen: input.fine_fen,
        })
    }
}

/// The key that serialises the flag computations of one employee.
fn employee_lock_key(enterprise: EnterpriseId, employee: &EmployeeRef) -> i64 {
    let mut h = Sha256::new();
    h.update(b"violations\n");
    h.update(enterprise.0.to_be_bytes());
    h.update(employee.as_str().as_bytes());
    let digest = h.finalize();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// Records a violation. The item must belong to the list version in force at `occurred_at`
/// (`store::in_force`: the latest `effective_from` not after it; none in force is `Invalid` on
/// `item_code`), and the record takes the item's category and severity. `repeat` and
/// `escalated` follow `domain::reflag` over the employee's violations within 90 days either
/// side: this one's flags, and the later ones' when it was recorded out of order (each change
/// an audit event of the system). One employee's recordings are serialised by a lock.
pub fn record(
    conn: &mut DbConn,
    now: NaiveDateTime,
    actor: &Actor,
    input: Recording,
) -> Result<ViolationView, NegativeListError> {
    let recorder = actor
        .user_id
        .ok_or_else(|| ApiError::internal("a violation needs a signed-in recorder"))?;
    let enterprise = input.enterprise;
    let occurred_at = input.occurred_at;
    if crate::enterprises::store::find(conn, enterprise)?.is_none() {
        return Err(Invalid::field("enterprise_id", "not_found", "no such enterprise").into());
    }
    crate::db::lock_key(conn, employee_lock_key(enterprise, &input.employee))
        .map_err(ApiError::from)?;
    let list = store::in_force(conn, enterprise, occurred_at)?.ok_or_else(|| {
        Invalid::field(
            "item_code",
            "no_list_in_force",
            "no published negative list was in force at occurred_at",
        )
    })?;
    let item = store::find_item(conn, list.id, &input.item_code)?.ok_or_else(|| {
        Invalid::field(
            "item_code",
            "unknown_code",
            format!(
                "is not an item of version {}, in force at occurred_at",
                list.version
            ),
        )
    })?;
    let row = store::insert_violation(
        conn,
        &NewViolation {
            enterprise_id: enterprise.0,
            list_id: list.id.0,
            item_code: item.code,
            category: item.category,
            severity: item.severity,
            employee_ref: input.employee.as_str().to_owned(),
            occurred_at,
            location: input.location,
            description: input.description,
            handling: input.handling.as_str().to_owned(),
            fine_fen: input.fine_fen,
            recorded_by: recorder.0,
            corrected_at: None,
            correction_note: None,
            repeat: false,
            escalated: false,
            created_at: now,
            updated_at: now,
        },
    )?;
    audit::store::append_first(
        conn,
        VIOLATION,
        &row.id.to_string(),
        "recorded",
        actor,
        json!({
            "enterprise_id": row.enterprise_id, "list_id": row.list_id,
            "item_code": row.item_code, "employee_ref": row.employee_ref,
            "occurred_at": crate::clock::rfc3339(row.occurred_at),
            "location": row.location, "description": row.description,
            "handling": row.handling, "fine_fen": row.fine_fen,
        }),
        now,
    )?;
    let window = domain::repeat_window();
    let recorded = store::employee_window(
        conn,
        enterprise,
        &row.employee_ref,
        occurred_at - window,
        occurred_at + window,
    )?;
    for (id, flags) in domain::reflag(&recorded, occurred_at) {
        let id = ViolationId(id);
        store::set_flags(conn, id, flags, now)?;
        audit::store::append(
            conn,
            VIOLATION,
            &id.to_string(),
            if id == row.id { "flagged" } else { "reflagged" },
            &Actor::SYSTEM,
            json!({"repeat": flags.repeat, "escalated": flags.escalated, "after_violation": row.id}),
            now,
        )?;
    }
    let row = store::find_violation(conn, row.id)?.ok_or(NegativeListError::NotFound)?;
    full_violation(conn, row)
}

/// Records that a violation was corrected: `corrected_at` not before the violation, not in the
/// future, with a note. It is set once: a second time is 409 (a compare-and-set on
/// `corrected_at IS NULL`, settled with its `corrected` event). Another enterprise's record is
/// `NotFound`.
pub fn correct(
    conn: &mut DbConn,
    now: NaiveDateTime,
    actor: &Actor,
    scope: Scope,
    id: ViolationId,
    request: CorrectRequest,
) -> Result<ViolationView, NegativeListError> {
    let corrected_at = request.corrected_at.trunc_subsecs(6).naive_utc();
    let row = visible_violation(conn, scope, id)?;
    if row.corrected_at.is_some() {
        return Err(transition::refused(WHAT, &correction_state(&row)).into());
    }
    let mut v = Validator::new();
    if corrected_at > now {
        v.add("corrected_at", "out_of_range", "cannot lie in the future");
    } else if corrected_at < row.occurred_at {
        v.add(
            "corrected_at",
            "out_of_range",
            "cannot be before occurred_at",
        );
    }
    let note = v.text("note", &request.note, 1, 2000);
    v.finish()?;
    let note = note.unwrap_or_default();
    let updated = store::correct(conn, id, corrected_at, &note, now)?;
    let row = transition::settle(
        conn,
        updated,
        WHAT,
        |conn| Ok(store::find_violation(conn, id)?.map(|r| correction_state(&r))),
        Event {
            aggregate: VIOLATION,
            id: id.0,
            action: "corrected",
            actor,
            payload: json!({"corrected_at": crate::clock::rfc3339(corrected_at), "note": note}),
            at: now,
        },
    )?;
    full_violation(conn, row)
}

/// Violation records, newest recorded first, filtered by enterprise, category, severity, the
/// city's local dates of occurrence (`to` not before `from`), corrected and repeat. An
/// enterprise sees only its own: asking for another's is an empty page.
pub fn page(
    conn: &mut DbConn,
    tz: Tz,
    scope: Scope,
    q: ViolationQuery,
) -> Result<Page<ViolationView>, NegativeListError> {
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    if let (Some(from), Some(to)) = (q.from, q.to)
        && from > to
    {
        return Err(Invalid::field("to", "out_of_range", "must not be before from").into());
    }
    let Some(enterprise) = narrowed(scope, q.enterprise_id.map(EnterpriseId)) else {
        return Ok(empty_page());
    };
    let (start, end) = domain::local_period(q.from, q.to, tz);
    let filter = ViolationFilter {
        enterprise,
        category: q.category.map(|c| c.as_str().to_owned()),
        severity: q.severity.map(|s| s.as_str().to_owned()),
        start,
        end,
        corrected: q.corrected,
        repeat: q.repeat,
    };
    let rows = store::violations(conn, &filter, page.before_id, page.fetch())?;
    Ok(Page::of(
        rows,
        page,
        |r| r.id.0,
        |r| violation_view(r, None),
    )?)
}

/// One record with its timeline; another enterprise's is `NotFound`.
pub fn get(
    conn: &mut DbConn,
    scope: Scope,
    id: ViolationId,
) -> Result<ViolationView, NegativeListError> {
    let row = visible_violation(conn, scope, id)?;
    full_violation(conn, row)
}
