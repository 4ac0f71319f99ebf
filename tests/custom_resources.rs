//! The custom resources kafkagen types (cert-manager, Prometheus Operator)
//! pass the typed round trip as written, and a field their CRDs do not have
//! is refused, naming it, as the API server refuses it (CI applies the same
//! fixtures with the published CRDs: .ci/live).

use kafkagen::check::manifest::{self, ManifestError};
use kafkagen::render::Document;
use kafkagen::source::SourceId;
use kafkagen::yaml;

const FIXTURES: &str = include_str!("fixtures/custom-resources.yaml");

fn documents(text: &str) -> Vec<Document> {
    yaml::json_documents(text, SourceId(0))
        .expect("the fixtures are YAML")
        .into_iter()
        .map(|value| Document {
            template: "fixture".into(),
            value,
        })
        .collect()
}

#[test]
fn every_kind_passes_the_round_trip() {
    let docs = documents(FIXTURES);
    let kinds: Vec<String> = docs
        .iter()
        .map(|d| d.value["kind"].as_str().unwrap().to_string())
        .collect();
    for doc in docs {
        let name = doc.value["metadata"]["name"].clone();
        if let Err(e) = manifest::check(doc) {
            panic!("{name}: {e}");
        }
    }
    for kind in [
        "Issuer",
        "Certificate",
        "ServiceMonitor",
        "PodMonitor",
        "PrometheusRule",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "no {kind} fixture");
        assert!(
            manifest::KIND_ORDER.contains(&kind),
            "{kind} has no apply order"
        );
    }
}

/// Each fixture with a field that is not in its CRD, at the given place.
#[test]
fn an_unknown_field_is_refused() {
    let misspelt = [
        (
            "selfSigned: {}",
            "selfSigned: {}\n  selfsigned: {}",
            "selfsigned",
        ),
        (
            "  secretName: prod-kafka-tls",
            "  secretName: prod-kafka-tls\n  dnsName: x",
            "dnsName",
        ),
        (
            "    encoding: PKCS8\n    rotationPolicy",
            "    encoding: PKCS8\n    format: PEM\n    rotationPolicy",
            "format",
        ),
        (
            "      profile: Modern2023",
            "      profile: Modern2023\n      password: secret",
            "password",
        ),
        (
            "      interval: 30s\n      relabelings",
            "      interval: 30s\n      intervall: 10s\n      relabelings",
            "intervall",
        ),
        (
            "  jobLabel: app.kubernetes.io/component",
            "  jobLabel: app.kubernetes.io/component\n  joblabel: x",
            "joblabel",
        ),
        (
            "          for: 5m",
            "          for: 5m\n          severity: warning",
            "severity",
        ),
    ];
    for (from, to, field) in misspelt {
        let refused = refused_after(from, to);
        assert_eq!(refused.len(), 1, "{to}: {refused:?}");
        let message = refused[0].to_string();
        assert!(
            message.contains(&format!("unknown field `{field}`")),
            "{message}"
        );
    }
}

/// What the round trip refuses once `from` in the fixtures becomes `to`.
fn refused_after(from: &str, to: &str) -> Vec<ManifestError> {
    assert!(FIXTURES.contains(from), "{from}");
    documents(&FIXTURES.replacen(from, to, 1))
        .into_iter()
        .filter_map(|d| manifest::check(d).err())
        .collect()
}

/// A value outside the CRD's enum, refused as the API server refuses it.
#[test]
fn a_value_outside_an_enum_is_refused() {
    for (from, to) in [
        (
            "    encoding: PKCS8\n    rotationPolicy",
            "    encoding: PKCS9\n    rotationPolicy",
        ),
        ("    algorithm: RSA", "    algorithm: DSA"),
        (
            "    rotationPolicy: Always",
            "    rotationPolicy: Sometimes",
        ),
        ("      profile: Modern2023", "      profile: Modern2020"),
    ] {
        let refused = refused_after(from, to);
        assert_eq!(refused.len(), 1, "{to}: {refused:?}");
        assert!(
            refused[0].to_string().contains("unknown variant"),
            "{}",
            refused[0]
        );
    }
}
