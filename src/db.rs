//! The database layer: one connection type for PostgreSQL and SQLite chosen at run time, an r2d2
//! pool for the reads, the writer thread every write of the service goes through ([`writer`]),
//! embedded migrations, and `write_tx` for the command line's writes.
//!
//! Backend differences live here and in [`writer`]: SQLite pragmas, `BEGIN IMMEDIATE` for write
//! transactions on SQLite, the writer's savepoints and `lock_timeout` on PostgreSQL, the
//! advisory lock around PostgreSQL migrations.

use std::cell::Cell;
use std::path::PathBuf;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::ApiError;

pub mod backup;
pub mod transition;
mod writer;

pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// One connection, PostgreSQL or SQLite. Store functions take `&mut DbConn` and are written
/// once for both.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

/// Where the data lives, parsed from `DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    /// `postgres://…` / `postgresql://…`, `sqlite://PATH`, or a plain path.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("DATABASE_URL is empty".into());
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self::Postgres(raw.to_owned()));
        }
        if let Some(path) = raw.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("sqlite:// needs a path".into());
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if raw.contains("://") {
            return Err(
                "DATABASE_URL must be postgres://, postgresql://, sqlite:// or a path".into(),
            );
        }
        Ok(Self::Sqlite(PathBuf::from(raw)))
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres(_))
    }
}

/// Opens connections for the pool, choosing the backend from the URL so that a refused
/// PostgreSQL connection reports its real error.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }

    pub fn connect_now(&self) -> Result<DbConn, ConnectionError> {
        match &self.url {
            DatabaseUrl::Postgres(url) => Ok(DbConn::Pg(PgConnection::establish(url)?)),
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
                // `busy_timeout` first: `journal_mode` needs a lock on the file, and without
                // the timeout it failed at once ("database is locked") whenever another
                // connection was writing, such as the pool opening a connection in the
                // background while `seed demo` or the migrations wrote.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
                     PRAGMA mmap_size = 268435456;",
                )
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        self.connect_now().map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    /// A connection given back by a thread that panicked, or inside a transaction, is closed
    /// rather than pooled: a transaction left open would keep its locks (an enterprise's
    /// decision lock, say) for as long as the connection lived.
    fn has_broken(&self, conn: &mut DbConn) -> bool {
        std::thread::panicking() || diesel::r2d2::R2D2Connection::is_broken(conn)
    }
}

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConn = PooledConnection<ConnectionManager>;

/// Builds the pool. The checkout timeout is short so that an overloaded or vanished database
/// answers 503 quickly instead of holding requests for 30 seconds.
pub fn build_pool(
    url: &DatabaseUrl,
    size: u32,
    checkout_timeout: Duration,
) -> Result<Pool, r2d2::PoolError> {
    if let DatabaseUrl::Sqlite(path) = url
        && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
    {
        // A missing folder is created; a failure shows up as the connection error below.
        let _ = std::fs::create_dir_all(dir);
    }
    r2d2::Pool::builder()
        .max_size(size.max(1))
        .min_idle(Some(1))
        .connection_timeout(checkout_timeout)
        .test_on_check_out(false)
        .error_handler(Box::new(PoolErrors))
        .build(ConnectionManager::new(url.clone()))
}

/// The pool's failed attempts to open a connection. r2d2 logs them at ERROR, but it retries
/// them itself, and a request that finds no connection in time answers 503 (and `/readyz`
/// fails) on its own: a WARN, with what failed, is enough.
#[derive(Debug)]
struct PoolErrors;

impl r2d2::HandleError<r2d2::Error> for PoolErrors {
    fn handle_error(&self, error: r2d2::Error) {
        tracing::warn!(error = %error, "could not open a database connection; the pool retries");
    }
}

