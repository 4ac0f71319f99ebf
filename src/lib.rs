//! kafkagen as a library: the pipeline stages, for the binary, the benches
//! and the fuzz target. `cli::run` is the whole program.
//!
//! One folder per stage, in pipeline order: `input` (spec files, profiles,
//! `--set`), `yaml` (parsing with locations, printing, reading back),
//! `cluster_spec` (the spec's types), `cluster` (the validated cluster's
//! types), `listeners` and `broker_properties` (what validation and the
//! model both derive), `validate` (the spec rules), `model`, `render`, `check` (typed round trip and cross-resource rules),
//! `emit` (printing and out-dir), `change` (committed manifests, drift,
//! change safety and steps), and `commands` (describe, init, schema).

pub mod broker_properties;
pub mod change;
pub mod check;
pub mod cli;
pub mod cluster;
pub mod cluster_spec;
pub mod commands;
pub mod diagnostic;
pub mod dns;
pub mod emit;
pub mod input;
pub mod job_input;
pub mod listeners;
pub mod model;
pub mod names;
pub mod pipeline;
pub mod render;
pub mod source;
pub mod suggest;
pub mod templates;
pub mod validate;
pub mod yaml;
