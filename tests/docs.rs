//! What docs/reference.md says about the output, held to the code: the
//! apply order, and the ports the NetworkPolicies open.

use kafkagen::check::manifest::KIND_ORDER;
use kafkagen::model::listeners::{
    CONTROLLER, EXTERNAL, INTERNAL, REPLICATION, ZK_CLIENT, ZK_ELECTION, ZK_PEER,
};
use kafkagen::spec::MetricsSpec;

fn reference() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/reference.md")).unwrap()
}

/// The text from `start` to the next `end`, with lines joined by spaces.
fn between(text: &str, start: &str, end: &str) -> String {
    let from = text.find(start).unwrap_or_else(|| panic!("no `{start}`"));
    let rest = &text[from..];
    let to = rest.find(end).unwrap_or(rest.len());
    rest[..to].split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_apply_order_is_the_emitters() {
    let text = between(
        &reference(),
        "Objects come in apply order:",
        ". Within a kind",
    );
    let listed: Vec<&str> = text
        .trim_start_matches("Objects come in apply order:")
        .split(',')
        .map(str::trim)
        .collect();
    assert_eq!(listed, KIND_ORDER, "docs/reference.md, Output");
}

#[test]
fn the_network_policy_list_names_every_port_a_policy_opens() {
    let text = between(&reference(), "- **NetworkPolicy**", "- **Resources:**");
    let metrics = u16::try_from(MetricsSpec::default().port).unwrap();
    for port in [
        ZK_CLIENT.port,
        ZK_PEER.port,
        ZK_ELECTION.port,
        CONTROLLER.port,
        INTERNAL.port,
        REPLICATION.port,
        EXTERNAL.port,
        metrics,
    ] {
        assert!(
            text.contains(&port.to_string()),
            "docs/reference.md, NetworkPolicy: port {port} is not named: {text}"
        );
    }
    for job in ["topics", "users", "ACLs", "reload CronJob"] {
        assert!(
            text.contains(job),
            "docs/reference.md, NetworkPolicy: no {job}"
        );
    }
}
