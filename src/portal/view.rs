//! What pages of every audience show records with: times and dates in the page's language,
//! texts keyed by data, and the permits' use cases run as the signed-in account.

use chrono::{NaiveDate, NaiveDateTime, TimeZone};

use super::page::Ctx;
use crate::auth::CurrentUser;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::permits::PermitError;
use crate::permits::context::Ctx as PermitCtx;
use crate::state::AppState;

/// An instant (stored in UTC) as the city's local date, in the page's language, and time.
pub fn local(c: &Ctx, at: NaiveDateTime) -> String {
    let t = c.state.config.timezone.from_utc_datetime(&at);
    format!("{} {}", c.t.date(t.date_naive()), t.format("%H:%M"))
}

/// The page's date, or an empty string.
pub fn date_opt(c: &Ctx, d: Option<NaiveDate>) -> String {
    d.map(|d| c.t.date(d)).unwrap_or_default()
}

/// A text keyed by data (a status, a rule, an action), or the code itself when the catalog
/// has no text for it.
pub fn word(c: &Ctx, prefix: &str, code: &str) -> String {
    c.t.t_or(&format!("{prefix}{code}"), code)
}

/// One option of a select or a set of radios, its label in the page's language.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The options of a closed list of codes (`code` gives each one's), labelled by the catalog's
/// `{prefix}{code}`, with `current` selected.
pub fn choices<T: Copy>(
    c: &Ctx,
    all: &[T],
    code: fn(T) -> &'static str,
    prefix: &str,
    current: &str,
) -> Vec<Choice> {
    all.iter()
        .map(|x| Choice {
            value: code(*x).to_owned(),
            label: word(c, prefix, code(*x)),
            selected: code(*x) == current,
        })
        .collect()
}

/// Runs a permit write use case as `user`, now, in one write transaction: what the JSON
/// handlers' `act` does for a token's holder.
pub async fn permit_write<T: Send + 'static>(
    state: &AppState,
    user: &CurrentUser,
    use_case: impl FnOnce(&mut DbConn, &PermitCtx<'_>) -> Result<T, PermitError> + Send + 'static,
) -> Result<T, ApiError> {
    let now = state.now();
    let key = state.config.secrets.signing_key.clone();
    let actor = user.actor();
    state
        .db
        .write_case(move |conn| {
            let ctx = PermitCtx {
                actor: &actor,
                now: now.at,
                today: now.today,
                signing_key: &key,
            };
            use_case(conn, &ctx)
        })
        .await
}
