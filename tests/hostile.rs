//! Hostile and oversized input: each case took memory, stack or time without bound before.

use chipgate::RuleSet;

/// An unknown destination of megabytes took about 9 s per MB to find "did you mean"
/// candidates: names of implausible length are not compared.
#[test]
fn suggestions_for_a_huge_unknown_name_are_not_computed() {
    let rs = RuleSet::builtin().unwrap();
    let huge = "Chinaa".repeat(4 << 20);
    assert!(rs.countries.suggest(&huge).is_empty());
    assert!(rs.catalog.suggest(&huge).is_empty());
    assert!(!rs.countries.suggest("Chnia").is_empty());
}

mod packs {
    use chipgate::rules::{diag, Loader, PackSource};
    use std::os::unix::fs::symlink;
    use std::path::Path;

    const HEADER: &str = "[pack]\nname = \"hostile\"\nversion = \"1.0.0\"\n";

    fn validate(path: &Path) -> String {
        let (d, sources) = Loader::empty().pack(PackSource::Path(path.into())).validate();
        assert!(d.iter().any(|d| d.is_error()));
        diag::render(&sources, &d)
    }

    /// `--rules /dev/zero` hung, and a link to it in a pack grew memory without bound.
    #[test]
    fn devices_are_not_read() {
        assert!(validate(Path::new("/dev/zero")).contains("cannot read `/dev/zero`: not a regular file"));
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pack.toml"), HEADER).unwrap();
        symlink("/dev/zero", dir.path().join("zero.toml")).unwrap();
        assert!(validate(dir.path()).contains("zero.toml`: it links out of the pack's directory"));
    }

    /// A FIFO named `*.toml` hung.
    #[test]
    fn a_fifo_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pack.toml"), HEADER).unwrap();
        let fifo = dir.path().join("x.toml");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        assert!(validate(&fifo).contains("not a regular file"));
        assert!(validate(dir.path()).contains("not a regular file"));
    }

    /// Self-referencing links hung; `ln -s ..` walked the parents 40 levels deep; a link to
    /// `/etc/passwd` printed its first line.
    #[test]
    fn links_stay_in_the_pack() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pack.toml"), HEADER).unwrap();
        symlink(dir.path().join("b.toml"), dir.path().join("a.toml")).unwrap();
        symlink(dir.path().join("a.toml"), dir.path().join("b.toml")).unwrap();
        symlink("..", dir.path().join("up")).unwrap();
        symlink("..", dir.path().join("up.toml")).unwrap();
        symlink("/etc/passwd", dir.path().join("passwd.toml")).unwrap();
        let text = validate(dir.path());
        assert!(text.contains("a.toml`: Too many levels of symbolic links"), "{text}");
        assert!(text.contains("up.toml`: it links out of the pack's directory"), "{text}");
        assert!(text.contains("passwd.toml`: it links out of the pack's directory"), "{text}");
        assert!(!text.contains("root"), "{text}");
    }

    /// A file that is not TOML is shown only at the token where it failed.
    #[test]
    fn a_file_that_is_not_toml_is_not_echoed() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x.toml");
        std::fs::write(&f, "root:x:0:0:root:/root:/bin/bash\nSECRET=hunter2\n").unwrap();
        let text = validate(&f);
        assert!(text.contains("error[toml]"), "{text}");
        assert!(!text.contains("root:/root") && !text.contains("hunter2"), "{text}");
    }
}
