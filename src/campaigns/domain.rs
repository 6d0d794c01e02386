//! Campaign rules, free of I/O: the derived campaign status, the task board, and the four
//! group modes and their constraints. The enforcement records' rules (hazards, orders) are in
//! `crate::enforcement::domain`.

use std::collections::BTreeSet;

use chrono::{NaiveDate, NaiveDateTime};

use crate::text_enum;
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

/// Which task status changes are allowed: anything but leaving `done` or completing a done
/// task again.
pub fn task_transition(from: TaskStatus, to: TaskStatus) -> Result<(), String> {
    if from == TaskStatus::Done {
        // Completion happens once: of concurrent completions one wins, the others get 409.
        Err(if to == TaskStatus::Done {
            "the task is already done".into()
        } else {
            "a done task cannot be reopened".into()
        })
    } else {
        Ok(())
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::Invalid;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
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
        assert!(task_transition(TaskStatus::Done, TaskStatus::Done).is_err());
        assert!(task_transition(TaskStatus::InProgress, TaskStatus::InProgress).is_ok());
        assert!(task_transition(TaskStatus::Pending, TaskStatus::Done).is_ok());
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
    fn every_enum_round_trips_through_its_stored_text() {
        for s in CampaignStatus::ALL {
            assert_eq!(CampaignStatus::parse(s.as_str()), Some(*s));
        }
        for s in GroupMode::ALL {
            assert_eq!(GroupMode::parse(s.as_str()), Some(*s));
        }
        assert_eq!(
            TaskStatus::parse("in_progress"),
            Some(TaskStatus::InProgress)
        );
    }
}
