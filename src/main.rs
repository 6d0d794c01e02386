//! The `anjian` binary: parses the command line and calls into the library.

/// mimalloc instead of the system allocator: under load glibc's malloc spent about a tenth of
/// the server's CPU in `malloc`/`free`/`malloc_consolidate` and returned memory to the kernel
/// in small pieces (TLB shootdowns across the cores). See `docs/BENCHMARKS.md`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    anjian::cli::main()
}
