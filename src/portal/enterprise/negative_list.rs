//! `/e/negative-list`: the employee-violation negative list (员工违规行为负面清单). Start a
//! draft from the industry template (or the current version, or empty), edit its items (rows
//! added and removed without JavaScript), publish it as the new version; record violations
//! against the version in force; the year-on-year figures. Every write is the negative-lists
//! use case the API calls (`lists::create`, `replace_items`, `publish`, `discard`,
//! `violations::record`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeZone, Utc};

use super::super::page::{Ctx, Form, Problems};
use super::super::view::{Choice, choices};
use super::{Ent, Problem, fen_of, local, message, messages_of, own, word};
use crate::error::{ApiError, FieldError};
use crate::ids::NegativeListId;
use crate::negative_lists::domain::{
    Category, Handling, ItemInput, ListSource, ListStatus, Severity,
};
use crate::negative_lists::usecases::figures::{self, StatsQuery, ViolationStats};
use crate::negative_lists::usecases::lists::{self, ListQuery, ListView, PublishRequest};
use crate::negative_lists::usecases::templates::ItemsRequest;
use crate::negative_lists::usecases::violations::{
    self, Recording, ViolationQuery, ViolationRequest, ViolationView,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(overview)
        .service(new_draft)
        .service(edit)
        .service(post_edit)
        .service(record);
}

pub struct ItemLine {
    pub code: String,
    pub category: String,
    pub title: String,
    pub description: String,
    pub severity: String,
    pub handling: String,
}

pub struct VersionLine {
    pub version: String,
    pub status: String,
    pub published: String,
    pub items: String,
}

pub struct ViolationLine {
    pub when: String,
    pub item_code: String,
    pub employee_ref: String,
    pub handling: String,
    pub flags: String,
}

pub struct Figure {
    pub label: String,
    pub value: String,
}

/// What was typed in the violation form.
#[derive(Default)]
pub struct TypedViolation {
    pub item_code: String,
    pub employee_ref: String,
    pub occurred_at: String,
    pub location: String,
    pub description: String,
    pub handling: String,
    pub fine: String,
}

#[derive(Template)]
#[template(path = "portal/enterprise/negative_list.html")]
struct Overview<'a> {
    c: &'a Ctx,
    current_version: String,
    items: Vec<ItemLine>,
    draft_href: String,
    has_current: bool,
    versions: Vec<VersionLine>,
    violations: Vec<ViolationLine>,
    figures: Vec<Figure>,
    change: String,
    item_choices: Vec<Choice>,
    handlings: Vec<Choice>,
    typed: TypedViolation,
    problems: Vec<Problem>,
    err: ViolationErrors,
}

#[derive(Default)]
pub struct ViolationErrors {
    pub item_code: Vec<String>,
    pub employee_ref: Vec<String>,
    pub occurred_at: Vec<String>,
    pub location: Vec<String>,
    pub description: Vec<String>,
    pub handling: Vec<String>,
    pub fine: Vec<String>,
}

/// What the overview reads.
struct Read {
    versions: Vec<ListView>,
    current: Option<ListView>,
    violations: Vec<ViolationView>,
    this_year: ViolationStats,
}

async fn read(s: &Ent) -> Result<Read, ApiError> {
    let enterprise = own(s)?;
    let scope = s.user.scope();
    let tz = s.state.config.timezone;
    let today = s.state.now().today;
    s.state
        .db
        .read_case(move |conn| -> Result<Read, ApiError> {
            let versions = lists::page(
                conn,
                scope,
                ListQuery {
                    enterprise_id: None,
                    status: None,
                    limit: Some(50),
                    cursor: None,
                },
            )?
            .items;
            let current = match lists::current(conn, scope, enterprise) {
                Ok(l) => Some(l),
                Err(crate::negative_lists::usecases::NegativeListError::NotFound) => None,
                Err(e) => return Err(e.into()),
            };
            let violations = violations::page(
                conn,
                tz,
                scope,
                ViolationQuery {
                    enterprise_id: None,
                    category: None,
                    severity: None,
                    from: None,
                    to: None,
                    corrected: None,
                    repeat: None,
                    limit: Some(20),
                    cursor: None,
                },
            )?
            .items;
            // This year so far against the same days of last year.
            let start = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
            let a_year_before = |d: NaiveDate| {
                d.with_year(d.year() - 1)
                    .or_else(|| d.pred_opt().and_then(|p| p.with_year(p.year() - 1)))
            };
            let this_year = figures::violation_stats(
                conn,
                tz,
                scope,
                StatsQuery {
                    from: Some(start),
                    to: Some(today),
                    compare_from: a_year_before(start),
                    compare_to: a_year_before(today),
                    enterprise_id: None,
                    industry: None,
                    district: None,
                },
            )?;
            Ok(Read {
                versions,
                current,
                violations,
                this_year,
            })
        })
        .await
}

