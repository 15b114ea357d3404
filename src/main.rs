//! The `conform` binary: the command line of the library, as [`conform::command_line`] runs it.

// mimalloc's per-thread free lists cost less per allocation than glibc's malloc, whose calls
// were a quarter of a run's instructions (the measurements are in Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    conform::command_line(std::env::args_os())
}
