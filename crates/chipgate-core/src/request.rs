//! Questions as the front ends take them: the command line's flags, the service's parameters
//! (a query string or a JSON object), the Python package's arguments. Names and figures as a
//! person writes them (`H100`, `China`, `8=1979`) are resolved against a rule set into the
//! engine's [`Query`], and a mistake is said once, naming the parameter, in the words the
//! command line uses, so that every front end asks the same way and answers the same.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::chip::{Chip, Item, Metric, MetricMap, Overrides, Part, Precision, Resolution, Throughput};
use crate::eval::{Decision, EvalError, Options, Parties, Query};
use crate::parties::Owner;
use crate::rules::{Attestation, ExporterRole, PackInfo, RuleSet};

/// A mistake in a request: the parameter it is about (its `snake_case` name, as in
/// [`Check`]'s fields; the command line spells it `--kebab-case`), and what is wrong with it,
/// with a suggestion where one helps.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RequestError {
    /// The parameter.
    pub parameter: &'static str,
    /// What is wrong.
    pub message: String,
}

fn bad(parameter: &'static str, message: impl Into<String>) -> RequestError {
    RequestError { parameter, message: message.into() }
}

/// An exporter role and attestations as a request gives them (`exporter_role`, `attested_by`,
/// each attestation a value or a `;`-separated list; `none` for none), read, or the parameter
/// that holds a value chipgate does not know. The audit's defaults and the service's and
/// Python's options are read with it too.
pub fn exporting(role: Option<&str>, attested_by: &[String]) -> Result<(Option<ExporterRole>, Vec<Attestation>), RequestError> {
    let role = match role.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => Some(ExporterRole::parse(r).ok_or_else(|| {
            bad("exporter_role", format!("{}: unknown exporter role `{r}`; use one of {}", flag("exporter_role"), ExporterRole::names()))
        })?),
        None => None,
    };
    let mut attested = Vec::new();
    // `none` says that no attestation is given (an audit row saying so over a default).
    for a in attested_by.iter().flat_map(|a| a.split(';')).map(str::trim).filter(|a| !a.is_empty() && !a.eq_ignore_ascii_case("none")) {
        let a = Attestation::parse(a).ok_or_else(|| {
            bad("attested_by", format!("{}: unknown attestation `{a}`; use one of {}", flag("attested_by"), Attestation::names()))
        })?;
        if !attested.contains(&a) {
            attested.push(a);
        }
    }
    Ok((role, attested))
}

/// A check: one chip (a catalog name, or figures that describe a hypothetical one, or both)
/// to one destination on one date. Every field is a flag of `chipgate check` of the same
/// name (`-` written `_`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(default, deny_unknown_fields)]
pub struct Check {
    /// Catalog chip name or alias (e.g. `H100`); none for a hypothetical chip.
    pub chip: Option<String>,
    /// Start from this catalog chip and override the figures given.
    pub based_on: Option<String>,
    /// Total processing performance, given directly.
    pub tpp: Option<f64>,
    /// Dense throughput per precision: `BITS=TOPS` or `NAME=TOPS` (e.g. `8=1979`, `fp16=989`), or
    /// for one processing unit of an IC with several, `UNIT:BITS=TOPS` (`npu:8=200`).
    pub throughput: Vec<String>,
    /// Applicable die area in mm².
    pub die_area: Option<f64>,
    /// Performance density, given directly.
    pub pd: Option<f64>,
    /// Designed or marketed for datacenters.
    pub datacenter: bool,
    /// Not designed or marketed for datacenters.
    pub consumer: bool,
    /// Aggregate bidirectional chip-to-chip transfer rate, GB/s.
    pub interconnect: Option<f64>,
    /// Total DRAM bandwidth, GB/s.
    pub memory_bandwidth: Option<f64>,
    /// The item is a standalone high-bandwidth-memory stack.
    pub hbm: bool,
    /// Memory bandwidth density of an HBM stack, GB/s/mm².
    pub memory_bandwidth_density: Option<f64>,
    /// Process node of the logic dies in nm (16 for the 16/14 nm node).
    pub node: Option<f64>,
    /// Aggregated approximated transistor count of the packaged IC, in billions.
    pub transistors: Option<f64>,
    /// High-bandwidth-memory stacks in the IC's package (0: none).
    pub hbm_stacks: Option<f64>,
    /// What a computer or an assembly contains: catalog chips, each `CHIP` or `CHIPxN` for N
    /// of it (e.g. `H100x8`). Without a chip named, they describe a hypothetical computer; with
    /// one, they replace what it contains.
    pub contains: Vec<String>,
    /// The kind of item: `ic`, `assembly` (a card, a module, a board) or `computer`; none: the
    /// chip's, or a computer when `contains` describes one.
    pub item: Option<String>,
    /// Other entries of the control list the item is described in (e.g. `5A992.c` for a server
    /// with mass-market encryption), which the `.z` paragraphs read.
    pub described_in: Vec<String>,
    /// Destination country (ISO code or name).
    pub to: String,
    /// Date of the shipment (`YYYY-MM-DD`); none: the caller's today.
    pub date: Option<String>,
    /// Country where the end user (or its ultimate parent) is headquartered; none: the destination.
    pub end_user_hq: Option<String>,
    /// Who exports (a company name); none: the chip's vendor, presumed.
    pub exporter: Option<String>,
    /// What the exporter is: `fabricator` (a front-end fabricator), `osat` or `other`; none:
    /// neither a fabricator nor an OSAT (the answer says so where a rule would bind one).
    pub exporter_role: Option<String>,
    /// The attestations given for the item: `approved_designer`, `authorized_designer`,
    /// `fabricator`, `approved_osat` (see [`crate::rules::Attestation`]).
    pub attested_by: Vec<String>,
    /// The country the item ships from; none: the rules' jurisdiction (an export).
    pub ship_from: Option<String>,
    /// The end user, by name, screened against the rules' party lists (the Entity List).
    pub end_user: Option<String>,
    /// The consignee, by name, screened the same way.
    pub consignee: Option<String>,
    /// The end user's owners, each `NAME=PERCENT` (the share held, directly or indirectly;
    /// several may be given, or `;`-separated in one), or `none`; none given: not known. The
    /// affiliates rule screens them: see [`crate::parties::parse_owners`].
    pub end_user_owner: Vec<String>,
    /// The consignee's owners, the same way.
    pub consignee_owner: Vec<String>,
    /// Keep the tree of every rule evaluated in the decision (`evaluated`, and so in its JSON
    /// document). The flat trace and the margins are there either way.
    pub trace: bool,
}