/// Applies every pending migration. On PostgreSQL an advisory lock makes concurrent starts of
/// several processes safe.
pub fn run_migrations(conn: &mut DbConn) -> Result<Vec<String>, String> {
    const LOCK: &str = "SELECT pg_advisory_lock(7351902)";
    const UNLOCK: &str = "SELECT pg_advisory_unlock(7351902)";
    let applied = match conn {
        DbConn::Pg(pg) => {
            pg.batch_execute(LOCK).map_err(|e| e.to_string())?;
            let result = pg
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.iter().map(ToString::to_string).collect())
                .map_err(|e| e.to_string());
            let unlock = pg.batch_execute(UNLOCK).map_err(|e| e.to_string());
            let applied = result?;
            unlock?;
            applied
        }
        DbConn::Sqlite(lite) => lite
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|v| v.iter().map(ToString::to_string).collect())
            .map_err(|e| e.to_string())?,
    };
    Ok(applied)
}

/// What a write use case takes as its transaction starts: on PostgreSQL the writer sends the
/// advisory lock with the job's savepoint, in one round trip ([`writer`]); on SQLite every
/// write already holds the database's only write lock (see [`lock_key`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TxStart {
    /// Takes this key first, as [`lock_key`] would; a later `lock_key` of it costs nothing.
    pub lock: Option<i64>,
}

/// Runs `f` in one write transaction, outside the writer (the command line, the seeds). On
/// SQLite it starts with `BEGIN IMMEDIATE`, so that a read-then-write transaction takes the
/// write lock up front instead of failing with "database is locked" when another writer got
/// there first. Nested `conn.transaction` calls inside `f` become savepoints as usual.
pub fn write_tx<T, F>(conn: &mut DbConn, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConn) -> Result<T, ApiError>,
{
    type Tm = <DbConn as Connection>::TransactionManager;
    // Nothing is written yet: a failed start is the database not answering.
    match conn {
        DbConn::Sqlite(lite) => {
            AnsiTransactionManager::begin_transaction_sql(lite, "BEGIN IMMEDIATE")
        }
        DbConn::Pg(pg) => AnsiTransactionManager::begin_transaction_sql(pg, "BEGIN"),
    }
    .map_err(ApiError::unavailable)?;
    match f(conn) {
        Ok(value) => {
            Tm::commit_transaction(conn).map_err(failed_commit)?;
            Ok(value)
        }
        Err(err) => {
            // The error that caused the rollback is the one worth reporting.
            let _ = Tm::rollback_transaction(conn);
            Err(err)
        }
    }
}

/// The answer to a failed `COMMIT`. One the database refused (a deferred foreign key, a
/// serialization failure) rolled everything back: an ordinary error. Any other (a lost
/// connection) leaves the outcome unknown to us, and so to the client.
pub(crate) fn failed_commit(e: diesel::result::Error) -> ApiError {
    if refused_commit(&e) {
        ApiError::from(e)
    } else {
        ApiError::OutcomeUnknown(e.to_string())
    }
}

/// Whether a failed COMMIT was the database's answer that the transaction breaks a rule
/// checked at commit: then nothing of it was kept. Such errors come only with a reply from the
/// database, never from a lost connection.
pub(crate) fn refused_commit(e: &diesel::result::Error) -> bool {
    use diesel::result::DatabaseErrorKind as Kind;
    matches!(
        e,
        diesel::result::Error::DatabaseError(
            Kind::ForeignKeyViolation
                | Kind::UniqueViolation
                | Kind::CheckViolation
                | Kind::NotNullViolation
                | Kind::RestrictViolation
                | Kind::ExclusionViolation
                | Kind::SerializationFailure,
            _,
        )
    )
}

thread_local! {
    /// The advisory key the writer's job running on this thread took as it started.
    static HELD_AT_START: Cell<Option<i64>> = const { Cell::new(None) };
}

/// After a bulk write (the seeds): on SQLite, copies the write-ahead log into the database file
/// and empties it, so that the file is the whole database and the log does not stay as large
/// as the write was until the next server start. If another process is reading the file at
/// that moment, SQLite leaves the log for later (not an error). Nothing to do on PostgreSQL.
pub fn checkpoint(conn: &mut DbConn) -> QueryResult<()> {
    match conn {
        DbConn::Sqlite(lite) => lite.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)"),
        DbConn::Pg(_) => Ok(()),
    }
}

