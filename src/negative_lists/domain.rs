//! Negative-list rules, free of I/O: the enumerations and their stored text, item checks, the
//! `effective_from` rule of publication, repeat and escalation flags, and the arithmetic of the
//! figures.

use chrono::{Duration, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::text_enum;
use utoipa::ToSchema;

use super::resident_id::is_resident_id;
use crate::validate::Validator;

text_enum!(
    /// The three classic kinds of violation (三违), and `other`.
    Category {
        /// 违章指挥
        IllegalCommand => "illegal_command",
        /// 违章作业
        IllegalOperation => "illegal_operation",
        /// 违反劳动纪律
        LaborDiscipline => "labor_discipline",
        Other => "other",
    }
);

text_enum!(
    Severity {
        General => "general",
        Serious => "serious",
        Grave => "grave",
    }
);

text_enum!(
    /// How a violation was dealt with (also an item's suggested handling).
    Handling {
        Education => "education",
        Warning => "warning",
        Fine => "fine",
        PostSuspension => "post_suspension",
        Dismissal => "dismissal",
        Other => "other",
    }
);

text_enum!(
    ListStatus {
        Draft => "draft",
        Current => "current",
        Superseded => "superseded",
    }
);

text_enum!(
    /// What a new draft starts from.
    ListSource {
        Empty => "empty",
        Current => "current",
        Template => "template",
    }
);

/// An item as sent (template or enterprise list).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ItemInput {
    /// Unique within the list: 1–40 of `A-Z a-z 0-9 - _ .`.
    pub code: String,
    pub category: Category,
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub suggested_handling: Handling,
}

/// A checked item, in list order.
pub type Item = ItemInput;

pub const MAX_ITEMS: usize = 500;

fn code_is_valid(code: &str) -> bool {
    (1..=40).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Checks a whole item array: every field, codes unique within it, at most [`MAX_ITEMS`].
/// Errors are named `items[3].code`. An empty array is allowed here (a draft may be empty);
/// publication refuses it.
pub fn validate_items(items: &[ItemInput], v: &mut Validator) -> Vec<Item> {
    if items.len() > MAX_ITEMS {
        v.add(
            "items",
            "too_many_rows",
            format!("at most {MAX_ITEMS} items"),
        );
    }
    let mut seen = std::collections::HashMap::<&str, usize>::new();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let code = item.code.trim();
        if !code_is_valid(code) {
            v.add(
                format!("items[{i}].code"),
                "invalid",
                "must be 1 to 40 of A-Z, a-z, 0-9, '-', '_', '.'",
            );
        } else if let Some(first) = seen.insert(code, i) {
            v.add(
                format!("items[{i}].code"),
                "duplicate",
                format!("repeats the code of items[{first}]"),
            );
        }
        let title = v.text(&format!("items[{i}].title"), &item.title, 1, 200);
        let description = v.text(
            &format!("items[{i}].description"),
            &item.description,
            0,
            2000,
        );
        out.push(Item {
            code: code.to_owned(),
            category: item.category,
            title: title.unwrap_or_default(),
            description: description.unwrap_or_default(),
            severity: item.severity,
            suggested_handling: item.suggested_handling,
        });
    }
    out
}

/// An enterprise's own staff number or pseudonym for an employee. Never a resident ID number:
/// a value that is one (18 characters with a valid GB 11643 check character) is refused, so
/// personal ID numbers do not enter the system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmployeeRef(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmployeeRefError {
    #[error("must be 1 to 64 characters")]
    Length,
    #[error("looks like a resident ID number; use the staff number or a pseudonym")]
    ResidentId,
}

