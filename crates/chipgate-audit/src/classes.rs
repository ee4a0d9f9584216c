//! Equivalence classes of chips and countries for memoisation: a class id per distinct
//! signature of the engine's (see [`chipgate_core::eval::signature`]: within a rule period,
//! queries of equal signatures get the same answer), with caches so that a row's class is
//! usually a lookup. JSON output carries the trace, which names actual values, so it classes
//! chips and countries by identity instead.

use jiff::civil::Date;

use super::hash::{pack, FxMap};
use super::row::{CompositeTable, Key, Spec};
use chipgate_core::chip::Chip;
use chipgate_core::eval::signature::{Exporting, Role, Signatures};
use chipgate_core::rules::ExporterRole;
use chipgate_core::RuleSet;

/// The other exporter's name, for a row whose exporter no rule names.
const ANOTHER_EXPORTER: &str = super::memo::ANOTHER_EXPORTER;

/// The most distinct spec figure sets remembered before starting over.
const SPEC_CAP: usize = 20_000;

/// When classing by identity, the id that stands for a chip or country the row does not give
/// (identity ids are catalog and country indices, all smaller).
const ABSENT: u32 = u32::MAX;

/// What a chip's class depends on besides the catalog: the chip, its figures, the period, and
/// who exports (the exporter's class, its role, the attestations given).
type SpecKey = (Option<u32>, Spec, u32, Option<u32>, Option<ExporterRole>, u8);

/// Assigns class ids to chips and countries.
pub(crate) struct Classes<'r> {
    rs: &'r RuleSet,
    exact: bool,
    signatures_of: Signatures<'r>,
    /// End-user classes joined with a ship-from class and the kind of transaction.
    shipped: FxMap<(u32, u32, u8), u32>,
    /// End-user classes joined with a short party signature (see `screened`).
    screened_short: FxMap<(u32, u128), u32>,
    signatures: FxMap<Vec<u8>, u32>,
    /// The signatures by class id.
    by_id: Vec<Vec<u8>>,
    /// The classes of catalog chips by chip and period.
    catalog: Vec<Option<u32>>,
    specs: FxMap<SpecKey, u32>,
    /// The classes of the computers and assemblies rows describe, by what they are made of.
    composites: FxMap<(Vec<u8>, SpecKey), u32>,
    /// The parties the rules' exporter tests name (see [`Key::exporter`]).
    parties: Vec<&'r str>,
    next_spec: u32,
    countries: Vec<Option<u32>>,
    buf: Vec<u8>,
}