fn item_line(c: &Ctx, i: &ItemInput) -> ItemLine {
    ItemLine {
        code: i.code.clone(),
        category: word(c, "e-nl-category-", i.category.as_str()),
        title: i.title.clone(),
        description: i.description.clone(),
        severity: word(c, "e-nl-severity-", i.severity.as_str()),
        handling: word(c, "e-nl-handling-", i.suggested_handling.as_str()),
    }
}

fn render_overview(
    s: &Ent,
    status: StatusCode,
    r: Read,
    typed: TypedViolation,
    problems: &Problems,
) -> Result<HttpResponse, ApiError> {
    let c = &s.ctx;
    let items: Vec<ItemLine> = r
        .current
        .as_ref()
        .and_then(|l| l.items.as_ref())
        .map(|items| items.iter().map(|i| item_line(c, i)).collect())
        .unwrap_or_default();
    let item_choices = r
        .current
        .as_ref()
        .and_then(|l| l.items.as_ref())
        .map(|items| {
            items
                .iter()
                .map(|i| Choice {
                    value: i.code.clone(),
                    label: format!("{} {}", i.code, i.title),
                    selected: i.code == typed.item_code,
                })
                .collect()
        })
        .unwrap_or_default();
    let draft_href = r
        .versions
        .iter()
        .find(|l| l.status == ListStatus::Draft)
        .map(|l| format!("/e/negative-list/{}/edit", l.id))
        .unwrap_or_default();
    let versions = r
        .versions
        .iter()
        .map(|l| VersionLine {
            version: l.version.to_string(),
            status: word(c, "e-nl-status-", l.status.as_str()),
            published: l.published_at.map(|t| local(c, t)).unwrap_or_default(),
            items: l.item_count.to_string(),
        })
        .collect();
    let violations = r
        .violations
        .iter()
        .map(|v| ViolationLine {
            when: local(c, v.occurred_at),
            item_code: v.item_code.clone(),
            employee_ref: v.employee_ref.clone(),
            handling: word(c, "e-nl-handling-", v.handling.as_str()),
            flags: match (v.escalated, v.repeat) {
                (true, _) => c.t("e-nl-escalated"),
                (false, true) => c.t("e-nl-repeat"),
                _ => String::new(),
            },
        })
        .collect();
    let st = &r.this_year;
    let mut figures = vec![
        Figure {
            label: c.t("e-nl-fig-total"),
            value: st.total.to_string(),
        },
        Figure {
            label: c.t("e-nl-fig-compare"),
            value: st.compare_total.unwrap_or(0).to_string(),
        },
    ];
    figures.extend(Category::ALL.iter().map(|cat| {
        Figure {
            label: word(c, "e-nl-category-", cat.as_str()),
            value: st
                .by_category
                .get(cat.as_str())
                .copied()
                .unwrap_or(0)
                .to_string(),
        }
    }));
    figures.push(Figure {
        label: c.t("e-nl-fig-corrected"),
        value: st
            .corrected_share
            .map(|x| format!("{:.0}%", x * 100.0))
            .unwrap_or_else(|| "—".into()),
    });
    figures.push(Figure {
        label: c.t("e-nl-fig-repeats"),
        value: st.repeats.to_string(),
    });
    let change = match st.change_ratio {
        Some(x) => c.t1("e-nl-change", "pct", &format!("{:+.0}%", x * 100.0)),
        None => c.t("e-nl-change-none"),
    };
    let m = |f: &str| messages_of(c, problems, f);
    let err = ViolationErrors {
        item_code: m("item_code"),
        employee_ref: m("employee_ref"),
        occurred_at: m("occurred_at"),
        location: m("location"),
        description: m("description"),
        handling: m("handling"),
        fine: m("fine_fen"),
    };
    let problems = problems
        .items
        .iter()
        .map(|e| {
            let target = match e.field.as_str() {
                "fine_fen" => "fine",
                other => other,
            };
            Problem {
                target: format!("v-{target}"),
                label: c.t.t_or(&format!("e-nl-v-{target}"), &e.field),
                message: message(c, &e.code, &e.message),
            }
        })
        .collect();
    let handlings = choices(
        c,
        Handling::ALL,
        Handling::as_str,
        "e-nl-handling-",
        &typed.handling,
    );
    c.render_status(
        status,
        &Overview {
            c,
            current_version: r
                .current
                .as_ref()
                .map(|l| l.version.to_string())
                .unwrap_or_default(),
            has_current: r.current.is_some(),
            items,
            draft_href,
            versions,
            violations,
            figures,
            change,
            item_choices,
            handlings,
            typed,
            problems,
            err,
        },
    )
}

