//! Embeds the built-in rule packs (`rules/**/*.toml`) in the binary.

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
}

fn main() {
    // The rules live at the top of the workspace, where a newcomer looks for them; their paths
    // in diagnostics and in the pack hash are relative to it (`rules/…`).
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    let root = manifest.join("../..");
    let mut files = Vec::new();
    collect(&root.join("rules"), &mut files);
    files.sort();
    let mut code =
        String::from("/// Built-in rule files: (path relative to the crate, contents).\npub static BUILTIN: &[(&str, &str)] = &[\n");
    for f in &files {
        let rel = f.strip_prefix(&root).unwrap_or(f).to_string_lossy().replace('\\', "/");
        code.push_str(&format!("    ({rel:?}, include_str!({:?})),\n", f.to_string_lossy()));
    }
    code.push_str("];\n");
    // The pack's content hash, as the loader computes it for packs on disk (SHA-256 over each
    // file's path and text, in path order; first 8 bytes), so start-up does not pay for it.
    let mut hasher = Sha256::new();
    for f in &files {
        let rel = f.strip_prefix(&root).unwrap_or(f).to_string_lossy().replace('\\', "/");
        hasher.update(rel.as_bytes());
        hasher.update(fs::read(f).unwrap_or_default());
    }
    let hash: String = hasher.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect();
    code.push_str(&format!("/// Content hash of the built-in pack.\n#[allow(dead_code)]\npub static BUILTIN_HASH: &str = {hash:?};\n"));
    // The built-in pack's name, version and hash, for `chipgate --version`.
    let header = fs::read_to_string(root.join("rules/pack.toml")).unwrap_or_default();
    let value = |key: &str| {
        header.lines().find_map(|l| {
            l.trim().strip_prefix(key)?.trim().strip_prefix('=')?.trim().strip_prefix('"')?.split('"').next().map(str::to_string)
        })
    };
    let (name, version) = (value("name").unwrap_or_default(), value("version").unwrap_or_default());
    println!("cargo:rustc-env=CHIPGATE_BUILTIN_LABEL={name}@{version}#{hash}");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join("builtin_rules.rs");
    fs::write(out, code).unwrap_or_else(|e| panic!("cannot write builtin_rules.rs: {e}"));
    println!("cargo:rerun-if-changed={}", root.join("rules").display());
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
    }
}
