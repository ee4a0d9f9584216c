//! The input stream: drops a leading byte-order mark and keeps a window of the bytes the CSV
//! reader has taken, so each record can be written back exactly as it was read (same quoting,
//! same content) without re-encoding its fields.

use std::io::{self, Read};

/// The byte-order mark of UTF-8.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Released bytes kept before the window is compacted (compaction is then amortised).
const SLACK: usize = 256 << 10;

/// A reader that remembers what it has handed out since the last released offset. Offsets
/// count bytes after the byte-order mark, as the CSV reader's positions do.
pub(crate) struct Tee<R> {
    inner: R,
    /// Bytes read from `inner`; `window[0]` is at offset `base`.
    window: Vec<u8>,
    base: u64,
    /// Window bytes already handed out.
    given: usize,
    released: u64,
    /// The input started with a byte-order mark.
    pub bom: bool,
}

impl<R: Read> Tee<R> {
    /// Reads the first bytes to look for a byte-order mark.
    pub fn new(mut inner: R) -> io::Result<Tee<R>> {
        let mut head = [0u8; 3];
        let mut n = 0;
        while n < head.len() {
            match inner.read(head.get_mut(n..).unwrap_or_default()) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let head = head.get(..n).unwrap_or_default();
        let bom = head == BOM;
        let mut window = Vec::with_capacity(2 * SLACK);
        if !bom {
            window.extend_from_slice(head);
        }
        Ok(Tee { inner, window, base: 0, given: 0, released: 0, bom })
    }

    /// The bytes between two offsets, if still held.
    pub fn slice(&self, start: u64, end: u64) -> Option<&[u8]> {
        let s = usize::try_from(start.checked_sub(self.base)?).ok()?;
        let e = usize::try_from(end.checked_sub(self.base)?).ok()?;
        self.window.get(s..e)
    }

    /// The byte at an offset, if still held.
    pub fn byte(&self, at: u64) -> Option<u8> {
        self.window.get(usize::try_from(at.checked_sub(self.base)?).ok()?).copied()
    }

    /// Bytes before this offset are no longer needed.
    pub fn release(&mut self, offset: u64) {
        self.released = self.released.max(offset);
    }

    fn compact(&mut self) {
        let done = usize::try_from(self.released.saturating_sub(self.base)).unwrap_or(usize::MAX).min(self.given);
        if done >= SLACK {
            self.window.drain(..done);
            self.base += done as u64;
            self.given -= done;
        }
    }
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(rest) = self.window.get(self.given..).filter(|r| !r.is_empty()) {
            let n = rest.len().min(buf.len());
            buf.get_mut(..n).unwrap_or_default().copy_from_slice(rest.get(..n).unwrap_or_default());
            self.given += n;
            return Ok(n);
        }
        self.compact();
        let n = self.inner.read(buf)?;
        self.window.extend_from_slice(buf.get(..n).unwrap_or_default());
        self.given += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_a_bom_and_keeps_what_it_hands_out() {
        let mut t = Tee::new(&b"\xEF\xBB\xBFa,b\n1,2\n"[..]).unwrap();
        assert!(t.bom);
        let mut s = String::new();
        t.read_to_string(&mut s).unwrap();
        assert_eq!(s, "a,b\n1,2\n");
        assert_eq!(t.slice(4, 8), Some(&b"1,2\n"[..]));
        assert_eq!(t.byte(3), Some(b'\n'));
    }

    #[test]
    fn short_inputs_and_no_bom() {
        for input in [&b""[..], b"a", b"ab", b"abc", b"\xEF\xBB"] {
            let mut t = Tee::new(input).unwrap();
            let mut v = Vec::new();
            t.read_to_end(&mut v).unwrap();
            assert_eq!(v, input);
            assert!(!t.bom);
        }
    }

    #[test]
    fn releases_and_compacts_long_inputs() {
        let data: Vec<u8> = (0..4 * SLACK).map(|i| (i % 251) as u8).collect();
        let mut t = Tee::new(&data[..]).unwrap();
        let mut buf = vec![0; 1000];
        let mut offset = 0u64;
        loop {
            let n = t.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            assert_eq!(t.slice(offset, offset + n as u64), Some(&data[offset as usize..offset as usize + n]));
            offset += n as u64;
            t.release(offset);
        }
        assert!(t.window.len() <= SLACK + 1000);
        assert_eq!(offset as usize, data.len());
    }
}
