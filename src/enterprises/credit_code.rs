//! Unified social credit code (统一社会信用代码), GB 32100-2015.
//!
//! Every legal person and other organisation registered in the PRC (companies,
//! public institutions, social organisations, individual businesses, ...) is
//! given one 18-character code that replaced the old business licence number,
//! organisation code and tax registration number ("三证合一"). Its layout is:
//!
//! | positions | meaning                                                     |
//! |-----------|-------------------------------------------------------------|
//! | 1         | registration authority (e.g. `9` = market regulation)       |
//! | 2         | organisation type under that authority (e.g. `1` = company) |
//! | 3-8       | administrative division code of the registering authority   |
//! | 9-17      | organisation code (GB 11714, itself with a check digit)     |
//! | 18        | check character over positions 1-17                         |
//!
//! All 18 characters come from a 31-character alphabet: the digits and the
//! upper-case Latin letters without `I`, `O`, `S`, `V` and `Z` (too easily
//! confused with `1`, `0`, `5`, `U` and `2`). Character *i* (1-based) has the
//! value of its index in [`ALPHABET`] and the weight `3^(i-1) mod 31`, i.e.
//! `1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28`. The
//! check character is the alphabet character whose value is
//! `(31 - (Σ value × weight) mod 31) mod 31`. Because 31 is prime and no
//! weight is a multiple of 31, every single-character substitution changes
//! the check character, so it is always detected.
//!
//! This module checks the length, the alphabet and the check character. It
//! deliberately does not check the registration-authority/type combinations
//! or the division code: those tables change over time, and a code that
//! passes the checksum but was never issued can only be detected by asking
//! the registry.
//!
//! [`CreditCode::parse`] trims surrounding whitespace and accepts lower-case
//! letters; the stored form is always upper case.

use std::fmt;
use std::str::FromStr;

/// The 31 characters a credit code may contain, in value order (0..=30).
pub const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weights of positions 1-17 (`3^(i-1) mod 31`).
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Number of characters in a credit code.
const LEN: usize = 18;

/// The modulus of the check, equal to the size of [`ALPHABET`].
const MODULUS: u32 = 31;

/// A syntactically valid unified social credit code, stored in upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CreditCode(String);

/// Why a string is not a valid unified social credit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreditCodeError {
    /// Not exactly 18 characters after trimming.
    Length,
    /// A character outside the 31-character alphabet.
    Character,
    /// The 18th character is not the check character of the first 17.
    CheckCharacter,
}

impl fmt::Display for CreditCodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Length => "must be 18 characters",
            Self::Character => "contains a character outside 0-9 and A-Z without I, O, S, V, Z",
            Self::CheckCharacter => "check character does not match",
        })
    }
}

impl std::error::Error for CreditCodeError {}

/// The value (0..=30) of an upper-case alphabet character.
fn value_of(c: char) -> Option<u32> {
    ALPHABET
        .chars()
        .position(|a| a == c)
        .and_then(|p| u32::try_from(p).ok())
}

/// The alphabet character with the given value (0..=30).
fn char_of(value: u32) -> Option<char> {
    ALPHABET.chars().nth(usize::try_from(value).ok()?)
}

/// The check character for the first 17 characters of a code.
///
/// Returns `None` if `first17` is not exactly 17 characters long or contains
/// any character outside [`ALPHABET`] (lower case included: normalise first).
pub fn check_character(first17: &str) -> Option<char> {
    let mut sum: u32 = 0;
    let mut count = 0usize;
    for c in first17.chars() {
        let weight = WEIGHTS.get(count)?;
        sum += value_of(c)? * weight;
        count += 1;
    }
    if count != WEIGHTS.len() {
        return None;
    }
    char_of((MODULUS - sum % MODULUS) % MODULUS)
}

/// A credit code with a correct check character, built from a 17-character base (`None` if the
/// base is not 17 characters of [`ALPHABET`]): for seeds and test data.
pub fn with_check_digit(base17: &str) -> Option<String> {
    check_character(base17).map(|c| format!("{base17}{c}"))
}

impl CreditCode {
    /// Parses a credit code, trimming surrounding whitespace and upper-casing
    /// letters.
    ///
    /// # Errors
    ///
    /// [`CreditCodeError::Length`] if the trimmed input is not 18 characters,
    /// [`CreditCodeError::Character`] if any character is outside
    /// [`ALPHABET`], [`CreditCodeError::CheckCharacter`] if the 18th
    /// character is not the check character of the first 17.
    pub fn parse(s: &str) -> Result<Self, CreditCodeError> {
        let code = s.trim().to_ascii_uppercase();
        if code.chars().count() != LEN {
            return Err(CreditCodeError::Length);
        }
        if !code.chars().all(|c| value_of(c).is_some()) {
            return Err(CreditCodeError::Character);
        }
        // All 18 characters are ASCII now, so byte index 17 is a char boundary.
        let (first17, last) = code.split_at(LEN - 1);
        let expected = check_character(first17).ok_or(CreditCodeError::Character)?;
        if last.chars().eq(std::iter::once(expected)) {
            Ok(Self(code))
        } else {
            Err(CreditCodeError::CheckCharacter)
        }
    }

