//! The single writer: one thread that owns one connection and commits in groups, on both
//! backends.
//!
//! SQLite lets one transaction write at a time. When every request ran its own write
//! transaction on the blocking pool, one after another, most of the time between two commits
//! went to handing the turn on (waking the next request's task, then a blocking thread for it),
//! and with two cores the database sat idle: 650 decisions a second with 60 % of the CPU idle.
//! PostgreSQL lets transactions write at once, but an instant approval's `BEGIN`, `COMMIT` and
//! the WAL flush of its commit cost about a third of its work, and every approval queued for
//! the certificate serial's row until the one before it had committed (see
//! `docs/BENCHMARKS.md`, step 27).
//!
//! Here the write use cases are queued to one thread. It takes every job that is waiting (up to
//! [`MAX_GROUP`]), runs them in one transaction (`BEGIN IMMEDIATE` on SQLite), each inside its
//! own savepoint, commits once, and only then answers them all:
//!
//! * a job that fails is rolled back to its savepoint and answers its own error; the others
//!   are unaffected (its writes never happened);
//! * a job sees the writes of the jobs before it in the group, exactly as if they had been
//!   committed one by one in that order: compare-and-set transitions keep their one winner;
//! * nothing is answered before the commit: if the commit fails, every job of the group
//!   answers that failure and none of their writes exist (on PostgreSQL a commit that may
//!   have happened, a lost connection, answers "outcome unknown");
//! * a job that panics is rolled back and answers 500; the thread goes on.
//!
//! With one job waiting this is one ordinary transaction. Under load the commit, the WAL write
//! of shared pages and the hand-over are paid once per group instead of once per request.
//!
//! On PostgreSQL a job's savepoint, the release of the one before it and the advisory lock the
//! job asked for ([`super::TxStart`]) go in one round trip, and the last job's release goes
//! with the `COMMIT`. A lock taken in a job that fails is released with its savepoint; one
//! taken in a job that succeeds is held until the group commits. Constraints PostgreSQL checks
//! at commit (an application's link to its certificate, migration 000011) are checked for the
//! whole group: a job that broke one makes the group's commit fail, which keeps nothing and
//! answers every job of the group 503, so that a client may simply retry.
//!
//! SQLite's WAL checkpoints are mostly done beside the writer, not in it. SQLite's automatic
//! checkpoint copies pages into the database file and `fsync`s it inside a commit, while every
//! write waits. Instead, after commits (at most every [`CHECKPOINT_PAUSE`]) a second thread with
//! its own connection runs `PASSIVE` checkpoints, which wait for no one, until little of the
//! WAL is left to copy. The writer then, between two groups, checkpoints the few frames left,
//! so that the WAL is wholly copied and SQLite starts it afresh with the next write: a
//! checkpoint that runs beside a busy writer never catches up alone, and the WAL would grow
//! without end.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};

use diesel::RunQueryDsl;
use diesel::connection::{
    AnsiTransactionManager, Connection, SimpleConnection, TransactionManager,
};
use tokio::sync::oneshot;

use super::{ConnectionManager, DbConn};
use crate::error::ApiError;

/// The most jobs committed together. Large enough to absorb a burst from every client of a
/// busy server, small enough that one group's commit stays short.
const MAX_GROUP: usize = 64;

/// The least time between two checkpoints.
const CHECKPOINT_PAUSE: std::time::Duration = std::time::Duration::from_secs(1);

type Tm = <DbConn as Connection>::TransactionManager;

/// One write use case in the queue, with the way to answer it.
trait Job: Send {
    /// Runs the use case inside the group's transaction; `true` if it succeeded (and its
    /// savepoint is to be kept).
    fn run(&mut self, conn: &mut DbConn) -> bool;
    /// Records `error` as the job's answer in place of its own result: for a job that never
    /// ran, or whose writes were undone after it returned.
    fn fail(&mut self, error: ApiError);
    /// Answers the waiting request: its own result, or `failure` if its group did not commit.
    fn answer(self: Box<Self>, failure: Option<&GroupFailure>);
    /// The advisory key the job takes as it starts (PostgreSQL; see `db::TxStart`).
    fn lock(&self) -> Option<i64>;
    /// The stop marker ([`Writer::stop`]): no use case, the thread's last message.
    fn stops(&self) -> bool {
        false
    }
}

