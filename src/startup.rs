//! Building and running the HTTP server.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};
use utoipa::OpenApi;
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::SwaggerUi;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::{self, Db};
use crate::http::{cors, extract, observe, ops};
use crate::openapi::{self, ServedDoc};
use crate::state::AppState;
use crate::{
    audit, auth, campaigns, enforcement, enterprises, negative_lists, permits, portal, reference,
    reports, totp, users,
};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("database: {0}")]
    Database(String),
    #[error("listen: {0}")]
    Listen(#[from] std::io::Error),
}

/// Registers every route; the OpenAPI document is collected from the same registrations.
macro_rules! api {
    ($app:expr) => {
        $app.service(ops::healthz)
            .service(ops::readyz)
            .service(ops::metrics)
            .service(openapi::openapi_json)
            .service(openapi::docs_redirect)
            .service(
                scope::scope("/api/v1")
                    .configure(auth::handlers::routes)
                    .configure(totp::handlers::routes)
                    .configure(users::handlers::routes)
                    .configure(enterprises::handlers::routes)
                    .configure(reference::handlers::routes)
                    .configure(audit::handlers::routes)
                    .configure(permits::handlers::routes)
                    .configure(campaigns::handlers::routes)
                    .configure(enforcement::handlers::routes)
                    .configure(reports::handlers::routes)
                    .configure(negative_lists::handlers::routes),
            )
    };
}

/// The OpenAPI document of every registered route, with `x-roles`.
pub fn openapi_document() -> serde_json::Value {
    let (_, doc) = api!(
        App::new()
            .into_utoipa_app()
            .openapi(openapi::BaseDoc::openapi())
    )
    .split_for_parts();
    openapi::finish(doc)
}

/// Opens the pool and applies pending migrations.
pub fn connect(config: &Config) -> Result<Db, StartupError> {
    let pool = db::build_pool(&config.database_url, config.db_pool, config.db_timeout)
        .map_err(|e| StartupError::Database(e.to_string()))?;
    let mut conn = pool
        .get()
        .map_err(|e| StartupError::Database(e.to_string()))?;
    db::run_migrations(&mut conn).map_err(StartupError::Database)?;
    Db::new(pool, config.database_url.clone()).map_err(StartupError::Database)
}

pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    housekeeping: tokio::task::JoinHandle<()>,
}

/// How long a graceful stop waits for the requests in flight; the writer then gets
/// [`WRITER_STOP`] for its last group, so that the process ends within 10 seconds.
const SHUTDOWN_SECS: u64 = 8;
const WRITER_STOP: Duration = Duration::from_secs(2);

impl Application {
    /// Connects, migrates and binds (port 0 picks a free port). Call from inside a runtime.
    pub fn build(
        config: Config,
        clock: Clock,
        workers: Option<usize>,
    ) -> Result<Self, StartupError> {
        let db = connect(&config)?;
        let listener = TcpListener::bind(&config.bind)?;
        let port = listener.local_addr()?.port();
        let state = AppState::new(db, config, clock);
        let doc = ServedDoc(web::Bytes::from(openapi_document().to_string()));
        let app_state = state.clone();
        // The permit types as this process last read them: one cache for every worker.
        let permit_types = web::Data::new(permits::types::TypeCache::default());
        let blocking_threads = state.config.db_pool as usize + 2;
        let mut server = HttpServer::new(move || {
            let max_body = app_state.config.max_body_bytes;
            api!(App::new().into_utoipa_app())
                .into_app()
                .app_data(web::Data::new(app_state.clone()))
                .app_data(permit_types.clone())
                .app_data(web::Data::new(doc.clone()))
                .app_data(extract::path_config())
                .app_data(web::PayloadConfig::new(max_body))
                .service(
                    SwaggerUi::new("/api/docs/{_:.*}")
                        .config(utoipa_swagger_ui::Config::from("/api/openapi.json")),
                )
                .configure(portal::routes)
                .default_service(web::to(ops::fallback))
                .wrap(from_fn(portal::layer))
                .wrap(from_fn(cors::cors))
                .wrap(Compress::default())
                .wrap(from_fn(observe::observe))
        })
        .shutdown_timeout(SHUTDOWN_SECS)
        // The command line handles SIGTERM and Ctrl-C (`cli::serve`): both stop gracefully, and
        // a test process embedding servers keeps its own signals.
        .disable_signals()
        // Blocking threads serve database calls, which cannot outnumber the pool's connections;
        // more threads would only wait for a connection while holding memory.
        .worker_max_blocking_threads(blocking_threads);
        if let Some(n) = workers {
            server = server.workers(n);
        }
        let server = server.listen(listener)?.run();
        let housekeeping = tokio::spawn(housekeeping(state.clone()));
        Ok(Self {
            port,
            server,
            state,
            housekeeping,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn server_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until the server is stopped (`ServerHandle::stop`; graceful: the requests in
    /// flight are answered first), then ends housekeeping and lets the writer commit what it
    /// holds before returning.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        // A housekeeping write already queued is still committed by the writer below.
        self.housekeeping.abort();
        if tokio::time::timeout(WRITER_STOP, self.state.db.stop_writer())
            .await
            .is_err()
        {
            tracing::warn!(
                "the database writer did not finish its group in time; it is rolled back"
            );
        }
        served
    }
}

/// Forgets what only needs keeping for a while: idempotency keys after 48 hours, login failures
/// after a day, expired sign-in challenges, quiet rate-limit buckets, reporters' details past
/// the retention period.
async fn housekeeping(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        let now = state.clock.now_naive();
        let today = state.clock.today(state.config.timezone);
        // In a transaction of its own: on PostgreSQL the requests' writes do not wait for it.
        let result = state
            .db
            .write_alone(move |conn| {
                let keys =
                    crate::http::idempotency::purge(conn, now - chrono::Duration::hours(48))?;
                let failures = auth::throttle::purge(conn, now - chrono::Duration::days(1))?;
                totp::usecases::purge_challenges(conn, now)?;
                portal::session::purge(conn, now)?;
                reports::store::lapse_overdue(conn, today, now, None)?;
                Ok((keys, failures))
            })
            .await;
        if let Err(err) = result {
            tracing::warn!(error = %err, "housekeeping failed; will retry");
        }
        reports::usecases::retention::housekeep(
            &state.db,
            state.now(),
            state.config.report_retention,
        )
        .await;
        state.limits.forget_quiet();
        state.limits.receipt.forget_expired(state.clock.now());
    }
}
