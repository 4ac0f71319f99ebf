//! `check`: rendered objects against committed ones, object by object
//! (kind, namespace, name). Key order, formatting and document order do not
//! count; every other difference is listed by field path with both values.

use crate::change::committed::{Key, Object};
use crate::check::manifest::Manifest;
use serde_json::Value;
use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct Drift {
    /// Rendered, not committed.
    pub missing: Vec<Key>,
    /// Committed, not rendered: the key and its file.
    pub extra: Vec<(Key, String)>,
    pub changed: Vec<Changed>,
    /// How many objects are the same on both sides.
    pub same: usize,
}

#[derive(Debug)]
pub struct Changed {
    pub key: Key,
    pub file: String,
    pub changes: Vec<Change>,
}

#[derive(Debug, PartialEq)]
pub enum Change {
    Added {
        path: String,
        new: Value,
    },
    Removed {
        path: String,
        old: Value,
    },
    Modified {
        path: String,
        old: Value,
        new: Value,
    },
}

impl Drift {
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty() && self.changed.is_empty()
    }

    /// `2 missing, 0 extra, 1 changed`
    pub fn summary(&self) -> String {
        format!(
            "{} missing, {} extra, {} changed",
            self.missing.len(),
            self.extra.len(),
            self.changed.len()
        )
    }
}

pub fn key_of(m: &Manifest) -> Key {
    Key {
        kind: m.kind.clone(),
        namespace: m.namespace.clone(),
        name: m.name.clone(),
    }
}

/// Missing and changed objects come in apply order, extra ones in the order
/// they were read.
pub fn compare(rendered: &[Manifest], committed: &[Object]) -> Drift {
    let by_key: HashMap<&Key, &Object> = committed.iter().map(|o| (&o.key, o)).collect();
    let mut drift = Drift::default();
    let mut matched = std::collections::HashSet::new();
    for m in rendered {
        let key = key_of(m);
        match by_key.get(&key) {
            None => drift.missing.push(key),
            Some(old) => {
                matched.insert(&old.key);
                let mut changes = Vec::new();
                diff(&old.value, &m.value, String::new(), &mut changes);
                if changes.is_empty() {
                    drift.same += 1;
                } else {
                    drift.changed.push(Changed {
                        key,
                        file: old.file.clone(),
                        changes,
                    });
                }
            }
        }
    }
    for o in committed {
        if !matched.contains(&o.key) {
            drift.extra.push((o.key.clone(), o.file.clone()));
        }
    }
    drift
}

