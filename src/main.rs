//! The `conform` binary: the command line of the library, as [`conform::command_line`] runs it.

fn main() -> std::process::ExitCode {
    conform::command_line(std::env::args_os())
}