/// [`Writer::stop`]'s marker: answered once every job queued before it has been committed.
struct Stop {
    reply: Option<oneshot::Sender<()>>,
}

impl Job for Stop {
    fn run(&mut self, _conn: &mut DbConn) -> bool {
        false
    }

    fn fail(&mut self, _error: ApiError) {}

    fn answer(mut self: Box<Self>, _failure: Option<&GroupFailure>) {
        if let Some(reply) = self.reply.take() {
            let _ = reply.send(());
        }
    }

    fn lock(&self) -> Option<i64> {
        None
    }

    fn stops(&self) -> bool {
        true
    }
}

struct TypedJob<T, F> {
    f: Option<F>,
    lock: Option<i64>,
    result: Option<Result<T, ApiError>>,
    reply: oneshot::Sender<Result<T, ApiError>>,
    span: tracing::Span,
}

impl<T, F> Job for TypedJob<T, F>
where
    T: Send,
    F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send,
{
    fn run(&mut self, conn: &mut DbConn) -> bool {
        let Some(f) = self.f.take() else {
            return false;
        };
        let _entered = self.span.enter();
        let result = catch_unwind(AssertUnwindSafe(|| f(conn)))
            .unwrap_or_else(|panic| Err(ApiError::internal(panic_message(&*panic))));
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn fail(&mut self, error: ApiError) {
        self.f = None;
        self.result = Some(Err(error));
    }

    fn answer(self: Box<Self>, failure: Option<&GroupFailure>) {
        let answer = match (failure, self.result) {
            (Some(failed), _) if failed.outcome_unknown => {
                Err(ApiError::OutcomeUnknown(failed.why.clone()))
            }
            (Some(failed), _) => Err(ApiError::unavailable(format!(
                "write not committed: {}",
                failed.why
            ))),
            (None, Some(result)) => result,
            (None, None) => Err(ApiError::internal("write job never ran")),
        };
        // The request may have gone (client disconnected); its answer is then dropped.
        let _ = self.reply.send(answer);
    }

    fn lock(&self) -> Option<i64> {
        self.lock
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    let text = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    format!("write panicked: {text}")
}

/// The queue to the writer thread. Cloning shares it; the thread ends when the last clone is
/// dropped, closing its connection.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Box<dyn Job>>,
    /// Set by the thread as it stops, before it refuses what is left in the queue: a job
    /// dropped unanswered after that never ran (it came as the queue was closing), and is
    /// answered 503 like the ones refused.
    stopped: Arc<AtomicBool>,
}

impl Writer {
    /// Opens the writer's own connection and starts its thread, and on SQLite the
    /// checkpointer's.
    pub fn start(manager: ConnectionManager) -> Result<Self, String> {
        let conn = open(&manager)?;
        let (jobs, queue) = mpsc::channel::<Box<dyn Job>>();
        let (due, checkpoint_due) = mpsc::sync_channel::<()>(1);
        let checkpoint = Checkpoint {
            due,
            copied: Arc::new(AtomicBool::new(false)),
        };
        if matches!(conn, DbConn::Sqlite(_)) {
            let checkpointer = manager.connect_now().map_err(|e| e.to_string())?;
            let copied = Arc::clone(&checkpoint.copied);
            std::thread::Builder::new()
                .name("sqlite-checkpoint".into())
                .spawn(move || run_checkpoints(checkpointer, &checkpoint_due, &copied))
                .map_err(|e| e.to_string())?;
        }
        let stopped = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stopped);
        std::thread::Builder::new()
            .name("db-writer".into())
            .spawn(move || run_queue(&manager, conn, &queue, &checkpoint, &stopping))
            .map_err(|e| e.to_string())?;
        Ok(Self { jobs, stopped })
    }

    /// Queues `f` and waits for its answer, given after its group has committed.
    pub async fn submit<T, F>(&self, lock: Option<i64>, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = TypedJob {
            f: Some(f),
            lock,
            result: None,
            reply,
            span: tracing::Span::current(),
        };
        self.jobs
            .send(Box::new(job))
            .map_err(|_| ApiError::unavailable("the database writer has stopped"))?;
        answer.await.map_err(|_| {
            if self.stopped.load(Ordering::Acquire) {
                ApiError::unavailable("the service is stopping")
            } else {
                ApiError::internal("the database writer dropped a write")
            }
        })?
    }

    /// Stops the thread once the jobs queued before this call are committed and answered (the
    /// graceful stop); jobs queued after it are answered 503 without running, and so is every
    /// later `submit`. Returns at once if the thread has already stopped.
    pub async fn stop(&self) {
        let (reply, stopped) = oneshot::channel();
        if self
            .jobs
            .send(Box::new(Stop { reply: Some(reply) }))
            .is_ok()
        {
            let _ = stopped.await;
        }
    }
}

