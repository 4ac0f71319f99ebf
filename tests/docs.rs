//! What docs/production.md says about the output, held to the code: the
//! apply order, and the ports the NetworkPolicies open.

use kafkagen::check::manifest::KIND_ORDER;
use kafkagen::cluster_spec::MetricsSpec;
use kafkagen::listeners::{
    CONTROLLER, EXTERNAL, INTERNAL, REPLICATION, ZK_CLIENT, ZK_ELECTION, ZK_PEER,
};

fn reference() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/production.md")).unwrap()
}

/// The text from `start` to the next `end`, with lines joined by spaces.
fn between(text: &str, start: &str, end: &str) -> String {
    let from = text.find(start).unwrap_or_else(|| panic!("no `{start}`"));
    let rest = &text[from..];
    let to = rest.find(end).unwrap_or(rest.len());
    rest[..to].split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_apply_order_is_the_emitters() {
    let text = between(
        &reference(),
        "Objects come in apply order:",
        ". Within a kind",
    );
    let listed: Vec<&str> = text
        .trim_start_matches("Objects come in apply order:")
        .split(',')
        .map(str::trim)
        .collect();
    assert_eq!(listed, KIND_ORDER, "docs/production.md, Output");
}

#[test]
fn the_network_policy_list_names_every_port_a_policy_opens() {
    let text = between(&reference(), "- **NetworkPolicy**", "- **Resources:**");
    let metrics = u16::try_from(MetricsSpec::default().port).unwrap();
    for port in [
        ZK_CLIENT.port,
        ZK_PEER.port,
        ZK_ELECTION.port,
        CONTROLLER.port,
        INTERNAL.port,
        REPLICATION.port,
        EXTERNAL.port,
        metrics,
    ] {
        assert!(
            text.contains(&port.to_string()),
            "docs/production.md, NetworkPolicy: port {port} is not named: {text}"
        );
    }
    for job in ["topics", "users", "ACLs", "reload CronJob"] {
        assert!(
            text.contains(job),
            "docs/production.md, NetworkPolicy: no {job}"
        );
    }
}

/// `docs/NAME.md, "Section"` citations in a text: (file, section).
fn citations(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("docs/") {
        rest = &rest[i..];
        let Some(md) = rest.find(".md, \"") else {
            break;
        };
        let file = &rest[..md + ".md".len()];
        let after = &rest[md + ".md, \"".len()..];
        if file
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_-.".contains(c))
            && let Some(end) = after.find('"')
        {
            out.push((file.to_string(), after[..end].to_string()));
        }
        rest = &rest["docs/".len()..];
    }
    out
}

/// Whether a Markdown text has the section: a heading that starts with it,
/// or a bold lead (`**Section...`).
fn has_section(doc: &str, section: &str) -> bool {
    doc.lines()
        .any(|l| l.trim_start_matches('#').trim().starts_with(section) && l.starts_with('#'))
        || doc.contains(&format!("**{section}"))
}

#[test]
fn every_cited_section_exists() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let all: Vec<_> = ["src", "templates", "xtask/src", "tests", ".ci"]
        .iter()
        .flat_map(|dir| common::files_under(&root.join(dir)))
        .collect();
    let mut cited = 0;
    for path in all {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        for (file, section) in citations(&text) {
            if path.ends_with("tests/docs.rs") {
                continue;
            }
            let doc = std::fs::read_to_string(root.join(&file)).unwrap_or_else(|_| {
                panic!("{} cites {file}, which does not exist", path.display())
            });
            assert!(
                has_section(&doc, &section),
                "{} cites {file}, \"{section}\": no such section",
                path.display()
            );
            cited += 1;
        }
    }
    assert!(cited > 0, "no citation found: the scan is broken");
}

#[test]
fn a_citation_is_read_with_its_file_and_section() {
    let text = "// (docs/reference.md, \"Day 2: apply\") and docs/x.md, \"A\".";
    assert_eq!(
        citations(text),
        [
            ("docs/reference.md".to_string(), "Day 2: apply".to_string()),
            ("docs/x.md".to_string(), "A".to_string())
        ]
    );
    let doc = "## Day 2: apply\n- **Readiness, and what a roll waits for:** x\n";
    assert!(has_section(doc, "Day 2"));
    assert!(has_section(doc, "Readiness, and what"));
    assert!(!has_section(doc, "apply"));
}

