//! Demo permits for `anjian seed demo`: applications in every state (draft, filed, approved,
//! rejected, under review, withdrawn) and a few certificates, written through the same
//! lifecycle functions as the API, with their audit events.

use chrono_tz::Tz;
use ed25519_dalek::SigningKey;
use serde_json::{Value, json};

use super::context::Ctx;
use super::domain::Decision;
use super::lifecycle;
use super::review::{self, DecisionRequest};
use crate::actor::Scope;
use crate::audit::Actor;
use crate::auth::Role;
use crate::clock::Clock;
use crate::db::DbConn;
use crate::error::{ApiError, Validator};
use crate::ids::{ApplicationId, EnterpriseId, UserId};
use crate::users::store as user_store;

/// What the demo wrote, for the summary line.
#[derive(Debug, Default)]
pub struct Summary {
    pub applications: usize,
    pub certificates: usize,
}

fn actor_of(conn: &mut DbConn, username: &str) -> Result<(Actor, Option<EnterpriseId>), ApiError> {
    let user = user_store::find_by_username(conn, username)?
        .ok_or_else(|| ApiError::internal(format!("demo user {username} missing")))?;
    let role = Role::parse(&user.role).ok_or_else(|| ApiError::internal("unknown role stored"))?;
    Ok((
        Actor::user(UserId(user.id), role),
        user.enterprise_id.map(EnterpriseId),
    ))
}

struct Demo<'a> {
    clock: &'a Clock,
    tz: Tz,
    seed: &'a SigningKey,
    summary: Summary,
}

impl Demo<'_> {
    /// Creates (and, with `submit`, submits) an application as `username`: its id, and the
    /// number of the certificate its approval issued.
    fn apply(
        &mut self,
        conn: &mut DbConn,
        username: &str,
        permit_type: &str,
        form: Value,
        submit: bool,
    ) -> Result<(ApplicationId, Option<String>), ApiError> {
        let (actor, enterprise) = actor_of(conn, username)?;
        let enterprise =
            enterprise.ok_or_else(|| ApiError::internal("not an enterprise account"))?;
        let ctx = Ctx {
            actor: &actor,
            now: self.clock.now_naive(),
            today: self.clock.today(self.tz),
            signing_key: self.seed,
        };
        let t = lifecycle::load_type(conn, permit_type)?;
        let mut v = Validator::new();
        let form = super::domain::validate_form(&t.fields, &form, submit, &mut v);
        v.finish()?;
        let draft = lifecycle::create(conn, &ctx, enterprise, &t, &form, submit)?;
        let id = ApplicationId(draft.id);
        self.summary.applications += 1;
        if !submit {
            return Ok((id, None));
        }
        let done = lifecycle::submit(conn, &ctx, Scope::All, id, true)?;
        self.summary.certificates += usize::from(done.certificate.is_some());
        Ok((id, done.certificate.map(|c| c.number)))
    }

    fn file_prerequisites(
        &mut self,
        conn: &mut DbConn,
        username: &str,
        tag: &str,
    ) -> Result<(), ApiError> {
        for (role, name) in [("principal", "王建国"), ("safety_manager", "李安全")] {
            self.apply(
                conn,
                username,
                "safety_training_filing",
                json!({"person_role": role, "person_name": name, "cert_no": format!("QDAQ-{tag}-{role}"),
                       "issued_on": "2025-03-01", "expires_on": "2028-02-28"}),
                true,
            )?;
        }
        self.apply(
            conn,
            username,
            "emergency_plan_filing",
            json!({"plan_name": "生产安全事故综合应急预案（2026版）", "approved_on": "2026-01-15", "next_drill_on": "2026-09-15"}),
            true,
        )?;
        Ok(())
    }
}

