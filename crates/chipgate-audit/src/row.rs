//! One shipment row: its fields read into a query key (catalog chip, spec figures, destination,
//! end user, date and its rule period), or every problem found, each naming its column. Chip
//! names, countries and dates are resolved once per distinct string.

use jiff::civil::Date;

use super::columns::{Columns, Field};
use super::hash::{pack, FxMap, NameMap, Recent};
use super::memo::Finding;
use super::scan::Fields;
use chipgate_core::chip::{Flag, Metric, MetricMap, Overrides, Resolution};
use chipgate_core::parties::Owner;
use chipgate_core::request::Check;
use chipgate_core::rules::{Attestation, ExporterRole};
use chipgate_core::RuleSet;

/// What kind of problem made a row unusable; counted in the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, strum::VariantArray, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum ErrorKind {
    /// A required field is empty.
    MissingField,
    /// The chip name is not in the catalog.
    UnknownChip,
    /// The chip name matches several catalog chips.
    AmbiguousChip,
    /// The country is not known.
    UnknownCountry,
    /// The date is not a valid YYYY-MM-DD date.
    BadDate,
    /// A number is not a number, negative, or (quantity) not whole.
    BadNumber,
    /// A yes/no field holds something else.
    BadFlag,
    /// The row has more or fewer fields than the header.
    RaggedRow,
    /// A field the audit reads is not valid UTF-8.
    NotUtf8,
    /// The record is longer, or has more fields, than the audit's limits.
    TooLarge,
    /// A quoted field is not closed (before the input ends, or within the record limit).
    OpenQuote,
    /// A field of a decoded input held bytes that are not valid in the input's encoding.
    BadEncoding,
    /// The row's `eccn` column gives another classification than chipgate's (a warning).
    EccnDiffers,
    /// An owners column (`end_user_owners`, `consignee_owners`) is not `NAME=PERCENT; …` or
    /// `none`, or its shares add up to over 100 %.
    BadOwners,
    /// A column of named values (`exporter_role`, `attested_by`) holds a value chipgate does
    /// not know.
    BadValue,
}

impl ErrorKind {
    /// Every kind, in order.
    pub const ALL: &'static [ErrorKind] = <ErrorKind as strum::VariantArray>::VARIANTS;

    /// The snake_case name used in summaries.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub(crate) fn slot(self) -> usize {
        self as usize
    }
}

/// A problem with one field (or the whole row, for ragged rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The kind.
    pub kind: ErrorKind,
    /// The header name of the column, if the problem is with one column.
    pub column: Option<String>,
    /// What is wrong, with a suggestion where one helps.
    pub message: String,
}

impl Problem {
    /// The problem of a required field left empty, and what to write in it.
    fn missing_message(f: Field) -> (ErrorKind, String) {
        (ErrorKind::MissingField, format!("empty; `{}` is required (an ISO code such as `CN` or a name such as `China`)", f.name()))
    }

    /// The problem of a required country field left empty.
    fn missing(f: Field) -> Problem {
        let (kind, message) = Problem::missing_message(f);
        Problem { kind, column: Some(f.name().to_string()), message }
    }
}

/// A row that could not be evaluated: its number and every problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// One-based data row (the header is not counted).
    pub row: u64,
    /// One-based line the row starts on.
    pub line: u64,
    /// The problems.
    pub problems: Vec<Problem>,
}

impl RowError {
    /// The problems alone, without the row: `column chip: unknown chip …; column date: …`.
    pub fn problems(&self) -> Problems<'_> {
        Problems(self)
    }
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "row {}", self.row)?;
        if self.line != self.row + 1 {
            write!(f, " (line {})", self.line)?;
        }
        write!(f, ", {}", self.problems())
    }
}

/// A row error's problems, as [`RowError::problems`] writes them.
pub struct Problems<'a>(&'a RowError);

impl std::fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, p) in self.0.problems.iter().enumerate() {
            f.write_str(if i == 0 { "" } else { "; " })?;
            if let Some(c) = &p.column {
                write!(f, "column {c}: ")?;
            }
            f.write_str(&p.message)?;
        }
        Ok(())
    }
}

/// The spec columns of a row as read: each figure given (its bits, so that the set hashes)
/// and the datacenter flag.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub(crate) struct Spec {
    /// The figures given, as `f64` bits.
    pub figures: MetricMap<u64>,
    /// Designed or marketed for datacenters, if given.
    pub datacenter: Option<bool>,
    /// A standalone HBM stack: `Some(true)` makes the chip one (`no` leaves it as it is, as
    /// without `--hbm`).
    pub hbm: Option<bool>,
}

impl Spec {
    /// Whether no spec column of the row is filled in.
    pub fn is_empty(&self) -> bool {
        self.figures.is_empty() && self.datacenter.is_none() && self.hbm.is_none()
    }

    /// The figures as chip overrides.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            source: "given in the input file".into(),
            figures: self.figures.iter().map(|(m, bits)| (m, f64::from_bits(*bits))).collect(),
            datacenter: self.datacenter,
            hbm: self.hbm == Some(true),
            ..Overrides::default()
        }
    }

    /// Its bytes, for a key that means the same in every worker.
    pub fn write(&self, out: &mut Vec<u8>) {
        for m in Metric::ALL {
            match self.figures.get(m) {
                Some(bits) => {
                    out.push(1);
                    out.extend_from_slice(&bits.to_le_bytes());
                }
                None => out.push(0),
            }
        }
        for flag in [self.datacenter, self.hbm] {
            out.push(match flag {
                None => 0,
                Some(false) => 1,
                Some(true) => 2,
            });
        }
    }
}

/// The query a row asks, as indices into the rule set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    /// Catalog index; none for a chip the spec columns describe alone.
    pub chip: Option<u32>,
    /// The spec columns' figures and flag.
    pub spec: Spec,
    /// Destination country index.
    pub dest: u32,
    /// End-user headquarters country index; none: the destination.
    pub hq: Option<u32>,
    /// Rule period of the date.
    pub period: u32,
    /// The exporter: the place in [`RuleSet::exporters`] of the party it is, or their count
    /// for another party; none when not given (the chip's vendor is presumed).
    pub exporter: Option<u32>,
    /// The ship-from country index; none: the rules' jurisdiction.
    pub ship_from: Option<u32>,
    /// What the exporter is; none: not given.
    pub role: Option<ExporterRole>,
    /// The attestations given, one bit each (by place in [`Attestation::ALL`]).
    pub attested: u8,
    /// The parties named (end user, consignee), as a place in the reader's [`PartyTable`];
    /// none when neither is named.
    pub parties: Option<u32>,
    /// What a computer or an assembly contains, its kind and the entries it is described in, as
    /// a place in the reader's [`CompositeTable`]; none when the row gives none of them.
    pub composite: Option<u32>,
}

