//! The portal's languages (PORTAL 7.1): zh-CN by default, English one click away. Every text
//! lives in a Fluent catalog (`locales/{zh-CN,en}/*.ftl`, compiled into the binary), never in a template;
//! the two catalogs have the same keys (tested). The language is chosen per request:
//! `?lang=`, then the `lang` cookie, then `Accept-Language`.

use std::sync::LazyLock;

use actix_web::HttpRequest;
use chrono::{Datelike, NaiveDate};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// A language of the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

/// The cookie that remembers a `?lang=` choice.
pub const LANG_COOKIE: &str = "lang";

impl Lang {
    /// The value of `?lang=` and of the cookie, and the page's `lang` attribute.
    pub fn tag(self) -> &'static str {
        match self {
            Self::Zh => "zh-CN",
            Self::En => "en",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim().to_ascii_lowercase();
        if raw == "zh" || raw.starts_with("zh-") {
            Some(Self::Zh)
        } else if raw == "en" || raw.starts_with("en-") {
            Some(Self::En)
        } else {
            None
        }
    }

    /// The other language, for the switch in the header.
    pub fn other(self) -> Self {
        match self {
            Self::Zh => Self::En,
            Self::En => Self::Zh,
        }
    }

    /// The best of `Accept-Language`, by weight; zh-CN when it names neither.
    pub fn from_accept_language(header: &str) -> Self {
        let mut best: Option<(f32, Self)> = None;
        for part in header.split(',') {
            let mut bits = part.split(';');
            let Some(lang) = bits.next().and_then(Self::parse) else {
                continue;
            };
            let q = bits
                .find_map(|b| b.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map_or(Self::Zh, |(_, lang)| lang)
    }

    /// The request's language, and whether it came from `?lang=` (then the cookie is set).
    pub fn of_request(req: &HttpRequest) -> (Self, bool) {
        let asked = form_urlencoded::parse(req.query_string().as_bytes())
            .find(|(k, _)| k == "lang")
            .and_then(|(_, v)| Self::parse(&v));
        if let Some(lang) = asked {
            return (lang, true);
        }
        if let Some(lang) = req.cookie(LANG_COOKIE).and_then(|c| Self::parse(c.value())) {
            return (lang, false);
        }
        let accept = req
            .headers()
            .get(actix_web::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        (Self::from_accept_language(accept), false)
    }
}

/// One catalog file per area of the portal, so that the areas' texts are kept apart: the
/// layout, errors and sign-in (`common`), the public pages, the enterprise's and the staff's.
pub const AREAS: [&str; 4] = ["common", "public", "enterprise", "staff"];

macro_rules! catalogs {
    ($lang:literal) => {
        [
            include_str!(concat!("../../locales/", $lang, "/common.ftl")),
            include_str!(concat!("../../locales/", $lang, "/public.ftl")),
            include_str!(concat!("../../locales/", $lang, "/enterprise.ftl")),
            include_str!(concat!("../../locales/", $lang, "/staff.ftl")),
        ]
    };
}

/// The Chinese catalogs, in the order of [`AREAS`].
pub const ZH_SOURCES: [&str; 4] = catalogs!("zh-CN");
/// The English catalogs, in the order of [`AREAS`].
pub const EN_SOURCES: [&str; 4] = catalogs!("en");

fn bundle(tag: &str, sources: &[&'static str]) -> FluentBundle<FluentResource> {
    let lang = tag.parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![lang]);
    // No Unicode isolation marks around arguments: the pages are one direction only.
    bundle.set_use_isolating(false);
    for source in sources {
        let resource = FluentResource::try_new((*source).to_owned()).unwrap_or_else(|(res, _)| res);
        // A key defined twice keeps its first text (and the catalog test names it).
        let _ = bundle.add_resource(resource);
    }
    bundle
}

static ZH: LazyLock<FluentBundle<FluentResource>> = LazyLock::new(|| bundle("zh-CN", &ZH_SOURCES));
static EN: LazyLock<FluentBundle<FluentResource>> = LazyLock::new(|| bundle("en", &EN_SOURCES));

/// The texts of one language, for a template: `{{ t.t("home-title") }}`.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Self {
        Self { lang }
    }

    fn bundle(&self) -> &'static FluentBundle<FluentResource> {
        match self.lang {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }

    fn format(&self, key: &str, args: Option<&FluentArgs>) -> String {
        let bundle = self.bundle();
        let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
            // A missing key shows itself (and the catalog test names it).
            return key.to_owned();
        };
        let mut errors = Vec::new();
        bundle
            .format_pattern(pattern, args, &mut errors)
            .into_owned()
    }

    /// The text of `key`.
    pub fn t(&self, key: &str) -> String {
        self.format(key, None)
    }

    /// The text of `key` with one argument `{ $name }`.
    pub fn t1(&self, key: &str, name: &str, value: &str) -> String {
        let mut args = FluentArgs::new();
        args.set(name, FluentValue::from(value.to_owned()));
        self.format(key, Some(&args))
    }

