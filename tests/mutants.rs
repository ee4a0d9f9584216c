//! Mutation fuzzing, bounded: thousands of mutated shipment files and rule packs, made from the
//! repository's own examples by byte and line edits. No mutant may panic; an audit either
//! stops on the file (header, read) or writes exactly one row per record, numbered in order;
//! a pack either loads or every diagnostic points inside a file it read.
//!
//! `CHIPGATE_MUTANTS=N` sets the number of mutants of each kind (default 1,000 CSVs and 200
//! packs, seconds in a release build); the figures are printed (`cargo test --test mutants -- --nocapture`).

use chipgate::audit::{audit, Header, Options, Row, Sink};
use chipgate::rules::{Loader, PackSource};
use chipgate::RuleSet;
use jiff::civil::date;

/// xorshift64*: deterministic, so a failure names its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that matter to CSV and TOML.
const INTERESTING: &[u8] = b",;\"'\n\r\t =[]{}#.-0123456789\\\xff\xc3\x00";

/// One to four random edits: a byte replaced, inserted or deleted, a line duplicated or
/// removed, a slice repeated.
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(v.len() + 1);
        let byte = if rng.below(3) == 0 { rng.next() as u8 } else { INTERESTING[rng.below(INTERESTING.len())] };
        match rng.below(6) {
            0 if at < v.len() => v[at] = byte,
            1 => v.insert(at, byte),
            2 if at < v.len() => {
                v.remove(at);
            }
            3 | 4 => {
                let lines: Vec<&[u8]> = v.split_inclusive(|&b| b == b'\n').collect();
                if lines.is_empty() {
                    continue;
                }
                let i = rng.below(lines.len());
                let mut out: Vec<u8> = Vec::with_capacity(v.len() * 2);
                for (j, l) in lines.iter().enumerate() {
                    let times = if j == i {
                        if rng.below(2) == 0 {
                            0
                        } else {
                            2
                        }
                    } else {
                        1
                    };
                    for _ in 0..times {
                        out.extend_from_slice(l);
                    }
                }
                v = out;
            }
            _ => {
                let end = (at + rng.below(64)).min(v.len());
                let slice = v.get(at..end).unwrap_or(&[]).to_vec();
                for _ in 0..rng.below(8) {
                    v.splice(at..at, slice.iter().copied());
                }
            }
        }
    }
    v
}

/// Counts rows and checks they come in order.
#[derive(Default)]
struct Rows {
    rows: u64,
    out_of_order: bool,
}

impl Sink for Rows {
    fn begin(&mut self, _: &Header<'_>) -> std::io::Result<()> {
        Ok(())
    }
    fn row(&mut self, r: &Row<'_>) -> std::io::Result<()> {
        self.rows += 1;
        self.out_of_order |= r.number != self.rows;
        Ok(())
    }
    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn count() -> Option<usize> {
    std::env::var("CHIPGATE_MUTANTS").ok().and_then(|n| n.parse().ok())
}

#[test]
fn mutated_shipment_files_never_panic_nor_lose_a_row() {
    let rs = RuleSet::builtin().unwrap();
    let seed_file = std::fs::read("examples/shipments.csv").unwrap();
    let n = count().unwrap_or(1_000);
    let (mut audited, mut refused, mut rows, mut error_rows) = (0, 0, 0, 0);
    for seed in 1..=n as u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let input = mutate(&mut rng, &seed_file);
        let mut sink = Rows::default();
        let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            audit(&rs, &Options::new(date(2025, 1, 1)), input.as_slice(), &mut sink)
        }));
        let Ok(result) = got else { panic!("mutant {seed} panicked: {:?}", String::from_utf8_lossy(&input)) };
        match result {
            Ok(summary) => {
                audited += 1;
                assert_eq!(summary.rows, sink.rows, "mutant {seed}: the summary counts every row written");
                assert!(!sink.out_of_order, "mutant {seed}: rows in order");
                rows += sink.rows;
                error_rows += summary.error_rows;
            }
            Err(_) => refused += 1,
        }
    }
    eprintln!("{n} CSV mutants: {audited} audited ({rows} rows, {error_rows} error rows), {refused} refused whole; no panic");
}

#[test]
fn mutated_rule_packs_never_panic_and_point_inside_their_files() {
    // The built-in pack as files on disk, one of which each mutant edits.
    let mut files: Vec<(String, String)> = Vec::new();
    for dir in ["rules", "rules/us", "rules/geo", "rules/chips"] {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "toml") {
                files.push((p.display().to_string(), std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    files.sort();
    let n = count().map(|n| n / 5).unwrap_or(200);
    let (mut loaded, mut refused, mut diagnostics) = (0, 0, 0);
    for seed in 1..=n as u64 {
        let mut rng = Rng(seed.wrapping_mul(0xD134_2543_DE82_EF95) | 1);
        let which = rng.below(files.len());
        let (name, text) = &files[which];
        let mutant = String::from_utf8_lossy(&mutate(&mut rng, text.as_bytes())).into_owned();
        let mut pack = files.clone();
        pack[which].1 = mutant.clone();
        let got = std::panic::catch_unwind(|| Loader::empty().pack(PackSource::Memory(pack.clone())).validate());
        let Ok((diags, sources)) = got else { panic!("pack mutant {seed} of {name} panicked:\n{mutant}") };
        for d in &diags {
            let file = sources.get(d.file).unwrap_or_else(|| panic!("mutant {seed}: diagnostic in no file: {d:?}"));
            assert!(d.span.end <= file.text.len(), "mutant {seed}: span {:?} past the end of {}", d.span, file.name);
        }
        diagnostics += diags.len();
        if diags.iter().any(|d| d.is_error()) {
            refused += 1;
        } else {
            loaded += 1;
        }
    }
    eprintln!("{n} pack mutants: {loaded} loaded, {refused} refused with {diagnostics} diagnostics in all; no panic");
}
