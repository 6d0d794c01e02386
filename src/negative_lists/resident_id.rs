//! PRC citizen identity number (公民身份号码), GB 11643-1999.
//!
//! The number on a resident identity card (居民身份证) has 18 characters:
//!
//! | positions | meaning                                                    |
//! |-----------|------------------------------------------------------------|
//! | 1-6       | address code: county-level division of first registration  |
//! | 7-14      | date of birth, `YYYYMMDD`                                  |
//! | 15-17     | sequence code; its last digit is odd for men, even for women |
//! | 18        | check character, `0`-`9` or `X` (standing for 10)          |
//!
//! The check character follows ISO 7064 MOD 11-2: digit *i* (1-based) has the
//! weight `2^(18-i) mod 11`, i.e. `7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5,
//! 8, 4, 2`, and the weighted sum modulo 11 selects the check character from
//! `"10X98765432"`. Since 11 is prime and no weight is a multiple of 11,
//! changing any single digit (or the check character) is always detected.
//!
//! [`is_resident_id`] checks the format, the check character and that the
//! birth date is a real Gregorian calendar date in the years 1900-2100. It
//! accepts a lower-case `x` as the check character but does not trim
//! whitespace, and it does not check the address code against the division
//! table (which changes over time) nor the birth date against today.

/// Weights of the first 17 digits (`2^(18-i) mod 11`).
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// The check character for each value of the weighted sum modulo 11.
const CHECK_CHARS: &[u8; 11] = b"10X98765432";

/// Number of characters in an identity number.
const LEN: usize = 18;

/// Earliest and latest accepted birth years.
const MIN_YEAR: u32 = 1900;
const MAX_YEAR: u32 = 2100;

/// Whether `s` is a well-formed 18-character PRC resident identity number:
/// 17 ASCII digits and a matching check character (`0`-`9`, `X` or `x`),
/// with a real birth date between 1900-01-01 and 2100-12-31.
pub fn is_resident_id(s: &str) -> bool {
    let bytes = s.as_bytes();
    if bytes.len() != LEN {
        return false;
    }
    let (first17, last) = bytes.split_at(LEN - 1);
    let Some(expected) = check_char(first17) else {
        return false;
    };
    let matches = last
        .first()
        .is_some_and(|&c| c.to_ascii_uppercase() == expected);
    matches && birth_date_is_valid(first17)
}

/// The check character (`b'0'`..=`b'9'` or `b'X'`) of 17 ASCII digits, or
/// `None` if the input is not exactly 17 ASCII digits.
fn check_char(first17: &[u8]) -> Option<u8> {
    if first17.len() != WEIGHTS.len() || !first17.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(&d, w)| u32::from(d - b'0') * w)
        .sum();
    let index = usize::try_from(sum % 11).ok()?;
    CHECK_CHARS.get(index).copied()
}

/// Parses ASCII digits as a decimal number; `None` if any byte is not a digit.
fn decimal(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |acc, &d| {
        d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
    })
}

/// Whether positions 7-14 of the number form a real date in 1900..=2100.
fn birth_date_is_valid(first17: &[u8]) -> bool {
    let field = |range: std::ops::Range<usize>| first17.get(range).and_then(decimal);
    match (field(6..10), field(10..12), field(12..14)) {
        (Some(year), Some(month), Some(day)) => is_real_date(year, month, day),
        _ => false,
    }
}

