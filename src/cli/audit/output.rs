//! The `-o PATH` file of an audit. A regular file (or a new one) is written under a temporary
//! name beside PATH and renamed to PATH only when the audit is complete, so PATH never holds a
//! partial audit that looks whole; the previous file at PATH is removed on a background thread
//! meanwhile, because removing a large file is slow (ext4 frees its blocks and drops its cached
//! pages in the `unlink` or truncating `open`: about 0.1 s per 100 MB, paid on every re-run of an
//! audit otherwise, the same trick as LLVM's lld). Anything else at PATH (a symbolic link, a file
//! with other hard links, a read-only file, a device or pipe) is written in place, as
//! `File::create` would.

use std::fs::{self, File, Permissions};
use std::io;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use anyhow::{Context, Result};
use tempfile::{Builder, NamedTempFile};

/// An output file being written.
pub enum Output {
    /// Written under a temporary name, renamed to `path` by [`Output::commit`].
    Replace {
        tmp: NamedTempFile,
        path: PathBuf,
        /// Removes the previous file at `path`.
        removing: Removal,
    },
    /// Written in place.
    InPlace(File),
}

impl Output {
    /// Opens the output for `path`.
    pub fn create(path: &Path) -> Result<Output> {
        let cannot = || format!("cannot create `{}`", path.display());
        let old = match fs::symlink_metadata(path) {
            // A read-only file is not replaced behind its owner's back: opening it says no.
            Ok(m) if m.is_file() && !has_other_links(&m) && !m.permissions().readonly() => Some(m),
            Ok(_) => return Ok(Output::InPlace(File::create(path).with_context(cannot)?)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e).with_context(cannot),
        };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let prefix = format!(".{name}.");
        let mut b = Builder::new();
        b.prefix(&prefix).suffix(".chipgate-tmp");
        if let Some(p) = new_file_permissions() {
            b.permissions(p);
        }
        let tmp = match b.tempfile_in(dir) {
            Ok(t) => t,
            // A directory we cannot add a file to may still hold a file we can write.
            Err(_) => return Ok(Output::InPlace(File::create(path).with_context(cannot)?)),
        };
        let removing = match old {
            Some(m) => {
                tmp.as_file().set_permissions(m.permissions()).with_context(cannot)?;
                let path = path.to_path_buf();
                // If this fails, the rename in `commit` still replaces the file.
                Removal(Some(std::thread::spawn(move || drop(fs::remove_file(path)))))
            }
            None => Removal(None),
        };
        Ok(Output::Replace { tmp, path: path.to_path_buf(), removing })
    }

    /// The file to write to.
    pub fn file(&self) -> &File {
        match self {
            Output::Replace { tmp, .. } => tmp.as_file(),
            Output::InPlace(f) => f,
        }
    }

    /// Puts the complete output at its path.
    pub fn commit(self) -> Result<()> {
        let Output::Replace { tmp, path, removing } = self else { return Ok(()) };
        // The old file must be gone before the new one takes its name.
        drop(removing);
        let cannot = || format!("cannot write `{}`", path.display());
        if let Err(e) = tmp.persist(&path) {
            // A file we may write but not replace (another user's, in a sticky directory such
            // as /tmp): copy the audit into it instead.
            fs::copy(e.file.path(), &path).map_err(|_| e.error).with_context(cannot)?;
        }
        Ok(())
    }
}

/// The removal of the previous file, waited for when dropped: an output dropped without
/// [`Output::commit`] (the audit stopped) leaves nothing at its path, neither its temporary file
/// (removed by `NamedTempFile`) nor the previous output.
pub struct Removal(Option<JoinHandle<()>>);

impl Drop for Removal {
    fn drop(&mut self) {
        if let Some(r) = self.0.take() {
            let _ = r.join();
        }
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