/// The writer's connection: on SQLite with automatic checkpoints off (the checkpointer thread
/// does them), on PostgreSQL with a `lock_timeout` of 5 s.
fn open(manager: &ConnectionManager) -> Result<DbConn, String> {
    let mut conn = manager.connect_now().map_err(|e| e.to_string())?;
    let setup = match conn {
        DbConn::Sqlite(_) => "PRAGMA wal_autocheckpoint = 0",
        // Every write of the process waits while a job waits for a lock: one that another
        // session holds for longer (the command line, another server, a person at `psql`)
        // fails the job that waits, with 503, instead.
        DbConn::Pg(_) => "SET lock_timeout = '5s'",
    };
    conn.batch_execute(setup).map_err(|e| e.to_string())?;
    Ok(conn)
}

/// The writer's side of the checkpointer.
struct Checkpoint {
    /// Full when a checkpoint is already due.
    due: mpsc::SyncSender<()>,
    /// Set when the checkpointer has copied most of the WAL: the writer finishes the job.
    copied: Arc<AtomicBool>,
}

/// Above this many WAL frames (256 MiB of 4 KiB pages), the writer's checkpoint waits for
/// readers (`RESTART`) instead of leaving them be: a reader on an old snapshot can keep a
/// `PASSIVE` checkpoint from finishing, and then the WAL is not started afresh.
const WAL_FRAMES_RESTART: i64 = 65_536;

#[derive(diesel::QueryableByName)]
struct CheckpointResult {
    /// Frames in the WAL.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    log: i64,
    /// Frames of it copied into the database file.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    checkpointed: i64,
}

/// Checkpoints what it can without waiting.
fn checkpoint_passive(conn: &mut DbConn) -> CheckpointResult {
    diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)")
        .get_result::<CheckpointResult>(conn)
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "WAL checkpoint failed");
            CheckpointResult {
                log: 0,
                checkpointed: 0,
            }
        })
}

/// The checkpointer hands over to the writer once at most this many frames are left to copy.
const FRAMES_LEFT_FOR_WRITER: i64 = 256;

fn run_checkpoints(mut conn: DbConn, due: &mpsc::Receiver<()>, copied: &AtomicBool) {
    // Ends when the writer thread has ended.
    while due.recv().is_ok() {
        // Each pass copies what the writer added during the last one, which is less; a few
        // passes leave the writer a short copy (and `fsync`) of its own.
        for _ in 0..4 {
            let r = checkpoint_passive(&mut conn);
            if r.log - r.checkpointed <= FRAMES_LEFT_FOR_WRITER {
                break;
            }
        }
        copied.store(true, Ordering::Release);
        std::thread::sleep(CHECKPOINT_PAUSE);
    }
}