/// The countries of a check, resolved to their codes.
struct Countries {
    to: String,
    hq: Option<String>,
    from: Option<String>,
}

/// A chip, with whether it is hypothetical (described or modified by the caller).
pub type BuiltChip = (Chip, bool);

impl Check {
    /// The chip the request names or describes. `source` is recorded as the source of each
    /// figure given (e.g. "given on the command line").
    pub fn chip(&self, rs: &RuleSet, source: &str) -> Result<BuiltChip, RequestError> {
        if self.chip.is_some() && self.based_on.is_some() {
            return Err(bad("based_on", "give either a chip name or --based-on, not both"));
        }
        if self.datacenter && self.consumer {
            return Err(bad("consumer", "give --datacenter or --consumer, not both"));
        }
        let base = match (&self.chip, &self.based_on) {
            (Some(name), _) => Some(lookup(rs, name, "chip")?),
            (None, Some(name)) => Some(lookup(rs, name, "based_on")?),
            (None, None) => None,
        };
        let overrides = self.overrides(source)?;
        let composite = !self.contains.is_empty() || self.item.is_some() || !self.described_in.is_empty();
        if base.is_none() && overrides.is_empty() && !composite {
            return Err(bad(
                "chip",
                "name a chip (e.g. `chipgate check H100 --to CN`) or describe one with --tpp / --throughput, or a computer with --contains",
            ));
        }
        let (mut chip, hypothetical) = overrides.chip(base);
        if !composite {
            return Ok((chip, hypothetical));
        }
        self.make_composite(rs, &mut chip, base.is_none())?;
        Ok((chip, true))
    }

    /// Applies `item`, `contains` and `described_in` to the chip; `blank` when nothing else
    /// describes it (then it is a hypothetical computer, or assembly, named so).
    pub fn make_composite(&self, rs: &RuleSet, chip: &mut Chip, blank: bool) -> Result<(), RequestError> {
        let item = match &self.item {
            Some(k) => Item::parse(k.trim()).ok_or_else(|| {
                let names: Vec<&str> = Item::ALL.iter().map(|i| i.name()).collect();
                bad("item", format!("--item `{k}` is not a kind of item; write one of {}", names.join(", ")))
            })?,
            None if !self.contains.is_empty() && !chip.item.composite() => Item::Computer,
            None => chip.item,
        };
        if !self.contains.is_empty() {
            if !item.composite() {
                return Err(bad(
                    "contains",
                    "an integrated circuit contains no items: drop --contains, or give --item assembly or computer",
                ));
            }
            chip.contains = self.contains.iter().map(|c| part(rs, c)).collect::<Result<_, _>>()?;
        } else if item.composite() && chip.item == Item::Ic && carries_as_listed(rs, chip) {
            // A catalog IC as it is (but perhaps for whether it is designed for datacenters, a
            // flag the assembly takes), given as an assembly or a computer without its contents:
            // the card, module or board that carries one of it, classified from it as the
            // catalog's cards are (the IC's figures and classification stay in the answer, as
            // the part's, not as the assembly's own).
            let ic = std::mem::take(chip);
            *chip = Chip {
                id: "hypothetical".into(),
                name: format!("{} with one {}", item.name(), ic.name),
                vendor: ic.vendor,
                datacenter: ic.datacenter,
                released: ic.released,
                described_in: ic.described_in,
                contains: vec![Part { chip: ic.id, count: 1 }],
                ..Chip::default()
            };
        }
        if blank {
            chip.id = "hypothetical".into();
            chip.name = format!("hypothetical {}", if item.composite() { item.name() } else { "chip" });
        }
        chip.item = item;
        if !item.composite() {
            chip.contains.clear();
        }
        chip.described_in.extend(self.described_in.iter().map(|d| d.trim().to_string()).filter(|d| !d.is_empty()));
        Ok(())
    }

