//! Retention (SPEC 6): finding the reports whose reporter's details are due for erasure, and
//! erasing them. The rule itself (who is due, what stays) is `usecases::retention`'s.

use chrono::NaiveDateTime;
use diesel::dsl::{exists, not};
use diesel::prelude::*;

use crate::error::ApiError;
use crate::ids::ReportId;
use crate::reports::domain::RewardStatus;
use crate::schema::{reports, rewards};

/// A reward in these states still needs its reporter: `decided` may yet be claimed, and a
/// `claimed` one is paid to its payee.
fn open_rewards() -> [&'static str; 2] {
    [
        RewardStatus::Decided.as_str(),
        RewardStatus::Claimed.as_str(),
    ]
}

/// Rewards whose payee may go once the report is due: paid, or lapsed.
fn settled_rewards() -> [&'static str; 2] {
    [RewardStatus::Paid.as_str(), RewardStatus::Lapsed.as_str()]
}

/// Up to `limit` reports concluded before `cutoff` that still hold a sealed contact, or whose
/// settled reward still holds a sealed payee, and have no open reward; oldest conclusions
/// first. Both look-ups go through the partial indexes of the sealed rows that are left.
pub fn due_for_erasure(
    conn: &mut crate::db::DbConn,
    cutoff: NaiveDateTime,
    limit: i64,
) -> Result<Vec<ReportId>, ApiError> {
    let open_reward = rewards::table
        .filter(rewards::report_id.eq(reports::id))
        .filter(rewards::status.eq_any(open_rewards()));
    let with_contact: Vec<i64> = reports::table
        .filter(reports::contact_sealed.is_not_null())
        .filter(reports::concluded_at.lt(cutoff))
        .filter(not(exists(open_reward)))
        .order(reports::concluded_at.asc())
        .select(reports::id)
        .limit(limit)
        .load(conn)?;
    let with_payee: Vec<i64> = rewards::table
        .inner_join(reports::table)
        .filter(rewards::payee_sealed.is_not_null())
        .filter(rewards::status.eq_any(settled_rewards()))
        .filter(reports::concluded_at.lt(cutoff))
        .order(reports::concluded_at.asc())
        .select(rewards::report_id)
        .limit(limit)
        .load(conn)?;
    let mut ids = with_contact;
    ids.extend(with_payee);
    ids.sort_unstable();
    ids.dedup();
    ids.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(ids.into_iter().map(ReportId).collect())
}

/// What one erasure removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Erased {
    pub contact: bool,
    pub payee: bool,
}

/// Erases the report's sealed contact (unless it has an open reward) and the sealed payee of
/// its settled reward, and records when. Each `UPDATE` is guarded by what it erases, so a
/// second process that erased the same report first leaves nothing here (`Erased` all false).
pub fn erase_identity(
    conn: &mut crate::db::DbConn,
    id: ReportId,
    at: NaiveDateTime,
) -> Result<Erased, ApiError> {
    let open_reward = rewards::table
        .filter(rewards::report_id.eq(reports::id))
        .filter(rewards::status.eq_any(open_rewards()));
    let contact = diesel::update(
        reports::table
            .filter(reports::id.eq(id.0))
            .filter(reports::contact_sealed.is_not_null())
            .filter(not(exists(open_reward))),
    )
    .set((
        reports::contact_sealed.eq(None::<String>),
        reports::identity_erased_at.eq(Some(at)),
    ))
    .execute(conn)?;
    let payee = diesel::update(
        rewards::table
            .filter(rewards::report_id.eq(id.0))
            .filter(rewards::payee_sealed.is_not_null())
            .filter(rewards::status.eq_any(settled_rewards())),
    )
    .set(rewards::payee_sealed.eq(None::<String>))
    .execute(conn)?;
    if payee > 0 && contact == 0 {
        diesel::update(reports::table.filter(reports::id.eq(id.0)))
            .set(reports::identity_erased_at.eq(Some(at)))
            .execute(conn)?;
    }
    Ok(Erased {
        contact: contact > 0,
        payee: payee > 0,
    })
}
