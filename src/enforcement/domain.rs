//! The enforcement records' rules, free of I/O: the hazard levels, categories and state machine
//! (`open` → `rectified` → `verified`, or back to `open`), the five essentials of a major
//! hazard's plan, the lift-order gate, order kinds and the rectification rate.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::HazardId;
use crate::text_enum;
use crate::validate::Validator;

text_enum!(
    HazardLevel { General => "general", Major => "major" }
);
text_enum!(
    HazardCategory {
        Equipment => "equipment",
        Process => "process",
        Site => "site",
        Management => "management",
        Personnel => "personnel",
        Fire => "fire",
        Electrical => "electrical",
        Other => "other",
    }
);
text_enum!(
    /// `open` → `rectified` → `verified`, or `rectified` → `open` when rejected.
    HazardStatus { Open => "open", Rectified => "rectified", Verified => "verified" }
);
text_enum!(
    /// 停产整顿 | 停止施工.
    OrderKind { SuspendProduction => "suspend_production", StopConstruction => "stop_construction" }
);

/// A hazard is overdue when it is still open and its deadline has passed.
pub fn hazard_overdue(status: HazardStatus, deadline: NaiveDate, today: NaiveDate) -> bool {
    status == HazardStatus::Open && deadline < today
}

/// The hazard transitions by name: the state they start from and the state they reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HazardAction {
    /// The enterprise (or an inspector) reports the rectification.
    Rectify,
    /// An inspector accepts it (验收销号).
    Verify,
    /// An inspector sends it back, with a reason.
    Reject,
}

impl HazardAction {
    pub fn from_to(self) -> (HazardStatus, HazardStatus) {
        match self {
            Self::Rectify => (HazardStatus::Open, HazardStatus::Rectified),
            Self::Verify => (HazardStatus::Rectified, HazardStatus::Verified),
            Self::Reject => (HazardStatus::Rectified, HazardStatus::Open),
        }
    }

    pub fn audit_action(self) -> &'static str {
        match self {
            Self::Rectify => "rectification_reported",
            Self::Verify => "verified",
            Self::Reject => "rejected",
        }
    }

    /// The transition from `current`, or why it is refused.
    pub fn apply(self, current: HazardStatus) -> Result<HazardStatus, String> {
        let (from, to) = self.from_to();
        if current == from {
            Ok(to)
        } else {
            Err(format!(
                "the hazard is {}; only a {} hazard can be {}",
                current.as_str(),
                from.as_str(),
                match self {
                    Self::Rectify => "reported rectified",
                    Self::Verify => "verified",
                    Self::Reject => "rejected",
                }
            ))
        }
    }
}

/// The rectification plan; for a major hazard all five essentials (五到位) are required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// 措施到位
    pub measures: String,
    /// 资金到位, in fen.
    pub funds_fen: i64,
    /// 责任到位
    pub responsible_person: String,
    /// 时限到位
    pub deadline: NaiveDate,
    /// 预案到位
    pub emergency_measures: String,
}

/// A hazard as sent (inline in an inspection, or on its own).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HazardInput {
    pub description: String,
    pub level: HazardLevel,
    pub category: HazardCategory,
    /// Rectification deadline (required).
    pub deadline: Option<NaiveDate>,
    /// Required for a major hazard.
    pub plan: Option<Plan>,
}

/// A checked hazard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidHazard {
    pub description: String,
    pub level: HazardLevel,
    pub category: HazardCategory,
    pub deadline: NaiveDate,
    pub plan: Option<Plan>,
    /// 挂牌督办: every major hazard.
    pub supervised: bool,
}

/// Checks one hazard found on `found_on`, naming bad fields under `prefix` (`""`, `hazards[1].`).
pub fn validate_hazard(
    input: &HazardInput,
    found_on: NaiveDate,
    prefix: &str,
    v: &mut Validator,
) -> Option<ValidHazard> {
    let field = |name: &str| format!("{prefix}{name}");
    let description = v.text(&field("description"), &input.description, 1, 2000);
    let deadline = match input.deadline {
        None => {
            v.add(
                field("deadline"),
                "required",
                "a rectification deadline is required",
            );
            None
        }
        Some(d) if d < found_on => {
            v.add(
                field("deadline"),
                "out_of_range",
                "must not be before the day the hazard was found",
            );
            None
        }
        Some(d) => Some(d),
    };
    let plan_ok = match (&input.plan, input.level) {
        (None, HazardLevel::Major) => {
            v.add(
                field("plan"),
                "required",
                "a major hazard needs a rectification plan with the five essentials",
            );
            false
        }
        (None, HazardLevel::General) => true,
        (Some(plan), _) => validate_plan(plan, found_on, &field("plan."), v),
    };
    let description = description?;
    let deadline = deadline?;
    plan_ok.then(|| ValidHazard {
        description,
        level: input.level,
        category: input.category,
        deadline,
        plan: input.plan.clone(),
        supervised: input.level == HazardLevel::Major,
    })
}

/// The five essentials, each present and sensible.
pub fn validate_plan(plan: &Plan, found_on: NaiveDate, prefix: &str, v: &mut Validator) -> bool {
    let mut ok = true;
    ok &= v
        .text(&format!("{prefix}measures"), &plan.measures, 1, 2000)
        .is_some();
    ok &= v
        .text(
            &format!("{prefix}responsible_person"),
            &plan.responsible_person,
            1,
            100,
        )
        .is_some();
    ok &= v
        .text(
            &format!("{prefix}emergency_measures"),
            &plan.emergency_measures,
            1,
            2000,
        )
        .is_some();
    if plan.funds_fen < 0 {
        v.add(
            format!("{prefix}funds_fen"),
            "out_of_range",
            "must not be negative",
        );
        ok = false;
    }
    if plan.deadline < found_on {
        v.add(
            format!("{prefix}deadline"),
            "out_of_range",
            "must not be before the day the hazard was found",
        );
        ok = false;
    }
    ok
}