/// The pool plus the way to use it from async code: every database call runs on the blocking
/// thread pool or the writer thread, never on an async worker.
///
/// Write use cases go to one writer thread with its own connection, which commits the jobs
/// waiting for it together (see [`writer`]); reads run on the pool alongside. On SQLite, which
/// has a single writer, handing the write lock from one request's blocking task to the next
/// left it idle most of the time. On PostgreSQL a decision's `BEGIN`, `COMMIT` and the WAL
/// flush of its commit were a third of its work, and every issuer queued for the certificate
/// serial's row: one writer pays them once per group and never waits for that row. Other
/// processes writing the same database (the command line, a second server) meet SQLite's busy
/// handler or PostgreSQL's row and advisory locks.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    url: DatabaseUrl,
    writer: writer::Writer,
}

impl Db {
    /// This also opens the writer's connection and starts its thread.
    pub fn new(pool: Pool, url: DatabaseUrl) -> Result<Self, String> {
        let writer = writer::Writer::start(ConnectionManager::new(url.clone()))?;
        Ok(Self { pool, url, writer })
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// Runs `f` with a pooled connection on the blocking pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        actix_web::web::block(move || {
            let _entered = span.enter();
            let mut conn = pool.get().map_err(ApiError::unavailable)?;
            f(&mut conn)
        })
        .await
        .map_err(ApiError::internal)?
    }

    /// Runs `read` on a pooled connection, then `write` with what it returned as a write job
    /// ([`Db::write`]) that starts as `read` said ([`TxStart`]). The writer never waits for
    /// the reads.
    pub async fn read_then_write<R, T, FR, FW>(&self, read: FR, write: FW) -> Result<T, ApiError>
    where
        FR: FnOnce(&mut DbConn) -> Result<(R, TxStart), ApiError> + Send + 'static,
        FW: FnOnce(&mut DbConn, R) -> Result<T, ApiError> + Send + 'static,
        R: Send + 'static,
        T: Send + 'static,
    {
        let (r, start) = self.run(read).await?;
        self.writer
            .submit(start.lock, move |conn| write(conn, r))
            .await
    }

    /// Runs `f` as a job of the writer thread: inside a savepoint of its next group's
    /// transaction. `f`'s writes are all committed or none, and the answer comes after the
    /// commit.
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.writer.submit(None, f).await
    }

    /// Runs a large write (an import, a housekeeping run) in one transaction of its own, all
    /// or nothing. On PostgreSQL, which lets transactions write at once, it runs on a pooled
    /// connection beside the writer thread, so that the small writes queued behind it do not
    /// wait for it (they meet it only on the rows both touch). On SQLite, where one writer at
    /// a time is the database's own rule, it is a job of the writer like any other.
    pub async fn write_alone<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        if self.url.is_postgres() {
            self.run(move |conn| write_tx(conn, f)).await
        } else {
            self.write(f).await
        }
    }

    /// The graceful stop's last step: returns once the writer has committed and answered the
    /// jobs queued so far; writes submitted afterwards answer 503.
    pub async fn stop_writer(&self) {
        self.writer.stop().await;
    }

    /// Runs a read use case on a pooled connection ([`Db::run`]); its error, a capability's
    /// own, becomes the API's.
    pub async fn read_case<T, E, F>(&self, use_case: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Into<ApiError>,
    {
        self.run(move |conn| use_case(conn).map_err(Into::into))
            .await
    }

    /// Runs a write use case in one write transaction ([`Db::write`]); its error, a
    /// capability's own, becomes the API's.
    pub async fn write_case<T, E, F>(&self, use_case: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Into<ApiError>,
    {
        self.write(move |conn| use_case(conn).map_err(Into::into))
            .await
    }
}

/// Runs the same expression against whichever concrete connection `conn` holds: for the few
/// diesel features the multi-backend connection does not offer (multi-row inserts), and for the
/// statements every request or every decision runs. The multi-backend connection writes a
/// statement's SQL out again on every execution, even a prepared one, and converts its binds
/// from its own backend's; on the concrete connection a statement with a static query id is
/// found in the statement cache by its type alone.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Pg($c) => $body,
            $crate::db::DbConn::Sqlite($c) => $body,
        }
    };
}
pub(crate) use on_backend;

