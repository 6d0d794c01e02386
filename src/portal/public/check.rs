//! Check a report (PORTAL 7.3): `/report/check` takes the receipt (a POST, so that it is never
//! in an address) and shows the report's status, the messages both ways, a reply form and,
//! when a reward has been decided, the claim form. Every follow-up (reply, claim) carries the
//! receipt again in a hidden field — never a cookie, never the address. The receipt routes'
//! gate is the API's (`reports::gate::receipt`): a wrong receipt counts against the address
//! exactly as on the API, and past the limit every page here is the 429 page with the wait.
//! The checks and the use cases are the JSON routes' (`reports::usecases::public`).

use std::net::IpAddr;

use crate::portal::view::local;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;

use super::super::page::{Ctx, Form};
use super::{Entered, public_form, render_form};
use crate::error::ApiError;
use crate::reports::crypto;
use crate::reports::domain::{Payee, Receipt, RewardStatus};
use crate::reports::gate;
use crate::reports::usecases::public::{self as usecase, Claim, ReporterView};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(check_form)
        .service(check)
        .service(reply)
        .service(claim);
}

#[derive(Template)]
#[template(path = "portal/public/report_check.html")]
struct CheckPage<'a> {
    c: &'a Ctx,
    form_token: String,
    form: Entered,
}

/// One message as the reporter sees it.
struct Message {
    from_bureau: bool,
    body: String,
    at: String,
}

/// The reward as the reporter sees it.
struct Reward {
    amount: String,
    status: String,
    status_class: &'static str,
    decided_on: String,
    claim_deadline: String,
    paid_on: String,
    claimable: bool,
}

#[derive(Template)]
#[template(path = "portal/public/report_status.html")]
struct StatusPage<'a> {
    c: &'a Ctx,
    form_token: String,
    /// Carried in the hidden field of every follow-up form.
    receipt: String,
    tracking_number: String,
    status: String,
    status_class: &'static str,
    category: String,
    received_at: String,
    concluded_on: String,
    identity_opened: bool,
    messages: Vec<Message>,
    reward: Option<Reward>,
    /// What the last action did ("sent", "claimed"), shown at the top.
    notice: String,
    /// The reply form or the claim form as sent, with its problems.
    form: Entered,
}

/// The receipt form.
#[get("/report/check")]
async fn check_form(c: Ctx, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    check_page(&c, &req, Entered::default(), StatusCode::OK)
}

fn check_page(
    c: &Ctx,
    req: &HttpRequest,
    form: Entered,
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    let (cookie, form_token) = public_form(c, req);
    render_form(
        c,
        status,
        &CheckPage {
            c,
            form_token,
            form,
        },
        cookie,
    )
}

/// The receipt form again with the problem beside it: a malformed receipt is a mistake, not a
/// guess, and is not counted (as on the API).
fn malformed(c: &Ctx, req: &HttpRequest) -> Result<HttpResponse, ApiError> {
    let mut entered = Entered::default();
    entered.push("receipt", c.t("report-problem-receipt-invalid"));
    check_page(c, req, entered, StatusCode::UNPROCESSABLE_ENTITY)
}

/// The receipt form again with "not found": a wrong receipt, counted against the address.
fn not_found(c: &Ctx, req: &HttpRequest, ip: IpAddr) -> Result<HttpResponse, ApiError> {
    let _ = gate::wrong_receipt(&c.state, ip);
    let mut form = Entered::default();
    form.push("receipt", c.t("report-check-not-found"));
    check_page(c, req, form, StatusCode::NOT_FOUND)
}

fn status_page(
    c: &Ctx,
    req: &HttpRequest,
    receipt: &Receipt,
    view: ReporterView,
    notice: String,
    form: Entered,
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    let status_class = match view.status.as_str() {
        "substantiated" => "ok",
        "unsubstantiated" | "duplicate" => "warn",
        _ => "",
    };
    let reward = view.reward.map(|r| Reward {
        amount: c.t.money(r.amount_fen),
        status: c.t1("report-reward-status", "status", r.status.as_str()),
        status_class: match r.status {
            RewardStatus::Paid | RewardStatus::Claimed => "ok",
            RewardStatus::Decided => "warn",
            RewardStatus::Lapsed => "bad",
        },
        decided_on: c.t.date(r.decided_on),
        claim_deadline: c.t.date(r.claim_deadline),
        paid_on: r.paid_on.map(|d| c.t.date(d)).unwrap_or_default(),
        claimable: r.status == RewardStatus::Decided,
    });
    let (cookie, form_token) = public_form(c, req);
    let page = StatusPage {
        c,
        form_token,
        receipt: receipt.as_str().to_owned(),
        tracking_number: view.tracking_number,
        status: c.t1("report-status", "status", view.status.as_str()),
        status_class,
        category: c.t1("report-category", "category", view.category.as_str()),
        received_at: local(c, view.received_at),
        concluded_on: view.concluded_on.map(|d| c.t.date(d)).unwrap_or_default(),
        identity_opened: view.identity_opened,
        messages: view
            .messages
            .into_iter()
            .map(|m| Message {
                from_bureau: m.from == "bureau",
                body: m.body,
                at: local(c, m.at),
            })
            .collect(),
        reward,
        notice,
        form,
    };
    render_form(c, status, &page, cookie)
}