    /// The figures given, checked.
    fn overrides(&self, source: &str) -> Result<Overrides, RequestError> {
        let mut figures = MetricMap::default();
        for m in Metric::given() {
            let Some(parameter) = m.about().parameter else { continue };
            match self.figure(m) {
                Some(x) if !x.is_finite() || x < 0.0 => {
                    return Err(bad(parameter, format!("{} must be a number ≥ 0, got `{x}`", flag(parameter))))
                }
                v => figures.set(m, v),
            }
        }
        Ok(Overrides {
            source: source.to_string(),
            throughput: self.throughput.iter().map(|t| throughput(t, source)).collect::<Result<_, _>>()?,
            figures,
            datacenter: (self.datacenter || self.consumer).then_some(self.datacenter),
            hbm: self.hbm,
        })
    }

    /// The figure given for a metric, by its parameter (`None` for one a user cannot give).
    pub fn figure(&self, m: Metric) -> Option<f64> {
        *self.slot(m)?
    }

    /// Gives or clears the figure of a metric a user can give (the others are ignored).
    pub fn set_figure(&mut self, m: Metric, v: Option<f64>) {
        if let Some(slot) = self.slot_mut(m) {
            *slot = v;
        }
    }

    /// The field of a metric's parameter: the one place that maps the metrics to the fields,
    /// which stay named for serde and the API schema (a test checks that they are the
    /// metrics' parameters).
    fn slot(&self, m: Metric) -> Option<&Option<f64>> {
        Some(match m {
            Metric::Tpp => &self.tpp,
            Metric::Pd => &self.pd,
            Metric::DieAreaMm2 => &self.die_area,
            Metric::InterconnectGbps => &self.interconnect,
            Metric::MemoryBandwidthGbps => &self.memory_bandwidth,
            Metric::MemoryBandwidthDensity => &self.memory_bandwidth_density,
            Metric::NodeNm => &self.node,
            Metric::TransistorsBillion => &self.transistors,
            Metric::HbmStacks => &self.hbm_stacks,
            Metric::MemoryGb | Metric::TdpW => return None,
        })
    }

    fn slot_mut(&mut self, m: Metric) -> Option<&mut Option<f64>> {
        Some(match m {
            Metric::Tpp => &mut self.tpp,
            Metric::Pd => &mut self.pd,
            Metric::DieAreaMm2 => &mut self.die_area,
            Metric::InterconnectGbps => &mut self.interconnect,
            Metric::MemoryBandwidthGbps => &mut self.memory_bandwidth,
            Metric::MemoryBandwidthDensity => &mut self.memory_bandwidth_density,
            Metric::NodeNm => &mut self.node,
            Metric::TransistorsBillion => &mut self.transistors,
            Metric::HbmStacks => &mut self.hbm_stacks,
            Metric::MemoryGb | Metric::TdpW => return None,
        })
    }

    /// The exporter's role and the attestations, read (see [`exporting`]).
    pub fn exporting(&self) -> Result<(Option<ExporterRole>, Vec<Attestation>), RequestError> {
        exporting(self.exporter_role.as_deref(), &self.attested_by)
    }

    /// The destination, the end user's headquarters and the ship-from, as codes.
    fn countries(&self, rs: &RuleSet) -> Result<Countries, RequestError> {
        Ok(Countries {
            to: country(rs, &self.to, "to")?,
            hq: self.end_user_hq.as_deref().map(|h| country(rs, h, "end_user_hq")).transpose()?,
            from: self.ship_from.as_deref().map(|f| country(rs, f, "ship_from")).transpose()?,
        })
    }

