//! Loading rule packs: the built-in packs embedded at build time, then user packs (a directory
//! or a single `.toml` file with a `[pack]` header) layered on top in the order given.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::check::{Checker, ParsedFile};
use super::diag::{Code, Diagnostic, Sources};
use super::raw::RawFile;
use super::{PackInfo, RuleSet};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));
}

/// The built-in pack as `name@version#hash` (see [`RuleSet::version`]), for a program's
/// version line.
pub const BUILTIN_LABEL: &str = env!("CHIPGATE_BUILTIN_LABEL");

/// The chipgate version packs' `requires` is checked against.
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where a pack's files come from.
#[derive(Debug, Clone)]
pub enum PackSource {
    /// The packs embedded in the binary.
    Builtin,
    /// A directory or a single file on disk.
    Path(PathBuf),
    /// In-memory files (name, text), for tests and embedding.
    Memory(Vec<(String, String)>),
}

/// Why a rule set could not be built: every diagnostic, with the sources they point into.
#[derive(Debug, Clone)]
pub struct LoadError {
    /// Every problem found (errors and warnings).
    pub diagnostics: Vec<Diagnostic>,
    /// The files read.
    pub sources: Sources,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&super::diag::render(&self.sources, &self.diagnostics))
    }
}

impl std::error::Error for LoadError {}

/// Builds a [`RuleSet`] from packs.
#[derive(Debug, Clone)]
pub struct Loader {
    packs: Vec<PackSource>,
    /// Whether [`Loader::load`] runs the lints ([`super::LINTS`]); [`Loader::validate`] always does.
    lints: bool,
}

impl Default for Loader {
    fn default() -> Self {
        Loader::new()
    }
}

impl Loader {
    /// A loader starting from the built-in packs.
    pub fn new() -> Loader {
        Loader { packs: vec![PackSource::Builtin], lints: true }
    }

    /// A loader starting from nothing.
    pub fn empty() -> Loader {
        Loader { packs: Vec::new(), lints: true }
    }

    /// Whether the loader holds the built-in packs and nothing else: what it loads is then
    /// [`RuleSet::builtin`], which a program may have compiled in ([`super::compiled`]).
    pub fn is_builtin_only(&self) -> bool {
        matches!(self.packs.as_slice(), [PackSource::Builtin])
    }

    /// Layers a pack on top of those already added.
    pub fn pack(mut self, source: PackSource) -> Loader {
        self.packs.push(source);
        self
    }

    /// Whether [`Loader::load`] and [`Loader::load_with_sources`] also run the lints
    /// ([`super::LINTS`]); on by default. The lints are for whoever writes a pack, and an
    /// answer needs none of them: `false` skips them (the warnings that checking itself gives,
    /// `replaces-definition`, remain). [`Loader::validate`] always runs them.
    pub fn lints(mut self, on: bool) -> Loader {
        self.lints = on;
        self
    }

    /// Reads, parses and checks every pack. On success returns the rule set and its warnings
    /// (those of checking, and the lints' when [`Loader::lints`] is on); on any error-level
    /// diagnostic returns all diagnostics.
    pub fn load(&self) -> Result<(RuleSet, Vec<Diagnostic>), LoadError> {
        let (result, sources) = self.run(self.lints);
        match result {
            Ok((rs, warnings)) => Ok((rs, warnings)),
            Err(diagnostics) => Err(LoadError { diagnostics, sources }),
        }
    }

    /// Like [`Loader::load`], but always returns every diagnostic (errors and warnings) and the
    /// sources they point into, for validation.
    pub fn validate(&self) -> (Vec<Diagnostic>, Sources) {
        let (result, sources) = self.run(true);
        match result {
            Ok((_, warnings)) => (warnings, sources),
            Err(diags) => (diags, sources),
        }
    }

    /// Like [`Loader::load`], but also returns the sources on success (to render warnings).
    pub fn load_with_sources(&self) -> Result<(RuleSet, Vec<Diagnostic>, Sources), LoadError> {
        let (result, sources) = self.run(self.lints);
        match result {
            Ok((rs, warnings)) => Ok((rs, warnings, sources)),
            Err(diagnostics) => Err(LoadError { diagnostics, sources }),
        }
    }

