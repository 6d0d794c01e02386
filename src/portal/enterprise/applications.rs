//! `/e/applications` and `/e/applications/{id}`: my applications by status, and one with its
//! status, timeline, every rule's result in plain words (and what to do about each failing
//! one), the due date on the review path, the reviewer's reason, the certificate, and withdraw
//! when the state allows it (`lifecycle::withdraw`, as on the API). Another enterprise's
//! application is the 404 page.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;
use serde_json::Value;

use super::super::page::{Ctx, Form};
use super::{Ent, date_opt, local, own, permit_write, word};
use crate::error::ApiError;
use crate::http::pagination::PageRequest;
use crate::ids::ApplicationId;
use crate::permits::applications::{self, ApplicationQuery};
use crate::permits::domain::{self, ApplicationStatus, FieldDef};
use crate::permits::lifecycle;
use crate::permits::rules::Outcome;
use crate::permits::views::ApplicationView;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list).service(detail).service(withdraw);
}

pub struct AppLine {
    pub href: String,
    pub number: String,
    pub type_name: String,
    pub status: String,
    pub status_class: String,
    pub submitted: String,
    pub due: String,
    pub overdue: bool,
}

pub struct Tab {
    pub href: String,
    pub label: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "portal/enterprise/applications.html")]
struct ListPage<'a> {
    c: &'a Ctx,
    tabs: Vec<Tab>,
    rows: Vec<AppLine>,
    next: String,
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    cursor: Option<String>,
}

/// The CSS class of a status (its words say it too: colour is never the only signal).
pub(crate) fn status_class(status: ApplicationStatus) -> &'static str {
    match status {
        ApplicationStatus::Approved | ApplicationStatus::Filed => "ok",
        ApplicationStatus::Rejected => "bad",
        ApplicationStatus::UnderReview | ApplicationStatus::Draft => "warn",
        ApplicationStatus::Withdrawn => "",
    }
}

/// My applications, newest first, by status.
#[get("/e/applications")]
async fn list(s: Ent, q: web::Query<ListQuery>) -> Result<HttpResponse, ApiError> {
    own(&s)?;
    let status = match q.status.as_deref().filter(|x| !x.is_empty()) {
        Some(x) => Some(ApplicationStatus::parse(x).ok_or(ApiError::NotFound)?),
        None => None,
    };
    let page = PageRequest::parse(Some(50), q.cursor.as_deref())?;
    let scope = s.user.scope();
    let now = s.state.now();
    let tz = s.state.config.timezone;
    let found = s
        .state
        .db
        .read_case(move |conn| {
            applications::list(
                conn,
                now.today,
                tz,
                scope,
                &ApplicationQuery {
                    status,
                    permit_type: None,
                    enterprise_id: None,
                    submitted_from: None,
                    submitted_to: None,
                    overdue: None,
                    limit: None,
                    cursor: None,
                },
                page,
            )
        })
        .await?;
    let c = &s.ctx;
    let mut tabs = vec![Tab {
        href: "/e/applications".into(),
        label: c.t("e-apps-all"),
        current: status.is_none(),
    }];
    tabs.extend(ApplicationStatus::ALL.iter().map(|st| Tab {
        href: format!("/e/applications?status={}", st.as_str()),
        label: word(c, "e-status-", st.as_str()),
        current: status == Some(*st),
    }));
    let rows = found.items.iter().map(|a| line(c, a)).collect();
    let next = found
        .next_cursor
        .map(|cur| {
            let mut q = form_urlencoded::Serializer::new(String::new());
            if let Some(st) = status {
                q.append_pair("status", st.as_str());
            }
            q.append_pair("cursor", &cur);
            format!("/e/applications?{}", q.finish())
        })
        .unwrap_or_default();
    c.render(&ListPage {
        c,
        tabs,
        rows,
        next,
    })
}