    /// Answers the check: `today` is the date when the request gives none; `source` as in
    /// [`Check::chip`].
    pub fn decide(&self, rs: &RuleSet, today: Date, source: &str) -> Result<Decision, RequestError> {
        let date = match &self.date {
            Some(d) => crate::date::parse(d).map_err(|e| bad("date", e.to_string()))?,
            None => today,
        };
        let Countries { to, hq, from } = self.countries(rs)?;
        let (chip, hypothetical) = self.chip(rs, source)?;
        let (eu, co) = owners_of([self.end_user.as_deref(), self.consignee.as_deref()], &self.end_user_owner, &self.consignee_owner)?;
        let (exporter_role, attested_by) = self.exporting()?;
        let q = Query {
            chip: &chip,
            hypothetical,
            destination: &to,
            date,
            end_user_hq: hq.as_deref(),
            exporter: self.exporter.as_deref(),
            ship_from: from.as_deref(),
            exporter_role,
            attested_by: &attested_by,
            parties: Parties {
                end_user: self.end_user.as_deref(),
                consignee: self.consignee.as_deref(),
                end_user_owners: eu.as_deref(),
                consignee_owners: co.as_deref(),
            },
        };
        let mut d = rs.period(date).decide(&q, Options::TRACED).map_err(|e| match e {
            EvalError::UnknownCountry(c) => bad("to", format!("unknown country `{c}`")),
            e @ EvalError::OtherDate { .. } => bad("date", e.to_string()),
        })?;
        if !self.trace {
            d.evaluated = Vec::new();
        }
        Ok(d)
    }
}

/// A decision as a JSON document gives it: the decision's members, then the rule set's
/// version and packs (what `chipgate check --format json` prints).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Answer<'a> {
    /// The version of the document's shape ([`SCHEMA_VERSION`]).
    pub schema_version: &'static str,
    /// The decision.
    #[serde(flatten)]
    pub decision: &'a Decision,
    /// The packs, versions and hashes that answered ([`RuleSet::version`]).
    pub rules_version: String,
    /// The packs loaded.
    pub packs: &'a [PackInfo],
}

impl<'a> Answer<'a> {
    /// The document for a decision of a rule set.
    pub fn new(rs: &'a RuleSet, decision: &'a Decision) -> Answer<'a> {
        Answer { schema_version: SCHEMA_VERSION, decision, rules_version: rs.version(), packs: &rs.packs }
    }
}

/// The version of the shape of the JSON documents (check, the views, the audit summary): it
/// changes when a field is renamed, removed or changes meaning, not when one is added.
pub const SCHEMA_VERSION: &str = "1";

/// The command line's name of a parameter, `-` for `_` (`die_area` is `die-area`).
pub fn flag_name(parameter: &str) -> String {
    parameter.replace('_', "-")
}

/// The `--flag` spelling of a parameter.
pub fn flag(parameter: &str) -> String {
    format!("--{}", flag_name(parameter))
}

/// Resolves a catalog chip name, or says why not with the candidates or suggestions.
pub fn lookup<'a>(rs: &'a RuleSet, name: &str, parameter: &'static str) -> Result<&'a Chip, RequestError> {
    let found = rs.catalog.resolve(name);
    match (&found, found.why_not(name, "describe it with --tpp")) {
        (Resolution::Found(c), _) => Ok(c),
        (_, why) => Err(bad(parameter, why.unwrap_or_default())),
    }
}

/// Resolves a country name or code to its code, or says why not with suggestions.
pub fn country(rs: &RuleSet, name: &str, parameter: &'static str) -> Result<String, RequestError> {
    if let Some(c) = rs.countries.resolve(name) {
        return Ok(c.code.clone());
    }
    if rs.countries.all().is_empty() {
        return Err(bad(
            parameter,
            format!(
                "unknown country `{name}`: the rules loaded define no countries (--no-builtin leaves out the built-in \
                 ISO 3166 list); load a pack with [[country]] entries, or drop --no-builtin"
            ),
        ));
    }
    Err(bad(parameter, rs.countries.why_unknown(name, true)))
}

/// Whether a chip is its catalog entry as listed, but perhaps for the datacenter flag (which an
/// assembly takes as its own): what an assembly or a computer given without its contents
/// carries one of. A chip with figures or an HBM flag of its own is not the catalog's, so its
/// contents stay to be said.
fn carries_as_listed(rs: &RuleSet, chip: &Chip) -> bool {
    rs.catalog.by_id(&chip.id).is_some_and(|c| Chip { datacenter: chip.datacenter, ..c.clone() } == *chip)
}

/// Reads what a computer contains, `CHIP` or `CHIPxN` (also `CHIP×N`, `CHIP*N`): the count is
/// the digits right after the last `x`, `×` or `*`, so `MI300X` is one MI300X and `MI300Xx8`
/// eight; a name the catalog knows as it is written is one of it.
pub fn part(rs: &RuleSet, s: &str) -> Result<Part, RequestError> {
    let s = s.trim();
    if let Resolution::Found(chip) = rs.catalog.resolve_quiet(s) {
        return Ok(Part { chip: chip.id.clone(), count: 1 });
    }
    let split = s.rfind(['x', 'X', '×', '*']).and_then(|i| {
        let (name, rest) = s.split_at(i);
        let digits = rest.trim_start_matches(['x', 'X', '×', '*']);
        (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && !name.trim().is_empty()).then(|| (name.trim(), digits))
    });
    let (name, count) = match split {
        Some((name, digits)) => {
            let n = digits.parse::<u32>().ok().filter(|n| *n >= 1);
            let n = n.ok_or_else(|| bad("contains", format!("--contains `{s}`: the count must be a whole number of at least 1")))?;
            (name, n)
        }
        None => (s, 1),
    };
    if name.is_empty() {
        return Err(bad("contains", "--contains takes a catalog chip, `CHIP` or `CHIPxN` (e.g. `H100x8`)"));
    }
    let chip = lookup(rs, name, "contains")?;
    Ok(Part { chip: chip.id.clone(), count })
}

