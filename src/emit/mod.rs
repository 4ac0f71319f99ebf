//! The last stage: checked manifests in apply order (docs/production.md, "Output"),
//! as a YAML stream or a JSON `List`, or written to a directory
//! (`out_dir`). Same input, same bytes.

pub mod out_dir;

use crate::check::manifest::{KIND_ORDER, Manifest};
use crate::yaml::emit as yaml_emit;
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Yaml,
    Json,
}

/// Sorts by kind order; within a kind, render order (ZooKeeper before Kafka,
/// shared Services before per-broker ones) is kept.
pub fn order(manifests: &mut [Manifest]) {
    manifests.sort_by_key(|m| {
        KIND_ORDER
            .iter()
            .position(|k| *k == m.kind)
            .unwrap_or(KIND_ORDER.len())
    });
}

// A stage of bench/profile.sh's table: kept out of line so that its
// samples are charged to it.
#[inline(never)]
pub fn to_text(manifests: &[Manifest], format: Format) -> String {
    match format {
        Format::Yaml => {
            let mut out = String::new();
            for m in manifests {
                out.push_str("---\n");
                yaml_emit::write_document(&mut out, &m.value);
            }
            out
        }
        Format::Json => {
            let items: Vec<Value> = manifests.iter().map(|m| m.value.clone()).collect();
            let list = json!({"apiVersion": "v1", "kind": "List", "items": items});
            serde_json::to_string_pretty(&list).expect("JSON values always serialize") + "\n"
        }
    }
}
