//! Access tokens: JWT HS256 with `sub`, `role`, `ent`, `iat`, `exp`, `ver`.
//!
//! Only HS256 is accepted (so `alg: none` and every other algorithm are refused), and expiry is
//! checked against the service clock rather than the library's, so tests can move time.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::Role;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// The user id, as a string (RFC 7519).
    pub sub: String,
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ent: Option<i64>,
    pub iat: i64,
    pub exp: i64,
    pub ver: i32,
    /// What a limited token is good for: [`ENROLMENT_SCOPE`] for the token of a sign-in that
    /// must enrol a second factor first. Absent on an ordinary access token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scp: Option<String>,
}

/// The scope of a token that admits only the second factor's enrolment routes
/// (`ANJIAN_REQUIRE_TOTP`).
pub const ENROLMENT_SCOPE: &str = "totp_enrolment";

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl TokenKeys {
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false; // checked against the service clock in `decode`
        validation.validate_nbf = false;
        validation.leeway = 0;
        validation.required_spec_claims = ["sub", "exp", "iat"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    pub fn issue(
        &self,
        user_id: i64,
        role: Role,
        enterprise_id: Option<i64>,
        token_version: i32,
        now: DateTime<Utc>,
        ttl_secs: i64,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        self.issue_scoped(
            user_id,
            role,
            enterprise_id,
            token_version,
            now,
            ttl_secs,
            None,
        )
    }

    /// A token limited to `scope` (see [`ENROLMENT_SCOPE`]), or an ordinary one for `None`.
    #[expect(
        clippy::too_many_arguments,
        reason = "the claims of a token, each its own"
    )]
    pub fn issue_scoped(
        &self,
        user_id: i64,
        role: Role,
        enterprise_id: Option<i64>,
        token_version: i32,
        now: DateTime<Utc>,
        ttl_secs: i64,
        scope: Option<&str>,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = Claims {
            sub: user_id.to_string(),
            role: role.as_str().to_owned(),
            ent: enterprise_id,
            iat: now.timestamp(),
            exp: now.timestamp() + ttl_secs,
            ver: token_version,
            scp: scope.map(str::to_owned),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    /// The claims of a well-formed, correctly signed, unexpired token; `None` for anything else.
    pub fn decode(&self, token: &str, now: DateTime<Utc>) -> Option<Claims> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        (data.claims.exp > now.timestamp()).then_some(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    #[test]
    fn a_token_round_trips_until_it_expires() {
        let keys = TokenKeys::new(SECRET);
        let token = keys
            .issue(7, Role::Enterprise, Some(3), 2, now(), 60)
            .unwrap();
        let claims = keys.decode(&token, now()).unwrap();
        assert_eq!(
            (
                claims.sub.as_str(),
                claims.role.as_str(),
                claims.ent,
                claims.ver
            ),
            ("7", "enterprise", Some(3), 2)
        );
        assert!(
            keys.decode(&token, now() + chrono::Duration::seconds(59))
                .is_some()
        );
        assert!(
            keys.decode(&token, now() + chrono::Duration::seconds(60))
                .is_none()
        );
    }

    #[test]
    fn other_keys_and_other_algorithms_are_refused() {
        let keys = TokenKeys::new(SECRET);
        let other = TokenKeys::new(b"another secret that is long enough!!");
        let token = other.issue(1, Role::Admin, None, 1, now(), 60).unwrap();
        assert!(keys.decode(&token, now()).is_none());

        let claims = format!(
            r#"{{"sub":"1","role":"admin","iat":{0},"exp":{1},"ver":1}}"#,
            now().timestamp(),
            now().timestamp() + 60
        );
        let body = URL_SAFE_NO_PAD.encode(claims);
        let none = format!(
            "{}.{body}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#)
        );
        assert!(keys.decode(&none, now()).is_none());
        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &Claims {
                sub: "1".into(),
                role: "admin".into(),
                ent: None,
                iat: now().timestamp(),
                exp: now().timestamp() + 60,
                ver: 1,
                scp: None,
            },
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap();
        assert!(keys.decode(&hs512, now()).is_none());
        assert!(keys.decode("garbage", now()).is_none());
    }
}
