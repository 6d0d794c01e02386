//! What pages of every audience show records with.

use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

use super::page::Ctx;

/// An instant (stored in UTC) as the city's local date and time.
pub fn local(tz: Tz, at: NaiveDateTime) -> String {
    tz.from_utc_datetime(&at)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// The page's date, or an empty string.
pub fn date_opt(c: &Ctx, d: Option<NaiveDate>) -> String {
    d.map(|d| c.t.date(d)).unwrap_or_default()
}
