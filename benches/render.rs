//! The in-process pipeline (load, validate, model, render, schema round trip,
//! cross-resource rules, emit) for 3 to 3000 brokers, each with its own load
//! balancer: the largest output per broker kafkagen renders.
//! `cargo bench --bench render`; whole-process figures: `bench/run.sh`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use kafkagen::emit::{self, Format};
use kafkagen::pipeline::{self, Options};
use kafkagen::source::Sources;
use std::hint::black_box;

fn spec(brokers: u32) -> Options {
    let text = format!(
        "name: bench\nprofile: production\nkafka:\n  brokers: {brokers}\n  exposure:\n    mode: loadbalancer\n    hostTemplate: \"b{{id}}.kafka.example.com\"\n"
    );
    Options::for_bytes("bench.yaml", text.into_bytes())
}

fn render(c: &mut Criterion) {
    let mut group = c.benchmark_group("render");
    for brokers in [3u32, 30, 300, 3000] {
        let opts = spec(brokers);
        group.throughput(Throughput::Elements(u64::from(brokers)));
        if brokers >= 300 {
            group.sample_size(20);
        }
        group.bench_with_input(BenchmarkId::from_parameter(brokers), &opts, |b, opts| {
            b.iter(|| {
                let outcome = pipeline::run(opts, &mut Sources::default()).expect("renders");
                black_box(emit::to_text(&outcome.manifests, Format::Yaml))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