fn run_queue(
    manager: &ConnectionManager,
    mut conn: DbConn,
    queue: &mpsc::Receiver<Box<dyn Job>>,
    checkpoint: &Checkpoint,
    stopped: &AtomicBool,
) {
    while let Ok(first) = queue.recv() {
        let mut group = Vec::with_capacity(8);
        let mut stop = None;
        if first.stops() {
            stop = Some(first);
        } else {
            group.push(first);
        }
        while stop.is_none() && group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) if job.stops() => stop = Some(job),
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        if group.is_empty() {
            if let Some(stop) = stop {
                refuse_rest(queue, stopped);
                stop.answer(None);
            }
            return;
        }
        let failure = run_group(&mut conn, &mut group).err();
        if failure.is_none() {
            // Full: a checkpoint is already due.
            let _ = checkpoint.due.try_send(());
        }
        if let Some(why) = &failure {
            if why.outcome_unknown {
                // The database may or may not have kept the group: someone must look.
                tracing::error!(error = %why.why, jobs = group.len(), "write group's commit unconfirmed");
            } else {
                // Nothing was kept and every job answered 503, which a client may retry: the
                // database busy or away for a moment, or a constraint checked at commit.
                tracing::warn!(error = %why.why, jobs = group.len(), "write group not committed; its jobs answer 503");
            }
            if !at_rest(&mut conn) {
                // The transaction could not even be rolled back: start afresh.
                match open(manager) {
                    Ok(fresh) => conn = fresh,
                    Err(e) => tracing::error!(error = %e, "the writer could not reconnect"),
                }
            }
        }
        for job in group {
            job.answer(failure.as_ref());
        }
        if let Some(stop) = stop {
            refuse_rest(queue, stopped);
            stop.answer(None);
            return;
        }
        if checkpoint.copied.swap(false, Ordering::Acquire) {
            // Only the frames written since the checkpointer's pass are left to copy.
            if checkpoint_passive(&mut conn).log > WAL_FRAMES_RESTART
                && let Err(e) = conn.batch_execute("PRAGMA wal_checkpoint(RESTART)")
            {
                tracing::warn!(error = %e, "WAL restart checkpoint failed");
            }
        }
    }
}

/// Answers what was queued after the stop marker: 503, nothing of it ran. What comes between
/// this and the queue's end is dropped unanswered, and `submit` answers it 503 by `stopped`.
fn refuse_rest(queue: &mpsc::Receiver<Box<dyn Job>>, stopped: &AtomicBool) {
    stopped.store(true, Ordering::Release);
    while let Ok(mut job) = queue.try_recv() {
        job.fail(ApiError::unavailable("the service is stopping"));
        job.answer(None);
    }
}

/// Why a group was not committed.
#[derive(Debug)]
struct GroupFailure {
    why: String,
    /// The commit was sent and no answer came back (PostgreSQL): it may have happened.
    outcome_unknown: bool,
}

/// Runs the group in one transaction, each job in a savepoint; `Err` if nothing was committed,
/// or if that is not known.
fn run_group(conn: &mut DbConn, group: &mut [Box<dyn Job>]) -> Result<(), GroupFailure> {
    let done = match conn {
        DbConn::Sqlite(_) => run_sqlite_group(conn, group),
        DbConn::Pg(_) => run_pg_group(conn, group),
    };
    if done.is_err() {
        // Savepoint or commit trouble: the whole group goes, nothing half-written stays.
        while in_transaction(conn) {
            if Tm::rollback_transaction(conn).is_err() {
                break;
            }
        }
    }
    done
}

/// A failure before the commit was sent: nothing was kept.
fn definite(e: diesel::result::Error) -> GroupFailure {
    GroupFailure {
        why: e.to_string(),
        outcome_unknown: false,
    }
}

