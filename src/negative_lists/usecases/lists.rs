//! An enterprise's negative list: versioned, one draft at a time, published versions never
//! change. Drafts are created, edited, published and discarded here; versions are read here.

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::templates::ItemsRequest;
use super::{LIST, NegativeListError, codes_payload, empty_page, item_views, narrowed, stored};
use crate::actor::Scope;
use crate::audit::{self, Actor, TimelineEntry};
use crate::db::DbConn;
use crate::db::transition::{self, Event};
use crate::error::ApiError;
use crate::http::pagination::{Page, PageRequest};
use crate::ids::{EnterpriseId, NegativeListId};
use crate::negative_lists::domain::{self, Item, ListSource, ListStatus};
use crate::negative_lists::store::{self, ItemRow, ListRow, NewList};
use crate::validate::{Invalid, Validator};

/// A version, in the words of a refused transition.
const WHAT: &str = "the negative list version";

const ONE_DRAFT: &str = "the enterprise already has a draft; edit, publish or discard it";

#[derive(Debug, Serialize, ToSchema)]
pub struct ListView {
    pub id: i64,
    pub enterprise_id: EnterpriseId,
    pub version: i32,
    pub status: ListStatus,
    /// What the version was created from.
    pub source: ListSource,
    #[serde(serialize_with = "crate::clock::utc::option::serialize")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<NaiveDateTime>,
    /// The instant from which this version governs violations.
    #[serde(serialize_with = "crate::clock::utc::option::serialize")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub effective_from: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub item_count: usize,
    /// The items, in order (single-record responses only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<Item>>,
    /// The version's history (single-record responses only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<TimelineEntry>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateListRequest {
    pub from: ListSource,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// From when the version governs violations: defaults to now; earlier for records brought
    /// in from paper, never later than now and strictly later than the previous version's.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub effective_from: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub enterprise_id: Option<i64>,
    pub status: Option<ListStatus>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

fn list_view(
    r: ListRow,
    item_count: usize,
    items: Option<Vec<Item>>,
    timeline: Option<Vec<TimelineEntry>>,
) -> Result<ListView, ApiError> {
    Ok(ListView {
        id: r.id.0,
        enterprise_id: r.enterprise_id,
        version: r.version,
        status: stored(ListStatus::parse(&r.status))?,
        source: stored(ListSource::parse(&r.source))?,
        published_at: r.published_at,
        effective_from: r.effective_from,
        created_at: r.created_at,
        updated_at: r.updated_at,
        item_count,
        items,
        timeline,
    })
}

/// A version with its items and timeline.
fn full_list(conn: &mut DbConn, r: ListRow) -> Result<ListView, NegativeListError> {
    let items = item_views(store::list_items(conn, r.id)?)?;
    let timeline = audit::store::timeline(conn, LIST, &r.id.to_string())?;
    Ok(list_view(r, items.len(), Some(items), Some(timeline))?)
}

/// The version `id` if the caller may see it (another enterprise's is `NotFound`).
fn visible_list(
    conn: &mut DbConn,
    scope: Scope,
    id: NegativeListId,
) -> Result<ListRow, NegativeListError> {
    scope
        .visible(store::find_list(conn, id)?, |r| r.enterprise_id)
        .ok_or(NegativeListError::NotFound)
}

fn status_of(conn: &mut DbConn, id: NegativeListId) -> Result<Option<String>, ApiError> {
    Ok(store::find_list(conn, id)?.map(|r| r.status))
}

/// Takes the draft `row` for a change: a compare-and-set on its state that moves `updated_at`
/// on, so that a concurrent change of the same draft waits here and then finds it gone. A
/// version that is not (or no longer) a draft never changes: 409 naming its state.
fn take_draft(
    conn: &mut DbConn,
    row: &ListRow,
    now: NaiveDateTime,
) -> Result<(), NegativeListError> {
    if row.status == ListStatus::Draft.as_str() && store::touch_draft(conn, row.id, now)? {
        return Ok(());
    }
    let state = status_of(conn, row.id)?.unwrap_or_else(|| row.status.clone());
    Err(transition::refused(WHAT, &state).into())
}

/// Starts a draft version of the enterprise's list: empty, a copy of its current version, or a
/// copy of its industry's template (`Invalid` on `from` when there is nothing to copy). An
/// enterprise has at most one draft: a second is a `Conflict` (the store's unique index holds
/// the rule against a concurrent second). A discarded draft's version number is used again.
pub fn create(
    conn: &mut DbConn,
    now: NaiveDateTime,
    actor: &Actor,
    enterprise: EnterpriseId,
    from: ListSource,
) -> Result<ListView, NegativeListError> {
    let author = actor
        .user_id
        .ok_or_else(|| ApiError::internal("a list needs a signed-in author"))?;
    if store::draft_of(conn, enterprise)?.is_some() {
        return Err(NegativeListError::Conflict(ONE_DRAFT.into()));
    }
    let items = match from {
        ListSource::Empty => Vec::new(),
        ListSource::Current => {
            let current = store::current_of(conn, enterprise)?.ok_or_else(|| {
                Invalid::field("from", "not_found", "no version has been published")
            })?;
            store::list_items(conn, current.id)?
        }
        ListSource::Template => {
            let industry = crate::enterprises::store::find(conn, enterprise)?
                .ok_or(NegativeListError::NotFound)?
                .industry;
            let items = store::template_items(conn, &industry)?;
            if items.is_empty() {
                return Err(Invalid::field(
                    "from",
                    "not_found",
                    format!("the industry {industry} has no template"),
                )
                .into());
            }
            items
        }
    };
    let version = store::next_version(conn, enterprise)?;
    let row = store::insert_list(
        conn,
        &NewList {
            enterprise_id: enterprise.0,
            version,
            status: ListStatus::Draft.as_str(),
            source: from.as_str(),
            created_by: author.0,
            created_at: now,
            updated_at: now,
        },
    )?;
    store::insert_items(conn, row.id, &items)?;
    audit::store::append_first(
        conn,
        LIST,
        &row.id.to_string(),
        "created",
        actor,
        json!({"enterprise_id": enterprise.0, "version": version, "from": from.as_str(), "item_count": items.len()}),
        now,
    )?;
    full_list(conn, row)
}

/// The rows of checked items, numbered in order.
fn item_rows(items: &[Item]) -> Vec<ItemRow> {
    items
        .iter()
        .enumerate()
        .map(|(i, it)| ItemRow {
            code: it.code.clone(),
            position: i as i32 + 1,
            category: it.category.as_str().to_owned(),
            title: it.title.clone(),
            description: it.description.clone(),
            severity: it.severity.as_str().to_owned(),
            suggested_handling: it.suggested_handling.as_str().to_owned(),
        })
        .collect()
}

/// Replaces all items of a draft (every item checked, codes unique within the version). A
/// published version never changes: 409.
pub fn replace_items(
    conn: &mut DbConn,
    now: NaiveDateTime,
    actor: &Actor,
    scope: Scope,
    id: NegativeListId,
    request: ItemsRequest,
) -> Result<ListView, NegativeListError> {
    let row = visible_list(conn, scope, id)?;
    if row.status != ListStatus::Draft.as_str() {
        return Err(transition::refused(WHAT, &row.status).into());
    }
    let mut v = Validator::new();
    let items = domain::validate_items(&request.items, &mut v);
    v.finish()?;
    take_draft(conn, &row, now)?;
    store::delete_items(conn, id)?;
    store::insert_items(conn, id, &item_rows(&items))?;
    audit::store::append(
        conn,
        LIST,
        &id.to_string(),
        "items_replaced",
        actor,
        codes_payload(&items),
        now,
    )?;
    let row = store::find_list(conn, id)?.ok_or(NegativeListError::NotFound)?;
    full_list(conn, row)
}

/// Publishes a draft: it becomes the current version and the previous one is superseded. An
/// empty draft cannot be published (`Invalid` on `items`); `effective_from` must not be in the
/// future and must be strictly later than the previous version's (`domain::effective_from`).
/// The draft is taken first, so of two concurrent publications one wins and the other gets 409;
/// `draft → current` is settled as a compare-and-set with its `published` event.
pub fn publish(
    conn: &mut DbConn,
    now: NaiveDateTime,
    actor: &Actor,
    scope: Scope,
    id: NegativeListId,
    request: PublishRequest,
) -> Result<ListView, NegativeListError> {
    let requested = request
        .effective_from
        .map(|t| t.trunc_subsecs(6).naive_utc());
    let row = visible_list(conn, scope, id)?;
    take_draft(conn, &row, now)?;
    if store::list_items(conn, id)?.is_empty() {
        return Err(Invalid::field("items", "empty", "an empty list cannot be published").into());
    }
    let previous = store::current_of(conn, row.enterprise_id)?;
    let effective_from = domain::effective_from(
        requested,
        now,
        previous.as_ref().and_then(|p| p.effective_from),
    )
    .map_err(|e| Invalid::field("effective_from", "out_of_range", e.to_string()))?;
    if let Some(prev) = &previous {
        if !store::supersede(conn, prev.id, now)? {
            return Err(NegativeListError::Conflict(
                "the current version changed concurrently; reload and retry".into(),
            ));
        }
        audit::store::append(
            conn,
            LIST,
            &prev.id.to_string(),
            "superseded",
            actor,
            json!({"by_list_id": id.0, "by_version": row.version}),
            now,
        )?;
    }
    let published = store::publish(conn, id, now, effective_from)?;
    let published = transition::settle(
        conn,
        published,
        WHAT,
        |conn| status_of(conn, id),
        Event {
            aggregate: LIST,
            id: id.0,
            action: "published",
            actor,
            payload: json!({"version": row.version, "effective_from": crate::clock::rfc3339(effective_from)}),
            at: now,
        },
    )?;
    full_list(conn, published)
}

/// Discards a draft and its items. A published version cannot be discarded: 409.
pub fn discard(
    conn: &mut DbConn,
    now: NaiveDateTime,
    actor: &Actor,
    scope: Scope,
    id: NegativeListId,
) -> Result<(), NegativeListError> {
    let row = visible_list(conn, scope, id)?;
    take_draft(conn, &row, now)?;
    store::delete_draft(conn, id)?;
    audit::store::append(
        conn,
        LIST,
        &id.to_string(),
        "discarded",
        actor,
        json!({"version": row.version}),
        now,
    )?;
    Ok(())
}

/// Versions newest first, filtered by enterprise and status, each with its item count. An
/// enterprise sees only its own: asking for another's is an empty page.
pub fn page(
    conn: &mut DbConn,
    scope: Scope,
    q: ListQuery,
) -> Result<Page<ListView>, NegativeListError> {
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let Some(enterprise) = narrowed(scope, q.enterprise_id.map(EnterpriseId)) else {
        return Ok(empty_page());
    };
    let status = q.status.map(|s| s.as_str());
    let rows = store::lists(conn, enterprise, status, page.before_id, page.fetch())?;
    let ids: Vec<NegativeListId> = rows.iter().map(|r| r.id).collect();
    let counts = store::item_counts(conn, &ids)?;
    Ok(Page::of(
        rows,
        page,
        |r| r.id.0,
        |r| {
            let n = counts.get(&r.id).copied().unwrap_or(0) as usize;
            list_view(r, n, None, None)
        },
    )?)
}

/// One version with its items and timeline; another enterprise's is `NotFound`.
pub fn get(
    conn: &mut DbConn,
    scope: Scope,
    id: NegativeListId,
) -> Result<ListView, NegativeListError> {
    let row = visible_list(conn, scope, id)?;
    full_list(conn, row)
}

/// The enterprise's current version with its items and timeline: `NotFound` when none is
/// published, or when the enterprise is not the caller's.
pub fn current(
    conn: &mut DbConn,
    scope: Scope,
    enterprise: EnterpriseId,
) -> Result<ListView, NegativeListError> {
    if !scope.sees(enterprise) {
        return Err(NegativeListError::NotFound);
    }
    let row = store::current_of(conn, enterprise)?.ok_or(NegativeListError::NotFound)?;
    full_list(conn, row)
}
