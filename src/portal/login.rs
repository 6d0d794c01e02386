//! `/login` (with the second step when the account has it on) and `/logout`, for every role.
//! The checks are the API's own (`auth::signin`): the same throttles per address and per
//! username, the same answers for a wrong password and an unknown account.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use base64::Engine as _;

use super::page::{Ctx, Form};
use super::session;
use crate::actor::{Actor, Role};
use crate::auth::signin::{self, PasswordChecked};
use crate::error::ApiError;
use crate::ids::UserId;
use crate::totp::domain as totp_domain;
use crate::totp::usecases::{self as totp, EnrolmentView, TotpError};
use crate::users::store::{self as user_store, UserRow};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(login_form)
        .service(login)
        .service(login_code)
        .service(login_enrol)
        .service(logout);
}

#[derive(Template)]
#[template(path = "portal/login.html")]
struct LoginPage<'a> {
    c: &'a Ctx,
    form_token: String,
    next: String,
    username: String,
    problem: String,
}

#[derive(Template)]
#[template(path = "portal/login_code.html")]
struct CodePage<'a> {
    c: &'a Ctx,
    form_token: String,
    next: String,
    challenge: String,
    problem: String,
}

/// `next` if it is an address of this site (`/…`, never `//host`), else nothing.
fn safe_next(next: &str) -> Option<&str> {
    (next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\")).then_some(next)
}

/// The sign-in form; a visitor already signed in goes home.
#[get("/login")]
async fn login_form(
    c: Ctx,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let next = query
        .iter()
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    if c.user.is_some() {
        return Ok(c.see_other(safe_next(&next).unwrap_or(c.home_href())));
    }
    login_page(&c, next, String::new(), String::new(), StatusCode::OK)
}

fn login_page(
    c: &Ctx,
    next: String,
    username: String,
    problem: String,
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    public_form(c, status, |form_token| LoginPage {
        c,
        form_token,
        next,
        username,
        problem,
    })
}

/// A page with a public form (no session yet): a new form cookie, and its token in the page.
fn public_form<T: Template>(
    c: &Ctx,
    status: StatusCode,
    page: impl FnOnce(String) -> T,
) -> Result<HttpResponse, ApiError> {
    let (cookie, form_token) = c
        .state
        .csrf
        .new_form(c.state.config.environment, c.state.clock.now());
    let mut answer = c.render_status(status, &page(form_token))?;
    answer.add_cookie(&cookie).map_err(ApiError::internal)?;
    Ok(answer)
}

/// What a failed step says, beside the form; anything else is the error page.
fn problem_text(c: &Ctx, err: ApiError) -> Result<(String, StatusCode), ApiError> {
    match err {
        ApiError::InvalidCredentials => Ok((c.t("login-wrong"), StatusCode::UNAUTHORIZED)),
        ApiError::InvalidTotpCode => Ok((c.t("login-wrong-code"), StatusCode::UNAUTHORIZED)),
        ApiError::RateLimited { retry_after_secs } => Ok((
            c.t1("login-throttled", "seconds", &retry_after_secs.to_string()),
            StatusCode::TOO_MANY_REQUESTS,
        )),
        other => Err(other),
    }
}

#[post("/login")]
async fn login(c: Ctx, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let expected = c.state.csrf.form_token_of(&req, c.state.clock.now());
    let form = Form::read(&req, &body, expected.as_deref())?;
    let (username, next) = (form.get("username"), form.get("next"));
    let client = c.state.limits.client_ip(&req);
    let checked = signin::check_password(&c.state, client, &username, form.get("password")).await;
    match checked {
        Ok(PasswordChecked::SignedIn(user)) => signed_in(&c, user, &next).await,
        Ok(PasswordChecked::Challenge(challenge)) => {
            code_page(&c, next, challenge.challenge, String::new(), StatusCode::OK)
        }
        Ok(PasswordChecked::EnrolFirst(user)) => enrol_start(&c, user, next).await,
        Err(err) => {
            let (problem, status) = problem_text(&c, err)?;
            login_page(&c, next, username, problem, status)
        }
    }
}

fn code_page(
    c: &Ctx,
    next: String,
    challenge: String,
    problem: String,
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    public_form(c, status, |form_token| CodePage {
        c,
        form_token,
        next,
        challenge,
        problem,
    })
}

#[post("/login/code")]
async fn login_code(c: Ctx, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let expected = c.state.csrf.form_token_of(&req, c.state.clock.now());
    let form = Form::read(&req, &body, expected.as_deref())?;
    let (challenge, next) = (form.get("challenge"), form.get("next"));
    let client = c.state.limits.client_ip(&req);
    match signin::check_code(&c.state, client, challenge.clone(), form.get("code")).await {
        Ok(user) => signed_in(&c, user, &next).await,
        // The challenge is gone (used, expired): sign in again from the start.
        Err(ApiError::InvalidChallenge) => login_page(
            &c,
            next,
            String::new(),
            c.t("login-challenge-expired"),
            StatusCode::UNAUTHORIZED,
        ),
        Err(err) => {
            let (problem, status) = problem_text(&c, err)?;
            code_page(&c, next, challenge, problem, status)
        }
    }
}

#[derive(Template)]
#[template(path = "portal/login_enrol.html")]
struct EnrolPage<'a> {
    c: &'a Ctx,
    form_token: String,
    next: String,
    enrolment: String,
    /// The QR code as a `data:` address (an `<img>`, which the CSP allows).
    qr: String,
    /// The secret in groups of four, for typing in.
    secret: String,
    problem: String,
}

