//! The shape of the city year: the 2021 report's figures and what they come to at a scale,
//! the deterministic random sequence, and the tables the synthetic records are drawn from.

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

/// The city's 2021 figures, at scale 1.
pub(super) const ENTERPRISES: f64 = 226_200.0;
pub(super) const GROUPS: f64 = 60_400.0;
pub(super) const INSPECTORS: f64 = 2_400.0;
pub(super) const HAZARDS_VERIFIED: f64 = 277_000.0;
pub(super) const HAZARDS_MAJOR: f64 = 18.0;
/// Hazards still open or awaiting verification at the end of the year.
pub(super) const HAZARDS_PENDING: f64 = 4_200.0;
pub(super) const PENALTIES: f64 = 3_419.0;
/// 42,184,000 yuan.
pub(super) const FINES_FEN: f64 = 4_218_400_000.0;
pub(super) const ORDERS: f64 = 258.0;
pub(super) const TASKS: f64 = 92.0;
pub(super) const STATIONED_ENTERPRISES: f64 = 1_203.0;
pub(super) const STATIONED_INSPECTORS: f64 = 719.0;
/// Share of enterprises inspected a second time.
pub(super) const REPEAT_SHARE: f64 = 0.05;

/// The counts a run writes, which the figures must then show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Targets {
    pub enterprises: i64,
    pub enterprises_inspected: i64,
    pub inspections: i64,
    pub groups: i64,
    pub inspectors: i64,
    pub stationed_enterprises: i64,
    pub stationed_inspectors: i64,
    pub hazards_found: i64,
    pub hazards_verified: i64,
    pub hazards_major: i64,
    pub penalties: i64,
    pub fines_fen: i64,
    pub orders_issued: i64,
    pub orders_lifted: i64,
    pub tasks: i64,
}

pub(super) fn count(base: f64, scale: f64) -> i64 {
    ((base * scale).round() as i64).max(1)
}

impl Targets {
    /// The report's figures multiplied by `scale` (each at least 1, and consistent with each
    /// other: at least two inspectors, no more orders than enterprises, …).
    pub fn at(scale: f64) -> Self {
        let enterprises = count(ENTERPRISES, scale).max(2);
        let stationed_inspectors = count(STATIONED_INSPECTORS, scale).max(2);
        let inspectors = count(INSPECTORS, scale).max(stationed_inspectors + 2);
        let stationed_enterprises = count(STATIONED_ENTERPRISES, scale).min(enterprises);
        let stationed_groups = stationed_groups(stationed_inspectors, stationed_enterprises);
        let groups = count(GROUPS, scale).max(stationed_groups + 1);
        let hazards_verified = count(HAZARDS_VERIFIED, scale);
        let hazards_major = count(HAZARDS_MAJOR, scale).min(hazards_verified);
        let orders_issued = count(ORDERS, scale).min(enterprises);
        let repeats = (enterprises as f64 * REPEAT_SHARE).round() as i64;
        Self {
            enterprises,
            enterprises_inspected: enterprises,
            inspections: enterprises + repeats,
            groups,
            inspectors,
            stationed_enterprises,
            stationed_inspectors,
            hazards_found: hazards_verified + count(HAZARDS_PENDING, scale),
            hazards_verified,
            hazards_major,
            penalties: count(PENALTIES, scale),
            fines_fen: (((FINES_FEN * scale) / 100.0).round() as i64).max(1) * 100,
            orders_issued,
            orders_lifted: orders_issued - in_force(orders_issued),
            tasks: count(TASKS, scale),
        }
    }
}

/// Orders still in force at the end of the year: one in ten.
pub(super) fn in_force(orders: i64) -> i64 {
    orders / 10
}

/// Stationed groups have two dedicated members each (the last one the odd inspector too), and
/// each has at least one stationing.
pub(super) fn stationed_groups(stationed_inspectors: i64, stationed_enterprises: i64) -> i64 {
    (stationed_inspectors / 2).clamp(1, stationed_enterprises.max(1))
}

/// SplitMix64: small, fast, and the same sequence on every platform and version.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    pub(super) fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An item chosen with the given weights.
    pub(super) fn weighted<'a, T>(&mut self, items: &'a [(T, u64)]) -> &'a T {
        let total: u64 = items.iter().map(|(_, w)| w).sum();
        let mut x = self.below(total);
        for (item, w) in items {
            if x < *w {
                return item;
            }
            x -= w;
        }
        &items[items.len() - 1].0
    }
}

pub(super) const DISTRICTS: &[(&str, u64)] = &[
    ("shinan", 8),
    ("shibei", 10),
    ("licang", 7),
    ("laoshan", 6),
    ("huangdao", 20),
    ("chengyang", 13),
    ("jimo", 12),
    ("jiaozhou", 10),
    ("pingdu", 8),
    ("laixi", 6),
];

