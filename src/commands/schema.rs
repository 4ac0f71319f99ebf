//! `kafkagen schema`: the JSON Schema of the spec, generated from the same
//! types the spec is decoded into, for editors (yaml-language-server).

use crate::cluster_spec::Spec;

pub fn json_schema() -> String {
    let mut schema = schemars::schema_for!(Spec);
    schema.insert("title".into(), "kafkagen cluster spec".into());
    serde_json::to_string_pretty(&schema).expect("a schema serializes") + "\n"
}
