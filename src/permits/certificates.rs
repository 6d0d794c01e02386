//! Electronic certificates (SPEC 2.4), the pure parts: validity periods, verification codes,
//! and the Ed25519 signature over the canonical JSON of the public fields.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{Months, NaiveDate};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use rand::Rng;
use serde_json::{Value, json};

use super::domain::PermitKind;
use crate::canonical::canonical_json;

/// Who issues every certificate; part of the signed payload.
pub const ISSUER: &str = "青岛市应急管理局";

/// `(valid_from, valid_until)` of a certificate issued `today`: a new licence runs
/// `validity_months` from today (the day before the same date N months on); a renewal adds
/// `validity_months` to the old expiry; a change or reissue keeps the old expiry.
pub fn validity(
    kind: PermitKind,
    validity_months: Option<u32>,
    today: NaiveDate,
    base_valid_until: Option<NaiveDate>,
) -> Option<(NaiveDate, NaiveDate)> {
    let until = match kind {
        PermitKind::Licence => today
            .checked_add_months(Months::new(validity_months?))?
            .pred_opt()?,
        PermitKind::Renewal => {
            base_valid_until?.checked_add_months(Months::new(validity_months?))?
        }
        PermitKind::Change | PermitKind::Reissue => base_valid_until?,
        PermitKind::Filing => return None,
    };
    Some((today, until.max(today)))
}

/// Crockford's base32 alphabet (no I, L, O, U).
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
pub const CODE_LEN: usize = 10;

/// 10 random Crockford base32 characters (50 bits).
pub fn verification_code(rng: &mut impl Rng) -> String {
    (0..CODE_LEN)
        .map(|_| char::from(CROCKFORD[rng.gen_range(0..32)]))
        .collect()
}

/// Reads a code as a person might type it: case-insensitive, `O` for 0, `I`/`L` for 1,
/// hyphens and spaces ignored.
pub fn normalize_code(input: &str) -> String {
    input
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect()
}

/// Compares two codes in time that does not depend on where they differ.
pub fn codes_match(given: &str, stored: &str) -> bool {
    let (a, b) = (given.as_bytes(), stored.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The public fields a certificate's signature covers.
pub struct PublicFields<'a> {
    pub number: &'a str,
    pub permit_type: &'a str,
    pub permit_name: &'a str,
    pub holder_name: &'a str,
    pub holder_credit_code: &'a str,
    pub holder_address: &'a str,
    pub holder_legal_representative: &'a str,
    pub scope: &'a Value,
    pub issued_at: chrono::NaiveDateTime,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
}

/// The canonical JSON (keys sorted, no white space) that is signed.
pub fn signed_payload(f: &PublicFields<'_>) -> String {
    canonical_json(&json!({
        "issuer": ISSUER,
        "number": f.number,
        "permit_type": f.permit_type,
        "permit_name": f.permit_name,
        "holder": {
            "name": f.holder_name,
            "credit_code": f.holder_credit_code,
            "address": f.holder_address,
            "legal_representative": f.holder_legal_representative,
        },
        "scope": f.scope,
        "issued_at": crate::clock::rfc3339(f.issued_at),
        "valid_from": f.valid_from.format("%Y-%m-%d").to_string(),
        "valid_until": f.valid_until.format("%Y-%m-%d").to_string(),
    }))
}

/// The Ed25519 signature of `payload`'s UTF-8 bytes, standard base64 (64 bytes → 88 chars).
pub fn sign(key: &SigningKey, payload: &str) -> String {
    STANDARD.encode(key.sign(payload.as_bytes()).to_bytes())
}

/// The raw 32-byte Ed25519 public key, standard base64.
pub fn public_key(key: &SigningKey) -> String {
    STANDARD.encode(key.verifying_key().to_bytes())
}

/// Checks a signature as an offline verifier would: from the base64 key and signature.
pub fn verify(public_key_b64: &str, payload: &str, signature_b64: &str) -> bool {
    let Ok(key) = STANDARD.decode(public_key_b64) else {
        return false;
    };
    let Ok(sig) = STANDARD.decode(signature_b64) else {
        return false;
    };
    let (Ok(key), Ok(sig)) = (
        <[u8; 32]>::try_from(key.as_slice()),
        <[u8; 64]>::try_from(sig.as_slice()),
    ) else {
        return false;
    };
    let Ok(key) = VerifyingKey::from_bytes(&key) else {
        return false;
    };
    key.verify(payload.as_bytes(), &Signature::from_bytes(&sig))
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn validity_follows_the_kind() {
        let today = d("2026-06-01");
        assert_eq!(
            validity(PermitKind::Licence, Some(36), today, None),
            Some((today, d("2029-05-31")))
        );
        assert_eq!(
            validity(PermitKind::Renewal, Some(36), today, Some(d("2026-07-15"))),
            Some((today, d("2029-07-15")))
        );
        assert_eq!(
            validity(PermitKind::Change, None, today, Some(d("2027-01-01"))),
            Some((today, d("2027-01-01")))
        );
        assert_eq!(
            validity(PermitKind::Reissue, None, today, Some(d("2027-01-01"))),
            Some((today, d("2027-01-01")))
        );
        assert_eq!(validity(PermitKind::Filing, None, today, None), None);
    }

    #[test]
    fn codes_are_ten_crockford_characters_and_read_forgivingly() {
        let mut rng = rand::thread_rng();
        let code = verification_code(&mut rng);
        assert_eq!(code.len(), CODE_LEN);
        assert!(code.bytes().all(|b| CROCKFORD.contains(&b)), "{code}");
        assert_eq!(normalize_code("abcd-efgh-oi"), "ABCDEFGH01");
        assert!(codes_match("ABC", "ABC"));
        assert!(!codes_match("ABD", "ABC"));
        assert!(!codes_match("AB", "ABC"));
    }

    #[test]
    fn a_signature_verifies_and_any_change_breaks_it() {
        let seed = SigningKey::from_bytes(&[7u8; 32]);
        let scope = json!({"chemicals": [{"name": "乙醇", "cas_no": "64-17-5"}]});
        let fields = PublicFields {
            number: "QD-WHJY-2026-000001",
            permit_type: "hazchem_business_no_storage",
            permit_name: "危险化学品经营许可证（不带储存）",
            holder_name: "青岛某公司",
            holder_credit_code: "91370200MA3C000013",
            holder_address: "市南区",
            holder_legal_representative: "王五",
            scope: &scope,
            issued_at: d("2026-06-01").and_hms_opt(1, 0, 0).unwrap(),
            valid_from: d("2026-06-01"),
            valid_until: d("2029-05-31"),
        };
        let payload = signed_payload(&fields);
        let sig = sign(&seed, &payload);
        let key = public_key(&seed);
        assert!(verify(&key, &payload, &sig));
        assert!(!verify(
            &key,
            &payload.replace("2029-05-31", "2039-05-31"),
            &sig
        ));
        assert!(!verify(
            &public_key(&SigningKey::from_bytes(&[8u8; 32])),
            &payload,
            &sig
        ));
        assert!(!verify("not base64!", &payload, &sig));
    }
}