/// docs/spec-reference.md from the JSON Schema that `kafkagen schema`
/// prints (whose descriptions are the spec types' doc comments): every
/// field with its type, default and description. `UPDATE_GOLDEN=1`
/// rewrites the file; otherwise it must be what the schema gives.
mod spec_reference {
    use serde_json::Value;

    fn resolve<'a>(schema: &'a Value, v: &'a Value) -> &'a Value {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => &schema["$defs"][r.trim_start_matches("#/$defs/")],
            None => v,
        }
    }

    /// The field's type in words: an enum's values, a list of what, a map.
    fn kind(schema: &Value, v: &Value) -> String {
        if let Some(any) = v.get("anyOf").and_then(Value::as_array) {
            let kinds: Vec<String> = any
                .iter()
                .filter(|a| a["type"] != "null")
                .map(|a| kind(schema, a))
                .collect();
            return kinds.join(" or ");
        }
        let r = resolve(schema, v);
        if let Some(one_of) = r.get("oneOf").and_then(Value::as_array) {
            let mut values = Vec::new();
            for alt in one_of {
                if let Some(c) = alt.get("const").and_then(Value::as_str) {
                    values.push(format!("`{c}`"));
                }
                for e in alt
                    .get("enum")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    values.push(format!("`{}`", e.as_str().unwrap_or_default()));
                }
            }
            return values.join(", ");
        }
        if let Some(values) = r.get("enum").and_then(Value::as_array) {
            return values
                .iter()
                .map(|x| format!("`{}`", x.as_str().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(", ");
        }
        let types: Vec<&str> = match &r["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let types: Vec<&str> = types.into_iter().filter(|t| *t != "null").collect();
        match types.as_slice() {
            ["string", "number", "boolean"] => "scalar".into(),
            ["array"] => format!("list of {}", kind(schema, &r["items"])),
            ["object"] if r.get("properties").is_none() => "map".into(),
            ["object"] => "object".into(),
            [] => "any".into(),
            ts => ts.join(" or "),
        }
    }

    fn default(v: &Value) -> String {
        match v.get("default") {
            None | Some(Value::Null) => String::new(),
            Some(Value::Object(o)) if !o.is_empty() => String::new(),
            Some(d) => format!("`{d}`"),
        }
    }

    fn fields(schema: &Value, obj: &Value, prefix: &str, out: &mut Vec<String>) {
        let Some(props) = obj.get("properties").and_then(Value::as_object) else {
            return;
        };
        for (name, v) in props {
            let path = format!("{prefix}{name}");
            let description = v["description"]
                .as_str()
                .unwrap_or_default()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .replace('|', "\\|");
            out.push(format!(
                "| `{path}` | {} | {} | {description} |",
                kind(schema, v),
                default(v)
            ));
            let target = v
                .get("anyOf")
                .and_then(Value::as_array)
                .and_then(|a| a.iter().find(|x| x["type"] != "null"))
                .unwrap_or(v);
            let r = resolve(schema, target);
            if r.get("properties").is_some() {
                fields(schema, r, &format!("{path}."), out);
            } else if let Some(items) = r.get("items") {
                let item = resolve(schema, items);
                fields(schema, item, &format!("{path}[]."), out);
            }
        }
    }

    pub fn generate(schema: &Value) -> String {
        let mut out = vec![
            "# Spec reference".to_string(),
            String::new(),
            "Every field of the spec, generated from the JSON Schema that `kafkagen schema`".into(),
            "prints, whose descriptions are the spec types' doc comments".into(),
            "(`src/cluster_spec/mod.rs`); `tests/docs.rs` fails when this file differs".into(),
            "from it (`UPDATE_GOLDEN=1 cargo test --test docs` rewrites it). Profiles".into(),
            "set other values than these defaults: `kafkagen init --profile NAME`.".into(),
            String::new(),
            "| field | type | default | description |".into(),
            "|---|---|---|---|".into(),
        ];
        fields(schema, schema, "", &mut out);
        out.join("\n") + "\n"
    }
}

mod common;

#[test]
fn the_spec_reference_is_the_schema() {
    let dir = std::env::temp_dir();
    let schema: serde_json::Value =
        serde_json::from_str(&common::ok(&common::kafkagen(&dir, &["schema"]))).unwrap();
    let want = spec_reference::generate(&schema);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/spec-reference.md");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &want).unwrap();
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        have == want,
        "docs/spec-reference.md is not what the schema gives: UPDATE_GOLDEN=1 cargo test --test docs"
    );
}
