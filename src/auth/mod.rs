//! Who is calling. Authentication is an extractor in the handler's signature and the roles a
//! route admits are its type parameter (`Auth<Admin>`, `Auth<Staff>`, …), so a handler cannot
//! forget to check. An enterprise user's reads are scoped by its `EnterpriseId`.

pub mod handlers;
pub mod password;
pub mod throttle;
pub mod token;

use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::Actor;
use crate::error::ApiError;
use crate::ids::{EnterpriseId, UserId};
use crate::state::AppState;
use crate::users::store as user_store;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Reviewer,
    Inspector,
    Enterprise,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Admin,
        Role::Reviewer,
        Role::Inspector,
        Role::Enterprise,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Reviewer => "reviewer",
            Self::Inspector => "inspector",
            Self::Enterprise => "enterprise",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn is_staff(self) -> bool {
        !matches!(self, Self::Enterprise)
    }
}

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

/// Resolves the caller from the bearer token: signature, algorithm, expiry, then the user's
/// current state in the database (disabled users and older token versions are refused).
pub async fn authenticate(req: &HttpRequest) -> Result<CurrentUser, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("application state missing"))?
        .clone();
    let token = bearer(req).ok_or(ApiError::Unauthorized)?;
    let claims = state
        .tokens
        .decode(&token, state.clock.now())
        .ok_or(ApiError::Unauthorized)?;
    let user_id: i64 = claims.sub.parse().map_err(|_| ApiError::Unauthorized)?;
    let row = state
        .db
        .run(move |conn| user_store::find(conn, UserId(user_id)))
        .await?;
    match row {
        Some(user) if !user.disabled && claims.ver >= user.token_version => Ok(CurrentUser {
            id: UserId(user.id),
            role: Role::parse(&user.role)
                .ok_or_else(|| ApiError::internal("unknown role stored"))?,
            enterprise_id: user.enterprise_id.map(EnterpriseId),
            username: user.username,
            display_name: user.display_name,
        }),
        _ => Err(ApiError::Unauthorized),
    }
}

impl<P: Policy + 'static> FromRequest for Auth<P> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let user = authenticate(&req).await?;
            if !P::ROLES.contains(&user.role) {
                return Err(ApiError::Forbidden);
            }
            Ok(Auth {
                user,
                _policy: PhantomData,
            })
        })
    }
}
