//! With TLS on the KRaft quorum, the nodes that must restart to present a
//! renewed certificate there restart by themselves, one at a time
//! (src/model/quorum_restart.rs): who restarts, in which order, and what
//! the NetworkPolicies let them read of each other.

mod common;

use common::{find, items, kafkagen, ok, workdir};
use serde_json::Value;

fn render(name: &str, sets: &[&str]) -> Vec<Value> {
    let dir = workdir(name, &[]);
    let mut args = vec!["render", "--profile", "production-kraft", "-o", "json"];
    for s in sets {
        args.extend(["--set", s]);
    }
    items(&ok(&kafkagen(&dir, &args)))
}

fn command(items: &[Value], statefulset: &str) -> String {
    find(items, "StatefulSet", statefulset)["spec"]["template"]["spec"]["containers"][0]["command"]
        [2]
    .as_str()
    .unwrap()
    .to_string()
}

fn order(items: &[Value], config_map: &str) -> Option<String> {
    find(items, "ConfigMap", config_map)["data"]["quorum-restart"]
        .as_str()
        .map(str::to_string)
}

/// The ports of the ingress rules of a policy that admit `component`'s pods.
fn ports_from(items: &[Value], policy: &str, component: &str) -> Vec<u64> {
    find(items, "NetworkPolicy", policy)["spec"]["ingress"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["from"].as_array().is_some_and(|f| {
                f.iter().any(|p| {
                    p["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == component
                })
            })
        })
        .flat_map(|r| {
            r["ports"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["port"].as_u64().unwrap())
        })
        .collect()
}

const MTLS: &str = "security.listeners.controller={tls: true, authentication: mtls}";
const TLS: &str = "security.listeners.controller={tls: true}";

#[test]
fn with_mtls_on_the_quorum_every_node_restarts_controllers_first() {
    let items = render("restart-mtls", &[MTLS]);
    for set in ["demo-controller", "demo-kafka"] {
        assert!(command(&items, set).contains("quorum_restart &"), "{set}");
    }
    let order = order(&items, "demo-controller-pods").unwrap();
    let lines: Vec<&str> = order.lines().collect();
    assert_eq!(lines.len(), 6, "{order}");
    assert!(
        lines[..3]
            .iter()
            .all(|l| l.ends_with(" controller restarts")),
        "{order}"
    );
    assert!(
        lines[3..].iter().all(|l| l.ends_with(" broker restarts")),
        "{order}"
    );
    assert_eq!(
        lines[0],
        "demo-controller-0.demo-controller-headless.kafka.svc.cluster.local controller restarts"
    );
    // Every node reads the same order.
    assert_eq!(
        self::order(&items, "demo-kafka-pods").as_deref(),
        Some(order.as_str())
    );
    // Each node reads every other's exporter.
    assert!(ports_from(&items, "demo-controller", "broker").contains(&9404));
    assert!(ports_from(&items, "demo-controller", "controller").contains(&9404));
    assert!(ports_from(&items, "demo-kafka", "controller").contains(&9404));
    assert!(ports_from(&items, "demo-kafka", "broker").contains(&9404));
}

#[test]
fn with_tls_alone_only_the_controllers_restart() {
    let items = render("restart-tls", &[TLS]);
    assert!(command(&items, "demo-controller").contains("quorum_restart &"));
    // Brokers present no certificate on the quorum.
    assert!(!command(&items, "demo-kafka").contains("quorum_restart"));
    let order = order(&items, "demo-kafka-pods").unwrap();
    assert_eq!(
        order
            .lines()
            .filter(|l| l.ends_with(" controller restarts"))
            .count(),
        3
    );
    assert_eq!(
        order
            .lines()
            .filter(|l| l.ends_with(" broker stays"))
            .count(),
        3
    );
}

#[test]
fn a_plain_quorum_or_no_metrics_renders_no_restart() {
    for (name, sets) in [
        ("restart-plain", vec![]),
        ("restart-no-metrics", vec![MTLS, "metrics.enabled=false"]),
    ] {
        let items = render(name, &sets);
        for set in ["demo-controller", "demo-kafka"] {
            assert!(
                !command(&items, set).contains("quorum_restart"),
                "{name} {set}"
            );
        }
        assert_eq!(order(&items, "demo-kafka-pods"), None, "{name}");
        assert!(
            !ports_from(&items, "demo-kafka", "controller").contains(&9404),
            "{name}"
        );
    }
}

#[test]
fn combined_nodes_restart_by_ordinal() {
    let items = render("restart-combined", &[MTLS, "kraft.controllers=0"]);
    let order = order(&items, "demo-kafka-pods").unwrap();
    let pods: Vec<&str> = order
        .lines()
        .map(|l| l.split('.').next().unwrap())
        .collect();
    assert_eq!(pods, ["demo-kafka-0", "demo-kafka-1", "demo-kafka-2"]);
    assert!(order.lines().all(|l| l.ends_with(" combined restarts")));
}

#[test]
fn without_metrics_validate_says_nothing_restarts_by_itself() {
    let dir = workdir("restart-warning", &[]);
    let warned = |sets: &[&str]| {
        let mut args = vec!["render", "--profile", "production-kraft"];
        for s in sets {
            args.extend(["--set", s]);
        }
        let out = kafkagen(&dir, &args);
        assert!(out.status.success());
        common::text(&out.stderr).contains("will not restart by themselves")
    };
    assert!(warned(&[TLS, "metrics.enabled=false"]));
    assert!(!warned(&[TLS]));
    assert!(!warned(&["metrics.enabled=false"]));
}
