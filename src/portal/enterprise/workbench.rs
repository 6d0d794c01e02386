//! `/e/`: the workbench (我的办事). What needs doing first (待办): hazards to rectify with their
//! deadlines, overdue first; licences expiring within 90 days; drafts not submitted; review
//! decisions received. Then the applications by status, the active certificates, the orders in
//! force, the unpaid penalties and the negative list's state.

use actix_web::{HttpResponse, get, web};
use askama::Template;

use super::super::page::Ctx;
use super::{Ent, date_opt, local, own, word};
use crate::enforcement::store::{HazardFilter, OrderFilter, PenaltyFilter};
use crate::enforcement::usecases::hazards::HazardView;
use crate::enforcement::usecases::orders::OrderView;
use crate::enforcement::usecases::penalties::PenaltyView;
use crate::enforcement::usecases::{hazards, orders, penalties};
use crate::error::ApiError;
use crate::http::pagination::PageRequest;
use crate::negative_lists::usecases::lists::ListView;
use crate::negative_lists::usecases::lists::{self as nl, ListQuery};
use crate::permits::applications::{self, ApplicationQuery};
use crate::permits::domain::{ApplicationStatus, CertificateStatus};
use crate::permits::register::{self, CertificateQuery};
use crate::permits::views::{ApplicationView, CertificateView};

/// Licences expiring within this many days are on the 待办 list.
const EXPIRY_WATCH_DAYS: i64 = 90;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(workbench);
}

/// One line of a list on the workbench: what, a link, a date, whether it is late.
pub struct Line {
    pub href: String,
    pub title: String,
    pub detail: String,
    pub when: String,
    pub late: bool,
}

pub struct StatusCount {
    pub status: String,
    pub label: String,
    pub count: usize,
}

#[derive(Template)]
#[template(path = "portal/enterprise/workbench.html")]
struct Workbench<'a> {
    c: &'a Ctx,
    enterprise: String,
    hazards: Vec<Line>,
    expiring: Vec<Line>,
    drafts: Vec<Line>,
    decisions: Vec<Line>,
    by_status: Vec<StatusCount>,
    certificates: Vec<Line>,
    orders: Vec<Line>,
    penalties: Vec<Line>,
    list_state: String,
}

impl Workbench<'_> {
    fn nothing_to_do(&self) -> bool {
        self.hazards.is_empty()
            && self.expiring.is_empty()
            && self.drafts.is_empty()
            && self.decisions.is_empty()
    }
}

/// What the workbench reads, in one go.
struct Read {
    enterprise: String,
    hazards: Vec<HazardView>,
    /// The last day of the expiry watch: active certificates valid until then or earlier.
    horizon: chrono::NaiveDate,
    active: Vec<CertificateView>,
    applications: Vec<ApplicationView>,
    orders: Vec<OrderView>,
    penalties: Vec<PenaltyView>,
    lists: Vec<ListView>,
}

