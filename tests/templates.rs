//! The workload template prints every environment source and volume kind
//! of the model, including those no built-in component uses yet.

use kafkagen::model::containers::Projection;
use kafkagen::model::{EnvSource, EnvVar, Volume, VolumeSource};
use kafkagen::pipeline::{self, Options};
use kafkagen::render;
use kafkagen::source::Sources;
use serde_json::{Value, json};

#[test]
fn every_env_source_and_volume_kind_is_printed() {
    let opts = Options::for_bytes("spec.yaml", b"name: demo\n".to_vec());
    let mut model = pipeline::run(&opts, &mut Sources::default()).unwrap().model;
    let brokers = model.components.last_mut().unwrap();
    let main = brokers.containers.first_mut().unwrap();
    main.env.extend([
        EnvVar {
            name: "FROM_MAP".into(),
            source: EnvSource::ConfigMapKey {
                config_map: "m".into(),
                key: "k".into(),
            },
        },
        EnvVar {
            name: "FROM_SECRET".into(),
            source: EnvSource::SecretKey {
                secret: "s".into(),
                key: "k".into(),
            },
        },
    ]);
    brokers.volumes.extend([
        Volume::new(
            "certs",
            VolumeSource::Secret {
                secret: "s".into(),
                items: vec!["ca.crt".into()],
            },
        ),
        Volume::new(
            "both",
            VolumeSource::Projected {
                sources: vec![
                    Projection::ConfigMap {
                        config_map: "m".into(),
                    },
                    Projection::Secret { secret: "s".into() },
                ],
            },
        ),
    ]);
    let docs = render::render(&model, None).unwrap();
    let workload = docs
        .iter()
        .map(|d| &d.value)
        .find(|v| v["kind"] == "StatefulSet" && v["metadata"]["name"] == "demo-kafka")
        .unwrap();
    let pod = &workload["spec"]["template"]["spec"];
    let env = pod["containers"][0]["env"].as_array().unwrap();
    let var = |name: &str| env.iter().find(|e| e["name"] == name).cloned();
    assert_eq!(
        var("FROM_MAP"),
        Some(
            json!({"name": "FROM_MAP", "valueFrom": {"configMapKeyRef": {"name": "m", "key": "k"}}})
        )
    );
    assert_eq!(
        var("FROM_SECRET"),
        Some(
            json!({"name": "FROM_SECRET", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}})
        )
    );
    let volumes: &Vec<Value> = pod["volumes"].as_array().unwrap();
    let volume = |name: &str| volumes.iter().find(|v| v["name"] == name).cloned();
    assert_eq!(
        volume("certs"),
        Some(
            json!({"name": "certs", "secret": {"secretName": "s", "items": [{"key": "ca.crt", "path": "ca.crt"}]}})
        )
    );
    assert_eq!(
        volume("both"),
        Some(json!({"name": "both", "projected": {"sources": [
            {"configMap": {"name": "m"}},
            {"secret": {"name": "s"}},
        ]}}))
    );
}
