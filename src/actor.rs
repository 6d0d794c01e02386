//! Who acts: the roles of the service's users and the actor an audit event records. A leaf
//! module, so that the rules, the audit trail and authentication can all name them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::{EnterpriseId, UserId};

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

/// Whose records a caller may read: staff every enterprise's, an enterprise user only its own.
/// Another enterprise's record is answered as if it did not exist (404, never 403).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Staff: every enterprise.
    All,
    /// An enterprise user: this enterprise only.
    Enterprise(EnterpriseId),
    /// An enterprise account not linked to an enterprise: nothing.
    Nothing,
}

impl Scope {
    /// `Some(id)` when reads are limited to one enterprise (a list's filter).
    pub fn enterprise(self) -> Option<EnterpriseId> {
        match self {
            Self::Enterprise(id) => Some(id),
            Self::All | Self::Nothing => None,
        }
    }

    pub fn sees(self, enterprise: EnterpriseId) -> bool {
        match self {
            Self::All => true,
            Self::Enterprise(own) => own == enterprise,
            Self::Nothing => false,
        }
    }

    /// The record if there is one and this caller may see it; `None` otherwise, which the caller
    /// answers as "no such record".
    pub fn visible<T>(
        self,
        record: Option<T>,
        enterprise_of: impl Fn(&T) -> EnterpriseId,
    ) -> Option<T> {
        record.filter(|r| self.sees(enterprise_of(r)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_enterprise_sees_only_its_own_records_and_staff_see_all() {
        let mine = EnterpriseId(1);
        let theirs = EnterpriseId(2);
        let own = Scope::Enterprise(mine);
        assert_eq!(own.visible(Some(mine), |e| *e), Some(mine));
        assert_eq!(own.visible(Some(theirs), |e| *e), None);
        assert_eq!(Scope::All.visible(Some(theirs), |e| *e), Some(theirs));
        assert_eq!(Scope::Nothing.visible(Some(mine), |e| *e), None);
        assert_eq!(own.enterprise(), Some(mine));
        assert_eq!(Scope::All.enterprise(), None);
    }
}