impl<'r> Classes<'r> {
    /// Classes by rule conditions, or (`exact`) by identity.
    pub fn new(rs: &'r RuleSet, exact: bool) -> Classes<'r> {
        Classes {
            rs,
            exact,
            signatures_of: Signatures::new(rs),
            shipped: FxMap::default(),
            screened_short: FxMap::default(),
            signatures: FxMap::default(),
            by_id: Vec::new(),
            catalog: vec![None; rs.catalog.len() * rs.periods()],
            specs: FxMap::default(),
            composites: FxMap::default(),
            next_spec: rs.catalog.len() as u32,
            countries: vec![None; 3 * rs.countries.all().len() * rs.periods()],
            buf: Vec::new(),
            parties: rs.exporters(),
        }
    }

    /// The memo key of a row: chip class, destination class, end-user class (joined with the
    /// ship-from's, when one is given, and with the parties' `signature`, when any is named),
    /// period.
    pub fn key(&mut self, k: &Key, date: Date, signature: &[u8], composites: &CompositeTable) -> [u32; 4] {
        let chip = self.chip(k, date, composites);
        let dest = self.country(Role::Destination, k.dest, k.period, date);
        let hq = match (self.exact, k.hq) {
            (true, hq) => hq.unwrap_or(ABSENT),
            (false, None) => self.country(Role::EndUserHq, k.dest, k.period, date),
            (false, Some(hq)) => self.country(Role::EndUserHq, hq, k.period, date),
        };
        let hq = match (self.exact, k.ship_from) {
            (_, None) => hq,
            // By identity: the end user and the ship-from as one id, apart from country indices.
            (true, Some(ship)) => {
                self.buf.clear();
                self.buf.push(b'x');
                self.buf.extend_from_slice(&hq.to_le_bytes());
                self.buf.extend_from_slice(&ship.to_le_bytes());
                self.intern() | 1 << 31
            }
            (false, Some(ship)) => self.shipped(hq, ship, k, date),
        };
        let hq = if signature.is_empty() { hq } else { self.screened(hq, signature) };
        [chip, dest, hq, k.period]
    }

    /// The end-user class `hq` joined with what the parties' screening found (see
    /// `row::PartyTable`): the listed parties they match or may be.
    fn screened(&mut self, hq: u32, signature: &[u8]) -> u32 {
        // Most rows name parties on no list, whose signature is a few bytes (`e?.`): their
        // classes by (end-user class, signature), without joining the two signatures again.
        let short = pack(signature).map(|s| (hq, s));
        if let Some(c) = short.and_then(|k| self.screened_short.get(&k)) {
            return *c;
        }
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        if self.exact {
            // By identity: the end user (and ship-from) id as it is, apart from class ids.
            buf.push(b'q');
            buf.extend_from_slice(&hq.to_le_bytes());
        } else {
            buf.push(b'p');
            let sig = self.by_id.get(hq as usize).map_or(&[][..], Vec::as_slice);
            buf.extend_from_slice(&(sig.len() as u32).to_le_bytes());
            buf.extend_from_slice(sig);
        }
        buf.extend_from_slice(signature);
        self.buf = buf;
        let class = self.intern();
        let class = if self.exact { class | 1 << 31 } else { class };
        if let Some(k) = short {
            if self.screened_short.len() >= SPEC_CAP {
                self.screened_short.clear();
            }
            self.screened_short.insert(k, class);
        }
        class
    }

    /// The end-user class `hq` joined with the ship-from's class and the kind of transaction
    /// (which a ship-from of the same class as another gives differently: `SG` to `SG` is a
    /// transfer, `SG` to `MY` a reexport).
    fn shipped(&mut self, hq: u32, from: u32, k: &Key, date: Date) -> u32 {
        let ship = self.country(Role::ShipFrom, from, k.period, date);
        let country = |i: u32| self.rs.countries.all().get(i as usize);
        let kind = country(k.dest).map_or(0, |to| self.signatures_of.transaction(country(from), to));
        if let Some(c) = self.shipped.get(&(hq, ship, kind)) {
            return *c;
        }
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        buf.push(b'j');
        for id in [hq, ship] {
            let sig = self.by_id.get(id as usize).map_or(&[][..], Vec::as_slice);
            buf.extend_from_slice(&(sig.len() as u32).to_le_bytes());
            buf.extend_from_slice(sig);
        }
        buf.push(kind);
        self.buf = buf;
        let class = self.intern();
        self.shipped.insert((hq, ship, kind), class);
        class
    }

    fn chip(&mut self, k: &Key, date: Date, composites: &CompositeTable) -> u32 {
        let (idx, spec, plain) = (k.chip, &k.spec, k.plain_but_parties());
        if plain && self.exact {
            return idx.unwrap_or(ABSENT);
        }
        // A catalog chip without figures of its own: its slot in `catalog`; a computer or an
        // assembly a row describes: by what it is made of (the row table may start over).
        let slot = idx.filter(|_| plain).map(|i| i as usize * self.rs.periods() + k.period as usize);
        let spec_key = (idx, *spec, k.period, k.exporter, k.role, k.attested);
        let composite = k.composite.map(|_| (composites.signature(k.composite).to_vec(), spec_key));
        let known = match (slot, &composite) {
            (Some(slot), _) => self.catalog.get(slot).copied().flatten(),
            (None, Some(c)) => self.composites.get(c).copied(),
            (None, None) => self.specs.get(&spec_key).copied(),
        };
        if let Some(c) = known {
            return c;
        }
        let class = if self.exact {
            self.next_spec += 1;
            self.next_spec
        } else {
            let (chip, _) = super::row::chip_of(self.rs, k, composites);
            self.chip_signature(&chip, date, k)
        };
        match (slot, composite) {
            (Some(slot), _) => {
                if let Some(c) = self.catalog.get_mut(slot) {
                    *c = Some(class);
                }
            }
            (None, Some(c)) => {
                if self.composites.len() >= SPEC_CAP {
                    self.composites.clear();
                }
                self.composites.insert(c, class);
            }
            (None, None) => {
                if self.specs.len() >= SPEC_CAP {
                    self.specs.clear();
                }
                self.specs.insert(spec_key, class);
            }
        }
        class
    }

    /// The class of a chip's signature on `date` for the exporter of a key (see
    /// [`Key::exporter`]), with its role and the attestations given.
    fn chip_signature(&mut self, chip: &Chip, date: Date, k: &Key) -> u32 {
        let name = k.exporter.map(|i| self.parties.get(i as usize).copied().unwrap_or(ANOTHER_EXPORTER));
        let attested_by = super::row::attestations(k.attested);
        let exporting = Exporting { name, role: k.role, attested_by: &attested_by };
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        buf.push(b'c');
        self.signatures_of.chip(chip, exporting, date, &mut buf);
        self.buf = buf;
        self.intern()
    }

    /// The class of a country in a role: its signature in the period.
    fn country(&mut self, role: Role, idx: u32, period: u32, date: Date) -> u32 {
        if self.exact {
            return idx;
        }
        let n = self.rs.countries.all().len();
        let slot = (period as usize * 3 + role as usize) * n + idx as usize;
        if let Some(Some(c)) = self.countries.get(slot) {
            return *c;
        }
        let Some(country) = self.rs.countries.all().get(idx as usize) else { return idx };
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        buf.push([b'd', b'h', b's'].get(role as usize).copied().unwrap_or(b'?'));
        self.signatures_of.country(role, country, date, &mut buf);
        self.buf = buf;
        let class = self.intern();
        if let Some(c) = self.countries.get_mut(slot) {
            *c = Some(class);
        }
        class
    }

    fn intern(&mut self) -> u32 {
        if let Some(c) = self.signatures.get(&self.buf) {
            return *c;
        }
        let c = self.signatures.len() as u32;
        self.signatures.insert(self.buf.clone(), c);
        self.by_id.push(self.buf.clone());
        c
    }

    /// A memo key that means the same in every worker (whose class ids differ): the classes'
    /// signatures and the period, or (by identity) the query itself.
    pub fn shared_key(&self, class: [u32; 4], k: &Key, signature: &[u8], composite: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let [chip, dest, hq, period] = class;
        if self.exact {
            let role = k.role.map(|r| r as u32);
            for n in [k.chip, Some(k.dest), k.hq, Some(k.period), k.exporter, k.ship_from, role, Some(u32::from(k.attested))] {
                out.push(u8::from(n.is_some()));
                out.extend_from_slice(&n.unwrap_or_default().to_le_bytes());
            }
            k.spec.write(&mut out);
            // The parties by name (the signature holds the names when classing by identity),
            // then what a computer is made of.
            out.extend_from_slice(signature);
            out.push(0xfe);
            out.extend_from_slice(composite);
        } else {
            for id in [chip, dest, hq] {
                // Chip, destination and end-user signatures start with their own letter and
                // have a fixed length each, so the concatenation is unambiguous.
                out.extend_from_slice(self.by_id.get(id as usize).map_or(&[][..], Vec::as_slice));
            }
            out.extend_from_slice(&period.to_le_bytes());
        }
        out
    }
}
