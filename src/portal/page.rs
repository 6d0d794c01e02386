//! What every page handler starts from: the visitor's language, their session if any, the
//! form token, and the rendering of a template into a response with the portal's rules
//! (HTML, the language cookie, `no-store`).

use std::marker::PhantomData;

use actix_web::cookie::Cookie;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};
use askama::Template;
use futures_util::future::LocalBoxFuture;

use super::assets;
use super::i18n::{LANG_COOKIE, Lang, Tr};
use super::session;
use crate::auth::{CurrentUser, Policy, Role};
use crate::error::{ApiError, FieldError};
use crate::state::AppState;

/// The cookie of the larger-text mode (适老化, GB/T 37668).
pub const TEXT_COOKIE: &str = "text";

/// A page's context: who asks, in which language, and the token their forms carry.
pub struct Ctx {
    pub state: web::Data<AppState>,
    pub t: Tr,
    /// The address asked for, path and query (for the language switch and `next`).
    pub here: String,
    pub path: String,
    pub user: Option<CurrentUser>,
    /// The token of the visitor's session, for its forms (sign-out among them).
    pub csrf: Option<String>,
    /// Larger text (20 px base).
    pub large: bool,
    /// Cookies to set with the page (a language or text size chosen just now).
    remember: Vec<Cookie<'static>>,
}

impl Ctx {
    pub(super) fn build(
        req: &HttpRequest,
        state: web::Data<AppState>,
        signed: Option<session::Signed>,
    ) -> Self {
        let (lang, chosen) = Lang::of_request(req);
        let mut remember = Vec::new();
        if chosen {
            remember.push(long_cookie(LANG_COOKIE, lang.tag()));
        }
        let asked_size = form_urlencoded::parse(req.query_string().as_bytes())
            .find(|(k, _)| k == "text")
            .map(|(_, v)| v == "large");
        let large = match asked_size {
            Some(large) => {
                remember.push(long_cookie(
                    TEXT_COOKIE,
                    if large { "large" } else { "normal" },
                ));
                large
            }
            None => req
                .cookie(TEXT_COOKIE)
                .is_some_and(|c| c.value() == "large"),
        };
        let csrf = signed.as_ref().map(|s| state.csrf.session_token(&s.id));
        let here = match req.query_string() {
            "" => req.path().to_owned(),
            q => format!("{}?{q}", req.path()),
        };
        Self {
            t: Tr::new(lang),
            here,
            path: req.path().to_owned(),
            user: signed.map(|s| s.user),
            csrf,
            large,
            remember,
            state,
        }
    }

    /// The text of `key` in the page's language.
    pub fn t(&self, key: &str) -> String {
        self.t.t(key)
    }

    /// The text of `key` with `{ $name }` set to `value`.
    pub fn t1(&self, key: &str, name: &str, value: &str) -> String {
        self.t.t1(key, name, value)
    }

    pub fn lang(&self) -> &'static str {
        self.t.lang.tag()
    }

    pub fn css(&self) -> &'static str {
        assets::css()
    }

    pub fn js(&self) -> &'static str {
        assets::js()
    }

    pub fn icon(&self) -> &'static str {
        assets::icon()
    }

    /// This page in the other language.
    pub fn other_lang_href(&self) -> String {
        with_param(&self.here, "lang", self.t.lang.other().tag())
    }

    /// The other language's name, in that language.
    pub fn other_lang_name(&self) -> &'static str {
        match self.t.lang.other() {
            Lang::Zh => "中文",
            Lang::En => "English",
        }
    }

    /// This page with the text size switched.
    pub fn text_size_href(&self) -> String {
        with_param(
            &self.here,
            "text",
            if self.large { "normal" } else { "large" },
        )
    }

    /// The signed-in user's home: the workbench or the staff home.
    pub fn home_href(&self) -> &'static str {
        match self.user.as_ref().map(|u| u.role) {
            Some(Role::Enterprise) => "/e/",
            Some(_) => "/s/",
            None => "/",
        }
    }

    pub fn signed_in(&self) -> bool {
        self.user.is_some()
    }

    /// The signed-in user's name as shown in the header.
    pub fn user_name(&self) -> &str {
        self.user.as_ref().map_or("", |u| {
            if u.display_name.is_empty() {
                &u.username
            } else {
                &u.display_name
            }
        })
    }

    pub fn csrf_token(&self) -> &str {
        self.csrf.as_deref().unwrap_or("")
    }

    /// The response for a rendered template: HTML, `no-store` (signed-in pages and report
    /// pages must not be kept; the rest gain little from it), with the cookies to remember.
    pub fn render(&self, page: &impl Template) -> Result<HttpResponse, ApiError> {
        self.render_status(actix_web::http::StatusCode::OK, page)
    }

    /// [`Ctx::render`] with another status (a form with its problems is 422).
    pub fn render_status(
        &self,
        status: actix_web::http::StatusCode,
        page: &impl Template,
    ) -> Result<HttpResponse, ApiError> {
        let html = page.render().map_err(ApiError::internal)?;
        let mut answer = HttpResponse::build(status);
        answer
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"));
        for cookie in &self.remember {
            answer.cookie(cookie.clone());
        }
        Ok(answer.body(html))
    }

    /// A redirect after a form (303: the browser asks for the page with GET).
    pub fn see_other(&self, to: &str) -> HttpResponse {
        let mut answer = HttpResponse::SeeOther();
        answer.insert_header((header::LOCATION, to.to_owned()));
        for cookie in &self.remember {
            answer.cookie(cookie.clone());
        }
        answer.finish()
    }
}

