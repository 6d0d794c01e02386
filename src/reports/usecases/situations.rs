//! The reward-situation catalogue (奖励情形): the list, and the import of a JSON array or a CSV
//! file with a header row, all or nothing, a situation whose code exists being replaced.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::{Now, ReportError, internal_text};
use crate::audit::{self, Actor};
use crate::db::DbConn;
use crate::enterprises::domain::ReferenceCodes;
use crate::error::ApiError;
use crate::http::pagination::{Page, PageRequest};
use crate::reports::domain::{self, Category, RuleFigures, RuleKind};
use crate::reports::store::{self, NewSituation, SituationRow};
use crate::validate::{Invalid, Validator};

#[derive(Debug, Serialize, ToSchema)]
pub struct SituationView {
    pub code: String,
    pub industry: String,
    pub category: Category,
    pub description: String,
    pub kind: RuleKind,
    pub amount_fen: Option<i64>,
    pub rate: Option<f64>,
    pub per_death_general_fen: Option<i64>,
    pub per_death_larger_fen: Option<i64>,
    pub per_death_major_fen: Option<i64>,
    pub per_death_especially_major_fen: Option<i64>,
    pub floor_fen: Option<i64>,
    pub cap_fen: Option<i64>,
    #[serde(serialize_with = "crate::clock::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

impl TryFrom<SituationRow> for SituationView {
    type Error = ApiError;
    fn try_from(r: SituationRow) -> Result<Self, ApiError> {
        Ok(Self {
            category: internal_text(&r.category, Category::parse)?,
            kind: internal_text(&r.kind, RuleKind::parse)?,
            code: r.code,
            industry: r.industry,
            description: r.description,
            amount_fen: r.amount_fen,
            rate: r.rate_bp.map(|b| f64::from(b) / domain::BP as f64),
            per_death_general_fen: r.per_death_general_fen,
            per_death_larger_fen: r.per_death_larger_fen,
            per_death_major_fen: r.per_death_major_fen,
            per_death_especially_major_fen: r.per_death_especially_major_fen,
            floor_fen: r.floor_fen,
            cap_fen: r.cap_fen,
            updated_at: r.updated_at,
        })
    }
}

/// One situation of an import: a JSON object or a CSV line with these columns.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SituationInput {
    /// 1 to 40 letters, digits, `-` or `_`; an existing code is replaced.
    pub code: String,
    pub industry: String,
    /// A report category code.
    pub category: String,
    pub description: String,
    /// `fixed`, `fine_share` or `per_death`.
    pub kind: String,
    pub amount_fen: Option<i64>,
    pub rate: Option<f64>,
    pub per_death_general_fen: Option<i64>,
    pub per_death_larger_fen: Option<i64>,
    pub per_death_major_fen: Option<i64>,
    pub per_death_especially_major_fen: Option<i64>,
    pub floor_fen: Option<i64>,
    pub cap_fen: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SituationImportResult {
    pub imported: usize,
    pub created: usize,
    pub updated: usize,
}

pub const MAX_SITUATION_ROWS: usize = 10_000;

/// The columns of a situation import's CSV file: a [`SituationInput`]'s fields.
pub const SITUATION_COLUMNS: &[&str] = &[
    "code",
    "industry",
    "category",
    "description",
    "kind",
    "amount_fen",
    "rate",
    "per_death_general_fen",
    "per_death_larger_fen",
    "per_death_major_fen",
    "per_death_especially_major_fen",
    "floor_fen",
    "cap_fen",
];

/// Checks every row of an import (1 to [`MAX_SITUATION_ROWS`]): codes of 1 to 40 letters,
/// digits, `-` or `_`, each once; known industries and categories; a description of 1 to 500
/// characters; a rule consistent with its kind. Names every bad field by row.
fn check_situations(
    inputs: &[SituationInput],
    codes: &impl ReferenceCodes,
    now: NaiveDateTime,
) -> Result<Vec<NewSituation>, Invalid> {
    let mut v = Validator::new();
    if inputs.is_empty() {
        v.add("", "empty", "the import holds no rows");
    }
    if inputs.len() > MAX_SITUATION_ROWS {
        v.add(
            "",
            "too_many_rows",
            format!("at most {MAX_SITUATION_ROWS} rows per import"),
        );
    }
    v.finish()?;
    let mut v = Validator::new();
    let mut out = Vec::with_capacity(inputs.len());
    let mut seen = HashMap::<String, usize>::new();
    for (i, s) in inputs.iter().enumerate() {
        let p = format!("[{i}].");
        let code = s.code.trim();
        if code.is_empty()
            || code.len() > 40
            || !code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        {
            v.add(
                format!("{p}code"),
                "invalid",
                "must be 1 to 40 letters, digits, - or _",
            );
        } else if let Some(first) = seen.insert(code.to_owned(), i) {
            v.add(
                format!("{p}code"),
                "duplicate",
                format!("repeats row {first}"),
            );
        }
        if !codes.has_industry(s.industry.trim()) {
            v.add(
                format!("{p}industry"),
                "unknown_code",
                "is not an industry code",
            );
        }
        let category = Category::parse(s.category.trim());
        if category.is_none() {
            v.add(
                format!("{p}category"),
                "invalid_value",
                "is not a report category",
            );
        }
        let description = v.text(&format!("{p}description"), &s.description, 1, 500);
        let kind = RuleKind::parse(s.kind.trim()).filter(|k| *k != RuleKind::None);
        if kind.is_none() {
            v.add(
                format!("{p}kind"),
                "invalid_value",
                "must be fixed, fine_share or per_death",
            );
        }
        let figures = RuleFigures {
            amount_fen: s.amount_fen,
            rate: s.rate,
            per_death_general_fen: s.per_death_general_fen,
            per_death_larger_fen: s.per_death_larger_fen,
            per_death_major_fen: s.per_death_major_fen,
            per_death_especially_major_fen: s.per_death_especially_major_fen,
            floor_fen: s.floor_fen,
            cap_fen: s.cap_fen,
        };
        let rule = kind.and_then(|k| domain::check_rule(k, &figures, &p, &mut v));
        if let (Some(category), Some(description), Some(rule)) = (category, description, rule) {
            let per = rule.per_death_fen;
            out.push(NewSituation {
                code: code.to_owned(),
                industry: s.industry.trim().to_owned(),
                category: category.as_str().to_owned(),
                description,
                kind: rule.kind.as_str().to_owned(),
                amount_fen: rule.amount_fen,
                rate_bp: rule.rate_bp,
                per_death_general_fen: per.map(|t| t[0]),
                per_death_larger_fen: per.map(|t| t[1]),
                per_death_major_fen: per.map(|t| t[2]),
                per_death_especially_major_fen: per.map(|t| t[3]),
                floor_fen: rule.floor_fen,
                cap_fen: rule.cap_fen,
                created_at: now,
                updated_at: now,
            });
        }
    }
    v.finish()?;
    Ok(out)
}

fn situation_payload(s: &NewSituation) -> Value {
    json!({
        "code": s.code, "industry": s.industry, "category": s.category,
        "description": s.description, "kind": s.kind, "amount_fen": s.amount_fen,
        "rate_bp": s.rate_bp, "per_death_general_fen": s.per_death_general_fen,
        "per_death_larger_fen": s.per_death_larger_fen, "per_death_major_fen": s.per_death_major_fen,
        "per_death_especially_major_fen": s.per_death_especially_major_fen,
        "floor_fen": s.floor_fen, "cap_fen": s.cap_fen,
    })
}

/// The catalogue newest first, filtered by industry (a known code) and category.
pub fn list(
    conn: &mut DbConn,
    industry: Option<&str>,
    category: Option<Category>,
    page: PageRequest,
) -> Result<Page<SituationView>, ReportError> {
    crate::enterprises::store::check_filter_codes(conn, industry, None)?;
    let category = category.map(Category::as_str);
    let rows = store::list_situations(conn, industry, category, page.before_id, page.fetch())?;
    Ok(Page::of(rows, page, |r| r.id, SituationView::try_from)?)
}

/// Imports situations all or nothing: a situation whose code exists is replaced (an `updated`
/// event), the others are created (an `imported` event each).
pub fn import(
    conn: &mut DbConn,
    now: Now,
    actor: &Actor,
    inputs: &[SituationInput],
) -> Result<SituationImportResult, ReportError> {
    let codes = crate::enterprises::store::reference_codes(conn)?;
    let rows = check_situations(inputs, &codes, now.at)?;
    let all: Vec<&str> = rows.iter().map(|r| r.code.as_str()).collect();
    let existing: HashSet<String> = store::existing_situation_codes(conn, &all)?
        .into_iter()
        .collect();
    let (old, new): (Vec<NewSituation>, Vec<NewSituation>) =
        rows.into_iter().partition(|r| existing.contains(&r.code));
    store::insert_situations(conn, &new)?;
    let events: Vec<(String, Value)> = new
        .iter()
        .map(|s| (s.code.clone(), situation_payload(s)))
        .collect();
    audit::store::append_first_many(conn, "reward_situation", "imported", actor, &events, now.at)?;
    for s in &old {
        store::update_situation(conn, s)?;
        audit::store::append(
            conn,
            "reward_situation",
            &s.code,
            "updated",
            actor,
            situation_payload(s),
            now.at,
        )?;
    }
    Ok(SituationImportResult {
        imported: old.len() + new.len(),
        created: new.len(),
        updated: old.len(),
    })
}
