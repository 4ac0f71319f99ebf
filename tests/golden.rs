//! Golden cases: each folder of `golden/` holds a `spec.yaml` (and, when the
//! command is not `render spec.yaml`, an `args` file with one argument per
//! line). The built binary runs in that folder, and its output must match:
//! - `expected.yaml` (render) or `expected.stdout` (other commands): exit 0
//!   and exactly this stdout;
//! - `expected.stderr`: exactly this stderr (with no expected stdout: exit 1
//!   and an empty stdout; with one: the warnings printed on success).
//!
//! `UPDATE_GOLDEN=1 cargo test` rewrites the expected files from what the
//! binary prints; review the diff before committing it.

use std::fs;
use std::path::Path;
use std::process::Command;

#[test]
fn golden_cases() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut cases: Vec<_> = fs::read_dir(&root)
        .expect("golden/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 10,
        "expected the golden cases, found {}",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(e) = run_case(case, update) {
            failures.push(format!(
                "{}: {e}",
                case.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden case(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

fn run_case(case: &Path, update: bool) -> Result<(), String> {
    let args: Vec<String> = match fs::read_to_string(case.join("args")) {
        Ok(text) => text
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
        Err(_) => vec!["render".into(), "spec.yaml".into()],
    };
    let out = Command::new(env!("CARGO_BIN_EXE_kafkagen"))
        .args(&args)
        .current_dir(case)
        .env("NO_COLOR", "1")
        .output()
        .map_err(|e| format!("cannot run kafkagen: {e}"))?;
    let stdout = String::from_utf8(out.stdout).map_err(|_| "stdout is not UTF-8")?;
    let stderr = String::from_utf8(out.stderr).map_err(|_| "stderr is not UTF-8")?;
    let code = out.status.code();
    let yaml = case.join(if args.first().is_some_and(|a| a == "render") {
        "expected.yaml"
    } else {
        "expected.stdout"
    });
    let err = case.join("expected.stderr");

    if update {
        write_or_remove(&yaml, (code == Some(0)).then_some(&stdout));
        write_or_remove(&err, (!stderr.is_empty()).then_some(&stderr));
        return Ok(());
    }

    let expected_err = fs::read_to_string(&err).unwrap_or_default();
    match fs::read_to_string(&yaml) {
        Ok(expected) => {
            if code != Some(0) {
                return Err(format!("expected exit 0, got {code:?}; stderr:\n{stderr}"));
            }
            compare("stdout", &expected, &stdout)?;
        }
        Err(_) => {
            if code != Some(1) {
                return Err(format!("expected exit 1, got {code:?}; stderr:\n{stderr}"));
            }
            if !stdout.is_empty() {
                return Err(format!("a failing run printed on stdout:\n{stdout}"));
            }
        }
    }
    compare("stderr", &expected_err, &stderr)
}

fn write_or_remove(path: &Path, content: Option<&String>) {
    match content {
        Some(c) => fs::write(path, c).unwrap(),
        None => {
            let _ = fs::remove_file(path);
        }
    }
}

/// Fails with the first differing line, expected against got.
fn compare(what: &str, expected: &str, got: &str) -> Result<(), String> {
    if expected == got {
        return Ok(());
    }
    let (e, g): (Vec<_>, Vec<_>) = (expected.lines().collect(), got.lines().collect());
    let line = e
        .iter()
        .zip(&g)
        .position(|(a, b)| a != b)
        .unwrap_or(e.len().min(g.len()));
    Err(format!(
        "{what} differs at line {}:\n  expected: {:?}\n  got:      {:?}\n(UPDATE_GOLDEN=1 cargo test rewrites the expected files)",
        line + 1,
        e.get(line).copied().unwrap_or("<end>"),
        g.get(line).copied().unwrap_or("<end>"),
    ))
}
