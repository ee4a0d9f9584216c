//! `chipgate diff` (being written).

use std::io::Write;

use anyhow::{bail, Result};
use clap::Args;

use super::Cli;

/// Arguments of `chipgate diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {}

/// Runs the command.
pub fn run(_cli: &Cli, _a: &DiffArgs, _out: &mut dyn Write) -> Result<u8> {
    bail!("`chipgate diff` is not available yet")
}
