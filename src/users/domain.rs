//! The rules of accounts, free of I/O.

use crate::actor::Role;
use crate::ids::EnterpriseId;

/// A username: 3 to 64 characters of lower-case letters, digits, `.`, `_` and `-`, starting with
/// a letter or digit. Stored lower-cased, so logins are case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    /// The longest username, in characters.
    pub const MAX_CHARS: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let name = raw.trim().to_lowercase();
        let len = name.chars().count();
        if !(3..=Self::MAX_CHARS).contains(&len) {
            return Err("must be 3 to 64 characters");
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        {
            return Err("may contain only letters, digits, '.', '_' and '-'");
        }
        if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err("must start with a letter or digit");
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `enterprise_id` is required for, and only for, role `enterprise`.
pub fn check_role_binding(
    role: Role,
    enterprise_id: Option<EnterpriseId>,
) -> Result<(), &'static str> {
    match (role, enterprise_id) {
        (Role::Enterprise, None) => Err("is required for role enterprise"),
        (Role::Enterprise, Some(_)) => Ok(()),
        (_, Some(_)) => Err("is allowed only for role enterprise"),
        (_, None) => Ok(()),
    }
}

/// An account as it is, or as a change would leave it: what the session and admin rules read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub role: Role,
    pub enterprise_id: Option<EnterpriseId>,
    pub disabled: bool,
}

/// Whether a change takes an enabled admin away (the account is disabled or demoted): the last
/// one must stay.
pub fn loses_admin(before: Standing, after: Standing) -> bool {
    before.role == Role::Admin && !before.disabled && (after.role != Role::Admin || after.disabled)
}

/// Whether a change ends every session of the account (its token version moves on): a new
/// password, role, enterprise or disabled flag does.
pub fn ends_sessions(before: Standing, after: Standing, password_changed: bool) -> bool {
    before != after || password_changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(
            Username::parse(" Zhang.San ").unwrap().as_str(),
            "zhang.san"
        );
        for bad in ["ab", "-lead", "has space", "名字", &"a".repeat(65)] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_enterprise_accounts_are_bound_to_an_enterprise() {
        assert!(check_role_binding(Role::Enterprise, Some(EnterpriseId(1))).is_ok());
        assert!(check_role_binding(Role::Enterprise, None).is_err());
        assert!(check_role_binding(Role::Inspector, Some(EnterpriseId(1))).is_err());
        assert!(check_role_binding(Role::Admin, None).is_ok());
    }

    #[test]
    fn demoting_or_disabling_an_enabled_admin_loses_an_admin_and_ends_its_sessions() {
        let admin = Standing {
            role: Role::Admin,
            enterprise_id: None,
            disabled: false,
        };
        let demoted = Standing {
            role: Role::Reviewer,
            ..admin
        };
        let disabled = Standing {
            disabled: true,
            ..admin
        };
        assert!(loses_admin(admin, demoted));
        assert!(loses_admin(admin, disabled));
        assert!(!loses_admin(admin, admin));
        assert!(
            !loses_admin(disabled, demoted),
            "a disabled admin is no admin to lose"
        );
        assert!(ends_sessions(admin, demoted, false));
        assert!(!ends_sessions(admin, admin, false));
        assert!(ends_sessions(admin, admin, true));
    }
}
