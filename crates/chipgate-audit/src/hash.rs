//! The audit's caches: maps hashed with rustc-hash's Fx hash (keys are short byte strings and
//! integer tuples from the input, hashed once per row, where SipHash would dominate; the caches
//! are bounded, so it need not resist collisions chosen by an attacker), maps of short names
//! packed into integers, and small direct-mapped caches.

/// A `HashMap` with the Fx hasher.
pub type FxMap<K, V> = rustc_hash::FxHashMap<K, V>;

/// A map from short byte strings (names, codes, dates) to values. Strings of up to 15 bytes are
/// packed into one integer, so a lookup is a multiply and a compare, not a hash over a slice
/// and a `memcmp`.
#[derive(Debug, Clone)]
pub struct NameMap<T> {
    short: FxMap<u128, T>,
    long: FxMap<Vec<u8>, T>,
}

impl<T> Default for NameMap<T> {
    fn default() -> Self {
        NameMap { short: FxMap::default(), long: FxMap::default() }
    }
}

/// A string of up to 15 bytes as one integer (its bytes and its length); `None` if longer.
#[inline]
pub(crate) fn pack(b: &[u8]) -> Option<u128> {
    if b.len() >= 16 {
        return None;
    }
    // Shifts, not a copy into a stack buffer read back whole (which stalls store forwarding).
    let w = b.iter().rev().fold(0u128, |w, &c| (w << 8) | u128::from(c));
    Some(w | (b.len() as u128) << 120)
}

impl<T> NameMap<T> {
    /// The value for a string.
    #[inline]
    pub fn get(&self, b: &[u8]) -> Option<&T> {
        match pack(b) {
            Some(k) => self.short.get(&k),
            None => self.long.get(b),
        }
    }

    /// Sets the value for a string.
    pub fn insert(&mut self, b: &[u8], v: T) {
        match pack(b) {
            Some(k) => self.short.insert(k, v),
            None => self.long.insert(b.to_vec(), v),
        };
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.short.len() + self.long.len()
    }

    /// Forgets every entry.
    pub fn clear(&mut self) {
        self.short.clear();
        self.long.clear();
    }
}

/// A direct-mapped cache: each key has one slot, found from its bits; a key that lands where
/// another is takes its place. In front of a map, for the few values that come back on nearly
/// every row (dates, chip names): a hit is a multiply and a compare.
#[derive(Debug, Clone)]
pub struct Recent<K, V> {
    slots: Vec<Option<(K, V)>>,
    /// 64 less the bits of a slot number.
    shift: u32,
}

impl<K: Copy + Eq + Into<u128>, V: Copy> Recent<K, V> {
    /// A cache of `2^bits` slots (`bits` from 1 to 32).
    pub fn new(bits: u32) -> Recent<K, V> {
        let bits = bits.clamp(1, 32);
        Recent { slots: vec![None; 1 << bits], shift: 64 - bits }
    }

    fn slot(&self, k: K) -> usize {
        let w: u128 = k.into();
        ((w as u64 ^ (w >> 64) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    /// The value for a key, if it is in its slot.
    #[inline]
    pub fn get(&self, k: K) -> Option<V> {
        match self.slots.get(self.slot(k)) {
            Some(Some((seen, v))) if *seen == k => Some(*v),
            _ => None,
        }
    }

    /// Puts a key in its slot.
    pub fn put(&mut self, k: K, v: V) {
        let at = self.slot(k);
        if let Some(s) = self.slots.get_mut(at) {
            *s = Some((k, v));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinguishes_short_keys() {
        let mut m: FxMap<Vec<u8>, u32> = FxMap::default();
        for (i, k) in ["", "a", "a\0", "CN", "HK", "H100", "H100 ", "2024-01-15", "2024-01-16"].iter().enumerate() {
            m.insert(k.as_bytes().to_vec(), i as u32);
        }
        assert_eq!(m.len(), 9);
        assert_eq!(m.get(&b"2024-01-16"[..]), Some(&8));
    }

    #[test]
    fn keys_differing_in_their_high_bits_spread_over_the_low_bits() {
        use std::hash::BuildHasher;
        let build = rustc_hash::FxBuildHasher;
        // Ids packed into a u128 as the memo packs them: only the first (highest) differs.
        let low: std::collections::HashSet<u64> = (0..64u128).map(|chip| build.hash_one(chip << 96 | 7 << 64 | 3) & 63).collect();
        assert!(low.len() > 32, "{} distinct slots of 64", low.len());
    }

    #[test]
    fn name_maps_keep_short_and_long_keys_apart() {
        let mut m = NameMap::default();
        let keys: [&[u8]; 7] = [b"", b"a", b"a\0", b"\0a", b"fifteen bytes!!", b"sixteen bytes!!!", b"sixteen bytes!!?"];
        for (i, k) in keys.iter().enumerate() {
            m.insert(k, i);
        }
        assert_eq!(m.len(), keys.len());
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(m.get(k), Some(&i));
        }
        assert_eq!(m.get(b"b"), None);
    }
}
