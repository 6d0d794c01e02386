//! The rules of the second factor, free of I/O: the TOTP parameters (RFC 6238: HMAC-SHA-1,
//! 6 digits, 30-second steps, one step of drift either way), which step a code matches and
//! whether it was used already, what a presented code is, the recovery codes and their hashes,
//! and the sign-in challenge.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::RngCore;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Builder, Secret, Totp};

use crate::actor::Role;

/// The issuer an authenticator app shows beside the account.
pub const ISSUER: &str = "anjian";
/// Digits of a code.
pub const DIGITS: u8 = 6;
/// Seconds of a step.
pub const STEP_SECS: u64 = 30;
/// Steps of drift accepted either way.
pub const SKEW_STEPS: u16 = 1;
/// Bytes of a secret (160 bits, RFC 4226's recommendation).
pub const SECRET_BYTES: usize = 20;
/// Recovery codes made at each confirmation.
pub const RECOVERY_CODES: usize = 10;
/// How long a sign-in challenge lasts.
pub fn challenge_ttl() -> Duration {
    Duration::minutes(5)
}
/// How long the limited token of a sign-in that must enrol first lasts.
pub fn enrolment_token_ttl() -> Duration {
    Duration::minutes(15)
}

/// What follows a sign-in's right password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterPassword {
    /// The tokens, as always.
    Tokens,
    /// The factor is on: a challenge, and the code at `POST /auth/login/totp`.
    Challenge,
    /// The role must have a factor and the account has none on: a token limited to the
    /// enrolment routes (`ANJIAN_REQUIRE_TOTP`).
    EnrolFirst,
}

/// What follows the right password of an account of `role` whose factor is on or not, when
/// the roles in `required` must have one.
pub fn after_password(totp_on: bool, role: Role, required: &[Role]) -> AfterPassword {
    if totp_on {
        AfterPassword::Challenge
    } else if required.contains(&role) {
        AfterPassword::EnrolFirst
    } else {
        AfterPassword::Tokens
    }
}

/// Associated data of a sealed secret: the account's id is in it, so a sealed secret copied to
/// another account's row does not open.
pub fn secret_purpose(user_id: i64) -> Vec<u8> {
    format!("anjian:totp-secret:v1:{user_id}").into_bytes()
}

/// `uri` as an SVG QR code (what an authenticator app scans).
pub fn qr_svg(uri: &str) -> Result<String, qrcode::types::QrError> {
    let code = qrcode::QrCode::new(uri.as_bytes())?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}

/// A fresh random secret.
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    secret
}

/// The generator of `secret` for account `account` (a username: never a `:` in it).
pub fn generator(secret: &[u8], account: &str) -> Result<Totp, totp_rs::TotpError> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_skew(SKEW_STEPS)
        .with_step_duration(STEP_SECS)
        .with_secret(Secret::from(secret.to_vec()))
        .with_account_name(account)
        .with_issuer(Some(ISSUER))
        .build()
}

/// The base32 form of a secret (what a user types into an authenticator by hand).
pub fn secret_base32(secret: &[u8]) -> String {
    Secret::from(secret.to_vec()).to_base32()
}

fn unix_secs(now: DateTime<Utc>) -> u64 {
    now.timestamp().max(0) as u64
}

/// The step `code` matches at `now`, within one step of drift either way; `None` for a wrong
/// or malformed code.
pub fn matching_step(totp: &Totp, code: &str, now: DateTime<Utc>) -> Option<i64> {
    totp.check(code, unix_secs(now))
        .and_then(|s| i64::try_from(s).ok())
}

/// The step a matched code may be accepted for: only one after the last accepted step, so
/// that a code (and any older one) is accepted once.
pub fn fresh_step(matched: Option<i64>, last_used: Option<i64>) -> Option<i64> {
    matched.filter(|step| last_used.is_none_or(|last| *step > last))
}

/// The code at `now` (for the seeds and the unit tests; the tests of the API compute their own).
pub fn code_at(totp: &Totp, now: DateTime<Utc>) -> String {
    totp.generate(unix_secs(now)).to_string()
}

/// What a user typed where a code is asked for: six digits are a TOTP code, anything else is
/// taken as a recovery code (normalised: lower case, without spaces and dashes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented {
    Code(String),
    Recovery(String),
}

impl Presented {
    pub fn parse(raw: &str) -> Self {
        let trimmed: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        if trimmed.len() == DIGITS as usize && trimmed.bytes().all(|b| b.is_ascii_digit()) {
            Self::Code(trimmed)
        } else {
            Self::Recovery(
                trimmed
                    .chars()
                    .filter(|c| *c != '-')
                    .flat_map(char::to_lowercase)
                    .collect(),
            )
        }
    }
}

/// The alphabet of recovery codes: Crockford's base32 in lower case (no i, l, o, u).
const RECOVERY_ALPHABET: &[u8] = b"0123456789abcdefghjkmnpqrstvwxyz";
const RECOVERY_LEN: usize = 12;