/// The lift-order gate (复工): an order is lifted only once every major hazard of the
/// enterprise is verified. `open_major` are its major hazards not yet verified; they are what
/// refuses the lift.
pub fn lift_gate(open_major: Vec<HazardId>) -> Result<(), Vec<HazardId>> {
    if open_major.is_empty() {
        Ok(())
    } else {
        Err(open_major)
    }
}

/// `verified / found`, 0 when nothing was found.
pub fn rectification_rate(verified: i64, found: i64) -> f64 {
    if found <= 0 {
        0.0
    } else {
        verified as f64 / found as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::Invalid;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn plan() -> Plan {
        Plan {
            measures: "更换泄漏阀门".into(),
            funds_fen: 500_000,
            responsible_person: "李安全".into(),
            deadline: d("2026-06-30"),
            emergency_measures: "停用储罐并设置警戒".into(),
        }
    }

    fn errors(v: Validator) -> Vec<String> {
        match v.finish() {
            Err(Invalid(e)) => e.into_iter().map(|e| e.field).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn the_hazard_lifecycle_allows_only_its_own_steps() {
        use HazardAction::*;
        use HazardStatus::*;
        assert_eq!(Rectify.apply(Open), Ok(Rectified));
        assert_eq!(Verify.apply(Rectified), Ok(Verified));
        assert_eq!(Reject.apply(Rectified), Ok(Open));
        for (action, from) in [
            (Rectify, Rectified),
            (Rectify, Verified),
            (Verify, Open),
            (Verify, Verified),
            (Reject, Open),
            (Reject, Verified),
        ] {
            assert!(action.apply(from).is_err(), "{action:?} from {from:?}");
        }
    }

    proptest! {
        #[test]
        fn no_sequence_of_actions_leaves_verified(actions in proptest::collection::vec(0u8..3, 0..20)) {
            let mut state = HazardStatus::Verified;
            for a in actions {
                let action = [HazardAction::Rectify, HazardAction::Verify, HazardAction::Reject][a as usize];
                if let Ok(next) = action.apply(state) {
                    state = next;
                }
            }
            prop_assert_eq!(state, HazardStatus::Verified);
        }

        #[test]
        fn overdue_means_open_and_late(s in 0usize..3, offset in -40i64..40) {
            let status = HazardStatus::ALL[s];
            let today = d("2026-06-01");
            let deadline = today + chrono::Duration::days(offset);
            prop_assert_eq!(
                hazard_overdue(status, deadline, today),
                status == HazardStatus::Open && offset < 0
            );
        }
    }

    #[test]
    fn a_major_hazard_needs_a_deadline_and_the_five_essentials() {
        let found = d("2026-06-01");
        let mut input = HazardInput {
            description: "液化气储罐阀门泄漏".into(),
            level: HazardLevel::Major,
            category: HazardCategory::Equipment,
            deadline: None,
            plan: None,
        };
        let mut v = Validator::new();
        assert!(validate_hazard(&input, found, "hazards[1].", &mut v).is_none());
        assert_eq!(errors(v), ["hazards[1].deadline", "hazards[1].plan"]);

        input.deadline = Some(d("2026-06-20"));
        input.plan = Some(Plan {
            funds_fen: -1,
            responsible_person: " ".into(),
            ..plan()
        });
        let mut v = Validator::new();
        assert!(validate_hazard(&input, found, "", &mut v).is_none());
        assert_eq!(errors(v), ["plan.responsible_person", "plan.funds_fen"]);

        input.plan = Some(plan());
        let mut v = Validator::new();
        let valid = validate_hazard(&input, found, "", &mut v).unwrap();
        assert!(valid.supervised);
        assert!(v.is_empty());
    }

    #[test]
    fn a_general_hazard_needs_a_deadline_not_before_it_was_found() {
        let input = HazardInput {
            description: "消防通道堵塞".into(),
            level: HazardLevel::General,
            category: HazardCategory::Fire,
            deadline: Some(d("2026-05-30")),
            plan: None,
        };
        let mut v = Validator::new();
        assert!(validate_hazard(&input, d("2026-06-01"), "", &mut v).is_none());
        assert_eq!(errors(v), ["deadline"]);
        let ok = HazardInput {
            deadline: Some(d("2026-06-01")),
            ..input
        };
        let mut v = Validator::new();
        assert!(
            !validate_hazard(&ok, d("2026-06-01"), "", &mut v)
                .unwrap()
                .supervised
        );
    }

    #[test]
    fn an_order_is_lifted_only_without_open_major_hazards() {
        assert_eq!(lift_gate(Vec::new()), Ok(()));
        assert_eq!(lift_gate(vec![HazardId(4)]), Err(vec![HazardId(4)]));
    }

    #[test]
    fn the_rectification_rate_is_zero_without_hazards() {
        assert_eq!(rectification_rate(0, 0), 0.0);
        assert_eq!(rectification_rate(3, 4), 0.75);
    }

    #[test]
    fn every_enum_round_trips_through_its_stored_text() {
        for s in HazardCategory::ALL {
            assert_eq!(HazardCategory::parse(s.as_str()), Some(*s));
        }
        for s in OrderKind::ALL {
            assert_eq!(OrderKind::parse(s.as_str()), Some(*s));
        }
        assert_eq!(HazardLevel::parse("minor"), None);
    }
}
