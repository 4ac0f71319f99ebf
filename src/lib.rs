//! kafkagen as a library: the pipeline stages, for the binary, the benches
//! and the fuzz target. `cli::run` is the whole program.

pub mod cli;
pub mod cluster;
pub mod committed;
pub mod decode;
pub mod describe;
pub mod diagnostic;
pub mod drift;
pub mod emit;
pub mod image;
pub mod init;
pub mod input;
pub mod kafka_config;
pub mod logging;
pub mod manifest;
pub mod merge;
pub mod model;
pub mod names;
pub mod output;
pub mod overrides;
pub mod pipeline;
pub mod profile;
pub mod quantity;
pub mod readback;
pub mod render;
pub mod rules;
pub mod safety;
pub mod schema;
pub mod source;
pub mod spec;
pub mod suggest;
pub mod validate;
pub mod yaml;
pub mod yaml_emit;