/// Serialises the transactions that work on one `key` (for instance one employee's violations,
/// whose flags depend on each other) until the current transaction ends. PostgreSQL takes a
/// transaction-scoped advisory lock; on SQLite every write transaction already holds the
/// database's write lock (`BEGIN IMMEDIATE`), so there is nothing more to take.
pub fn lock_key(conn: &mut DbConn, key: i64) -> QueryResult<()> {
    match conn {
        DbConn::Pg(_) if HELD_AT_START.get() == Some(key) => Ok(()),
        DbConn::Pg(_) => prepared(
            &["SELECT pg_advisory_xact_lock(", ")"],
            (key.into_sql::<diesel::sql_types::BigInt>(),),
        )
        .execute(conn)
        .map(|_| ()),
        DbConn::Sqlite(_) => Ok(()),
    }
}

/// `query LIMIT n` with `n` written into the SQL instead of bound. diesel's `.limit(n)` binds
/// it, and SQLite 3.50 re-prepares a statement with a bound `LIMIT` on every run; written
/// in, the statement stays prepared (one per page size). `n` is an integer, never text.
#[derive(Debug, Clone)]
pub struct LiteralLimit<Q> {
    query: Q,
    sql: String,
}

pub fn literal_limit<Q>(query: Q, n: i64) -> LiteralLimit<Q> {
    LiteralLimit {
        query,
        sql: format!(" LIMIT {n}"),
    }
}

impl<Q: diesel::query_builder::Query> diesel::query_builder::Query for LiteralLimit<Q> {
    type SqlType = Q::SqlType;
}

impl<Q> diesel::query_builder::QueryId for LiteralLimit<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q, DB> diesel::query_builder::QueryFragment<DB> for LiteralLimit<Q>
where
    DB: diesel::backend::Backend,
    Q: diesel::query_builder::QueryFragment<DB>,
{
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> QueryResult<()> {
        self.query.walk_ast(out.reborrow())?;
        out.push_sql(&self.sql);
        Ok(())
    }
}

impl<Q, C> RunQueryDsl<C> for LiteralLimit<Q> {}

/// `(SELECT value)`: a bound value that PostgreSQL's planner does not look into. PostgreSQL
/// (`plan_cache_mode = auto`) re-plans a prepared statement on every run for as long as the
/// plans made for its actual values look cheaper than its generic plan; for the overdue list's
/// "before today", true of nearly every open hazard, that planning cost more than running the
/// statement. Behind a sub-select the value is unknown to every plan, both cost the same, and
/// the generic plan is kept after the fifth run. SQLite evaluates the sub-select once.
#[derive(Debug, Clone, Copy, diesel::query_builder::QueryId, diesel::expression::ValidGrouping)]
pub struct Unplanned<E>(E);

pub fn unplanned<E: Expression>(value: E) -> Unplanned<E> {
    Unplanned(value)
}

impl<E: Expression> Expression for Unplanned<E> {
    type SqlType = E::SqlType;
}

impl<E, QS> diesel::AppearsOnTable<QS> for Unplanned<E> where E: diesel::AppearsOnTable<QS> {}
impl<E, QS> diesel::SelectableExpression<QS> for Unplanned<E> where
    E: diesel::SelectableExpression<QS>
{
}

impl<E, DB> diesel::query_builder::QueryFragment<DB> for Unplanned<E>
where
    DB: diesel::backend::Backend,
    E: diesel::query_builder::QueryFragment<DB>,
{
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> QueryResult<()> {
        out.push_sql("(SELECT ");
        self.0.walk_ast(out.reborrow())?;
        out.push_sql(")");
        Ok(())
    }
}