fn long_cookie(name: &'static str, value: &str) -> Cookie<'static> {
    Cookie::build(name, value.to_owned())
        .path("/")
        .same_site(actix_web::cookie::SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::days(365))
        .finish()
}

/// `address` with the query parameter `name` set to `value` (replacing it if present).
pub fn with_param(address: &str, name: &str, value: &str) -> String {
    let (path, query) = address.split_once('?').unwrap_or((address, ""));
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        if k != name {
            out.append_pair(&k, &v);
        }
    }
    out.append_pair(name, value);
    format!("{path}?{}", out.finish())
}

/// A page open to everyone; the session is read when the visitor has one.
impl FromRequest for Ctx {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = session::state_of(&req)?;
            let signed = session::of_request(&state, &req).await?;
            Ok(Ctx::build(&req, state, signed))
        })
    }
}

/// A page for the roles of `P`, signed in: a visitor without a session is sent to sign in
/// (and back here after), one of another role gets the 403 page.
pub struct Signed<P: Policy> {
    pub ctx: Ctx,
    pub user: CurrentUser,
    _policy: PhantomData<P>,
}

impl<P: Policy> std::ops::Deref for Signed<P> {
    type Target = Ctx;
    fn deref(&self) -> &Ctx {
        &self.ctx
    }
}

impl<P: Policy + 'static> FromRequest for Signed<P> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = session::state_of(&req)?;
            let signed = session::of_request(&state, &req)
                .await?
                .ok_or(ApiError::Unauthorized)?;
            let user = crate::auth::admitted::<P>(signed.user.clone())?.user;
            req.extensions_mut().insert(SignedIn);
            Ok(Signed {
                ctx: Ctx::build(&req, state, Some(signed)),
                user,
                _policy: PhantomData,
            })
        })
    }
}

/// Marks a request whose session stood (the error pages then offer the way home).
#[derive(Clone, Copy)]
pub struct SignedIn;

/// A submitted form: its fields as sent, in order, and the CSRF check done.
pub struct Form {
    pub fields: Vec<(String, String)>,
}

impl Form {
    /// Reads an urlencoded body and checks it against `expected` (the session's or the public
    /// form's token) and the same-origin rule: 403 otherwise.
    pub fn read(
        req: &HttpRequest,
        body: &web::Bytes,
        expected: Option<&str>,
    ) -> Result<Self, ApiError> {
        let fields: Vec<(String, String)> = form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let sent = fields
            .iter()
            .find(|(k, _)| k == super::csrf::FIELD)
            .map(|(_, v)| v.as_str());
        super::csrf::check(req, expected, sent)?;
        Ok(Self { fields })
    }

    /// The first value of `name`, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> String {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    }

    /// Every value of `name` (repeated fields, checkboxes).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.to_owned())
            .collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.fields.iter().any(|(k, _)| k == name)
    }
}

/// A form's problems by field, as the API names them, in the page's language.
#[derive(Default)]
pub struct Problems {
    pub items: Vec<FieldError>,
}

impl Problems {
    /// The field errors of a 422, or the error itself when it is something else.
    pub fn from_error(err: ApiError) -> Result<Self, ApiError> {
        match err {
            ApiError::Validation(items) => Ok(Self { items }),
            other => Err(other),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The messages of `field` (and of its sub-fields, `field.x` or `field[0]`).
    pub fn of(&self, field: &str) -> Vec<String> {
        self.items
            .iter()
            .filter(|e| {
                e.field == field
                    || e.field
                        .strip_prefix(field)
                        .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
            })
            .map(|e| e.message.clone())
            .collect()
    }

    /// Whether `field` has a problem (for `aria-invalid`).
    pub fn has(&self, field: &str) -> bool {
        !self.of(field).is_empty()
    }
}
