//! `/s/applications/{id}`: an application as a reviewer reads it — the enterprise, the due date,
//! every rule's result as advice, the form, the timeline — and, while it is under review, the
//! decision with its reason (`permits::review::decide`, as on the API).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;

use super::super::enterprise::applications::{Event, Fact, Parts, RuleLine, parts, status_class};
use super::super::page::{Ctx, Form, Problems, Signed};
use super::super::view::{date_opt, local, permit_write, word};
use crate::actor::Scope;
use crate::auth::{Reviewers, Staff};
use crate::enterprises::store as enterprises;
use crate::error::ApiError;
use crate::ids::ApplicationId;
use crate::permits::domain::{self, Decision};
use crate::permits::review::{self, DecisionRequest};
use crate::permits::views::ApplicationView;
use crate::permits::{applications, lifecycle};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(detail).service(decide);
}

#[derive(Template)]
#[template(path = "portal/staff/application.html")]
struct Detail<'a> {
    c: &'a Ctx,
    id: i64,
    number: String,
    type_name: String,
    enterprise: String,
    credit_code: String,
    status: String,
    status_class: String,
    submitted: String,
    due: String,
    overdue: bool,
    reason: String,
    rules: Vec<RuleLine>,
    form: Vec<Fact>,
    timeline: Vec<Event>,
    /// The decision form: under review, and the reader may decide.
    may_decide: bool,
    decision: String,
    reason_typed: String,
    problems: Problems,
}

/// Reads the application with its type and enterprise, and renders it.
async fn page(
    c: &Ctx,
    may: bool,
    id: ApplicationId,
    typed: (String, String),
    problems: Problems,
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    let today = c.state.now().today;
    let (a, t, e) = c
        .state
        .db
        .read_case(move |conn| -> Result<_, ApiError> {
            let a: ApplicationView = applications::get(conn, today, Scope::All, id)?;
            let t = lifecycle::load_type(conn, &a.permit_type)?;
            let e = enterprises::find(conn, a.enterprise_id)?.ok_or(ApiError::NotFound)?;
            Ok((a, t, e))
        })
        .await?;
    let Parts {
        rules,
        form,
        timeline,
    } = parts(c, &t.fields, &a);
    c.render_status(
        status,
        &Detail {
            c,
            id: a.id,
            number: a.number.clone(),
            type_name: word(c, "e-type-", &a.permit_type),
            enterprise: e.name,
            credit_code: e.credit_code,
            status: word(c, "e-status-", a.status.as_str()),
            status_class: status_class(a.status).into(),
            submitted: a.submitted_at.map(|at| local(c, at)).unwrap_or_default(),
            due: date_opt(c, a.due_on),
            overdue: a.overdue,
            reason: a.decision_reason.clone().unwrap_or_default(),
            rules,
            form,
            timeline,
            may_decide: may && domain::may_decide(a.status),
            decision: typed.0,
            reason_typed: typed.1,
            problems,
        },
    )
}

/// One application, for any staff member; the decision form for those who decide.
#[get("/s/applications/{id}")]
async fn detail(s: Signed<Staff>, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let may = matches!(
        s.user.role,
        crate::auth::Role::Admin | crate::auth::Role::Reviewer
    );
    let id = ApplicationId(id.into_inner());
    page(
        &s,
        may,
        id,
        Default::default(),
        Problems::default(),
        StatusCode::OK,
    )
    .await
}

/// Approves or rejects, with the reason; every problem beside its field, the typed values kept.
/// Decided meanwhile by someone else: the 409 page, which names the state it is in.
#[post("/s/applications/{id}/decision")]
async fn decide(
    s: Signed<Reviewers>,
    req: HttpRequest,
    body: web::Bytes,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let form = Form::read(&req, &body, s.csrf.as_deref())?;
    let id = ApplicationId(id.into_inner());
    let typed = (form.get("decision"), form.get("reason"));
    let decision = match typed.0.as_str() {
        "approve" => Some(Decision::Approve),
        "reject" => Some(Decision::Reject),
        _ => None,
    };
    let outcome = match decision {
        Some(decision) => {
            let input = DecisionRequest {
                decision,
                reason: typed.1.clone(),
            };
            permit_write(&s.state, &s.user, move |conn, ctx| {
                review::decide(conn, ctx, id, &input)
            })
            .await
            .map(|_| ())
        }
        None => Err(ApiError::field(
            "decision",
            "required",
            "choose approve or reject",
        )),
    };
    match outcome {
        Ok(()) => Ok(s.see_other(&format!("/s/applications/{}", id.0))),
        Err(err) => {
            let problems = Problems::from_error(err)?;
            page(
                &s,
                true,
                id,
                typed,
                problems,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}
