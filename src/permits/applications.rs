//! The application reads that combine queries: one application with its certificate and
//! timeline, and the list. (The writes are in `lifecycle` and `review`.)

use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use serde::Deserialize;
use utoipa::IntoParams;

use super::context::APPLICATION;
use super::domain::ApplicationStatus;
use super::error::PermitError;
use super::store::{self, ApplicationRow};
use super::views::{ApplicationView, application_view, certificate_view};
use crate::actor::Scope;
use crate::audit;
use crate::db::DbConn;
use crate::http::pagination::{Page, PageRequest};
use crate::ids::{ApplicationId, CertificateId, EnterpriseId};
use crate::validate::Invalid;

/// An application the caller may see: another enterprise's is 404, as is one that does not
/// exist.
pub(super) fn visible(
    conn: &mut DbConn,
    scope: Scope,
    id: ApplicationId,
) -> Result<ApplicationRow, PermitError> {
    scope
        .visible(store::find_application(conn, id)?, |a| {
            EnterpriseId(a.enterprise_id)
        })
        .ok_or(PermitError::NotFound)
}

/// The full single-record view: certificate and timeline included.
pub(super) fn full(
    conn: &mut DbConn,
    row: ApplicationRow,
    today: NaiveDate,
) -> Result<ApplicationView, PermitError> {
    let certificate = match row.certificate_id {
        Some(id) => store::find_certificate(conn, CertificateId(id))?
            .map(|c| certificate_view(c, today, None)),
        None => None,
    };
    let timeline = audit::store::timeline(conn, APPLICATION, &row.id.to_string())?;
    let mut view = application_view(row, today)?;
    view.certificate = certificate;
    view.timeline = Some(timeline);
    Ok(view)
}

/// One application with its rule results, its certificate and its timeline: staff read any,
/// an enterprise only its own (another's is 404).
pub fn get(
    conn: &mut DbConn,
    today: NaiveDate,
    scope: Scope,
    id: ApplicationId,
) -> Result<ApplicationView, PermitError> {
    let row = visible(conn, scope, id)?;
    full(conn, row, today)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ApplicationQuery {
    pub status: Option<ApplicationStatus>,
    pub permit_type: Option<String>,
    /// Staff only; an enterprise always sees its own.
    pub enterprise_id: Option<i64>,
    /// Submitted on or after this local date.
    pub submitted_from: Option<NaiveDate>,
    /// Submitted on or before this local date.
    pub submitted_to: Option<NaiveDate>,
    /// `true`: under review past `due_on`.
    pub overdue: Option<bool>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A list's filter check: an unknown `permit_type` is a 422; an enterprise's filter on another
/// enterprise (`asked`) finds nothing, which is answered without a query.
pub(super) fn filters_out_everything(
    conn: &mut DbConn,
    own: Option<EnterpriseId>,
    asked: Option<i64>,
    permit_type: Option<&str>,
) -> Result<bool, PermitError> {
    if let Some(code) = permit_type
        && store::find_type(conn, code)?.is_none()
    {
        return Err(PermitError::UnknownType);
    }
    Ok(own.is_some_and(|own| asked.is_some_and(|e| e != own.0)))
}

/// The UTC instant at which the local date `d` begins in the city's time zone.
pub fn local_midnight(tz: Tz, d: NaiveDate) -> NaiveDateTime {
    let midnight = d.and_time(chrono::NaiveTime::MIN);
    tz.from_local_datetime(&midnight)
        .earliest()
        .map_or(midnight, |t| t.naive_utc())
}

/// Applications, newest first: staff see all, an enterprise its own (a filter on another
/// enterprise finds nothing). The submission dates are local dates, both included;
/// `overdue=true` finds applications under review past their `due_on` as of `today`. An
/// unknown `permit_type` is a 422.
pub fn list(
    conn: &mut DbConn,
    today: NaiveDate,
    tz: Tz,
    scope: Scope,
    q: &ApplicationQuery,
    page: PageRequest,
) -> Result<Page<ApplicationView>, PermitError> {
    if let (Some(from), Some(to)) = (q.submitted_from, q.submitted_to)
        && from > to
    {
        return Err(Invalid::field(
            "submitted_to",
            "out_of_range",
            "must not be before submitted_from",
        )
        .into());
    }
    let own = scope.enterprise();
    let filter = store::ApplicationFilter {
        enterprise_id: match own {
            Some(own) => Some(own.0),
            None => q.enterprise_id,
        },
        status: q.status.map(|s| s.as_str().to_owned()),
        permit_type: q.permit_type.clone(),
        submitted_from: q.submitted_from.map(|d| local_midnight(tz, d)),
        submitted_before: q
            .submitted_to
            .and_then(|d| d.succ_opt())
            .map(|d| local_midnight(tz, d)),
        overdue_before: (q.overdue == Some(true)).then_some(today),
    };
    let rows = if filters_out_everything(conn, own, q.enterprise_id, q.permit_type.as_deref())? {
        Vec::new()
    } else {
        store::list_applications(conn, &filter, page.before_id, page.fetch())?
    };
    Ok(Page::of(
        rows,
        page,
        |r| r.id,
        |r| application_view(r, today),
    )?)
}