/// Reads a dense throughput figure, `BITS=TOPS` or `NAME=TOPS`, optionally for one processing
/// unit of the IC, `UNIT:BITS=TOPS` (TPP sums the best figure of each unit); `source` is
/// recorded as the figure's source.
pub fn throughput(s: &str, source: &str) -> Result<Throughput, RequestError> {
    let wrong = |m: String| bad("throughput", m);
    let Some((p, t)) = s.split_once('=') else { return Err(wrong(format!("--throughput `{s}` must look like BITS=TOPS, e.g. `8=1979`"))) };
    // A unit's name is compared without case (`GPU` and `gpu` are one unit).
    let (unit, p) = match p.split_once(':') {
        Some((u, p)) if u.trim().is_empty() || p.contains(':') => {
            return Err(wrong(format!(
                "--throughput `{s}` must name one processing unit before `:`; write UNIT:BITS=TOPS, e.g. `npu:8=200`"
            )))
        }
        Some((u, p)) => (Some(u.trim().to_lowercase()), p),
        None => (None, p),
    };
    let precision = match p.trim().parse::<u32>() {
        Ok(b) if (1..=128).contains(&b) => Precision::Bits(b),
        Ok(b) => return Err(wrong(format!("--throughput bit length `{b}` is out of range"))),
        Err(_) => Precision::parse(p.trim()).ok_or_else(|| {
            wrong(format!("--throughput precision `{p}` is unknown; use a bit length or fp64, fp32, fp16, bf16, fp8, int8, fp4, int4"))
        })?,
    };
    let tops: f64 = t.trim().parse().map_err(|_| wrong(format!("--throughput TOPS `{t}` is not a number")))?;
    if !tops.is_finite() || tops < 0.0 {
        return Err(wrong(format!("--throughput TOPS must be a number ≥ 0, got `{t}`")));
    }
    Ok(Throughput { precision, tops, source: source.to_string(), confidence: None, unit })
}

/// The first day a view covers by default: the rules start in October 2022.
pub const VIEW_START: &str = "2022-01-01";

/// A view's document: its members, then the rule set's version (what `chipgate timeline` and
/// `chipgate diff` print with `--format json`).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Versioned<'a, T: Serialize> {
    /// The version of the document's shape ([`SCHEMA_VERSION`]).
    pub schema_version: &'static str,
    /// The view.
    #[serde(flatten)]
    pub doc: &'a T,
    /// The packs, versions and hashes that answered ([`RuleSet::version`]).
    pub rules_version: String,
}

impl<'a, T: Serialize> Versioned<'a, T> {
    /// The document of a view of a rule set.
    pub fn new(rs: &RuleSet, doc: &'a T) -> Versioned<'a, T> {
        Versioned { schema_version: SCHEMA_VERSION, doc, rules_version: rs.version() }
    }
}

/// A chip's status for a destination across time (`chipgate timeline`): the chip and the
/// transaction of a [`Check`] (whose `date` a timeline does not take), and the days of the view.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeline {
    /// The chip and the transaction.
    pub check: Check,
    /// First day (`YYYY-MM-DD`); none: [`VIEW_START`].
    pub from: Option<String>,
    /// Last day; none: the caller's today.
    pub until: Option<String>,
}

/// A date parameter: the one given (`YYYY-MM-DD`), else `default`.
pub fn date_or(parameter: &'static str, given: Option<&str>, default: Date) -> Result<Date, RequestError> {
    given.map_or(Ok(default), |d| crate::date::parse(d).map_err(|e| bad(parameter, e.to_string())))
}