fn line(c: &Ctx, a: &ApplicationView) -> AppLine {
    AppLine {
        href: if a.status == ApplicationStatus::Draft {
            format!("/e/applications/{}/form", a.id)
        } else {
            format!("/e/applications/{}", a.id)
        },
        number: a.number.clone(),
        type_name: word(c, "e-type-", &a.permit_type),
        status: word(c, "e-status-", a.status.as_str()),
        status_class: status_class(a.status).to_owned(),
        submitted: a.submitted_at.map(|t| local(c, t)).unwrap_or_default(),
        due: date_opt(c, a.due_on),
        overdue: a.overdue,
    }
}

pub struct RuleLine {
    pub name: String,
    pub outcome: String,
    pub outcome_class: String,
    pub message: String,
    pub todo: String,
}

pub struct Event {
    pub when: String,
    pub what: String,
    pub who: String,
}

pub struct Fact {
    pub label: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "portal/enterprise/application.html")]
struct Detail<'a> {
    c: &'a Ctx,
    number: String,
    type_name: String,
    status: String,
    status_class: String,
    just_submitted: bool,
    outcome_text: String,
    submitted: String,
    due: String,
    overdue: bool,
    reason: String,
    certificate_href: String,
    certificate_number: String,
    rules: Vec<RuleLine>,
    failing: usize,
    form: Vec<Fact>,
    timeline: Vec<Event>,
    can_withdraw: bool,
    resume_href: String,
    withdraw_href: String,
}

#[derive(Deserialize)]
struct DetailQuery {
    submitted: Option<String>,
}

/// A form's values in words, by the type's labels.
fn facts(c: &Ctx, fields: &[FieldDef], form: &Value) -> Vec<Fact> {
    fn show(c: &Ctx, v: &Value) -> String {
        match v {
            Value::String(s) => c.t.t_or(&format!("e-value-{s}"), s),
            Value::Bool(true) => c.t("e-yes"),
            Value::Bool(false) => c.t("e-no"),
            Value::Number(n) => n.to_string(),
            Value::Array(items) => items
                .iter()
                .map(|i| show(c, i))
                .collect::<Vec<_>>()
                .join("；"),
            Value::Object(o) => o.values().map(|i| show(c, i)).collect::<Vec<_>>().join(" "),
            Value::Null => String::new(),
        }
    }
    fields
        .iter()
        .filter_map(|f| {
            form.get(&f.key).map(|v| Fact {
                label: super::form::label_of(c, f),
                value: show(c, v),
            })
        })
        .collect()
}

/// What every page of an application shows, whoever reads it: every rule's result in words
/// (with what to do about a failing one), the form's values by the type's labels, and the
/// timeline. The enterprise's page and the reviewer's both call this.
pub(crate) struct Parts {
    pub rules: Vec<RuleLine>,
    pub form: Vec<Fact>,
    pub timeline: Vec<Event>,
}

pub(crate) fn parts(c: &Ctx, fields: &[FieldDef], a: &ApplicationView) -> Parts {
    let rules: Vec<RuleLine> = a
        .rule_results
        .iter()
        .flatten()
        .map(|r| {
            let code = serde_json::to_value(r.rule)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            RuleLine {
                name: word(c, "e-rule-", &code),
                outcome: word(c, "e-outcome-", r.outcome.as_str()),
                outcome_class: match r.outcome {
                    Outcome::Pass => "ok",
                    Outcome::Refer => "warn",
                    Outcome::Fail => "bad",
                }
                .into(),
                // The rules' own words are English; a Chinese page says it by the rule's name
                // and what to do.
                message: match c.t.lang {
                    crate::portal::i18n::Lang::En => r.message.clone(),
                    crate::portal::i18n::Lang::Zh => String::new(),
                },
                todo: match r.outcome {
                    Outcome::Pass => String::new(),
                    Outcome::Refer => c.t("e-todo-refer"),
                    Outcome::Fail => word(c, "e-todo-", &code),
                },
            }
        })
        .collect();
    let timeline = a
        .timeline
        .iter()
        .flatten()
        .map(|e| Event {
            when: local(c, e.at),
            what: word(c, "e-action-", &e.action),
            who: word(c, "e-actor-", &e.actor_role),
        })
        .collect();
    Parts {
        rules,
        form: facts(c, fields, &a.form),
        timeline,
    }
}

