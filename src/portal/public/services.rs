//! 办事指南, the service guide (PORTAL 7.3): `/services` lists the permit types that accept
//! applications, `/services/{code}` tells everything about one of them, from the type itself
//! (its mode, industries, form and the rules that decide it), so that the guide never says
//! other than what the decision does.

use actix_web::{HttpResponse, get, web};
use askama::Template;

use super::super::page::Ctx;
use crate::error::ApiError;
use crate::http::extract::Segment;
use crate::permits::PermitError;
use crate::permits::domain::{FieldDef, FieldType, PermitKind, PermitMode, TextFormat};
use crate::permits::rules::{self, Rule};
use crate::permits::types::{self, TypeCache};
use crate::reference::store::{self as reference, Table};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list).service(detail);
}

/// One service in the list.
struct Item {
    code: String,
    name: String,
    mode: Mode,
    validity: String,
}

/// How a type is decided, in words and with its badge's class.
struct Mode {
    label: String,
    class: &'static str,
    text: String,
}

fn mode_of(c: &Ctx, mode: PermitMode, kind: PermitKind, days: u32) -> Mode {
    let days = days.to_string();
    match mode {
        PermitMode::InstantApproval => Mode {
            label: c.t("pub-mode-instant_approval"),
            class: "ok",
            text: c.t(if kind.issues_certificate() {
                "pub-mode-instant_approval-text"
            } else {
                "pub-mode-instant_filing-text"
            }),
        },
        PermitMode::InstantFiling => Mode {
            label: c.t("pub-mode-instant_filing"),
            class: "ok",
            text: c.t("pub-mode-instant_filing-text"),
        },
        PermitMode::Review => Mode {
            label: c.t("pub-mode-review"),
            class: "warn",
            text: c.t1("pub-mode-review-text", "days", &days),
        },
    }
}

/// The type's name in the page's language (the stored name is the Chinese one).
fn name_of(c: &Ctx, code: &str, stored: &str) -> String {
    c.t.t_or(&format!("pub-type-{code}"), stored)
}

fn validity_of(c: &Ctx, kind: PermitKind, months: Option<u32>) -> String {
    match (kind, months) {
        (PermitKind::Filing, _) => c.t("pub-validity-none"),
        (PermitKind::Renewal, Some(m)) => c.t1("pub-validity-renewal", "months", &m.to_string()),
        (_, Some(m)) => c.t1("pub-validity-months", "months", &m.to_string()),
        (_, None) => c.t("pub-validity-keeps"),
    }
}

#[derive(Template)]
#[template(path = "portal/public/services.html")]
struct ListPage<'a> {
    c: &'a Ctx,
    items: Vec<Item>,
}

/// The service guide: every permit type that accepts applications, with how it is decided.
#[get("/services")]
async fn list(c: Ctx) -> Result<HttpResponse, ApiError> {
    let all = c.state.db.read_case(types::list).await?;
    let items = all
        .into_iter()
        .filter(|t| t.active)
        .map(|t| Item {
            mode: mode_of(&c, t.mode, t.kind, t.statutory_days),
            validity: validity_of(&c, t.kind, t.validity_months),
            name: name_of(&c, &t.code, &t.name),
            code: t.code,
        })
        .collect();
    c.render(&ListPage { c: &c, items })
}

/// One field of the form, as the guide describes it.
struct FieldLine {
    label: String,
    required: bool,
    what: String,
    /// The fields of each item of a list of objects.
    items: Vec<FieldLine>,
}

fn value_name(c: &Ctx, value: &str) -> String {
    c.t.t_or(&format!("pub-value-{value}"), value)
}

fn num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// What a field takes, in words: its type and its constraints.
fn describe(c: &Ctx, f: &FieldDef, siblings: &[FieldDef]) -> FieldLine {
    let k = &f.constraints;
    let mut parts: Vec<String> = Vec::new();
    match f.kind {
        FieldType::Text => match k.format {
            Some(TextFormat::CasNo) => parts.push(c.t("pub-field-cas")),
            Some(TextFormat::CertificateNo) => parts.push(c.t("pub-field-certificate-no")),
            None => {
                let min = k.min_length.unwrap_or(1).to_string();
                let max = k.max_length.unwrap_or(1000).to_string();
                parts.push(c.t1("pub-field-text", "range", &format!("{min}–{max}")));
            }
        },
        FieldType::Integer | FieldType::Decimal => {
            parts.push(c.t(if f.kind == FieldType::Integer {
                "pub-field-integer"
            } else {
                "pub-field-decimal"
            }));
            if let Some(gt) = k.gt {
                parts.push(c.t1("pub-field-gt", "n", &num(gt)));
            }
            if let Some(min) = k.min {
                parts.push(c.t1("pub-field-min", "n", &num(min)));
            }
            if let Some(max) = k.max {
                parts.push(c.t1("pub-field-max", "n", &num(max)));
            }
        }
        FieldType::Date => parts.push(c.t("pub-field-date")),
        FieldType::Bool => parts.push(c.t("pub-field-bool")),
        FieldType::Enum | FieldType::List if k.values.is_some() => {
            let values: Vec<String> = k
                .values
                .iter()
                .flatten()
                .map(|v| value_name(c, v))
                .collect();
            let key = if f.kind == FieldType::Enum {
                "pub-field-enum"
            } else {
                "pub-field-choices"
            };
            parts.push(c.t1(key, "values", &values.join(c.t("pub-list-sep").as_str())));
        }
        FieldType::Enum => parts.push(c.t("pub-field-text-any")),
        FieldType::List => parts.push(c.t("pub-field-list")),
    }
    if f.kind == FieldType::List
        && let (Some(min), Some(max)) = (k.min_items, k.max_items)
    {
        parts.push(c.t1("pub-field-items", "range", &format!("{min}–{max}")));
    }
    if let Some(other) = &k.after_field {
        let label = siblings
            .iter()
            .find(|s| &s.key == other)
            .map_or(other.as_str(), |s| s.label.as_str());
        parts.push(c.t1("pub-field-after", "field", label));
    }
    FieldLine {
        label: f.label.clone(),
        required: f.required,
        what: parts.join(c.t("pub-clause-sep").as_str()),
        items: k
            .item_fields
            .iter()
            .flatten()
            .map(|i| describe(c, i, k.item_fields.as_deref().unwrap_or_default()))
            .collect(),
    }
}