    fn run(&self, lints: bool) -> (Outcome, Sources) {
        let Read { sources, parsed, infos, mut diags, allowed } = self.read_all();
        let (mut rs, check_diags) = Checker::new(&sources).check(&parsed);
        diags.extend(check_diags);
        if lints {
            diags.extend(super::lint::lint(&rs, &sources, &parsed));
        }
        diags.retain(|d| d.is_error() || !allowed.get(&d.file).is_some_and(|codes| codes.iter().any(|c| d.code == c.as_str())));
        // Reading order: by file, then by position (stable, so one place keeps its order).
        diags.sort_by_key(|d| (d.file, d.span.start));
        if diags.iter().any(Diagnostic::is_error) {
            return (Err(diags), sources);
        }
        rs.packs = infos;
        (Ok((rs, diags)), sources)
    }

    fn read_all(&self) -> Read {
        let mut r = Read {
            sources: Sources::default(),
            parsed: Vec::new(),
            infos: Vec::new(),
            diags: Vec::new(),
            allowed: std::collections::HashMap::new(),
        };
        for p in &self.packs {
            match read_source(p) {
                Ok((location, files, unreadable)) => {
                    for (path, msg) in unreadable {
                        r.unreadable(path, msg);
                    }
                    r.pack(&location, files, matches!(p, PackSource::Builtin));
                }
                Err((path, msg)) => r.unreadable(path, msg),
            }
        }
        r
    }
}

/// A rule set and its warnings, or every diagnostic.
type Outcome = Result<(RuleSet, Vec<Diagnostic>), Vec<Diagnostic>>;

/// Everything read from the packs, before checking.
struct Read {
    sources: Sources,
    parsed: Vec<ParsedFile>,
    infos: Vec<PackInfo>,
    diags: Vec<Diagnostic>,
    /// The lint codes each file's pack acknowledges (`allow` in `[pack]`).
    allowed: std::collections::HashMap<usize, Vec<String>>,
}

/// The `[pack]` header found in a pack: file, header, span.
type Header = (usize, super::raw::RawPack, std::ops::Range<usize>);

impl Read {
    fn unreadable(&mut self, path: String, msg: String) {
        let f = self.sources.add(path, "");
        self.diags.push(
            Diagnostic::error(Code::Unreadable, f, 0..0, msg)
                .with_help("a rule pack is a directory of UTF-8 `.toml` files, or one such file"),
        );
    }

    /// Parses the files of one pack and records its header.
    fn pack(&mut self, location: &str, files: Vec<PackFile>, builtin: bool) {
        let mut hasher = Sha256::new();
        let mut header: Option<Header> = None;
        let mut pack_files = Vec::new();
        let mut unparsed = false;
        let mut first_file = None;
        for PackFile { shown, key, text } in files {
            if !builtin {
                hasher.update(key.as_bytes());
                hasher.update(text.as_bytes());
            }
            // Brackets nested past any use are refused before the TOML parser sees them: it
            // reads every token of a file before it finds the nesting too deep (a file of 500,000
            // `[` took 45 MB of memory to be refused).
            if let Some(at) = deep_nesting(&text) {
                unparsed = true;
                let id = self.sources.add(shown, text);
                first_file.get_or_insert(id);
                self.diags.push(
                    Diagnostic::error(Code::Toml, id, at..at + 1, format!("arrays or tables nested more than {MAX_NESTING} deep"))
                        .with_help("a rule file nests a few levels at most; check for a runaway `[` or `{`"),
                );
                continue;
            }
            let parsed = toml::from_str::<RawFile>(&text);
            // A file that is not TOML at all (a link to `/etc/passwd`, say) is never shown
            // beyond the token where it failed.
            let text = match &parsed {
                Err(e) if !looks_like_toml(&text, e.span().unwrap_or(0..0).start) => mask(&text, e.span().unwrap_or(0..0)),
                _ => text,
            };
            let id = self.sources.add(shown, text);
            first_file.get_or_insert(id);
            let text = self.sources.get(id).map(|f| f.text.as_str()).unwrap_or("");
            match parsed {
                Ok(mut raw) => {
                    if let Some(h) = raw.pack.take() {
                        let span = h.span();
                        if let Some((prev, _, pspan)) = &header {
                            let loc = self.sources.location(*prev, pspan.start);
                            self.diags.push(
                                Diagnostic::error(Code::DuplicatePackHeader, id, span, "a pack has exactly one `[pack]` header")
                                    .with_related(*prev, pspan.clone(), format!("first header here ({loc})")),
                            );
                        } else {
                            header = Some((id, h.into_inner(), span));
                        }
                    }
                    pack_files.push((id, raw));
                }
                Err(e) => {
                    unparsed = true;
                    self.diags.push(toml_error(id, text, &e));
                }
            }
        }
        // The built-in pack's hash is computed the same way at build time.
        let hash: String = if builtin {
            embedded::BUILTIN_HASH.to_string()
        } else {
            hasher.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
        };
        let allow: Vec<String> = header.as_ref().map(|(_, h, _)| h.allow.iter().map(|c| c.get_ref().clone()).collect()).unwrap_or_default();
        if let Some((file, h, _)) = &header {
            for code in &h.allow {
                if !super::LINTS.iter().any(|l| l.code == code.get_ref().as_str()) {
                    let help = super::diag::did_you_mean(code.get_ref(), super::LINTS.iter().map(|l| l.code.as_str()));
                    let mut d =
                        Diagnostic::error(Code::UnknownLint, *file, code.span(), format!("`allow` names no lint `{}`", code.get_ref()));
                    d.help = help.or_else(|| Some("`chipgate rules validate` lists each warning with its code".into()));
                    self.diags.push(d);
                }
            }
        }
        let header_jurisdiction = header.as_ref().and_then(|(file, h, _)| Some((*file, h.jurisdiction.clone()?)));
        let info = match header {
            Some((file, h, _)) => pack_info(&mut self.diags, file, &h, location, hash, &self.infos),
            None => {
                // A file that did not parse may hold the header: don't report it missing then.
                if !unparsed {
                    let f = first_file.unwrap_or_else(|| self.sources.add(location, ""));
                    self.diags.push(
                        Diagnostic::error(Code::MissingPackHeader, f, 0..0, format!("pack `{location}` has no `[pack]` header"))
                            .with_help("add `[pack]` with `name`, `version` and `requires` to one file of the pack"),
                    );
                }
                PackInfo {
                    name: location.to_string(),
                    version: "0.0.0".into(),
                    location: location.to_string(),
                    hash,
                    description: String::new(),
                }
            }
        };
        for (file, raw) in pack_files {
            if !allow.is_empty() {
                self.allowed.insert(file, allow.clone());
            }
            let jurisdiction = header_jurisdiction.as_ref().filter(|(f, _)| *f == file).map(|(_, j)| j.clone());
            self.parsed.push(ParsedFile { file, pack: info.name.clone(), raw, builtin, jurisdiction });
        }
        self.infos.push(info);
    }
}

