//! `/login` (with the second step when the account has it on) and `/logout`, for every role.
//! The checks are the API's own (`auth::signin`): the same throttles per address and per
//! username, the same answers for a wrong password and an unknown account.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;

use super::page::{Ctx, Form};
use super::session;
use crate::auth::signin::{self, PasswordChecked};
use crate::error::ApiError;
use crate::users::store::UserRow;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(login_form)
        .service(login)
        .service(login_code)
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
    let (cookie, form_token) = c
        .state
        .csrf
        .new_form(c.state.config.environment, c.state.clock.now());
    let mut answer = c.render_status(
        status,
        &LoginPage {
            c,
            form_token,
            next,
            username,
            problem,
        },
    )?;
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
        Ok(PasswordChecked::EnrolFirst(_)) => login_page(
            &c,
            next,
            username,
            c.t("login-enrol-first"),
            StatusCode::FORBIDDEN,
        ),
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
    let (cookie, form_token) = c
        .state
        .csrf
        .new_form(c.state.config.environment, c.state.clock.now());
    let mut answer = c.render_status(
        status,
        &CodePage {
            c,
            form_token,
            next,
            challenge,
            problem,
        },
    )?;
    answer.add_cookie(&cookie).map_err(ApiError::internal)?;
    Ok(answer)
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

/// A sign-in that passed: a new session (never one the browser brought), then the page the
/// visitor was sent from, or their home.
async fn signed_in(c: &Ctx, user: UserRow, next: &str) -> Result<HttpResponse, ApiError> {
    let now = c.state.clock.now_naive();
    let home = if user.role == "enterprise" {
        "/e/"
    } else {
        "/s/"
    };
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
