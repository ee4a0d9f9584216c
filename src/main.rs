//! The `chipgate` binary: parse, dispatch, map to an exit code (`cli::run`).

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
