//! Spec text -> the whole pipeline (merge, validate, model, render, schema
//! round trip, cross-resource rules) -> emit. Any panic is a bug; so is an
//! accepted spec whose output does not parse back or differs on a second run.
#![no_main]

use kafkagen::emit::{self, Format};
use kafkagen::pipeline::{self, Options};
use kafkagen::source::Sources;
use libfuzzer_sys::fuzz_target;

fn render(bytes: &[u8]) -> Option<String> {
    let opts = Options::for_bytes("fuzz.yaml", bytes.to_vec());
    let mut sources = Sources::default();
    match pipeline::run(&opts, &mut sources) {
        Ok(outcome) => Some(emit::to_text(&outcome.manifests, Format::Yaml)),
        Err(failure) => {
            // Reporting must not panic either.
            let _ = kafkagen::cli::report(&failure, &sources, false);
            None
        }
    }
}

fuzz_target!(|bytes: &[u8]| {
    if let Some(text) = render(bytes) {
        let docs = kafkagen::yaml::parse_stream(&text, kafkagen::source::SourceId(0))
            .expect("emitted YAML parses back");
        assert!(!docs.is_empty());
        assert_eq!(
            render(bytes).as_deref(),
            Some(text.as_str()),
            "second render differs"
        );
    }
});
