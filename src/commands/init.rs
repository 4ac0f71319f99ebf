//! `kafkagen init`: a commented starter spec over a profile. It writes out
//! every field of the spec, in the order of the spec's types, with the
//! value the profile gives it (or the default) and the field's description
//! from the JSON Schema (`commands/schema.rs`), which comes from the same doc
//! comments: a field the types gain appears here with no change to this
//! file, and the starter renders exactly what the profile alone renders.

use crate::cluster_spec::{Mode, Spec};
use crate::yaml::emit as yaml_emit;
use serde_json::{Map, Value};

/// Comments start at this column where the line is shorter.
const COMMENT_COLUMN: usize = 30;

/// One line `key: value  # comment`, comments aligned.
fn line(out: &mut String, text: &str, comment: &str) {
    if comment.is_empty() {
        out.push_str(text);
    } else {
        // At least one space: `#` right after a value would belong to it.
        let pad = COMMENT_COLUMN.saturating_sub(text.len()).max(1);
        *out += &format!("{text}{:pad$}# {comment}", "");
    }
    out.push('\n');
}

/// A value as the YAML emitter writes it, each line indented.
fn block(v: &Value, indent: &str) -> String {
    yaml_emit::document(v)
        .lines()
        .map(|l| format!("{indent}{l}\n"))
        .collect()
}

/// A scalar as the YAML emitter writes it (quoted where YAML would misread it).
fn scalar(v: &Value) -> String {
    yaml_emit::document(v).trim_end().to_string()
}

struct Schema<'a> {
    defs: &'a Map<String, Value>,
}

impl Schema<'_> {
    /// The schema of a property with `$ref`s and `Option`'s `anyOf [T, null]`
    /// resolved, and its own description (a property's wins over its type's).
    fn resolve<'s>(&'s self, mut s: &'s Value) -> (&'s Value, Option<String>) {
        let mut description = s["description"].as_str().map(str::to_string);
        loop {
            if let Some(r) = s["$ref"].as_str() {
                s = &self.defs[r.trim_start_matches("#/$defs/")];
            } else if let Some(any) = s["anyOf"].as_array() {
                match any.iter().find(|a| a["type"] != "null") {
                    Some(inner) => s = inner,
                    None => break,
                }
            } else {
                break;
            }
            if description.is_none() {
                description = s["description"].as_str().map(str::to_string);
            }
        }
        (s, description)
    }

    /// `a | b | c` for an enumeration.
    fn choices(s: &Value) -> Option<String> {
        let values: Vec<String> = match (s["enum"].as_array(), s["oneOf"].as_array()) {
            (Some(e), _) => e
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            (_, Some(o)) => o
                .iter()
                .filter_map(|v| v["const"].as_str().map(str::to_string))
                .collect(),
            _ => return None,
        };
        (!values.is_empty()).then(|| values.join(" | "))
    }

    /// The fields of a struct's schema, with its values.
    fn fields(&self, out: &mut String, s: &Value, value: &Value, indent: usize) {
        let pad = "  ".repeat(indent);
        let Some(props) = s["properties"].as_object() else {
            return;
        };
        for (key, prop) in props {
            let (prop, description) = self.resolve(prop);
            let mut comment = description.unwrap_or_default();
            if let Some(choices) = Self::choices(prop) {
                comment = if comment.is_empty() {
                    choices
                } else {
                    format!("{} ({choices})", comment.trim_end_matches('.'))
                };
            }
            let comment = comment.lines().next().unwrap_or("").to_string();
            match value.get(key).unwrap_or(&Value::Null) {
                Value::Null => line(out, &format!("{pad}# {key}:"), &comment),
                v @ Value::Object(_) if prop["properties"].is_object() => {
                    line(out, &format!("{pad}{key}:"), &comment);
                    self.fields(out, prop, v, indent + 1);
                }
                Value::Object(m) if m.is_empty() => {
                    line(out, &format!("{pad}{key}: {{}}"), &comment)
                }
                Value::Array(a) if a.is_empty() => line(out, &format!("{pad}{key}: []"), &comment),
                v @ (Value::Object(_) | Value::Array(_)) => {
                    line(out, &format!("{pad}{key}:"), &comment);
                    out.push_str(&block(v, &format!("{pad}  ")));
                }
                v => line(out, &format!("{pad}{key}: {}", scalar(v)), &comment),
            }
        }
    }
}

/// The starter spec: `spec` is the profile merged over the defaults.
pub fn starter(profile: &str, description: &str, spec: &Spec) -> String {
    let mut out = format!(
        "# A kafkagen cluster spec over the `{profile}` profile:\n\
         #   {description}\n\
         # Every key is optional; what is left out comes from the profile, and\n\
         # `kafkagen profiles` lists the others. Before applying anything:\n\
         #   kafkagen describe cluster.yaml       pods, addresses, storage, totals\n\
         #   kafkagen render cluster.yaml | kubectl apply -f -\n\
         # Editors validate and complete this file with the JSON Schema from\n\
         # `kafkagen schema > kafkagen.schema.json` and this first line:\n\
         #   # yaml-language-server: $schema=./kafkagen.schema.json\n"
    );
    // The section of the spec's mode, with its defaults; not the other one.
    let mut spec = spec.clone();
    spec.profile = Some(profile.to_string());
    match spec.mode {
        Mode::Zookeeper => {
            spec.zookeeper.get_or_insert_with(Default::default);
            spec.kraft = None;
        }
        Mode::Kraft => {
            spec.kraft.get_or_insert_with(Default::default);
            spec.zookeeper = None;
        }
    }
    let mut value = serde_json::to_value(&spec).expect("a spec serializes");
    let other = match spec.mode {
        Mode::Zookeeper => "kraft",
        Mode::Kraft => "zookeeper",
    };
    value
        .as_object_mut()
        .expect("an object")
        .shift_remove(other);
    let schema = serde_json::to_value(schemars::schema_for!(Spec)).expect("a schema");
    let empty = Map::new();
    let s = Schema {
        defs: schema["$defs"].as_object().unwrap_or(&empty),
    };
    let mut root = schema.clone();
    if let Some(props) = root["properties"].as_object_mut() {
        props.shift_remove(other);
    }
    s.fields(&mut out, &root, &value, 0);
    out
}