/// Code, name and aliases of every country in the built-in country table (the ISO 3166-1
/// reference the `non-iso-country-code` lint compares against).
pub(crate) fn builtin_countries() -> Vec<(String, Vec<String>)> {
    embedded::BUILTIN
        .iter()
        .filter_map(|(_, text)| toml::from_str::<RawFile>(text).ok())
        .flat_map(|raw| raw.country)
        .map(|c| {
            let c = c.into_inner();
            (c.code.into_inner(), std::iter::once(c.name).chain(c.aliases).collect())
        })
        .collect()
}

fn pack_info(
    diags: &mut Vec<Diagnostic>,
    file: usize,
    h: &super::raw::RawPack,
    location: &str,
    hash: String,
    earlier: &[PackInfo],
) -> PackInfo {
    if let Err(e) = semver::Version::parse(h.version.get_ref()) {
        diags.push(
            Diagnostic::error(Code::BadSemver, file, h.version.span(), format!("`{}` is not a semantic version: {e}", h.version.get_ref()))
                .with_help("write a version like `1.2.0`"),
        );
    }
    if let Some(req) = &h.requires {
        match semver::VersionReq::parse(req.get_ref()) {
            Ok(r) => {
                let engine = semver::Version::parse(ENGINE_VERSION).unwrap_or(semver::Version::new(0, 0, 0));
                if !r.matches(&engine) {
                    diags.push(
                        Diagnostic::error(
                            Code::EngineTooOld,
                            file,
                            req.span(),
                            format!(
                                "pack `{}` requires chipgate `{}`, but this is chipgate {ENGINE_VERSION}",
                                h.name.get_ref(),
                                req.get_ref()
                            ),
                        )
                        .with_help("upgrade chipgate, or use a version of the pack made for this one"),
                    );
                }
            }
            Err(e) => diags.push(
                Diagnostic::error(Code::BadSemver, file, req.span(), format!("`{}` is not a version requirement: {e}", req.get_ref()))
                    .with_help("write a requirement like `>=0.1`"),
            ),
        }
    }
    for ext in &h.extends {
        if !earlier.iter().any(|p| &p.name == ext.get_ref()) {
            let loaded: Vec<String> = earlier.iter().map(|p| format!("`{}`", p.name)).collect();
            diags.push(
                Diagnostic::error(
                    Code::MissingExtends,
                    file,
                    ext.span(),
                    format!("pack `{}` extends `{}`, which is not loaded before it", h.name.get_ref(), ext.get_ref()),
                )
                .with_help(if loaded.is_empty() {
                    "load that pack first with --rules".to_string()
                } else {
                    format!("loaded so far: {}", loaded.join(", "))
                }),
            );
        }
    }
    if earlier.iter().any(|p| &p.name == h.name.get_ref()) {
        diags.push(Diagnostic::error(Code::DuplicatePack, file, h.name.span(), format!("pack `{}` is loaded twice", h.name.get_ref())));
    }
    PackInfo {
        name: h.name.get_ref().clone(),
        version: h.version.get_ref().clone(),
        location: location.to_string(),
        hash,
        description: h.description.clone().unwrap_or_default(),
    }
}

