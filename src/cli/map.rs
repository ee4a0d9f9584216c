//! `chipgate map`: the TPP × performance-density map of a date as an SVG, the page's map on the
//! command line. The regions are the rules' own classification of each point
//! (`history::map`), the points the catalog's chips classified with all their figures.

use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use chipgate::history::catalog::{Entry, Filter};
use chipgate::history::map::{Map, MAX_STEPS};
use chipgate::request;
use clap::Args;

use super::output::Output;
use super::{Cli, EXIT_CLEAR};

/// Arguments of `chipgate map`.
#[derive(Debug, Args)]
pub struct MapArgs {
    /// The rules in force on this date (YYYY-MM-DD); default today (UTC).
    #[arg(long)]
    pub date: Option<String>,
    /// Only these catalog chips as points, comma-separated names or aliases; default: all.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub chips: Vec<String>,
    /// The regions of chips not designed or marketed for datacenters (default: datacenter chips).
    #[arg(long)]
    pub consumer: bool,
    /// The largest TPP drawn; default: past the catalog's largest (whatever --chips says).
    #[arg(long, value_name = "N")]
    pub tpp_max: Option<f64>,
    /// The largest performance density drawn; default: past the catalog's largest.
    #[arg(long, value_name = "N")]
    pub pd_max: Option<f64>,
    /// Cells along each axis.
    #[arg(long, value_name = "N", default_value_t = 60, value_parser = clap::value_parser!(u16).range(1..=MAX_STEPS as i64))]
    pub steps: u16,
    /// Write the SVG here (replaced only when complete); default or `-`: standard output.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
}

/// Fills of the ECCNs drawn, in precedence order.
const PALETTE: [&str; 5] = ["#f3b0b0", "#f7d49b", "#c9d7f5", "#d8c4ef", "#bfe3c6"];

/// Runs the command.
pub fn run(cli: &Cli, a: &MapArgs, out: &mut dyn Write) -> Result<u8> {
    let rs = super::load(cli)?;
    let req = request::Map {
        date: a.date.clone(),
        tpp_max: a.tpp_max,
        pd_max: a.pd_max,
        steps: Some(usize::from(a.steps)),
        consumer: a.consumer,
    };
    let m = req.build(&rs, super::today())?;
    let wanted: Vec<&chipgate::chip::Chip> = a.chips.iter().map(|n| super::chip_args::lookup(&rs, n.trim())).collect::<Result<_>>()?;
    let mut chips: Vec<Entry> = Vec::new();
    for (c, class) in Filter::default().apply(&rs, m.date) {
        if wanted.is_empty() || wanted.iter().any(|w| w.id == c.id) {
            chips.push(Entry::new(c, &class));
        }
    }
    let svg = svg(&m, &chips, &rs.version());
    match a.output.as_deref().filter(|p| *p != std::path::Path::new("-")) {
        Some(path) => {
            let o = Output::create(path, &[])?;
            o.file().write_all(svg.as_bytes())?;
            o.commit()?;
        }
        None => out.write_all(svg.as_bytes())?,
    }
    Ok(EXIT_CLEAR)
}

