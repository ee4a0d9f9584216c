//! Files chipgate writes (`audit -o PATH`, `--summary-json PATH`): PATH holds the previous result,
//! byte for byte, until the new one is complete; then the new one is renamed over it.
//!
//! - A regular file (or a new one) is written under a temporary name beside it,
//!   `.NAME.XXXXXX.chipgate-tmp`, locked while it is written, and renamed to PATH by
//!   [`Output::commit`]. On any failure (bad input, a write error, a full disk) the temporary
//!   file is removed and PATH is untouched; on SIGINT, SIGTERM or SIGHUP too (see
//!   [`interrupts`]). After `kill -9` the next run to the same PATH removes the temporary files
//!   that no live run holds locked.
//! - A symbolic link is followed: its target is replaced the same way, and the link stays.
//! - What cannot be replaced atomically is refused rather than written in place: a file with
//!   other hard links (a rename would cut them, writing in place can leave a partial file that
//!   looks whole), a read-only file, a file in a directory we may not add to, a file we may write
//!   but not rename over (another user's, in a sticky directory such as /tmp).
//! - A device, pipe or socket (`/dev/null`, `/dev/stdout`, a FIFO) holds no previous result; it
//!   is written to as it is.
//! - PATH is never a file the command reads: compared by device and inode, so a hard link or a
//!   symbolic link to the input is caught as well as its name.

use std::fs::{self, File, Permissions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use anyhow::{bail, Context, Result};
use tempfile::{Builder, NamedTempFile};

/// The suffix of temporary output files.
const SUFFIX: &str = ".chipgate-tmp";

/// An output file being written.
pub struct Output {
    target: Target,
}

enum Target {
    /// Written under a temporary name, renamed to `path` by [`Output::commit`].
    Replace { tmp: NamedTempFile, path: PathBuf, _watched: Watched },
    /// A device, pipe or socket, written to as it is.
    Stream(File),
}

/// A temporary file the signal handler removes, until this is dropped.
struct Watched(PathBuf);

impl Watched {
    fn new(p: &Path) -> Watched {
        interrupts::register(p);
        Watched(p.to_path_buf())
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        interrupts::unregister(&self.0);
    }
}

/// A file's identity: the same file whatever its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    /// The identity of an open file.
    pub fn of_file(f: &File) -> Option<FileId> {
        f.metadata().ok().as_ref().and_then(FileId::of)
    }

    /// The identity of the file at `path` (following links), if it exists.
    pub fn of_path(path: &Path) -> Option<FileId> {
        fs::metadata(path).ok().as_ref().and_then(FileId::of)
    }

    /// The identity of standard input when it is a file (`< in.csv`).
    pub fn of_stdin() -> Option<FileId> {
        #[cfg(unix)]
        {
            use std::os::fd::AsFd;
            let fd = io::stdin().as_fd().try_clone_to_owned().ok()?;
            FileId::of_file(&File::from(fd))
        }
        #[cfg(not(unix))]
        None
    }

    #[cfg(unix)]
    fn of(m: &fs::Metadata) -> Option<FileId> {
        use std::os::unix::fs::MetadataExt;
        Some(FileId { dev: m.dev(), ino: m.ino() })
    }

    #[cfg(not(unix))]
    fn of(_: &fs::Metadata) -> Option<FileId> {
        None
    }
}

