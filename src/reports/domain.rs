//! Whistleblower reports and rewards, free of I/O: the enumerations and their stored text, the
//! receipt, the handling state machine, and the reward calculation (SPEC 5.3) as one pure
//! function over plain data.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::text_enum;
use crate::validate::Validator;
use utoipa::ToSchema;

pub use crate::ids::{ReportId, RewardId, RuleId};

text_enum!(
    /// What a report is about (SPEC 5.1).
    Category {
        /// 一般事故隐患
        GeneralHazard => "general_hazard",
        /// 重大事故隐患
        MajorHazard => "major_hazard",
        /// 非法违法生产经营建设
        IllegalProduction => "illegal_production",
        /// 瞒报、谎报事故
        ConcealedAccident => "concealed_accident",
        /// 迟报、漏报事故
        LateReport => "late_report",
        Other => "other",
    }
);

impl Category {
    /// The two accident categories, rewarded per concealed death.
    pub fn is_accident(self) -> bool {
        matches!(self, Self::ConcealedAccident | Self::LateReport)
    }
}

text_enum!(
    /// Where a report stands (SPEC 5.2).
    ReportStatus {
        Received => "received",
        Assigned => "assigned",
        Investigating => "investigating",
        Substantiated => "substantiated",
        Unsubstantiated => "unsubstantiated",
        Duplicate => "duplicate",
    }
);

impl ReportStatus {
    pub fn is_concluded(self) -> bool {
        matches!(
            self,
            Self::Substantiated | Self::Unsubstantiated | Self::Duplicate
        )
    }
}

text_enum!(
    /// The conclusion of an investigation.
    Outcome {
        Substantiated => "substantiated",
        Unsubstantiated => "unsubstantiated",
        /// Names `duplicate_of`, an earlier report on the same matter.
        Duplicate => "duplicate",
    }
);

impl Outcome {
    pub fn status(self) -> ReportStatus {
        match self {
            Self::Substantiated => ReportStatus::Substantiated,
            Self::Unsubstantiated => ReportStatus::Unsubstantiated,
            Self::Duplicate => ReportStatus::Duplicate,
        }
    }
}

text_enum!(
    /// Accident grade (生产安全事故等级).
    AccidentGrade {
        /// 一般
        General => "general",
        /// 较大
        Larger => "larger",
        /// 重大
        Major => "major",
        /// 特别重大
        EspeciallyMajor => "especially_major",
    }
);

text_enum!(
    /// A reward's state: `decided → claimed → paid`, or `decided → lapsed` after 60 days.
    RewardStatus {
        Decided => "decided",
        Claimed => "claimed",
        Paid => "paid",
        Lapsed => "lapsed",
    }
);

text_enum!(
    /// The kind of an amount rule.
    RuleKind {
        /// A fixed amount.
        Fixed => "fixed",
        /// A share of the fines of the penalties the report led to.
        FineShare => "fine_share",
        /// An amount per concealed death, by accident grade.
        PerDeath => "per_death",
        /// No reward.
        None => "none",
    }
);

text_enum!(
    /// Who wrote a report message.
    Direction {
        FromReporter => "from_reporter",
        ToReporter => "to_reporter",
        Internal => "internal",
    }
);

/// Days a decided reward may be claimed.
pub const CLAIM_DAYS: i64 = 60;

/// The last day a reward decided on `decided_on` may be claimed.
pub fn claim_deadline(decided_on: NaiveDate) -> NaiveDate {
    decided_on + chrono::Duration::days(CLAIM_DAYS)
}

/// The state a reader sees: a `decided` reward whose deadline has passed is `lapsed`, even
/// before the housekeeping has written it down.
pub fn effective_reward_status(
    stored: RewardStatus,
    deadline: NaiveDate,
    today: NaiveDate,
) -> RewardStatus {
    if stored == RewardStatus::Decided && today > deadline {
        RewardStatus::Lapsed
    } else {
        stored
    }
}

// ---------------------------------------------------------------------------------------------
// Receipts

/// The reporter's only key: 16 decimal digits.
#[derive(Clone, PartialEq, Eq)]
pub struct Receipt(String);

impl std::fmt::Debug for Receipt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Receipt(****)")
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a receipt is 16 digits")]
pub struct BadReceipt;

impl Receipt {
    pub const DIGITS: usize = 16;

