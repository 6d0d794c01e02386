//! The command line (`anjian serve | migrate | backup FILE | user create | seed demo | seed
//! city-year`).

use std::io::Read;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::actor::{Actor, Role};
use crate::auth::password;
use crate::clock::Clock;
use crate::config::Config;
use crate::error::ApiError;
use crate::startup::{self, Application};
use crate::users::accounts::{self, CreateUserRequest};
use crate::{db, seed, telemetry};

#[derive(Parser)]
#[command(
    name = "anjian",
    version,
    about = "Work-safety regulation service (安监)"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Write a consistent copy of the SQLite database to FILE while the service runs (on
    /// PostgreSQL: says to use pg_dump or continuous archiving, and exits with status 2).
    Backup {
        /// Where the copy goes: a new file.
        file: std::path::PathBuf,
    },
    /// Write demonstration data.
    Seed {
        #[command(subcommand)]
        command: SeedCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; the password is read from standard input.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long, value_parser = ["admin", "reviewer", "inspector", "enterprise"])]
        role: String,
        #[arg(long)]
        enterprise_id: Option<i64>,
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum SeedCommand {
    /// A small realistic data set: enterprises of several industries and users of every role.
    Demo,
    /// A deterministic synthetic year shaped like the city's 2021 report, by bulk inserts.
    CityYear {
        /// Multiplies every count (1 = the report's figures).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        /// The random sequence; the same seed writes the same year.
        #[arg(long, default_value_t = 2021)]
        seed: u64,
    },
}

pub fn main() -> ExitCode {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    // Logging first, so the configuration's own warnings (generated secrets) are seen.
    let format = match std::env::var("ANJIAN_LOG_FORMAT").as_deref() {
        Ok("json") => crate::config::LogFormat::Json,
        _ => crate::config::LogFormat::Pretty,
    };
    let _log_guard = telemetry::init(format);
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config),
        Command::Backup { file } => return backup(&config, &file),
        Command::Migrate => migrate(&config),
        Command::User {
            command:
                UserCommand::Create {
                    username,
                    role,
                    enterprise_id,
                    display_name,
                    password_stdin: _,
                },
        } => create_user(&config, username, &role, enterprise_id, display_name),
        Command::Seed {
            command: SeedCommand::Demo,
        } => seed::demo(&config),
        Command::Seed {
            command: SeedCommand::CityYear { scale, seed },
        } => seed::city_year(&config, scale, seed),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// 0 with the copy written, 2 on PostgreSQL (another tool's job), 1 if the copy failed.
fn backup(config: &Config, file: &std::path::Path) -> ExitCode {
    match db::backup::backup(&config.database_url, file) {
        Ok(()) => {
            println!("backup written to {}", file.display());
            ExitCode::SUCCESS
        }
        Err(e @ db::backup::BackupError::Postgres) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn migrate(config: &Config) -> Result<(), String> {
    let pool =
        db::build_pool(&config.database_url, 1, config.db_timeout).map_err(|e| e.to_string())?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let applied = db::run_migrations(&mut conn)?;
    if applied.is_empty() {
        println!("database is up to date");
    } else {
        for m in applied {
            println!("applied {m}");
        }
    }
    Ok(())
}

fn serve(config: Config) -> Result<(), String> {
    actix_web::rt::System::new().block_on(async move {
        let clock = Clock::System;
        let bind = config.bind.clone();
        let backend = if config.database_url.is_postgres() { "postgres" } else { "sqlite" };
        let app = Application::build(config, clock.clone(), None).map_err(|e| e.to_string())?;
        let db = app.state().db.clone();
        let created = db.run(move |conn| Ok(accounts::bootstrap_admin(conn, &clock)?)).await.map_err(|e| e.to_string())?;
        if let Some(password) = created {
            // Standard error, once, never the log.
            eprintln!("created user `admin` with password: {password}\nstore it now; it is not shown again.");
        }
        tracing::info!(bind = %bind, port = app.port(), backend, "anjian is serving");
        let handle = app.server_handle();
        actix_web::rt::spawn(async move {
            stop_signal().await;
            tracing::info!("stopping: new connections refused, requests in flight finish");
            handle.stop(true).await;
        });
        app.run_until_stopped().await.map_err(|e| e.to_string())?;
        tracing::info!("anjian stopped");
        Ok(())
    })
}

/// SIGTERM (a service manager, a container's stop) or Ctrl-C (SIGINT): both ask for the
/// graceful stop. If the handlers cannot be installed, the default (immediate) ends apply.
async fn stop_signal() {
    let interrupt = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "Ctrl-C cannot be handled; it ends the process at once");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "SIGTERM cannot be handled; it ends the process at once");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

fn create_user(
    config: &Config,
    username: String,
    role: &str,
    enterprise_id: Option<i64>,
    display_name: Option<String>,
) -> Result<(), String> {
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .map_err(|e| e.to_string())?;
    let password = password.trim_end_matches(['\r', '\n']).to_owned();
    let role = Role::parse(role).ok_or("unknown role")?;
    let request = CreateUserRequest {
        display_name: display_name.unwrap_or_else(|| username.clone()),
        username,
        password,
        role,
        enterprise_id,
    };
    // Checked and hashed before the database is touched (and outside its transaction).
    let user =
        accounts::validate_new_user(&request).map_err(|e| ApiError::from(e).for_terminal())?;
    let hash = password::hash_password(&request.password).map_err(|e| e.to_string())?;
    let db = startup::connect(config).map_err(|e| e.to_string())?;
    let mut conn = db.pool().get().map_err(|e| e.to_string())?;
    let now = Clock::System.now_naive();
    let user = db::write_tx(&mut conn, |conn| {
        Ok(accounts::create(conn, now, &Actor::SYSTEM, &user, &hash)?)
    })
    .map_err(|e| e.for_terminal())?;
    println!(
        "created user {} (id {}, role {})",
        user.username,
        user.id,
        user.role.as_str()
    );
    Ok(())
}
