//! Secrets at rest under `ANJIAN_DATA_KEY`: ChaCha20-Poly1305 with a fresh random 12-byte
//! nonce per record and the purpose as associated data (a value sealed for one purpose cannot
//! be passed off as another's), stored as `base64(nonce ‖ ciphertext)` in one column. The
//! reports seal reporters' contacts and payees with it (`reports::crypto`), the second factor
//! its TOTP secrets (`totp`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("the sealed value is not base64 of a nonce and a ciphertext")]
    Malformed,
    #[error("the sealed value does not open under this key")]
    WrongKey,
    #[error("encryption failed")]
    Seal,
}

/// Encrypts `plaintext` under `key` with a fresh nonce: `base64(nonce ‖ ciphertext)`.
pub fn seal(key: &[u8; 32], purpose: &[u8], plaintext: &[u8]) -> Result<String, CryptoError> {
    let cipher = ChaCha20Poly1305::new(&Key::from(*key));
    let mut nonce = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ciphertext = cipher
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: plaintext,
                aad: purpose,
            },
        )
        .map_err(|_| CryptoError::Seal)?;
    let mut out = Vec::with_capacity(12 + ciphertext.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext);
    Ok(STANDARD.encode(out))
}

/// Decrypts a value made by [`seal`] with the same key and purpose.
pub fn open(key: &[u8; 32], purpose: &[u8], sealed: &str) -> Result<Vec<u8>, CryptoError> {
    let bytes = STANDARD
        .decode(sealed.trim())
        .map_err(|_| CryptoError::Malformed)?;
    if bytes.len() < 12 + 16 {
        return Err(CryptoError::Malformed);
    }
    let (nonce, ciphertext) = bytes.split_at(12);
    let nonce: [u8; 12] = nonce.try_into().map_err(|_| CryptoError::Malformed)?;
    ChaCha20Poly1305::new(&Key::from(*key))
        .decrypt(
            &Nonce::from(nonce),
            Payload {
                msg: ciphertext,
                aad: purpose,
            },
        )
        .map_err(|_| CryptoError::WrongKey)
}
