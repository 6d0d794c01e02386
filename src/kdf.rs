//! Where the deliberately slow argon2 work runs: password hashing and verification, receipt
//! hashing.
//!
//! A few dedicated threads (one per CPU) take jobs from one queue, each thread holding its own
//! reused 19 MiB block of argon2 memory. Running this work on the shared blocking pool instead
//! had two costs, both measured: a burst of hashes filled the pool that database calls share,
//! and the allocator kept a 19 MiB block in every thread that ever hashed (564 MiB resident at
//! 20 logins a second beside 64 busy connections; 2.7 GiB at 32 concurrent report filings).
//! Queueing also caps how many hashes run at once, so a login flood cannot starve other work.

use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, LazyLock, Mutex};

use crate::error::ApiError;

/// argon2 memory blocks for m = 19 MiB (the OWASP minimum every hash here uses).
pub const MEMORY_BLOCKS: usize = 19 * 1024;

type Job = Box<dyn FnOnce(&mut [argon2::Block]) + Send>;

static WORKERS: LazyLock<Option<Sender<Job>>> = LazyLock::new(|| {
    let (tx, rx) = channel::<Job>();
    let rx = Arc::new(Mutex::new(rx));
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut started = 0;
    for i in 0..threads {
        let rx = rx.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("argon2-{i}"))
            .spawn(move || {
                let mut memory = vec![argon2::Block::default(); MEMORY_BLOCKS];
                loop {
                    let job = match rx.lock() {
                        Ok(guard) => guard.recv(),
                        Err(poisoned) => poisoned.into_inner().recv(),
                    };
                    match job {
                        Ok(job) => job(&mut memory),
                        Err(_) => break,
                    }
                }
            });
        if spawned.is_ok() {
            started += 1;
        }
    }
    (started > 0).then_some(tx)
});

/// Runs `f` on a hashing thread with that thread's argon2 memory, the caller's tracing span
/// carried along; never on an async worker.
pub async fn run<T, F>(f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut [argon2::Block]) -> T + Send + 'static,
{
    let span = tracing::Span::current();
    let (done, result) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move |memory| {
        let _entered = span.enter();
        let _ = done.send(f(memory));
    });
    WORKERS
        .as_ref()
        .ok_or_else(|| ApiError::internal("no hashing thread could be started"))?
        .send(job)
        .map_err(|_| ApiError::internal("the hashing threads stopped"))?;
    result.await.map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn jobs_run_off_the_calling_thread_with_full_sized_memory() {
        let caller = std::thread::current().id();
        let (thread, blocks) = super::run(|memory| (std::thread::current().id(), memory.len()))
            .await
            .unwrap();
        assert_ne!(thread, caller);
        assert_eq!(blocks, super::MEMORY_BLOCKS);
    }
}
