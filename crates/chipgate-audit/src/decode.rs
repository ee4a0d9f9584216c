//! Inputs in encodings other than UTF-8 (UTF-16 from Excel's "Unicode Text", windows-1252 from
//! older ERPs, Shift_JIS, GB18030…), decoded to UTF-8 before they are read, by `encoding_rs`.
//!
//! UTF-8 input (with or without a byte-order mark) is not decoded: its bytes reach the reader
//! as they are, so the plain path costs nothing and pass-through columns stay byte for byte.
//! UTF-16 is recognised by its byte-order mark; any other encoding is named by the caller
//! (WHATWG labels: `windows-1252`, `latin1`, `shift_jis`, `gb18030`…). In decoded input, bytes
//! that are not valid in the encoding become U+FFFD, which the row reader reports as an error
//! naming the row and column ([`super::ErrorKind::BadEncoding`]).

use std::io::{self, Cursor, Read};

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8};
use encoding_rs_io::DecodeReaderBytesBuilder;

/// The input to read, the encoding it is in, and whether it is decoded (else passed through).
pub(crate) type Decoded<'a> = (Box<dyn Read + Send + 'a>, &'static Encoding, bool);

/// The encoding a name stands for (a WHATWG label, case-insensitive: `windows-1252`,
/// `latin1`, `utf-16le`, `shift_jis`, `gb18030`…).
pub fn encoding_for(name: &str) -> Option<&'static Encoding> {
    Encoding::for_label(name.trim().as_bytes())
}

/// The encoding a label names, or what to write instead.
pub fn encoding_named(name: &str) -> Result<&'static Encoding, String> {
    encoding_for(name).ok_or_else(|| {
        format!("unknown encoding `{name}`; use a label such as windows-1252, latin1, utf-16le, shift_jis, gb18030 or euc-kr")
    })
}

/// Wraps `input` to be read as UTF-8: decoded from `encoding` when one other than UTF-8 is
/// given, or from UTF-16 when the input starts with a UTF-16 byte-order mark (which wins over
/// a named encoding, as it does for spreadsheets and browsers).
pub(crate) fn decoded<'a, R: Read + Send + 'a>(mut input: R, encoding: Option<&'static Encoding>) -> io::Result<Decoded<'a>> {
    // The first two bytes, or fewer at the end of the input (short reads are read on).
    let mut head = Vec::with_capacity(2);
    (&mut input).take(2).read_to_end(&mut head)?;
    let bom = match head.as_slice() {
        [0xFF, 0xFE] => Some(UTF_16LE),
        [0xFE, 0xFF] => Some(UTF_16BE),
        _ => None,
    };
    let input = Cursor::new(head).chain(input);
    let chosen = bom.or(encoding).unwrap_or(UTF_8);
    if chosen == UTF_8 {
        return Ok((Box::new(input), UTF_8, false));
    }
    // A byte-order mark is dropped (UTF-16's; a UTF-8 one is the reader's to see).
    let reader = DecodeReaderBytesBuilder::new().encoding(Some(chosen)).bom_override(true).strip_bom(bom.is_some()).build(input);
    Ok((Box::new(reader), chosen, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8], enc: Option<&str>) -> (String, &'static str, bool) {
        let (mut r, e, d) = decoded(bytes, enc.and_then(encoding_for)).unwrap();
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        (s, e.name(), d)
    }

    #[test]
    fn decodes_utf16_by_its_bom_and_named_encodings() {
        let utf16le: Vec<u8> = [0xFF, 0xFE].into_iter().chain("chip\tZürich\n".encode_utf16().flat_map(u16::to_le_bytes)).collect();
        assert_eq!(read(&utf16le, None), ("chip\tZürich\n".to_string(), "UTF-16LE", true));
        let utf16be: Vec<u8> = [0xFE, 0xFF].into_iter().chain("a,b".encode_utf16().flat_map(u16::to_be_bytes)).collect();
        assert_eq!(read(&utf16be, Some("windows-1252")), ("a,b".to_string(), "UTF-16BE", true));
        assert_eq!(read(b"M\xfcnchen,\x80", Some("latin1")), ("München,€".to_string(), "windows-1252", true));
        assert_eq!(read(b"\x93\xfa\x96\x7b", Some("shift_jis")), ("日本".to_string(), "Shift_JIS", true));
    }

    #[test]
    fn passes_utf8_through_as_it_is() {
        assert_eq!(read(b"\xEF\xBB\xBFa,b\n", None), ("\u{feff}a,b\n".to_string(), "UTF-8", false));
        let (mut r, _, decoded) = decoded(&b"a,\xff\n"[..], Some(UTF_8)).unwrap();
        let mut v = Vec::new();
        r.read_to_end(&mut v).unwrap();
        assert_eq!((v.as_slice(), decoded), (&b"a,\xff\n"[..], false));
        assert_eq!(read(b"", None), (String::new(), "UTF-8", false));
        assert_eq!(read(b"x", None), ("x".to_string(), "UTF-8", false));
    }

    #[test]
    fn invalid_bytes_become_replacement_characters() {
        assert_eq!(read(b"\x82\xa0\xff", Some("shift_jis")).0, "あ\u{fffd}");
    }
}