impl Timeline {
    /// Builds the timeline; `today` is the last day when none is given.
    pub fn build(&self, rs: &RuleSet, today: Date, source: &str) -> Result<crate::history::Timeline, RequestError> {
        let c = &self.check;
        if c.date.is_some() {
            return Err(bad("date", "a timeline covers the days from --from to --until; drop --date"));
        }
        let start = crate::date::parse(VIEW_START).map_err(|e| bad("from", e.to_string()))?;
        let from = date_or("from", self.from.as_deref(), start)?;
        let to = date_or("until", self.until.as_deref(), today)?;
        if from > to {
            return Err(bad("from", format!("--from `{from}` is after --until `{to}`")));
        }
        let Countries { to: dest, hq, from: ship } = c.countries(rs)?;
        let (chip, hypothetical) = c.chip(rs, source)?;
        let (eu, co) = owners_of([c.end_user.as_deref(), c.consignee.as_deref()], &c.end_user_owner, &c.consignee_owner)?;
        let (exporter_role, attested_by) = c.exporting()?;
        let req = crate::history::TimelineRequest {
            chip: &chip,
            hypothetical,
            destination: &dest,
            end_user_hq: hq.as_deref(),
            exporter: c.exporter.as_deref(),
            ship_from: ship.as_deref(),
            exporter_role,
            attested_by: &attested_by,
            parties: Parties {
                end_user: c.end_user.as_deref(),
                consignee: c.consignee.as_deref(),
                end_user_owners: eu.as_deref(),
                consignee_owners: co.as_deref(),
            },
            from,
            to,
        };
        crate::history::timeline(rs, &req).map_err(|e| bad("from", e.to_string()))
    }
}

/// What changed between two dates over the catalog and a set of destinations (`chipgate diff`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(default, deny_unknown_fields)]
pub struct Diff {
    /// The date before (`YYYY-MM-DD`).
    pub from: String,
    /// The date after; none: the caller's today. (`to` is its old name, accepted for a release.)
    #[serde(alias = "to")]
    pub until: Option<String>,
    /// Destinations, codes or names (each may be a comma-separated list); none: every country
    /// the rules mention.
    pub destinations: Vec<String>,
    /// Catalog chips, names or aliases (each may be a comma-separated list); none: the catalog.
    pub chips: Vec<String>,
    /// Country where the end user is headquartered; none: each destination.
    pub end_user_hq: Option<String>,
    /// Who exports (a company name); none: each chip's vendor, presumed.
    pub exporter: Option<String>,
    /// The country the items ship from; none: the rules' jurisdiction.
    pub ship_from: Option<String>,
    /// What the exporter is, as [`Check::exporter_role`].
    pub exporter_role: Option<String>,
    /// The attestations given, as [`Check::attested_by`].
    pub attested_by: Vec<String>,
    /// The end user, by name, screened against the rules' party lists.
    pub end_user: Option<String>,
    /// The consignee, by name, screened the same way.
    pub consignee: Option<String>,
    /// The end user's owners, as [`Check::end_user_owner`].
    pub end_user_owner: Vec<String>,
    /// The consignee's owners, the same way.
    pub consignee_owner: Vec<String>,
}

/// What is known of a party's owners from a list parameter (see [`Check::end_user_owner`]):
/// none given, not known.
pub fn owners(given: &[String], parameter: &'static str) -> Result<Option<Vec<Owner>>, RequestError> {
    if given.is_empty() {
        return Ok(None);
    }
    let mut all = Vec::new();
    for g in given {
        all.extend(crate::parties::parse_owners(g).map_err(|e| bad(parameter, format!("{}: {e}", flag(parameter))))?);
    }
    if given.len() > 1 && given.iter().any(|g| g.trim().eq_ignore_ascii_case("none")) {
        return Err(bad(parameter, format!("{}: `none` stands alone: it says that no owner is to be given", flag(parameter))));
    }
    let total: f64 = all.iter().filter_map(|o| o.share).sum();
    if total > 100.0 + 1e-9 {
        return Err(bad(parameter, format!("{}: the owners' shares add up to {total} %, over 100 %", flag(parameter))));
    }
    Ok(Some(all))
}

/// The owners of the end user and of the consignee of a request.
type OwnersOf = (Option<Vec<Owner>>, Option<Vec<Owner>>);

/// The owners of the parties of a request (`names`: the end user and the consignee), each
/// checked; owners of a party that is not named are an error, not dropped.
fn owners_of(names: [Option<&str>; 2], end_user: &[String], consignee: &[String]) -> Result<OwnersOf, RequestError> {
    let named = |n: Option<&str>| n.is_some_and(|n| !n.trim().is_empty());
    for (name, given, parameter, party) in
        [(names[0], end_user, "end_user_owner", "end_user"), (names[1], consignee, "consignee_owner", "consignee")]
    {
        if !given.is_empty() && !named(name) {
            return Err(bad(
                parameter,
                format!("{} gives the owners of the {}: name it with {}", flag(parameter), party.replace('_', " "), flag(party)),
            ));
        }
    }
    Ok((owners(end_user, "end_user_owner")?, owners(consignee, "consignee_owner")?))
}

/// The names of a list parameter: each entry split at commas, trimmed, blanks left out.
fn names(given: &[String]) -> impl Iterator<Item = &str> {
    given.iter().flat_map(|g| g.split(',')).map(str::trim).filter(|s| !s.is_empty())
}