    /// The text of `key` when it exists, else `fallback` (for texts keyed by data, such as a
    /// field error code).
    pub fn t_or(&self, key: &str, fallback: &str) -> String {
        if self.bundle().has_message(key) {
            self.t(key)
        } else {
            fallback.to_owned()
        }
    }

    /// `2026年12月7日` / `7 Dec 2026`.
    pub fn date(&self, date: NaiveDate) -> String {
        match self.lang {
            Lang::Zh => format!("{}年{}月{}日", date.year(), date.month(), date.day()),
            Lang::En => date.format("%-d %b %Y").to_string(),
        }
    }

    /// Yuan with two decimals from integer fen: `¥4,218.40`.
    pub fn money(&self, fen: i64) -> String {
        money(fen)
    }
}

/// Yuan with two decimals and thousands separators from integer fen: `¥4,218.40`.
pub fn money(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    let yuan = (fen / 100).to_string();
    let mut grouped = String::with_capacity(yuan.len() + yuan.len() / 3);
    for (i, c) in yuan.chars().enumerate() {
        if i > 0 && (yuan.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}¥{grouped}.{:02}", fen % 100)
}

/// The message keys of a catalog, in order: the identifiers that open a line (`key = …`).
pub fn keys(source: &str) -> Vec<String> {
    source
        .lines()
        .filter_map(|line| {
            let (id, _) = line.split_once('=')?;
            let id = id.trim_end();
            let first = id.chars().next()?;
            (first.is_ascii_alphabetic()
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .then(|| id.to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_keys_in_each_area_and_parse_cleanly() {
        let mut all = Vec::new();
        for (area, (zh, en)) in AREAS.iter().zip(ZH_SOURCES.iter().zip(EN_SOURCES.iter())) {
            for source in [zh, en] {
                assert!(
                    FluentResource::try_new((*source).to_owned()).is_ok(),
                    "a catalog of {area} does not parse"
                );
            }
            let (mut zh, mut en) = (keys(zh), keys(en));
            zh.sort();
            en.sort();
            let only_zh: Vec<_> = zh.iter().filter(|k| !en.contains(k)).collect();
            let only_en: Vec<_> = en.iter().filter(|k| !zh.contains(k)).collect();
            assert!(
                only_zh.is_empty() && only_en.is_empty(),
                "{area}: only in zh-CN: {only_zh:?}; only in en: {only_en:?}"
            );
            all.extend(zh);
        }
        assert!(!all.is_empty());
        let total = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), total, "a key is defined twice");
    }

    #[test]
    fn every_key_a_template_or_page_uses_is_in_the_catalog() {
        let known: Vec<String> = ZH_SOURCES.iter().flat_map(|s| keys(s)).collect();
        let mut missing = Vec::new();
        for dir in ["templates", "src/portal"] {
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            for path in files(&root) {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                for key in used_keys(&text) {
                    if !known.contains(&key) {
                        missing.push(format!("{}: {key}", path.display()));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys missing from the catalogs: {missing:#?}"
        );
    }

    fn files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.extend(files(&path));
            } else {
                found.push(path);
            }
        }
        found
    }

    /// The literal keys of `.t("…")` and `.t1("…", …)` calls.
    fn used_keys(text: &str) -> Vec<String> {
        let mut keys = Vec::new();
        for call in [".t(\"", ".t1(\""] {
            let mut rest = text;
            while let Some(at) = rest.find(call) {
                rest = &rest[at + call.len()..];
                if let Some(end) = rest.find('"') {
                    let key = &rest[..end];
                    if !key.is_empty()
                        && key
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                    {
                        keys.push(key.to_owned());
                    }
                }
            }
        }
        keys
    }

    #[test]
    fn languages_are_chosen_by_weight() {
        assert_eq!(Lang::from_accept_language(""), Lang::Zh);
        assert_eq!(Lang::from_accept_language("en-GB,en;q=0.9"), Lang::En);
        assert_eq!(
            Lang::from_accept_language("fr,en;q=0.5,zh-CN;q=0.8"),
            Lang::Zh
        );
        assert_eq!(Lang::from_accept_language("de"), Lang::Zh);
    }

    #[test]
    fn money_is_yuan_with_two_decimals_and_groups() {
        assert_eq!(money(421_840), "¥4,218.40");
        assert_eq!(money(5), "¥0.05");
        assert_eq!(money(100_000_000), "¥1,000,000.00");
        assert_eq!(money(-1_234_567), "-¥12,345.67");
    }

    #[test]
    fn dates_read_as_each_language_writes_them() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default();
        assert_eq!(Tr::new(Lang::Zh).date(d), "2026年12月7日");
        assert_eq!(Tr::new(Lang::En).date(d), "7 Dec 2026");
    }
}