    pub fn parse(s: &str) -> Result<Self, BadReceipt> {
        let s = s.trim();
        if s.len() == Self::DIGITS && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(BadReceipt)
        }
    }

    /// 16 digits from the operating system's random source.
    pub fn generate() -> Self {
        use rand::Rng;
        let mut rng = rand::rngs::OsRng;
        Self(
            (0..Self::DIGITS)
                .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
                .collect(),
        )
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// ---------------------------------------------------------------------------------------------
// Handling

/// The states from which `action` may move a report, and the state it moves it to (for
/// `Conclude`, the target is the outcome's: [`Outcome::status`]).
pub fn transition(action: Action) -> (&'static [ReportStatus], Option<ReportStatus>) {
    use ReportStatus::*;
    match action {
        // Reassigning an assigned report is allowed; once work has started it is not.
        Action::Assign => (&[Received, Assigned], Some(Assigned)),
        Action::Start => (&[Assigned], Some(Investigating)),
        // The target depends on the outcome.
        Action::Conclude => (&[Investigating], None),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Assign,
    Start,
    Conclude,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Self::Assign => "assign",
            Self::Start => "start",
            Self::Conclude => "conclude",
        }
    }
}

/// Whether `action` may be taken on a report in `from`.
pub fn may(action: Action, from: ReportStatus) -> bool {
    transition(action).0.contains(&from)
}

/// What may happen to a reward: `decided → claimed → paid`, or `decided → lapsed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RewardAction {
    /// The reporter names the payee, within the claim period.
    Claim,
    /// An administrator records the payment of a claimed reward.
    Pay,
    /// The claim period ended unclaimed (the system writes it down).
    Lapse,
}

impl RewardAction {
    /// The state the action starts from and the one it leads to.
    pub fn transition(self) -> (RewardStatus, RewardStatus) {
        use RewardStatus::*;
        match self {
            Self::Claim => (Decided, Claimed),
            Self::Pay => (Claimed, Paid),
            Self::Lapse => (Decided, Lapsed),
        }
    }

    /// Whether the action may be taken on a reward stored as `from`.
    pub fn may(self, from: RewardStatus) -> bool {
        self.transition().0 == from
    }
}

// ---------------------------------------------------------------------------------------------
// Rewards

/// Basis points: 10,000 = 100%.
pub const BP: i64 = 10_000;

/// The employee's uplift (SPEC 5.3): an employee reporting its own employer gets 20 % more,
/// unless the category's rule names another rate.
pub const DEFAULT_UPLIFT_BP: i32 = 2_000;

/// A rule's employee uplift from the rate sent (a fraction, 0 to 1): the default when none is
/// sent, `None` when the rate is out of range.
pub fn uplift_bp(rate: Option<f64>) -> Option<i32> {
    match rate {
        None => Some(DEFAULT_UPLIFT_BP),
        Some(r) if r.is_finite() && (0.0..=1.0).contains(&r) => {
            Some((r * BP as f64).round() as i32)
        }
        Some(_) => None,
    }
}

/// One amount rule: a category default or a reward situation's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmountRule {
    pub kind: RuleKind,
    pub amount_fen: Option<i64>,
    pub rate_bp: Option<i32>,
    /// By grade: general, larger, major, especially major.
    pub per_death_fen: Option<[i64; 4]>,
    pub floor_fen: Option<i64>,
    pub cap_fen: Option<i64>,
}

impl AmountRule {
    pub fn per_death(&self, grade: AccidentGrade) -> Option<i64> {
        let table = self.per_death_fen?;
        Some(match grade {
            AccidentGrade::General => table[0],
            AccidentGrade::Larger => table[1],
            AccidentGrade::Major => table[2],
            AccidentGrade::EspeciallyMajor => table[3],
        })
    }

    /// The rule's figures are consistent with its kind.
    pub fn check(&self) -> Result<(), &'static str> {
        let ok = match self.kind {
            RuleKind::Fixed => self.amount_fen.is_some_and(|a| a >= 0),
            RuleKind::FineShare => self.rate_bp.is_some_and(|r| r > 0 && i64::from(r) <= BP),
            RuleKind::PerDeath => self
                .per_death_fen
                .is_some_and(|t| t.iter().all(|v| *v >= 0)),
            RuleKind::None => true,
        };
        if !ok {
            return Err(match self.kind {
                RuleKind::Fixed => "a fixed rule needs amount_fen",
                RuleKind::FineShare => "a fine_share rule needs a rate above 0 and at most 1",
                RuleKind::PerDeath => "a per_death rule needs the amount for every grade",
                RuleKind::None => "",
            });
        }
        if let (Some(f), Some(c)) = (self.floor_fen, self.cap_fen)
            && f > c
        {
            return Err("floor_fen must not exceed cap_fen");
        }
        Ok(())
    }
}

/// What the calculation needs to know about a concluded report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewardCase {
    /// `category:general_hazard@2020-01-01` or `situation:FW-01`: where the rule came from.
    pub rule_name: String,
    pub situation_code: Option<String>,
    pub rule: AmountRule,
    /// The employee uplift of the category rule in force, in basis points.
    pub uplift_bp: i32,
    /// An employee reporting its own employer.
    pub is_employee: bool,
    /// A duplicate of an earlier report on the same matter.
    pub duplicate: bool,
    /// The sum of the fines of the penalties the report led to.
    pub fines_fen: i64,
    pub accident_grade: Option<AccidentGrade>,
    pub deaths: Option<i32>,
}

