//! `chipgate timeline` (being written).

use std::io::Write;

use anyhow::{bail, Result};
use clap::Args;

use super::Cli;

/// Arguments of `chipgate timeline`.
#[derive(Debug, Args)]
pub struct TimelineArgs {}

/// Runs the command.
pub fn run(_cli: &Cli, _a: &TimelineArgs, _out: &mut dyn Write) -> Result<u8> {
    bail!("`chipgate timeline` is not available yet")
}
