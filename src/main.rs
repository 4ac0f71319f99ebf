mod cli;
mod cluster;
mod decode;
mod diagnostic;
mod emit;
mod image;
mod input;
mod manifest;
mod merge;
mod model;
mod names;
mod overrides;
mod pipeline;
mod profile;
mod quantity;
mod render;
mod rules;
mod source;
mod spec;
mod suggest;
mod validate;
mod yaml;
mod yaml_emit;

fn main() {
    std::process::exit(cli::run());
}