impl Key {
    /// Whether the query names a catalog chip (or none) without figures, an exporter, a
    /// ship-from or a computer of its own (it may name parties).
    pub fn plain_but_parties(&self) -> bool {
        self.spec.is_empty()
            && self.exporter.is_none()
            && self.ship_from.is_none()
            && self.role.is_none()
            && self.attested == 0
            && self.composite.is_none()
    }
}

/// The computers and assemblies the rows describe (`contains`, `item_kind`, `described_in`),
/// each distinct set of cells once: what it makes of a chip, and its signature (the kind, what
/// it contains and the entries it is described in, as resolved), which the memo's keys use,
/// so that two spellings of one computer are one query.
#[derive(Debug, Default)]
pub(crate) struct CompositeTable {
    by_cells: NameMap<u32>,
    entries: Vec<(Check, Vec<u8>)>,
    /// The key of the row's cells (see `cells_key`).
    raw: Vec<u8>,
}

/// The cells a row describes a computer or an assembly in.
pub(crate) type CompositeCells<'a> = [&'a [u8]; 3];

impl CompositeTable {
    /// The place of a row's cells (none when all are blank); what cannot be read is an error
    /// naming its field.
    fn place(&mut self, rs: &RuleSet, cells: CompositeCells<'_>) -> Result<Option<u32>, (Field, String)> {
        if cells.iter().all(|c| c.is_empty()) {
            return Ok(None);
        }
        cells_key(&cells, &mut self.raw);
        if let Some(p) = self.by_cells.get(&self.raw) {
            return Ok(Some(*p));
        }
        let raw = std::mem::take(&mut self.raw);
        let list = |c: &[u8]| -> Vec<String> {
            String::from_utf8_lossy(c).split([';', ',']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
        };
        let [contains, item, described_in] = cells;
        let item = Some(String::from_utf8_lossy(item).trim().to_string()).filter(|i| !i.is_empty());
        let check = Check { contains: list(contains), item, described_in: list(described_in), ..Check::default() };
        let mut chip = chipgate_core::chip::Chip::default();
        check.make_composite(rs, &mut chip, true).map_err(|e| {
            let field = match e.parameter {
                "item" => Field::ItemKind,
                "described_in" => Field::DescribedIn,
                _ => Field::Contains,
            };
            // Said in the words of the columns rather than of `check`'s flags.
            let message = e
                .message
                .replace("--contains", "`contains`")
                .replace("--item", "`item_kind`")
                .replace("--described-in", "`described_in`")
                .replace(", or describe it with --tpp", "");
            (field, message)
        })?;
        let mut signature = vec![chip.item as u8];
        for p in &chip.contains {
            signature.extend_from_slice(p.chip.as_bytes());
            signature.push(0);
            signature.extend_from_slice(&p.count.to_le_bytes());
        }
        signature.push(0xff);
        for d in &chip.described_in {
            signature.extend(d.bytes().map(|b| b.to_ascii_lowercase()));
            signature.push(0);
        }
        if self.entries.len() >= CACHE_CAP {
            self.by_cells.clear();
            self.entries.clear();
        }
        self.entries.push((check, signature));
        let place = self.entries.len() as u32 - 1;
        self.by_cells.insert(&raw, place);
        self.raw = raw;
        Ok(Some(place))
    }

    /// The signature of a place (empty for none).
    pub fn signature(&self, place: Option<u32>) -> &[u8] {
        place.and_then(|p| self.entries.get(p as usize)).map_or(&[][..], |(_, s)| s.as_slice())
    }

    /// Makes `chip` the computer or assembly of a place (nothing for none); `blank` when the
    /// row names no catalog chip and gives no figures.
    pub fn apply(&self, rs: &RuleSet, place: Option<u32>, chip: &mut chipgate_core::chip::Chip, blank: bool) {
        if let Some((check, _)) = place.and_then(|p| self.entries.get(p as usize)) {
            // Read once already (`place`): it reads the same again.
            let _ = check.make_composite(rs, chip, blank);
        }
    }
}

/// A row's cells as one key, in `raw` (a buffer reused from row to row: a new one for every
/// row was a tenth of the cost of an end-user column, benches/parties.sh): each cell's length,
/// then its bytes.
fn cells_key(cells: &[&[u8]], raw: &mut Vec<u8>) {
    raw.clear();
    for c in cells {
        raw.extend_from_slice(&(c.len() as u32).to_le_bytes());
        raw.extend_from_slice(c);
    }
}

/// The tables a key's places are in.
#[derive(Clone, Copy)]
pub(crate) struct Tables<'a> {
    pub parties: &'a PartyTable,
    pub composites: &'a CompositeTable,
}

/// The chip a key asks about: its catalog chip with the row's figures, made the computer or
/// assembly the row describes; and whether it is hypothetical.
pub(crate) fn chip_of(rs: &RuleSet, key: &Key, composites: &CompositeTable) -> (chipgate_core::chip::Chip, bool) {
    let base = key.chip.and_then(|i| rs.catalog.get(i as usize));
    let (mut chip, hypothetical) = key.spec.overrides().chip(base);
    if key.composite.is_none() {
        return (chip, hypothetical);
    }
    composites.apply(rs, key.composite, &mut chip, base.is_none() && key.spec.is_empty());
    (chip, true)
}

/// The parties of the rows read, each distinct pair of names once, with what their answers
/// depend on in each rule period: the listed parties they match or may be (see
/// [`RuleSet::screen`]). A name is compared with the lists once, whatever the
/// periods of its rows; a period only picks the entries in force.
#[derive(Debug, Default)]
pub(crate) struct PartyTable {
    /// Places by the names' bytes.
    by_names: NameMap<u32>,
    entries: Vec<Named>,
    /// The signatures of the [`Named::timeless`] places, numbered from 1 (at most
    /// [`TIMELESS_IDS`]; the rest are not numbered).
    timeless_ids: FxMap<Vec<u8>, u16>,
    /// The key of the row's cells (see `cells_key`).
    raw: Vec<u8>,
}

/// The most signatures of timeless places numbered: a plain shipment list has a handful (an end
/// user named or not, a consignee, owners given or not); a file classed by identity, one per name.
const TIMELESS_IDS: usize = 4096;

/// A pair of names with what is known of their owners, the entries each (and each owner) may
/// be on any date, and its signature by period.
#[derive(Debug)]
struct Named {
    end_user: Option<String>,
    consignee: Option<String>,
    candidates: [Vec<chipgate_core::parties::Candidate>; 2],
    /// The owners of each (none: not known), with each owner's candidates.
    owners: [Option<Vec<Owner>>; 2],
    owner_candidates: [Vec<Vec<chipgate_core::parties::Candidate>>; 2],
    /// By period, for the periods rows have asked about: the hits of each name (list, entry,
    /// whether a match), with the name itself when a hit is only possible (the answer's
    /// `missing` names it) or when classing by identity; then the same for its owners, with
    /// their shares.
    signatures: Vec<(u32, Vec<u8>)>,
    /// No name or owner of it may be on any list, whatever the date: one signature serves
    /// every period. Most names of a shipment list are such; before, each held a slot for
    /// every period of the rules (1 KiB each), and screening 5,000 distinct names cost a tenth
    /// of the audit in page faults (benches/parties.sh).
    timeless: bool,
    /// When timeless, the number of its signature in [`PartyTable::timeless_ids`], if it has one.
    timeless_id: Option<u16>,
}

