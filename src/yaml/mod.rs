//! YAML text to a tree of [`Node`]s that remember where they came from.
//!
//! Scalars are resolved with the YAML 1.2 core schema (`yes`/`on` are
//! strings, not booleans). Duplicate keys, non-scalar keys, runaway alias
//! expansion and absurd nesting are errors, never panics.

pub mod emit;
pub mod readback;

use crate::source::{Pos, SourceId, Span};
use saphyr_parser::{Event, Parser, ScalarStyle, Span as RawSpan};
use std::collections::HashMap;

/// At most this many nodes per stream, counting alias expansions, or one per
/// byte of text for larger streams: expansion stays linear in the input.
const MAX_NODES: usize = 200_000;
/// At most this many nested collections.
pub(crate) const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

impl Value {
    /// The value as JSON, consuming it (no string is copied). Floats JSON
    /// lacks (`.inf`, `.nan`) become null.
    pub fn into_json(self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(b),
            Value::Int(i) => J::from(i),
            Value::Float(f) => serde_json::Number::from_f64(f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s),
            Value::Seq(items) => J::Array(items.into_iter().map(Node::into_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .into_iter()
                    .map(|e| (e.key, e.value.into_json()))
                    .collect(),
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub message: String,
    pub span: Span,
}

impl Node {
    pub fn kind(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    pub fn entries(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(e) => Some(e),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries()?
            .iter()
            .find(|e| e.key == key)
            .map(|e| &e.value)
    }

    /// The value as JSON, consuming the tree (no string is copied).
    pub fn into_json(self) -> serde_json::Value {
        self.value.into_json()
    }

    /// The value as JSON, leaving the tree as it is.
    pub fn to_json(&self) -> serde_json::Value {
        self.clone().into_json()
    }
}

/// Parses a stream that must hold exactly one document (a spec or a profile).
/// An empty stream gives a `Null` node.
pub fn parse_one(text: &str, source: SourceId) -> Result<Node, YamlError> {
    let mut docs = parse_stream(text, source)?;
    match docs.len() {
        0 => Ok(Node {
            value: Value::Null,
            span: point(source, Pos { line: 1, col: 1 }),
        }),
        1 => Ok(docs.remove(0)),
        _ => Err(YamlError {
            message: "expected one YAML document, found several (separated by `---`)".into(),
            span: docs[1].span,
        }),
    }
}

/// Parses every document of a stream.
pub fn parse_stream(text: &str, source: SourceId) -> Result<Vec<Node>, YamlError> {
    let mut b = Builder {
        source,
        stack: Vec::new(),
        anchors: HashMap::new(),
        docs: Vec::new(),
        nodes: 0,
        max_nodes: MAX_NODES.max(text.len()),
    };
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| YamlError {
            message: e.info().to_string(),
            span: point(
                source,
                Pos {
                    line: e.marker().line(),
                    col: e.marker().col() + 1,
                },
            ),
        })?;
        b.event(event, span)?;
    }
    Ok(b.docs)
}

/// The documents of a stream that are not empty or null, as JSON.
pub fn json_documents(text: &str, source: SourceId) -> Result<Vec<serde_json::Value>, YamlError> {
    Ok(parse_stream(text, source)?
        .into_iter()
        .filter(|node| !matches!(node.value, Value::Null))
        .map(Node::into_json)
        .collect())
}

fn point(source: SourceId, p: Pos) -> Span {
    Span {
        source,
        start: p,
        end: p,
    }
}

enum Frame {
    Seq {
        span: Span,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        span: Span,
        anchor: usize,
        entries: Vec<Entry>,
        key: Option<(String, Span)>,
        /// Key -> entry index, built once a mapping is large enough that
        /// scanning its entries for duplicates would be quadratic.
        index: Option<HashMap<String, usize>>,
    },
}

struct Builder {
    source: SourceId,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    docs: Vec<Node>,
    nodes: usize,
    max_nodes: usize,
}

impl Builder {
    fn span(&self, raw: RawSpan) -> Span {
        let pos = |m: saphyr_parser::Marker| Pos {
            line: m.line(),
            col: m.col() + 1,
        };
        Span {
            source: self.source,
            start: pos(raw.start),
            end: pos(raw.end),
        }
    }

    fn count(&mut self, n: usize, span: Span) -> Result<(), YamlError> {
        self.nodes += n;
        if self.nodes > self.max_nodes {
            return Err(YamlError {
                message: format!(
                    "document too large: more than {} values (after expanding aliases)",
                    self.max_nodes
                ),
                span,
            });
        }
        Ok(())
    }

    fn event(&mut self, event: Event<'_>, raw: RawSpan) -> Result<(), YamlError> {
        let span = self.span(raw);
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, span)?;
                let plain = style == ScalarStyle::Plain;
                let value = match tag.as_deref() {
                    Some(t) if t.suffix == "str" => Value::Str(text.into_owned()),
                    _ if !plain => Value::Str(text.into_owned()),
                    _ => resolve_plain(&text).map_err(|message| YamlError { message, span })?,
                };
                self.push(Node { value, span }, anchor)
            }
            Event::Alias(id) => {
                let node = self.anchors.get(&id).cloned().ok_or_else(|| YamlError {
                    message: "alias refers to an unknown anchor".into(),
                    span,
                })?;
                self.count(size(&node), span)?;
                self.push(node, 0)
            }
            Event::SequenceStart(anchor, _) => {
                self.open(span)?;
                self.stack.push(Frame::Seq {
                    span,
                    anchor,
                    items: Vec::new(),
                });
                Ok(())
            }
            Event::MappingStart(anchor, _) => {
                self.open(span)?;
                self.stack.push(Frame::Map {
                    span,
                    anchor,
                    entries: Vec::new(),
                    key: None,
                    index: None,
                });
                Ok(())
            }
            Event::SequenceEnd => match self.stack.pop() {
                Some(Frame::Seq {
                    span: s,
                    anchor,
                    items,
                }) => self.push(
                    Node {
                        value: Value::Seq(items),
                        span: s,
                    },
                    anchor,
                ),
                _ => unreachable_event(span),
            },
            Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Map {
                    span: s,
                    anchor,
                    entries,
                    ..
                }) => self.push(
                    Node {
                        value: Value::Map(entries),
                        span: s,
                    },
                    anchor,
                ),
                _ => unreachable_event(span),
            },
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd
            | Event::Nothing => Ok(()),
        }
    }

    fn open(&mut self, span: Span) -> Result<(), YamlError> {
        self.count(1, span)?;
        if self.stack.len() >= MAX_DEPTH {
            return Err(YamlError {
                message: format!("nesting deeper than {MAX_DEPTH} levels"),
                span,
            });
        }
        if let Some(Frame::Map { key: None, .. }) = self.stack.last() {
            return Err(YamlError {
                message: "a key must be a plain value, not a list or mapping".into(),
                span,
            });
        }
        Ok(())
    }

    fn push(&mut self, node: Node, anchor: usize) -> Result<(), YamlError> {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                key,
                index,
                ..
            }) => match key.take() {
                None => {
                    let Some(text) = key_text(node.value) else {
                        return Err(YamlError {
                            message: "a key must be a plain value, not a list or mapping".into(),
                            span: node.span,
                        });
                    };
                    const SCAN: usize = 16;
                    let first = if entries.len() < SCAN {
                        entries.iter().position(|e| e.key == text)
                    } else {
                        let index = index.get_or_insert_with(|| {
                            entries
                                .iter()
                                .enumerate()
                                .map(|(i, e)| (e.key.clone(), i))
                                .collect()
                        });
                        index.get(&text).copied()
                    };
                    if let Some(first) = first {
                        return Err(YamlError {
                            message: format!(
                                "duplicate key `{text}` (first given on line {})",
                                entries[first].key_span.start.line
                            ),
                            span: node.span,
                        });
                    }
                    *key = Some((text, node.span));
                }
                Some((k, key_span)) => {
                    if let Some(index) = index {
                        index.insert(k.clone(), entries.len());
                    }
                    entries.push(Entry {
                        key: k,
                        key_span,
                        value: node,
                    })
                }
            },
        }
        Ok(())
    }
}