/// A text constant of the code written into the SQL instead of bound, for the fixed values of
/// a status or level column. Bound, such a value costs a plan on every run when the column's
/// values are skewed (a city's hazards are nearly all `general`): PostgreSQL's plans for the
/// actual value then look cheaper than its generic plan, which it never switches to; and SQLite
/// prepares the statement again on every run when a partial index's condition names the
/// column (every statement that asks for open hazards should write `'open'` in: the partial
/// indexes on open hazards need the value written in to be used at all). Only for
/// `&'static str` constants, never for input; a quote is doubled all the same.
#[derive(Debug, Clone, Copy, diesel::expression::ValidGrouping)]
pub struct Constant(&'static str);

pub fn constant(value: &'static str) -> Constant {
    Constant(value)
}

impl Expression for Constant {
    type SqlType = diesel::sql_types::Text;
}

impl<QS> diesel::AppearsOnTable<QS> for Constant {}
impl<QS> diesel::SelectableExpression<QS> for Constant {}

/// The text is part of the SQL, so statements with different constants are different
/// statements: no static query id, the statement cache keys them by their SQL.
impl diesel::query_builder::QueryId for Constant {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB: diesel::backend::Backend> diesel::query_builder::QueryFragment<DB> for Constant {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> QueryResult<()> {
        out.push_sql("'");
        out.push_sql(&self.0.replace('\'', "''"));
        out.push_sql("'");
        Ok(())
    }
}

/// `WITH also AS (<also>) <main>`: several writes in one PostgreSQL statement, one round trip.
/// PostgreSQL runs a data-modifying `WITH` part to completion whether or not the main statement
/// reads it, and all parts see the same snapshot, so no part may depend on what another writes
/// (a foreign key checked at the end of the statement sees them all). `main` gives the
/// statement its result. Kept prepared like its parts: all are diesel statements, and the bind
/// numbers run on from one part into the next. `also` is one part ([`with_also`]) or two
/// ([`with_also_two`], written `also1` and `also2`).
#[derive(Debug, Clone, diesel::query_builder::QueryId)]
pub struct WithAlso<M, A> {
    main: M,
    also: A,
}

/// See [`WithAlso`]. PostgreSQL only: SQLite accepts no write inside `WITH`.
pub fn with_also<M, A>(main: M, also: A) -> WithAlso<M, (A,)> {
    WithAlso {
        main,
        also: (also,),
    }
}

/// [`with_also`] with two parts, `a` before `b`.
pub fn with_also_two<M, A, B>(main: M, a: A, b: B) -> WithAlso<M, (A, B)> {
    WithAlso { main, also: (a, b) }
}

/// The `WITH` parts of a [`WithAlso`], each written as `name AS (<part>)`.
pub trait AlsoParts {
    fn walk_parts<'b>(
        &'b self,
        out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()>;
}

type PgFragment<'b> = dyn diesel::query_builder::QueryFragment<diesel::pg::Pg> + 'b;

fn walk_named<'b>(
    parts: &[(&str, &'b PgFragment<'b>)],
    mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
) -> QueryResult<()> {
    for (i, (name, part)) in parts.iter().enumerate() {
        out.push_sql(if i == 0 { "WITH " } else { ", " });
        out.push_sql(name);
        out.push_sql(" AS (");
        part.walk_ast(out.reborrow())?;
        out.push_sql(")");
    }
    out.push_sql(" ");
    Ok(())
}

impl<A> AlsoParts for (A,)
where
    A: diesel::query_builder::QueryFragment<diesel::pg::Pg>,
{
    fn walk_parts<'b>(
        &'b self,
        out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        walk_named(&[("also", &self.0)], out)
    }
}

impl<A, B> AlsoParts for (A, B)
where
    A: diesel::query_builder::QueryFragment<diesel::pg::Pg>,
    B: diesel::query_builder::QueryFragment<diesel::pg::Pg>,
{
    fn walk_parts<'b>(
        &'b self,
        out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        walk_named(&[("also1", &self.0), ("also2", &self.1)], out)
    }
}

impl<M, A> diesel::query_builder::QueryFragment<diesel::pg::Pg> for WithAlso<M, A>
where
    M: diesel::query_builder::QueryFragment<diesel::pg::Pg>,
    A: AlsoParts,
{
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        self.also.walk_parts(out.reborrow())?;
        self.main.walk_ast(out.reborrow())
    }
}

impl<M: diesel::query_builder::Query, A> diesel::query_builder::Query for WithAlso<M, A> {
    type SqlType = M::SqlType;
}

impl<M, A, C> RunQueryDsl<C> for WithAlso<M, A> {}

/// A statement written as SQL around its bind parameters, which diesel's statement cache keeps
/// prepared: diesel never keeps its own `UPDATE`, multi-row `INSERT` or `sql_query` statements,
/// so on the hot paths those were parsed and planned again on every run. `sql` holds the text
/// between the binds (one more piece than binds); each bind is a typed value
/// (`value.into_sql::<Text>()`), rendered as `?` on SQLite and `$n` on PostgreSQL. `ST` is the
/// SQL type of a `RETURNING` clause, if any.
#[derive(Debug, Clone)]
pub struct Prepared<B, ST = ()> {
    sql: &'static [&'static str],
    binds: B,
    returns: std::marker::PhantomData<ST>,
}

