//! Writes JSON values as block-style YAML that reads back the same under
//! both YAML 1.1 (kubectl) and 1.2: any string that either could take for a
//! boolean, null, number or timestamp is quoted; multi-line strings become
//! literal blocks.

use serde_json::Value;

/// One YAML document (without the `---` separator).
pub fn document(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0, false),
        Value::Array(items) if !items.is_empty() => write_seq(&mut out, items, 0),
        other => {
            out += &scalar(other, 0);
            out.push('\n');
        }
    }
    out
}

/// Writes a mapping at `indent`; with `first_inline` its first key follows
/// a `- ` already written.
fn write_map(
    out: &mut String,
    map: &serde_json::Map<String, Value>,
    indent: usize,
    first_inline: bool,
) {
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 || !first_inline {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&key(k));
        out.push(':');
        match v {
            Value::Object(m) if !m.is_empty() => {
                out.push('\n');
                write_map(out, m, indent + 2, false);
            }
            // Lists under a key sit at the key's indent, as kubectl writes them.
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                write_seq(out, items, indent);
            }
            other => {
                out.push(' ');
                out.push_str(&scalar(other, indent + 2));
                out.push('\n');
            }
        }
    }
}

fn write_seq(out: &mut String, items: &[Value], indent: usize) {
    for v in items {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        match v {
            Value::Object(m) if !m.is_empty() => {
                out.push(' ');
                write_map(out, m, indent + 2, true);
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                write_seq(out, inner, indent + 2);
            }
            other => {
                out.push(' ');
                out.push_str(&scalar(other, indent + 2));
                out.push('\n');
            }
        }
    }
}

fn scalar(v: &Value, indent: usize) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s, indent),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

fn key(k: &str) -> String {
    if is_plain(k) {
        k.to_string()
    } else {
        quoted(k)
    }
}

fn string(s: &str, indent: usize) -> String {
    if is_plain(s) {
        return s.to_string();
    }
    if let Some(block) = literal_block(s, indent) {
        return block;
    }
    quoted(s)
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).expect("strings always serialize")
}

/// `|` or `|-` for multi-line text that a literal block keeps exactly.
fn literal_block(s: &str, indent: usize) -> Option<String> {
    if !s.contains('\n') || s.ends_with("\n\n") {
        return None;
    }
    if s.starts_with([' ', '\n']) || s.chars().any(|c| c.is_control() && c != '\n') {
        return None;
    }
    let (body, header) = match s.strip_suffix('\n') {
        Some(b) => (b, "|"),
        None => (s, "|-"),
    };
    let pad = " ".repeat(indent);
    let mut out = String::from(header);
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    Some(out)
}

/// Words YAML 1.1 or 1.2 reads as booleans or null.
const RESERVED: &[&str] = &[
    "y", "yes", "n", "no", "true", "false", "on", "off", "null", "~", "=", "<<",
];

fn is_plain(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if !(first.is_ascii_alphanumeric() || "/_$".contains(first)) {
        return false;
    }
    if s.ends_with([' ', ':']) || s.contains(": ") || s.contains(" #") {
        return false;
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " -_./:,;=+()@~^$".contains(c))
    {
        return false;
    }
    if RESERVED.contains(&s.to_ascii_lowercase().as_str()) {
        return false;
    }
    // Anything a YAML 1.1 reader might take for a number or a timestamp.
    let numberish = first.is_ascii_digit()
        && s.chars()
            .all(|c| c.is_ascii_hexdigit() || "-+._: xXoObBtTzZ".contains(c));
    !numberish
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quotes_what_yaml_1_1_would_misread() {
        for s in [
            "on",
            "yes",
            "No",
            "y",
            "1",
            "0x1f",
            "1e3",
            "7.9.1",
            "1:20",
            "",
            "- a",
            "a: b",
            "x #y",
            "2001-12-14t21:59:43z",
            "${NODE_IP}",
        ] {
            assert!(!is_plain(s), "{s:?} must be quoted");
        }
        for s in [
            "demo",
            "2Gi",
            "500m",
            "confluentinc/cp-kafka:7.9.1",
            "INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT",
            "app.kubernetes.io/name",
        ] {
            assert!(is_plain(s), "{s:?} can be plain");
        }
    }

    #[test]
    fn writes_block_style() {
        let v = json!({
            "metadata": {"name": "x", "labels": {}},
            "ports": [{"name": "a", "port": 1}, {"name": "b", "port": 2}],
            "command": ["/bin/bash", "-c", "set -e\necho hi\n"],
            "flag": "on"
        });
        let expected = "\
metadata:
  name: x
  labels: {}
ports:
- name: a
  port: 1
- name: b
  port: 2
command:
- /bin/bash
- \"-c\"
- |
  set -e
  echo hi
flag: \"on\"
";
        assert_eq!(document(&v), expected);
    }

    #[test]
    fn round_trips_through_the_reader() {
        let v = json!({"a": ["x\ny", "tail\n", "  lead\n", "q\"uote", "y", 3, true, null, {"b": [[1, 2], []]}]});
        let text = document(&v);
        let back = crate::yaml::parse_one(&text, crate::source::SourceId(0)).unwrap();
        assert_eq!(back.to_json(), v, "{text}");
    }
}