fn unreachable_event(span: Span) -> Result<(), YamlError> {
    Err(YamlError {
        message: "malformed YAML event stream".into(),
        span,
    })
}

fn size(node: &Node) -> usize {
    match &node.value {
        Value::Seq(items) => 1 + items.iter().map(size).sum::<usize>(),
        Value::Map(entries) => 1 + entries.iter().map(|e| 1 + size(&e.value)).sum::<usize>(),
        _ => 1,
    }
}

/// A scalar key as the text it stands for (`1` and `"1"` are the same key);
/// `None` for a list or mapping.
pub(crate) fn key_text(value: Value) -> Option<String> {
    Some(match value {
        Value::Str(s) => s,
        Value::Int(i) => i.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Null => String::new(),
        Value::Seq(_) | Value::Map(_) => return None,
    })
}

/// A plain scalar as JSON, resolved with the core schema.
pub(crate) fn plain_json(text: &str) -> Result<serde_json::Value, String> {
    resolve_plain(text).map(Value::into_json)
}

/// YAML 1.2 core schema resolution of a plain scalar.
pub(crate) fn resolve_plain(text: &str) -> Result<Value, String> {
    // Most scalars are words; only these letters start a null or a boolean.
    if let Some(first) = text.bytes().next()
        && first.is_ascii_alphabetic()
        && !b"nNtTfF".contains(&first)
    {
        return Ok(Value::Str(text.to_string()));
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        "true" | "True" | "TRUE" => return Ok(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Value::Bool(false)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Ok(Value::Float(f64::INFINITY));
        }
        "-.inf" | "-.Inf" | "-.INF" => return Ok(Value::Float(f64::NEG_INFINITY)),
        ".nan" | ".NaN" | ".NAN" => return Ok(Value::Float(f64::NAN)),
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse::<i64>()
            .map(Value::Int)
            .map_err(|_| format!("integer `{text}` is out of range"));
    }
    if let Some(hex) = text.strip_prefix("0x")
        && !hex.is_empty()
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return i64::from_str_radix(hex, 16)
            .map(Value::Int)
            .map_err(|_| format!("integer `{text}` is out of range"));
    }
    if let Some(oct) = text.strip_prefix("0o")
        && !oct.is_empty()
        && oct.bytes().all(|b| (b'0'..=b'7').contains(&b))
    {
        return i64::from_str_radix(oct, 8)
            .map(Value::Int)
            .map_err(|_| format!("integer `{text}` is out of range"));
    }
    if is_float(digits) {
        return text
            .parse::<f64>()
            .map(Value::Float)
            .map_err(|_| format!("number `{text}` is out of range"));
    }
    Ok(Value::Str(text.to_string()))
}

