//! `/e/hazards`: my hazards with level, deadline and status (overdue said in words); report a
//! hazard myself (自查自报, `hazards::create`); one hazard with its plan, the rectification
//! reported (`hazards::rectify`: measures, completed on) and the inspector's verification or
//! rejection reason.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use chrono::NaiveDate;

use super::super::page::{Ctx, Form, Problems};
use super::super::view::{Choice, choices};
use super::{Ent, Problem, fen_of, local, messages_of, own, word};
use crate::enforcement::domain::{
    self, HazardCategory, HazardInput, HazardLevel, HazardStatus, Plan,
};
use crate::enforcement::store::HazardFilter;
use crate::enforcement::usecases::hazards::{
    self, CreateHazardRequest, HazardView, RectificationRequest,
};
use crate::error::{ApiError, FieldError};
use crate::http::pagination::PageRequest;
use crate::ids::HazardId;
use crate::validate::{Invalid, Validator};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(new_form)
        .service(create)
        .service(detail)
        .service(rectify);
}

pub struct HazardLine {
    pub href: String,
    pub description: String,
    pub level: String,
    pub major: bool,
    pub deadline: String,
    pub status: String,
    pub status_class: String,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "portal/enterprise/hazards.html")]
struct ListPage<'a> {
    c: &'a Ctx,
    rows: Vec<HazardLine>,
}

fn status_class(h: &HazardView) -> &'static str {
    match h.status {
        _ if h.overdue => "bad",
        HazardStatus::Open => "warn",
        HazardStatus::Rectified => "warn",
        HazardStatus::Verified => "ok",
    }
}

/// My hazards, newest first: found by inspections and reported by us.
#[get("/e/hazards")]
async fn list(s: Ent) -> Result<HttpResponse, ApiError> {
    own(&s)?;
    let scope = s.user.scope();
    let today = s.state.now().today;
    let found = s
        .state
        .db
        .read_case(move |conn| {
            hazards::list(
                conn,
                today,
                scope,
                HazardFilter::default(),
                PageRequest::first(200),
            )
        })
        .await?;
    let c = &s.ctx;
    let rows = found
        .items
        .iter()
        .map(|h| HazardLine {
            href: format!("/e/hazards/{}", h.id.0),
            description: h.description.clone(),
            level: word(c, "e-hazard-level-", h.level.as_str()),
            major: h.level == HazardLevel::Major,
            deadline: c.t.date(h.deadline),
            status: word(c, "e-hazard-status-", h.status.as_str()),
            status_class: status_class(h).into(),
            overdue: h.overdue,
        })
        .collect();
    c.render(&ListPage { c, rows })
}

/// What the self-report form holds, as typed.
#[derive(Default)]
pub struct Typed {
    pub description: String,
    pub level: String,
    pub category: String,
    pub deadline: String,
    pub measures: String,
    pub funds: String,
    pub responsible_person: String,
    pub plan_deadline: String,
    pub emergency_measures: String,
}

#[derive(Template)]
#[template(path = "portal/enterprise/hazard_new.html")]
struct NewPage<'a> {
    c: &'a Ctx,
    typed: Typed,
    levels: Vec<Choice>,
    categories: Vec<Choice>,
    problems: Vec<Problem>,
    err: Errors,
}

/// The messages beside each control of a hazard form.
#[derive(Default)]
pub struct Errors {
    pub description: Vec<String>,
    pub level: Vec<String>,
    pub category: Vec<String>,
    pub deadline: Vec<String>,
    pub plan: Vec<String>,
    pub measures: Vec<String>,
    pub funds: Vec<String>,
    pub responsible_person: Vec<String>,
    pub plan_deadline: Vec<String>,
    pub emergency_measures: Vec<String>,
    pub completed_on: Vec<String>,
}