/// One rule that decides the type, in plain words.
struct RuleLine {
    text: String,
    /// The rule refers an application to a reviewer rather than refusing it.
    refers: bool,
}

fn rule_key(rule: Rule) -> &'static str {
    match rule {
        Rule::EnterpriseOperating => "pub-rule-enterprise_operating",
        Rule::NoSuspensionOrder => "pub-rule-no_suspension_order",
        Rule::NoOpenMajorHazard => "pub-rule-no_open_major_hazard",
        Rule::NoOverdueHazard => "pub-rule-no_overdue_hazard",
        Rule::NoUnpaidOverdueFine => "pub-rule-no_unpaid_overdue_fine",
        Rule::IndustryAllowed => "pub-rule-industry_allowed",
        Rule::TrainingOnFile => "pub-rule-training_on_file",
        Rule::EmergencyPlanOnFile => "pub-rule-emergency_plan_on_file",
        Rule::NoDuplicate => "pub-rule-no_duplicate",
        Rule::BaseCertificateValid => "pub-rule-base_certificate_valid",
        Rule::NoRecentRevocation => "pub-rule-no_recent_revocation",
        Rule::CommitmentAccepted => "pub-rule-commitment_accepted",
        Rule::HighRiskReferral => "pub-rule-high_risk_referral",
    }
}

#[derive(Template)]
#[template(path = "portal/public/service.html")]
struct DetailPage<'a> {
    c: &'a Ctx,
    code: String,
    name: String,
    active: bool,
    mode: Mode,
    validity: String,
    /// The industries that may apply; empty: every industry.
    industries: Vec<String>,
    fields: Vec<FieldLine>,
    /// What the system already holds and reads, so it is not asked.
    held: Vec<String>,
    rules: Vec<RuleLine>,
    basis: String,
    /// The licences a renewal, change or reissue continues.
    continues: Vec<String>,
}

/// One permit type's guide: how it is decided, who may apply, what the form asks and why
/// nothing else is needed, the rules in plain words, validity, legal basis, and the way to
/// apply. An unknown code is the 404 page.
#[get("/services/{code}")]
async fn detail(
    c: Ctx,
    cache: web::Data<TypeCache>,
    code: web::Path<Segment>,
) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner().into_inner();
    let (t, industries) = c
        .state
        .db
        .run(move |conn| {
            let t = cache.get(conn, &code).map_err(|e| match e {
                PermitError::UnknownType => ApiError::NotFound,
                other => other.into(),
            })?;
            Ok((t, reference::list(conn, Table::Industries)?))
        })
        .await?;
    let industry_names = t
        .industries
        .iter()
        .map(|code| {
            industries.iter().find(|i| &i.code == code).map_or_else(
                || code.clone(),
                |i| super::code_name(&c, Table::Industries, code, &i.name),
            )
        })
        .collect();
    let mut held = vec![c.t("pub-held-enterprise")];
    let applicable = rules::applicable(&t);
    if t.kind != PermitKind::Filing {
        held.push(c.t("pub-held-records"));
    }
    if applicable.contains(&Rule::TrainingOnFile) && rules::has_input(Rule::TrainingOnFile, &t) {
        held.push(c.t("pub-held-training"));
    }
    if applicable.contains(&Rule::EmergencyPlanOnFile)
        && rules::has_input(Rule::EmergencyPlanOnFile, &t)
    {
        held.push(c.t("pub-held-plan"));
    }
    if t.kind.continues_licence() {
        held.push(c.t("pub-held-certificate"));
    }
    let rules = applicable
        .into_iter()
        .filter(|r| rules::has_input(*r, &t))
        .map(|r| RuleLine {
            text: c.t1(rule_key(r), "days", &t.statutory_days.to_string()),
            refers: r == Rule::HighRiskReferral,
        })
        .collect();
    let continues = t
        .applies_to
        .iter()
        .map(|code| c.t.t_or(&format!("pub-type-{code}"), code))
        .collect();
    let page = DetailPage {
        c: &c,
        name: name_of(&c, &t.code, &t.name),
        active: t.active,
        mode: mode_of(&c, t.mode, t.kind, t.statutory_days),
        validity: validity_of(&c, t.kind, t.validity_months),
        industries: industry_names,
        fields: t
            .fields
            .iter()
            .map(|f| describe(&c, f, &t.fields))
            .collect(),
        held,
        rules,
        basis: c
            .t
            .t_or(&format!("pub-basis-{}", t.code), &c.t("pub-basis-default")),
        continues,
        code: t.code.clone(),
    };
    c.render(&page)
}
