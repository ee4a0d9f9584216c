//! `chipgate serve`: the engine as an HTTP service (the `chipgate-serve` crate).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use clap::Args;

use super::{Cli, EXIT_CLEAR};

/// Arguments of `chipgate serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where to listen. Another address than the loopback one is an explicit choice: the
    /// service has no authentication.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Do not log each request on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    /// The largest request body accepted, in bytes (a larger one gets 413).
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    pub max_body: usize,
    /// The most seconds a request may take (a slower one gets 503; audit uploads stream as
    /// long as they take).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub timeout: u64,
    /// The largest audit upload, in bytes (a larger one gets 413).
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 30)]
    pub max_upload: u64,
    /// Audits that may run at once (one more gets 503).
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub max_audits: usize,
}

/// Runs the service until SIGINT or SIGTERM. The rules are those the other commands load
/// (--rules, --no-builtin, CHIPGATE_RULES, and the screening lists of --parties), loaded again
/// (the files read again) on SIGHUP or `POST /v1/admin/reload`.
pub fn run(cli: &Cli, a: &ServeArgs) -> Result<u8> {
    let loader = super::loader(cli);
    let parties = cli.parties.clone();
    let load = move || {
        let (mut rs, _) = loader.load().map_err(|e| e.to_string())?;
        for p in &parties {
            chipgate::parties::csl::load(&mut rs, p).map_err(|e| e.to_string())?;
        }
        Ok(rs)
    };
    chipgate_serve::run(chipgate_serve::Config {
        addr: a.addr,
        quiet: a.quiet,
        max_body: a.max_body,
        timeout: Duration::from_secs(a.timeout.max(1)),
        max_upload: a.max_upload,
        max_audits: a.max_audits,
        load: Arc::new(load),
    })?;
    Ok(EXIT_CLEAR)
}