fn run_sqlite_group(conn: &mut DbConn, group: &mut [Box<dyn Job>]) -> Result<(), GroupFailure> {
    let DbConn::Sqlite(lite) = &mut *conn else {
        unreachable!("SQLite's group")
    };
    AnsiTransactionManager::begin_transaction_sql(lite, "BEGIN IMMEDIATE").map_err(definite)?;
    for job in group.iter_mut() {
        Tm::begin_transaction(conn).map_err(definite)?;
        if run_job(conn, job, 2) {
            Tm::commit_transaction(conn)
        } else {
            Tm::rollback_transaction(conn)
        }
        .map_err(definite)?;
    }
    Tm::commit_transaction(conn).map_err(definite)
}

/// Runs `job` at diesel's transaction depth `depth`. A job that leaves a nested transaction of
/// its own open (a panic inside `conn.transaction`) is rolled back to `depth` and fails.
fn run_job(conn: &mut DbConn, job: &mut Box<dyn Job>, depth: u32) -> bool {
    let ok = job.run(conn);
    let mut left_open = false;
    while let Ok(Some(d)) = Tm::transaction_manager_status_mut(conn).transaction_depth() {
        if d.get() <= depth {
            break;
        }
        left_open = true;
        if Tm::rollback_transaction(conn).is_err() {
            break;
        }
    }
    if left_open {
        job.fail(ApiError::internal(
            "a write job left a transaction of its own open",
        ));
    }
    ok && !left_open
}

/// PostgreSQL: the group's transaction, each job in a savepoint of its own (`job_<i>`), set in
/// the same round trip as the release of the one before it and the job's advisory lock, and
/// the last job's released with the `COMMIT`. diesel's transaction manager sees the group's
/// transaction only, so a job's own nested transactions become savepoints inside the job's.
///
/// - A job that fails is rolled back to its savepoint.
/// - A job whose start fails (its lock refused after `lock_timeout`) is rolled back to its
///   savepoint and answers 503 without running.
/// - A job that returned `Ok` after a statement of its own failed (PostgreSQL then refuses
///   everything but a rollback) is found when its savepoint's release fails: it is rolled
///   back and answers 500, and the group goes on without it. Without this, the group's
///   `COMMIT` would quietly roll everything back.
fn run_pg_group(conn: &mut DbConn, group: &mut [Box<dyn Job>]) -> Result<(), GroupFailure> {
    let DbConn::Pg(pg) = &mut *conn else {
        unreachable!("PostgreSQL's group")
    };
    AnsiTransactionManager::begin_transaction_sql(pg, "BEGIN").map_err(definite)?;
    let undo = |conn: &mut DbConn, i: usize| {
        conn.batch_execute(&format!(
            "ROLLBACK TO SAVEPOINT job_{i}; RELEASE SAVEPOINT job_{i}"
        ))
    };
    let went_on = |e: &diesel::result::Error| {
        ApiError::internal(format!("a write job went on after a failed statement: {e}"))
    };
    // The last job that succeeded, while its savepoint is not released yet.
    let mut kept: Option<usize> = None;
    for i in 0..group.len() {
        let lock = group[i].lock();
        let mut set = format!("SAVEPOINT job_{i}");
        if let Some(key) = lock {
            // An integer written into the SQL, never text.
            set.push_str(&format!("; SELECT pg_advisory_xact_lock({key})"));
        }
        let start = match kept {
            Some(k) => format!("RELEASE SAVEPOINT job_{k}; {set}"),
            None => set.clone(),
        };
        if let Err(e) = conn.batch_execute(&start) {
            if undo(conn, i).is_ok() {
                // The savepoint was set: the lock was refused. The release before it, if
                // any, went through.
                group[i].fail(ApiError::unavailable(e));
                kept = None;
                continue;
            }
            // The savepoint was never set: the release failed, so the job before failed.
            let Some(k) = kept.take() else {
                return Err(definite(e));
            };
            undo(conn, k).map_err(definite)?;
            group[k].fail(went_on(&e));
            if let Err(e) = conn.batch_execute(&set) {
                undo(conn, i).map_err(definite)?;
                group[i].fail(ApiError::unavailable(e));
                continue;
            }
        }
        super::HELD_AT_START.set(lock);
        let ok = run_job(conn, &mut group[i], 1);
        super::HELD_AT_START.set(None);
        if ok {
            kept = Some(i);
        } else {
            undo(conn, i).map_err(definite)?;
            kept = None;
        }
    }
    loop {
        let commit = match kept {
            Some(k) => format!("RELEASE SAVEPOINT job_{k}; COMMIT"),
            None => "COMMIT".to_owned(),
        };
        let Err(e) = conn.batch_execute(&commit) else {
            return Ok(());
        };
        match Tm::transaction_manager_status_mut(conn).transaction_depth() {
            // Still inside the transaction: the release failed, so the last job failed.
            Ok(Some(_)) => {
                let Some(k) = kept.take() else {
                    return Err(definite(e));
                };
                undo(conn, k).map_err(definite)?;
                group[k].fail(went_on(&e));
            }
            // The commit ran and PostgreSQL refused it (a constraint checked at commit), or
            // it got no answer and may have happened.
            Ok(None) | Err(_) => {
                return Err(GroupFailure {
                    outcome_unknown: !super::refused_commit(&e),
                    why: e.to_string(),
                });
            }
        }
    }
}

