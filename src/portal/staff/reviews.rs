//! The reviewer's queue (PORTAL 7.5): every application under review, the nearest due date
//! first, the overdue ones marked.

use actix_web::{HttpResponse, get, web};
use askama::Template;

use super::super::page::{Ctx, Signed};
use super::super::view::{date_opt, local};
use crate::auth::Reviewers;
use crate::error::ApiError;
use crate::permits::review;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(queue);
}

/// How many applications the queue shows; it says when there are more.
const QUEUE_LENGTH: i64 = 200;

struct Row {
    href: String,
    number: String,
    enterprise: String,
    permit_type: String,
    submitted: String,
    due: String,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "portal/staff/reviews.html")]
struct QueuePage<'a> {
    c: &'a Ctx,
    rows: Vec<Row>,
    overdue: usize,
    more: bool,
}

/// The review queue.
#[get("/s/reviews")]
async fn queue(s: Signed<Reviewers>) -> Result<HttpResponse, ApiError> {
    let today = s.state.now().today;
    let items = s
        .state
        .db
        .read_case(move |conn| review::queue(conn, today, QUEUE_LENGTH + 1))
        .await?;
    let more = items.len() > QUEUE_LENGTH as usize;
    let rows: Vec<Row> = items
        .into_iter()
        .take(QUEUE_LENGTH as usize)
        .map(|item| {
            let a = item.application;
            Row {
                href: format!("/s/applications/{}", a.id),
                number: a.number,
                enterprise: item.enterprise_name,
                permit_type: item.type_name,
                submitted: a.submitted_at.map(|at| local(&s, at)).unwrap_or_default(),
                due: date_opt(&s, a.due_on),
                overdue: a.overdue,
            }
        })
        .collect();
    let overdue = rows.iter().filter(|r| r.overdue).count();
    s.render(&QueuePage {
        c: &s,
        rows,
        overdue,
        more,
    })
}