pub(super) const INDUSTRIES: &[(&str, u64)] = &[
    ("commerce_trade", 30),
    ("machinery", 12),
    ("light_industry", 10),
    ("construction", 10),
    ("textiles", 5),
    ("building_materials", 4),
    ("hazardous_chemicals", 4),
    ("road_transport", 5),
    ("fire_safety", 4),
    ("special_equipment", 3),
    ("gas", 2),
    ("metallurgy", 2),
    ("nonferrous_metals", 1),
    ("marine_fishery", 3),
    ("non_coal_mining", 1),
    ("fireworks", 1),
    ("tobacco", 1),
    ("civil_air_defense", 1),
    ("forest_fire_prevention", 1),
    ("meteorology", 1),
];

pub(super) const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "孙", "于",
];
pub(super) const GIVEN: &[&str] = &[
    "建国", "海涛", "丽", "强", "明", "卫东", "春华", "志强", "国庆", "立新",
];

pub(super) const HAZARD_TEXTS: &[(&str, &str)] = &[
    ("equipment", "特种设备未按期检验"),
    ("equipment", "压力容器安全阀失效"),
    ("process", "动火作业未办理审批"),
    ("process", "危险工艺未设置联锁"),
    ("site", "作业现场通道堵塞"),
    ("site", "临边防护缺失"),
    ("management", "安全生产责任制未落实"),
    ("management", "隐患排查台账不全"),
    ("personnel", "特种作业人员无证上岗"),
    ("personnel", "从业人员未经安全培训"),
    ("fire", "消防通道被占用"),
    ("fire", "灭火器过期失效"),
    ("electrical", "私拉乱接电线"),
    ("electrical", "配电箱未接地"),
    ("other", "警示标志缺失"),
];

pub(super) const VIOLATIONS: &[(&str, &str)] = &[
    (
        "未按规定对从业人员进行安全生产教育和培训",
        "《中华人民共和国安全生产法》第九十七条",
    ),
    (
        "未采取措施消除事故隐患",
        "《中华人民共和国安全生产法》第一百零二条",
    ),
    (
        "特种作业人员未按规定经专门的安全作业培训并取得相应资格",
        "《中华人民共和国安全生产法》第九十七条",
    ),
    (
        "未建立事故隐患排查治理制度",
        "《中华人民共和国安全生产法》第一百零一条",
    ),
];

pub(super) const TASK_TITLES: &[&str] = &[
    "危险化学品企业专项检查",
    "建筑施工领域隐患排查",
    "燃气安全专项整治",
    "消防安全重点单位检查",
    "道路运输企业安全检查",
    "烟花爆竹经营单位检查",
    "非煤矿山安全整治",
    "工贸企业有限空间作业整治",
];

pub(super) const YEAR: i32 = 2021;

pub(super) fn day_of_year(day: u64) -> NaiveDate {
    NaiveDate::from_yo_opt(YEAR, (day % 365) as u32 + 1).unwrap_or_default()
}

pub(super) fn last_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(YEAR, 12, 31).unwrap_or_default()
}

/// The instant a record of `date` was written: 10:00 local (02:00 UTC).
pub(super) fn at(date: NaiveDate) -> NaiveDateTime {
    date.and_hms_opt(2, 0, 0).unwrap_or_default()
}

pub(super) fn min_date(a: NaiveDate, b: NaiveDate) -> NaiveDate {
    if a < b { a } else { b }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_one_is_the_citys_report() {
        let t = Targets::at(1.0);
        assert_eq!(t.enterprises, 226_200);
        assert_eq!(t.enterprises_inspected, 226_200);
        assert_eq!(t.groups, 60_400);
        assert_eq!(t.hazards_verified, 277_000);
        assert_eq!(t.hazards_major, 18);
        assert_eq!(t.penalties, 3_419);
        assert_eq!(t.fines_fen, 4_218_400_000);
        assert_eq!(t.orders_issued, 258);
        assert_eq!(t.tasks, 92);
        assert_eq!(t.stationed_enterprises, 1_203);
        assert_eq!(t.stationed_inspectors, 719);
    }

    #[test]
    fn small_scales_stay_consistent() {
        for scale in [0.0001, 0.001, 0.01, 0.1] {
            let t = Targets::at(scale);
            assert!(t.inspectors >= t.stationed_inspectors + 2);
            assert!(t.orders_issued <= t.enterprises);
            assert!(t.stationed_enterprises <= t.enterprises);
            assert!(t.hazards_major >= 1 && t.hazards_major <= t.hazards_verified);
            assert!(t.groups > stationed_groups(t.stationed_inspectors, t.stationed_enterprises));
            assert_eq!(t.fines_fen % 100, 0);
        }
        assert_eq!(Targets::at(0.01).fines_fen, 42_184_000);
    }

    #[test]
    fn the_random_sequence_depends_only_on_the_seed() {
        let a: Vec<u64> = {
            let mut r = Rng(7);
            (0..5).map(|_| r.next()).collect()
        };
        let b: Vec<u64> = {
            let mut r = Rng(7);
            (0..5).map(|_| r.next()).collect()
        };
        assert_eq!(a, b);
        assert_ne!(a, {
            let mut r = Rng(8);
            (0..5).map(|_| r.next()).collect::<Vec<_>>()
        });
    }
}
