//! The reporter's secrets at rest.
//!
//! - **Sealing** (contact fields, the claim's payee): ChaCha20-Poly1305 under `ANJIAN_DATA_KEY`,
//!   a fresh random 12-byte nonce per record, the purpose as associated data (a sealed contact
//!   cannot be passed off as a payee), stored as `base64(nonce ‖ ciphertext)` in one column.
//! - **Receipts**: argon2id (m = 19 MiB, t = 2, p = 1) keyed with a per-installation salt,
//!   `sha256("anjian receipt salt" ‖ data_key)[..16]`. The salt is fixed, so the same receipt
//!   always hashes to the same value and a lookup is one hash and one indexed equality. Without
//!   the data key the hashes cannot be attacked offline; with it, each guess still costs a slow
//!   hash. Hashing runs on a few dedicated threads, never an async worker
//!   ([`hash_receipt_blocking`]).

use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};

use super::domain::Receipt;
use crate::error::ApiError;
/// Sealing is shared with the second factor's secrets: it lives in `crate::sealing`.
pub use crate::sealing::{CryptoError, open, seal};

/// Associated data of a sealed reporter contact.
pub const CONTACT: &[u8] = b"anjian:report-contact:v1";
/// Associated data of a sealed reward payee.
pub const PAYEE: &[u8] = b"anjian:reward-payee:v1";
/// Associated data of a receipt kept for an idempotent replay of a filing.
pub const REPLAY: &[u8] = b"anjian:filing-replay:v1";

/// Seals a value as JSON.
pub fn seal_json<T: serde::Serialize>(
    key: &[u8; 32],
    purpose: &[u8],
    value: &T,
) -> Result<String, ApiError> {
    let bytes = serde_json::to_vec(value).map_err(ApiError::internal)?;
    seal(key, purpose, &bytes).map_err(ApiError::internal)
}

/// Opens a value sealed by [`seal_json`]; a failure is an internal error (wrong key, damage).
pub fn open_json<T: serde::de::DeserializeOwned>(
    key: &[u8; 32],
    purpose: &[u8],
    sealed: &str,
) -> Result<T, ApiError> {
    let bytes = open(key, purpose, sealed).map_err(ApiError::internal)?;
    serde_json::from_slice(&bytes).map_err(ApiError::internal)
}

/// The per-installation salt of receipt hashes.
pub fn receipt_salt(data_key: &[u8; 32]) -> [u8; 16] {
    let mut h = Sha256::new();
    h.update(b"anjian receipt salt");
    h.update(data_key);
    let digest = h.finalize();
    let mut salt = [0u8; 16];
    salt.copy_from_slice(&digest[..16]);
    salt
}

fn receipt_hasher() -> Result<Argon2<'static>, ApiError> {
    let params = Params::new(19 * 1024, 2, 1, Some(32)).map_err(ApiError::internal)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// The stored form of a receipt: hex of 32 bytes of argon2id output.
pub fn hash_receipt(data_key: &[u8; 32], receipt: &Receipt) -> Result<String, ApiError> {
    let mut memory = vec![argon2::Block::default(); crate::kdf::MEMORY_BLOCKS];
    hash_receipt_with(&mut memory, data_key, receipt)
}

fn hash_receipt_with(
    memory: &mut [argon2::Block],
    data_key: &[u8; 32],
    receipt: &Receipt,
) -> Result<String, ApiError> {
    let mut out = [0u8; 32];
    receipt_hasher()?
        .hash_password_into_with_memory(
            receipt.as_str().as_bytes(),
            &receipt_salt(data_key),
            &mut out,
            memory,
        )
        .map_err(ApiError::internal)?;
    Ok(hex::encode(out))
}

/// [`hash_receipt`] on the dedicated hashing threads, with the request's span carried along;
/// never on an async worker.
pub async fn hash_receipt_blocking(
    data_key: [u8; 32],
    receipt: Receipt,
) -> Result<String, ApiError> {
    crate::kdf::run(move |memory| hash_receipt_with(memory, &data_key, &receipt)).await?
}

/// A key that only the holder of the filing's `Idempotency-Key` can derive: the receipt kept
/// for a replay is sealed under it, and the key itself is stored only as a hash.
pub fn replay_key(data_key: &[u8; 32], idempotency_key: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"anjian filing replay key");
    h.update(data_key);
    h.update(idempotency_key.as_bytes());
    h.finalize().into()
}

/// The stored form of a public `Idempotency-Key` whose value is a decryption secret.
pub fn hashed_key(idempotency_key: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"anjian public idempotency key");
    h.update(idempotency_key.as_bytes());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    const KEY: [u8; 32] = [7; 32];

    #[test]
    fn sealing_round_trips_with_a_fresh_nonce_each_time() {
        let a = seal(&KEY, CONTACT, "张三 13800000000".as_bytes()).unwrap();
        let b = seal(&KEY, CONTACT, "张三 13800000000".as_bytes()).unwrap();
        assert_ne!(a, b, "a fresh nonce per record");
        assert_eq!(
            open(&KEY, CONTACT, &a).unwrap(),
            "张三 13800000000".as_bytes()
        );
        assert!(!a.contains("13800000000"));
    }

    #[test]
    fn another_key_or_purpose_or_a_changed_byte_does_not_open() {
        let sealed = seal(&KEY, CONTACT, b"secret").unwrap();
        assert_eq!(open(&[8; 32], CONTACT, &sealed), Err(CryptoError::WrongKey));
        assert_eq!(open(&KEY, PAYEE, &sealed), Err(CryptoError::WrongKey));
        let mut bytes = STANDARD.decode(&sealed).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(
            open(&KEY, CONTACT, &STANDARD.encode(bytes)),
            Err(CryptoError::WrongKey)
        );
        assert_eq!(open(&KEY, CONTACT, "!!"), Err(CryptoError::Malformed));
        assert_eq!(open(&KEY, CONTACT, "AAAA"), Err(CryptoError::Malformed));
    }

    #[test]
    fn a_receipt_hash_is_deterministic_per_installation() {
        let r = Receipt::parse("1234567890123456").unwrap();
        let h = hash_receipt(&KEY, &r).unwrap();
        assert_eq!(h.len(), 64);
        assert_eq!(h, hash_receipt(&KEY, &r).unwrap());
        assert_ne!(
            h,
            hash_receipt(&[8; 32], &r).unwrap(),
            "another installation"
        );
        let other = Receipt::parse("1234567890123457").unwrap();
        assert_ne!(h, hash_receipt(&KEY, &other).unwrap());
        assert!(!h.contains("1234567890123456"));
    }

    #[test]
    fn replay_keys_depend_on_the_idempotency_key() {
        assert_ne!(replay_key(&KEY, "a"), replay_key(&KEY, "b"));
        assert_ne!(hashed_key("a"), "a");
    }
}