impl Named {
    /// Its signature in a period, if worked out.
    fn signature(&self, period: u32) -> Option<&[u8]> {
        let mut held = self.signatures.iter();
        let found = if self.timeless { held.next() } else { held.find(|(p, _)| *p == period) };
        found.map(|(_, s)| s.as_slice())
    }
}

/// The cells a row names its parties in: the end user, the consignee, and their owners.
pub(crate) type PartyCells<'a> = [&'a [u8]; 4];

impl PartyTable {
    /// The place of the names and owners of a row (none when both names are blank),
    /// with its signature in `period` (of `date`) worked out; an owners cell that cannot be
    /// read is an error for that column (0: the end user's, 1: the consignee's).
    fn place(&mut self, rs: &RuleSet, cells: PartyCells<'_>, period: u32, date: Date, exact: bool) -> Result<Option<u32>, (usize, String)> {
        let [end_user_cell, consignee_cell, end_user_owners, consignee_owners] = cells;
        for (i, (party, owners)) in [(end_user_cell, end_user_owners), (consignee_cell, consignee_owners)].into_iter().enumerate() {
            if party.is_empty() && !owners.is_empty() {
                let whose = if i == 0 { "end user" } else { "consignee" };
                return Err((i, format!("gives the owners of no {whose}: name the {whose} too, or leave the owners empty")));
            }
        }
        if end_user_cell.is_empty() && consignee_cell.is_empty() {
            return Ok(None);
        }
        cells_key(&cells, &mut self.raw);
        let place = match self.by_names.get(&self.raw) {
            Some(p) => *p,
            None => {
                let raw = std::mem::take(&mut self.raw);
                let text = |n: &[u8]| Some(String::from_utf8_lossy(n).trim().to_string()).filter(|n| !n.is_empty());
                let (end_user, consignee) = (text(end_user_cell), text(consignee_cell));
                let read = |i: usize| -> Result<Option<Vec<Owner>>, (usize, String)> {
                    let cell = cells.get(i + 2).copied().unwrap_or_default();
                    text(cell).map(|t| chipgate_core::parties::parse_owners(&t).map_err(|e| (i, e))).transpose()
                };
                let owners = [read(0)?, read(1)?];
                if self.entries.len() >= CACHE_CAP {
                    self.by_names.clear();
                    self.entries.clear();
                }
                let of = |n: &Option<String>| n.as_deref().map(|n| rs.candidates(n)).unwrap_or_default();
                let candidates = [of(&end_user), of(&consignee)];
                let owned = |o: &Option<Vec<Owner>>| o.iter().flatten().map(|o| rs.candidates(&o.name)).collect();
                let owner_candidates = [owned(&owners[0]), owned(&owners[1])];
                let timeless = candidates.iter().chain(owner_candidates.iter().flatten()).all(Vec::is_empty);
                self.entries.push(Named {
                    end_user,
                    consignee,
                    candidates,
                    owners,
                    owner_candidates,
                    signatures: Vec::new(),
                    timeless,
                    timeless_id: None,
                });
                let place = self.entries.len() as u32 - 1;
                self.by_names.insert(&raw, place);
                self.raw = raw;
                place
            }
        };
        if let Some(n) = self.entries.get_mut(place as usize).filter(|n| n.signature(period).is_none()) {
            let mut signature = Vec::new();
            let parties = [(b'e', &n.end_user, &n.candidates[0], 0), (b'c', &n.consignee, &n.candidates[1], 1)];
            for (role, name, candidates, i) in parties {
                let Some(name) = name else { continue };
                signature.push(role);
                hits_of(rs, &mut signature, name, candidates, date, exact);
                match n.owners.get(i).and_then(Option::as_ref) {
                    None => signature.push(b'?'),
                    Some(owners) => {
                        let candidates = n.owner_candidates.get(i).map_or(&[][..], Vec::as_slice);
                        for (o, c) in owners.iter().zip(candidates) {
                            let start = signature.len();
                            signature.push(b'o');
                            signature.extend_from_slice(&o.share.map_or(u64::MAX, f64::to_bits).to_le_bytes());
                            // An owner on no list changes nothing but the screening that
                            // JSON rows show (classed by identity): else it is left out.
                            if !hits_of(rs, &mut signature, &o.name, c, date, true) && !exact {
                                signature.truncate(start);
                            }
                        }
                    }
                }
                signature.push(b'.');
            }
            if n.timeless {
                let next = self.timeless_ids.len() + 1;
                n.timeless_id = match self.timeless_ids.get(&signature) {
                    Some(id) => Some(*id),
                    None if next <= TIMELESS_IDS => {
                        self.timeless_ids.insert(signature.clone(), next as u16);
                        Some(next as u16)
                    }
                    None => None,
                };
            }
            n.signatures.push((period, signature));
        }
        Ok(Some(place))
    }

    /// The same number for places of one signature in every period (see [`Named::timeless`]):
    /// 0 for none, a number from 1 for a timeless place that has one, else `None`.
    pub fn timeless_id(&self, place: Option<u32>) -> Option<u16> {
        match place {
            None => Some(0),
            Some(p) => self.entries.get(p as usize).and_then(|n| n.timeless_id),
        }
    }

    /// The signature of a place in a period (empty for none).
    pub fn signature(&self, place: Option<u32>, period: u32) -> &[u8] {
        place.and_then(|p| self.entries.get(p as usize)).and_then(|n| n.signature(period)).unwrap_or_default()
    }

    /// The names of a place.
    pub fn names(&self, place: Option<u32>) -> chipgate_core::eval::Parties<'_> {
        place.and_then(|p| self.entries.get(p as usize)).map_or_else(Default::default, |n| chipgate_core::eval::Parties {
            end_user: n.end_user.as_deref(),
            consignee: n.consignee.as_deref(),
            end_user_owners: n.owners.first().and_then(Option::as_deref),
            consignee_owners: n.owners.get(1).and_then(Option::as_deref),
        })
    }
}

/// Adds what a name's screening finds on `date` to a signature (each hit's list, entry and
/// whether a match, and the name when a hit is only possible or `named`); whether it found any.
fn hits_of(
    rs: &RuleSet,
    signature: &mut Vec<u8>,
    name: &str,
    candidates: &[chipgate_core::parties::Candidate],
    date: Date,
    named: bool,
) -> bool {
    let hits = rs.screen_candidates(candidates, date);
    for h in &hits {
        signature.extend_from_slice(&(h.list as u32).to_le_bytes());
        signature.extend_from_slice(&(h.entry as u32).to_le_bytes());
        signature.push(u8::from(h.decided));
    }
    if named || hits.iter().any(|h| !h.decided) {
        signature.extend_from_slice(&(name.len() as u32).to_le_bytes());
        signature.extend_from_slice(name.as_bytes());
    }
    !hits.is_empty()
}