/// The controls of the hazard forms: (the API's field, the control's id, its label's key).
const CONTROLS: [(&str, &str, &str); 11] = [
    ("description", "description", "e-hz-description"),
    ("level", "level", "e-hz-level"),
    ("category", "category", "e-hz-category"),
    ("deadline", "deadline", "e-hz-deadline"),
    ("plan", "measures", "e-hz-plan"),
    ("plan.measures", "measures", "e-hz-measures"),
    ("plan.funds_fen", "funds", "e-hz-funds"),
    (
        "plan.responsible_person",
        "responsible_person",
        "e-hz-responsible",
    ),
    ("plan.deadline", "plan_deadline", "e-hz-plan-deadline"),
    (
        "plan.emergency_measures",
        "emergency_measures",
        "e-hz-emergency",
    ),
    ("completed_on", "completed_on", "e-hz-completed-on"),
];

fn errors(c: &Ctx, p: &Problems) -> Errors {
    let m = |f: &str| messages_of(c, p, f);
    Errors {
        description: m("description"),
        level: m("level"),
        category: m("category"),
        deadline: m("deadline"),
        plan: m("plan"),
        measures: [m("plan.measures"), m("measures")].concat(),
        funds: m("plan.funds_fen"),
        responsible_person: m("plan.responsible_person"),
        plan_deadline: m("plan.deadline"),
        emergency_measures: m("plan.emergency_measures"),
        completed_on: m("completed_on"),
    }
}

fn summary(c: &Ctx, p: &Problems) -> Vec<Problem> {
    p.items
        .iter()
        .map(|e| {
            let (id, label) = CONTROLS
                .iter()
                .find(|(field, _, _)| *field == e.field)
                .map_or((e.field.as_str(), e.field.clone()), |(_, id, key)| {
                    (*id, c.t(key))
                });
            Problem {
                target: id.to_owned(),
                label,
                message: super::message(c, &e.code, &e.message),
            }
        })
        .collect()
}

fn render_new(
    s: &Ent,
    status: StatusCode,
    typed: Typed,
    problems: &Problems,
) -> Result<HttpResponse, ApiError> {
    let c = &s.ctx;
    let levels = choices(
        c,
        HazardLevel::ALL,
        HazardLevel::as_str,
        "e-hazard-level-",
        &typed.level,
    );
    let categories = choices(
        c,
        HazardCategory::ALL,
        HazardCategory::as_str,
        "e-hazard-category-",
        &typed.category,
    );
    c.render_status(
        status,
        &NewPage {
            c,
            typed,
            levels,
            categories,
            problems: summary(c, problems),
            err: errors(c, problems),
        },
    )
}

/// The self-report form (自查自报).
#[get("/e/hazards/new")]
async fn new_form(s: Ent) -> Result<HttpResponse, ApiError> {
    own(&s)?;
    render_new(&s, StatusCode::OK, Typed::default(), &Problems::default())
}

fn date_of(raw: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").ok()
}