impl Diff {
    /// Builds the diff; `today` is the date after when none is given.
    pub fn build(&self, rs: &RuleSet, today: Date) -> Result<crate::history::Diff, RequestError> {
        let from = crate::date::parse(&self.from).map_err(|e| bad("from", e.to_string()))?;
        let to = date_or("until", self.until.as_deref(), today)?;
        let mut destinations: Vec<String> = Vec::new();
        for g in names(&self.destinations) {
            let code = country(rs, g, "destinations")?;
            if !destinations.contains(&code) {
                destinations.push(code);
            }
        }
        if destinations.is_empty() {
            destinations = crate::history::mentioned_countries(rs);
        }
        let mut chips: Vec<&Chip> = Vec::new();
        for g in names(&self.chips) {
            let c = lookup(rs, g, "chips")?;
            if !chips.iter().any(|x| x.id == c.id) {
                chips.push(c);
            }
        }
        if chips.is_empty() {
            if rs.catalog.is_empty() {
                return Err(bad("chips", "the catalog is empty; load a pack with chips or name none with --chips"));
            }
            chips = rs.catalog.chips().collect();
        }
        let hq = self.end_user_hq.as_deref().map(|h| country(rs, h, "end_user_hq")).transpose()?;
        let ship = self.ship_from.as_deref().map(|f| country(rs, f, "ship_from")).transpose()?;
        let (eu, co) = owners_of([self.end_user.as_deref(), self.consignee.as_deref()], &self.end_user_owner, &self.consignee_owner)?;
        let (exporter_role, attested_by) = exporting(self.exporter_role.as_deref(), &self.attested_by)?;
        // The foundry rule reads figures (the node, the transistor count) that a diff over the
        // catalog cannot give chip by chip: every answer would be left open.
        if exporter_role.is_some_and(|r| r != crate::rules::ExporterRole::Other) || !attested_by.is_empty() {
            let parameter = if exporter_role.is_some() { "exporter_role" } else { "attested_by" };
            return Err(bad(
                parameter,
                format!(
                    "{}: a diff compares catalog chips, which give no process node or transistor count for the foundry rule; ask check or timeline with --node and --transistors",
                    flag(parameter)
                ),
            ));
        }
        let req = crate::history::DiffRequest {
            chips,
            destinations,
            end_user_hq: hq.as_deref(),
            exporter: self.exporter.as_deref(),
            ship_from: ship.as_deref(),
            exporter_role,
            attested_by: &attested_by,
            parties: Parties {
                end_user: self.end_user.as_deref(),
                consignee: self.consignee.as_deref(),
                end_user_owners: eu.as_deref(),
                consignee_owners: co.as_deref(),
            },
            from,
            to,
        };
        crate::history::diff(rs, &req).map_err(|e| bad("from", e.to_string()))
    }
}

/// The TPP × performance-density map (`chipgate map`, `GET /v1/map`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(default, deny_unknown_fields)]
pub struct Map {
    /// The rules in force on this date; none: the caller's today.
    pub date: Option<String>,
    /// The largest TPP drawn; none: past the catalog's largest.
    pub tpp_max: Option<f64>,
    /// The largest performance density drawn; none: past the catalog's largest.
    pub pd_max: Option<f64>,
    /// Cells along each axis; none: 60.
    pub steps: Option<usize>,
    /// The regions of chips not designed or marketed for datacenters (default: datacenter chips).
    pub consumer: bool,
}

/// The largest figure a map's axis may reach: far past any chip (the H100's TPP is about
/// 16,000), and small enough that the grid's figures stay finite numbers.
pub const AXIS_MAX: f64 = 1e9;