/// Gregorian leap year: divisible by 4, except centuries not divisible by 400.
fn is_leap_year(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

/// Number of days in `month` (1-12) of `year`; 0 for an invalid month.
fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Whether the date exists and its year lies in `MIN_YEAR..=MAX_YEAR`.
fn is_real_date(year: u32, month: u32, day: u32) -> bool {
    (MIN_YEAR..=MAX_YEAR).contains(&year) && day >= 1 && day <= days_in_month(year, month)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Appends the check character to 17 digits (test helper).
    fn with_check(first17: &str) -> String {
        let check = check_char(first17.as_bytes()).map_or('?', char::from);
        format!("{first17}{check}")
    }

    #[test]
    fn published_samples() {
        // The examples printed in GB 11643-1999 itself.
        assert!(is_resident_id("11010519491231002X"));
        assert!(is_resident_id("11010519491231002x"));
        // Valid checksum, but born 1880-01-01: outside 1900-2100.
        assert_eq!(check_char(b"44052418800101001"), Some(b'4'));
        assert!(!is_resident_id("440524188001010014"));
    }

    #[test]
    fn wrong_check_character() {
        for s in [
            "110105194912310020",
            "110105194912310021",
            "110105194912310029",
        ] {
            assert!(!is_resident_id(s), "{s}");
        }
    }

    #[test]
    fn bad_format() {
        for s in [
            "",
            "11010519491231002",
            "11010519491231002XX",
            " 11010519491231002X",
            "11010519491231002X ",
            "1101051949123100XX",
            "X1010519491231002X",
            "11010519491231002Y",
            "1101051949123100２X",
            "11010519491231002é",
            "-1010519491231002X",
        ] {
            assert!(!is_resident_id(s), "{s:?}");
        }
    }

    #[test]
    fn leap_years() {
        assert!(is_leap_year(2000));
        assert!(is_leap_year(2004));
        assert!(is_leap_year(1996));
        assert!(!is_leap_year(1900));
        assert!(!is_leap_year(2100));
        assert!(!is_leap_year(2001));
    }

    #[test]
    fn birth_dates() {
        let valid = [
            "19000101", "21001231", "20000229", "20040229", "19491231", "19990430", "20231130",
        ];
        for date in valid {
            let id = with_check(&format!("110105{date}002"));
            assert!(is_resident_id(&id), "{id}");
        }
        let invalid = [
            "18991231", "21010101", "19000229", "21000229", "20010229", "20000230", "19990431",
            "19990001", "19991301", "19990100", "19990132", "00000000",
        ];
        for date in invalid {
            let id = with_check(&format!("110105{date}002"));
            assert!(!is_resident_id(&id), "{id}");
        }
    }

    #[test]
    fn days_per_month() {
        let lengths: Vec<u32> = (1..=12).map(|m| days_in_month(2023, m)).collect();
        assert_eq!(lengths, [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]);
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2024, 0), 0);
        assert_eq!(days_in_month(2024, 13), 0);
    }

    #[test]
    fn weights_are_powers_of_two_mod_11() {
        for (i, w) in WEIGHTS.iter().enumerate() {
            let expected = (0..17 - i).fold(1, |acc, _| acc * 2 % 11);
            assert_eq!(*w, expected, "position {}", i + 1);
        }
    }

    /// Valid identity numbers: any address and sequence, any real date.
    fn valid_id() -> impl Strategy<Value = String> {
        (0u32..1_000_000, MIN_YEAR..=MAX_YEAR, 1u32..=12, 0u32..1000).prop_flat_map(
            |(address, year, month, sequence)| {
                (1..=days_in_month(year, month)).prop_map(move |day| {
                    with_check(&format!(
                        "{address:06}{year:04}{month:02}{day:02}{sequence:03}"
                    ))
                })
            },
        )
    }

    proptest! {
        #[test]
        fn generated_ids_are_valid(id in valid_id()) {
            prop_assert!(is_resident_id(&id), "{}", id);
            prop_assert!(is_resident_id(&id.to_ascii_lowercase()), "{}", id);
        }

        #[test]
        fn single_character_change_is_detected(
            id in valid_id(),
            pos in 0usize..LEN,
            replacement in proptest::sample::select(b"0123456789X".to_vec()),
        ) {
            let mut bytes = id.into_bytes();
            let original = bytes.get(pos).copied();
            prop_assume!(original != Some(replacement));
            // Only the check position may hold an X.
            prop_assume!(replacement != b'X' || pos == LEN - 1);
            if let Some(b) = bytes.get_mut(pos) {
                *b = replacement;
            }
            let tampered = String::from_utf8_lossy(&bytes);
            prop_assert!(!is_resident_id(&tampered), "{}", tampered);
        }

        #[test]
        fn impossible_dates_fail_despite_valid_checksum(
            year in 0u32..10_000,
            month in 0u32..100,
            day in 0u32..100,
        ) {
            let id = with_check(&format!("110105{year:04}{month:02}{day:02}002"));
            let real = (MIN_YEAR..=MAX_YEAR).contains(&year)
                && (1..=12).contains(&month)
                && day >= 1
                && day <= days_in_month(year, month);
            prop_assert_eq!(is_resident_id(&id), real, "{}", id);
        }

        #[test]
        fn never_panics(s in "\\PC{0,24}") {
            let _ = is_resident_id(&s);
        }
    }
}