impl Output {
    /// Opens the output for `path`, which must not be any of `inputs`.
    pub fn create(path: &Path, inputs: &[FileId]) -> Result<Output> {
        let shown = path.display();
        let final_path = resolve(path)?;
        let old = match fs::metadata(&final_path) {
            Ok(m) => Some(m),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e).with_context(|| format!("cannot create `{shown}`")),
        };
        if let Some(m) = &old {
            if FileId::of(m).is_some_and(|id| inputs.contains(&id)) {
                bail!("the output `{shown}` is a file this command reads; write to another file");
            }
            if m.is_dir() {
                bail!("the output `{shown}` is a directory; name a file");
            }
            if !m.is_file() {
                let f = fs::OpenOptions::new().write(true).open(&final_path).with_context(|| format!("cannot open `{shown}`"))?;
                return Ok(Output { target: Target::Stream(f) });
            }
            if has_other_links(m) {
                bail!(
                    "cannot replace `{shown}` safely: it has other hard links, which replacing it would cut, and writing it in \
                     place could leave a partial file; remove it first or write to another file"
                );
            }
            if m.permissions().readonly() {
                bail!("cannot replace `{shown}`: the file is read-only; make it writable or write to another file");
            }
        }
        let dir = match final_path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = final_path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let prefix = format!(".{name}.");
        remove_stale(&dir, &prefix);
        interrupts::install();
        let mut b = Builder::new();
        b.prefix(&prefix).suffix(SUFFIX);
        if let Some(p) = new_file_permissions() {
            b.permissions(p);
        }
        let tmp = b.tempfile_in(&dir).with_context(|| {
            format!("cannot create `{shown}`: no temporary file can be made in `{}` to replace it safely", dir.display())
        })?;
        let watched = Watched::new(tmp.path());
        // Held until the file is renamed or removed: a later run leaves a locked file alone.
        let _ = tmp.as_file().try_lock();
        if let Some(m) = old {
            tmp.as_file().set_permissions(m.permissions()).with_context(|| format!("cannot create `{shown}`"))?;
        }
        Ok(Output { target: Target::Replace { tmp, path: final_path, _watched: watched } })
    }

    /// The file to write to.
    pub fn file(&self) -> &File {
        match &self.target {
            Target::Replace { tmp, .. } => tmp.as_file(),
            Target::Stream(f) => f,
        }
    }

    /// The directory of the temporary file, for a file replaced when complete.
    pub fn dir(&self) -> Option<&Path> {
        match &self.target {
            Target::Replace { tmp, .. } => tmp.path().parent(),
            Target::Stream(_) => None,
        }
    }

    /// A writer to the file that has the system start writing it back to disk as it grows
    /// (see [`WriteBehind`]).
    pub fn writer(&self) -> WriteBehind<'_> {
        WriteBehind { file: self.file(), written: 0, started: 0, enabled: matches!(self.target, Target::Replace { .. }) }
    }

    /// Puts the complete output at its path; on failure the previous file is untouched.
    pub fn commit(self) -> Result<()> {
        let Target::Replace { tmp, path, _watched } = self.target else { return Ok(()) };
        let result = tmp.persist(&path);
        // On failure the temporary file is dropped (removed) with the error.
        result
            .map(drop)
            .map_err(|e| e.error)
            .with_context(|| format!("cannot replace `{}` with the new output (the previous file is untouched)", path.display()))
    }
}

/// Writes to an output file and, each time another [`WRITE_BEHIND`] bytes are complete, asks
/// the system to start writing them back to disk, without waiting (Linux `sync_file_range`;
/// elsewhere a plain writer).
///
/// Why: ext4 writes a file back in full, inside the `rename` that replaces another file with
/// it (`auto_da_alloc`, its guard against zero-length files after a crash). For the 126 MB
/// audit of the 1 M-row bench that took 45–55 ms of the rename's 70–110 ms, on the critical
/// path at the very end; started as the file grows, the same work overlaps the audit and the
/// rename takes 25–30 ms (freeing the previous file's blocks). Measured with `strace -T` on
/// the rename and `benches/audit.sh` (docs/performance.md).
pub struct WriteBehind<'a> {
    file: &'a File,
    written: u64,
    started: u64,
    enabled: bool,
}

/// How many written bytes [`WriteBehind`] lets accumulate before it starts their write-back.
const WRITE_BEHIND: u64 = 8 << 20;

