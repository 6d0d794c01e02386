//! Password hashing (argon2id, PHC strings) and the password policy. Hashing and verifying are
//! slow on purpose; callers run them on the blocking pool, never on an async worker.

use std::sync::LazyLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::rngs::OsRng;

use crate::error::ApiError;

/// OWASP's minimum for argon2id: m = 19 MiB, t = 2, p = 1.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(hasher()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Verifies `password` against a PHC string. A malformed stored hash never verifies.
pub fn verify_password(phc: &str, password: &str) -> bool {
    match PasswordHash::new(phc) {
        // The parameters come from the PHC string, so older hashes keep verifying.
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Verifies using the caller's argon2 memory (a hashing thread's reused block) instead of
/// allocating 19 MiB per call; the comparison is constant-time (`password_hash::Output`).
pub fn verify_with_memory(memory: &mut [argon2::Block], phc: &str, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let Ok(params) = argon2::ParamsBuilder::new()
        .m_cost(params.m_cost())
        .t_cost(params.t_cost())
        .p_cost(params.p_cost())
        .output_len(expected.len())
        .build()
    else {
        return false;
    };
    if params.block_count() > memory.len() {
        // Stronger parameters than the thread's memory holds: verify the ordinary way.
        return verify_password(phc, password);
    }
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let hashed = Argon2::new(algorithm, version, params).hash_password_into_with_memory(
        password.as_bytes(),
        salt,
        &mut out,
        memory,
    );
    hashed.is_ok() && argon2::password_hash::Output::new(&out).is_ok_and(|o| o == expected)
}

/// A real hash of a random password, verified against when the username is unknown, so that an
/// unknown user costs the same time as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(b"no user has this password, it only burns time", &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
});

/// Hashes into the caller's argon2 memory (a hashing thread's reused block) instead of
/// allocating 19 MiB per call; the result is the same PHC string as [`hash_password`]'s.
pub fn hash_with_memory(
    memory: &mut [argon2::Block],
    password: &str,
) -> Result<String, argon2::password_hash::Error> {
    let hasher = hasher();
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_buf = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_buf)?;
    let mut out = [0u8; 32];
    hasher
        .hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut out, memory)
        .map_err(argon2::password_hash::Error::from)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: argon2::password_hash::ParamsString::try_from(hasher.params())?,
        salt: Some(salt.as_salt()),
        hash: Some(argon2::password_hash::Output::new(&out)?),
    };
    Ok(phc.to_string())
}

/// Hashes on the dedicated hashing threads (`crate::kdf`), never on an async worker.
pub async fn hash_blocking(password: String) -> Result<String, ApiError> {
    crate::kdf::run(move |memory| hash_with_memory(memory, &password))
        .await?
        .map_err(ApiError::internal)
}

/// Verifies on the dedicated hashing threads; `None` as the hash burns the same time (the dummy
/// hash) and answers `false`.
pub async fn verify_blocking(phc: Option<String>, password: String) -> Result<bool, ApiError> {
    crate::kdf::run(move |memory| match phc {
        Some(phc) => verify_with_memory(memory, &phc, &password),
        None => {
            let _ = verify_with_memory(memory, &DUMMY_HASH, &password);
            false
        }
    })
    .await
}

pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 256;

/// The policy: 12 to 256 characters, not containing the username.
pub fn check_policy(username: &str, password: &str) -> Result<(), &'static str> {
    let len = password.chars().count();
    if len < MIN_PASSWORD_CHARS {
        return Err("must be at least 12 characters");
    }
    if len > MAX_PASSWORD_CHARS {
        return Err("must be at most 256 characters");
    }
    let username = username.trim().to_lowercase();
    if !username.is_empty() && password.to_lowercase().contains(&username) {
        return Err("must not contain the username");
    }
    Ok(())
}

/// A random password for generated accounts: 20 characters from an unambiguous alphabet.
pub fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = OsRng;
    (0..20)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password(&hash, "correct horse battery"));
        assert!(!verify_password(&hash, "correct horse battery!"));
        assert!(!verify_password("not a phc string", "x"));
    }

    #[test]
    fn hashing_with_reused_memory_gives_a_standard_phc_string() {
        let mut memory = vec![argon2::Block::default(); 19 * 1024];
        let hash = hash_with_memory(&mut memory, "correct horse battery").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            verify_password(&hash, "correct horse battery"),
            "the library verifies it"
        );
        assert!(!verify_password(&hash, "correct horse battery?"));
    }

    #[test]
    fn verifying_with_reused_memory_agrees_with_the_library() {
        let hash = hash_password("correct horse battery").unwrap();
        let mut memory = vec![argon2::Block::default(); 19 * 1024];
        assert!(verify_with_memory(
            &mut memory,
            &hash,
            "correct horse battery"
        ));
        assert!(!verify_with_memory(
            &mut memory,
            &hash,
            "correct horse battery!"
        ));
        assert!(!verify_with_memory(&mut memory, "garbage", "x"));
        // Older, different parameters still verify (read from the PHC string).
        let salt = SaltString::generate(&mut OsRng);
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(4096, 3, 1, None).unwrap(),
        )
        .hash_password(b"legacy password!", &salt)
        .unwrap()
        .to_string();
        assert!(verify_with_memory(&mut memory, &weak, "legacy password!"));
        assert!(!verify_with_memory(&mut memory, &weak, "legacy password?"));
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_costs() {
        let real = hash_password("whatever it is").unwrap();
        let params = |phc: &str| phc.split('$').take(4).collect::<Vec<_>>().join("$");
        assert_eq!(
            params(&DUMMY_HASH),
            params(&real),
            "same algorithm, version and parameters"
        );
        assert!(PasswordHash::new(&DUMMY_HASH).is_ok());
    }

    #[test]
    fn the_policy_wants_length_and_no_username() {
        assert!(check_policy("zhang", "short").is_err());
        assert!(check_policy("zhang", "xxZhangSan-2026").is_err());
        assert!(check_policy("zhang", "a long enough passphrase").is_ok());
        assert!(check_policy("zhang", &"x".repeat(300)).is_err());
    }

    #[test]
    fn generated_passwords_pass_the_policy() {
        let p = generate_password();
        assert_eq!(p.len(), 20);
        assert!(check_policy("admin", &p).is_ok());
    }
}