/// Text for an SVG text node or attribute.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The map as an SVG document.
fn svg(m: &Map, chips: &[Entry], rules_version: &str) -> String {
    let (w, h, l, b, t, r) = (900.0, 520.0, 60.0, 40.0, 10.0, 170.0);
    let n = m.tpp.len().max(1) as f64;
    let span = |v: &[f64]| v.last().map_or(1.0, |x| x * n / (n - 0.5));
    let (tmax, pmax) = (span(&m.tpp), span(&m.pd));
    let x = |v: f64| l + v / tmax * (w - l - r);
    let y = |v: f64| h - b - v / pmax * (h - b - t);
    let (cw, ch) = ((w - l - r) / n, (h - b - t) / n);
    let mut s = String::new();
    let _ =
        writeln!(s, r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" font-family="sans-serif" data-date="{}">"##, m.date);
    let _ = writeln!(s, "<title>TPP and performance density: the rules in force on {} ({})</title>", m.date, esc(rules_version));
    s.push_str(r##"<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#f3f3f3"/><line x1="0" y1="0" x2="0" y2="6" stroke="#999" stroke-width="2"/></pattern></defs>"##);
    s.push('\n');
    let fill = |cell: &str| match cell {
        "?" => "url(#hatch)",
        e => m.eccns.iter().position(|x| x == e).map_or("#ddd", |i| PALETTE[i % PALETTE.len()]),
    };
    for (i, row) in m.cells.iter().enumerate() {
        for (j, cell) in row.iter().enumerate().filter(|(_, c)| !c.is_empty()) {
            let (cx, cy) = (l + j as f64 * cw, h - b - (i as f64 + 1.0) * ch);
            let _ = writeln!(
                s,
                r#"<rect x="{cx:.1}" y="{cy:.1}" width="{:.1}" height="{:.1}" fill="{}" data-cell="{}"/>"#,
                cw + 0.5,
                ch + 0.5,
                fill(cell),
                esc(cell)
            );
        }
    }
    let _ = writeln!(s, r##"<path d="M{l} {t} V{} H{}" fill="none" stroke="#333"/>"##, h - b, w - r);
    for k in 0..=5 {
        let (tv, pv) = (tmax * f64::from(k) / 5.0, pmax * f64::from(k) / 5.0);
        let _ = writeln!(s, r#"<text x="{:.1}" y="{}" font-size="11" text-anchor="middle">{:.0}</text>"#, x(tv), h - b + 16.0, tv);
        let _ = writeln!(s, r#"<text x="{}" y="{:.1}" font-size="11" text-anchor="end">{:.1}</text>"#, l - 6.0, y(pv) + 4.0, pv);
    }
    let _ = writeln!(s, r#"<text x="{}" y="{}" font-size="12" text-anchor="middle">TPP</text>"#, (l + w - r) / 2.0, h - 6.0);
    let mid = (t + h - b) / 2.0;
    let _ = writeln!(
        s,
        r#"<text x="14" y="{mid}" font-size="12" text-anchor="middle" transform="rotate(-90 14 {mid})">performance density</text>"#
    );
    for c in chips {
        let (Some(tpp), Some(pd)) = (c.tpp, c.pd_exact) else { continue };
        if tpp > tmax || pd > pmax {
            continue;
        }
        let eccn = c.eccn.clone().unwrap_or_else(|| if c.eccn_candidates.is_empty() { "none".into() } else { "?".into() });
        let color = if eccn == "none" { "#0d652d" } else { "#a50e0e" };
        let label = c.aliases.first().map_or(c.name, String::as_str);
        let _ = writeln!(
            s,
            r#"<g data-chip="{}" data-eccn="{}"><circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{color}"/><text x="{:.1}" y="{:.1}" font-size="9">{}</text><title>{}: TPP {tpp:.0}, PD {pd:.2}, ECCN {}</title></g>"#,
            esc(c.id),
            esc(&eccn),
            x(tpp),
            y(pd),
            x(tpp) + 5.0,
            y(pd) - 4.0,
            esc(label),
            esc(c.name),
            esc(&eccn)
        );
    }
    let missing = if m.missing.is_empty() { "—".to_string() } else { m.missing.join(", ") };
    let legend: Vec<(String, String)> = m
        .eccns
        .iter()
        .enumerate()
        .map(|(i, e)| (PALETTE[i % PALETTE.len()].to_string(), e.clone()))
        .chain(std::iter::once(("url(#hatch)".to_string(), format!("undetermined ({missing})"))))
        .collect();
    for (i, (f, label)) in legend.iter().enumerate() {
        let ly = t + 10.0 + i as f64 * 20.0;
        let _ = writeln!(s, r##"<rect x="{}" y="{ly}" width="14" height="14" fill="{f}" stroke="#666"/>"##, w - r + 10.0);
        let _ = writeln!(s, r#"<text x="{}" y="{}" font-size="11">{}</text>"#, w - r + 30.0, ly + 11.0, esc(label));
    }
    let kind = if m.datacenter { "datacenter chips" } else { "chips not for datacenters" };
    let _ = writeln!(s, r#"<text x="{}" y="{}" font-size="11">{kind}, rules of {}</text>"#, w - r + 10.0, h - b, m.date);
    s.push_str("</svg>\n");
    s
}
