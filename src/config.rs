//! Configuration from the environment (SPEC 1.2). `.env` is read by `main` before this runs.
//!
//! The three secrets are mandatory in production. In development a missing secret is generated
//! once into the data folder with mode 0600, and a warning says so.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ipnet::IpNet;
use rand::RngCore;

use crate::db::DatabaseUrl;

#[derive(Debug, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

fn bad(variable: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        message: message.into(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// `N` events per `period`, written `N/UNIT` or `N/kUNIT` (`20/min`, `10/15min`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: u32,
    pub period: Duration,
}

impl Rate {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let (count, per) = raw
            .trim()
            .split_once('/')
            .ok_or("expected N/UNIT, e.g. 20/min")?;
        let count: u32 = count
            .trim()
            .parse()
            .map_err(|_| "N must be a positive whole number")?;
        if count == 0 {
            return Err("N must be at least 1".into());
        }
        let per = per.trim();
        let split = per.find(|c: char| !c.is_ascii_digit()).unwrap_or(per.len());
        let (multiplier, unit) = per.split_at(split);
        let multiplier: u64 = if multiplier.is_empty() {
            1
        } else {
            multiplier.parse().map_err(|_| "bad period multiplier")?
        };
        let unit_secs = match unit {
            "s" => 1,
            "min" => 60,
            "h" => 3600,
            _ => return Err("UNIT must be s, min or h".into()),
        };
        if multiplier == 0 {
            return Err("the period must be longer than zero".into());
        }
        Ok(Self {
            count,
            period: Duration::from_secs(multiplier * unit_secs),
        })
    }
}

#[derive(Clone)]
pub struct Secrets {
    /// HMAC key for access tokens, used as it is.
    pub jwt_secret: Vec<u8>,
    /// Encrypts whistleblower identities at rest.
    pub data_key: [u8; 32],
    /// Signs certificates (derived once from the 32-byte Ed25519 seed).
    pub signing_key: ed25519_dalek::SigningKey,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(redacted)")
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: DatabaseUrl,
    pub bind: String,
    pub environment: Environment,
    pub secrets: Secrets,
    pub token_ttl: Duration,
    pub db_pool: u32,
    /// How long a request waits for a pooled connection before answering 503.
    pub db_timeout: Duration,
    pub max_body_bytes: usize,
    pub log_format: LogFormat,
    pub timezone: chrono_tz::Tz,
    pub login_rate: Rate,
    pub report_rate: Rate,
    pub receipt_rate: Rate,
    pub trusted_proxies: Vec<IpNet>,
    pub cors_origins: Vec<String>,
    /// How long a concluded report keeps its reporter's contact and payee details before
    /// housekeeping erases them (SPEC 6); `None` keeps them (`ANJIAN_REPORT_RETENTION_DAYS=0`).
    pub report_retention: Option<chrono::Duration>,
    /// Roles that must enrol a second factor at their next sign-in (`ANJIAN_REQUIRE_TOTP`).
    pub require_totp: Vec<crate::actor::Role>,
}

