//! Text that leaves chipgate for other programs: what a spreadsheet would take for a formula.
//! The checker refuses rule and chip ids of that shape, and the audit's outputs neutralise
//! cells of it (`--excel-safe`).

/// Whether a spreadsheet would run a cell as a formula: it starts with `=`, `+`, `-`, `@`, a
/// tab or a carriage return (OWASP, "CSV Injection").
pub fn formula_like(f: &[u8]) -> bool {
    matches!(f.first(), Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r'))
}
