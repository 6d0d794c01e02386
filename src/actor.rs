//! Who acts: the roles of the service's users and the actor an audit event records. A leaf
//! module, so that the rules, the audit trail and authentication can all name them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::UserId;

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

/// Who did it: a user with a role, the anonymous public, or the system (rules, the clock).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<UserId>,
    pub role: &'static str,
}

impl Actor {
    pub fn user(id: UserId, role: Role) -> Self {
        Self {
            user_id: Some(id),
            role: role.as_str(),
        }
    }
    pub const PUBLIC: Actor = Actor {
        user_id: None,
        role: "public",
    };
    pub const SYSTEM: Actor = Actor {
        user_id: None,
        role: "system",
    };
}