/// The list in force, the draft, the versions, the violations and the figures.
#[get("/e/negative-list")]
async fn overview(s: Ent) -> Result<HttpResponse, ApiError> {
    let r = read(&s).await?;
    render_overview(
        &s,
        StatusCode::OK,
        r,
        TypedViolation::default(),
        &Problems::default(),
    )
}

/// Starts a draft version from the industry template, the current version, or empty (one
/// draft at a time: a second is the 409 page).
#[post("/e/negative-list/drafts")]
async fn new_draft(s: Ent, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let posted = Form::read(&req, &body, s.csrf.as_deref())?;
    let enterprise = own(&s)?;
    let from = ListSource::parse(&posted.get("from")).ok_or_else(|| {
        ApiError::field(
            "from",
            "invalid_value",
            "must be template, current or empty",
        )
    })?;
    let (now, actor) = (s.state.clock.now_naive(), s.user.actor());
    let draft = s
        .state
        .db
        .write_case(move |conn| lists::create(conn, now, &actor, enterprise, from))
        .await?;
    Ok(s.see_other(&format!("/e/negative-list/{}/edit", draft.id)))
}

pub struct ItemRow {
    pub index: usize,
    pub code: String,
    pub title: String,
    pub description: String,
    pub categories: Vec<Choice>,
    pub severities: Vec<Choice>,
    pub handlings: Vec<Choice>,
    pub errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "portal/enterprise/negative_list_edit.html")]
struct EditPage<'a> {
    c: &'a Ctx,
    version: String,
    action: String,
    rows: Vec<ItemRow>,
    problems: Vec<Problem>,
    list_errors: Vec<String>,
}

/// An item as typed: its text and its three codes (which may not parse when tampered with).
struct TypedItem {
    code: String,
    category: String,
    title: String,
    description: String,
    severity: String,
    handling: String,
}

fn typed_of(i: &ItemInput) -> TypedItem {
    TypedItem {
        code: i.code.clone(),
        category: i.category.as_str().into(),
        title: i.title.clone(),
        description: i.description.clone(),
        severity: i.severity.as_str().into(),
        handling: i.suggested_handling.as_str().into(),
    }
}

fn render_edit(
    s: &Ent,
    status: StatusCode,
    list: &ListView,
    items: &[TypedItem],
    problems: &Problems,
) -> Result<HttpResponse, ApiError> {
    let c = &s.ctx;
    let rows = items
        .iter()
        .enumerate()
        .map(|(i, it)| ItemRow {
            index: i,
            code: it.code.clone(),
            title: it.title.clone(),
            description: it.description.clone(),
            categories: choices(
                c,
                Category::ALL,
                Category::as_str,
                "e-nl-category-",
                &it.category,
            ),
            severities: choices(
                c,
                Severity::ALL,
                Severity::as_str,
                "e-nl-severity-",
                &it.severity,
            ),
            handlings: choices(
                c,
                Handling::ALL,
                Handling::as_str,
                "e-nl-handling-",
                &it.handling,
            ),
            errors: problems
                .items
                .iter()
                .filter(|e| e.field.starts_with(&format!("items[{i}]")))
                .map(|e| message(c, &e.code, &e.message))
                .collect(),
        })
        .collect();
    let summary = problems
        .items
        .iter()
        .map(|e| {
            let index = e
                .field
                .strip_prefix("items[")
                .and_then(|r| r.split(']').next())
                .unwrap_or("");
            Problem {
                target: if index.is_empty() {
                    "items".into()
                } else {
                    format!("item-{index}-code")
                },
                label: if index.is_empty() {
                    c.t("e-nl-items-title")
                } else {
                    c.t1(
                        "e-nl-item-n",
                        "n",
                        &(index.parse::<usize>().unwrap_or(0) + 1).to_string(),
                    )
                },
                message: message(c, &e.code, &e.message),
            }
        })
        .collect();
    c.render_status(
        status,
        &EditPage {
            c,
            version: list.version.to_string(),
            action: format!("/e/negative-list/{}/edit", list.id),
            rows,
            problems: summary,
            list_errors: messages_of(c, problems, "items"),
        },
    )
}

