//! CSRF protection of the portal's forms (PORTAL 7.2). Every unsafe request must come from the
//! portal's own pages (`Sec-Fetch-Site: same-origin`, or an `Origin` of this host) and carry a
//! token in its `csrf` field: for a signed-in visitor an HMAC of the session id; for the public
//! forms (file a report, check a report) an HMAC of a random value kept in a short-lived signed
//! cookie of its own, so that they work for an anonymous visitor.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::config::Environment;
use crate::error::ApiError;

/// The public forms' cookie.
pub const FORM_COOKIE: &str = "anjian_form";
/// How long a public form may be kept open before it must be loaded again.
const FORM_HOURS: i64 = 2;

/// The form field every unsafe request carries.
pub const FIELD: &str = "csrf";

/// The portal's HMAC key, derived from the token key (so that no new secret is needed).
pub struct CsrfKey([u8; 32]);

impl CsrfKey {
    pub fn derive(jwt_secret: &[u8]) -> Self {
        let mut key = [0u8; 32];
        key.copy_from_slice(&mac(jwt_secret, &[b"anjian portal csrf key v1"]));
        Self(key)
    }

    /// The token of the session `id`.
    pub fn session_token(&self, id: &str) -> String {
        hex::encode(&mac(&self.0, &[b"session\n", id.as_bytes()])[..16])
    }

    /// A new public-form cookie, valid until `now` + 2 hours, and the token that goes with it.
    pub fn new_form(&self, env: Environment, now: DateTime<Utc>) -> (Cookie<'static>, String) {
        let mut random = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut random);
        let random = hex::encode(random);
        let until = now + chrono::Duration::hours(FORM_HOURS);
        let cookie = Cookie::build(FORM_COOKIE, self.seal("cookie", &random, until))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(env == Environment::Production)
            .max_age(actix_web::cookie::time::Duration::hours(FORM_HOURS))
            .finish();
        let token = self.form_token(&random);
        (cookie, token)
    }

    fn form_token(&self, random: &str) -> String {
        hex::encode(&mac(&self.0, &[b"form\n", random.as_bytes()])[..16])
    }

    /// The public-form token the request's cookie stands for, if the cookie is ours and fresh.
    pub fn form_token_of(&self, req: &HttpRequest, now: DateTime<Utc>) -> Option<String> {
        let cookie = req.cookie(FORM_COOKIE)?;
        let random = self.open("cookie", cookie.value(), now)?;
        Some(self.form_token(&random))
    }

    /// `value` (which has no `.`) with its time limit, signed for `purpose`:
    /// `{value}.{until}.{mac}`. What the portal hands a browser to give back unchanged.
    pub fn seal(&self, purpose: &str, value: &str, until: DateTime<Utc>) -> String {
        let signed = format!("{value}.{}", until.timestamp());
        let seal = self.seal_of(purpose, &signed);
        format!("{signed}.{seal}")
    }

    /// The value of a [`CsrfKey::seal`] for `purpose`, if it is ours, unchanged and not past
    /// its time at `now`.
    pub fn open(&self, purpose: &str, sealed: &str, now: DateTime<Utc>) -> Option<String> {
        let (signed, seal) = sealed.rsplit_once('.')?;
        if !equal(seal, &self.seal_of(purpose, signed)) {
            return None;
        }
        let (value, until) = signed.rsplit_once('.')?;
        (until.parse::<i64>().ok()? > now.timestamp()).then(|| value.to_owned())
    }

    fn seal_of(&self, purpose: &str, signed: &str) -> String {
        hex::encode(&mac(&self.0, &[purpose.as_bytes(), b"\n", signed.as_bytes()])[..16])
    }
}

fn mac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    for part in parts {
        m.update(part);
    }
    m.finalize().into_bytes().into()
}

/// Compares two tokens in time that does not depend on where they differ.
fn equal(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The request came from a page of this host: `Sec-Fetch-Site: same-origin` when the browser
/// sends it, else an `Origin` whose host is the request's own. A request with neither is
/// refused: every browser that can show the portal sends one of them with a form.
pub fn same_origin(req: &HttpRequest) -> bool {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return site == "same-origin";
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let host = req.connection_info().host().to_owned();
    origin
        .split_once("://")
        .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(&host))
}

/// Checks an unsafe request: same origin, and `sent` equal to `expected`. 403 otherwise.
pub fn check(
    req: &HttpRequest,
    expected: Option<&str>,
    sent: Option<&str>,
) -> Result<(), ApiError> {
    match (expected, sent) {
        (Some(expected), Some(sent)) if same_origin(req) && equal(expected, sent) => Ok(()),
        _ => Err(ApiError::Forbidden),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn a_session_token_is_bound_to_its_session_and_key() {
        let key = CsrfKey::derive(b"a key of thirty-two bytes at least!!");
        let other = CsrfKey::derive(b"another key of thirty-two bytes at least");
        assert_eq!(key.session_token("s1"), key.session_token("s1"));
        assert_ne!(key.session_token("s1"), key.session_token("s2"));
        assert_ne!(key.session_token("s1"), other.session_token("s1"));
    }

    #[test]
    fn a_form_cookie_stands_for_its_token_until_it_expires() {
        let key = CsrfKey::derive(b"a key of thirty-two bytes at least!!");
        let now = Utc::now();
        let (cookie, token) = key.new_form(Environment::Development, now);
        let req = TestRequest::default()
            .cookie(cookie.clone())
            .to_http_request();
        assert_eq!(
            key.form_token_of(&req, now).as_deref(),
            Some(token.as_str())
        );
        let later = now + chrono::Duration::hours(FORM_HOURS) + chrono::Duration::seconds(1);
        assert_eq!(key.form_token_of(&req, later), None, "expired");
        let forged = Cookie::new(FORM_COOKIE, cookie.value().replacen('0', "1", 1));
        let req = TestRequest::default().cookie(forged).to_http_request();
        assert_eq!(key.form_token_of(&req, now), None, "changed");
    }

    #[test]
    fn a_sealed_value_opens_only_for_its_purpose_unchanged_and_in_time() {
        let key = CsrfKey::derive(b"a key of thirty-two bytes at least!!");
        let now = Utc::now();
        let until = now + chrono::Duration::minutes(10);
        let sealed = key.seal("enrolment", "42:3", until);
        assert_eq!(key.open("enrolment", &sealed, now).as_deref(), Some("42:3"));
        assert_eq!(key.open("cookie", &sealed, now), None, "another purpose");
        assert_eq!(key.open("enrolment", &sealed, until), None, "expired");
        let changed = sealed.replacen("42", "43", 1);
        assert_eq!(key.open("enrolment", &changed, now), None, "changed");
    }

    #[test]
    fn only_same_origin_requests_pass() {
        let req = TestRequest::default()
            .insert_header(("sec-fetch-site", "same-origin"))
            .to_http_request();
        assert!(same_origin(&req));
        let req = TestRequest::default()
            .insert_header(("sec-fetch-site", "cross-site"))
            .insert_header(("origin", "http://localhost:8080"))
            .to_http_request();
        assert!(!same_origin(&req));
        let req = TestRequest::default()
            .insert_header(("host", "localhost:8080"))
            .insert_header(("origin", "http://localhost:8080"))
            .to_http_request();
        assert!(same_origin(&req));
        let req = TestRequest::default()
            .insert_header(("host", "localhost:8080"))
            .insert_header(("origin", "http://evil.example"))
            .to_http_request();
        assert!(!same_origin(&req));
        assert!(!same_origin(&TestRequest::default().to_http_request()));
    }
}