impl io::Write for WriteBehind<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = io::Write::write(&mut self.file, buf)?;
        self.written += n as u64;
        if self.enabled && self.written - self.started >= WRITE_BEHIND {
            start_write_back(self.file, self.started, self.written - self.started);
            self.started = self.written;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        io::Write::flush(&mut self.file)
    }
}

/// Starts writing `len` bytes of `file` from `offset` back to disk, without waiting for it. A
/// hint only: a failure changes nothing (the data is still written back later, and written
/// errors still surface from `write`).
#[cfg(target_os = "linux")]
fn start_write_back(file: &File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;
    let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else { return };
    // SAFETY: sync_file_range takes a file descriptor and integers and touches no memory of
    // ours; the descriptor is open for as long as `file` is borrowed.
    unsafe {
        libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE);
    }
}

#[cfg(not(target_os = "linux"))]
fn start_write_back(_: &File, _: u64, _: u64) {}

/// The file a path names, following symbolic links; a link to nowhere is refused (writing
/// through it would create a file somewhere the user may not expect).
fn resolve(path: &Path) -> Result<PathBuf> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => fs::canonicalize(path)
            .with_context(|| format!("cannot write `{}`: it is a symbolic link to a file that does not exist", path.display())),
        _ => Ok(path.to_path_buf()),
    }
}

/// Removes the temporary files of earlier runs to the same path that no live run holds locked
/// (runs that were killed with SIGKILL, or whose machine stopped).
fn remove_stale(dir: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        let ours = name.starts_with(prefix) && name.ends_with(SUFFIX) && name.len() > prefix.len() + SUFFIX.len();
        if !ours || !e.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        if let Ok(f) = File::open(e.path()) {
            if f.try_lock().is_ok() {
                let _ = fs::remove_file(e.path());
            }
        }
    }
}

/// Temporary files are removed when the process is interrupted.
///
/// SIGINT, SIGTERM and SIGHUP are caught once an output file is open: the temporary files are
/// removed, then the signal is raised again with its default action, so that the process ends
/// as killed by that signal (a shell reports 128 + its number: 130, 143, 129).
pub mod interrupts {
    use super::*;

    fn open() -> &'static Mutex<Vec<PathBuf>> {
        static OPEN: OnceLock<Mutex<Vec<PathBuf>>> = OnceLock::new();
        OPEN.get_or_init(|| Mutex::new(Vec::new()))
    }

    pub(super) fn register(p: &Path) {
        if let Ok(mut v) = open().lock() {
            v.push(p.to_path_buf());
        }
    }

    pub(super) fn unregister(p: &Path) {
        if let Ok(mut v) = open().lock() {
            v.retain(|q| q != p);
        }
    }

    /// Starts the thread that handles the signals (once).
    pub(super) fn install() {
        static INSTALLED: OnceLock<()> = OnceLock::new();
        INSTALLED.get_or_init(|| {
            #[cfg(unix)]
            {
                use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
                if let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) {
                    std::thread::spawn(move || {
                        if let Some(sig) = signals.forever().next() {
                            // Holding the lock, no file can be renamed into place meanwhile.
                            let v = open().lock();
                            if let Ok(v) = &v {
                                for p in v.iter() {
                                    let _ = fs::remove_file(p);
                                }
                            }
                            let _ = signal_hook::low_level::emulate_default_handler(sig);
                            std::process::exit(128 + sig);
                        }
                    });
                }
            }
        });
    }
}

#[cfg(unix)]
fn has_other_links(m: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    m.nlink() > 1
}

#[cfg(not(unix))]
fn has_other_links(_: &fs::Metadata) -> bool {
    false
}

/// The mode `File::create` gives a new file (before the umask); the temporary file would
/// otherwise be readable by its owner only.
#[cfg(unix)]
fn new_file_permissions() -> Option<Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Some(Permissions::from_mode(0o666))
}

#[cfg(not(unix))]
fn new_file_permissions() -> Option<Permissions> {
    None
}