/// A row read: the key to evaluate, and what the summary needs.
#[derive(Debug, Clone)]
pub(crate) struct Parsed {
    /// A problem that leaves the verdict standing (a quantity that is not a whole number: the
    /// row's units are not counted).
    pub warning: Option<Box<Problem>>,
    pub key: Key,
    pub date: Date,
    pub quantity: u64,
}

/// The most distinct strings a name cache holds before it starts over (bounds memory on
/// adversarial input; real files repeat a few names).
const CACHE_CAP: usize = 10_000;

/// Distinct unknown names (chips, countries) that get suggestions; past this, a column is
/// probably mapped wrong, and fuzzy matching every value would dominate the run.
const SUGGEST_CAP: usize = 500;

type Cached<T> = Result<T, (ErrorKind, String)>;

/// Reads rows, resolving names through caches.
pub(crate) struct Reader<'r> {
    rs: &'r RuleSet,
    default_date: Date,
    default_period: u32,
    /// The rule set's change dates as [`date_key`]s.
    changes: Vec<u32>,
    chips: NameMap<Cached<u32>>,
    countries: NameMap<Cached<u32>>,
    dates: NameMap<Cached<(Date, u32)>>,
    /// `YYYY-MM-DD` dates read, packed ([`pack_date`]), with their rule period (4,096 slots:
    /// a few years of days).
    recent: Recent<u64, (Date, u32)>,
    /// Country index + 1 by two-letter upper-case code (0: not seen yet), before `countries`.
    codes: Vec<u32>,
    /// Catalog chips by name packed ([`pack`]) (256 slots), before `chips`.
    recent_chips: Recent<u128, u32>,
    /// Problems of the row being read, with their column index (for ordering).
    problems: Vec<(usize, Problem)>,
    /// The encoding the input was decoded from, if it was: its fields are checked for the
    /// replacement character that stands for bytes invalid in it.
    decoded: Option<&'static encoding_rs::Encoding>,
    /// How dates are written, besides ISO 8601.
    date_format: Option<chipgate_core::date::DateFormat>,
    /// The columns of the file, and of each field read.
    columns: Columns,
    at: At,
    /// Distinct unknown names seen (see [`SUGGEST_CAP`]).
    unknown: usize,
    /// The parties the rules' exporter tests name, as [`chipgate_core::rules::party_key`]s; empty when
    /// no rule asks who exports (the column is then not read).
    parties: Vec<String>,
    /// Exporters read, by name, as [`Key::exporter`]s.
    exporters: NameMap<u32>,
    /// The exporter of rows without one (`--exporter`).
    default_exporter: Option<u32>,
    /// The ship-from of rows without one (`--ship-from`).
    default_ship_from: Option<u32>,
    /// The exporter role and the attestations of rows without them (`--exporter-role`,
    /// `--attested-by`).
    default_role: Option<ExporterRole>,
    default_attested: u8,
    /// The end users and consignees read.
    pub party_table: PartyTable,
    /// The computers and assemblies the rows describe.
    pub composites: CompositeTable,
    /// Whether answers are classed by identity (JSON rows name the parties).
    exact: bool,
}

fn cached<T: Copy>(map: &mut NameMap<Cached<T>>, raw: &[u8], resolve: impl FnOnce(&str) -> Cached<T>) -> Cached<T> {
    if let Some(r) = map.get(raw) {
        return r.clone();
    }
    let r = match std::str::from_utf8(raw) {
        Ok(s) => resolve(s),
        Err(_) => Err((ErrorKind::NotUtf8, "not valid UTF-8; name the file's encoding with --encoding (e.g. windows-1252)".to_string())),
    };
    if map.len() >= CACHE_CAP {
        map.clear();
    }
    map.insert(raw, r.clone());
    r
}

/// Attestations as the bits of a [`Key::attested`].
pub(crate) fn attested_bits(given: &[Attestation]) -> u8 {
    given.iter().filter_map(|a| Attestation::ALL.iter().position(|x| x == a)).fold(0, |bits, i| bits | 1 << i)
}

/// The attestations of a [`Key::attested`].
pub(crate) fn attestations(bits: u8) -> Vec<Attestation> {
    Attestation::ALL.iter().enumerate().filter(|(i, _)| bits & (1 << i) != 0).map(|(_, a)| *a).collect()
}

/// The [`Key::exporter`] of a party named `name` among `parties` (as party keys).
pub(crate) fn party_class(parties: &[String], name: &str) -> u32 {
    let key = chipgate_core::rules::party_key(name);
    parties.iter().position(|p| *p == key).unwrap_or(parties.len()) as u32
}

/// A field without the spaces around it.
#[inline]
fn trim(b: &[u8]) -> &[u8] {
    match (b.first(), b.last()) {
        (Some(f), Some(l)) if !f.is_ascii_whitespace() && !l.is_ascii_whitespace() => b,
        _ => b.trim_ascii(),
    }
}

/// Where a row's fields are: the column of each field read (none when the file has none), and the
/// spec fields the header has, with their columns.
#[derive(Debug, Clone)]
struct At {
    destination: Option<usize>,
    end_user_hq: Option<usize>,
    date: Option<usize>,
    quantity: Option<usize>,
    chip: Option<usize>,
    eccn: Option<usize>,
    exporter: Option<usize>,
    exporter_role: Option<usize>,
    attested_by: Option<usize>,
    contains: Option<usize>,
    item_kind: Option<usize>,
    described_in: Option<usize>,
    ship_from: Option<usize>,
    end_user: Option<usize>,
    consignee: Option<usize>,
    end_user_owners: Option<usize>,
    consignee_owners: Option<usize>,
    specs: Vec<(Field, usize)>,
}

impl At {
    fn new(c: &Columns) -> At {
        let at = |f: Field| c.index(f);
        let specs = Field::specs().filter_map(|f| Some((f, c.index(f)?))).collect();
        At {
            destination: at(Field::Destination),
            end_user_hq: at(Field::EndUserHq),
            date: at(Field::Date),
            quantity: at(Field::Quantity),
            eccn: c.index(Field::Eccn),
            chip: at(Field::Chip),
            exporter: at(Field::Exporter),
            exporter_role: at(Field::ExporterRole),
            attested_by: at(Field::AttestedBy),
            contains: at(Field::Contains),
            item_kind: at(Field::ItemKind),
            described_in: at(Field::DescribedIn),
            ship_from: at(Field::ShipFrom),
            end_user: at(Field::EndUser),
            consignee: at(Field::Consignee),
            end_user_owners: at(Field::EndUserOwners),
            consignee_owners: at(Field::ConsigneeOwners),
            specs,
        }
    }
}

