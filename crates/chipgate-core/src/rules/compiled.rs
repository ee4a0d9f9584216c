//! A checked [`RuleSet`] in a compact binary form (borsh), so that a program can check the
//! built-in packs when it is built and start without parsing their TOML: parsing and checking
//! them was 85 % of the instructions of a `chipgate check` (issue 17; docs/performance.md).
//!
//! The form belongs to one build: the program's build script writes it with the same source
//! that reads it, and it is never stored or exchanged. A header with the engine version refuses
//! a blob from another version. borsh has its own derives, apart from the serde ones that shape
//! the JSON documents (which skip fields, so no serde format could read them back).

use std::io::{self, Read, Write};

use borsh::{BorshDeserialize, BorshSerialize};
use jiff::civil::Date;

use super::load::ENGINE_VERSION;
use super::RuleSet;

const MAGIC: &[u8] = b"chipgate rule set\n";

/// The rule set as bytes for [`decode`]. A rule set in which a pack replaced a definition is
/// refused: only a set of packs that replace nothing is compiled (the built-in one).
pub fn encode(rs: &RuleSet) -> io::Result<Vec<u8>> {
    if !rs.replacements.is_empty() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "a rule set in which a pack replaced a definition is not compiled"));
    }
    let mut out = MAGIC.to_vec();
    ENGINE_VERSION.serialize(&mut out)?;
    rs.serialize(&mut out)?;
    Ok(out)
}

/// The rule set [`encode`] wrote, by this version of the engine.
pub fn decode(bytes: &[u8]) -> io::Result<RuleSet> {
    let invalid = |why: String| io::Error::new(io::ErrorKind::InvalidData, why);
    let mut rest = bytes.strip_prefix(MAGIC).ok_or_else(|| invalid("not a compiled rule set".into()))?;
    let version = String::deserialize_reader(&mut rest)?;
    if version != ENGINE_VERSION {
        return Err(invalid(format!("a rule set compiled by chipgate {version}, not {ENGINE_VERSION}")));
    }
    RuleSet::try_from_slice(rest)
}

/// A date as its year, month and day.
fn write_date<W: Write>(d: &Date, w: &mut W) -> io::Result<()> {
    (d.year(), d.month(), d.day()).serialize(w)
}

fn read_date<R: Read>(r: &mut R) -> io::Result<Date> {
    let (y, m, d) = <(i16, i8, i8)>::deserialize_reader(r)?;
    Date::new(y, m, d).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// `Option<Date>` fields.
pub(crate) mod opt_date {
    use super::*;

    pub fn write<W: Write>(d: &Option<Date>, w: &mut W) -> io::Result<()> {
        d.is_some().serialize(w)?;
        d.as_ref().map_or(Ok(()), |d| write_date(d, w))
    }

    pub fn read<R: Read>(r: &mut R) -> io::Result<Option<Date>> {
        if bool::deserialize_reader(r)? {
            read_date(r).map(Some)
        } else {
            Ok(None)
        }
    }
}

/// `Vec<Date>` fields.
pub(crate) mod dates {
    use super::*;

    pub fn write<W: Write>(v: &[Date], w: &mut W) -> io::Result<()> {
        (v.len() as u32).serialize(w)?;
        v.iter().try_for_each(|d| write_date(d, w))
    }

    pub fn read<R: Read>(r: &mut R) -> io::Result<Vec<Date>> {
        let n = u32::deserialize_reader(r)?;
        (0..n).map(|_| read_date(r)).collect()
    }
}

/// Large `Vec` fields, read into a vector of their length at once. borsh starts a vector of
/// unknown trust at 4 KiB and doubles it; for the catalog's chips that copied each chip four
/// times, into new pages (a page fault each) as the vector grew.
/// The blob is this build's own, but a length is still capped, so that a damaged one fails on
/// its missing bytes rather than allocating without bound.
pub(crate) mod exact {
    use super::*;

    const MOST: usize = 1 << 16;

    pub fn read<R: Read, T: BorshDeserialize>(r: &mut R) -> io::Result<Vec<T>> {
        let n = u32::deserialize_reader(r)? as usize;
        let mut v = Vec::with_capacity(n.min(MOST));
        for _ in 0..n {
            v.push(T::deserialize_reader(r)?);
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::{decode, encode};
    use crate::RuleSet;

    #[test]
    fn the_built_in_rules_come_back_as_they_were_checked() {
        let rs = RuleSet::builtin().unwrap();
        let bytes = encode(&rs).unwrap();
        let back = decode(&bytes).unwrap();
        assert_eq!(encode(&back).unwrap(), bytes);
        assert_eq!(back.version(), rs.version());
        assert!(back.catalog.chips().eq(rs.catalog.chips()));
        assert_eq!(back.rules, rs.rules);
        assert_eq!(back.change_dates, rs.change_dates);
        // The indexes come back too: names resolve.
        assert_eq!(back.countries.resolve("china").map(|c| c.code.as_str()), Some("CN"));
        assert_eq!(back.catalog.resolve("h100"), rs.catalog.resolve("h100"));
    }

    #[test]
    fn bytes_of_another_kind_or_version_are_refused() {
        assert!(decode(b"not a rule set").is_err());
        let mut bytes = encode(&RuleSet::builtin().unwrap()).unwrap();
        let at = super::MAGIC.len() + 4;
        bytes[at] ^= 1;
        assert!(decode(&bytes).unwrap_err().to_string().contains("compiled by chipgate"));
        assert!(decode(&bytes[..bytes.len() / 2]).is_err());
    }
}
