//! `chipgate audit` (being written).

use std::io::Write;

use anyhow::{bail, Result};
use clap::Args;

use super::Cli;

/// Arguments of `chipgate audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {}

/// Runs the command.
pub fn run(_cli: &Cli, _a: &AuditArgs, _out: &mut dyn Write) -> Result<u8> {
    bail!("`chipgate audit` is not available yet")
}
