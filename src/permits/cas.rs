//! CAS registry numbers (`7732-18-5`): two to seven digits, two digits, one check digit. The
//! check digit is the sum of the other digits, each multiplied by its position counted from the
//! right starting at 1, modulo 10.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CasNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CasError {
    #[error("must look like 7732-18-5: 2 to 7 digits (no leading zero), 2 digits, 1 check digit")]
    Format,
    #[error("the check digit does not match (expected {expected})")]
    CheckDigit { expected: u32 },
}

/// The check digit of the digits before it (`"773218"` → 5).
pub fn check_digit(body: &str) -> Option<u32> {
    let mut sum = 0u32;
    for (i, c) in body.chars().rev().enumerate() {
        sum += c.to_digit(10)? * (i as u32 + 1);
    }
    Some(sum % 10)
}

impl CasNumber {
    pub fn parse(raw: &str) -> Result<Self, CasError> {
        let text = raw.trim();
        let parts: Vec<&str> = text.split('-').collect();
        let [first, second, check] = parts.as_slice() else {
            return Err(CasError::Format);
        };
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if !(2..=7).contains(&first.len())
            || first.starts_with('0')
            || second.len() != 2
            || check.len() != 1
            || !digits(first)
            || !digits(second)
            || !digits(check)
        {
            return Err(CasError::Format);
        }
        let expected = check_digit(&format!("{first}{second}")).ok_or(CasError::Format)?;
        if check.chars().next().and_then(|c| c.to_digit(10)) != Some(expected) {
            return Err(CasError::CheckDigit { expected });
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CasNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_numbers_are_accepted() {
        for n in [
            "7732-18-5",
            "64-17-5",
            "7664-93-9",
            "1333-74-0",
            "50-00-0",
            "7782-44-7",
        ] {
            assert!(CasNumber::parse(n).is_ok(), "{n}");
        }
    }

    #[test]
    fn a_wrong_check_digit_or_shape_is_refused() {
        assert_eq!(
            CasNumber::parse("7732-18-4"),
            Err(CasError::CheckDigit { expected: 5 })
        );
        for bad in [
            "",
            "7732185",
            "7-18-5",
            "12345678-18-5",
            "0732-18-5",
            "7732-1-5",
            "7732-18-55",
            "77a2-18-5",
            "7732--18-5",
        ] {
            assert_eq!(CasNumber::parse(bad), Err(CasError::Format), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn the_computed_check_digit_is_the_only_one_accepted(
            first in "[1-9][0-9]{1,6}",
            second in "[0-9]{2}",
            check in 0u32..10,
        ) {
            let expected = check_digit(&format!("{first}{second}")).unwrap();
            let parsed = CasNumber::parse(&format!("{first}-{second}-{check}"));
            prop_assert_eq!(parsed.is_ok(), check == expected);
        }

        #[test]
        fn swapping_two_different_adjacent_digits_is_detected(
            first in "[1-9][0-9]{1,6}",
            second in "[0-9]{2}",
        ) {
            // Weights i and i+1 differ by one, so a swap of digits a≠b changes the sum by a−b.
            let body = format!("{first}{second}");
            let expected = check_digit(&body).unwrap();
            let bytes = body.as_bytes();
            for i in 1..bytes.len() - 1 {
                if bytes[i] != bytes[i + 1] {
                    let mut swapped = bytes.to_vec();
                    swapped.swap(i, i + 1);
                    let s = String::from_utf8(swapped).unwrap();
                    let (a, b) = s.split_at(first.len());
                    let candidate = format!("{a}-{b}-{expected}");
                    prop_assert!(CasNumber::parse(&candidate).is_err(), "{}", candidate);
                }
            }
        }

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,20}") {
            let _ = CasNumber::parse(&s);
        }
    }
}