fn hazchem(tag: &str, toxic: bool) -> Value {
    json!({
        "premises_address": "黄岛区前湾港路88号办公楼3层",
        "premises_area_m2": 86.5,
        "principal_cert_no": format!("QDAQ-{tag}-principal"),
        "safety_manager_cert_no": format!("QDAQ-{tag}-safety_manager"),
        "chemicals": [
            {"name": "乙醇", "cas_no": "64-17-5"},
            {"name": "甲苯", "cas_no": "108-88-3"},
            {"name": "硫酸", "cas_no": "7664-93-9"}
        ],
        "includes_highly_toxic": toxic,
        "includes_explosive_precursors": false
    })
}

/// Writes the demo permits for the demo enterprises' accounts (`ent.haiwan`, `ent.lanhai`,
/// `ent.xiqing`) and the reviewer `reviewer.zhang`.
pub fn demo(
    conn: &mut DbConn,
    clock: &Clock,
    tz: Tz,
    signing_key: &SigningKey,
) -> Result<Summary, ApiError> {
    let mut d = Demo {
        clock,
        tz,
        seed: signing_key,
        summary: Summary::default(),
    };
    // 海湾化工: filed trainings and plan, an instant licence, a renewal refused as too early,
    // and a change still in draft.
    d.file_prerequisites(conn, "ent.haiwan", "HW")?;
    let (_, number) = d.apply(
        conn,
        "ent.haiwan",
        "hazchem_business_no_storage",
        hazchem("HW", false),
        true,
    )?;
    let number = number.ok_or_else(|| ApiError::internal("the demo licence was not approved"))?;
    d.apply(
        conn,
        "ent.haiwan",
        "hazchem_business_renewal",
        json!({"certificate_no": number}),
        true,
    )?;
    d.apply(
        conn,
        "ent.haiwan",
        "hazchem_business_change",
        json!({"certificate_no": number}),
        false,
    )?;
    // 蓝海储运: a highly toxic licence referred to review and approved by a reviewer, a storage
    // licence waiting for review, and a withdrawn major-hazard filing.
    d.file_prerequisites(conn, "ent.lanhai", "LH")?;
    let (referred, _) = d.apply(
        conn,
        "ent.lanhai",
        "hazchem_business_no_storage",
        hazchem("LH", true),
        true,
    )?;
    let (reviewer, _) = actor_of(conn, "reviewer.zhang")?;
    let ctx = Ctx {
        actor: &reviewer,
        now: clock.now_naive(),
        today: clock.today(tz),
        signing_key,
    };
    let decided = review::decide(
        conn,
        &ctx,
        referred,
        &DecisionRequest {
            decision: Decision::Approve,
            reason: "现场核查：剧毒化学品双人双锁、专库专柜管理到位，同意许可".into(),
        },
    )?;
    d.summary.certificates += usize::from(decided.certificate.is_some());
    let mut storage = hazchem("LH", false);
    if let Some(form) = storage.as_object_mut() {
        form.insert(
            "storage_address".into(),
            json!("市北区港华路12号危化品仓库"),
        );
        form.insert("storage_capacity_m3".into(), json!(1200));
    }
    d.apply(
        conn,
        "ent.lanhai",
        "hazchem_business_storage",
        storage,
        true,
    )?;
    let (draft, _) = d.apply(
        conn,
        "ent.lanhai",
        "major_hazard_source_filing",
        json!({"source_name": "甲苯储罐区"}),
        false,
    )?;
    let (owner, _) = actor_of(conn, "ent.lanhai")?;
    let ctx = Ctx {
        actor: &owner,
        now: clock.now_naive(),
        today: clock.today(tz),
        signing_key,
    };
    lifecycle::withdraw(conn, &ctx, Scope::All, draft)?;
    // 喜庆烟花: a fireworks retail licence, approved instantly.
    d.file_prerequisites(conn, "ent.xiqing", "XQ")?;
    d.apply(
        conn,
        "ent.xiqing",
        "fireworks_retail",
        json!({"premises_address": "胶州市福州南路209号", "premises_area_m2": 42, "storage_room_area_m2": 8,
               "max_stock_boxes": 150, "principal_cert_no": "QDAQ-XQ-principal",
               "safety_manager_cert_no": "QDAQ-XQ-safety_manager"}),
        true,
    )?;
    Ok(d.summary)
}
