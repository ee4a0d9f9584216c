//! Equivalence classes of chips and countries for memoisation. Within one rule period, the
//! audit columns of a row depend on its chip only through the truth of the rules' chip
//! conditions (metric comparisons, flags, chip lists), on the destination only through its
//! membership of the sets destination conditions test, and on the end user's headquarters (the
//! destination when not given) only through the sets end-user conditions test. Chips (countries) that agree on every such condition
//! share a class, so a shipment list with thousands of distinct figure sets still needs only as
//! many evaluations as there are distinct answers. JSON output carries the trace, which names
//! actual values, so it classes chips and countries by identity instead.

use jiff::civil::Date;

use super::hash::FxMap;
use super::memo::overrides;
use super::row::{Key, SpecBits};
use crate::rules::{cond::Op, Cond, Set};
use crate::spec::{Chip, Flag, Metric, Metrics};
use crate::RuleSet;

/// A chip condition of some rule.
enum Atom<'r> {
    Cmp(Metric, Op, f64),
    Flag(Flag),
    Chip(&'r [String]),
}

/// Country roles: the destination, and the end user's headquarters.
const DEST: usize = 0;
const HQ: usize = 1;

/// The most distinct spec figure sets remembered before starting over.
const SPEC_CAP: usize = 20_000;

/// Assigns class ids to chips and countries.
pub(crate) struct Classes<'r> {
    rs: &'r RuleSet,
    exact: bool,
    atoms: Vec<Atom<'r>>,
    /// The country sets of destination conditions, and of end-user conditions.
    sets: [Vec<&'r Set>; 2],
    signatures: FxMap<Vec<u8>, u32>,
    /// The signatures by class id.
    by_id: Vec<Vec<u8>>,
    catalog: Vec<Option<u32>>,
    specs: FxMap<(u32, SpecBits), u32>,
    next_spec: u32,
    countries: Vec<Option<u32>>,
    buf: Vec<u8>,
}

impl<'r> Classes<'r> {
    /// Classes by rule conditions, or (`exact`) by identity.
    pub fn new(rs: &'r RuleSet, exact: bool) -> Classes<'r> {
        let mut c = Classes {
            rs,
            exact,
            atoms: Vec::new(),
            sets: [Vec::new(), Vec::new()],
            signatures: FxMap::default(),
            by_id: Vec::new(),
            catalog: vec![None; rs.catalog.chips().len()],
            specs: FxMap::default(),
            next_spec: rs.catalog.chips().len() as u32,
            countries: vec![None; 2 * rs.countries.all().len() * (rs.change_dates.len() + 1)],
            buf: Vec::new(),
        };
        for r in &rs.rules {
            c.collect(&r.when);
        }
        c
    }

    fn collect(&mut self, c: &'r Cond) {
        match c {
            Cond::Const(_) | Cond::Eccn(_) => {}
            Cond::And(v) | Cond::Or(v) => v.iter().for_each(|x| self.collect(x)),
            Cond::Not(x) => self.collect(x),
            Cond::Cmp { metric, op, value } => self.atoms.push(Atom::Cmp(*metric, *op, *value)),
            Cond::Flag(f) => self.atoms.push(Atom::Flag(*f)),
            Cond::Chip(list) => self.atoms.push(Atom::Chip(list)),
            Cond::Destination { set, .. } => self.sets.get_mut(DEST).into_iter().for_each(|v| v.push(set)),
            Cond::EndUserHq { set, .. } => self.sets.get_mut(HQ).into_iter().for_each(|v| v.push(set)),
        }
    }

    /// The memo key of a row: chip class, destination class, end-user class, period.
    pub fn key(&mut self, k: &Key, date: Date) -> [u32; 4] {
        let chip = self.chip(k);
        let dest = self.country(DEST, k.dest, k.period, date);
        let hq = match (self.exact, k.hq) {
            (true, hq) => hq,
            (false, u32::MAX) => self.country(HQ, k.dest, k.period, date),
            (false, hq) => self.country(HQ, hq, k.period, date),
        };
        [chip, dest, hq, k.period]
    }

    fn chip(&mut self, k: &Key) -> u32 {
        let (idx, spec, plain) = (k.chip, &k.spec, k.plain());
        if plain && self.exact {
            return idx;
        }
        if plain {
            if let Some(Some(c)) = self.catalog.get(idx as usize) {
                return *c;
            }
        } else if let Some(c) = self.specs.get(&(idx, *spec)) {
            return *c;
        }
        let class = if self.exact {
            self.next_spec += 1;
            self.next_spec
        } else {
            let base = self.rs.catalog.chips().get(idx as usize);
            let (chip, _) = overrides(spec).chip(base);
            self.chip_signature(&chip)
        };
        if plain {
            if let Some(slot) = self.catalog.get_mut(idx as usize) {
                *slot = Some(class);
            }
        } else {
            if self.specs.len() >= SPEC_CAP {
                self.specs.clear();
            }
            self.specs.insert((idx, *spec), class);
        }
        class
    }

    fn chip_signature(&mut self, chip: &Chip) -> u32 {
        let m = Metrics::of(chip);
        let truth = |t: Option<bool>| match t {
            Some(false) => 0,
            Some(true) => 1,
            None => 2,
        };
        self.buf.clear();
        self.buf.push(b'c');
        for a in &self.atoms {
            self.buf.push(match a {
                Atom::Cmp(metric, op, v) => truth(m.get(*metric).map(|x| op.apply(x, *v))),
                Atom::Flag(f) => truth(m.flag(*f)),
                Atom::Chip(list) => truth(Some(list.contains(&chip.id))),
            });
        }
        self.intern()
    }

    /// The class of a country as a destination (`DEST`) or as the end user's home (`HQ`): its
    /// membership of the sets the rules test it against, in the period.
    fn country(&mut self, role: usize, idx: u32, period: u32, date: Date) -> u32 {
        if self.exact {
            return idx;
        }
        let n = self.rs.countries.all().len();
        let slot = (period as usize * 2 + role) * n + idx as usize;
        if let Some(Some(c)) = self.countries.get(slot) {
            return *c;
        }
        let Some(country) = self.rs.countries.all().get(idx as usize) else { return idx };
        let codes = country.codes();
        self.buf.clear();
        self.buf.push(if role == DEST { b'd' } else { b'h' });
        for s in self.sets.get(role).into_iter().flatten() {
            self.buf.push(u8::from(self.rs.in_set(s, &codes, date)));
        }
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
    pub fn shared_key(&self, class: [u32; 4], k: &Key) -> Vec<u8> {
        let mut out = Vec::new();
        let [chip, dest, hq, period] = class;
        if self.exact {
            for n in [k.chip, k.dest, k.hq, k.period] {
                out.extend_from_slice(&n.to_le_bytes());
            }
            k.spec.iter().for_each(|b| out.extend_from_slice(&b.to_le_bytes()));
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
