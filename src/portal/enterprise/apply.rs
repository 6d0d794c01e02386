//! Apply (办事): choose a service, fill the form rendered from the permit type's fields, save
//! a draft and come back to it, submit with the commitment (告知承诺). What the system holds is
//! shown, not asked. Drafts, submissions and their rules are the permits use cases
//! (`lifecycle::create_draft`, `update_form`, `submit`), as on the API.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;
use serde_json::{Value, json};

use super::super::page::{Ctx, Form, Problems};
use super::form::{self, FieldView, Filed, RowOp};
use super::{Ent, Problem, own, permit_write, word};
use crate::actor::Scope;
use crate::db::DbConn;
use crate::error::{ApiError, FieldError};
use crate::http::pagination::PageRequest;
use crate::ids::{ApplicationId, EnterpriseId};
use crate::permits::PermitError;
use crate::permits::applications::{self, ApplicationQuery};
use crate::permits::domain::{self, ApplicationStatus, PermitMode, PermitType};
use crate::permits::lifecycle;
use crate::reference::store::{self as reference, Table};
use crate::validate::{Invalid, Validator};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(services)
        .service(new_form)
        .service(post_new)
        .service(draft_form)
        .service(post_draft);
}

pub struct Service {
    pub code: String,
    pub name: String,
    pub mode: String,
}

pub struct Group {
    pub title: String,
    pub services: Vec<Service>,
}

#[derive(Template)]
#[template(path = "portal/enterprise/apply_choose.html")]
struct Choose<'a> {
    c: &'a Ctx,
    groups: Vec<Group>,
}

/// The services an enterprise may apply for, by how they are decided. The renewals, changes
/// and reissues start from the certificate they concern (its page names it).
#[get("/e/apply")]
async fn services(s: Ent) -> Result<HttpResponse, ApiError> {
    own(&s)?;
    let types = s.state.db.read_case(crate::permits::types::list).await?;
    let c = &s.ctx;
    let group =
        |title: &str, pick: &dyn Fn(&crate::permits::views::PermitTypeView) -> bool| Group {
            title: c.t(title),
            services: types
                .iter()
                .filter(|t| t.active && pick(t))
                .map(|t| Service {
                    code: t.code.clone(),
                    name: word(c, "e-type-", &t.code),
                    mode: word(c, "e-mode-", t.mode.as_str()),
                })
                .collect(),
        };
    let groups = vec![
        group("e-apply-group-licences", &|t| {
            t.kind == domain::PermitKind::Licence
        }),
        group("e-apply-group-filings", &|t| {
            t.kind == domain::PermitKind::Filing
        }),
        group("e-apply-group-continue", &|t| t.kind.continues_licence()),
    ];
    c.render(&Choose { c, groups })
}

/// What the system holds about the applicant, shown instead of asked.
pub struct Held {
    pub name: String,
    pub credit_code: String,
    pub address: String,
    pub industry: String,
    pub legal_representative: String,
}

#[derive(Template)]
#[template(path = "portal/enterprise/apply_form.html")]
struct FormPage<'a> {
    c: &'a Ctx,
    type_name: String,
    mode: String,
    decided_how: String,
    action: String,
    number: String,
    held: Held,
    fields: Vec<FieldView>,
    problems: Vec<Problem>,
    commitment: bool,
    commitment_errors: Vec<String>,
    saved: bool,
}

/// What a form page needs from the database: the type, the holder, the filed trainings.
struct Setting {
    t: PermitType,
    held: Held,
    filed: Vec<Filed>,
}

