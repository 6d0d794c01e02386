//! One clock for the whole service. Every "now" comes from here, never from the database, so
//! that both backends agree and tests can set the time.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, SubsecRound, Utc};
use chrono_tz::Tz;

#[derive(Clone, Debug)]
pub enum Clock {
    System,
    /// A clock that only moves when told to (tests, simulations).
    Manual(Arc<Mutex<DateTime<Utc>>>),
}

/// When a use case acts: the instant it records, and the city's local date its rules judge
/// days by (deadlines, "not in the future").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    pub at: NaiveDateTime,
    pub today: NaiveDate,
}

impl Clock {
    /// The instant, and the local date in `tz`.
    pub fn at(&self, tz: Tz) -> Now {
        Now {
            at: self.now_naive(),
            today: self.today(tz),
        }
    }

    pub fn manual(start: DateTime<Utc>) -> Self {
        Self::Manual(Arc::new(Mutex::new(start.trunc_subsecs(6))))
    }

    /// The current instant, truncated to microseconds (what both databases store).
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Self::System => Utc::now().trunc_subsecs(6),
            Self::Manual(t) => *t.lock().unwrap_or_else(|poisoned| poisoned.into_inner()),
        }
    }

    /// The current instant as stored: naive UTC.
    pub fn now_naive(&self) -> NaiveDateTime {
        self.now().naive_utc()
    }

    /// Today's calendar date in the city's zone.
    pub fn today(&self, tz: Tz) -> NaiveDate {
        self.now().with_timezone(&tz).date_naive()
    }

    /// Moves a manual clock forward; a no-op on the system clock.
    pub fn advance(&self, by: Duration) {
        if let Self::Manual(t) = self {
            let mut guard = t.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            *guard += by;
        }
    }

    /// Sets a manual clock; a no-op on the system clock.
    pub fn set(&self, to: DateTime<Utc>) {
        if let Self::Manual(t) = self {
            *t.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = to.trunc_subsecs(6);
        }
    }
}

/// Writes a stored instant as RFC 3339 UTC with `Z` and microseconds.
pub fn rfc3339(at: NaiveDateTime) -> String {
    at.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Serde helpers so API structs can hold stored `NaiveDateTime`s and write them as RFC 3339 UTC.
pub mod utc {
    use chrono::NaiveDateTime;
    use serde::Serializer;

    pub fn serialize<S: Serializer>(at: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::rfc3339(*at))
    }

    pub mod option {
        use chrono::NaiveDateTime;
        use serde::Serializer;

        pub fn serialize<S: Serializer>(
            at: &Option<NaiveDateTime>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match at {
                Some(at) => s.serialize_str(&super::super::rfc3339(*at)),
                None => s.serialize_none(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn today_is_the_local_date_in_the_city() {
        // 17:00 UTC on 31 December is already 1 January in Shanghai.
        let clock = Clock::manual(Utc.with_ymd_and_hms(2025, 12, 31, 17, 0, 0).unwrap());
        assert_eq!(
            clock.today(chrono_tz::Asia::Shanghai),
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
        );
        clock.advance(Duration::hours(-2));
        assert_eq!(
            clock.today(chrono_tz::Asia::Shanghai),
            NaiveDate::from_ymd_opt(2025, 12, 31).unwrap()
        );
    }

    #[test]
    fn instants_are_written_with_z() {
        let at = Utc
            .with_ymd_and_hms(2026, 1, 2, 3, 4, 5)
            .unwrap()
            .naive_utc();
        assert_eq!(rfc3339(at), "2026-01-02T03:04:05.000000Z");
    }
}