/// How a reward's amount was computed (SPEC 5.3). Fields that do not apply are null.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Breakdown {
    pub rule: String,
    pub kind: RuleKind,
    pub situation_code: Option<String>,
    /// The fixed amount, or the fines the share is taken of.
    pub base_fen: Option<i64>,
    /// The share of the fines, as a fraction (0.5).
    pub rate: Option<f64>,
    pub per_death_fen: Option<i64>,
    pub deaths: Option<i32>,
    pub floor_fen: Option<i64>,
    pub cap_fen: Option<i64>,
    /// The employee uplift applied, as a fraction (0.2); null when not an employee report.
    pub uplift_rate: Option<f64>,
    /// The computed amount.
    pub amount_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoReward {
    #[error("duplicates of an earlier report get no reward")]
    Duplicate,
    #[error("the report's category has no reward rule")]
    NoRule,
    #[error("the rule needs the accident grade and the number of concealed deaths")]
    MissingAccident,
}

fn bp_fraction(bp: i64) -> f64 {
    bp as f64 / BP as f64
}

/// `value × bp / 10,000`, rounded half up, in fen.
fn share(value: i64, bp: i64) -> i64 {
    let wide = i128::from(value) * i128::from(bp);
    let rounded = (wide + i128::from(BP / 2)) / i128::from(BP);
    i64::try_from(rounded).unwrap_or(i64::MAX)
}

/// The reward for a case: the rule's amount, clamped into `[floor, cap]`, then the employee
/// uplift, and never above the cap.
pub fn calculate(case: &RewardCase) -> Result<Breakdown, NoReward> {
    if case.duplicate {
        return Err(NoReward::Duplicate);
    }
    let rule = &case.rule;
    let mut b = Breakdown {
        rule: case.rule_name.clone(),
        kind: rule.kind,
        situation_code: case.situation_code.clone(),
        base_fen: None,
        rate: None,
        per_death_fen: None,
        deaths: None,
        floor_fen: rule.floor_fen,
        cap_fen: rule.cap_fen,
        uplift_rate: None,
        amount_fen: 0,
    };
    let raw = match rule.kind {
        RuleKind::None => return Err(NoReward::NoRule),
        RuleKind::Fixed => {
            let amount = rule.amount_fen.ok_or(NoReward::NoRule)?;
            b.base_fen = Some(amount);
            amount
        }
        RuleKind::FineShare => {
            let rate = i64::from(rule.rate_bp.ok_or(NoReward::NoRule)?);
            b.base_fen = Some(case.fines_fen);
            b.rate = Some(bp_fraction(rate));
            share(case.fines_fen, rate)
        }
        RuleKind::PerDeath => {
            let (Some(grade), Some(deaths)) = (case.accident_grade, case.deaths) else {
                return Err(NoReward::MissingAccident);
            };
            let per = rule.per_death(grade).ok_or(NoReward::NoRule)?;
            b.per_death_fen = Some(per);
            b.deaths = Some(deaths);
            per.saturating_mul(i64::from(deaths.max(0)))
        }
    };
    let cap = rule.cap_fen.unwrap_or(i64::MAX);
    let clamped = raw.max(rule.floor_fen.unwrap_or(0)).min(cap);
    let amount = if case.is_employee {
        let uplift = i64::from(case.uplift_bp);
        b.uplift_rate = Some(bp_fraction(uplift));
        clamped.saturating_add(share(clamped, uplift)).min(cap)
    } else {
        clamped
    };
    b.amount_fen = amount;
    Ok(b)
}

/// An amount other than the computed one must lie within the rule's bounds and come with a
/// reason of at least 10 characters. Returns the problems as `(field, message)`.
pub fn check_override(
    breakdown: &Breakdown,
    amount_fen: i64,
    reason: Option<&str>,
) -> Vec<(&'static str, String)> {
    let mut problems = Vec::new();
    if amount_fen == breakdown.amount_fen {
        return problems;
    }
    let floor = breakdown.floor_fen.unwrap_or(0);
    let cap = breakdown.cap_fen.unwrap_or(i64::MAX);
    if amount_fen < floor || amount_fen > cap {
        problems.push((
            "amount_fen",
            format!(
                "an overridden amount must lie within [{floor}, {}] fen",
                breakdown
                    .cap_fen
                    .map_or_else(|| "no cap".to_owned(), |c| c.to_string())
            ),
        ));
    }
    if reason.is_none_or(|r| r.trim().chars().count() < MIN_REASON_CHARS) {
        problems.push((
            "override_reason",
            "an overridden amount needs a reason of at least 10 characters".to_owned(),
        ));
    }
    problems
}

