//! `chipgate chips` (being written).

use std::io::Write;

use anyhow::{bail, Result};
use clap::Args;

use super::Cli;

/// Arguments of `chipgate chips`.
#[derive(Debug, Args)]
pub struct ChipsArgs {}

/// Runs the command.
pub fn run(_cli: &Cli, _a: &ChipsArgs, _out: &mut dyn Write) -> Result<u8> {
    bail!("`chipgate chips` is not available yet")
}