    /// The code in its canonical, upper-case form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for CreditCode {
    type Err = CreditCodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl AsRef<str> for CreditCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Codes of well-known companies, as published on their business
    /// licences and in the national enterprise credit information system.
    /// Each also carries a valid GB 11714 organisation-code check digit in
    /// position 17, an independent check that the code was not mistyped.
    const REAL_CODES: [(&str, &str); 7] = [
        (
            "914403001922038216",
            "华为技术有限公司 (Huawei Technologies)",
        ),
        (
            "91440300708461136T",
            "深圳市腾讯计算机系统有限公司 (Tencent Computer Systems)",
        ),
        (
            "9144030071526726XG",
            "腾讯科技（深圳）有限公司 (Tencent Technology (Shenzhen))",
        ),
        (
            "91110000802100433B",
            "北京百度网讯科技有限公司 (Beijing Baidu Netcom)",
        ),
        ("91110108551385082Q", "小米科技有限责任公司 (Xiaomi Inc.)"),
        ("91100000100003962T", "中国工商银行股份有限公司 (ICBC)"),
        (
            "91330100799655058B",
            "阿里巴巴（中国）有限公司 (Alibaba (China))",
        ),
    ];

    /// GB 11714-1997 organisation-code check digit over 8 characters.
    fn organisation_code_check(first8: &str) -> Option<char> {
        const W: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
        let mut sum = 0;
        for (c, w) in first8.chars().zip(W) {
            sum += c.to_digit(36)? * w;
        }
        match 11 - sum % 11 {
            10 => Some('X'),
            11 => Some('0'),
            d => char::from_digit(d, 10),
        }
    }

    #[test]
    fn real_codes_parse() {
        for (code, company) in REAL_CODES {
            assert_eq!(
                CreditCode::parse(code).map(|c| c.as_str().to_owned()),
                Ok(code.to_owned()),
                "{company}"
            );
            assert_eq!(
                check_character(&code[..17]),
                code.chars().nth(17),
                "{company}"
            );
        }
    }

    #[test]
    fn real_codes_embed_valid_organisation_codes() {
        for (code, company) in REAL_CODES {
            assert_eq!(
                organisation_code_check(&code[8..16]),
                code.chars().nth(16),
                "{company}"
            );
        }
    }

    #[test]
    fn real_codes_with_wrong_check_character_fail() {
        for (code, company) in REAL_CODES {
            let wrong = if code.ends_with('0') { '1' } else { '0' };
            let tampered = format!("{}{wrong}", &code[..17]);
            assert_eq!(
                CreditCode::parse(&tampered),
                Err(CreditCodeError::CheckCharacter),
                "{company}"
            );
        }
    }

    #[test]
    fn trims_and_uppercases() {
        let parsed = CreditCode::parse("  9144030071526726xg\t\n");
        assert_eq!(
            parsed.as_ref().map(CreditCode::as_str),
            Ok("9144030071526726XG")
        );
        assert_eq!(
            parsed.map(|c| c.to_string()),
            Ok("9144030071526726XG".to_owned())
        );
        assert_eq!(
            "91330100799655058b".parse::<CreditCode>(),
            CreditCode::parse("91330100799655058B")
        );
    }

    #[test]
    fn length_errors() {
        for s in [
            "",
            "   ",
            "91440300192203821",
            "9144030019220382166",
            "9144030019220 38216",
        ] {
            assert_eq!(CreditCode::parse(s), Err(CreditCodeError::Length), "{s:?}");
        }
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // 18 characters, one of them multi-byte: a character error, not length.
        assert_eq!(
            CreditCode::parse("91440300192203821é"),
            Err(CreditCodeError::Character)
        );
        // Full-width digits are not accepted either.
        assert_eq!(
            CreditCode::parse("９１４４０３００１９２２０３８２１６"),
            Err(CreditCodeError::Character)
        );
    }