/// The workbench of the signed-in enterprise: everything read through the capabilities'
/// scoped reads, so it shows only the enterprise's own records.
#[get("/e/")]
async fn workbench(s: Ent) -> Result<HttpResponse, ApiError> {
    let enterprise = own(&s)?;
    let scope = s.user.scope();
    let state = s.state.clone();
    let today = state.now().today;
    let tz = state.config.timezone;
    let read = state
        .db
        .read_case(move |conn| -> Result<Read, ApiError> {
            let page = PageRequest::first;
            let name = crate::enterprises::store::find(conn, enterprise)?
                .map(|e| e.name)
                .unwrap_or_default();
            let mut open = hazards::list(
                conn,
                today,
                scope,
                HazardFilter {
                    status: Some("open".into()),
                    ..HazardFilter::default()
                },
                page(200),
            )?
            .items;
            // Overdue first, then by deadline.
            open.sort_by_key(|h| (!h.overdue, h.deadline));
            let active_certs = CertificateQuery {
                permit_type: None,
                status: Some(CertificateStatus::Active),
                enterprise_id: None,
                expiring_within_days: None,
                limit: None,
                cursor: None,
            };
            // One read of the active certificates; those expiring within 90 days are among
            // them (what `expiring_within_days=90` asks the register for).
            let active = register::list(conn, today, scope, &active_certs, page(200))?.items;
            let horizon = today + chrono::Duration::days(EXPIRY_WATCH_DAYS);
            let apps = applications::list(
                conn,
                today,
                tz,
                scope,
                &ApplicationQuery {
                    status: None,
                    permit_type: None,
                    enterprise_id: None,
                    submitted_from: None,
                    submitted_to: None,
                    overdue: None,
                    limit: None,
                    cursor: None,
                },
                page(200),
            )?
            .items;
            let orders = orders::list(
                conn,
                scope,
                OrderFilter {
                    in_force: Some(true),
                    ..OrderFilter::default()
                },
                page(50),
            )?
            .items;
            let penalties = penalties::list(
                conn,
                scope,
                PenaltyFilter {
                    paid: Some(false),
                    ..PenaltyFilter::default()
                },
                page(50),
            )?
            .items;
            let lists = nl::page(
                conn,
                scope,
                ListQuery {
                    enterprise_id: None,
                    status: None,
                    limit: Some(5),
                    cursor: None,
                },
            )?
            .items;
            Ok(Read {
                enterprise: name,
                hazards: open,
                horizon,
                active,
                applications: apps,
                orders,
                penalties,
                lists,
            })
        })
        .await?;
    let c = &s.ctx;
    let hazards = read
        .hazards
        .iter()
        .map(|h| Line {
            href: format!("/e/hazards/{}", h.id.0),
            title: h.description.clone(),
            detail: word(c, "e-hazard-level-", h.level.as_str()),
            when: c.t1("e-deadline", "date", &c.t.date(h.deadline)),
            late: h.overdue,
        })
        .collect();
    let mut expiring: Vec<&CertificateView> = read
        .active
        .iter()
        .filter(|x| x.valid_until <= read.horizon)
        .collect();
    expiring.sort_by_key(|x| x.valid_until);
    let expiring = expiring
        .into_iter()
        .map(|x| Line {
            href: format!("/e/certificates/{}", x.id),
            title: x.number.clone(),
            detail: word(c, "e-type-", &x.permit_type),
            when: c.t1("e-valid-until", "date", &c.t.date(x.valid_until)),
            late: false,
        })
        .collect();
    let app_line = |a: &ApplicationView| Line {
        href: if a.status == ApplicationStatus::Draft {
            format!("/e/applications/{}/form", a.id)
        } else {
            format!("/e/applications/{}", a.id)
        },
        title: format!("{} {}", a.number, word(c, "e-type-", &a.permit_type)),
        detail: word(c, "e-status-", a.status.as_str()),
        when: local(c, a.decided_at.unwrap_or(a.updated_at)),
        late: a.overdue,
    };
    let drafts = read
        .applications
        .iter()
        .filter(|a| a.status == ApplicationStatus::Draft)
        .map(app_line)
        .collect();
    // A reviewer's decision (the rules' own are answered at once, on submission).
    let decisions = read
        .applications
        .iter()
        .filter(|a| a.decided_by.is_some())
        .take(10)
        .map(app_line)
        .collect();
    let by_status = ApplicationStatus::ALL
        .iter()
        .map(|st| StatusCount {
            status: st.as_str().to_owned(),
            label: word(c, "e-status-", st.as_str()),
            count: read.applications.iter().filter(|a| a.status == *st).count(),
        })
        .filter(|x| x.count > 0)
        .collect();
    let certificates = read
        .active
        .iter()
        .map(|x| Line {
            href: format!("/e/certificates/{}", x.id),
            title: x.number.clone(),
            detail: word(c, "e-type-", &x.permit_type),
            when: c.t1("e-valid-until", "date", &c.t.date(x.valid_until)),
            late: false,
        })
        .collect();
    let orders = read
        .orders
        .iter()
        .map(|o| Line {
            href: "/e/orders".into(),
            title: word(c, "e-order-kind-", o.kind.as_str()),
            detail: o.reason.clone(),
            when: c.t1("e-issued-on", "date", &c.t.date(o.issued_on)),
            late: false,
        })
        .collect();
    let penalties = read
        .penalties
        .iter()
        .map(|p| Line {
            href: "/e/penalties".into(),
            title: format!("{} {}", p.decision_no, c.t.money(p.fine_fen)),
            detail: p.violation.clone(),
            when: c.t1("e-decided-on", "date", &c.t.date(p.decided_on)),
            late: false,
        })
        .collect();
    let current = read.lists.iter().find(|l| l.status.as_str() == "current");
    let draft = read.lists.iter().any(|l| l.status.as_str() == "draft");
    let list_state = match current {
        Some(l) => {
            c.t1("e-nl-state-current", "version", &l.version.to_string())
                + &format!(" · {}", c.t1("e-nl-items", "n", &l.item_count.to_string()))
                + &date_opt(c, None)
        }
        None => c.t("e-nl-state-none"),
    } + &if draft {
        format!(" · {}", c.t("e-nl-state-draft"))
    } else {
        String::new()
    };
    c.render(&Workbench {
        c,
        enterprise: read.enterprise,
        hazards,
        expiring,
        drafts,
        decisions,
        by_status,
        certificates,
        orders,
        penalties,
        list_state,
    })
}
