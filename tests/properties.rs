//! Property: every spec the validator accepts renders output that passed
//! every manifest check (the pipeline refuses otherwise), parses back to the
//! same objects, and is byte-identical on a second render. Specs are drawn
//! over modes, sizes, exposure, storage, topics and hostile config values.

use kafkagen::emit::{self, Format};
use kafkagen::pipeline::{self, Options};
use kafkagen::source::{SourceId, Sources};
use kafkagen::yaml::parse_stream;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};
use std::cell::Cell;

fn spec() -> impl Strategy<Value = Value> {
    let exposure = prop_oneof![
        Just(json!({"mode": "internal"})),
        (
            30000u32..32000,
            proptest::option::of("[a-z]{1,8}\\.example\\.com")
        )
            .prop_map(|(port, host)| match host {
                Some(h) => json!({"mode": "nodeport", "nodePort": port, "advertisedHost": h}),
                None => json!({"mode": "nodeport", "nodePort": port}),
            }),
        (1u32..65535, "[a-z]{1,6}").prop_map(|(port, domain)| json!({
            "mode": "loadbalancer", "port": port,
            "hostTemplate": format!("b{{id}}.{domain}.example.com"),
            "annotations": {"example.com/note": "a \"quoted\" # value\n---\n{{ x }}"},
        })),
    ];
    let config_value = prop_oneof![
        "[ -~]{0,20}".prop_map(Value::from),
        (0i64..1_000_000).prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
    ];
    let topic =
        ("[a-z][a-z0-9._-]{0,12}", proptest::option::of(1u32..8)).prop_map(|(name, partitions)| {
            match partitions {
                Some(p) => json!({"name": name, "partitions": p}),
                None => json!({"name": name}),
            }
        });
    (
        (
            "[a-z][a-z0-9-]{0,8}[a-z0-9]",
            prop_oneof![Just("zookeeper"), Just("kraft")],
            1u32..7,
            1u32..4,
            1u32..3,
            prop_oneof![Just("statefulset"), Just("deployment")],
        ),
        (
            exposure,
            any::<bool>(),
            prop_oneof![Just("1Gi"), Just("500Mi"), Just("10G")],
            prop_oneof![Just(1u32), Just(3), Just(5)],
            prop_oneof![Just(0u32), Just(1), Just(3)],
            proptest::collection::vec(topic, 0..3),
            // Broker properties of free text (Kafka's model checks the rest).
            proptest::collection::btree_map(
                prop_oneof![
                    Just("broker.rack"),
                    Just("ssl.endpoint.identification.algorithm"),
                    Just("sasl.kerberos.service.name"),
                ],
                config_value,
                0..3,
            ),
        ),
    )
        .prop_map(
            |(
                (name, mode, brokers, rf, isr, workload),
                (exposure, ephemeral, size, zk, controllers, topics, config),
            )| {
                let mut spec = json!({
                    "name": name,
                    "mode": mode,
                    "kafka": {
                        "brokers": brokers,
                        "replicationFactor": rf.min(brokers),
                        "minInsyncReplicas": isr.min(rf.min(brokers)),
                        "workload": workload,
                        "storage": {"size": size, "ephemeral": ephemeral},
                        "exposure": exposure,
                        "config": config,
                    },
                    "topics": topics,
                });
                if mode == "kraft" {
                    spec["kraft"] = json!({"controllers": controllers});
                } else {
                    spec["zookeeper"] = json!({"replicas": zk});
                }
                spec
            },
        )
}

fn render(text: &str, format: Format) -> Option<String> {
    let opts = Options::for_bytes("spec.yaml", text.as_bytes().to_vec());
    let outcome = pipeline::run(&opts, &mut Sources::default()).ok()?;
    Some(emit::to_text(&outcome.manifests, format))
}

#[test]
fn accepted_specs_render_checked_output_that_parses_back_identically() {
    let accepted = Cell::new(0u32);
    let cases = 200;
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&spec(), |spec| {
            let text = kafkagen::yaml::emit::document(&spec);
            let Some(yaml) = render(&text, Format::Yaml) else {
                return Ok(());
            };
            accepted.set(accepted.get() + 1);
            let again = render(&text, Format::Yaml);
            prop_assert_eq!(again.as_deref(), Some(yaml.as_str()));
            let json = render(&text, Format::Json).expect("accepted once, accepted twice");
            let list: Value = serde_json::from_str(&json).expect("-o json is JSON");
            let docs = parse_stream(&yaml, SourceId(0)).expect("output parses back");
            let from_yaml: Vec<Value> = docs.iter().map(|d| d.to_json()).collect();
            prop_assert_eq!(&Value::from(from_yaml), &list["items"]);
            Ok(())
        })
        .unwrap();
    eprintln!("{} of {cases} generated specs accepted", accepted.get());
    // The generator must reach the renderer, not only the validator.
    assert!(
        accepted.get() >= cases / 4,
        "only {} of {cases} generated specs were accepted",
        accepted.get()
    );
}
