//! Who is calling. Authentication is an extractor in the handler's signature and the roles a
//! route admits are its type parameter (`Auth<Admin>`, `Auth<Staff>`, …), so a handler cannot
//! forget to check. An enterprise user's reads are scoped by its `EnterpriseId`.

pub mod handlers;
pub mod password;
pub mod sessions;
pub mod signin;
pub mod throttle;
pub mod token;

use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

pub use crate::actor::{Actor, Role, Scope};
use crate::db::DbConn;
use crate::error::ApiError;
use crate::ids::{EnterpriseId, UserId};
use crate::state::AppState;
use crate::users::store::{self as user_store, Account};

/// The signed-in user, as the database knows it now (not as the token remembers it).
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: UserId,
    pub username: String,
    pub role: Role,
    pub enterprise_id: Option<EnterpriseId>,
    pub display_name: String,
}

impl CurrentUser {
    pub fn actor(&self) -> Actor {
        Actor::user(self.id, self.role)
    }

    /// `Some(id)` when the caller is an enterprise user: its reads are limited to that enterprise.
    pub fn enterprise_scope(&self) -> Option<EnterpriseId> {
        if self.role == Role::Enterprise {
            self.enterprise_id
        } else {
            None
        }
    }

    /// Whose records the caller may read (`Scope::visible` answers another's as absent).
    pub fn scope(&self) -> Scope {
        match (self.role, self.enterprise_id) {
            (Role::Enterprise, Some(id)) => Scope::Enterprise(id),
            (Role::Enterprise, None) => Scope::Nothing,
            _ => Scope::All,
        }
    }

    /// Whether the caller may see records of `enterprise`: staff see all, an enterprise only its own.
    pub fn can_see(&self, enterprise: EnterpriseId) -> bool {
        self.role.is_staff() || self.enterprise_id == Some(enterprise)
    }
}

/// The roles a route admits.
pub trait Policy {
    const ROLES: &'static [Role];
}

macro_rules! policy {
    ($($(#[$doc:meta])* $name:ident => [$($role:ident),+];)*) => {$(
        $(#[$doc])*
        pub enum $name {}
        impl Policy for $name {
            const ROLES: &'static [Role] = &[$(Role::$role),+];
        }
    )*};
}

policy! {
    /// Bureau administrators.
    Admin => [Admin];
    /// Admin, reviewer, inspector.
    Staff => [Admin, Reviewer, Inspector];
    /// Those who decide permits on the review path.
    Reviewers => [Admin, Reviewer];
    /// Those who inspect, and handle reports.
    Inspectors => [Admin, Inspector];
    /// Enterprise accounts only.
    EnterpriseOnly => [Enterprise];
    /// Inspectors, admin and enterprise accounts (acting on their own records).
    InspectorsOrEnterprise => [Admin, Inspector, Enterprise];
    /// Anyone signed in.
    Anyone => [Admin, Reviewer, Inspector, Enterprise];
}

/// An authenticated caller whose role is among `P::ROLES`; 401 without a valid token, 403 for
/// another role.
pub struct Auth<P: Policy> {
    pub user: CurrentUser,
    _policy: PhantomData<P>,
}

impl<P: Policy> std::ops::Deref for Auth<P> {
    type Target = CurrentUser;
    fn deref(&self) -> &CurrentUser {
        &self.user
    }
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// The claims of the request's bearer token: signature, algorithm and expiry checked, nothing
/// read from the database yet. 401 without a valid token; 403 `totp_enrolment_required` for
/// the limited token of a sign-in that must enrol a second factor first.
fn verified_claims(req: &HttpRequest) -> Result<(web::Data<AppState>, TokenClaims), ApiError> {
    let (state, claims) = any_verified_claims(req)?;
    if claims.enrolment_only {
        return Err(ApiError::TotpEnrolmentRequired);
    }
    Ok((state, claims))
}

/// [`verified_claims`], the limited enrolment token included.
fn any_verified_claims(req: &HttpRequest) -> Result<(web::Data<AppState>, TokenClaims), ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("application state missing"))?
        .clone();
    let token = bearer(req).ok_or(ApiError::Unauthorized)?;
    let claims = state
        .tokens
        .decode(&token, state.clock.now())
        .ok_or(ApiError::Unauthorized)?;
    let user_id = claims.sub.parse().map_err(|_| ApiError::Unauthorized)?;
    let role = Role::parse(&claims.role).ok_or(ApiError::Unauthorized)?;
    let enrolment_only = match claims.scp.as_deref() {
        None => false,
        Some(token::ENROLMENT_SCOPE) => true,
        Some(_) => return Err(ApiError::Unauthorized),
    };
    Ok((
        state,
        TokenClaims {
            user_id: UserId(user_id),
            role,
            enterprise_id: claims.ent.map(EnterpriseId),
            version: claims.ver,
            enrolment_only,
        },
    ))
}

/// What a verified token says about its holder.
#[derive(Debug, Clone, Copy)]
struct TokenClaims {
    user_id: UserId,
    role: Role,
    enterprise_id: Option<EnterpriseId>,
    version: i32,
    /// The limited token of a sign-in that must enrol a second factor first.
    enrolment_only: bool,
}

/// The token's holder as the database knows it now: disabled accounts and tokens older than
/// the account's token version are refused (401).
fn current_user(conn: &mut DbConn, claims: TokenClaims) -> Result<CurrentUser, ApiError> {
    admit(
        user_store::account(conn, claims.user_id)?,
        claims.user_id,
        claims.version,
    )
}

/// The holder of a token or a portal session of account `user_id` at token version `version`
/// as `account`, read just now by that id, stands: a missing or disabled account, another
/// account, or a token (or session) older than the account's token version is refused (401).
/// An account's role or enterprise changing ends its tokens and sessions (a new version).
pub(crate) fn admit(
    account: Option<Account>,
    user_id: UserId,
    version: i32,
) -> Result<CurrentUser, ApiError> {
    match account {
        Some(user) if user.id == user_id.0 && !user.disabled && version >= user.token_version => {
            Ok(CurrentUser {
                id: UserId(user.id),
                role: Role::parse(&user.role)
                    .ok_or_else(|| ApiError::internal("unknown role stored"))?,
                enterprise_id: user.enterprise_id.map(EnterpriseId),
                username: user.username,
                display_name: user.display_name,
            })
        }
        _ => Err(ApiError::Unauthorized),
    }
}

/// Resolves the caller from the bearer token: signature, algorithm, expiry, then the user's
/// current state in the database (disabled users and older token versions are refused).
pub async fn authenticate(req: &HttpRequest) -> Result<CurrentUser, ApiError> {
    let (state, claims) = verified_claims(req)?;
    state.db.run(move |conn| current_user(conn, claims)).await
}

pub(crate) fn admitted<P: Policy>(user: CurrentUser) -> Result<Auth<P>, ApiError> {
    if !P::ROLES.contains(&user.role) {
        return Err(ApiError::Forbidden);
    }
    Ok(Auth {
        user,
        _policy: PhantomData,
    })
}

impl<P: Policy + 'static> FromRequest for Auth<P> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { admitted(authenticate(&req).await?) })
    }
}

