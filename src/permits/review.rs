//! The review path's use case: a reviewer approves or rejects an application under review.

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::applications;
use super::context::Ctx;
use super::domain::{self, ApplicationStatus, Decision};
use super::error::PermitError;
use super::lifecycle::{load_type, transition};
use super::register::{self, Issuing};
use super::store::{self, ApplicationChanges};
use super::views::{ApplicationView, application_view};
use crate::actor::Scope;
use crate::db::DbConn;
use crate::ids::{ApplicationId, EnterpriseId};
use crate::validate::Validator;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    pub decision: Decision,
    /// At least 10 characters; kept in the audit trail.
    pub reason: String,
}

/// A reviewer's decision on an application under review, with a written reason (at least 10
/// characters) that goes into the audit trail. Approval issues the certificate. Only the review
/// path: any other state is 409 `invalid_transition`; of two concurrent decisions one wins,
/// the other gets 409.
pub fn decide(
    conn: &mut DbConn,
    ctx: &Ctx<'_>,
    id: ApplicationId,
    input: &DecisionRequest,
) -> Result<ApplicationView, PermitError> {
    let mut v = Validator::new();
    let reason = v.text("reason", &input.reason, domain::MIN_REASON_CHARS, 2000);
    v.finish()?;
    let reason = reason.unwrap_or_default();
    let app = applications::visible(conn, Scope::All, id)?;
    if !domain::may_decide(app.status()?) {
        return Err(PermitError::InvalidTransition(format!(
            "a {} application is not awaiting a reviewer's decision",
            app.status
        )));
    }
    let status = match input.decision {
        Decision::Approve => ApplicationStatus::Approved,
        Decision::Reject => ApplicationStatus::Rejected,
    };
    let row = transition(
        conn,
        ctx,
        id,
        &[ApplicationStatus::UnderReview],
        &ApplicationChanges {
            status: Some(status.as_str().to_owned()),
            decided_at: Some(Some(ctx.now)),
            decided_by: Some(ctx.actor.user_id.map(|u| u.0)),
            decision_reason: Some(Some(reason.clone())),
            updated_at: Some(ctx.now),
            ..Default::default()
        },
        status.as_str(),
        json!({"decided_by": "reviewer", "reason": reason}),
    )?;
    let row = if status == ApplicationStatus::Approved {
        let t = load_type(conn, &app.permit_type)?;
        let form = app.form_value()?;
        let enterprise = store::enterprise(conn, EnterpriseId(app.enterprise_id))?;
        let (row, _) = register::issue(
            conn,
            ctx,
            &row,
            &t,
            &form,
            &enterprise,
            Issuing::Certificate,
        )?;
        row
    } else {
        row
    };
    applications::full(conn, row, ctx.today)
}

/// An application in the review queue, with the names a reviewer reads it by.
pub struct QueueItem {
    pub application: ApplicationView,
    pub enterprise_name: String,
    pub type_name: String,
}

/// The review queue (PORTAL 7.5): every application under review, the nearest due date first
/// (overdue ones lead), at most `limit`.
pub fn queue(
    conn: &mut DbConn,
    today: NaiveDate,
    limit: i64,
) -> Result<Vec<QueueItem>, PermitError> {
    store::review_queue(conn, limit)?
        .into_iter()
        .map(|(row, enterprise_name, type_name)| {
            Ok(QueueItem {
                application: application_view(row, today)?,
                enterprise_name,
                type_name,
            })
        })
        .collect()
}