impl Map {
    /// Classifies the grid.
    pub fn build(&self, rs: &RuleSet, today: Date) -> Result<crate::history::map::Map, RequestError> {
        use crate::history::map::{map, MapRequest, MAX_STEPS};
        let date = date_or("date", self.date.as_deref(), today)?;
        // The axes reach past the catalog's largest figures.
        let largest = |f: fn(&crate::chip::Metrics) -> Option<f64>| {
            rs.catalog.chips().filter_map(|c| f(&crate::chip::Metrics::of(c))).fold(0.0, f64::max) * 1.1
        };
        let positive = |parameter: &'static str, v: Option<f64>, default: f64| match v {
            Some(x) if !x.is_finite() || x <= 0.0 || x > AXIS_MAX => {
                // A number past the limit is echoed in scientific notation, not in 300 digits.
                let got = if x.is_finite() && x.abs() > AXIS_MAX { format!("{x:e}") } else { x.to_string() };
                Err(bad(parameter, format!("{} must be a number > 0 and at most {AXIS_MAX:e}, got `{got}`", flag(parameter))))
            }
            Some(x) => Ok(x),
            None => Ok(if default > 0.0 { default } else { 1.0 }),
        };
        let tpp_max = positive("tpp_max", self.tpp_max, largest(|m| m.tpp.as_ref().map(|d| d.value)))?;
        let pd_max = positive("pd_max", self.pd_max, largest(|m| m.pd.as_ref().map(|d| d.value)))?;
        let steps = self.steps.unwrap_or(60);
        if !(1..=MAX_STEPS).contains(&steps) {
            return Err(bad("steps", format!("{} must be 1 to {MAX_STEPS}, got {steps}", flag("steps"))));
        }
        Ok(map(rs, &MapRequest { date, tpp_max, pd_max, steps, datacenter: !self.consumer }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_figure_fields_are_the_metric_tables_parameters() {
        // Every metric a user can give is a field named as its parameter, set through the table.
        let mut check = Check::default();
        for (i, m) in Metric::given().enumerate() {
            check.set_figure(m, Some(i as f64));
        }
        let json = serde_json::to_value(&check).unwrap();
        for (i, m) in Metric::given().enumerate() {
            let p = m.about().parameter.unwrap();
            assert_eq!(json[p], i as f64, "{p}");
            assert_eq!(check.figure(m), Some(i as f64));
        }
        let number_fields = json.as_object().unwrap().iter().filter(|(_, v)| v.is_number()).count();
        assert_eq!(number_fields, Metric::given().count(), "every number field of a check is a metric's");
        // A bad figure names its parameter in the command line's spelling.
        let bad = Check { die_area: Some(-1.0), ..Check::default() };
        let rs = RuleSet::builtin().unwrap();
        let e = bad.chip(&rs, "test").unwrap_err();
        assert_eq!((e.parameter, e.message.as_str()), ("die_area", "--die-area must be a number ≥ 0, got `-1`"));
    }

    #[test]
    fn each_assumption_names_a_parameter_of_the_check() {
        let rs = RuleSet::builtin().unwrap();
        let check = Check { chip: Some("H100".into()), to: "HK".into(), date: Some("2026-12-01".into()), ..Check::default() };
        let d = check.decide(&rs, jiff::civil::date(2026, 12, 1), "test").unwrap();
        let fields = serde_json::to_value(Check::default()).unwrap();
        let named: Vec<&str> = d.assumptions.iter().filter_map(|a| a.parameter()).collect();
        assert_eq!(named, ["ship_from", "end_user", "end_user_hq"]);
        for p in named {
            assert!(fields.get(p).is_some(), "an assumption names `{p}`, which no parameter of a check is");
        }
        let treated = d.assumptions.iter().find(|a| matches!(a, crate::eval::Assumption::TreatedAs { .. })).unwrap();
        assert_eq!(treated.to_string(), "Hong Kong (HK) is treated as CN by the rules");
        assert_eq!(serde_json::to_value(treated).unwrap(), treated.to_string());
    }

    #[test]
    fn missing_entries_are_typed_and_read_and_sort_as_their_sentences() {
        use crate::eval::Missing;
        let rs = RuleSet::builtin().unwrap();
        let check = Check { tpp: Some(3000.0), to: "CN".into(), date: Some("2024-06-01".into()), ..Check::default() };
        let d = check.decide(&rs, jiff::civil::date(2024, 6, 1), "test").unwrap();
        assert_eq!(d.missing, [Missing::Flag(crate::chip::Flag::Datacenter), Missing::Metric(crate::chip::Metric::Pd)]);
        let texts: Vec<String> = d.missing.iter().map(ToString::to_string).collect();
        let mut sorted = texts.clone();
        sorted.sort();
        assert_eq!(texts, sorted, "in the order of their sentences");
        assert_eq!(serde_json::to_value(&d.missing).unwrap(), serde_json::to_value(&texts).unwrap());
        let owners = Missing::OwnerShare { role: "end user".into(), owner: "X".into(), matched: "Y".into() };
        assert_eq!(owners.to_string(), "the share of the end user's owner `X`, listed as `Y`");
    }

    #[test]
    fn a_review_policy_is_undetermined_only_when_one_would_apply_but_is_not_known() {
        let rs = RuleSet::builtin().unwrap();
        let ask = |chip: &str, end_user: Option<&str>, date: &str| {
            let check = Check {
                chip: Some(chip.into()),
                to: "CN".into(),
                end_user: end_user.map(Into::into),
                date: Some(date.into()),
                ..Check::default()
            };
            let d = check.decide(&rs, jiff::civil::date(2026, 1, 1), "test").unwrap();
            (d.review_policy.map(|r| r.policy.name()), d.review_undetermined)
        };
        // A near miss of Huawei could bring in its presumption of denial: not known.
        assert_eq!(ask("H100", Some("Huawey Technologies"), "2026-03-01"), (None, true));
        assert_eq!(ask("H100", Some("Huawei Technologies Co., Ltd."), "2026-03-01"), (Some("presumption_of_denial"), false));
        assert_eq!(ask("H100", None, "2026-03-01"), (Some("case_by_case"), false));
        // An is-informed letter's license has no review policy of the rules: none, and not open.
        assert_eq!(ask("H20", None, "2025-06-01"), (None, false));
    }
}