impl<'r> Reader<'r> {
    pub fn new(rs: &'r RuleSet, opts: &super::Options, columns: Columns, decoded: Option<&'static encoding_rs::Encoding>) -> Reader<'r> {
        let default_date = opts.default_date;
        Reader {
            date_format: opts.date_format.clone(),
            rs,
            default_date,
            default_period: rs.period_index(default_date) as u32,
            changes: rs.change_dates.iter().map(|d| date_key(*d)).collect(),
            chips: NameMap::default(),
            countries: NameMap::default(),
            dates: NameMap::default(),
            recent: Recent::new(12),
            codes: vec![0; 26 * 26],
            recent_chips: Recent::new(8),
            unknown: 0,
            problems: Vec::new(),
            decoded,
            at: At::new(&columns),
            columns,
            parties: Vec::new(),
            exporters: NameMap::default(),
            party_table: PartyTable::default(),
            composites: CompositeTable::default(),
            exact: opts.json || rs.replaces_identities(),
            default_exporter: None,
            default_role: opts.exporter_role,
            default_attested: attested_bits(&opts.attested_by),
            default_ship_from: opts
                .ship_from
                .as_deref()
                .and_then(|c| rs.countries.resolve(c))
                .and_then(|c| rs.countries.index_of(&c.code))
                .map(|i| i as u32),
        }
        .with_parties(rs, opts.exporter.as_deref())
    }

    fn with_parties(mut self, rs: &RuleSet, default: Option<&str>) -> Self {
        self.parties = rs.exporters().into_iter().map(chipgate_core::rules::party_key).collect();
        // With no rule asking who exports, no exporter changes an answer: none is kept.
        // A blank exporter is none given, as in `check`.
        let default = default.map(str::trim).filter(|e| !e.is_empty() && !self.parties.is_empty());
        self.default_exporter = default.map(|e| party_class(&self.parties, e));
        self
    }

    /// The exporter of a row, as a [`Key::exporter`].
    fn exporter(&mut self, raw: &[u8]) -> Option<u32> {
        if self.parties.is_empty() || raw.is_empty() {
            return self.default_exporter;
        }
        if let Some(e) = self.exporters.get(raw) {
            return Some(*e);
        }
        let class = party_class(&self.parties, &String::from_utf8_lossy(raw));
        if self.exporters.len() >= CACHE_CAP {
            self.exporters.clear();
        }
        self.exporters.insert(raw, class);
        Some(class)
    }

    /// Reads a row with as many fields as the header, or returns every problem found.
    pub fn parse(&mut self, rec: Fields<'_>) -> Result<Parsed, Vec<Problem>> {
        self.problems.clear();
        let get = |i: Option<usize>| i.and_then(|i| rec.get(i)).map(trim).unwrap_or_default();
        let dest = self.country(Field::Destination, get(self.at.destination), true);
        let hq = self.country(Field::EndUserHq, get(self.at.end_user_hq), false);
        let (date, period) = self.date(get(self.at.date));
        // A bad quantity changes the totals, not the verdict: it is a warning on the row.
        let (quantity, warning) = match self.quantity(get(self.at.quantity)) {
            Ok(q) => (q, None),
            Err(w) => (0, Some(w)),
        };
        let (spec, has_spec) = self.spec(rec);
        let cells = [get(self.at.contains), get(self.at.item_kind), get(self.at.described_in)];
        let composite = match self.composites.place(self.rs, cells) {
            Ok(c) => c,
            Err((f, e)) => {
                self.problem(f, (ErrorKind::BadValue, e));
                None
            }
        };
        let chip = self.chip(get(self.at.chip), has_spec || cells.iter().any(|c| !c.is_empty()));
        let exporter = self.exporter(get(self.at.exporter));
        let ship_from = match get(self.at.ship_from) {
            b"" => self.default_ship_from,
            raw => self.country(Field::ShipFrom, raw, false),
        };
        let role = match get(self.at.exporter_role) {
            b"" => self.default_role,
            raw => self.named(Field::ExporterRole, raw, ExporterRole::parse, ExporterRole::names()).and_then(|r| r.first().copied()),
        };
        let attested = match get(self.at.attested_by) {
            b"" => self.default_attested,
            none if none.eq_ignore_ascii_case(b"none") => 0,
            raw => self.named(Field::AttestedBy, raw, Attestation::parse, Attestation::names()).map_or(0, |a| attested_bits(&a)),
        };
        if let Some(enc) = self.decoded {
            self.invalid_bytes(rec, enc);
        }
        if !self.problems.is_empty() {
            self.problems.extend(warning);
            self.problems.sort_by_key(|(i, _)| *i);
            return Err(self.problems.drain(..).map(|(_, p)| p).collect());
        }
        let cells = [get(self.at.end_user), get(self.at.consignee), get(self.at.end_user_owners), get(self.at.consignee_owners)];
        let parties = match self.party_table.place(self.rs, cells, period, date, self.exact) {
            Ok(p) => p,
            Err((i, e)) => {
                let field = if i == 0 { Field::EndUserOwners } else { Field::ConsigneeOwners };
                let mut problems = vec![located(&self.columns, field, (ErrorKind::BadOwners, e))];
                problems.extend(warning);
                problems.sort_by_key(|(i, _)| *i);
                return Err(problems.into_iter().map(|(_, p)| p).collect());
            }
        };
        let warning = warning.map(|(_, p)| Box::new(p));
        // A row without a destination has a problem that says so, and has returned above.
        let Some(dest) = dest else { return Err(vec![Problem::missing(Field::Destination)]) };
        let key = Key { chip, spec, dest, hq, period, exporter, ship_from, role, attested, parties, composite };
        Ok(Parsed { key, date, quantity, warning })
    }

    /// The values of a cell of named values, `;`-separated (an exporter role is one), or a
    /// problem naming those there are. Real files repeat a few spellings: each is read once.
    fn named<T: Copy>(&mut self, f: Field, raw: &[u8], parse: fn(&str) -> Option<T>, names: String) -> Option<Vec<T>> {
        let text = String::from_utf8_lossy(raw);
        let mut out = Vec::new();
        for v in text.split(';').map(str::trim).filter(|v| !v.is_empty()) {
            match parse(v) {
                Some(x) => out.push(x),
                None => {
                    let message = format!("`{v}` is not one of {names}");
                    self.problem(f, (ErrorKind::BadValue, message));
                    return None;
                }
            }
        }
        let several = f == Field::ExporterRole && out.len() > 1;
        if several {
            self.problem(f, (ErrorKind::BadValue, format!("`{text}` names several roles; give the exporter's one role, one of {names}")));
            return None;
        }
        Some(out)
    }

    /// A warning when the row's `eccn` column disagrees with the classification found: the
    /// file gives an ECCN of the rule set that chipgate does not find, or chipgate finds one
    /// of them and the file gives another (an ECCN outside the rule set, such as `5A992` or
    /// `EAR99`, is compared only with what chipgate finds). Undetermined classifications are
    /// not compared.
    #[inline]
    pub fn eccn_warning(&self, rec: Fields<'_>, f: &Finding) -> Option<Problem> {
        let at = self.at.eccn?;
        self.eccn_differs(rec, f, at)
    }

    fn eccn_differs(&self, rec: Fields<'_>, f: &Finding, at: usize) -> Option<Problem> {
        let found = f.eccn.as_str();
        let given = std::str::from_utf8(rec.get(at).map(trim).unwrap_or_default()).ok()?;
        if given.is_empty() || f.eccn_undetermined() || given.eq_ignore_ascii_case(found) {
            return None;
        }
        let known = |e: &str| self.rs.eccns.iter().any(|x| x.id.eq_ignore_ascii_case(e));
        if !known(given) && !known(found) {
            return None;
        }
        let chipgate =
            if found.is_empty() { "finds it outside the ECCNs of the rules".to_string() } else { format!("classifies it `{found}`") };
        let message = format!("the file gives ECCN `{given}`; chipgate {chipgate} (the verdict rests on chipgate's)");
        Some(Problem { kind: ErrorKind::EccnDiffers, column: Some(self.columns.name(at).to_string()), message })
    }

    /// Reports the fields of a decoded row that hold U+FFFD, which the decoder put for bytes
    /// not valid in the input's encoding (the input's own U+FFFD cannot be told from them).
    fn invalid_bytes(&mut self, rec: Fields<'_>, enc: &'static encoding_rs::Encoding) {
        const REPLACEMENT: &[u8] = "\u{fffd}".as_bytes();
        for (i, f) in rec.iter().enumerate() {
            if f.windows(REPLACEMENT.len()).any(|w| w == REPLACEMENT) {
                let message =
                    format!("holds bytes that are not valid {} (shown as `\u{fffd}`); check --encoding, or fix the file", enc.name());
                let column = Some(self.columns.name(i).to_string());
                self.problems.push((i, Problem { kind: ErrorKind::BadEncoding, column, message }));
            }
        }
    }

    fn problem(&mut self, f: Field, e: (ErrorKind, String)) {
        problem(&mut self.problems, &self.columns, f, e);
    }

    /// The index of a country cell; none when it is empty or unknown (a problem, when
    /// `required` or unknown).
    fn country(&mut self, f: Field, raw: &[u8], required: bool) -> Option<u32> {
        if raw.is_empty() {
            if required {
                self.problems.push(located(&self.columns, f, Problem::missing_message(f)));
            }
            return None;
        }
        let slot = code_slot(raw);
        // `codes` holds each two-letter code's index plus one; 0 is a code not yet seen.
        if let Some(i) = slot.and_then(|k| self.codes.get(k)).filter(|i| **i != 0) {
            return Some(*i - 1);
        }
        let (rs, suggest, unknown) = (self.rs, self.unknown < SUGGEST_CAP, &mut self.unknown);
        match cached(&mut self.countries, raw, |s| resolve_country(rs, s, suggest).inspect_err(|_| *unknown += 1)) {
            Ok(i) => {
                if let Some(c) = slot.and_then(|k| self.codes.get_mut(k)) {
                    *c = i + 1;
                }
                Some(i)
            }
            Err(e) => {
                self.problem(f, e);
                None
            }
        }
    }

    /// The catalog index of a chip cell; none when it is empty (a problem, without spec
    /// figures) or unknown (a problem).
    fn chip(&mut self, raw: &[u8], has_spec: bool) -> Option<u32> {
        if raw.is_empty() {
            if !has_spec {
                let msg = "empty; give a catalog chip name, or the chip's figures in the spec columns (tpp, die_area_mm2, datacenter, …)";
                self.problem(Field::Chip, (ErrorKind::MissingField, msg.to_string()));
            }
            return None;
        }
        // Known names of up to 15 bytes from the small table first.
        let packed = pack(raw);
        if let Some(i) = packed.and_then(|k| self.recent_chips.get(k)) {
            return Some(i);
        }
        let (rs, suggest, unknown) = (self.rs, self.unknown < SUGGEST_CAP, &mut self.unknown);
        match cached(&mut self.chips, raw, |s| resolve_chip(rs, s, suggest).inspect_err(|_| *unknown += 1)) {
            Ok(i) => {
                if let Some(k) = packed {
                    self.recent_chips.put(k, i);
                }
                Some(i)
            }
            Err(e) => {
                self.problem(Field::Chip, e);
                None
            }
        }
    }

    fn date(&mut self, raw: &[u8]) -> (Date, u32) {
        if raw.is_empty() {
            return (self.default_date, self.default_period);
        }
        let rs = self.rs;
        // The common `YYYY-MM-DD`: from the table of recent dates, or parsed from its packed
        // digits, its period found among the change dates as packed integers (ordered as the
        // dates are).
        if let Some(p) = pack_date(raw) {
            if let Some(known) = self.recent.get(p) {
                return known;
            }
            if let Some(d) = unpack_date(p) {
                let k = date_key(d);
                let period = self.changes.partition_point(|c| *c <= k) as u32;
                self.recent.put(p, (d, period));
                return (d, period);
            }
        }
        // Anything else (or an impossible day) goes through jiff like `check --date`.
        let format = self.date_format.as_ref();
        let parse = |s: &str| parse_date(s, format).map(|d| (d, rs.period_index(d) as u32));
        match cached(&mut self.dates, raw, parse) {
            Ok(x) => x,
            Err(e) => {
                self.problem(Field::Date, e);
                (self.default_date, self.default_period)
            }
        }
    }

    /// The units of a row (0 when empty), or the problem with them and where it is.
    fn quantity(&self, raw: &[u8]) -> Result<u64, (usize, Problem)> {
        if raw.is_empty() {
            return Ok(0);
        }
        if let Some(q) = whole(raw) {
            return Ok(q);
        }
        grouped(raw)
            .map_err(|e| located(&self.columns, Field::Quantity, (ErrorKind::BadNumber, format!("{e}; the row's units are not counted"))))
    }

    /// The spec figures given in the row, and whether any spec column is filled in.
    fn spec(&mut self, rec: Fields<'_>) -> (Spec, bool) {
        let mut out = Spec::default();
        let mut given = false;
        for &(f, col) in &self.at.specs {
            let Some(raw) = rec.get(col).map(trim).filter(|r| !r.is_empty()) else { continue };
            given = true;
            let read = match f {
                Field::Figure(m) => parse_figure(raw).map(|bits| out.figures.set(m, Some(bits))),
                Field::Flag(Flag::Datacenter) => parse_flag(raw).map(|yes| out.datacenter = Some(yes)),
                Field::Flag(Flag::Hbm) => parse_flag(raw).map(|yes| out.hbm = Some(yes)),
                _ => Ok(()),
            };
            if let Err(e) = read {
                problem(&mut self.problems, &self.columns, f, e);
            }
        }
        (out, given)
    }
}