/// Whether a text that failed at `at` is TOML up to the line it failed on, with something in
/// it: a rule file with a mistake, shown as it is, rather than another kind of file.
fn looks_like_toml(text: &str, at: usize) -> bool {
    let line = text.get(..at).and_then(|t| t.rfind('\n')).unwrap_or(0);
    text.get(..line).and_then(|t| t.parse::<toml::Table>().ok()).is_some_and(|t| !t.is_empty())
}

/// The most a token shown from a file that is not TOML may hold, in bytes.
const SHOWN_TOKEN: usize = 40;

/// A text with everything but the bytes of `span` (at most [`SHOWN_TOKEN`] of them) blanked
/// out, line breaks kept: its diagnostics point to the same line and column, and show nothing
/// else of it.
fn mask(text: &str, span: std::ops::Range<usize>) -> String {
    let end = span.end.max(span.start + 1).min(span.start + SHOWN_TOKEN);
    text.char_indices()
        .map(|(i, c)| match c {
            '\n' => '\n',
            _ if (span.start..end).contains(&i) && !c.is_control() => c,
            _ => ' ',
        })
        .collect()
}

/// How deep brackets may nest in a rule file before it is refused unparsed (the TOML parser
/// itself stops at a depth of about 80).
const MAX_NESTING: usize = 1000;

/// Where brackets start to nest deeper than [`MAX_NESTING`]: more than that many `[` or `{` in a
/// row, with only blanks between them (in a string as well: no rule file has such a string).
fn deep_nesting(text: &str) -> Option<usize> {
    let (mut run, mut start) = (0, 0);
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'[' | b'{' => {
                if run == 0 {
                    start = i;
                }
                run += 1;
                if run > MAX_NESTING {
                    return Some(start);
                }
            }
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => run = 0,
        }
    }
    None
}

fn toml_error(file: usize, text: &str, e: &toml::de::Error) -> Diagnostic {
    let span = e.span().unwrap_or(0..0);
    let msg = e.message().trim().trim_end_matches('.').to_string();
    let first = msg.lines().next().unwrap_or("").to_string();
    let mut d = Diagnostic::error(Code::Toml, file, span.clone(), first.clone());
    if let Some(field) = first.strip_prefix("unknown field `").and_then(|r| r.split('`').next()) {
        let expected: Vec<&str> = msg.split('`').skip(3).step_by(2).collect();
        d = d.with_help_opt(super::diag::did_you_mean(field, expected.iter().copied()).or_else(|| {
            (!expected.is_empty())
                .then(|| format!("expected one of {}", expected.iter().map(|x| format!("`{x}`")).collect::<Vec<_>>().join(", ")))
        }));
    } else if let Some(field) = first.strip_prefix("missing field `").and_then(|r| r.split('`').next()) {
        let line = text.get(span.start..).and_then(|r| r.lines().next()).unwrap_or("").trim();
        d = d.with_help(if line.starts_with('[') {
            format!("add `{field} = ...` to this `{line}` table")
        } else {
            format!("add `{field} = ...` to this table")
        });
    } else if text.contains('\0') || std::str::from_utf8(text.as_bytes()).is_err() {
        d = d.with_help("this does not look like a TOML text file");
    }
    d
}

/// One file of a pack: the name shown in diagnostics, the name hashed (relative to the pack, so
/// a pack hashes the same wherever it lies), and the text.
struct PackFile {
    shown: String,
    key: String,
    text: String,
}

/// A pack's files, and the files that could not be read (path, message).
type Files = (String, Vec<PackFile>, Vec<(String, String)>);

/// The largest rule file read, in bytes (the 100,000-rule bench pack is 14 MB).
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// The most bytes one pack's files may hold together.
pub const MAX_PACK_BYTES: u64 = 256 << 20;

