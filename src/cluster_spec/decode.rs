//! Turns a located YAML tree into typed values with serde, remembering the
//! span of every field it visits (so validation can point at any path) and
//! collecting every unknown key, with a "did you mean", instead of stopping
//! at the first.

use crate::diagnostic::Diagnostic;
use crate::source::Span;
use crate::suggest::suggest;
use crate::yaml::{Entry, Node, Value};
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;

/// Where each field path (`kafka.storage.size`, `topics[1].name`) was written.
#[derive(Debug, Default)]
pub struct Locations {
    values: HashMap<String, Span>,
    keys: HashMap<String, Span>,
}

impl Locations {
    /// The span of the value at `path`, or of its nearest written ancestor.
    pub fn value(&self, path: &str) -> Option<Span> {
        let mut p = path;
        loop {
            if let Some(s) = self.values.get(p) {
                return Some(*s);
            }
            p = parent(p)?;
        }
    }

    /// The span of the value at `path`, only if it was written.
    pub fn exact(&self, path: &str) -> Option<Span> {
        self.values.get(path).copied()
    }

    /// The span of the key of `path` if written, else of its value.
    pub fn key(&self, path: &str) -> Option<Span> {
        self.keys.get(path).copied().or_else(|| self.value(path))
    }
}

fn parent(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    let cut = path.rfind(['.', '[']).unwrap_or(0);
    Some(&path[..cut])
}

/// A decoded value, where its fields were written, and the unknown keys
/// that were skipped (errors, but no obstacle to checking the rest).
pub type Decoded<T> = (T, Locations, Vec<Diagnostic>);

/// At most this many type errors are reported from one document.
const MAX_TYPE_ERRORS: usize = 50;

/// Decodes `node` into `T`. Serde stops at the first value of the wrong
/// type, so each such value is reported, dropped, and decoding tried again:
/// every type error is returned together, with every unknown key.
pub fn decode<T: de::DeserializeOwned>(node: &Node) -> Result<Decoded<T>, Vec<Diagnostic>> {
    let mut tree = node.clone();
    let mut type_errors = Vec::new();
    loop {
        let cx = Cx::default();
        let result = T::deserialize(NodeDe {
            node: &tree,
            path: String::new(),
            trail: Vec::new(),
            cx: &cx,
        });
        let mut errors = cx.errors.into_inner();
        match result {
            Ok(value) if type_errors.is_empty() => {
                return Ok((value, cx.locations.into_inner(), errors));
            }
            Ok(_) => {
                errors.append(&mut type_errors);
                return Err(errors);
            }
            Err(e) => {
                type_errors.push(Diagnostic::error(e.message).at(e.span).help_opt(e.help));
                let removed = e.trail.is_some_and(|t| remove(&mut tree, &t));
                if !removed || type_errors.len() >= MAX_TYPE_ERRORS {
                    errors.append(&mut type_errors);
                    return Err(errors);
                }
            }
        }
    }
}

/// One step of a path into the tree.
#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    Index(usize),
}

/// Removes the value at `trail` (the map entry or list item holding it).
fn remove(node: &mut Node, trail: &[Seg]) -> bool {
    let Some((last, parents)) = trail.split_last() else {
        return false;
    };
    let mut n = node;
    for seg in parents {
        let next = match (seg, &mut n.value) {
            (Seg::Key(k), Value::Map(entries)) => entries
                .iter_mut()
                .find(|e| &e.key == k)
                .map(|e| &mut e.value),
            (Seg::Index(i), Value::Seq(items)) => items.get_mut(*i),
            _ => None,
        };
        match next {
            Some(x) => n = x,
            None => return false,
        }
    }
    match (last, &mut n.value) {
        (Seg::Key(k), Value::Map(entries)) => {
            let before = entries.len();
            entries.retain(|e| &e.key != k);
            entries.len() < before
        }
        (Seg::Index(i), Value::Seq(items)) if *i < items.len() => {
            items.remove(*i);
            true
        }
        _ => false,
    }
}

#[derive(Default)]
struct Cx {
    errors: RefCell<Vec<Diagnostic>>,
    locations: RefCell<Locations>,
}