pub const MIN_REASON_CHARS: usize = 10;

// ---------------------------------------------------------------------------------------------
// Input checks (pure; the reference codes are checked by the caller against the database)

/// The reporter's contact fields, as sent and as sealed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub bank_account: Option<String>,
}

impl Contact {
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.phone.is_none()
            && self.email.is_none()
            && self.bank_account.is_none()
    }
}

/// Who is paid a claimed reward.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Payee {
    pub name: String,
    pub phone: String,
    pub bank_account: String,
}

fn phone_ok(s: &str) -> bool {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    (5..=20).contains(&digits)
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')'))
}

fn bank_account_ok(s: &str) -> bool {
    (8..=34).contains(&s.chars().filter(|c| !c.is_whitespace()).count())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ')
}

fn email_ok(s: &str) -> bool {
    s.len() <= 200
        && s.split_once('@').is_some_and(|(a, b)| {
            !a.is_empty() && b.contains('.') && !s.contains(char::is_whitespace)
        })
}

/// Checks the contact fields under `prefix` (`reporter.`), trimming them and dropping empty ones.
pub fn check_contact(c: &Contact, prefix: &str, v: &mut Validator) -> Contact {
    let field = |n: &str| format!("{prefix}{n}");
    let clean = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let out = Contact {
        name: clean(&c.name),
        phone: clean(&c.phone),
        email: clean(&c.email),
        bank_account: clean(&c.bank_account),
    };
    if let Some(n) = &out.name {
        v.text(&field("name"), n, 1, 100);
    }
    if out.phone.as_deref().is_some_and(|p| !phone_ok(p)) {
        v.add(field("phone"), "invalid", "is not a phone number");
    }
    if out.email.as_deref().is_some_and(|e| !email_ok(e)) {
        v.add(field("email"), "invalid", "is not an email address");
    }
    if out
        .bank_account
        .as_deref()
        .is_some_and(|b| !bank_account_ok(b))
    {
        v.add(
            field("bank_account"),
            "invalid",
            "is not a bank account number (8 to 34 letters and digits)",
        );
    }
    out
}

/// Checks a claim's payee (every field required).
pub fn check_payee(p: &Payee, v: &mut Validator) -> Payee {
    let name = v.text("payee.name", &p.name, 1, 100).unwrap_or_default();
    if !phone_ok(p.phone.trim()) {
        v.add("payee.phone", "invalid", "is not a phone number");
    }
    if !bank_account_ok(p.bank_account.trim()) {
        v.add(
            "payee.bank_account",
            "invalid",
            "is not a bank account number (8 to 34 letters and digits)",
        );
    }
    Payee {
        name,
        phone: p.phone.trim().to_owned(),
        bank_account: p.bank_account.trim().to_owned(),
    }
}

/// The figures of an amount rule as sent (flat, so that a CSV line carries them too).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct RuleFigures {
    pub amount_fen: Option<i64>,
    /// A fraction: 0.5 is half the fines.
    pub rate: Option<f64>,
    pub per_death_general_fen: Option<i64>,
    pub per_death_larger_fen: Option<i64>,
    pub per_death_major_fen: Option<i64>,
    pub per_death_especially_major_fen: Option<i64>,
    pub floor_fen: Option<i64>,
    pub cap_fen: Option<i64>,
}