fn read_source(p: &PackSource) -> Result<Files, (String, String)> {
    let same = |n: &str, t: &str| PackFile { shown: n.to_string(), key: n.to_string(), text: t.to_string() };
    match p {
        PackSource::Builtin => Ok(("builtin".into(), embedded::BUILTIN.iter().map(|(n, t)| same(n, t)).collect(), Vec::new())),
        PackSource::Memory(files) => Ok(("memory".into(), files.iter().map(|(n, t)| same(n, t)).collect(), Vec::new())),
        PackSource::Path(path) => {
            let shown = path.display().to_string();
            if !path.is_dir() {
                let key = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| shown.clone());
                let text = read_text(path)?;
                return Ok((shown.clone(), vec![PackFile { shown, key, text }], Vec::new()));
            }
            let (mut paths, mut unreadable) = (Vec::new(), Vec::new());
            let root = path.canonicalize().map_err(|e| (shown.clone(), format!("cannot read directory `{shown}`: {e}")))?;
            collect(path, &root, &mut paths, &mut unreadable)
                .map_err(|e| (shown.clone(), format!("cannot read directory `{shown}`: {e}")))?;
            paths.sort();
            if paths.is_empty() && unreadable.is_empty() {
                return Err((shown.clone(), format!("directory `{shown}` holds no .toml files")));
            }
            let mut files = Vec::new();
            let mut total = 0u64;
            for f in paths {
                let key = f.strip_prefix(path).unwrap_or(&f).to_string_lossy().replace('\\', "/");
                if total > MAX_PACK_BYTES {
                    let n = f.display().to_string();
                    unreadable.push((
                        n.clone(),
                        format!("cannot read `{n}`: the pack `{shown}` is larger than the limit of {} MiB", MAX_PACK_BYTES >> 20),
                    ));
                    continue;
                }
                match read_text(&f) {
                    Ok(text) => {
                        total += text.len() as u64;
                        files.push(PackFile { shown: f.display().to_string(), key, text });
                    }
                    Err(e) => unreadable.push(e),
                }
            }
            Ok((shown, files, unreadable))
        }
    }
}

/// Reads a rule file: a regular file (or a link to one) of at most [`MAX_FILE_BYTES`], never a
/// device, a FIFO or a directory (which would never end, or block).
fn read_text(path: &Path) -> Result<String, (String, String)> {
    use std::io::Read as _;
    let shown = path.display().to_string();
    let fail = |e: std::io::Error| (shown.clone(), format!("cannot read `{shown}`: {e}"));
    let meta = std::fs::metadata(path).map_err(fail)?;
    if !meta.is_file() {
        return Err((shown.clone(), format!("cannot read `{shown}`: not a regular file")));
    }
    let too_big = || (shown.clone(), format!("cannot read `{shown}`: larger than the limit of {} MiB per rule file", MAX_FILE_BYTES >> 20));
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path).and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)).map_err(fail)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big());
    }
    String::from_utf8(bytes)
        .map_err(|e| (shown.clone(), format!("`{shown}` is not UTF-8 text (invalid byte at offset {})", e.utf8_error().valid_up_to())))
}

/// The `.toml` files under a pack directory. Links are followed only to regular files inside
/// the pack's directory (`root`, canonical); a link to a directory is never followed (no loops,
/// no walking up with `ln -s ..`); a link that leads out, or nowhere, is unreadable.
fn collect(dir: &Path, root: &Path, out: &mut Vec<PathBuf>, bad: &mut Vec<(String, String)>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let (p, kind) = (e.path(), e.file_type()?);
        if kind.is_dir() {
            collect(&p, root, out, bad)?;
            continue;
        }
        if p.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        if kind.is_symlink() {
            let n = p.display().to_string();
            match p.canonicalize() {
                Ok(t) if !t.starts_with(root) => bad.push((n.clone(), format!("cannot read `{n}`: it links out of the pack's directory"))),
                Ok(t) if !t.is_file() => {
                    bad.push((n.clone(), format!("cannot read `{n}`: it links to something that is not a regular file")))
                }
                Ok(_) => out.push(p),
                Err(err) => bad.push((n.clone(), format!("cannot read `{n}`: {err}"))),
            }
            continue;
        }
        out.push(p);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_hash_from_build_time_matches_the_loader_hash() {
        let mut hasher = Sha256::new();
        for (name, text) in embedded::BUILTIN {
            hasher.update(name.as_bytes());
            hasher.update(text.as_bytes());
        }
        let hash: String = hasher.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect();
        assert_eq!(hash, embedded::BUILTIN_HASH);
    }
}