/// Records a problem with a field, naming its column as the header does.
fn problem(problems: &mut Vec<(usize, Problem)>, c: &Columns, f: Field, e: (ErrorKind, String)) {
    problems.push(located(c, f, e));
}

/// A problem of a field, named by its column, with the column's place (for ordering).
fn located(c: &Columns, f: Field, (kind, message): (ErrorKind, String)) -> (usize, Problem) {
    let at = c.index(f);
    let column = Some(at.map(|i| c.name(i).to_string()).unwrap_or_else(|| f.name().to_string()));
    (at.unwrap_or(usize::MAX), Problem { kind, column, message })
}

/// A quantity written with thousands separators, as spreadsheets and ERPs export them:
/// `1,024`, `1.024`, `1 024`, `1'024` (also with a no-break or thin space or `_`), one kind of
/// separator between groups of three digits after the first group of one to three, and
/// optionally a decimal part of zeros after the other mark (`1.024,00`, `1,024.0`). A single
/// separator before `000` (`8.000`) reads as 8 or as 8000 depending on the country, so it is
/// refused with both readings.
fn grouped(raw: &[u8]) -> Result<u64, String> {
    let shown = String::from_utf8_lossy(raw);
    let bad = || format!("`{shown}` is not a whole number ≥ 0");
    let text = std::str::from_utf8(raw).map_err(|_| bad())?;
    // The decimal part, if any: after the last `.` or `,` that is not followed by three digits.
    let (int, zeros) = match text.rfind(['.', ',']) {
        Some(i) if text.len() - i - 1 != 3 => (text.get(..i).unwrap_or_default(), text.get(i + 1..).unwrap_or_default()),
        _ => (text, "0"),
    };
    if zeros.is_empty() || !zeros.bytes().all(|b| b == b'0') {
        return Err(bad());
    }
    let decimal_mark = text.len() != int.len();
    let sep = int.chars().find(|c| !c.is_ascii_digit());
    let Some(sep) = sep else { return whole(int.as_bytes()).ok_or_else(bad) };
    if !matches!(sep, ',' | '.' | ' ' | '\'' | '_' | '\u{a0}' | '\u{202f}')
        || (decimal_mark && text.get(int.len()..).is_some_and(|t| t.starts_with(sep)))
    {
        return Err(bad());
    }
    let groups: Vec<&str> = int.split(sep).collect();
    let first = groups.first().map_or(0, |g| g.len());
    let ok = (1..=3).contains(&first)
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()))
        && groups.iter().skip(1).all(|g| g.len() == 3);
    if !ok {
        return Err(bad());
    }
    let digits: String = groups.concat();
    let n = whole(digits.as_bytes()).ok_or_else(bad)?;
    if groups.len() == 2 && !decimal_mark && matches!(sep, ',' | '.') && groups.get(1) == Some(&"000") {
        return Err(format!(
            "`{shown}` reads as {} (with `{sep}` as a decimal mark) or as {n} (as a thousands separator); write the quantity without separators",
            n / 1000
        ));
    }
    Ok(n)
}