impl EmployeeRef {
    pub fn parse(raw: &str) -> Result<Self, EmployeeRefError> {
        let s = raw.trim();
        if !(1..=64).contains(&s.chars().count()) {
            return Err(EmployeeRefError::Length);
        }
        if is_resident_id(s) {
            return Err(EmployeeRefError::ResidentId);
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EffectiveFromError {
    #[error("cannot lie in the future")]
    Future,
    #[error("must be strictly later than the previous version's effective_from")]
    NotAfterPrevious,
}

/// The instant a version being published governs from: `requested` (records brought in from
/// paper) or the publication time; never later than now, strictly later than the previous
/// version's.
pub fn effective_from(
    requested: Option<NaiveDateTime>,
    now: NaiveDateTime,
    previous: Option<NaiveDateTime>,
) -> Result<NaiveDateTime, EffectiveFromError> {
    let at = requested.unwrap_or(now);
    if at > now {
        return Err(EffectiveFromError::Future);
    }
    if previous.is_some_and(|p| at <= p) {
        return Err(EffectiveFromError::NotAfterPrevious);
    }
    Ok(at)
}

/// The window of repeat violations: a violation is a repeat when the same employee has another
/// violation in the 90 days up to and including its own instant.
pub const REPEAT_WINDOW_DAYS: i64 = 90;

pub fn repeat_window() -> Duration {
    Duration::days(REPEAT_WINDOW_DAYS)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags {
    /// Another violation of the employee in the window.
    pub repeat: bool,
    /// The third or later in the window.
    pub escalated: bool,
}

impl Flags {
    pub fn from_count(n: usize) -> Self {
        Self {
            repeat: n >= 2,
            escalated: n >= 3,
        }
    }
}

/// One recorded violation of an employee, as the flags see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    pub id: i64,
    pub occurred_at: NaiveDateTime,
    pub flags: Flags,
}

/// The flags of each violation of one employee, given them all sorted by `(occurred_at, id)`:
/// the count is of the violations `j ≤ i` with `occurred_at ≥ t_i − 90 days` (looking back only;
/// two at the same instant are ordered by id, the later recorded being the repeat).
pub fn flags_in_order(sorted: &[NaiveDateTime]) -> Vec<Flags> {
    let window = repeat_window();
    let mut start = 0;
    sorted
        .iter()
        .enumerate()
        .map(|(i, t)| {
            while sorted.get(start).is_some_and(|s| *s < *t - window) {
                start += 1;
            }
            Flags::from_count(i + 1 - start)
        })
        .collect()
}

/// After a violation at `at` was recorded, the records whose flags must change. `window` holds
/// the employee's violations with `occurred_at` in `[at − 90 days, at + 90 days]`, the new one
/// included, sorted by `(occurred_at, id)`: that is enough to recompute every record from `at`
/// on, and no record outside it can change.
pub fn reflag(window: &[Recorded], at: NaiveDateTime) -> Vec<(i64, Flags)> {
    let times: Vec<NaiveDateTime> = window.iter().map(|r| r.occurred_at).collect();
    flags_in_order(&times)
        .into_iter()
        .zip(window)
        .filter(|(flags, r)| r.occurred_at >= at && *flags != r.flags)
        .map(|(flags, r)| (r.id, flags))
        .collect()
}

/// UTC bounds `[start, end)` of a period of local calendar dates, both inclusive; either may be
/// open.
pub fn local_period(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    tz: Tz,
) -> (Option<NaiveDateTime>, Option<NaiveDateTime>) {
    let start_of = |d: NaiveDate| {
        let local = d.and_hms_opt(0, 0, 0).unwrap_or_default();
        tz.from_local_datetime(&local)
            .earliest()
            .map_or(local, |t| t.naive_utc())
    };
    (
        from.map(start_of),
        to.and_then(|d| d.succ_opt()).map(start_of),
    )
}

/// `(total − compare_total) / compare_total`, rounded to four places; `None` when the
/// comparison period has no violations.
pub fn change_ratio(total: i64, compare_total: i64) -> Option<f64> {
    (compare_total != 0).then(|| round4((total - compare_total) as f64 / compare_total as f64))
}

/// Violations per 100 employees, rounded to four places; `None` without employees.
pub fn per_100_employees(total: i64, employees: i64) -> Option<f64> {
    (employees > 0).then(|| round4(total as f64 * 100.0 / employees as f64))
}

/// The corrected share, 0 to 1, rounded to four places; `None` without violations.
pub fn share(part: i64, total: i64) -> Option<f64> {
    (total > 0).then(|| round4(part as f64 / total as f64))
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::Invalid;
    use proptest::prelude::*;

    fn at(day: i64) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_hms_opt(8, 0, 0)
            .unwrap()
            + Duration::days(day)
    }

    fn item(code: &str) -> ItemInput {
        ItemInput {
            code: code.into(),
            category: Category::IllegalOperation,
            title: "高处作业不系安全带".into(),
            description: "".into(),
            severity: Severity::Serious,
            suggested_handling: Handling::Fine,
        }
    }

    #[test]
    fn stored_text_round_trips_for_every_enumeration() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(*c));
        }
        for s in Severity::ALL {
            assert_eq!(Severity::parse(s.as_str()), Some(*s));
        }
        for h in Handling::ALL {
            assert_eq!(Handling::parse(h.as_str()), Some(*h));
        }
        for s in ListStatus::ALL {
            assert_eq!(ListStatus::parse(s.as_str()), Some(*s));
        }
        assert_eq!(
            Handling::parse("post_suspension"),
            Some(Handling::PostSuspension)
        );
        assert_eq!(Category::parse("illegal"), None);
    }

    #[test]
    fn duplicate_and_malformed_codes_are_named_by_index() {
        let mut v = Validator::new();
        let mut bad_title = item("B-1");
        bad_title.title = " ".into();
        let items = validate_items(
            &[item("A-1"), item("A-1"), item("有 空格"), bad_title],
            &mut v,
        );
        assert_eq!(items.len(), 4);
        let Err(Invalid(errors)) = v.finish() else {
            panic!("expected errors")
        };
        let named: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            named,
            [
                ("items[1].code", "duplicate"),
                ("items[2].code", "invalid"),
                ("items[3].title", "invalid_length")
            ]
        );
    }

    #[test]
    fn employee_refs_that_are_resident_id_numbers_are_refused() {
        assert_eq!(
            EmployeeRef::parse("11010519491231002X"),
            Err(EmployeeRefError::ResidentId)
        );
        assert_eq!(
            EmployeeRef::parse(" 11010519491231002x "),
            Err(EmployeeRefError::ResidentId)
        );
        // Eighteen digits with a wrong check character are just a long staff number.
        assert!(EmployeeRef::parse("110105194912310021").is_ok());
        assert_eq!(EmployeeRef::parse("HW-0012").unwrap().as_str(), "HW-0012");
        assert_eq!(EmployeeRef::parse("  "), Err(EmployeeRefError::Length));
        assert_eq!(
            EmployeeRef::parse(&"x".repeat(65)),
            Err(EmployeeRefError::Length)
        );
    }

    #[test]
    fn effective_from_defaults_to_now_and_stays_between_the_previous_version_and_now() {
        let now = at(100);
        assert_eq!(effective_from(None, now, Some(at(10))), Ok(now));
        assert_eq!(effective_from(Some(at(50)), now, Some(at(10))), Ok(at(50)));
        assert_eq!(
            effective_from(Some(at(101)), now, None),
            Err(EffectiveFromError::Future)
        );
        assert_eq!(
            effective_from(Some(at(10)), now, Some(at(10))),
            Err(EffectiveFromError::NotAfterPrevious)
        );
        assert_eq!(
            effective_from(Some(at(9)), now, Some(at(10))),
            Err(EffectiveFromError::NotAfterPrevious)
        );
    }

    #[test]
    fn the_second_in_ninety_days_is_a_repeat_and_the_third_escalates() {
        let f = flags_in_order(&[at(0), at(30), at(60), at(151), at(300)]);
        assert_eq!(
            f,
            [
                Flags::default(),
                Flags::from_count(2),
                Flags::from_count(3),
                // 91 days after day 60: day 60 is out of the window, nothing else is in it.
                Flags::default(),
                Flags::default(),
            ]
        );
        // Exactly 90 days back is still inside the window.
        assert_eq!(flags_in_order(&[at(0), at(90)])[1], Flags::from_count(2));
        assert_eq!(
            flags_in_order(&[at(0), at(90) + Duration::microseconds(1)])[1],
            Flags::default()
        );
        assert!(Flags::from_count(3).repeat && Flags::from_count(3).escalated);
        assert!(Flags::from_count(2).repeat && !Flags::from_count(2).escalated);
    }

    #[test]
    fn local_periods_are_whole_days_in_the_city() {
        let tz = chrono_tz::Asia::Shanghai;
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day);
        let (start, end) = local_period(d(5, 1), d(5, 31), tz);
        // 00:00 on 1 May in Qingdao is 16:00 UTC on 30 April.
        assert_eq!(
            start,
            Some(d(4, 30).unwrap().and_hms_opt(16, 0, 0).unwrap())
        );
        assert_eq!(end, Some(d(5, 31).unwrap().and_hms_opt(16, 0, 0).unwrap()));
        assert_eq!(local_period(None, None, tz), (None, None));
    }

    #[test]
    fn the_change_ratio_of_100_to_70_is_minus_thirty_percent() {
        assert_eq!(change_ratio(70, 100), Some(-0.3));
        assert_eq!(change_ratio(3, 0), None);
        assert_eq!(change_ratio(0, 4), Some(-1.0));
        assert_eq!(per_100_employees(70, 200), Some(35.0));
        assert_eq!(per_100_employees(1, 3), Some(33.3333));
        assert_eq!(per_100_employees(5, 0), None);
        assert_eq!(share(14, 70), Some(0.2));
        assert_eq!(share(0, 0), None);
    }

    /// Brute force: the definition, read literally.
    fn by_definition(all: &[(NaiveDateTime, i64)]) -> Vec<(i64, Flags)> {
        all.iter()
            .map(|(t, id)| {
                let n = all
                    .iter()
                    .filter(|(s, j)| (*s, *j) <= (*t, *id) && *s >= *t - repeat_window())
                    .count();
                (*id, Flags::from_count(n))
            })
            .collect()
    }

    proptest! {
        /// Recording violations in any order and re-flagging only the window after each
        /// insert leaves every record as the definition says.
        #[test]
        fn out_of_order_recording_keeps_every_flag_true(days in proptest::collection::vec(0i64..400, 1..40)) {
            let mut stored: Vec<Recorded> = Vec::new();
            for (n, day) in days.iter().enumerate() {
                let t = at(*day);
                stored.push(Recorded { id: n as i64 + 1, occurred_at: t, flags: Flags::default() });
                stored.sort_by_key(|r| (r.occurred_at, r.id));
                let window: Vec<Recorded> = stored
                    .iter()
                    .copied()
                    .filter(|r| r.occurred_at >= t - repeat_window() && r.occurred_at <= t + repeat_window())
                    .collect();
                for (id, flags) in reflag(&window, t) {
                    if let Some(r) = stored.iter_mut().find(|r| r.id == id) {
                        r.flags = flags;
                    }
                }
            }
            let all: Vec<(NaiveDateTime, i64)> = stored.iter().map(|r| (r.occurred_at, r.id)).collect();
            let mut expected = by_definition(&all);
            expected.sort_by_key(|e| e.0);
            let mut got: Vec<(i64, Flags)> = stored.iter().map(|r| (r.id, r.flags)).collect();
            got.sort_by_key(|e| e.0);
            prop_assert_eq!(got, expected);
        }
    }
}