/// A caller whose token is verified but whose account is not read yet, for the busiest routes:
/// the handler confirms it in its own database call ([`Caller::confirm`]), or from its own read
/// of the account ([`Caller::confirm_read`], an instant application's rule inputs), before it
/// writes or answers anything, which saves each request a trip to the blocking pool and a
/// round trip of its own.
///
/// The answers are those of [`Auth`]: 401 without a valid token, for a disabled account or a
/// revoked token, 403 for another role. A token whose role is admitted goes on to the handler
/// unread; one whose role is not (rare) is read at once, as [`Auth`] reads it, so that a revoked
/// token still answers 401 rather than 403. The one difference: for a revoked token of an
/// admitted role, the errors of the request itself (a bad query, header or body: 400, 413, 415,
/// 422) come before its 401. They tell the holder nothing the public API description does not.
pub struct Caller<P: Policy> {
    claims: TokenClaims,
    _policy: PhantomData<P>,
}

impl<P: Policy> Caller<P> {
    /// The account the token was issued to, not yet confirmed: fit for naming things (an
    /// idempotency key's scope), never for deciding what the caller may see or do; that is
    /// what [`Caller::confirm`] is for.
    pub fn unconfirmed_user_id(&self) -> UserId {
        self.claims.user_id
    }

    /// The caller as the database knows it now, in the caller's own transaction or read:
    /// 401 for a disabled account or a revoked token, 403 for a role the route does not admit.
    pub fn confirm(&self, conn: &mut DbConn) -> Result<Auth<P>, ApiError> {
        admitted(current_user(conn, self.claims)?)
    }

    /// The enterprise the token was issued for, not yet confirmed: fit for a read that also
    /// reads the caller's account ([`Caller::confirm_read`]), never for deciding anything.
    pub fn unconfirmed_enterprise_id(&self) -> Option<EnterpriseId> {
        self.claims.enterprise_id
    }

    /// [`Caller::confirm`] from the caller's account as a read of the request's own just read
    /// it, by [`Caller::unconfirmed_user_id`]: the same answers, without a read of its own.
    pub fn confirm_read(&self, account: Option<Account>) -> Result<Auth<P>, ApiError> {
        admitted(admit(account, self.claims.user_id, self.claims.version)?)
    }
}

impl<P: Policy + 'static> FromRequest for Caller<P> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verified = verified_claims(req);
        Box::pin(async move {
            let (state, claims) = verified?;
            if !P::ROLES.contains(&claims.role) {
                // The account says whether this is a revoked token (401) or another role (403).
                let user = state.db.run(move |conn| current_user(conn, claims)).await?;
                admitted::<P>(user)?;
            }
            Ok(Caller {
                claims,
                _policy: PhantomData,
            })
        })
    }
}

/// Anyone signed in, with an ordinary token or with the limited one a sign-in answers when the
/// account's role must enrol a second factor first (`ANJIAN_REQUIRE_TOTP`): for the enrolment
/// routes only. The account is read as [`Auth`] reads it (401 for a revoked token).
pub struct Enrolling {
    pub user: CurrentUser,
}

impl std::ops::Deref for Enrolling {
    type Target = CurrentUser;
    fn deref(&self) -> &CurrentUser {
        &self.user
    }
}

impl FromRequest for Enrolling {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verified = any_verified_claims(req);
        Box::pin(async move {
            let (state, claims) = verified?;
            let user = state.db.run(move |conn| current_user(conn, claims)).await?;
            Ok(Enrolling { user })
        })
    }
}
