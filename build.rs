//! Checks the built-in rule packs and compiles them into the binary as a checked rule set
//! (`chipgate_core::rules::compiled`), so that an answer on the built-in rules alone starts
//! without parsing their TOML. A pack with an error fails the build with its diagnostics.

use std::path::PathBuf;

use chipgate_core::rules::{compiled, diag, LoadError, Loader};

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("builtin.rules");
    // The packs are embedded in chipgate-core (its build script reruns on their change, and so
    // does this one, since it depends on that crate).
    // Warnings fail the build too: an answer from the compiled set could not print them.
    let rs = match Loader::new().lints(false).load_with_sources() {
        Ok((rs, warnings, _)) if warnings.is_empty() => rs,
        Ok((_, diagnostics, sources)) | Err(LoadError { diagnostics, sources }) => {
            eprintln!("{}", diag::render(&sources, &diagnostics));
            eprintln!("error: the built-in rule packs (rules/) do not check cleanly; see the diagnostics above");
            std::process::exit(1);
        }
    };
    let bytes = compiled::encode(&rs).unwrap_or_else(|e| panic!("cannot compile the built-in rule set: {e}"));
    // The program decodes the catalog's chips when it first needs each: read them all back here,
    // so that a chip that does not decode fails the build, not an answer.
    let back = compiled::decode(&bytes).unwrap_or_else(|e| panic!("cannot read back the compiled rule set: {e}"));
    back.catalog.decode_all().unwrap_or_else(|e| panic!("cannot read back the compiled catalog: {e}"));
    assert!(back.catalog.chips().eq(rs.catalog.chips()), "the compiled catalog reads back as it was checked");
    std::fs::write(&out, bytes).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
    println!("cargo:rerun-if-changed=build.rs");
}