/// `[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?` or `\.[0-9]+(...)?`, sign already stripped.
fn is_float(s: &str) -> bool {
    let (mantissa, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = all_digits(int)
        && frac.is_none_or(all_digits)
        && (!int.is_empty() || frac.is_some_and(|f| !f.is_empty()));
    let exp_ok = exp.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    mantissa_ok && exp_ok && (frac.is_some() || exp.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Node {
        parse_one(text, SourceId(0)).unwrap()
    }

    #[test]
    fn resolves_core_schema_scalars() {
        let n = one("a: 1\nb: yes\nc: true\nd: '3'\ne: 1.5\nf: ~\ng: 0x1f\n");
        let get = |k| n.get(k).unwrap().value.clone();
        assert_eq!(get("a"), Value::Int(1));
        assert_eq!(get("b"), Value::Str("yes".into()));
        assert_eq!(get("c"), Value::Bool(true));
        assert_eq!(get("d"), Value::Str("3".into()));
        assert_eq!(get("e"), Value::Float(1.5));
        assert_eq!(get("f"), Value::Null);
        assert_eq!(get("g"), Value::Int(31));
    }

    #[test]
    fn records_positions() {
        let n = one("name: demo\nkafka:\n  brokers: 3\n");
        let kafka = n.get("kafka").unwrap();
        let e = &kafka.entries().unwrap()[0];
        assert_eq!(e.key_span.start, Pos { line: 3, col: 3 });
        assert_eq!(e.value.span.start, Pos { line: 3, col: 12 });
    }

    #[test]
    fn rejects_duplicate_keys() {
        let e = parse_one("a: 1\nb: 2\na: 3\n", SourceId(0)).unwrap_err();
        assert!(e.message.contains("duplicate key `a`"), "{}", e.message);
        assert_eq!(e.span.start.line, 3);
    }

    #[test]
    fn stops_alias_bombs() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            text += &format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            );
        }
        let e = parse_one(&text, SourceId(0)).unwrap_err();
        assert!(e.message.contains("too large"), "{}", e.message);
    }

    #[test]
    fn rejects_overflowing_integers() {
        let e = parse_one("a: 99999999999999999999\n", SourceId(0)).unwrap_err();
        assert!(e.message.contains("out of range"));
    }

    #[test]
    fn stops_deep_nesting() {
        let text = "[".repeat(1000) + &"]".repeat(1000);
        let e = parse_one(&text, SourceId(0)).unwrap_err();
        assert!(
            e.message.contains("nesting") || e.message.contains("recursion"),
            "{}",
            e.message
        );
        let text = "a:\n".to_string()
            + &(1..80)
                .map(|i| format!("{}b{i}:\n", " ".repeat(i)))
                .collect::<String>();
        let e = parse_one(&text, SourceId(0)).unwrap_err();
        assert!(
            e.message.contains("nesting") || e.message.contains("recursion"),
            "{}",
            e.message
        );
    }
}