/// A new recovery code, `xxxx-xxxx-xxxx` (60 random bits).
pub fn new_recovery_code() -> String {
    let mut rng = rand::rngs::OsRng;
    let chars: Vec<char> = (0..RECOVERY_LEN)
        .map(|_| RECOVERY_ALPHABET[rng.gen_range(0..RECOVERY_ALPHABET.len())] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The stored form of a recovery code of account `user_id` (normalised as [`Presented`] does):
/// HMAC-SHA-256 under the installation's data key. The codes carry 60 random bits, so a keyed
/// hash is enough; without the data key the hashes cannot even be tried.
pub fn recovery_hash(
    data_key: &[u8; 32],
    user_id: i64,
    normalised: &str,
) -> Result<String, hmac::digest::InvalidLength> {
    use hmac::{Hmac, Mac};
    // HMAC takes a key of any length: the error cannot happen with 32 bytes.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(data_key)?;
    mac.update(b"anjian totp recovery code v1\n");
    mac.update(&user_id.to_be_bytes());
    mac.update(normalised.as_bytes());
    Ok(hex::encode(mac.finalize().into_bytes()))
}

/// A new sign-in challenge (256 random bits, URL-safe base64).
pub fn new_challenge() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a challenge.
pub fn challenge_hash(challenge: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"anjian totp challenge v1");
    h.update(challenge.as_bytes());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap()
    }

    /// RFC 6238 Appendix B, SHA-1 rows: the 8-digit values' last six digits are the 6-digit
    /// codes (both are the same truncated number modulo a power of ten).
    #[test]
    fn codes_match_the_rfc_6238_sha1_vectors() {
        let totp = generator(b"12345678901234567890", "rfc").unwrap();
        for (t, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code_at(&totp, at(t)), eight[2..], "T = {t}");
        }
    }

    #[test]
    fn one_step_of_drift_is_accepted_either_way_and_two_are_not() {
        let totp = generator(&[42; 20], "alice").unwrap();
        let now = at(1_800_000_015);
        let step = 1_800_000_015 / 30;
        for (offset, accepted) in [(-2, false), (-1, true), (0, true), (1, true), (2, false)] {
            let code = code_at(&totp, at((step + offset) * 30));
            assert_eq!(
                matching_step(&totp, &code, now),
                accepted.then_some(step + offset),
                "{offset}"
            );
        }
        assert_eq!(matching_step(&totp, "12345", now), None);
        assert_eq!(matching_step(&totp, "abcdef", now), None);
    }

    #[test]
    fn a_factor_that_is_on_asks_for_a_code_and_a_required_one_for_enrolment() {
        use AfterPassword::*;
        let admins = [Role::Admin];
        assert_eq!(after_password(true, Role::Inspector, &[]), Challenge);
        assert_eq!(after_password(true, Role::Admin, &admins), Challenge);
        assert_eq!(after_password(false, Role::Admin, &admins), EnrolFirst);
        assert_eq!(after_password(false, Role::Inspector, &admins), Tokens);
    }

    #[test]
    fn a_step_is_accepted_only_after_the_last_used_one() {
        assert_eq!(fresh_step(Some(10), None), Some(10));
        assert_eq!(fresh_step(Some(10), Some(9)), Some(10));
        assert_eq!(fresh_step(Some(10), Some(10)), None);
        assert_eq!(fresh_step(Some(9), Some(10)), None);
        assert_eq!(fresh_step(None, None), None);
    }

    #[test]
    fn presented_codes_are_told_apart_and_normalised() {
        assert_eq!(
            Presented::parse(" 123 456 "),
            Presented::Code("123456".into())
        );
        assert_eq!(
            Presented::parse("AB12-CD34-EF56"),
            Presented::Recovery("ab12cd34ef56".into())
        );
        assert_eq!(
            Presented::parse("1234567"),
            Presented::Recovery("1234567".into())
        );
    }

    #[test]
    fn recovery_codes_are_random_grouped_and_hashed_per_account_and_installation() {
        let a = new_recovery_code();
        assert_eq!(a.len(), 14);
        assert_ne!(a, new_recovery_code());
        let Presented::Recovery(norm) = Presented::parse(&a) else {
            panic!("{a}")
        };
        let h = recovery_hash(&[1; 32], 7, &norm).unwrap();
        assert_eq!(h.len(), 64);
        assert!(!h.contains(&norm));
        assert_ne!(h, recovery_hash(&[1; 32], 8, &norm).unwrap());
        assert_ne!(h, recovery_hash(&[2; 32], 7, &norm).unwrap());
    }

    #[test]
    fn the_uri_names_the_issuer_the_account_and_the_base32_secret() {
        let totp = generator(&[42; 20], "alice").unwrap();
        let uri = totp.to_url().unwrap();
        assert!(uri.starts_with("otpauth://totp/anjian:alice?"), "{uri}");
        assert!(uri.contains(&format!("secret={}", secret_base32(&[42; 20]))));
        assert!(uri.contains("issuer=anjian"), "{uri}");
    }
}