/// Records a hazard the enterprise found itself. What the page cannot read (a date, an
/// amount) is told with every problem the hazard's own check finds, all at once; nothing is
/// written until all is well.
#[post("/e/hazards/new")]
async fn create(s: Ent, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let posted = Form::read(&req, &body, s.csrf.as_deref())?;
    own(&s)?;
    let typed = Typed {
        description: posted.get("description"),
        level: posted.get("level"),
        category: posted.get("category"),
        deadline: posted.get("deadline"),
        measures: posted.get("measures"),
        funds: posted.get("funds"),
        responsible_person: posted.get("responsible_person"),
        plan_deadline: posted.get("plan_deadline"),
        emergency_measures: posted.get("emergency_measures"),
    };
    let mut unread = Vec::new();
    let mut bad = |field: &str, code: &str, message: &str| {
        unread.push(FieldError::new(field, code, message));
    };
    let level = HazardLevel::parse(&typed.level);
    if level.is_none() {
        bad("level", "required", "choose the level");
    }
    let category = HazardCategory::parse(&typed.category);
    if category.is_none() {
        bad("category", "required", "choose the category");
    }
    let deadline = date_of(&typed.deadline);
    if deadline.is_none() && !typed.deadline.is_empty() {
        bad("deadline", "invalid_type", "must be a date YYYY-MM-DD");
    }
    let plan_typed = [
        &typed.measures,
        &typed.funds,
        &typed.responsible_person,
        &typed.plan_deadline,
        &typed.emergency_measures,
    ]
    .iter()
    .any(|x| !x.is_empty());
    let plan = if plan_typed || level == Some(HazardLevel::Major) {
        let funds = fen_of(&typed.funds);
        if funds.is_none() {
            bad(
                "plan.funds_fen",
                "invalid_type",
                "must be an amount in yuan",
            );
        }
        let plan_deadline = date_of(&typed.plan_deadline);
        if plan_deadline.is_none() {
            bad("plan.deadline", "invalid_type", "must be a date YYYY-MM-DD");
        }
        match (funds, plan_deadline) {
            (Some(funds_fen), Some(deadline)) => Some(Plan {
                measures: typed.measures.clone(),
                funds_fen,
                responsible_person: typed.responsible_person.clone(),
                deadline,
                emergency_measures: typed.emergency_measures.clone(),
            }),
            _ => None,
        }
    } else {
        None
    };
    let now = s.state.now();
    if !unread.is_empty() {
        // The hazard's own check too, on what could be read, so that every problem is told.
        if let (Some(level), Some(category)) = (level, category) {
            let mut v = Validator::new();
            domain::validate_hazard(
                &HazardInput {
                    description: typed.description.clone(),
                    level,
                    category,
                    deadline,
                    plan: plan.clone(),
                },
                now.today,
                "",
                &mut v,
            );
            if let Err(Invalid(more)) = v.finish() {
                let more: Vec<FieldError> = more
                    .into_iter()
                    .filter(|e| !unread.iter().any(|u| u.field == e.field))
                    .collect();
                unread.extend(more);
            }
        }
        return render_new(
            &s,
            StatusCode::UNPROCESSABLE_ENTITY,
            typed,
            &Problems { items: unread },
        );
    }
    let (Some(level), Some(category)) = (level, category) else {
        return Err(ApiError::internal("a read level and category"));
    };
    let input = CreateHazardRequest {
        enterprise_id: None,
        inspection_id: None,
        found_on: None,
        description: typed.description.clone(),
        level,
        category,
        deadline,
        plan,
    };
    let user = s.user.clone();
    match s
        .state
        .db
        .write_case(move |conn| hazards::create(conn, now, &user, &input))
        .await
    {
        Ok(h) => Ok(s.see_other(&format!("/e/hazards/{}", h.id.0))),
        Err(ApiError::Validation(items)) => render_new(
            &s,
            StatusCode::UNPROCESSABLE_ENTITY,
            typed,
            &Problems { items },
        ),
        Err(e) => Err(e),
    }
}

pub struct Fact {
    pub label: String,
    pub value: String,
}

pub struct Event {
    pub when: String,
    pub what: String,
    pub who: String,
}

#[derive(Template)]
#[template(path = "portal/enterprise/hazard.html")]
struct Detail<'a> {
    c: &'a Ctx,
    action: String,
    description: String,
    status: String,
    status_class: String,
    overdue: bool,
    facts: Vec<Fact>,
    plan: Vec<Fact>,
    rectification: Vec<Fact>,
    verified_on: String,
    reject_reason: String,
    can_rectify: bool,
    measures: String,
    completed_on: String,
    problems: Vec<Problem>,
    err: Errors,
    timeline: Vec<Event>,
}