    #[test]
    fn character_errors() {
        for bad in [
            'I', 'O', 'S', 'V', 'Z', 'i', 'o', 's', 'v', 'z', '-', ' ', '*',
        ] {
            let s = format!("9144030019220382{bad}6");
            assert_eq!(
                CreditCode::parse(&s),
                Err(CreditCodeError::Character),
                "{s:?}"
            );
            // Also in the check position.
            let s = format!("91440300192203821{bad}");
            let expected = if bad == ' ' {
                // A trailing space is trimmed, leaving 17 characters.
                CreditCodeError::Length
            } else {
                CreditCodeError::Character
            };
            assert_eq!(CreditCode::parse(&s), Err(expected), "{s:?}");
        }
    }

    #[test]
    fn check_character_errors() {
        assert_eq!(
            CreditCode::parse("914403001922038217"),
            Err(CreditCodeError::CheckCharacter)
        );
        // Two adjacent characters swapped.
        assert_eq!(
            CreditCode::parse("914403001922038126"),
            Err(CreditCodeError::CheckCharacter)
        );
        // Example once suggested for this module; its check character is U.
        assert_eq!(
            CreditCode::parse("91110000100020821G"),
            Err(CreditCodeError::CheckCharacter)
        );
        assert_eq!(check_character("91110000100020821"), Some('U'));
    }

    #[test]
    fn check_character_rejects_bad_input() {
        assert_eq!(check_character(""), None);
        assert_eq!(check_character("9144030019220382"), None);
        assert_eq!(check_character("914403001922038216"), None);
        assert_eq!(check_character("9144030019220382I"), None);
        assert_eq!(check_character("9144030071526726x"), None);
        assert_eq!(check_character("9144030071526726X"), Some('G'));
        assert_eq!(check_character("00000000000000000"), Some('0'));
    }

    #[test]
    fn error_messages() {
        assert_eq!(CreditCodeError::Length.to_string(), "must be 18 characters");
        assert_eq!(
            CreditCodeError::Character.to_string(),
            "contains a character outside 0-9 and A-Z without I, O, S, V, Z"
        );
        assert_eq!(
            CreditCodeError::CheckCharacter.to_string(),
            "check character does not match"
        );
    }

    #[test]
    fn weights_are_powers_of_three_mod_31() {
        let mut w = 1;
        for weight in WEIGHTS {
            assert_eq!(weight, w);
            w = w * 3 % MODULUS;
        }
        assert_eq!(ALPHABET.chars().count(), 31);
    }

    fn alphabet_char() -> impl Strategy<Value = char> {
        proptest::sample::select(ALPHABET.chars().collect::<Vec<_>>())
    }

    fn first17() -> impl Strategy<Value = String> {
        proptest::collection::vec(alphabet_char(), 17).prop_map(|v| v.into_iter().collect())
    }

    fn valid_code() -> impl Strategy<Value = String> {
        first17().prop_filter_map("check character computable", |body| {
            check_character(&body).map(|c| format!("{body}{c}"))
        })
    }

    proptest! {
        #[test]
        fn any_body_with_its_check_character_parses(body in first17()) {
            let check = check_character(&body);
            prop_assert!(check.is_some());
            let code = format!("{body}{}", check.unwrap_or('?'));
            prop_assert_eq!(
                CreditCode::parse(&code).map(|c| c.as_str().to_owned()),
                Ok(code.clone())
            );
        }

        #[test]
        fn single_substitution_is_detected(
            code in valid_code(),
            pos in 0usize..18,
            replacement in alphabet_char(),
        ) {
            let original = code.chars().nth(pos);
            prop_assume!(original != Some(replacement));
            let tampered: String = code
                .chars()
                .enumerate()
                .map(|(i, c)| if i == pos { replacement } else { c })
                .collect();
            prop_assert_eq!(
                CreditCode::parse(&tampered),
                Err(CreditCodeError::CheckCharacter)
            );
        }

        #[test]
        fn as_str_round_trips(code in valid_code()) {
            let parsed = CreditCode::parse(&code);
            prop_assert_eq!(parsed.as_ref().map(CreditCode::as_str), Ok(code.as_str()));
            let reparsed = parsed.as_ref().map(|c| CreditCode::parse(c.as_str()));
            prop_assert_eq!(reparsed.ok(), Some(parsed.clone()));
            prop_assert_eq!(parsed.map(|c| c.to_string()), Ok(code));
        }

        #[test]
        fn lowercase_and_whitespace_normalise(code in valid_code()) {
            let messy = format!(" \t{}\n", code.to_ascii_lowercase());
            prop_assert_eq!(
                CreditCode::parse(&messy).map(|c| c.as_str().to_owned()),
                Ok(code)
            );
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,24}") {
            let _ = CreditCode::parse(&s);
            let _ = check_character(&s);
        }
    }
}