/// A whole number written in decimal digits, if it fits in a `u64`.
fn whole(raw: &[u8]) -> Option<u64> {
    // Up to 19 digits cannot overflow; longer numbers are checked step by step.
    if raw.len() < 20 && !raw.is_empty() {
        let mut n = 0u64;
        for &b in raw {
            let d = b.wrapping_sub(b'0');
            if d > 9 {
                return None;
            }
            n = n * 10 + u64::from(d);
        }
        return Some(n);
    }
    raw.iter().try_fold(0u64, |n, &b| if b.is_ascii_digit() { n.checked_mul(10)?.checked_add(u64::from(b - b'0')) } else { None })
}

/// The slot of a two-letter upper-case code in the direct country table.
fn code_slot(raw: &[u8]) -> Option<usize> {
    match *raw {
        [a @ b'A'..=b'Z', b @ b'A'..=b'Z'] => Some(usize::from(a - b'A') * 26 + usize::from(b - b'A')),
        _ => None,
    }
}

/// A `YYYY-MM-DD` field as one integer: its digits, four bits each (the dashes are implied).
/// `None` for anything else.
fn pack_date(b: &[u8]) -> Option<u64> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *b else { return None };
    // The eight digits' bytes in one word, checked and packed all at once: every byte is a
    // digit when its high nibble is 3, and still is after adding 6 (`:` to `?` become `@`…).
    let x = u64::from_be_bytes([y0, y1, y2, y3, m0, m1, d0, d1]);
    if x & (0xF0 * ONES) != 0x30 * ONES || x.wrapping_add(0x06 * ONES) & (0xF0 * ONES) != 0x30 * ONES {
        return None;
    }
    // Each digit's nibble next to its neighbour's: 0x0a0b… to 0xab…, then pairs of pairs.
    let v = x & (0x0F * ONES);
    let v = (v | (v >> 4)) & 0x00FF_00FF_00FF_00FF;
    let v = (v | (v >> 8)) & 0x0000_FFFF_0000_FFFF;
    Some((v | (v >> 16)) & 0xFFFF_FFFF)
}

/// The date of packed `YYYY-MM-DD` digits, if it exists.
fn unpack_date(p: u64) -> Option<Date> {
    let digit = |i: u32| ((p >> (4 * (7 - i))) & 0xF) as i16;
    let year = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3);
    Date::new(year, (digit(4) * 10 + digit(5)) as i8, (digit(6) * 10 + digit(7)) as i8).ok().filter(|d| chipgate_core::date::plausible(*d))
}

/// Parses `YYYY-MM-DD` quickly; `None` for anything else.
#[cfg(test)]
fn fast_date(b: &[u8]) -> Option<Date> {
    pack_date(b).and_then(unpack_date)
}

/// A date as an integer that orders as the date does.
pub(crate) fn date_key(d: Date) -> u32 {
    let year = u32::try_from(i32::from(d.year()) + 0x8000).unwrap_or(0);
    (year << 9) | (u32::from(d.month() as u8) << 5) | u32::from(d.day() as u8)
}

/// Parses a date as `check --date` does.
fn parse_date(s: &str, format: Option<&chipgate_core::date::DateFormat>) -> Cached<Date> {
    chipgate_core::date::parse_cell(s, format).map_err(|e| (ErrorKind::BadDate, e.to_string()))
}

fn parse_figure(raw: &[u8]) -> Result<u64, (ErrorKind, String)> {
    match std::str::from_utf8(raw).ok().and_then(|s| s.parse::<f64>().ok()) {
        Some(x) if x.is_finite() && x >= 0.0 => Ok((x + 0.0).to_bits()),
        _ => Err((ErrorKind::BadNumber, format!("`{}` is not a number ≥ 0", String::from_utf8_lossy(raw)))),
    }
}

fn parse_flag(raw: &[u8]) -> Result<bool, (ErrorKind, String)> {
    let yes = ["true", "yes", "y", "1", "t"];
    let no = ["false", "no", "n", "0", "f"];
    if yes.iter().any(|w| raw.eq_ignore_ascii_case(w.as_bytes())) {
        Ok(true)
    } else if no.iter().any(|w| raw.eq_ignore_ascii_case(w.as_bytes())) {
        Ok(false)
    } else {
        Err((ErrorKind::BadFlag, format!("`{}` is not yes or no; use true/false, yes/no or 1/0", String::from_utf8_lossy(raw))))
    }
}