impl Config {
    /// Reads the process environment; secrets missing in development are generated under `data/`.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok(), Path::new("data"))
    }

    pub fn from_lookup(
        get: impl Fn(&str) -> Option<String>,
        data_dir: &Path,
    ) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let environment = match get("ANJIAN_ENV").as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(_) => return Err(bad("ANJIAN_ENV", "must be development or production")),
        };
        let database_url = DatabaseUrl::parse(
            get("DATABASE_URL")
                .as_deref()
                .unwrap_or("sqlite://data/anjian.db"),
        )
        .map_err(|m| bad("DATABASE_URL", m))?;

        let secret =
            |variable: &'static str, file: &str, len: usize| -> Result<Vec<u8>, ConfigError> {
                match get(variable) {
                    Some(value) => Ok(value.into_bytes()),
                    None if environment == Environment::Production => {
                        Err(bad(variable, "is required when ANJIAN_ENV=production"))
                    }
                    None => generated_secret(data_dir, file, len).map_err(|e| {
                        bad(
                            variable,
                            format!("could not generate into {}: {e}", data_dir.display()),
                        )
                    }),
                }
            };
        let jwt_secret = secret("ANJIAN_JWT_SECRET", "jwt_secret", 48)?;
        if jwt_secret.len() < 32 {
            return Err(bad("ANJIAN_JWT_SECRET", "must be at least 32 bytes"));
        }
        let data_key = key32(
            "ANJIAN_DATA_KEY",
            &secret("ANJIAN_DATA_KEY", "data_key", 32)?,
        )?;
        let signing_key = ed25519_dalek::SigningKey::from_bytes(&key32(
            "ANJIAN_SIGNING_KEY",
            &secret("ANJIAN_SIGNING_KEY", "signing_key", 32)?,
        )?);

        let number = |variable: &'static str, default: u64| -> Result<u64, ConfigError> {
            match get(variable) {
                None => Ok(default),
                Some(v) => v
                    .parse()
                    .map_err(|_| bad(variable, "must be a whole number")),
            }
        };
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
        let token_ttl = number("ANJIAN_TOKEN_TTL_SECS", 28_800)?;
        if token_ttl == 0 {
            return Err(bad("ANJIAN_TOKEN_TTL_SECS", "must be at least 1"));
        }
        let db_pool = number(
            "ANJIAN_DB_POOL",
            default_pool(cpus, database_url.is_postgres()),
        )?;
        let db_timeout = number("ANJIAN_DB_TIMEOUT_SECS", 3)?;
        if !(1..=600).contains(&db_timeout) {
            return Err(bad("ANJIAN_DB_TIMEOUT_SECS", "must be 1 to 600"));
        }
        if db_pool == 0 || db_pool > 1000 {
            return Err(bad("ANJIAN_DB_POOL", "must be 1 to 1000"));
        }
        let max_body_bytes = number("ANJIAN_MAX_BODY_BYTES", 1_048_576)?;
        // A hundred years at most: a larger number would overflow the date arithmetic.
        let retention_days = number("ANJIAN_REPORT_RETENTION_DAYS", 730)?;
        if retention_days > 36_500 {
            return Err(bad(
                "ANJIAN_REPORT_RETENTION_DAYS",
                "must be 0 (off) to 36500",
            ));
        }
        let report_retention =
            (retention_days > 0).then(|| chrono::Duration::days(retention_days as i64));
        let log_format = match get("ANJIAN_LOG_FORMAT").as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(_) => return Err(bad("ANJIAN_LOG_FORMAT", "must be pretty or json")),
        };
        let timezone = get("ANJIAN_TIMEZONE")
            .as_deref()
            .unwrap_or("Asia/Shanghai")
            .parse::<chrono_tz::Tz>()
            .map_err(|_| {
                bad(
                    "ANJIAN_TIMEZONE",
                    "must be an IANA zone such as Asia/Shanghai",
                )
            })?;
        let rate = |variable: &'static str, default: &str| {
            Rate::parse(get(variable).as_deref().unwrap_or(default)).map_err(|m| bad(variable, m))
        };
        let trusted_proxies = get("ANJIAN_TRUSTED_PROXIES")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(parse_net)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|m| bad("ANJIAN_TRUSTED_PROXIES", m))?;
        let cors_origins = get("ANJIAN_CORS_ORIGINS")
            .unwrap_or_default()
            .split(',')
            .map(|s| s.trim().trim_end_matches('/').to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        let require_totp = get("ANJIAN_REQUIRE_TOTP")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|r| {
                crate::actor::Role::parse(r).ok_or_else(|| {
                    bad(
                        "ANJIAN_REQUIRE_TOTP",
                        format!("{r} is not a role (admin, reviewer, inspector, enterprise)"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;

        Ok(Self {
            database_url,
            bind: get("ANJIAN_BIND").unwrap_or_else(|| "127.0.0.1:8080".into()),
            environment,
            secrets: Secrets {
                jwt_secret,
                data_key,
                signing_key,
            },
            token_ttl: Duration::from_secs(token_ttl),
            db_pool: db_pool as u32,
            db_timeout: Duration::from_secs(db_timeout),
            max_body_bytes: max_body_bytes as usize,
            log_format,
            timezone,
            login_rate: rate("ANJIAN_LOGIN_RATE", "20/min")?,
            report_rate: rate("ANJIAN_REPORT_RATE", "10/h")?,
            receipt_rate: rate("ANJIAN_RECEIPT_RATE", "10/15min")?,
            trusted_proxies,
            cors_origins,
            report_retention,
            require_totp,
        })
    }
}

fn parse_net(s: &str) -> Result<IpNet, String> {
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("`{s}` is neither an address nor a CIDR block"))
}

/// A 32-byte key given as base64 (or, for a generated file, stored as base64 too).
fn key32(variable: &'static str, raw: &[u8]) -> Result<[u8; 32], ConfigError> {
    let text = std::str::from_utf8(raw).map_err(|_| bad(variable, "must be base64 text"))?;
    let bytes = BASE64
        .decode(text.trim())
        .map_err(|_| bad(variable, "must be base64"))?;
    bytes
        .try_into()
        .map_err(|_| bad(variable, "must decode to exactly 32 bytes"))
}

/// Reads `data_dir/file`, creating it with `len` random bytes (base64, mode 0600) the first time.
fn generated_secret(data_dir: &Path, file: &str, len: usize) -> std::io::Result<Vec<u8>> {
    let path: PathBuf = data_dir.join(file);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return Ok(existing.trim().as_bytes().to_vec());
    }
    std::fs::create_dir_all(data_dir)?;
    let mut bytes = vec![0u8; len];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let encoded = BASE64.encode(&bytes);
    write_private(&path, &encoded)?;
    tracing::warn!(secret.file = %path.display(), "no secret configured; generated one (set it in the environment for production)");
    Ok(encoded.into_bytes())
}

#[cfg(unix)]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(content.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    std::fs::write(path, content)
}

/// The pool size when `ANJIAN_DB_POOL` is not set. The pool serves the reads (and the command
/// line's writes); the writer thread has a connection of its own. On PostgreSQL every
/// connection is a server process: 2 per CPU (at least 4) is the usual sizing
/// (docs/BENCHMARKS.md). On SQLite the reads are in this process: 4 per CPU.
fn default_pool(cpus: u64, postgres: bool) -> u64 {
    let per_cpu = if postgres { 2 } else { 4 };
    (cpus * per_cpu).clamp(4, 32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn the_default_pool_is_two_connections_per_cpu_on_postgresql_and_four_on_sqlite() {
        assert_eq!(default_pool(2, true), 4);
        assert_eq!(default_pool(8, true), 16);
        assert_eq!(default_pool(64, true), 32);
        assert_eq!(default_pool(1, true), 4);
        assert_eq!(default_pool(2, false), 8);
        assert_eq!(default_pool(16, false), 32);
    }

    #[test]
    fn rates_parse_with_and_without_a_multiplier() {
        assert_eq!(
            Rate::parse("20/min"),
            Ok(Rate {
                count: 20,
                period: Duration::from_secs(60)
            })
        );
        assert_eq!(
            Rate::parse("10/15min"),
            Ok(Rate {
                count: 10,
                period: Duration::from_secs(900)
            })
        );
        assert_eq!(
            Rate::parse("10/h"),
            Ok(Rate {
                count: 10,
                period: Duration::from_secs(3600)
            })
        );
        assert_eq!(
            Rate::parse("5/2s"),
            Ok(Rate {
                count: 5,
                period: Duration::from_secs(2)
            })
        );
        for bad in ["", "20", "0/min", "20/day", "x/min", "20/0min", "-1/s"] {
            assert!(Rate::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn production_refuses_to_start_without_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let env: HashMap<&str, &str> = [("ANJIAN_ENV", "production")].into();
        let err =
            Config::from_lookup(|k| env.get(k).map(|v| v.to_string()), dir.path()).unwrap_err();
        assert_eq!(err.variable, "ANJIAN_JWT_SECRET");
        assert!(
            std::fs::read_dir(dir.path()).unwrap().next().is_none(),
            "nothing generated"
        );
    }

    #[test]
    fn development_generates_secrets_once_with_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let first = Config::from_lookup(|_| None, dir.path()).unwrap();
        let second = Config::from_lookup(|_| None, dir.path()).unwrap();
        assert_eq!(first.secrets.jwt_secret, second.secrets.jwt_secret);
        assert_eq!(first.secrets.data_key, second.secrets.data_key);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("jwt_secret"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(first.bind, "127.0.0.1:8080");
        assert_eq!(first.timezone, chrono_tz::Asia::Shanghai);
        assert_eq!(first.report_retention, Some(chrono::Duration::days(730)));
    }

    #[test]
    fn report_retention_is_days_and_zero_turns_it_off() {
        let dir = tempfile::tempdir().unwrap();
        let with = |days: &str| {
            let env: HashMap<&str, String> =
                [("ANJIAN_REPORT_RETENTION_DAYS", days.to_owned())].into();
            Config::from_lookup(|k| env.get(k).cloned(), dir.path())
        };
        assert_eq!(
            with("30").unwrap().report_retention,
            Some(chrono::Duration::days(30))
        );
        assert_eq!(with("0").unwrap().report_retention, None);
        for bad in ["-1", "x", "36501"] {
            assert_eq!(
                with(bad).unwrap_err().variable,
                "ANJIAN_REPORT_RETENTION_DAYS",
                "{bad}"
            );
        }
    }

    #[test]
    fn short_jwt_secrets_and_bad_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let env: HashMap<&str, &str> = [("ANJIAN_JWT_SECRET", "too-short")].into();
        let err =
            Config::from_lookup(|k| env.get(k).map(|v| v.to_string()), dir.path()).unwrap_err();
        assert_eq!(err.variable, "ANJIAN_JWT_SECRET");
        let env: HashMap<&str, &str> = [("ANJIAN_DATA_KEY", "AAAA")].into();
        let err =
            Config::from_lookup(|k| env.get(k).map(|v| v.to_string()), dir.path()).unwrap_err();
        assert_eq!(err.variable, "ANJIAN_DATA_KEY");
    }
}
