//! The commands that README.md and the guides in docs/ show are run, and their output compared
//! with what the page shows (trycmd), so that the documentation cannot drift from the binary.
//!
//! A page shows a command in a ```` ```console ```` block: `$ chipgate …` (continued on lines
//! starting `> `), then `? CODE` when the exit code is not 0, then what it prints, standard error
//! included. `...` on a line of its own stands for any lines, `[..]` for the rest of a line. After
//! a change that alters an output on purpose, `TRYCMD=overwrite cargo test --test docs` rewrites
//! the pages' outputs; read the diff before committing it.

use std::path::Path;

/// The pages whose commands are run.
fn pages() -> Vec<String> {
    let mut pages = vec!["README.md".to_string()];
    let mut docs: Vec<String> = std::fs::read_dir("docs")
        .expect("docs/ is readable")
        .map(|e| e.expect("a docs/ entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

#[test]
fn the_commands_the_pages_show_print_what_they_show() {
    let cases = trycmd::TestCases::new();
    cases.register_bin("chipgate", Path::new(env!("CARGO_BIN_EXE_chipgate"))).env("NO_COLOR", "1").env("COLUMNS", "120");
    for page in pages() {
        cases.case(page);
    }
    cases.run();
}

/// Every `chipgate` command a page shows outside a ```` ```console ```` block is one that cannot
/// run here: a server (`chipgate serve`, tested by tests/serve.rs) or a command that writes a
/// file (shown with `-o`, `>` or `|`, whose output files tests/audit.rs and tests/nothing_lost.rs
/// check). Anything else would be a command nobody runs.
#[test]
fn every_command_a_page_shows_is_run() {
    let mut untested = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(&page).expect("the page is readable");
        let mut fence: Option<String> = None;
        for (n, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            if let Some(rest) = trimmed.strip_prefix("```") {
                fence = match fence {
                    Some(_) => None,
                    None => Some(rest.trim().to_string()),
                };
                continue;
            }
            let Some(lang) = &fence else { continue };
            let command = trimmed.strip_prefix("$ ").unwrap_or(trimmed);
            if lang == "console" || !command.starts_with("chipgate ") {
                continue;
            }
            let cannot_run_here = command.starts_with("chipgate serve")
                || command.contains(" -o ")
                || command.contains(" > ")
                || command.contains(" | ")
                || command.contains("--summary-json");
            if !cannot_run_here {
                untested.push(format!("{page}:{}: {line}", n + 1));
            }
        }
    }
    assert!(untested.is_empty(), "shown outside a ```console block, so never run:\n{}", untested.join("\n"));
}

/// Every relative link of a page (`[text](path)`, `[text](path#anchor)`) names a file or
/// directory that exists, taken from the page's own directory as a Markdown viewer takes it.
#[test]
fn every_relative_link_resolves() {
    let mut broken = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(&page).expect("the page is readable");
        let dir = Path::new(&page).parent().unwrap_or(Path::new(""));
        let mut fenced = false;
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
            }
            if fenced {
                continue;
            }
            for (i, _) in line.match_indices("](") {
                let rest = &line[i + 2..];
                let Some(end) = rest.find(')') else { continue };
                let target = rest[..end].split('#').next().unwrap_or("");
                if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                if !dir.join(target).exists() {
                    broken.push(format!("{page}:{}: {target}", n + 1));
                }
            }
        }
    }
    assert!(broken.is_empty(), "links to nothing:\n{}", broken.join("\n"));
}