fn setting(
    conn: &mut DbConn,
    today: chrono::NaiveDate,
    tz: chrono_tz::Tz,
    enterprise: EnterpriseId,
    code: &str,
) -> Result<Setting, ApiError> {
    let t = match lifecycle::load_type(conn, code) {
        Ok(t) => t,
        // An unknown service is no page.
        Err(PermitError::UnknownType) => return Err(ApiError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let e = crate::enterprises::store::find(conn, enterprise)?.ok_or(ApiError::NotFound)?;
    let industry = reference::list(conn, Table::Industries)?
        .into_iter()
        .find(|i| i.code == e.industry)
        .map_or_else(|| e.industry.clone(), |i| i.name);
    let filings = applications::list(
        conn,
        today,
        tz,
        Scope::Enterprise(enterprise),
        &ApplicationQuery {
            status: Some(ApplicationStatus::Filed),
            permit_type: Some("safety_training_filing".into()),
            enterprise_id: None,
            submitted_from: None,
            submitted_to: None,
            overdue: None,
            limit: None,
            cursor: None,
        },
        PageRequest::first(200),
    )?;
    let text = |form: &Value, k: &str| form.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let filed = filings
        .items
        .iter()
        .filter(|a| text(&a.form, "expires_on").as_str() >= today.to_string().as_str())
        .map(|a| Filed {
            role: text(&a.form, "person_role"),
            cert_no: text(&a.form, "cert_no"),
            person_name: text(&a.form, "person_name"),
            expires_on: text(&a.form, "expires_on"),
        })
        .collect();
    Ok(Setting {
        t,
        held: Held {
            name: e.name,
            credit_code: e.credit_code,
            address: e.address,
            industry,
            legal_representative: e.legal_representative,
        },
        filed,
    })
}

async fn read_setting(s: &Ent, code: String) -> Result<Setting, ApiError> {
    let enterprise = own(s)?;
    let now = s.state.now();
    let tz = s.state.config.timezone;
    s.state
        .db
        .read_case(move |conn| setting(conn, now.today, tz, enterprise, &code))
        .await
}

/// Where a form posts: a new application of a type, or a saved draft.
#[derive(Clone, Copy)]
enum Target {
    New,
    Draft(ApplicationId),
}

struct Shown<'a> {
    form: &'a Value,
    problems: &'a Problems,
    commitment: bool,
    saved: bool,
    number: String,
}

fn render_form(
    s: &Ent,
    status: StatusCode,
    setting: &Setting,
    target: Target,
    shown: Shown<'_>,
) -> Result<HttpResponse, ApiError> {
    let c = &s.ctx;
    let t = &setting.t;
    let fields = form::views(c, &t.fields, shown.form, shown.problems, &setting.filed);
    let problems = form::summary(c, &t.fields, shown.problems);
    let decided_how = match t.mode {
        PermitMode::InstantApproval => c.t("e-apply-how-instant"),
        PermitMode::InstantFiling => c.t("e-apply-how-filing"),
        PermitMode::Review => c.t1("e-apply-how-review", "days", &t.statutory_days.to_string()),
    };
    let action = match target {
        Target::New => format!("/e/apply/{}", t.code),
        Target::Draft(id) => format!("/e/applications/{}/form", id.0),
    };
    c.render_status(
        status,
        &FormPage {
            c,
            type_name: word(c, "e-type-", &t.code),
            mode: word(c, "e-mode-", t.mode.as_str()),
            decided_how,
            action,
            number: shown.number,
            held: Held {
                name: setting.held.name.clone(),
                credit_code: setting.held.credit_code.clone(),
                address: setting.held.address.clone(),
                industry: setting.held.industry.clone(),
                legal_representative: setting.held.legal_representative.clone(),
            },
            fields,
            problems,
            commitment: shown.commitment,
            commitment_errors: super::messages_of(c, shown.problems, "commitment_accepted"),
            saved: shown.saved,
        },
    )
}

#[derive(Deserialize)]
struct NewQuery {
    /// The certificate a renewal, change or reissue concerns (from its page).
    certificate: Option<String>,
}

/// A new application's form, from the type's fields; a renewal, change or reissue opened from a
/// certificate has the certificate already named.
#[get("/e/apply/{code}")]
async fn new_form(
    s: Ent,
    code: web::Path<String>,
    q: web::Query<NewQuery>,
) -> Result<HttpResponse, ApiError> {
    let setting = read_setting(&s, code.into_inner()).await?;
    let mut form = json!({});
    if let Some(number) = q
        .certificate
        .as_deref()
        .filter(|_| setting.t.has_field("certificate_no"))
    {
        form["certificate_no"] = Value::String(number.to_owned());
    }
    render_form(
        &s,
        StatusCode::OK,
        &setting,
        Target::New,
        Shown {
            form: &form,
            problems: &Problems::default(),
            commitment: false,
            saved: false,
            number: String::new(),
        },
    )
}

#[post("/e/apply/{code}")]
async fn post_new(
    s: Ent,
    req: HttpRequest,
    code: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let posted = Form::read(&req, &body, s.csrf.as_deref())?;
    let setting = read_setting(&s, code.into_inner()).await?;
    handle(&s, setting, Target::New, String::new(), posted).await
}

#[derive(Deserialize)]
struct DraftQuery {
    saved: Option<String>,
}

/// A saved draft's form, to go on with (a submitted application has no form to edit: its
/// page instead).
#[get("/e/applications/{id}/form")]
async fn draft_form(
    s: Ent,
    id: web::Path<i64>,
    q: web::Query<DraftQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = ApplicationId(id.into_inner());
    let (app, setting) = read_draft(&s, id).await?;
    if app.status != ApplicationStatus::Draft {
        return Ok(s.see_other(&format!("/e/applications/{}", id.0)));
    }
    render_form(
        &s,
        StatusCode::OK,
        &setting,
        Target::Draft(id),
        Shown {
            form: &app.form,
            problems: &Problems::default(),
            commitment: false,
            saved: q.saved.is_some(),
            number: app.number,
        },
    )
}

async fn read_draft(
    s: &Ent,
    id: ApplicationId,
) -> Result<(crate::permits::views::ApplicationView, Setting), ApiError> {
    let enterprise = own(s)?;
    let scope = s.user.scope();
    let now = s.state.now();
    let tz = s.state.config.timezone;
    s.state
        .db
        .read_case(move |conn| -> Result<_, ApiError> {
            let app = applications::get(conn, now.today, scope, id)?;
            let setting = setting(conn, now.today, tz, enterprise, &app.permit_type)?;
            Ok((app, setting))
        })
        .await
}

#[post("/e/applications/{id}/form")]
async fn post_draft(
    s: Ent,
    req: HttpRequest,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let posted = Form::read(&req, &body, s.csrf.as_deref())?;
    let id = ApplicationId(id.into_inner());
    let (app, setting) = read_draft(&s, id).await?;
    handle(&s, setting, Target::Draft(id), app.number, posted).await
}

#[derive(Template)]
#[template(path = "portal/enterprise/already_submitted.html")]
struct AlreadySubmitted<'a> {
    c: &'a Ctx,
    href: String,
}