/// Resolves a country name or code to its index, with the wording of `check`.
fn resolve_country(rs: &RuleSet, name: &str, suggest: bool) -> Cached<u32> {
    let all = rs.countries.all();
    match rs.countries.resolve(name).and_then(|c| all.iter().position(|x| x.code == c.code)) {
        Some(i) => Ok(i as u32),
        None => Err((ErrorKind::UnknownCountry, rs.countries.why_unknown(name, suggest))),
    }
}

/// Resolves a catalog chip name to its index, with the wording of `check`.
fn resolve_chip(rs: &RuleSet, name: &str, suggest: bool) -> Cached<u32> {
    let found = if suggest { rs.catalog.resolve(name) } else { rs.catalog.resolve_quiet(name) };
    if let Resolution::Found(c) = found {
        if let Some(i) = rs.catalog.index_of(c) {
            return Ok(i as u32);
        }
    }
    let kind = if matches!(found, Resolution::Ambiguous(_)) { ErrorKind::AmbiguousChip } else { ErrorKind::UnknownChip };
    let why = found.why_not(name, "leave it empty and give its figures in the spec columns");
    Err((kind, why.unwrap_or_else(|| format!("unknown chip `{name}`"))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn quantities_with_thousands_separators() {
        for (s, n) in [
            ("1,024", 1024),
            ("1.024", 1024),
            ("1 024", 1024),
            ("1'024", 1024),
            ("1\u{a0}024", 1024),
            ("12,345,678", 12_345_678),
            ("1.024,00", 1024),
            ("1,024.0", 1024),
            ("8,0", 8),
            ("8.00", 8),
            ("8,000,000", 8_000_000),
        ] {
            assert_eq!(grouped(s.as_bytes()), Ok(n), "{s}");
        }
        for s in
            ["1,5", "1,02", "1,0245", "1,024.5", "1,024,5", "1.024.5", "1,024.024", "1024,", ",024", "1,,024", "1,024 5", "-1,024", "x"]
        {
            assert!(grouped(s.as_bytes()).is_err(), "{s}");
        }
        assert_eq!(
            grouped(b"8.000").unwrap_err(),
            "`8.000` reads as 8 (with `.` as a decimal mark) or as 8000 (as a thousands separator); write the quantity without separators"
        );
        assert!(grouped(b"8,000").is_err());
        assert_eq!(grouped(b"8 000"), Ok(8000));
    }

    #[test]
    fn fast_dates_agree_with_jiff() {
        for s in
            ["2024-01-15", "2024-02-29", "2023-02-29", "2024-13-01", "2024-00-10", "0000-01-01", "0024-06-01", "2024-1-15", "2024/01/15"]
        {
            let (fast, slow) = (fast_date(s.as_bytes()), chipgate_core::date::parse(s).ok());
            if fast.is_some() || s.as_bytes().get(4..8).is_some_and(|b| b[0] == b'-' && b[3] == b'-') {
                assert_eq!(fast, slow, "{s}");
            }
        }
        assert_eq!(fast_date(b"2024-01-15"), Some(date(2024, 1, 15)));
    }

    #[test]
    fn packed_dates_tell_dates_apart() {
        assert_eq!(pack_date(b"2024-01-15"), Some(0x2024_0115));
        // Against a byte-by-byte reading, with every byte value at every digit's place.
        let simple = |b: &[u8]| -> Option<u64> {
            let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *b else { return None };
            [y0, y1, y2, y3, m0, m1, d0, d1].iter().try_fold(0u64, |n, c| c.is_ascii_digit().then(|| (n << 4) | u64::from(c - b'0')))
        };
        for at in [0, 1, 2, 3, 5, 6, 8, 9] {
            for byte in 0..=u8::MAX {
                let mut d = *b"1987-06-30";
                d[at] = byte;
                assert_eq!(pack_date(&d), simple(&d), "{d:?}");
            }
        }
        for bad in [&b"2024-1-15"[..], b"2024/01/15", b"2024-01-1x", b"", b"20240115"] {
            assert_eq!(pack_date(bad), None, "{}", String::from_utf8_lossy(bad));
        }
        // In the reader's table of recent dates, 60 months' 15th mostly keep their own slot.
        let mut recent = Recent::new(12);
        let days: Vec<u64> =
            (2022..2027).flat_map(|y| (1..13).map(move |m| format!("{y}-{m:02}-15"))).map(|d| pack_date(d.as_bytes()).unwrap()).collect();
        for (i, d) in days.iter().enumerate() {
            recent.put(*d, i);
        }
        let kept = days.iter().enumerate().filter(|(i, d)| recent.get(**d) == Some(*i)).count();
        assert!(kept > 50, "{kept} of 60");
        assert_eq!(recent.get(pack_date(b"2030-01-01").unwrap()), None);
    }

    #[test]
    fn date_keys_order_as_dates() {
        let days = [
            date(-9999, 1, 1),
            date(-1, 12, 31),
            date(0, 1, 1),
            date(2023, 10, 17),
            date(2023, 10, 18),
            date(2023, 11, 1),
            date(2024, 1, 1),
            date(9999, 12, 31),
        ];
        for a in days {
            for b in days {
                assert_eq!(date_key(a).cmp(&date_key(b)), a.cmp(&b), "{a} {b}");
            }
        }
    }

    #[test]
    fn whole_numbers_up_to_the_largest_u64() {
        assert_eq!(whole(b"0"), Some(0));
        assert_eq!(whole(b"0042"), Some(42));
        assert_eq!(whole(b"9999999999999999999"), Some(9_999_999_999_999_999_999));
        assert_eq!(whole(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(whole(b"18446744073709551616"), None);
        assert_eq!(whole(b"000000000000000000000001"), Some(1));
        for bad in [&b"-4"[..], b"2.5", b"1e3", b" 1", b"\xd9\xa3"] {
            assert_eq!(whole(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn figures_and_flags() {
        assert_eq!(parse_figure(b"4800"), Ok(4800f64.to_bits()));
        assert_eq!(parse_figure(b"-0"), Ok(0f64.to_bits()));
        assert!(parse_figure(b"-1").is_err());
        assert!(parse_figure(b"NaN").is_err());
        assert!(parse_figure(b"1,000").is_err());
        assert_eq!(parse_flag(b"Yes"), Ok(true));
        assert_eq!(parse_flag(b"0"), Ok(false));
        assert!(parse_flag(b"maybe").is_err());
    }

    #[test]
    fn row_errors_name_row_line_and_columns() {
        let p = |c: &str, m: &str| Problem { kind: ErrorKind::BadDate, column: Some(c.into()), message: m.into() };
        let e = RowError { row: 7, line: 8, problems: vec![p("destination", "unknown"), p("date", "bad")] };
        assert_eq!(e.to_string(), "row 7, column destination: unknown; column date: bad");
        let e = RowError { row: 7, line: 10, problems: vec![p("date", "bad")] };
        assert_eq!(e.to_string(), "row 7 (line 10), column date: bad");
    }
}