/// A [`Prepared`] statement that returns nothing (`execute` it).
pub fn prepared<B>(sql: &'static [&'static str], binds: B) -> Prepared<B> {
    Prepared {
        sql,
        binds,
        returns: std::marker::PhantomData,
    }
}

/// A [`Prepared`] statement with a `RETURNING` clause of SQL type `ST` (`get_result` it).
pub fn prepared_returning<ST, B>(sql: &'static [&'static str], binds: B) -> Prepared<B, ST> {
    Prepared {
        sql,
        binds,
        returns: std::marker::PhantomData,
    }
}

impl<B, ST> Prepared<B, ST> {
    fn piece(&self, k: usize) -> QueryResult<&'static str> {
        self.sql.get(k).copied().ok_or_else(|| {
            diesel::result::Error::QueryBuilderError("a prepared statement lacks SQL text".into())
        })
    }
}

impl<DB, ST> diesel::query_builder::QueryFragment<DB> for Prepared<(), ST>
where
    DB: diesel::backend::Backend,
{
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> QueryResult<()> {
        out.push_sql(self.piece(0)?);
        Ok(())
    }
}

macro_rules! prepared_binds {
    ($($bind:ident $k:tt),+) => {
        impl<DB, ST, $($bind),+> diesel::query_builder::QueryFragment<DB>
            for Prepared<($($bind,)+), ST>
        where
            DB: diesel::backend::Backend,
            $($bind: diesel::query_builder::QueryFragment<DB>),+
        {
            fn walk_ast<'b>(
                &'b self,
                mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
            ) -> QueryResult<()> {
                out.push_sql(self.piece(0)?);
                $(
                    self.binds.$k.walk_ast(out.reborrow())?;
                    out.push_sql(self.piece($k + 1)?);
                )+
                Ok(())
            }
        }
    };
}

prepared_binds!(A 0);
prepared_binds!(A 0, B 1);
prepared_binds!(A 0, B 1, C 2);
prepared_binds!(A 0, B 1, C 2, D 3);
prepared_binds!(A 0, B 1, C 2, D 3, E 4);

impl<B, ST> diesel::query_builder::QueryId for Prepared<B, ST> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<B, ST: 'static> diesel::query_builder::Query for Prepared<B, ST> {
    type SqlType = ST;
}

impl<B, ST, C> RunQueryDsl<C> for Prepared<B, ST> {}

/// The readiness probe: the database answers, and with the service's schema (a real table,
/// not just `SELECT 1`); 503 otherwise.
pub fn check_ready(conn: &mut DbConn) -> Result<(), ApiError> {
    use diesel::connection::SimpleConnection;
    conn.batch_execute("SELECT 1 FROM __diesel_schema_migrations LIMIT 1")
        .map_err(ApiError::unavailable)
}

/// Maps a unique violation to `Some(constraint text)`, anything else to `None`.
pub fn is_unique_violation(err: &diesel::result::Error) -> bool {
    matches!(
        err,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn like_contains(needle: &str) -> String {
    let mut out = String::with_capacity(needle.len() + 2);
    out.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_choose_the_backend_by_scheme() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/anjian.db"),
            Ok(DatabaseUrl::Sqlite(PathBuf::from("data/anjian.db")))
        );
        assert_eq!(
            DatabaseUrl::parse("/tmp/x.db"),
            Ok(DatabaseUrl::Sqlite(PathBuf::from("/tmp/x.db")))
        );
        assert!(DatabaseUrl::parse("postgresql://u@h/db").is_ok_and(|u| u.is_postgres()));
        assert!(DatabaseUrl::parse("postgres://u@h/db").is_ok_and(|u| u.is_postgres()));
        assert!(DatabaseUrl::parse("mysql://h/db").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
        assert!(DatabaseUrl::parse("  ").is_err());
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_contains("a%b_c\\"), "%a\\%b\\_c\\\\%");
    }
}