/// Turns a kind and its figures into an [`AmountRule`], naming every bad field under `prefix`.
pub fn check_rule(
    kind: RuleKind,
    f: &RuleFigures,
    prefix: &str,
    v: &mut Validator,
) -> Option<AmountRule> {
    let field = |n: &str| format!("{prefix}{n}");
    let before = v.len();
    let money = [
        ("amount_fen", f.amount_fen),
        ("per_death_general_fen", f.per_death_general_fen),
        ("per_death_larger_fen", f.per_death_larger_fen),
        ("per_death_major_fen", f.per_death_major_fen),
        (
            "per_death_especially_major_fen",
            f.per_death_especially_major_fen,
        ),
        ("floor_fen", f.floor_fen),
        ("cap_fen", f.cap_fen),
    ];
    for (name, value) in money {
        if value.is_some_and(|x| !(0..=MAX_FEN).contains(&x)) {
            v.add(
                field(name),
                "out_of_range",
                "must be 0 to 10,000,000,000 fen",
            );
        }
    }
    let rate_bp = match f.rate {
        Some(r) if r.is_finite() && r > 0.0 && r <= 1.0 => Some((r * BP as f64).round() as i32),
        Some(_) => {
            v.add(
                field("rate"),
                "out_of_range",
                "must be above 0 and at most 1",
            );
            None
        }
        None => None,
    };
    let per_death = [
        f.per_death_general_fen,
        f.per_death_larger_fen,
        f.per_death_major_fen,
        f.per_death_especially_major_fen,
    ];
    match kind {
        RuleKind::Fixed if f.amount_fen.is_none() => {
            v.add(
                field("amount_fen"),
                "required",
                "a fixed rule needs its amount",
            );
        }
        RuleKind::FineShare if f.rate.is_none() => {
            v.add(
                field("rate"),
                "required",
                "a fine_share rule needs its rate",
            );
        }
        RuleKind::PerDeath => {
            let names = [
                "per_death_general_fen",
                "per_death_larger_fen",
                "per_death_major_fen",
                "per_death_especially_major_fen",
            ];
            for (name, value) in names.iter().zip(per_death) {
                if value.is_none() {
                    v.add(
                        field(name),
                        "required",
                        "a per_death rule needs the amount for every grade",
                    );
                }
            }
        }
        _ => {}
    }
    if let (Some(floor), Some(cap)) = (f.floor_fen, f.cap_fen)
        && floor > cap
    {
        v.add(field("floor_fen"), "invalid", "must not exceed cap_fen");
    }
    if v.len() > before {
        return None;
    }
    let keep = |k: RuleKind, x: Option<i64>| if kind == k { x } else { None };
    Some(AmountRule {
        kind,
        amount_fen: keep(RuleKind::Fixed, f.amount_fen),
        rate_bp: if kind == RuleKind::FineShare {
            rate_bp
        } else {
            None
        },
        per_death_fen: if kind == RuleKind::PerDeath {
            Some([
                per_death[0].unwrap_or(0),
                per_death[1].unwrap_or(0),
                per_death[2].unwrap_or(0),
                per_death[3].unwrap_or(0),
            ])
        } else {
            None
        },
        floor_fen: if kind == RuleKind::None {
            None
        } else {
            f.floor_fen
        },
        cap_fen: if kind == RuleKind::None {
            None
        } else {
            f.cap_fen
        },
    })
}

/// 100,000,000 yuan: no reward figure is larger.
pub const MAX_FEN: i64 = 10_000_000_000;

/// The tracking number shown to the reporter and to staff: `JB` + filing date + id.
pub fn tracking_number(id: ReportId, filed_on: NaiveDate) -> String {
    format!("JB{}{:06}", filed_on.format("%Y%m%d"), id.0)
}

