//! Equivalence classes of chips and countries for memoisation. Within one rule period, the
//! audit columns of a row depend on its chip only through the truth of the chip conditions
//! (metric comparisons, flags, chip lists) of the rules in force, on the destination only
//! through its membership of the sets their destination conditions test, and on the end
//! user's headquarters (the destination when not given) only through the sets their end-user
//! conditions test. Chips (countries) that agree on every such condition share a class in that
//! period, so a shipment list with thousands of distinct figure sets still needs only as many
//! evaluations as there are distinct answers; chips that differ only on a test of a rule not
//! yet (or no longer) in force share one. JSON output carries the trace, which names actual
//! values, so it classes chips and countries by identity instead.

use jiff::civil::Date;

use super::hash::FxMap;
use super::memo::overrides;
use super::row::{Key, SpecBits};
use chipgate_core::rules::{cond::Op, Cond, Set};
use chipgate_core::spec::{Chip, Flag, Metric, Metrics};
use chipgate_core::RuleSet;

/// A chip condition of some rule.
enum Atom<'r> {
    Cmp(Metric, Op, f64),
    Flag(Flag),
    Chip(&'r [String]),
    /// Whether the exporter is one of these parties.
    Exporter(&'r [String]),
}

/// Country roles: the destination, the end user's headquarters, and the ship-from.
const DEST: usize = 0;
const HQ: usize = 1;
const SHIP: usize = 2;

/// A signature's byte for a condition of a rule not in force in the period (so not tested).
const OUT: u8 = 3;

/// The most distinct spec figure sets remembered before starting over.
const SPEC_CAP: usize = 20_000;

/// Assigns class ids to chips and countries.
pub(crate) struct Classes<'r> {
    rs: &'r RuleSet,
    exact: bool,
    /// The chip conditions, each with the rule it is in.
    atoms: Vec<(Atom<'r>, usize)>,
    /// The country sets of destination conditions, and of end-user conditions, each with the
    /// rule it is in.
    sets: [Vec<(&'r Set, usize)>; 3],
    /// Whether some rule tests the kind of transaction.
    transactions: bool,
    /// End-user classes joined with a ship-from class and the kind of transaction.
    shipped: FxMap<(u32, u32, u8), u32>,
    signatures: FxMap<Vec<u8>, u32>,
    /// The signatures by class id.
    by_id: Vec<Vec<u8>>,
    /// The classes of catalog chips by chip and period.
    catalog: Vec<Option<u32>>,
    specs: FxMap<(u32, SpecBits, u32, u32), u32>,
    /// The parties the rules' exporter tests name (see [`Key::exporter`]).
    parties: Vec<&'r str>,
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
            sets: [Vec::new(), Vec::new(), Vec::new()],
            transactions: false,
            shipped: FxMap::default(),
            signatures: FxMap::default(),
            by_id: Vec::new(),
            catalog: vec![None; rs.catalog.chips().len() * rs.periods()],
            specs: FxMap::default(),
            next_spec: rs.catalog.chips().len() as u32,
            countries: vec![None; 3 * rs.countries.all().len() * rs.periods()],
            buf: Vec::new(),
            parties: rs.exporters(),
        };
        for (i, r) in rs.rules.iter().enumerate() {
            c.collect(&r.when, i);
        }
        c
    }

    fn collect(&mut self, c: &'r Cond, rule: usize) {
        match c {
            Cond::Const(_) | Cond::Eccn(_) => {}
            Cond::And(v) | Cond::Or(v) => v.iter().for_each(|x| self.collect(x, rule)),
            Cond::Not(x) => self.collect(x, rule),
            Cond::Cmp { metric, op, value } => self.atoms.push((Atom::Cmp(*metric, *op, *value), rule)),
            Cond::Flag(f) => self.atoms.push((Atom::Flag(*f), rule)),
            Cond::Chip(list) => self.atoms.push((Atom::Chip(list), rule)),
            Cond::Exporter(list) => self.atoms.push((Atom::Exporter(list), rule)),
            Cond::Destination { set, .. } => self.sets.get_mut(DEST).into_iter().for_each(|v| v.push((set, rule))),
            Cond::EndUserHq { set, .. } => self.sets.get_mut(HQ).into_iter().for_each(|v| v.push((set, rule))),
            Cond::ShipFrom { set, .. } => self.sets.get_mut(SHIP).into_iter().for_each(|v| v.push((set, rule))),
            Cond::Transaction(_) => self.transactions = true,
        }
    }

    /// Whether a rule is in force on a date (and so all through its period).
    fn in_force(&self, rule: usize, date: Date) -> bool {
        self.rs.rules.get(rule).is_some_and(|r| r.in_force(date))
    }

    /// The memo key of a row: chip class, destination class, end-user class (joined with the
    /// ship-from's, when one is given), period.
    pub fn key(&mut self, k: &Key, date: Date) -> [u32; 4] {
        let chip = self.chip(k, date);
        let dest = self.country(DEST, k.dest, k.period, date);
        let hq = match (self.exact, k.hq) {
            (true, hq) => hq,
            (false, u32::MAX) => self.country(HQ, k.dest, k.period, date),
            (false, hq) => self.country(HQ, hq, k.period, date),
        };
        let hq = match (self.exact, k.ship_from) {
            (_, u32::MAX) => hq,
            // By identity: the end user and the ship-from as one id, apart from country indices.
            (true, ship) => {
                self.buf.clear();
                self.buf.push(b'x');
                self.buf.extend_from_slice(&hq.to_le_bytes());
                self.buf.extend_from_slice(&ship.to_le_bytes());
                self.intern() | 1 << 31
            }
            (false, _) => self.shipped(hq, k, date),
        };
        [chip, dest, hq, k.period]
    }

    /// The end-user class `hq` joined with the ship-from's class and the kind of transaction
    /// (which a ship-from of the same class as another gives differently: `SG` to `SG` is a
    /// transfer, `SG` to `MY` a reexport).
    fn shipped(&mut self, hq: u32, k: &Key, date: Date) -> u32 {
        let ship = self.country(SHIP, k.ship_from, k.period, date);
        let code = |i: u32| self.rs.countries.all().get(i as usize).map(|c| c.code.as_str());
        let kind = if self.transactions {
            // As the evaluator takes it: no ship-from (`u32::MAX`) is the jurisdiction.
            let to = code(k.dest).unwrap_or_default();
            chipgate_core::rules::Transaction::between(code(k.ship_from), to, self.rs.jurisdiction.as_deref()) as u8 + 1
        } else {
            0
        };
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

    fn chip(&mut self, k: &Key, date: Date) -> u32 {
        let (idx, spec, plain) = (k.chip, &k.spec, k.plain());
        if plain && self.exact {
            return idx;
        }
        let slot = idx as usize * self.rs.periods() + k.period as usize;
        if plain {
            if let Some(Some(c)) = self.catalog.get(slot) {
                return *c;
            }
        } else if let Some(c) = self.specs.get(&(idx, *spec, k.period, k.exporter)) {
            return *c;
        }
        let class = if self.exact {
            self.next_spec += 1;
            self.next_spec
        } else {
            let base = self.rs.catalog.chips().get(idx as usize);
            let (chip, _) = overrides(spec).chip(base);
            self.chip_signature(&chip, date, k.exporter)
        };
        if plain {
            if let Some(c) = self.catalog.get_mut(slot) {
                *c = Some(class);
            }
        } else {
            if self.specs.len() >= SPEC_CAP {
                self.specs.clear();
            }
            self.specs.insert((idx, *spec, k.period, k.exporter), class);
        }
        class
    }

    /// The truth of the conditions of the rules in force on `date` for a chip (`OUT` for those
    /// of other rules).
    fn chip_signature(&mut self, chip: &Chip, date: Date, exporter: u32) -> u32 {
        // The exporter as the evaluator takes it: given, or else the chip's vendor.
        let party = match self.parties.get(exporter as usize) {
            Some(p) => Some(*p),
            None if exporter == u32::MAX => Some(chip.vendor.trim()).filter(|v| !v.is_empty()),
            None => None,
        };
        // An exporter no rule names, or none at all (a chip of no vendor): no letter binds it.
        let other = party.is_none();
        let m = Metrics::of(chip);
        let truth = |t: Option<bool>| match t {
            Some(false) => 0,
            Some(true) => 1,
            None => 2,
        };
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        buf.push(b'c');
        for (a, rule) in &self.atoms {
            buf.push(match a {
                _ if !self.in_force(*rule, date) => OUT,
                Atom::Cmp(metric, op, v) => truth(m.get(*metric).map(|x| op.apply(x, *v))),
                Atom::Flag(f) => truth(m.flag(*f)),
                Atom::Chip(list) => truth(Some(list.contains(&chip.id))),
                Atom::Exporter(_) if other => 0,
                Atom::Exporter(list) => truth(party.map(|p| list.iter().any(|x| chipgate_core::rules::same_party(x, p)))),
            });
        }
        self.buf = buf;
        self.intern()
    }

    /// The class of a country as a destination (`DEST`) or as the end user's home (`HQ`): its
    /// membership of the sets the rules test it against, in the period.
    fn country(&mut self, role: usize, idx: u32, period: u32, date: Date) -> u32 {
        if self.exact {
            return idx;
        }
        let n = self.rs.countries.all().len();
        let slot = (period as usize * 3 + role) * n + idx as usize;
        if let Some(Some(c)) = self.countries.get(slot) {
            return *c;
        }
        let Some(country) = self.rs.countries.all().get(idx as usize) else { return idx };
        let codes = country.codes();
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        buf.push([b'd', b'h', b's'].get(role).copied().unwrap_or(b'?'));
        for (s, rule) in self.sets.get(role).into_iter().flatten() {
            buf.push(if self.in_force(*rule, date) { u8::from(self.rs.in_set(s, &codes, date)) } else { OUT });
        }
        // Whether it is the jurisdiction tells an export from a domestic sale (the destination's
        // part in the kind of transaction when no ship-from is given).
        if self.transactions && role == DEST {
            buf.push(u8::from(self.rs.jurisdiction.as_deref() == Some(country.code.as_str())));
        }
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
    pub fn shared_key(&self, class: [u32; 4], k: &Key) -> Vec<u8> {
        let mut out = Vec::new();
        let [chip, dest, hq, period] = class;
        if self.exact {
            for n in [k.chip, k.dest, k.hq, k.period, k.exporter, k.ship_from] {
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