fn render_detail(
    s: &Ent,
    status: StatusCode,
    h: &HazardView,
    typed: (&str, &str),
    problems: &Problems,
) -> Result<HttpResponse, ApiError> {
    let c = &s.ctx;
    let fact = |key: &str, value: String| Fact {
        label: c.t(key),
        value,
    };
    let mut facts = vec![
        fact("e-hz-level", word(c, "e-hazard-level-", h.level.as_str())),
        fact(
            "e-hz-category",
            word(c, "e-hazard-category-", h.category.as_str()),
        ),
        fact("e-hz-found-on", c.t.date(h.found_on)),
        fact("e-hz-deadline", c.t.date(h.deadline)),
        fact(
            "e-hz-source",
            if h.inspection_id.is_some() {
                c.t("e-hz-source-inspection")
            } else {
                c.t("e-hz-source-self")
            },
        ),
    ];
    if h.supervised {
        facts.push(fact("e-hz-supervised", c.t("e-yes")));
    }
    let plan = h
        .plan
        .as_ref()
        .map(|p| {
            vec![
                fact("e-hz-measures", p.measures.clone()),
                fact("e-hz-funds", c.t.money(p.funds_fen)),
                fact("e-hz-responsible", p.responsible_person.clone()),
                fact("e-hz-plan-deadline", c.t.date(p.deadline)),
                fact("e-hz-emergency", p.emergency_measures.clone()),
            ]
        })
        .unwrap_or_default();
    let rectification = h
        .rectification
        .as_ref()
        .map(|r| {
            vec![
                fact("e-hz-measures", r.measures.clone()),
                fact("e-hz-completed-on", c.t.date(r.completed_on)),
            ]
        })
        .unwrap_or_default();
    let timeline = h
        .timeline
        .iter()
        .flatten()
        .map(|e| Event {
            when: local(c, e.at),
            what: word(c, "e-hz-action-", &e.action),
            who: word(c, "e-actor-", &e.actor_role),
        })
        .collect();
    c.render_status(
        status,
        &Detail {
            c,
            action: format!("/e/hazards/{}/rectification", h.id.0),
            description: h.description.clone(),
            status: word(c, "e-hazard-status-", h.status.as_str()),
            status_class: status_class(h).into(),
            overdue: h.overdue,
            facts,
            plan,
            rectification,
            verified_on: h.verified_on.map(|d| c.t.date(d)).unwrap_or_default(),
            reject_reason: h.reject_reason.clone().unwrap_or_default(),
            can_rectify: h.status == HazardStatus::Open,
            measures: typed.0.to_owned(),
            completed_on: typed.1.to_owned(),
            problems: summary(c, problems),
            err: errors(c, problems),
            timeline,
        },
    )
}

async fn read(s: &Ent, id: HazardId) -> Result<HazardView, ApiError> {
    own(s)?;
    let scope = s.user.scope();
    let today = s.state.now().today;
    s.state
        .db
        .read_case(move |conn| hazards::get(conn, today, scope, id))
        .await
}

/// One hazard; another enterprise's is the 404 page.
#[get("/e/hazards/{id}")]
async fn detail(s: Ent, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let h = read(&s, HazardId(id.into_inner())).await?;
    render_detail(&s, StatusCode::OK, &h, ("", ""), &Problems::default())
}

/// Reports the rectification of an open hazard (`open` → `rectified`), for an inspector to
/// verify. Problems come back beside their fields, the text kept.
#[post("/e/hazards/{id}/rectification")]
async fn rectify(
    s: Ent,
    req: HttpRequest,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let posted = Form::read(&req, &body, s.csrf.as_deref())?;
    let id = HazardId(id.into_inner());
    let h = read(&s, id).await?;
    let (measures, completed) = (posted.get("measures"), posted.get("completed_on"));
    let Some(completed_on) = date_of(&completed) else {
        let mut v = Validator::new();
        v.text("measures", &measures, 1, 2000);
        let mut items = match v.finish() {
            Ok(()) => Vec::new(),
            Err(Invalid(items)) => items,
        };
        items.push(FieldError::new(
            "completed_on",
            if completed.is_empty() {
                "required"
            } else {
                "invalid_type"
            },
            "must be a date YYYY-MM-DD",
        ));
        return render_detail(
            &s,
            StatusCode::UNPROCESSABLE_ENTITY,
            &h,
            (&measures, &completed),
            &Problems { items },
        );
    };
    let input = RectificationRequest {
        measures: measures.clone(),
        completed_on,
    };
    let (user, now) = (s.user.clone(), s.state.now());
    match s
        .state
        .db
        .write_case(move |conn| hazards::rectify(conn, now, &user, id, &input))
        .await
    {
        Ok(_) => Ok(s.see_other(&format!("/e/hazards/{}", id.0))),
        Err(ApiError::Validation(items)) => render_detail(
            &s,
            StatusCode::UNPROCESSABLE_ENTITY,
            &h,
            (&measures, &completed),
            &Problems { items },
        ),
        Err(e) => Err(e),
    }
}
