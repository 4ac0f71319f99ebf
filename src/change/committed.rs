//! Reading committed manifests for `check --against`: a multi-document YAML
//! (or JSON) file, or a directory of them. Objects are keyed by kind,
//! namespace and name; a `List` counts as its items.

use crate::diagnostic::Diagnostic;
use crate::source::Sources;
use crate::yaml::{Node, Value, parse_stream};
use std::fs;
use std::path::Path;

/// What identifies an object in a cluster.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {ns}/{}", self.kind, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// One committed object and the file it was read from.
#[derive(Debug, Clone)]
pub struct Object {
    pub key: Key,
    pub value: serde_json::Value,
    pub file: String,
}

/// Files of a directory that hold manifests: YAML and JSON, not
/// kustomization files (which describe a build, not objects).
fn is_manifest_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    matches!(ext, "yaml" | "yml" | "json")
        && !matches!(
            name,
            "kustomization.yaml" | "kustomization.yml" | "Kustomization"
        )
        && !name.starts_with('.')
}

/// Every object under `path`, in file order (directory entries sorted by
/// name, not recursive). All problems are reported together.
pub fn read(path: &Path, sources: &mut Sources) -> Result<Vec<Object>, Vec<Diagnostic>> {
    let unreadable = |e: std::io::Error| {
        vec![Diagnostic::error(format!(
            "cannot read `{}`: {e}",
            path.display()
        ))]
    };
    let meta = fs::metadata(path).map_err(unreadable)?;
    let files = if meta.is_dir() {
        let mut files: Vec<_> = fs::read_dir(path)
            .map_err(unreadable)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && is_manifest_file(p))
            .collect();
        files.sort();
        files
    } else {
        vec![path.to_path_buf()]
    };

    let mut objects: Vec<Object> = Vec::new();
    let mut errors = Vec::new();
    // Key -> the file it was first read from.
    let mut seen: std::collections::HashMap<Key, String> = std::collections::HashMap::new();
    for file in &files {
        let name = file.display().to_string();
        let text = match fs::read(file).map(String::from_utf8) {
            Ok(Ok(text)) => text,
            Ok(Err(_)) => {
                errors.push(Diagnostic::error(format!("{name}: not UTF-8 text")));
                continue;
            }
            Err(e) => {
                errors.push(Diagnostic::error(format!("cannot read `{name}`: {e}")));
                continue;
            }
        };
        let id = sources.add(name.clone(), text);
        let docs = match parse_stream(&sources.get(id).text, id) {
            Ok(docs) => docs,
            Err(e) => {
                errors.push(
                    Diagnostic::error(format!("invalid YAML: {}", e.message)).at(Some(e.span)),
                );
                continue;
            }
        };
        for doc in docs.iter().filter(|d| d.value != Value::Null) {
            let items: Vec<&Node> = match (doc.get("kind"), doc.get("items")) {
                (Some(k), Some(items)) if is_str(k, "List") => match &items.value {
                    Value::Seq(items) => items.iter().collect(),
                    Value::Null => Vec::new(),
                    _ => {
                        errors.push(
                            Diagnostic::error("a List's `items` must be a list")
                                .at(Some(items.span)),
                        );
                        continue;
                    }
                },
                _ => vec![doc],
            };
            for item in items {
                match key_of(item) {
                    Ok(key) => {
                        if let Some(first) = seen.get(&key) {
                            errors.push(
                                Diagnostic::error(format!(
                                    "{key} appears twice (first in `{first}`)"
                                ))
                                .at(Some(item.span)),
                            );
                            continue;
                        }
                        seen.insert(key.clone(), name.clone());
                        objects.push(Object {
                            key,
                            value: item.to_json(),
                            file: name.clone(),
                        });
                    }
                    Err(d) => errors.push(*d),
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(objects)
    } else {
        Err(errors)
    }
}

fn is_str(node: &Node, s: &str) -> bool {
    matches!(&node.value, Value::Str(v) if v == s)
}

fn key_of(doc: &Node) -> Result<Key, Box<Diagnostic>> {
    let text = |node: Option<&Node>| match node.map(|n| &n.value) {
        Some(Value::Str(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    };
    let metadata = doc.get("metadata");
    let kind = text(doc.get("kind"));
    let name = text(metadata.and_then(|m| m.get("name")));
    match (kind, name) {
        (Some(kind), Some(name)) => Ok(Key {
            kind,
            namespace: text(metadata.and_then(|m| m.get("namespace"))),
            name,
        }),
        _ => Err(Box::new(
            Diagnostic::error("not a Kubernetes object: it needs `kind` and `metadata.name`")
                .at(Some(doc.span)),
        )),
    }
}