fn in_transaction(conn: &mut DbConn) -> bool {
    matches!(
        Tm::transaction_manager_status_mut(conn).transaction_depth(),
        Ok(Some(_))
    )
}

/// Outside any transaction, and usable.
fn at_rest(conn: &mut DbConn) -> bool {
    matches!(
        Tm::transaction_manager_status_mut(conn).transaction_depth(),
        Ok(None)
    )
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc as std_mpsc;
    use std::time::Duration;

    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use diesel::sql_types::Text;

    use super::*;
    use crate::db::DatabaseUrl;

    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }

    fn names(conn: &mut DbConn) -> Vec<String> {
        match diesel::sql_query("SELECT name FROM t ORDER BY name").load::<Name>(conn) {
            Ok(rows) => rows.into_iter().map(|r| r.name).collect(),
            Err(e) => vec![format!("error: {e}")],
        }
    }

    fn insert(conn: &mut DbConn, name: &str) -> Result<(), ApiError> {
        diesel::sql_query("INSERT INTO t (name) VALUES (?)")
            .bind::<Text, _>(name)
            .execute(conn)?;
        Ok(())
    }

    /// A writer on a fresh file with `t(name)` and `child(parent)`, whose foreign key is
    /// checked only at commit; plus a reader connection of its own.
    fn setup(dir: &tempfile::TempDir) -> Result<(Writer, DbConn), String> {
        let url = DatabaseUrl::Sqlite(dir.path().join("w.db"));
        let manager = ConnectionManager::new(url);
        let mut reader = manager.connect_now().map_err(|e| e.to_string())?;
        reader
            .batch_execute(
                "CREATE TABLE t (name TEXT NOT NULL UNIQUE); \
                 CREATE TABLE child (parent TEXT NOT NULL \
                   REFERENCES t (name) DEFERRABLE INITIALLY DEFERRED);",
            )
            .map_err(|e| e.to_string())?;
        Ok((Writer::start(manager)?, reader))
    }

    /// Submits a job that holds the writer until `release` is sent, so that the jobs submitted
    /// next wait together and form the next group.
    fn hold(
        writer: &Writer,
    ) -> (
        std_mpsc::Sender<()>,
        tokio::task::JoinHandle<Result<(), ApiError>>,
    ) {
        let (release, wait) = std_mpsc::channel::<()>();
        let w = writer.clone();
        let held = tokio::spawn(async move {
            w.submit(None, move |_| {
                let _ = wait.recv_timeout(Duration::from_secs(10));
                Ok(())
            })
            .await
        });
        (release, held)
    }

    #[tokio::test]
    async fn a_failed_job_in_a_group_loses_only_its_own_writes() -> Result<(), String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let (writer, mut reader) = setup(&dir)?;
        let (release, held) = hold(&writer);
        tokio::time::sleep(Duration::from_millis(50)).await;
        let (w1, w2, w3) = (writer.clone(), writer.clone(), writer.clone());
        let a = tokio::spawn(async move { w1.submit(None, |c| insert(c, "a")).await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        // Writes, then fails: its row must not survive.
        let b = tokio::spawn(async move {
            w2.submit(None, |c| {
                insert(c, "b")?;
                Err::<(), _>(ApiError::Conflict("no".into()))
            })
            .await
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        // Sees `a` (same group, not yet committed), which no other connection can see yet.
        let c = tokio::spawn(async move {
            w3.submit(None, |c| {
                let seen = names(c);
                insert(c, "c")?;
                Ok(seen)
            })
            .await
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(names(&mut reader).is_empty(), "nothing is committed yet");
        release.send(()).map_err(|e| e.to_string())?;
        let join = |e: tokio::task::JoinError| e.to_string();
        held.await.map_err(join)?.map_err(|e| e.to_string())?;
        a.await.map_err(join)?.map_err(|e| e.to_string())?;
        assert!(matches!(b.await.map_err(join)?, Err(ApiError::Conflict(_))));
        let seen_by_c = c.await.map_err(join)?.map_err(|e| e.to_string())?;
        assert_eq!(seen_by_c, vec!["a".to_owned()]);
        assert_eq!(names(&mut reader), vec!["a".to_owned(), "c".to_owned()]);
        Ok(())
    }

    #[tokio::test]
    async fn a_group_that_cannot_commit_answers_every_job_and_writes_nothing() -> Result<(), String>
    {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let (writer, mut reader) = setup(&dir)?;
        let (release, held) = hold(&writer);
        tokio::time::sleep(Duration::from_millis(50)).await;
        let (w1, w2) = (writer.clone(), writer.clone());
        let good = tokio::spawn(async move { w1.submit(None, |c| insert(c, "good")).await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        // A dangling child: the deferred foreign key fails the group's COMMIT.
        let bad = tokio::spawn(async move {
            w2.submit(None, |c| {
                diesel::sql_query("INSERT INTO child (parent) VALUES ('nobody')").execute(c)?;
                Ok(())
            })
            .await
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        release.send(()).map_err(|e| e.to_string())?;
        let join = |e: tokio::task::JoinError| e.to_string();
        // The holding job was a group of its own, and committed.
        held.await.map_err(join)?.map_err(|e| e.to_string())?;
        assert!(matches!(
            good.await.map_err(join)?,
            Err(ApiError::Unavailable(_))
        ));
        assert!(matches!(
            bad.await.map_err(join)?,
            Err(ApiError::Unavailable(_))
        ));
        assert!(names(&mut reader).is_empty());
        // The writer goes on.
        writer
            .submit(None, |c| insert(c, "later"))
            .await
            .map_err(|e| e.to_string())?;
        assert_eq!(names(&mut reader), vec!["later".to_owned()]);
        Ok(())
    }

    #[tokio::test]
    async fn a_panicking_job_answers_500_and_the_writer_goes_on() -> Result<(), String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let (writer, mut reader) = setup(&dir)?;
        let panicked = writer
            .submit(None, |c| -> Result<(), ApiError> {
                insert(c, "half")?;
                panic!("boom")
            })
            .await;
        assert!(matches!(panicked, Err(ApiError::Internal(_))));
        writer
            .submit(None, |c| insert(c, "next"))
            .await
            .map_err(|e| e.to_string())?;
        assert_eq!(names(&mut reader), vec!["next".to_owned()]);
        Ok(())
    }

    #[tokio::test]
    async fn stop_commits_what_was_queued_before_it_and_refuses_what_comes_after()
    -> Result<(), String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let (writer, mut reader) = setup(&dir)?;
        let (release, held) = hold(&writer);
        tokio::time::sleep(Duration::from_millis(50)).await;
        let w1 = writer.clone();
        let queued = tokio::spawn(async move { w1.submit(None, |c| insert(c, "queued")).await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        let w2 = writer.clone();
        let stopping = tokio::spawn(async move { w2.stop().await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(
            !stopping.is_finished(),
            "the stop waits for the group in hand"
        );
        release.send(()).map_err(|e| e.to_string())?;
        let join = |e: tokio::task::JoinError| e.to_string();
        stopping.await.map_err(join)?;
        held.await.map_err(join)?.map_err(|e| e.to_string())?;
        queued.await.map_err(join)?.map_err(|e| e.to_string())?;
        assert_eq!(names(&mut reader), vec!["queued".to_owned()]);
        let after = writer.submit(None, |c| insert(c, "after")).await;
        assert!(matches!(after, Err(ApiError::Unavailable(_))), "{after:?}");
        // A second stop returns at once.
        writer.stop().await;
        assert_eq!(names(&mut reader), vec!["queued".to_owned()]);
        Ok(())
    }

    /// Writes `rows` rows of 4 KiB, one job each, all submitted at once (so the writer groups
    /// them as it does under load).
    async fn write_rows(writer: &Writer, round: &str, rows: usize) -> Result<(), String> {
        let jobs = (0..rows).map(|i| {
            let name = format!("{round}-{i:05}-{}", "x".repeat(4096));
            writer.submit(None, move |c| insert(c, &name))
        });
        for done in futures_util::future::join_all(jobs).await {
            done.map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// The WAL header's checkpoint sequence number and first salt (bytes 12..20), which SQLite
    /// changes each time it starts the WAL afresh.
    fn wal_generation(wal: &std::path::Path) -> Result<[u8; 8], String> {
        let bytes = std::fs::read(wal).map_err(|e| e.to_string())?;
        bytes
            .get(12..20)
            .and_then(|h| <[u8; 8]>::try_from(h).ok())
            .ok_or_else(|| "the WAL has no header".to_owned())
    }

    /// Writes go on in small rounds until SQLite starts the WAL afresh (its header's
    /// generation changes); past the checkpointer's pause it copies the WAL, the writer
    /// finishes the job after its next group, and the next write starts the WAL again. The
    /// deadline is generous for a busy machine; on a quiet one this takes about one pause.
    async fn until_the_wal_restarts(
        writer: &Writer,
        wal: &std::path::Path,
        tag: &str,
    ) -> Result<(), String> {
        let first = wal_generation(wal)?;
        let deadline = std::time::Instant::now() + CHECKPOINT_PAUSE * 30;
        let mut round = 0;
        while wal_generation(wal)? == first {
            assert!(
                std::time::Instant::now() < deadline,
                "the WAL was not started afresh while writes went on"
            );
            tokio::time::sleep(CHECKPOINT_PAUSE / 4).await;
            write_rows(writer, &format!("{tag}-small{round}"), 4).await?;
            round += 1;
        }
        Ok(())
    }

    /// The writer turns SQLite's own checkpoints off; the checkpointer and the writer between
    /// them must still let the WAL start afresh, or it would grow with every write for ever.
    #[tokio::test]
    async fn the_wal_starts_afresh_while_writes_go_on() -> Result<(), String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let (writer, _reader) = setup(&dir)?;
        let wal = dir.path().join("w.db-wal");
        let size = || std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        write_rows(&writer, "a", 400).await?;
        let first = size();
        assert!(first > 0, "round a wrote no WAL");
        for round in ["b", "c"] {
            until_the_wal_restarts(&writer, &wal, round).await?;
            write_rows(&writer, round, 400).await?;
        }
        // Appended to, the WAL would hold three rounds: three times its size after the first
        // (or more). Begun afresh, it holds at most about one round; the first round's figure
        // may itself be about half a round when a restart came in its middle.
        let last = size();
        assert!(
            last < first * 5 / 2,
            "the WAL grew from {first} to {last} bytes over three rounds"
        );
        Ok(())
    }
}
