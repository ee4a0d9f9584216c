//! The `chipgate` binary: parse, dispatch, map to an exit code. A broken pipe is success.

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