#[derive(Template)]
#[template(path = "portal/login_recovery.html")]
struct RecoveryPage<'a> {
    c: &'a Ctx,
    codes: Vec<String>,
    next: String,
}

/// What the enrolment form carries back: the account and its token version, sealed, so that
/// nothing but this page's own form can confirm, and not after the account's sessions ended.
const ENROLMENT: &str = "enrolment";

/// A sign-in whose role must have the second factor (`ANJIAN_REQUIRE_TOTP`) and whose account
/// has not: the enrolment starts here (the same use case as `POST /api/v1/auth/totp/enroll`),
/// and the session opens only once a code of the new secret is confirmed.
async fn enrol_start(c: &Ctx, user: UserRow, next: String) -> Result<HttpResponse, ApiError> {
    let (at, key) = (c.state.clock.now(), c.state.config.secrets.data_key);
    let role = Role::parse(&user.role).ok_or_else(|| ApiError::internal("unknown role stored"))?;
    let (id, username) = (UserId(user.id), user.username.clone());
    let actor = Actor::user(id, role);
    let view = c
        .state
        .db
        .write_case(move |conn| totp::enroll(conn, at, &key, &actor, id, &username))
        .await?;
    enrol_page(c, &user, next, &view, String::new(), StatusCode::OK)
}

fn enrol_page(
    c: &Ctx,
    user: &UserRow,
    next: String,
    view: &EnrolmentView,
    problem: String,
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    let now = c.state.clock.now();
    let enrolment = c.state.csrf.seal(
        ENROLMENT,
        &format!("{}:{}", user.id, user.token_version),
        now + totp_domain::enrolment_token_ttl(),
    );
    let qr = format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&view.qr_svg)
    );
    let secret = grouped(&view.secret, 4);
    public_form(c, status, |form_token| EnrolPage {
        c,
        form_token,
        next,
        enrolment,
        qr,
        secret,
        problem,
    })
}

