//! The `conform` binary: the command line of the library, as [`conform::command_line`] runs it.

// mimalloc's per-thread free lists cost less per allocation than glibc's malloc, whose calls
// were a quarter of a run's instructions (the measurements are in Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // A panic is conform failing (exit 4), not Rust's 101: most often a message written to a
    // standard error that was closed (`conform ... 2>&1 | head -1`), which `eprintln!` cannot
    // survive.
    let run = std::panic::catch_unwind(|| conform::command_line(std::env::args_os()));
    end(run.unwrap_or(conform::exit::INTERNAL))
}

/// Ends the process with `code` once standard output and error are flushed.
///
/// When the command line returns, its work is done: every report and file is written and
/// closed, and standard output is all that may still hold bytes. Leaving `main` would go on to
/// the C library's exit handlers, and the allocator's among them hands each of its pages back
/// to the system one by one (about 0.15 ms at the end of a `lint` or a run of the shipped
/// suite), just before the system takes back the whole process anyway. `_exit` skips them,
/// except in a coverage build (`cfg(coverage)`, as cargo-llvm-cov sets it), whose profile is
/// written by one of them.
fn end(code: u8) -> ! {
    use std::io::Write;
    // A flush that fails (a closed pipe) has nothing left to save: the code says how it went.
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    #[cfg(all(unix, not(coverage)))]
    // SAFETY: `_exit` only ends the process; nothing runs after it that could observe state
    // left unfinished, since every thread's work that matters ended with the command line.
    unsafe {
        libc::_exit(i32::from(code))
    }
    #[cfg(any(not(unix), coverage))]
    std::process::exit(i32::from(code))
}