async fn read_list(s: &Ent, id: NegativeListId) -> Result<ListView, ApiError> {
    own(s)?;
    let scope = s.user.scope();
    s.state
        .db
        .read_case(move |conn| lists::get(conn, scope, id))
        .await
}

/// A draft's items to edit (a published version never changes: its page is the overview).
#[get("/e/negative-list/{id}/edit")]
async fn edit(s: Ent, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let list = read_list(&s, NegativeListId(id.into_inner())).await?;
    if list.status != ListStatus::Draft {
        return Ok(s.see_other("/e/negative-list"));
    }
    let items: Vec<TypedItem> = list.items.iter().flatten().map(typed_of).collect();
    render_edit(&s, StatusCode::OK, &list, &items, &Problems::default())
}

/// The rows as posted (`rows` of them, `item[i].…`).
fn posted_items(posted: &Form) -> Vec<TypedItem> {
    let n = posted.get("rows").parse::<usize>().unwrap_or(0).min(500);
    (0..n)
        .map(|i| {
            let f = |k: &str| posted.get(&format!("item[{i}].{k}"));
            TypedItem {
                code: f("code"),
                category: f("category"),
                title: f("title"),
                description: f("description"),
                severity: f("severity"),
                handling: f("handling"),
            }
        })
        .collect()
}

/// Saves the items, publishes the draft (the items as typed, then the publication, in one
/// transaction), or discards it; rows are added and removed without writing.
#[post("/e/negative-list/{id}/edit")]
async fn post_edit(
    s: Ent,
    req: HttpRequest,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let posted = Form::read(&req, &body, s.csrf.as_deref())?;
    let id = NegativeListId(id.into_inner());
    let list = read_list(&s, id).await?;
    let mut items = posted_items(&posted);
    if posted.has("add") {
        items.push(TypedItem {
            code: String::new(),
            category: String::new(),
            title: String::new(),
            description: String::new(),
            severity: String::new(),
            handling: String::new(),
        });
        return render_edit(&s, StatusCode::OK, &list, &items, &Problems::default());
    }
    if let Ok(i) = posted.get("remove").parse::<usize>() {
        if i < items.len() {
            items.remove(i);
        }
        return render_edit(&s, StatusCode::OK, &list, &items, &Problems::default());
    }
    let action = posted.get("action");
    let scope = s.user.scope();
    let (now, actor) = (s.state.clock.now_naive(), s.user.actor());
    if action == "discard" {
        s.state
            .db
            .write_case(move |conn| lists::discard(conn, now, &actor, scope, id))
            .await?;
        return Ok(s.see_other("/e/negative-list"));
    }
    // The codes of a row come from selects; one that does not parse was tampered with.
    let mut unread = Vec::new();
    let inputs: Vec<ItemInput> = items
        .iter()
        .enumerate()
        .filter_map(|(i, it)| {
            let category = Category::parse(&it.category);
            let severity = Severity::parse(&it.severity);
            let handling = Handling::parse(&it.handling);
            if category.is_none() || severity.is_none() || handling.is_none() {
                unread.push(FieldError::new(
                    format!("items[{i}]"),
                    "invalid_value",
                    "choose the category, severity and handling",
                ));
            }
            Some(ItemInput {
                code: it.code.clone(),
                category: category?,
                title: it.title.clone(),
                description: it.description.clone(),
                severity: severity?,
                suggested_handling: handling?,
            })
        })
        .collect();
    if !unread.is_empty() {
        return render_edit(
            &s,
            StatusCode::UNPROCESSABLE_ENTITY,
            &list,
            &items,
            &Problems { items: unread },
        );
    }
    let publish = action == "publish";
    let written = s
        .state
        .db
        .write_case(move |conn| -> Result<(), ApiError> {
            lists::replace_items(conn, now, &actor, scope, id, ItemsRequest { items: inputs })?;
            if publish {
                lists::publish(
                    conn,
                    now,
                    &actor,
                    scope,
                    id,
                    PublishRequest {
                        effective_from: None,
                    },
                )?;
            }
            Ok(())
        })
        .await;
    match written {
        Ok(()) if publish => Ok(s.see_other("/e/negative-list")),
        Ok(()) => Ok(s.see_other(&format!("/e/negative-list/{}/edit", id.0))),
        Err(ApiError::Validation(found)) => render_edit(
            &s,
            StatusCode::UNPROCESSABLE_ENTITY,
            &list,
            &items,
            &Problems { items: found },
        ),
        Err(e) => Err(e),
    }
}

