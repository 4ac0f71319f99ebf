//! Writes JSON values as block-style YAML that reads back the same under
//! both YAML 1.1 (kubectl) and 1.2: any string that either could take for a
//! boolean, null, number or timestamp is quoted; multi-line strings become
//! literal blocks.

use serde_json::Value;

/// One YAML document (without the `---` separator).
pub fn document(value: &Value) -> String {
    let mut out = String::new();
    write_document(&mut out, value);
    out
}

/// Appends one YAML document (without the `---` separator) to `out`.
pub fn write_document(out: &mut String, value: &Value) {
    match value {
        Value::Object(map) if !map.is_empty() => write_map(out, map, 0, false),
        Value::Array(items) if !items.is_empty() => write_seq(out, items, 0),
        other => {
            scalar(out, other, 0);
            out.push('\n');
        }
    }
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
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
            pad(out, indent);
        }
        if is_plain(k) {
            out.push_str(k);
        } else {
            quoted(out, k);
        }
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
                scalar(out, other, indent + 2);
                out.push('\n');
            }
        }
    }
}

fn write_seq(out: &mut String, items: &[Value], indent: usize) {
    for v in items {
        pad(out, indent);
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
                scalar(out, other, indent + 2);
                out.push('\n');
            }
        }
    }
}

fn scalar(out: &mut String, v: &Value, indent: usize) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => string(out, s, indent),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

fn string(out: &mut String, s: &str, indent: usize) {
    if is_plain(s) {
        out.push_str(s);
    } else if !literal_block(out, s, indent) {
        quoted(out, s);
    }
}

fn quoted(out: &mut String, s: &str) {
    out.push_str(&serde_json::to_string(s).expect("strings always serialize"));
}

/// `|` or `|-` for multi-line text that a literal block keeps exactly;
/// false (and nothing written) for text it would not.
fn literal_block(out: &mut String, s: &str, indent: usize) -> bool {
    if !s.contains('\n') || s.ends_with("\n\n") {
        return false;
    }
    if s.starts_with([' ', '\n']) || s.chars().any(|c| c.is_control() && c != '\n') {
        return false;
    }
    let (body, header) = match s.strip_suffix('\n') {
        Some(b) => (b, "|"),
        None => (s, "|-"),
    };
    out.push_str(header);
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            pad(out, indent);
            out.push_str(line);
        }
    }
    true
}

/// Words YAML 1.1 or 1.2 reads as booleans or null.
const RESERVED: &[&str] = &[
    "y", "yes", "n", "no", "true", "false", "on", "off", "null", "~", "=", "<<",
];

/// Bytes a plain scalar may hold (after its first).
fn plain_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b" -_./:,;=+()@~^$".contains(&b)
}

/// Bytes of what a YAML 1.1 reader might take for a number or timestamp.
fn numberish_byte(b: u8) -> bool {
    b.is_ascii_hexdigit() || b"-+._: xXoObBtTzZ".contains(&b)
}

fn is_plain(s: &str) -> bool {
    let bytes = s.as_bytes();
    let Some(&first) = bytes.first() else {
        return false;
    };
    if !(first.is_ascii_alphanumeric() || b"/_$".contains(&first)) {
        return false;
    }
    if !bytes.iter().all(|&b| plain_byte(b)) {
        return false;
    }
    if s.ends_with([' ', ':']) || s.contains(": ") || s.contains(" #") {
        return false;
    }
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(s)) {
        return false;
    }
    !(first.is_ascii_digit() && bytes.iter().all(|&b| numberish_byte(b)))
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
