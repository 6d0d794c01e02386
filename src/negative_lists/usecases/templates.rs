//! Industry templates: the index, one template, and replacing one.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{NegativeListError, TEMPLATE, codes_payload, item_views};
use crate::audit::{self, Actor};
use crate::db::DbConn;
use crate::negative_lists::domain::{self, Item, ItemInput};
use crate::negative_lists::store;
use crate::validate::Validator;

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateSummary {
    pub industry: String,
    pub name: String,
    pub item_count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateIndex {
    pub items: Vec<TemplateSummary>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateView {
    pub industry: String,
    pub items: Vec<Item>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemsRequest {
    pub items: Vec<ItemInput>,
}

/// Every industry with the number of items of its template (an industry without one has 0).
pub fn index(conn: &mut DbConn) -> Result<TemplateIndex, NegativeListError> {
    let items = store::template_counts(conn)?
        .into_iter()
        .map(|(industry, name, item_count)| TemplateSummary {
            industry,
            name,
            item_count,
        })
        .collect();
    Ok(TemplateIndex { items })
}

/// An industry's template in order; an unknown industry is `NotFound`.
pub fn get(conn: &mut DbConn, industry: String) -> Result<TemplateView, NegativeListError> {
    if !store::industry_exists(conn, &industry)? {
        return Err(NegativeListError::NotFound);
    }
    let items = item_views(store::template_items(conn, &industry)?)?;
    Ok(TemplateView { industry, items })
}

/// Replaces an industry's template with `request.items`: every item checked, codes unique, at
/// least one item (`Invalid` otherwise, before the industry is looked up). Lists already copied
/// from the template keep their items.
pub fn replace(
    conn: &mut DbConn,
    now: NaiveDateTime,
    actor: &Actor,
    industry: String,
    request: ItemsRequest,
) -> Result<TemplateView, NegativeListError> {
    let mut v = Validator::new();
    let items = domain::validate_items(&request.items, &mut v);
    if items.is_empty() {
        v.add("items", "empty", "a template needs at least one item");
    }
    v.finish()?;
    if !store::industry_exists(conn, &industry)? {
        return Err(NegativeListError::NotFound);
    }
    store::replace_template(conn, &industry, &items)?;
    audit::store::append(
        conn,
        TEMPLATE,
        &industry,
        "replaced",
        actor,
        codes_payload(&items),
        now,
    )?;
    Ok(TemplateView { industry, items })
}
