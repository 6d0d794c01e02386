//! Report a hazard (PORTAL 7.3): `/report` tells how a report is handled and how the
//! reporter's identity is protected, and holds the form (the API's field names); its POST files
//! the report through the use cases the JSON route calls (`reports::usecases::public::
//! {check_filing, file}`, limited by `reports::gate::filing`). The receipt is then shown once —
//! never stored, logged or put in a cookie or an address — and `/report/saved` is the step
//! that confirms it was kept. Every page here is `no-store` (as every portal page is).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use chrono::NaiveDate;

use super::super::page::{Ctx, Form};
use super::{Entered, code_names, public_form, render_form};
use crate::error::ApiError;
use crate::reference::store::{self as reference, CodeName, Table};
use crate::reports::crypto;
use crate::reports::domain::{Category, Contact, Receipt};
use crate::reports::gate;
use crate::reports::usecases::public::{self as usecase, FileReportRequest};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(report_form)
        .service(file_report)
        .service(receipt_saved);
}

#[derive(Template)]
#[template(path = "portal/public/report.html")]
struct ReportPage<'a> {
    c: &'a Ctx,
    form_token: String,
    form: Entered,
    categories: Vec<(&'static str, String)>,
    industries: Vec<CodeName>,
    districts: Vec<CodeName>,
}

#[derive(Template)]
#[template(path = "portal/public/report_receipt.html")]
struct ReceiptPage<'a> {
    c: &'a Ctx,
    form_token: String,
    tracking_number: String,
    /// The receipt in groups of four digits.
    groups: Vec<String>,
}

#[derive(Template)]
#[template(path = "portal/public/report_saved.html")]
struct SavedPage<'a> {
    c: &'a Ctx,
}

fn categories(c: &Ctx) -> Vec<(&'static str, String)> {
    Category::ALL
        .iter()
        .map(|k| (k.as_str(), c.t1("report-category", "category", k.as_str())))
        .collect()
}

async fn form_page(
    c: &Ctx,
    req: &HttpRequest,
    form: Entered,
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    let (industries, districts) = c
        .state
        .db
        .run(|conn| {
            Ok((
                reference::list(conn, Table::Industries)?,
                reference::list(conn, Table::Districts)?,
            ))
        })
        .await?;
    let (cookie, form_token) = public_form(c, req);
    let page = ReportPage {
        c,
        form_token,
        form,
        categories: categories(c),
        industries: code_names(c, Table::Industries, industries),
        districts: code_names(c, Table::Districts, districts),
    };
    render_form(c, status, &page, cookie)
}

/// How a report is handled and how the identity is protected, and the form.
#[get("/report")]
async fn report_form(c: Ctx, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    form_page(&c, &req, Entered::default(), StatusCode::OK).await
}

/// The form as the JSON route takes it; what cannot even be read (a category or a date that
/// is not one) is a problem of its field, added to those the use case names.
fn request_of(form: &Form, entered: &mut Entered, c: &Ctx) -> FileReportRequest {
    let optional = |name: &str| Some(form.get(name)).filter(|v| !v.is_empty());
    let category = Category::parse(&form.get("category")).unwrap_or_else(|| {
        entered.push("category", c.t("report-problem-category"));
        Category::Other
    });
    let occurred_on = optional("occurred_on").and_then(|d| {
        NaiveDate::parse_from_str(&d, "%Y-%m-%d")
            .map_err(|_| entered.push("occurred_on", c.t("report-problem-date")))
            .ok()
    });
    // Not chosen is no industry at all (whether a chosen one is known is the use case's
    // check): said now, with the other problems, rather than after them.
    if form.get("industry").is_empty() {
        entered.push("industry", c.t("report-problem-industry-unknown_code"));
    }
    let contact = Contact {
        name: optional("reporter.name"),
        phone: optional("reporter.phone"),
        email: optional("reporter.email"),
        bank_account: optional("reporter.bank_account"),
    };
    FileReportRequest {
        industry: form.get("industry"),
        category,
        enterprise_name: optional("enterprise_name"),
        enterprise_credit_code: optional("enterprise_credit_code"),
        district: optional("district"),
        location: optional("location"),
        occurred_on,
        description: form.get("description"),
        is_employee: matches!(form.get("is_employee").as_str(), "true" | "on" | "1"),
        reporter: (!contact.is_empty()).then_some(contact),
    }
}

/// Files a report, anonymously or not. Bad input comes back as the form with every problem
/// beside its field and the typed values kept, nothing filed. Filed: the receipt, once.
#[post("/report")]
async fn file_report(c: Ctx, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let expected = c.state.csrf.form_token_of(&req, c.state.clock.now());
    let form = Form::read(&req, &body, expected.as_deref())?;
    gate::filing(&c.state, &req)?;
    let mut entered = Entered::of(&form);
    let input = request_of(&form, &mut entered, &c);
    let now = c.state.now();
    let filing = match usecase::check_filing(input, now.today) {
        Ok(filing) if !entered.has_problems() => filing,
        Ok(_) => return form_page(&c, &req, entered, StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(invalid) => {
            entered.add(&c, invalid.into())?;
            return form_page(&c, &req, entered, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let data_key = c.state.config.secrets.data_key;
    let receipt = Receipt::generate();
    let receipt_hash = crypto::hash_receipt_blocking(data_key, receipt.clone()).await?;
    let filed = c
        .state
        .db
        .write_case(move |conn| usecase::file(conn, now, &data_key, &filing, receipt_hash))
        .await;
    let filed = match filed {
        Ok(filed) => filed,
        Err(err) => {
            entered.add(&c, err)?;
            return form_page(&c, &req, entered, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let groups = receipt
        .as_str()
        .as_bytes()
        .chunks(4)
        .map(|g| String::from_utf8_lossy(g).into_owned())
        .collect();
    let (cookie, form_token) = public_form(&c, &req);
    let page = ReceiptPage {
        c: &c,
        form_token,
        tracking_number: filed.tracking_number,
        groups,
    };
    render_form(&c, StatusCode::OK, &page, cookie)
}

/// "I have saved my receipt": the receipt page may now be left.
#[post("/report/saved")]
async fn receipt_saved(
    c: Ctx,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let expected = c.state.csrf.form_token_of(&req, c.state.clock.now());
    Form::read(&req, &body, expected.as_deref())?;
    c.render(&SavedPage { c: &c })
}
