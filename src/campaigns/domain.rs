//! Campaign rules, free of I/O: the derived campaign status, the task board, the four group
//! modes and their constraints, the hazard state machine and its five essentials, orders and
//! the rectification rate.

use std::collections::BTreeSet;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::text_enum;
use utoipa::ToSchema;

use crate::validate::Validator;

text_enum!(
    /// `planned` before `starts_on`, `active` until `ends_on`, then `closed` (or closed early).
    CampaignStatus { Planned => "planned", Active => "active", Closed => "closed" }
);
text_enum!(
    TaskStatus { Pending => "pending", InProgress => "in_progress", Done => "done" }
);
text_enum!(
    /// 蹲点, 流动督导, 异地交叉执法, 包区（市）检查.
    GroupMode {
        Stationed => "stationed",
        Mobile => "mobile",
        CrossDistrict => "cross_district",
        DistrictPackage => "district_package",
    }
);
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

/// A campaign's status on `today` (a local date).
pub fn campaign_status(
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    closed_at: Option<NaiveDateTime>,
    today: NaiveDate,
) -> CampaignStatus {
    if closed_at.is_some() || today > ends_on {
        CampaignStatus::Closed
    } else if today < starts_on {
        CampaignStatus::Planned
    } else {
        CampaignStatus::Active
    }
}

/// A task is overdue when it is not done and its deadline has passed.
pub fn task_overdue(status: TaskStatus, deadline: NaiveDate, today: NaiveDate) -> bool {
    status != TaskStatus::Done && deadline < today
}

/// Which task status changes are allowed: anything but leaving `done`.
pub fn task_transition(from: TaskStatus, to: TaskStatus) -> Result<(), String> {
    if from == TaskStatus::Done && to != TaskStatus::Done {
        Err("a done task cannot be reopened".into())
    } else {
        Ok(())
    }
}

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

/// The constraints of an inspection group: at least two distinct members, the leader among
/// them, and a cross-district group's target district differing from its home district.
pub fn validate_group_shape(
    mode: GroupMode,
    home_district: &str,
    target_district: Option<&str>,
    leader_id: i64,
    member_ids: &[i64],
    v: &mut Validator,
) {
    let distinct: BTreeSet<i64> = member_ids.iter().copied().collect();
    if distinct.len() != member_ids.len() {
        v.add("member_ids", "duplicate", "a member is named twice");
    }
    if distinct.len() < 2 {
        v.add(
            "member_ids",
            "invalid_length",
            "enforcement needs at least two inspectors",
        );
    }
    if !distinct.contains(&leader_id) {
        v.add(
            "leader_id",
            "invalid",
            "the leader must be one of the members",
        );
    }
    if mode == GroupMode::CrossDistrict {
        match target_district {
            None => v.add(
                "target_district",
                "required",
                "a cross-district group needs a target district",
            ),
            Some(t) if t == home_district => v.add(
                "target_district",
                "invalid",
                "a cross-district group inspects a district other than its own",
            ),
            Some(_) => {}
        }
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
    fn a_campaign_is_planned_then_active_then_closed() {
        let (s, e) = (d("2026-06-01"), d("2026-06-30"));
        assert_eq!(
            campaign_status(s, e, None, d("2026-05-31")),
            CampaignStatus::Planned
        );
        assert_eq!(campaign_status(s, e, None, s), CampaignStatus::Active);
        assert_eq!(campaign_status(s, e, None, e), CampaignStatus::Active);
        assert_eq!(
            campaign_status(s, e, None, d("2026-07-01")),
            CampaignStatus::Closed
        );
        let closed = Some(NaiveDateTime::default());
        assert_eq!(
            campaign_status(s, e, closed, d("2026-06-10")),
            CampaignStatus::Closed
        );
    }

    #[test]
    fn a_task_is_overdue_only_when_not_done_and_past_its_deadline() {
        let dl = d("2026-06-10");
        assert!(!task_overdue(TaskStatus::Pending, dl, dl));
        assert!(task_overdue(TaskStatus::Pending, dl, d("2026-06-11")));
        assert!(task_overdue(TaskStatus::InProgress, dl, d("2026-06-11")));
        assert!(!task_overdue(TaskStatus::Done, dl, d("2026-06-11")));
        assert!(task_transition(TaskStatus::Done, TaskStatus::Pending).is_err());
        assert!(task_transition(TaskStatus::Pending, TaskStatus::Done).is_ok());
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
    fn groups_need_two_members_with_the_leader_and_cross_district_a_foreign_target() {
        let mut v = Validator::new();
        validate_group_shape(GroupMode::Mobile, "shinan", None, 1, &[1], &mut v);
        assert_eq!(errors(v), ["member_ids"]);
        let mut v = Validator::new();
        validate_group_shape(GroupMode::Mobile, "shinan", None, 9, &[1, 2], &mut v);
        assert_eq!(errors(v), ["leader_id"]);
        let mut v = Validator::new();
        validate_group_shape(
            GroupMode::CrossDistrict,
            "shinan",
            Some("shinan"),
            1,
            &[1, 2],
            &mut v,
        );
        assert_eq!(errors(v), ["target_district"]);
        let mut v = Validator::new();
        validate_group_shape(GroupMode::CrossDistrict, "shinan", None, 1, &[1, 2], &mut v);
        assert_eq!(errors(v), ["target_district"]);
        let mut v = Validator::new();
        validate_group_shape(
            GroupMode::CrossDistrict,
            "shinan",
            Some("laoshan"),
            1,
            &[1, 2, 2],
            &mut v,
        );
        assert_eq!(errors(v), ["member_ids"]);
        let mut v = Validator::new();
        validate_group_shape(
            GroupMode::CrossDistrict,
            "shinan",
            Some("laoshan"),
            2,
            &[1, 2],
            &mut v,
        );
        assert!(v.is_empty());
    }

    #[test]
    fn the_rectification_rate_is_zero_without_hazards() {
        assert_eq!(rectification_rate(0, 0), 0.0);
        assert_eq!(rectification_rate(3, 4), 0.75);
    }

    #[test]
    fn every_enum_round_trips_through_its_stored_text() {
        for s in CampaignStatus::ALL {
            assert_eq!(CampaignStatus::parse(s.as_str()), Some(*s));
        }
        for s in HazardCategory::ALL {
            assert_eq!(HazardCategory::parse(s.as_str()), Some(*s));
        }
        for s in GroupMode::ALL {
            assert_eq!(GroupMode::parse(s.as_str()), Some(*s));
        }
        for s in OrderKind::ALL {
            assert_eq!(OrderKind::parse(s.as_str()), Some(*s));
        }
        assert_eq!(
            TaskStatus::parse("in_progress"),
            Some(TaskStatus::InProgress)
        );
        assert_eq!(HazardLevel::parse("minor"), None);
    }
}