/// One application: the decision at once after submitting (approved with the certificate,
/// rejected with what to do for each failing rule, filed, or under review with its due date).
#[get("/e/applications/{id}")]
async fn detail(
    s: Ent,
    id: web::Path<i64>,
    q: web::Query<DetailQuery>,
) -> Result<HttpResponse, ApiError> {
    own(&s)?;
    let id = ApplicationId(id.into_inner());
    let scope = s.user.scope();
    let now = s.state.now();
    let (a, t) = s
        .state
        .db
        .read_case(move |conn| -> Result<_, ApiError> {
            let a = applications::get(conn, now.today, scope, id)?;
            let t = lifecycle::load_type(conn, &a.permit_type)?;
            Ok((a, t))
        })
        .await?;
    let c = &s.ctx;
    let Parts {
        rules,
        form,
        timeline,
    } = parts(c, &t.fields, &a);
    let failing = rules.iter().filter(|r| r.outcome_class == "bad").count();
    let outcome_text = match a.status {
        ApplicationStatus::Approved => c.t("e-outcome-approved"),
        ApplicationStatus::Rejected => c.t("e-outcome-rejected"),
        ApplicationStatus::Filed => c.t("e-outcome-filed"),
        ApplicationStatus::UnderReview => {
            c.t1("e-outcome-under-review", "date", &date_opt(c, a.due_on))
        }
        ApplicationStatus::Withdrawn => c.t("e-outcome-withdrawn"),
        ApplicationStatus::Draft => c.t("e-outcome-draft"),
    };
    let page = Detail {
        c,
        number: a.number.clone(),
        type_name: word(c, "e-type-", &a.permit_type),
        status: word(c, "e-status-", a.status.as_str()),
        status_class: status_class(a.status).into(),
        just_submitted: q.submitted.is_some(),
        outcome_text,
        submitted: a.submitted_at.map(|t| local(c, t)).unwrap_or_default(),
        due: date_opt(c, a.due_on),
        overdue: a.overdue,
        reason: a.decision_reason.clone().unwrap_or_default(),
        certificate_href: a
            .certificate_id
            .map(|id| format!("/e/certificates/{id}"))
            .unwrap_or_default(),
        certificate_number: a
            .certificate
            .as_ref()
            .map(|x| x.number.clone())
            .unwrap_or_default(),
        rules,
        failing,
        form,
        timeline,
        can_withdraw: domain::may_withdraw(a.status),
        resume_href: if a.status == ApplicationStatus::Draft {
            format!("/e/applications/{}/form", a.id)
        } else {
            String::new()
        },
        withdraw_href: format!("/e/applications/{}/withdraw", a.id),
    };
    c.render(&page)
}

#[derive(Template)]
#[template(path = "portal/enterprise/already_decided.html")]
struct Refused<'a> {
    c: &'a Ctx,
    href: String,
}

/// Withdraws a draft or an application under review; any other state (decided meanwhile)
/// is told in words.
#[post("/e/applications/{id}/withdraw")]
async fn withdraw(
    s: Ent,
    req: HttpRequest,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    Form::read(&req, &body, s.csrf.as_deref())?;
    own(&s)?;
    let id = ApplicationId(id.into_inner());
    let scope = s.user.scope();
    match permit_write(&s.state, &s.user, move |conn, ctx| {
        lifecycle::withdraw(conn, ctx, scope, id)
    })
    .await
    {
        Ok(_) => Ok(s.see_other(&format!("/e/applications/{}", id.0))),
        Err(ApiError::InvalidTransition(_)) => s.render_status(
            StatusCode::CONFLICT,
            &Refused {
                c: &s.ctx,
                href: format!("/e/applications/{}", id.0),
            },
        ),
        Err(e) => Err(e),
    }
}