#[derive(Debug)]
pub struct DeError {
    message: String,
    span: Option<Span>,
    help: Option<String>,
    /// Where the offending value is, so that it can be dropped and decoding retried.
    trail: Option<Vec<Seg>>,
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError {
            message: msg.to_string(),
            span: None,
            help: None,
            trail: None,
        }
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        DeError {
            message: format!("unknown value `{variant}`"),
            span: None,
            trail: None,
            help: Some(match suggest(variant, expected.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("expected one of: {}", expected.join(", ")),
            }),
        }
    }
}

impl Diagnostic {
    fn help_opt(self, help: Option<String>) -> Self {
        match help {
            Some(h) => self.help(h),
            None => self,
        }
    }
}

struct NodeDe<'a> {
    node: &'a Node,
    path: String,
    trail: Vec<Seg>,
    cx: &'a Cx,
}

impl<'a> NodeDe<'a> {
    fn child(&self, node: &'a Node, path: String, seg: Seg) -> NodeDe<'a> {
        self.cx
            .locations
            .borrow_mut()
            .values
            .insert(path.clone(), node.span);
        let mut trail = self.trail.clone();
        trail.push(seg);
        NodeDe {
            node,
            path,
            trail,
            cx: self.cx,
        }
    }

    fn field(&self) -> String {
        if self.path.is_empty() {
            "the spec".into()
        } else {
            format!("`{}`", self.path)
        }
    }

    fn type_error(&self, expected: &str) -> DeError {
        let found = match &self.node.value {
            Value::Str(s) => format!("the string \"{s}\""),
            Value::Int(i) => format!("the integer {i}"),
            Value::Bool(b) => format!("`{b}`"),
            _ => self.node.kind().to_string(),
        };
        let help = match (&self.node.value, expected) {
            (Value::Str(s), "a boolean")
                if matches!(
                    s.to_ascii_lowercase().as_str(),
                    "yes" | "no" | "on" | "off" | "y" | "n"
                ) =>
            {
                Some("write `true` or `false`".into())
            }
            (Value::Str(s), _) if expected.contains("integer") && s.parse::<f64>().is_ok() => {
                Some("remove the quotes".into())
            }
            _ => None,
        };
        DeError {
            message: format!("{} must be {expected}, found {found}", self.field()),
            span: Some(self.node.span),
            help,
            trail: Some(self.trail.clone()),
        }
    }

    /// Gives errors raised by visitors (range checks, unknown variants) this
    /// node's place and field name.
    fn locate(&self, mut e: DeError) -> DeError {
        if e.span.is_none() {
            e.span = Some(self.node.span);
            e.message = format!("{}: {}", self.field(), e.message);
            e.trail = Some(self.trail.clone());
        }
        e
    }

    fn int(&self) -> Result<i64, DeError> {
        match self.node.value {
            Value::Int(i) => Ok(i),
            _ => Err(self.type_error("an integer")),
        }
    }

    fn ranged<T: TryFrom<i64> + fmt::Display>(&self, min: T, max: T) -> Result<T, DeError> {
        let i = self.int()?;
        T::try_from(i).map_err(|_| DeError {
            message: format!("{} must be from {min} to {max}, found {i}", self.field()),
            span: Some(self.node.span),
            help: None,
            trail: Some(self.trail.clone()),
        })
    }

    fn entries(&self) -> Result<&'a [Entry], DeError> {
        match &self.node.value {
            Value::Map(e) => Ok(e),
            Value::Null => Ok(&[]),
            _ => Err(self.type_error("a mapping")),
        }
    }
}

macro_rules! ranged_int {
    ($($method:ident $t:ty => $visit:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
            let n = self.ranged::<$t>(<$t>::MIN, <$t>::MAX)?;
            v.$visit(n.into()).map_err(|e| self.locate(e))
        }
    )*};
}

