//! Every import goes down the pipeline (docs/design.md, "Code layout"):
//! a module of `src/` names only modules of its own layer or below. Test
//! code (`tests.rs` files and `#[cfg(test)]` modules) may reach up, to run
//! the whole pipeline.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

mod common;

/// The top-level modules of `src/`, lowest layer first.
const LAYERS: &[&[&str]] = &[
    &[
        "source",
        "dns",
        "names",
        "suggest",
        "templates",
        "job_input",
    ],
    &["diagnostic"],
    &["yaml"],
    &["cluster_spec"],
    &["input"],
    &["cluster"],
    &["listeners"],
    &["broker_properties"],
    &["validate"],
    &["model"],
    &["render"],
    &["check"],
    &["emit"],
    &["change"],
    &["pipeline"],
    &["commands"],
    &["cli"],
    &["lib", "main"],
];

/// Arrows that run up today, each to be removed.
const KNOWN_UP: &[(&str, &str)] = &[];

fn layer(module: &str) -> usize {
    LAYERS
        .iter()
        .position(|l| l.contains(&module))
        .unwrap_or_else(|| panic!("src/{module} is in no layer of tests/layers.rs"))
}

/// The `crate::NAME` modules a source text names, outside test code.
fn imports(text: &str) -> BTreeSet<String> {
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // use crate::{a::X, b};
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

/// Every source file of `src/` but the `tests.rs` files, with the
/// top-level module it belongs to.
fn sources() -> Vec<(String, String)> {
    common::files_under(Path::new("src"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .filter(|p| p.file_name().is_some_and(|n| n != "tests.rs"))
        .map(|path| {
            let rel = path.strip_prefix("src").unwrap();
            let top = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy();
            let module = top.trim_end_matches(".rs").to_string();
            (module, fs::read_to_string(&path).unwrap())
        })
        .collect()
}

fn arrows_up() -> BTreeSet<(String, String)> {
    let files = sources();
    let mut up = BTreeSet::new();
    for (module, text) in &files {
        for target in imports(text) {
            if target != *module && layer(&target) > layer(module) {
                up.insert((module.clone(), target));
            }
        }
    }
    up
}

#[test]
fn every_import_goes_down_the_pipeline() {
    let known: BTreeSet<(String, String)> = KNOWN_UP
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let up = arrows_up();
    let new: Vec<_> = up.difference(&known).collect();
    assert!(new.is_empty(), "imports that run up the pipeline: {new:?}");
    let gone: Vec<_> = known.difference(&up).collect();
    assert!(
        gone.is_empty(),
        "gone from the code, so remove them from KNOWN_UP: {gone:?}"
    );
}

#[test]
fn the_scan_sees_an_import_that_runs_up() {
    // The scanner itself: a model file naming render, in both forms.
    let text = "use crate::render::Document;\nuse crate::{check::rules, yaml};\nfn f() { crate::emit(); }\n#[cfg(test)]\nmod t { use crate::pipeline; }";
    let found = imports(text);
    let want: BTreeSet<String> = ["render", "check", "yaml", "emit"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(found, want);
    assert!(layer("render") > layer("model") && layer("check") > layer("model"));
}

/// The longest a source file of kafkagen or the harness may grow: past
/// it, a file holds more than one responsibility (docs/design.md,
/// "Code layout"). Tests (`tests.rs` and `tests/`) may be longer.
const MAX_LINES: usize = 800;

fn too_long(files: &[(String, String)]) -> Vec<String> {
    files
        .iter()
        .filter(|(_, text)| text.lines().count() > MAX_LINES)
        .map(|(path, text)| format!("{path}: {} lines", text.lines().count()))
        .collect()
}

#[test]
fn no_source_file_is_over_800_lines() {
    let files: Vec<(String, String)> = ["src", "xtask/src"]
        .iter()
        .flat_map(|d| common::files_under(Path::new(d)))
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .filter(|p| p.file_name().is_some_and(|n| n != "tests.rs"))
        .map(|p| (p.display().to_string(), fs::read_to_string(&p).unwrap()))
        .collect();
    assert!(files.len() > 50, "the walk found too few files");
    let long = too_long(&files);
    assert!(long.is_empty(), "split these by responsibility: {long:?}");
    let big = ("big.rs".to_string(), "x\n".repeat(MAX_LINES + 1));
    assert_eq!(too_long(&[big]), ["big.rs: 801 lines"]);
}
