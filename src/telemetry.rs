//! Logging: `tracing` to standard output, pretty or one JSON object per line.
//!
//! Lines are written by a background thread (`tracing-appender`), so request threads never wait
//! on the terminal or a pipe; the buffer blocks rather than drops when full, so no line is lost.

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber. Keep the returned guard alive until the process ends: dropping
/// it flushes what is buffered.
pub fn init(format: LogFormat) -> Option<WorkerGuard> {
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::stdout());
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(writer);
    let installed = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
    // A second initialisation (tests) keeps the first subscriber.
    installed.ok().map(|()| guard)
}