impl<'de, 'a> de::Deserializer<'de> for NodeDe<'a> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let r = match &self.node.value {
            Value::Null => v.visit_none(),
            Value::Bool(b) => v.visit_bool(*b),
            Value::Int(i) => v.visit_i64(*i),
            Value::Float(f) => v.visit_f64(*f),
            Value::Str(s) => v.visit_str(s),
            Value::Seq(_) => return self.deserialize_seq(v),
            Value::Map(_) => return self.deserialize_map(v),
        };
        r.map_err(|e| self.locate(e))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.node.value {
            Value::Bool(b) => v.visit_bool(b).map_err(|e| self.locate(e)),
            _ => Err(self.type_error("a boolean")),
        }
    }

    ranged_int!(
        deserialize_u8 u8 => visit_u64, deserialize_u16 u16 => visit_u64,
        deserialize_u32 u32 => visit_u64, deserialize_u64 u64 => visit_u64,
        deserialize_i8 i8 => visit_i64, deserialize_i16 i16 => visit_i64,
        deserialize_i32 i32 => visit_i64, deserialize_i64 i64 => visit_i64
    );

    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::Str(s) => v.visit_str(s).map_err(|e| self.locate(e)),
            _ => Err(self.type_error("a string")),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.node.value {
            Value::Null => v.visit_none(),
            _ => v.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, DeError> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let items: &[Node] = match &self.node.value {
            Value::Seq(items) => items,
            Value::Null => &[],
            _ => return Err(self.type_error("a list")),
        };
        // A visitor's own refusal (a collection where `Scalar` wants a
        // scalar) has no place yet: it is this node's.
        v.visit_seq(SeqDe {
            parent: &self,
            items: items.iter().enumerate(),
        })
        .map_err(|e| self.locate(e))
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let entries = self.entries()?;
        v.visit_map(MapDe {
            parent: &self,
            entries: entries.iter(),
            fields: None,
            value: None,
        })
        .map_err(|e| self.locate(e))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        let entries = self.entries()?;
        v.visit_map(MapDe {
            parent: &self,
            entries: entries.iter(),
            fields: Some(fields),
            value: None,
        })
        .map_err(|e| self.locate(e))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::Str(s) => v
                .visit_enum(s.as_str().into_deserializer())
                .map_err(|e| self.locate(e)),
            _ => Err(self.type_error(&format!("one of {}", variants.join(", ")))),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i128 u128 f32 f64 char bytes byte_buf unit unit_struct tuple tuple_struct identifier
    }
}

struct SeqDe<'p, 'a> {
    parent: &'p NodeDe<'a>,
    items: std::iter::Enumerate<std::slice::Iter<'a, Node>>,
}

impl<'de> de::SeqAccess<'de> for SeqDe<'_, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.items.next() {
            None => Ok(None),
            Some((i, node)) => {
                let path = format!("{}[{i}]", self.parent.path);
                seed.deserialize(self.parent.child(node, path, Seg::Index(i)))
                    .map(Some)
            }
        }
    }
}

struct MapDe<'p, 'a> {
    parent: &'p NodeDe<'a>,
    entries: std::slice::Iter<'a, Entry>,
    /// The struct's fields; `None` for free-form maps.
    fields: Option<&'static [&'static str]>,
    value: Option<&'a Entry>,
}

impl<'de> de::MapAccess<'de> for MapDe<'_, '_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        for entry in self.entries.by_ref() {
            if let Some(fields) = self.fields
                && !fields.contains(&entry.key.as_str())
            {
                self.parent.cx.errors.borrow_mut().push(unknown_key(
                    &self.parent.path,
                    entry,
                    fields,
                ));
                continue;
            }
            self.value = Some(entry);
            return seed
                .deserialize(entry.key.as_str().into_deserializer())
                .map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let entry = self
            .value
            .take()
            .expect("next_value called before next_key");
        let path = if self.parent.path.is_empty() {
            entry.key.clone()
        } else {
            format!("{}.{}", self.parent.path, entry.key)
        };
        self.parent
            .cx
            .locations
            .borrow_mut()
            .keys
            .insert(path.clone(), entry.key_span);
        seed.deserialize(
            self.parent
                .child(&entry.value, path, Seg::Key(entry.key.clone())),
        )
    }
}

fn unknown_key(parent: &str, entry: &Entry, fields: &[&str]) -> Diagnostic {
    let place = if parent.is_empty() {
        "at the top level".to_string()
    } else {
        format!("in `{parent}`")
    };
    let d = Diagnostic::error(format!("unknown field `{}` {place}", entry.key))
        .at(Some(entry.key_span))
        .label("unknown field");
    match suggest(&entry.key, fields.iter().copied()) {
        Some(s) => d.help(format!("did you mean `{s}`?")),
        None => d.help(format!("expected one of: {}", fields.join(", "))),
    }
}