/// `text` in groups of `n` characters, a space between.
fn grouped(text: &str, n: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    chars
        .chunks(n)
        .map(|g| g.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Confirms the enrolment with a code of the new secret: the factor is on, the recovery codes
/// are shown once, and the session opens. A wrong code shows the same secret again.
#[post("/login/enrol")]
async fn login_enrol(c: Ctx, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let now = c.state.clock.now();
    let expected = c.state.csrf.form_token_of(&req, now);
    let form = Form::read(&req, &body, expected.as_deref())?;
    let next = form.get("next");
    let account = c
        .state
        .csrf
        .open(ENROLMENT, &form.get(ENROLMENT), now)
        .and_then(|v| {
            let (id, version) = v.split_once(':')?;
            Some((id.parse::<i64>().ok()?, version.parse::<i32>().ok()?))
        });
    let user = match account {
        Some((id, version)) => c
            .state
            .db
            .run(move |conn| user_store::find(conn, UserId(id)))
            .await?
            .filter(|u| !u.disabled && u.token_version == version),
        None => None,
    };
    let Some(user) = user else {
        // Too late, forged, or the account's sessions ended meanwhile: start again.
        return login_page(
            &c,
            next,
            String::new(),
            c.t("login-challenge-expired"),
            StatusCode::UNAUTHORIZED,
        );
    };
    let role = Role::parse(&user.role).ok_or_else(|| ApiError::internal("unknown role stored"))?;
    let (id, username, code) = (UserId(user.id), user.username.clone(), form.get("code"));
    let (key, actor) = (c.state.config.secrets.data_key, Actor::user(id, role));
    let home = home_of(&user.role);
    let holder = user.clone();
    // The factor turned on and the session opened in one transaction: never one without the
    // other.
    let confirmed = c
        .state
        .db
        .write(move |conn| {
            Ok(
                match totp::confirm(conn, now, &key, &actor, id, &username, &code) {
                    Ok(codes) => Ok((codes, session::open(conn, &holder, now.naive_utc())?)),
                    Err(TotpError::WrongCode) => Err(totp::pending(conn, &key, id, &username)?),
                    Err(other) => return Err(other.into()),
                },
            )
        })
        .await?;
    match confirmed {
        Ok((codes, session)) => {
            let mut answer = c.render(&RecoveryPage {
                c: &c,
                codes: codes.recovery_codes,
                next: safe_next(&next).unwrap_or(home).to_owned(),
            })?;
            answer
                .add_cookie(&session::cookie(c.state.config.environment, &session))
                .map_err(ApiError::internal)?;
            Ok(answer)
        }
        Err(view) => enrol_page(
            &c,
            &user,
            next,
            &view,
            c.t("login-wrong-code"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    }
}

/// Where a signed-in account's pages start.
fn home_of(role: &str) -> &'static str {
    if role == "enterprise" { "/e/" } else { "/s/" }
}

/// A sign-in that passed: a new session (never one the browser brought), then the page the
/// visitor was sent from, or their home.
async fn signed_in(c: &Ctx, user: UserRow, next: &str) -> Result<HttpResponse, ApiError> {
    let now = c.state.clock.now_naive();
    let home = home_of(&user.role);
    let id = c
        .state
        .db
        .write(move |conn| session::open(conn, &user, now))
        .await?;
    let mut answer = c.see_other(safe_next(next).unwrap_or(home));
    answer
        .add_cookie(&session::cookie(c.state.config.environment, &id))
        .map_err(ApiError::internal)?;
    Ok(answer)
}

/// Signs out: the session row is deleted and the cookie removed.
#[post("/logout")]
async fn logout(c: Ctx, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let env = c.state.config.environment;
    if c.csrf.is_none() {
        // No session stands (it ended, or was never there): nothing to sign out of.
        return Ok(c.see_other("/"));
    }
    let id = req
        .cookie(session::cookie_name(env))
        .map(|k| k.value().to_owned());
    Form::read(&req, &body, c.csrf.as_deref())?;
    if let Some(id) = id {
        c.state
            .db
            .write(move |conn| session::close(conn, &id))
            .await?;
    }
    let mut answer = c.see_other("/");
    answer
        .add_cookie(&session::cookie(env, ""))
        .map_err(ApiError::internal)?;
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_addresses_of_this_site_are_followed() {
        assert_eq!(safe_next("/e/applications/3"), Some("/e/applications/3"));
        assert_eq!(safe_next("//evil.example/x"), None);
        assert_eq!(safe_next("/\\evil.example"), None);
        assert_eq!(safe_next("https://evil.example"), None);
        assert_eq!(safe_next(""), None);
    }
}