/// `2026-06-01T08:30` in the city's zone, as the instant it names.
fn local_instant(tz: chrono_tz::Tz, raw: &str) -> Option<chrono::DateTime<Utc>> {
    let t = NaiveDateTime::parse_from_str(raw.trim(), "%Y-%m-%dT%H:%M").ok()?;
    tz.from_local_datetime(&t)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// Records a violation of an item of the version in force (`Recording::parse`, then
/// `violations::record`, as on the API); every problem comes back beside its field.
#[post("/e/negative-list/violations")]
async fn record(s: Ent, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let posted = Form::read(&req, &body, s.csrf.as_deref())?;
    own(&s)?;
    let typed = TypedViolation {
        item_code: posted.get("item_code"),
        employee_ref: posted.get("employee_ref"),
        occurred_at: posted.get("occurred_at"),
        location: posted.get("location"),
        description: posted.get("description"),
        handling: posted.get("handling"),
        fine: posted.get("fine"),
    };
    let tz = s.state.config.timezone;
    let mut unread = Vec::new();
    let occurred_at = local_instant(tz, &typed.occurred_at);
    if occurred_at.is_none() {
        unread.push(FieldError::new(
            "occurred_at",
            "invalid_type",
            "must be a date and time",
        ));
    }
    let handling = Handling::parse(&typed.handling);
    if handling.is_none() {
        unread.push(FieldError::new(
            "handling",
            "required",
            "choose how it was handled",
        ));
    }
    let fine_fen = if typed.fine.is_empty() {
        Some(0)
    } else {
        fen_of(&typed.fine)
    };
    if fine_fen.is_none() {
        unread.push(FieldError::new(
            "fine_fen",
            "invalid_type",
            "must be an amount in yuan",
        ));
    }
    let now = s.state.clock.now_naive();
    let scope = s.user.scope();
    let result = match (occurred_at, handling, fine_fen) {
        (Some(occurred_at), Some(handling), Some(fine_fen)) if unread.is_empty() => {
            let request = ViolationRequest {
                enterprise_id: None,
                item_code: typed.item_code.clone(),
                employee_ref: typed.employee_ref.clone(),
                occurred_at,
                location: typed.location.clone(),
                description: typed.description.clone(),
                handling,
                fine_fen,
            };
            match Recording::parse(scope, now, request) {
                Ok(recording) => {
                    let actor = s.user.actor();
                    s.state
                        .db
                        .write_case(move |conn| violations::record(conn, now, &actor, recording))
                        .await
                        .map(|_| ())
                }
                Err(e) => Err(e.into()),
            }
        }
        _ => {
            // The record's own checks too, on stand-ins for what could not be read, so that
            // every problem is told at once (none about the stand-ins).
            let request = ViolationRequest {
                enterprise_id: None,
                item_code: typed.item_code.clone(),
                employee_ref: typed.employee_ref.clone(),
                occurred_at: occurred_at.unwrap_or_else(|| now.and_utc()),
                location: typed.location.clone(),
                description: typed.description.clone(),
                handling: handling.unwrap_or(Handling::Education),
                fine_fen: fine_fen.unwrap_or(0),
            };
            if let Err(crate::negative_lists::usecases::NegativeListError::Invalid(
                crate::validate::Invalid(more),
            )) = Recording::parse(scope, now, request)
            {
                let guessed = |field: &str| {
                    unread.iter().any(|u| u.field == field)
                        || (field == "fine_fen" && handling.is_none())
                };
                let more: Vec<FieldError> =
                    more.into_iter().filter(|e| !guessed(&e.field)).collect();
                unread.extend(more);
            }
            Err(ApiError::Validation(unread))
        }
    };
    match result {
        Ok(()) => Ok(s.see_other("/e/negative-list#violations")),
        Err(ApiError::Validation(items)) => {
            let r = read(&s).await?;
            render_overview(
                &s,
                StatusCode::UNPROCESSABLE_ENTITY,
                r,
                typed,
                &Problems { items },
            )
        }
        Err(e) => Err(e),
    }
}