fn same_scalar(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn diff(old: &Value, new: &Value, path: String, out: &mut Vec<Change>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                let p = field(&path, k);
                match b.get(k) {
                    Some(vb) => diff(va, vb, p, out),
                    None => out.push(Change::Removed {
                        path: p,
                        old: va.clone(),
                    }),
                }
            }
            for (k, vb) in b {
                if !a.contains_key(k) {
                    out.push(Change::Added {
                        path: field(&path, k),
                        new: vb.clone(),
                    });
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => match (names(a), names(b)) {
            (Some(na), Some(nb)) => {
                for (name, va) in na.iter().zip(a) {
                    let p = format!("{path}[name={name}]");
                    match nb.iter().position(|n| n == name) {
                        Some(j) => diff(va, &b[j], p, out),
                        None => out.push(Change::Removed {
                            path: p,
                            old: va.clone(),
                        }),
                    }
                }
                for (name, vb) in nb.iter().zip(b) {
                    if !na.contains(name) {
                        out.push(Change::Added {
                            path: format!("{path}[name={name}]"),
                            new: vb.clone(),
                        });
                    }
                }
                // Same members in another order: an ordered list changed.
                let common_a: Vec<_> = na.iter().filter(|n| nb.contains(n)).collect();
                let common_b: Vec<_> = nb.iter().filter(|n| na.contains(n)).collect();
                if common_a != common_b {
                    out.push(Change::Modified {
                        path: format!("{path} (order)"),
                        old: Value::from(common_a.iter().map(|s| s.as_str()).collect::<Vec<_>>()),
                        new: Value::from(common_b.iter().map(|s| s.as_str()).collect::<Vec<_>>()),
                    });
                }
            }
            _ => {
                for (i, (va, vb)) in a.iter().zip(b).enumerate() {
                    diff(va, vb, format!("{path}[{i}]"), out);
                }
                for (i, va) in a.iter().enumerate().skip(b.len()) {
                    out.push(Change::Removed {
                        path: format!("{path}[{i}]"),
                        old: va.clone(),
                    });
                }
                for (i, vb) in b.iter().enumerate().skip(a.len()) {
                    out.push(Change::Added {
                        path: format!("{path}[{i}]"),
                        new: vb.clone(),
                    });
                }
            }
        },
        _ if same_scalar(old, new) => {}
        _ => out.push(Change::Modified {
            path,
            old: old.clone(),
            new: new.clone(),
        }),
    }
}

/// The `name` of every item, when every item is a mapping with a distinct
/// string `name` (containers, ports, env, volumes): such lists are matched
/// by name, so that one insertion reads as one addition.
fn names(items: &[Value]) -> Option<Vec<String>> {
    let names: Vec<String> = items
        .iter()
        .map(|v| v.get("name").and_then(Value::as_str).map(str::to_string))
        .collect::<Option<_>>()?;
    let unique: std::collections::HashSet<_> = names.iter().collect();
    (unique.len() == names.len() && !names.is_empty()).then_some(names)
}

/// `a.b`, or `a["x.y/z"]` for a key that is not a plain identifier.
fn field(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (path.is_empty(), plain) {
        (true, true) => key.to_string(),
        (false, true) => format!("{path}.{key}"),
        (_, false) => format!("{path}[{}]", Value::from(key)),
    }
}

/// The drift report `check` prints; `against` names the committed path.
pub fn report(drift: &Drift, against: &str) -> String {
    let mut out = format!("drift against `{against}`: {}\n", drift.summary());
    if !drift.missing.is_empty() {
        out += &format!("\nmissing (rendered, not in `{against}`):\n");
        for key in &drift.missing {
            out += &format!("  + {key}\n");
        }
    }
    if !drift.extra.is_empty() {
        out += &format!("\nextra (in `{against}`, not rendered):\n");
        for (key, file) in &drift.extra {
            out += &format!("  - {key}  ({file})\n");
        }
    }
    if !drift.changed.is_empty() {
        out += "\nchanged (committed -> rendered):\n";
        for c in &drift.changed {
            out += &format!("  ~ {}  ({})\n", c.key, c.file);
            for change in &c.changes {
                out += &describe(change);
            }
        }
    }
    out
}

fn describe(change: &Change) -> String {
    match change {
        Change::Added { path, new } => format!("      {path}: added {}", value(new)),
        Change::Removed { path, old } => format!("      {path}: removed {}", value(old)),
        Change::Modified { path, old, new } => match (old.as_str(), new.as_str()) {
            (Some(a), Some(b)) if a.contains('\n') || b.contains('\n') => {
                format!("      {path}:\n{}", line_diff(a, b))
            }
            _ => format!("      {path}: {} -> {}\n", inline(old), inline(new)),
        },
    }
}

/// A value on one line, or a multi-line string as an indented block.
fn value(v: &Value) -> String {
    match v.as_str() {
        Some(s) if s.contains('\n') => {
            let lines: String = s.lines().map(|l| format!("        | {l}\n")).collect();
            format!("(text)\n{lines}")
        }
        _ => format!("{}\n", inline(v)),
    }
}

fn inline(v: &Value) -> String {
    serde_json::to_string(v).expect("JSON values serialize")
}

/// The changed lines of two texts, as `-`/`+` lines (longest common
/// subsequence; unchanged lines are left out).
fn line_diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    // Texts longer than this are shown whole rather than diffed.
    const MAX_CELLS: usize = 4_000_000;
    if a.len().saturating_mul(b.len()) > MAX_CELLS {
        let mut out: String = a.iter().map(|l| format!("        - {l}\n")).collect();
        out.extend(b.iter().map(|l| format!("        + {l}\n")));
        return out;
    }
    // lcs[i][j]: the LCS length of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out += &format!("        - {}\n", a[i]);
            i += 1;
        } else {
            out += &format!("        + {}\n", b[j]);
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn changes(old: Value, new: Value) -> Vec<Change> {
        let mut out = Vec::new();
        diff(&old, &new, String::new(), &mut out);
        out
    }

    #[test]
    fn key_order_does_not_count() {
        let a = json!({"a": 1, "b": {"c": [1, 2], "d": "x"}});
        let b = json!({"b": {"d": "x", "c": [1, 2]}, "a": 1.0});
        assert_eq!(changes(a, b), vec![]);
    }

    #[test]
    fn paths_name_list_items_and_odd_keys() {
        let a = json!({"spec": {"containers": [{"name": "kafka", "image": "a"}]},
                       "metadata": {"labels": {"app.kubernetes.io/name": "x"}}});
        let b = json!({"spec": {"containers": [{"name": "kafka", "image": "b"}]},
                       "metadata": {"labels": {"app.kubernetes.io/name": "y"}}});
        let paths: Vec<String> = changes(a, b)
            .into_iter()
            .map(|c| match c {
                Change::Modified { path, .. } => path,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            paths,
            [
                "spec.containers[name=kafka].image",
                r#"metadata.labels["app.kubernetes.io/name"]"#
            ]
        );
    }

    #[test]
    fn an_inserted_named_item_is_one_addition() {
        let a = json!([{"name": "A", "value": "1"}, {"name": "C", "value": "3"}]);
        let b = json!([{"name": "A", "value": "1"}, {"name": "B", "value": "2"}, {"name": "C", "value": "3"}]);
        assert_eq!(
            changes(a, b),
            vec![Change::Added {
                path: "[name=B]".into(),
                new: json!({"name": "B", "value": "2"})
            }]
        );
    }

    #[test]
    fn reordered_named_items_are_a_change() {
        let a = json!([{"name": "A"}, {"name": "B"}]);
        let b = json!([{"name": "B"}, {"name": "A"}]);
        assert_eq!(changes(a, b).len(), 1);
    }

    #[test]
    fn line_diff_shows_only_changed_lines() {
        assert_eq!(
            line_diff("a\nb\nc\n", "a\nB\nc\nd\n"),
            "        - b\n        + B\n        + d\n"
        );
    }
}