/// The report of a receipt's hash, or `None`.
async fn lookup(c: &Ctx, hash: String) -> Result<Option<ReporterView>, ApiError> {
    let today = c.state.now().today;
    c.state
        .db
        .read_case(move |conn| usecase::lookup(conn, today, &hash))
        .await
}

/// The receipt as typed into the form, without the spaces of its groups of four.
fn typed_receipt(form: &Form) -> String {
    form.get("receipt")
        .chars()
        .filter(|ch| !ch.is_whitespace() && *ch != '-')
        .collect()
}

fn read(c: &Ctx, req: &HttpRequest, body: &web::Bytes) -> Result<Form, ApiError> {
    let expected = c.state.csrf.form_token_of(req, c.state.clock.now());
    Form::read(req, body, expected.as_deref())
}

/// The report of a receipt: its status, the messages, the reply and claim forms.
#[post("/report/check")]
async fn check(c: Ctx, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let form = read(&c, &req, &body)?;
    let ip = gate::receipt(&c.state, &req)?;
    let Ok(receipt) = Receipt::parse(&typed_receipt(&form)) else {
        return malformed(&c, &req);
    };
    let hash =
        crypto::hash_receipt_blocking(c.state.config.secrets.data_key, receipt.clone()).await?;
    match lookup(&c, hash).await? {
        Some(view) => status_page(
            &c,
            &req,
            &receipt,
            view,
            String::new(),
            Entered::default(),
            StatusCode::OK,
        ),
        None => not_found(&c, &req, ip),
    }
}

/// Adds the reporter's information to the report, then shows it again.
#[post("/report/check/reply")]
async fn reply(c: Ctx, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let form = read(&c, &req, &body)?;
    let ip = gate::receipt(&c.state, &req)?;
    let mut entered = Entered::of(&form);
    let checked = usecase::check_message(&form.get("receipt"), &form.get("body"));
    let receipt = Receipt::parse(&form.get("receipt"));
    let (receipt, text) = match (checked, receipt) {
        (Ok(ok), _) => ok,
        (Err(_), Err(_)) => return malformed(&c, &req),
        (Err(invalid), Ok(receipt)) => {
            // The text is wrong: the report again, with the problem beside the reply.
            entered.add(&c, invalid.into())?;
            let hash =
                crypto::hash_receipt_blocking(c.state.config.secrets.data_key, receipt.clone())
                    .await?;
            return match lookup(&c, hash).await? {
                Some(view) => status_page(
                    &c,
                    &req,
                    &receipt,
                    view,
                    String::new(),
                    entered,
                    StatusCode::UNPROCESSABLE_ENTITY,
                ),
                None => not_found(&c, &req, ip),
            };
        }
    };
    let hash =
        crypto::hash_receipt_blocking(c.state.config.secrets.data_key, receipt.clone()).await?;
    let at = c.state.now().at;
    let lookup_hash = hash.clone();
    let added = c
        .state
        .db
        .write_case(move |conn| usecase::add_message(conn, at, &hash, &text))
        .await;
    match added {
        Ok(_) => {}
        Err(ApiError::NotFound) => return not_found(&c, &req, ip),
        Err(other) => return Err(other),
    }
    match lookup(&c, lookup_hash).await? {
        Some(view) => status_page(
            &c,
            &req,
            &receipt,
            view,
            c.t("report-reply-sent"),
            Entered::default(),
            StatusCode::OK,
        ),
        None => not_found(&c, &req, ip),
    }
}

/// Claims the decided reward, naming the payee; then shows the report again.
#[post("/report/check/claim")]
async fn claim(c: Ctx, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let form = read(&c, &req, &body)?;
    let ip = gate::receipt(&c.state, &req)?;
    let mut entered = Entered::of(&form);
    let Ok(receipt) = Receipt::parse(&form.get("receipt")) else {
        return malformed(&c, &req);
    };
    let payee = Payee {
        name: form.get("payee.name"),
        phone: form.get("payee.phone"),
        bank_account: form.get("payee.bank_account"),
    };
    let data_key = c.state.config.secrets.data_key;
    let hash = crypto::hash_receipt_blocking(data_key, receipt.clone()).await?;
    let (notice, status) = match usecase::check_claim(receipt.as_str(), &payee) {
        Err(invalid) => {
            entered.add(&c, invalid.into())?;
            (String::new(), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Ok((_, payee)) => {
            let now = c.state.now();
            let claim_hash = hash.clone();
            let outcome = c
                .state
                .db
                .write_case(move |conn| usecase::claim(conn, now, &data_key, &claim_hash, &payee))
                .await?;
            match outcome {
                Claim::UnknownReceipt => return not_found(&c, &req, ip),
                Claim::Claimed(_) => {
                    entered = Entered::default();
                    (c.t("report-claim-done"), StatusCode::OK)
                }
                // Not decided, or lapsed: the reward's state below says which.
                Claim::Refused(_) => {
                    entered.push("payee", c.t("report-claim-refused"));
                    (String::new(), StatusCode::CONFLICT)
                }
            }
        }
    };
    match lookup(&c, hash).await? {
        Some(view) => status_page(&c, &req, &receipt, view, notice, entered, status),
        None => not_found(&c, &req, ip),
    }
}