/// The median of whole days, `None` when there are none.
pub fn median_days(mut days: Vec<i64>) -> Option<f64> {
    if days.is_empty() {
        return None;
    }
    days.sort_unstable();
    let n = days.len();
    Some(if n % 2 == 1 {
        days[n / 2] as f64
    } else {
        (days[n / 2 - 1] + days[n / 2]) as f64 / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const YUAN: i64 = 100;

    fn defaults(category: Category) -> AmountRule {
        match category {
            Category::GeneralHazard => AmountRule {
                kind: RuleKind::Fixed,
                amount_fen: Some(500 * YUAN),
                rate_bp: None,
                per_death_fen: None,
                floor_fen: Some(200 * YUAN),
                cap_fen: Some(5_000 * YUAN),
            },
            Category::MajorHazard | Category::IllegalProduction => AmountRule {
                kind: RuleKind::FineShare,
                amount_fen: None,
                rate_bp: Some(5_000),
                per_death_fen: None,
                floor_fen: Some(5_000 * YUAN),
                cap_fen: Some(500_000 * YUAN),
            },
            Category::ConcealedAccident | Category::LateReport => AmountRule {
                kind: RuleKind::PerDeath,
                amount_fen: None,
                rate_bp: None,
                per_death_fen: Some([30_000 * YUAN, 40_000 * YUAN, 50_000 * YUAN, 60_000 * YUAN]),
                floor_fen: None,
                cap_fen: Some(500_000 * YUAN),
            },
            Category::Other => AmountRule {
                kind: RuleKind::None,
                amount_fen: None,
                rate_bp: None,
                per_death_fen: None,
                floor_fen: None,
                cap_fen: None,
            },
        }
    }

    fn case(category: Category) -> RewardCase {
        RewardCase {
            rule_name: format!("category:{}@2020-01-01", category.as_str()),
            situation_code: None,
            rule: defaults(category),
            uplift_bp: 2_000,
            is_employee: false,
            duplicate: false,
            fines_fen: 0,
            accident_grade: None,
            deaths: None,
        }
    }

    fn amount(c: &RewardCase) -> i64 {
        calculate(c).unwrap().amount_fen
    }

    #[test]
    fn every_stored_text_maps_back_to_its_variant() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(*c));
        }
        for s in ReportStatus::ALL {
            assert_eq!(ReportStatus::parse(s.as_str()), Some(*s));
        }
        for g in AccidentGrade::ALL {
            assert_eq!(AccidentGrade::parse(g.as_str()), Some(*g));
        }
        for r in RewardStatus::ALL {
            assert_eq!(RewardStatus::parse(r.as_str()), Some(*r));
        }
        for k in RuleKind::ALL {
            assert_eq!(RuleKind::parse(k.as_str()), Some(*k));
        }
        assert_eq!(Category::parse("General_Hazard"), None);
    }

    #[test]
    fn a_general_hazard_earns_500_yuan() {
        let b = calculate(&case(Category::GeneralHazard)).unwrap();
        assert_eq!(b.amount_fen, 500 * YUAN);
        assert_eq!(b.base_fen, Some(500 * YUAN));
        assert_eq!(
            (b.floor_fen, b.cap_fen),
            (Some(200 * YUAN), Some(5_000 * YUAN))
        );
        assert_eq!(
            (b.rate, b.per_death_fen, b.deaths, b.uplift_rate),
            (None, None, None, None)
        );
    }

    #[test]
    fn a_fixed_amount_is_clamped_into_both_bounds() {
        let mut c = case(Category::GeneralHazard);
        c.rule.amount_fen = Some(50 * YUAN);
        assert_eq!(amount(&c), 200 * YUAN, "raised to the floor");
        c.rule.amount_fen = Some(9_000 * YUAN);
        assert_eq!(amount(&c), 5_000 * YUAN, "cut to the cap");
    }

    #[test]
    fn major_hazards_and_illegal_production_earn_half_the_fines_within_bounds() {
        for category in [Category::MajorHazard, Category::IllegalProduction] {
            let mut c = case(category);
            c.fines_fen = 300_000 * YUAN;
            let b = calculate(&c).unwrap();
            assert_eq!(b.amount_fen, 150_000 * YUAN);
            assert_eq!((b.base_fen, b.rate), (Some(300_000 * YUAN), Some(0.5)));
            c.fines_fen = 2_000 * YUAN;
            assert_eq!(amount(&c), 5_000 * YUAN, "the floor");
            c.fines_fen = 0;
            assert_eq!(amount(&c), 5_000 * YUAN, "no fine still earns the floor");
            c.fines_fen = 3_000_000 * YUAN;
            assert_eq!(amount(&c), 500_000 * YUAN, "the cap");
            c.fines_fen = 11;
            c.rule.floor_fen = None;
            assert_eq!(amount(&c), 6, "half a fen rounds up");
        }
    }

    #[test]
    fn concealed_and_late_accidents_earn_per_death_by_grade() {
        for category in [Category::ConcealedAccident, Category::LateReport] {
            let mut c = case(category);
            c.deaths = Some(2);
            for (grade, per) in [
                (AccidentGrade::General, 30_000),
                (AccidentGrade::Larger, 40_000),
                (AccidentGrade::Major, 50_000),
                (AccidentGrade::EspeciallyMajor, 60_000),
            ] {
                c.accident_grade = Some(grade);
                let b = calculate(&c).unwrap();
                assert_eq!(b.per_death_fen, Some(per * YUAN), "{grade:?}");
                assert_eq!(b.deaths, Some(2));
                assert_eq!(b.amount_fen, 2 * per * YUAN);
                assert_eq!((b.base_fen, b.floor_fen), (None, None));
            }
            c.accident_grade = Some(AccidentGrade::EspeciallyMajor);
            c.deaths = Some(30);
            assert_eq!(amount(&c), 500_000 * YUAN, "capped at 500,000 yuan");
            c.deaths = None;
            assert_eq!(calculate(&c), Err(NoReward::MissingAccident));
        }
    }

    #[test]
    fn other_reports_have_no_rule() {
        assert_eq!(calculate(&case(Category::Other)), Err(NoReward::NoRule));
    }

    #[test]
    fn an_employee_gets_20_percent_more_after_clamping() {
        let mut c = case(Category::GeneralHazard);
        c.is_employee = true;
        let b = calculate(&c).unwrap();
        assert_eq!(b.amount_fen, 600 * YUAN);
        assert_eq!(b.uplift_rate, Some(0.2));
        c.rule.amount_fen = Some(50 * YUAN);
        assert_eq!(
            amount(&c),
            240 * YUAN,
            "the uplift applies to the clamped amount"
        );
        let mut m = case(Category::MajorHazard);
        m.is_employee = true;
        m.fines_fen = 100_000 * YUAN;
        assert_eq!(amount(&m), 60_000 * YUAN);
    }

    #[test]
    fn the_uplift_never_takes_the_total_over_the_cap() {
        let mut c = case(Category::GeneralHazard);
        c.is_employee = true;
        c.rule.amount_fen = Some(4_500 * YUAN);
        assert_eq!(amount(&c), 5_000 * YUAN);
        let mut m = case(Category::MajorHazard);
        m.is_employee = true;
        m.fines_fen = 1_000_000 * YUAN;
        assert_eq!(amount(&m), 500_000 * YUAN);
        let mut a = case(Category::ConcealedAccident);
        a.is_employee = true;
        a.accident_grade = Some(AccidentGrade::Major);
        a.deaths = Some(9);
        assert_eq!(amount(&a), 500_000 * YUAN);
    }

    #[test]
    fn duplicates_get_nothing() {
        for category in Category::ALL {
            let mut c = case(*category);
            c.duplicate = true;
            c.fines_fen = 1_000 * YUAN;
            assert_eq!(calculate(&c), Err(NoReward::Duplicate), "{category:?}");
        }
    }

    #[test]
    fn a_situation_rule_replaces_the_category_default() {
        let mut c = case(Category::Other);
        c.rule_name = "situation:FW-02".into();
        c.situation_code = Some("FW-02".into());
        c.rule = AmountRule {
            kind: RuleKind::Fixed,
            amount_fen: Some(1_000 * YUAN),
            rate_bp: None,
            per_death_fen: None,
            floor_fen: Some(200 * YUAN),
            cap_fen: Some(5_000 * YUAN),
        };
        let b = calculate(&c).unwrap();
        assert_eq!(
            (b.amount_fen, b.situation_code.as_deref()),
            (1_000 * YUAN, Some("FW-02"))
        );
    }

    #[test]
    fn overrides_stay_within_bounds_and_need_a_reason() {
        let b = calculate(&case(Category::GeneralHazard)).unwrap();
        assert!(
            check_override(&b, 500 * YUAN, None).is_empty(),
            "the computed amount needs nothing"
        );
        assert!(check_override(&b, 800 * YUAN, Some("举报线索特别具体，查处及时")).is_empty());
        assert!(check_override(&b, 200 * YUAN, Some("at the floor, ok")).is_empty());
        assert!(check_override(&b, 5_000 * YUAN, Some("at the cap, ok!")).is_empty());
        let fields =
            |p: Vec<(&'static str, String)>| p.into_iter().map(|(f, _)| f).collect::<Vec<_>>();
        assert_eq!(
            fields(check_override(&b, 199 * YUAN, Some("below the floor"))),
            ["amount_fen"]
        );
        assert_eq!(
            fields(check_override(&b, 5_001 * YUAN, Some("above the cap!"))),
            ["amount_fen"]
        );
        assert_eq!(
            fields(check_override(&b, 800 * YUAN, Some("too short"))),
            ["override_reason"]
        );
        assert_eq!(
            fields(check_override(&b, 1, None)),
            ["amount_fen", "override_reason"]
        );
    }

    #[test]
    fn rules_are_checked_against_their_kind() {
        let mut r = defaults(Category::GeneralHazard);
        assert!(r.check().is_ok());
        r.amount_fen = None;
        assert!(r.check().is_err());
        let mut r = defaults(Category::MajorHazard);
        r.rate_bp = Some(10_001);
        assert!(r.check().is_err());
        let mut r = defaults(Category::MajorHazard);
        r.floor_fen = Some(r.cap_fen.unwrap() + 1);
        assert!(r.check().is_err());
        assert!(defaults(Category::ConcealedAccident).check().is_ok());
    }

    #[test]
    fn the_handling_states_allow_only_their_transitions() {
        use ReportStatus::*;
        assert!(may(Action::Assign, Received) && may(Action::Assign, Assigned));
        assert!(!may(Action::Assign, Investigating) && !may(Action::Assign, Substantiated));
        assert!(may(Action::Start, Assigned) && !may(Action::Start, Received));
        assert!(may(Action::Conclude, Investigating));
        assert!(RewardAction::Claim.may(RewardStatus::Decided));
        assert!(RewardAction::Pay.may(RewardStatus::Claimed));
        assert!(!RewardAction::Pay.may(RewardStatus::Decided));
        assert!(!RewardAction::Claim.may(RewardStatus::Lapsed));
        for s in [
            Received,
            Assigned,
            Substantiated,
            Unsubstantiated,
            Duplicate,
        ] {
            assert!(!may(Action::Conclude, s), "{s:?}");
        }
    }

    #[test]
    fn the_uplift_is_20_percent_unless_the_rule_says_otherwise() {
        assert_eq!(uplift_bp(None), Some(2_000));
        assert_eq!(uplift_bp(Some(0.25)), Some(2_500));
        assert_eq!(uplift_bp(Some(0.0)), Some(0));
        assert_eq!(uplift_bp(Some(1.5)), None);
        assert_eq!(uplift_bp(Some(f64::NAN)), None);
    }

    #[test]
    fn a_decided_reward_lapses_after_60_days() {
        let decided = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let deadline = claim_deadline(decided);
        assert_eq!(deadline, NaiveDate::from_ymd_opt(2026, 7, 31).unwrap());
        assert_eq!(
            effective_reward_status(RewardStatus::Decided, deadline, deadline),
            RewardStatus::Decided
        );
        let next = deadline.succ_opt().unwrap();
        assert_eq!(
            effective_reward_status(RewardStatus::Decided, deadline, next),
            RewardStatus::Lapsed
        );
        assert_eq!(
            effective_reward_status(RewardStatus::Claimed, deadline, next),
            RewardStatus::Claimed
        );
    }

    #[test]
    fn contact_fields_are_checked_and_trimmed() {
        let mut v = crate::validate::Validator::new();
        let c = check_contact(
            &Contact {
                name: Some(" 张三 ".into()),
                phone: Some("138 0000 0000".into()),
                email: Some("".into()),
                bank_account: Some("6222 0000 1111 2222".into()),
            },
            "reporter.",
            &mut v,
        );
        assert!(v.is_empty());
        assert_eq!(c.name.as_deref(), Some("张三"));
        assert_eq!(c.email, None, "an empty field is dropped");
        let mut v = crate::validate::Validator::new();
        check_contact(
            &Contact {
                name: None,
                phone: Some("call me".into()),
                email: Some("no-at-sign".into()),
                bank_account: Some("12".into()),
            },
            "reporter.",
            &mut v,
        );
        assert_eq!(v.len(), 3);
    }

    #[test]
    fn rule_figures_must_fit_their_kind() {
        let mut v = crate::validate::Validator::new();
        assert!(check_rule(RuleKind::Fixed, &RuleFigures::default(), "", &mut v).is_none());
        assert_eq!(v.len(), 1);
        let mut v = crate::validate::Validator::new();
        let f = RuleFigures {
            rate: Some(0.5),
            floor_fen: Some(10),
            cap_fen: Some(5),
            ..Default::default()
        };
        assert!(check_rule(RuleKind::FineShare, &f, "[2].", &mut v).is_none());
        let Err(crate::validate::Invalid(e)) = v.finish() else {
            panic!()
        };
        assert_eq!(e[0].field, "[2].floor_fen");
        let mut v = crate::validate::Validator::new();
        let f = RuleFigures {
            rate: Some(0.3),
            amount_fen: Some(1),
            ..Default::default()
        };
        let r = check_rule(RuleKind::FineShare, &f, "", &mut v).unwrap();
        assert_eq!((r.rate_bp, r.amount_fen), (Some(3_000), None));
        let mut v = crate::validate::Validator::new();
        assert!(
            check_rule(
                RuleKind::PerDeath,
                &RuleFigures {
                    per_death_general_fen: Some(1),
                    ..Default::default()
                },
                "",
                &mut v
            )
            .is_none()
        );
        assert_eq!(v.len(), 3);
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median_days(vec![]), None);
        assert_eq!(median_days(vec![9, 1, 5]), Some(5.0));
        assert_eq!(median_days(vec![10, 1, 4, 3]), Some(3.5));
    }

    #[test]
    fn receipts_are_16_digits_and_never_shown_in_debug() {
        let r = Receipt::generate();
        assert_eq!(r.as_str().len(), 16);
        assert!(Receipt::parse(r.as_str()).is_ok());
        assert_ne!(Receipt::generate(), r);
        assert!(!format!("{r:?}").contains(r.as_str()));
        for bad in [
            "",
            "123",
            "12345678901234567",
            "123456789012345a",
            "１２３４５６７８９０１２３４５６",
        ] {
            assert!(Receipt::parse(bad).is_err(), "{bad}");
        }
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn the_amount_always_lies_within_the_bounds(
                fines in 0i64..10_000_000_000,
                employee in any::<bool>(),
                deaths in 0i32..100,
                grade in 0usize..4,
                category in 0usize..5,
            ) {
                let mut c = case(Category::ALL[category]);
                c.fines_fen = fines;
                c.is_employee = employee;
                c.deaths = Some(deaths);
                c.accident_grade = Some(AccidentGrade::ALL[grade]);
                let b = calculate(&c).unwrap();
                prop_assert!(b.amount_fen <= b.cap_fen.unwrap());
                prop_assert!(b.amount_fen >= b.floor_fen.unwrap_or(0));
                let plain = { let mut p = c.clone(); p.is_employee = false; calculate(&p).unwrap().amount_fen };
                prop_assert!(b.amount_fen >= plain, "the uplift never lowers the amount");
            }
        }
    }
}