/// A posted form: a row added or removed (the form again, nothing written), a draft saved, or
/// the application submitted. Every problem comes back at once beside its field with what was
/// typed kept, and nothing is written (the draft and the submission are one transaction). A
/// draft submitted meanwhile (another tab) is told so.
async fn handle(
    s: &Ent,
    setting: Setting,
    target: Target,
    number: String,
    posted: Form,
) -> Result<HttpResponse, ApiError> {
    let fields = setting.t.fields.clone();
    let commitment = posted.get("commitment") == "yes";
    if let Some(op) = RowOp::of(&posted) {
        let mut form = form::read(&fields, &posted, true);
        op.apply(&fields, &mut form);
        return render_form(
            s,
            StatusCode::OK,
            &setting,
            target,
            Shown {
                form: &form,
                problems: &Problems::default(),
                commitment,
                saved: false,
                number,
            },
        );
    }
    let form = form::read(&fields, &posted, false);
    let submit = posted.get("action") == "submit";
    fn shown_with<'a>(
        form: &'a Value,
        problems: &'a Problems,
        commitment: bool,
        number: &str,
    ) -> Shown<'a> {
        Shown {
            form,
            problems,
            commitment,
            saved: false,
            number: number.to_owned(),
        }
    }
    if submit && !commitment {
        // Everything at once: the form's problems as a submission would find them, and the
        // commitment.
        let mut v = Validator::new();
        domain::validate_form(&fields, &form, true, &mut v);
        let mut items = match v.finish() {
            Ok(()) => Vec::new(),
            Err(Invalid(items)) => items,
        };
        items.push(FieldError::new(
            "commitment_accepted",
            "required",
            "accept the commitment statement to submit",
        ));
        let problems = Problems { items };
        return render_form(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            &setting,
            target,
            shown_with(&form, &problems, commitment, &number),
        );
    }
    let enterprise = own(s)?;
    let scope = s.user.scope();
    let t = setting.t.clone();
    let json_form = form.clone();
    let written = permit_write(&s.state, &s.user, move |conn, ctx| {
        let id = match target {
            Target::New => {
                ApplicationId(lifecycle::create_draft(conn, ctx, enterprise, &t, &json_form)?.id)
            }
            Target::Draft(id) => {
                lifecycle::update_form(conn, ctx, scope, id, &json_form)?;
                id
            }
        };
        let status = if submit {
            Some(lifecycle::submit(conn, ctx, scope, id, true)?.status)
        } else {
            None
        };
        Ok((id, status))
    })
    .await;
    match written {
        Ok((id, Some(status))) => {
            s.state
                .metrics
                .domain_event("permit_decision", status.as_str());
            Ok(s.see_other(&format!("/e/applications/{}?submitted=1", id.0)))
        }
        Ok((id, None)) => Ok(s.see_other(&format!("/e/applications/{}/form?saved=1", id.0))),
        Err(ApiError::Validation(items)) => {
            let problems = Problems { items };
            render_form(
                s,
                StatusCode::UNPROCESSABLE_ENTITY,
                &setting,
                target,
                shown_with(&form, &problems, commitment, &number),
            )
        }
        Err(ApiError::InvalidTransition(_)) => match target {
            Target::Draft(id) => s.render_status(
                StatusCode::CONFLICT,
                &AlreadySubmitted {
                    c: &s.ctx,
                    href: format!("/e/applications/{}", id.0),
                },
            ),
            Target::New => Err(ApiError::Conflict(String::new())),
        },
        Err(ApiError::Conflict(_)) => Err(ApiError::Conflict(s.t("e-apply-closed"))),
        Err(e) => Err(e),
    }
}
