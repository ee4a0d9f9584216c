//! Running the real `chipgate` binary from integration tests, on the built-in rules only: packs
//! from the environment are removed (a test adds `CHIPGATE_RULES` itself when it wants some),
//! and colour is off.

#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs the binary with arguments, an optional `CHIPGATE_RULES` value and optional stdin.
pub fn run(args: &[&str], rules_env: Option<&str>, stdin: Option<&[u8]>) -> Output {
    let env: &[(&str, &str)] = match rules_env {
        Some(e) => &[("CHIPGATE_RULES", e)],
        None => &[],
    };
    run_env(args, env, stdin)
}

/// Runs the binary with arguments, environment variables (over the defaults: no packs from the
/// environment, `NO_COLOR`, no `COLUMNS`, so 120-column tables) and optional stdin.
pub fn run_env(args: &[&str], env: &[(&str, &str)], stdin: Option<&[u8]>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chipgate"));
    c.args(args).env_remove("CHIPGATE_RULES").env_remove("COLUMNS").env("NO_COLOR", "1");
    for (k, v) in env {
        c.env(k, v);
    }
    c.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() }).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().expect("the chipgate binary runs");
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // A run that stops before reading its input (a usage error) closes the pipe first.
        if let Err(e) = pipe.write_all(input) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "stdin is written");
        }
    }
    child.wait_with_output().expect("the chipgate binary finishes")
}

/// A finished run: exit code, stdout and stderr as text.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the binary with an optional `CHIPGATE_RULES` value; its output as text.
pub fn chipgate_with(args: &[&str], rules_env: Option<&str>) -> Run {
    let out = run(args, rules_env, None);
    Run {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

/// Runs the binary with environment variables ([`run_env`]); its output as text.
pub fn chipgate_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let out = run_env(args, env, None);
    Run {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

/// Runs the binary on the built-in rules only; its output as text.
pub fn chipgate(args: &[&str]) -> Run {
    chipgate_with(args, None)
}

/// A small deterministic generator (64-bit LCG), for generated test data.
pub struct Lcg(pub u64);

impl Lcg {
    /// The next number (31 bits).
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    /// One of `xs`.
    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() as usize) % xs.len()]
    }
}
