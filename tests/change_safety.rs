//! `check` says what applying a change does: the pods that roll, the
//! clients a change breaks, the changes that need ordered steps, the
//! changes Kubernetes refuses (with the steps that work), and the changes
//! unsafe for Kafka, with distinct exit codes (0 in sync, 1 error, 3 safe in
//! one roll, 4 needs steps, 5 refused, 6 unsafe).

mod common;
use common::*;
use std::collections::BTreeMap;

/// Commits the render of `before`, then checks `after` against it.
fn plan(name: &str, before: &str, after: &str) -> (Option<i32>, String, String) {
    let dir = workdir(name, &[("before.yaml", before), ("after.yaml", after)]);
    ok(&kafkagen(
        &dir,
        &["render", "before.yaml", "--out-dir", "committed"],
    ));
    let out = kafkagen(&dir, &["check", "after.yaml", "--against", "committed"]);
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

const PROD: &str = "name: p\nprofile: production\n";
const KRAFT: &str = "name: q\nprofile: production-kraft\n";

#[test]
fn more_brokers_start_new_pods_and_roll_none() {
    let (code, out, _) = plan(
        "more-brokers",
        PROD,
        &format!("{PROD}kafka:\n  brokers: 4\n"),
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("starts p-kafka-3 (StatefulSet kafka/p-kafka)"),
        "{out}"
    );
    assert!(!out.contains("rolls"), "{out}");
    // With dedicated controllers, the voters stay as they are.
    let (code, out, _) = plan(
        "more-brokers-kraft",
        KRAFT,
        &format!("{KRAFT}kafka:\n  brokers: 4\n"),
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(!out.contains("unsafe"), "{out}");
}

#[test]
fn fewer_brokers_are_unsafe() {
    let before = format!("{PROD}kafka:\n  brokers: 4\n");
    let (code, out, _) = plan("fewer-brokers", &before, PROD);
    assert_eq!(code, Some(6), "{out}");
    assert!(out.contains("stops p-kafka-3"), "{out}");
    assert!(out.contains("unsafe for Kafka"), "{out}");
    assert!(out.contains("kafka-reassign-partitions"), "{out}");
}

#[test]
fn growing_a_combined_kraft_cluster_changes_the_voters_and_is_unsafe() {
    let before = "name: c\nmode: kraft\nkraft:\n  controllers: 0\nkafka:\n  brokers: 3\n  replicationFactor: 3\n";
    let after = "name: c\nmode: kraft\nkraft:\n  controllers: 0\nkafka:\n  brokers: 4\n  replicationFactor: 3\n";
    let (code, out, _) = plan("combined-grow", before, after);
    assert_eq!(code, Some(6), "{out}");
    assert!(
        out.contains("KAFKA_CONTROLLER_QUORUM_VOTERS changes"),
        "{out}"
    );
    assert!(out.contains("KIP-853"), "{out}");
}

#[test]
fn more_controllers_are_unsafe() {
    let (code, out, _) = plan(
        "more-controllers",
        KRAFT,
        &format!("{KRAFT}kraft:\n  controllers: 5\n"),
    );
    assert_eq!(code, Some(6), "{out}");
    assert!(
        out.contains("KAFKA_CONTROLLER_QUORUM_VOTERS changes"),
        "{out}"
    );
    assert!(
        out.contains("starts q-controller-3, q-controller-4"),
        "{out}"
    );
}

#[test]
fn growing_storage_is_refused_by_kubernetes_with_the_steps_that_work() {
    let (code, out, _) = plan(
        "storage-grow",
        PROD,
        &format!("{PROD}kafka:\n  storage:\n    size: 200Gi\n"),
    );
    assert_eq!(code, Some(5), "{out}");
    assert!(
        out.contains("spec.volumeClaimTemplates cannot change"),
        "{out}"
    );
    for i in 0..3 {
        assert!(
            out.contains(&format!("patch pvc data-p-kafka-{i}")),
            "{out}"
        );
    }
    assert!(out.contains("--cascade=orphan"), "{out}");
    // Shrinking is not possible at all.
    let (code, out, _) = plan(
        "storage-shrink",
        PROD,
        &format!("{PROD}kafka:\n  storage:\n    size: 50Gi\n"),
    );
    assert_eq!(code, Some(6), "{out}");
    assert!(out.contains("claims shrink from 100Gi to 50Gi"), "{out}");
}

#[test]
fn a_new_listener_port_or_image_rolls_the_pods_in_order() {
    let np = "name: n\nprofile: minikube\nkafka:\n  brokers: 3\n  replicationFactor: 3\n";
    let (code, out, _) = plan(
        "listener-port",
        np,
        &format!("{np}  exposure:\n    nodePort: 31000\n"),
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains(
            "rolls n-kafka-2, n-kafka-1, n-kafka-0 (StatefulSet kafka/n-kafka), one at a time"
        ),
        "{out}"
    );
    let (code, out, _) = plan(
        "image-tag",
        PROD,
        &format!("{PROD}kafka:\n  image: confluentinc/cp-kafka:7.9.2\n"),
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(
        out.contains("rolls p-kafka-2, p-kafka-1, p-kafka-0"),
        "{out}"
    );
    assert!(!out.contains("zookeeper-2, "), "{out}");
    // A patch within one Kafka line is one roll.
    assert!(out.contains("the same Kafka line 3.9, one roll"), "{out}");
}

/// Every file under `dir`, with its bytes.
fn snapshot(dir: &std::path::Path) -> BTreeMap<std::path::PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        files.insert(path.clone(), std::fs::read(&path).unwrap());
    }
    files
}

/// `check --update` without `--allow-unsafe` refuses, with `code`, and
/// leaves every committed file byte for byte as it was; with it, writes.
fn update_refuses_then_writes(name: &str, before: &str, after: &str, code: i32) {
    let dir = workdir(name, &[("before.yaml", before), ("after.yaml", after)]);
    ok(&kafkagen(
        &dir,
        &["render", "before.yaml", "--out-dir", "committed"],
    ));
    let committed = snapshot(&dir.join("committed"));
    let out = kafkagen(
        &dir,
        &["check", "after.yaml", "--against", "committed", "--update"],
    );
    assert_eq!(out.status.code(), Some(code), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("--allow-unsafe"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        snapshot(&dir.join("committed")) == committed,
        "a refused --update wrote to committed/"
    );
    let out = kafkagen(
        &dir,
        &[
            "check",
            "after.yaml",
            "--against",
            "committed",
            "--update",
            "--allow-unsafe",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(snapshot(&dir.join("committed")) != committed);
    ok(&kafkagen(
        &dir,
        &["check", "after.yaml", "--against", "committed"],
    ));
}

#[test]
fn update_writes_unsafe_changes_only_when_asked() {
    update_refuses_then_writes(
        "update-unsafe",
        &format!("{PROD}kafka:\n  brokers: 4\n"),
        PROD,
        6,
    );
}

#[test]
fn update_writes_changes_that_need_steps_only_when_asked() {
    update_refuses_then_writes("update-steps", INTER_BROKER_OPEN, PROD, 4);
}

#[test]
fn in_sync_exits_0_and_an_invalid_spec_exits_1() {
    let (code, out, err) = plan("in-sync", PROD, PROD);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("no drift"), "{err}");
    let (code, out, err) = plan(
        "invalid-after",
        PROD,
        &format!("{PROD}kafka:\n  replicationFactr: 3\n"),
    );
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("replicationFactr"), "{err}");
}

/// The production profile with brokers replicating on the plain internal
/// listener (no REPLICATION listener).
const INTER_BROKER_OPEN: &str = "name: p\nprofile: production\nsecurity:\n  listeners:\n    interBroker: {tls: false, authentication: none}\n";

const IBL_REPLICATION: &str =
    "- name: KAFKA_INTER_BROKER_LISTENER_NAME\n          value: REPLICATION\n";
const IBL_INTERNAL: &str = "- name: KAFKA_INTER_BROKER_LISTENER_NAME\n          value: INTERNAL\n";

#[test]
fn inter_broker_tls_in_one_go_needs_steps() {
    let (code, out, _) = plan("inter-broker-one-go", INTER_BROKER_OPEN, PROD);
    assert_eq!(code, Some(4), "{out}");
    assert!(out.contains("needs steps:"), "{out}");
    assert!(
        out.contains("inter.broker.listener.name changes from INTERNAL to REPLICATION"),
        "{out}"
    );
    assert!(
        out.contains("1. add the REPLICATION listener with SSL (TLS, client certificates required) on every broker, inter.broker.listener.name staying INTERNAL (roll)"),
        "{out}"
    );
    assert!(
        out.contains(
            "2. switch inter.broker.listener.name to REPLICATION, INTERNAL staying as it is (roll)"
        ),
        "{out}"
    );
    // The way back (TLS off) has the same shape, mirrored.
    let (code, out, _) = plan("inter-broker-way-back", PROD, INTER_BROKER_OPEN);
    assert_eq!(code, Some(4), "{out}");
    assert!(
        out.contains(
            "1. switch inter.broker.listener.name to INTERNAL, REPLICATION staying as it is (roll)"
        ),
        "{out}"
    );
    assert!(
        out.contains("2. remove the REPLICATION listener (roll)"),
        "{out}"
    );
}

#[test]
fn inter_broker_authentication_changed_in_place_needs_steps() {
    let (code, out, _) = plan(
        "inter-broker-in-place",
        PROD,
        "name: p\nprofile: production\nsecurity:\n  listeners:\n    interBroker: {tls: true, authentication: none}\n",
    );
    assert_eq!(code, Some(4), "{out}");
    assert!(
        out.contains("the inter-broker listener REPLICATION changes in place: SSL (TLS, client certificates required) -> SSL (TLS)"),
        "{out}"
    );
    assert!(
        out.contains("2. switch inter.broker.listener.name to it (roll)"),
        "{out}"
    );
}

#[test]
fn inter_broker_tls_in_two_steps_is_safe_each_time() {
    // Step 1 (REPLICATION with TLS on every broker, brokers still replicating
    // on INTERNAL) is no spec's render: kafkagen names REPLICATION the
    // inter-broker listener whenever it renders it. It is rendered here with
    // `--templates`, a copy of the built-in workload template that writes
    // INTERNAL into KAFKA_INTER_BROKER_LISTENER_NAME.
    let workload = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/templates/component/workload.yaml.j2"
    ))
    .unwrap();
    let plain = "              value: {{ e.value }}";
    assert!(
        workload.contains(plain),
        "the template changed: update this test"
    );
    let pinned = workload.replace(
        plain,
        "              value: {{ \"INTERNAL\" if e.name == \"KAFKA_INTER_BROKER_LISTENER_NAME\" else e.value }}",
    );
    let dir = workdir(
        "inter-broker-two-steps",
        &[
            ("before.yaml", INTER_BROKER_OPEN),
            ("after.yaml", PROD),
            ("step1/component/workload.yaml.j2", &pinned),
        ],
    );
    ok(&kafkagen(
        &dir,
        &["render", "before.yaml", "--out-dir", "committed"],
    ));
    let step1 = kafkagen(
        &dir,
        &[
            "check",
            "after.yaml",
            "--templates",
            "step1",
            "--against",
            "committed",
        ],
    );
    let out = text(&step1.stdout);
    assert_eq!(step1.status.code(), Some(3), "{out}{}", text(&step1.stderr));
    assert!(
        out.contains("rolls p-kafka-2, p-kafka-1, p-kafka-0"),
        "{out}"
    );
    assert!(!out.contains("needs steps"), "{out}");
    assert!(!out.contains("breaks clients"), "{out}");

    // Step 2: the committed manifests are step 1 (the final render with
    // INTERNAL written back into KAFKA_INTER_BROKER_LISTENER_NAME by hand);
    // the spec's own render switches to REPLICATION.
    let dir = workdir("inter-broker-step-2", &[("after.yaml", PROD)]);
    ok(&kafkagen(
        &dir,
        &["render", "after.yaml", "--out-dir", "committed"],
    ));
    let sts = dir.join("committed/statefulset-p-kafka.yaml");
    let rendered = std::fs::read_to_string(&sts).unwrap();
    assert!(rendered.contains(IBL_REPLICATION), "{rendered}");
    std::fs::write(&sts, rendered.replace(IBL_REPLICATION, IBL_INTERNAL)).unwrap();
    let step2 = kafkagen(&dir, &["check", "after.yaml", "--against", "committed"]);
    let out = text(&step2.stdout);
    assert_eq!(step2.status.code(), Some(3), "{out}");
    assert!(
        out.contains("KAFKA_INTER_BROKER_LISTENER_NAME") && !out.contains("needs steps"),
        "{out}"
    );
}

#[test]
fn controller_mtls_under_kraft_needs_steps() {
    let (code, out, _) = plan(
        "controller-mtls",
        KRAFT,
        &format!(
            "{KRAFT}security:\n  listeners:\n    controller: {{tls: true, authentication: mtls}}\n"
        ),
    );
    assert_eq!(code, Some(4), "{out}");
    let moved = "the quorum's listener changes from CONTROLLER, PLAINTEXT (no TLS) to QUORUM, SSL (TLS, client certificates required)";
    assert!(out.contains(moved), "{out}");
    assert!(out.contains("the quorum splits mid-roll"), "{out}");
    assert!(out.contains("check --steps renders them"), "{out}");
    // Once, though controllers and brokers both carry it; and the voters'
    // new port is that move, not a voter set edited by hand.
    assert_eq!(out.matches(moved).count(), 1, "{out}");
    assert!(
        !out.contains("KAFKA_CONTROLLER_QUORUM_VOTERS changes"),
        "{out}"
    );
}

#[test]
fn voters_at_another_port_of_the_same_listener_are_unsafe() {
    // The quorum's port moved without another listener to move to: rolled
    // controllers listen where unrolled ones do not look.
    let dir = workdir("voters-port", &[("spec.yaml", KRAFT)]);
    let committed = ok(&kafkagen(&dir, &["render", "spec.yaml"]));
    let moved = committed
        .replace(".svc.cluster.local:9093", ".svc.cluster.local:9193")
        .replace("CONTROLLER://0.0.0.0:9093", "CONTROLLER://0.0.0.0:9193");
    assert_ne!(moved, committed);
    std::fs::write(dir.join("moved.yaml"), &moved).unwrap();
    let out = kafkagen(&dir, &["check", "spec.yaml", "--against", "moved.yaml"]);
    let report = text(&out.stdout);
    assert_eq!(out.status.code(), Some(6), "{report}");
    assert!(
        report.contains("KAFKA_CONTROLLER_QUORUM_VOTERS changes"),
        "{report}"
    );
}

#[test]
fn a_client_listener_with_tls_is_safe_for_kafka_and_breaks_its_clients() {
    let (code, out, _) = plan(
        "client-tls",
        PROD,
        &format!(
            "{PROD}security:\n  listeners:\n    internal: {{tls: true, authentication: mtls}}\n"
        ),
    );
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("\nbreaks clients:\n"), "{out}");
    assert!(out.contains("clients of listener INTERNAL (PLAINTEXT (no TLS) -> SSL (TLS, client certificates required))"), "{out}");
    assert!(out.contains("must connect with TLS"), "{out}");
    assert!(out.contains("must present a certificate"), "{out}");
    assert!(!out.contains("needs steps"), "{out}");
}

/// KRaft with the listeners authorization needs (mTLS inside and on the
/// quorum).
const KRAFT_MTLS: &str = "name: q\nprofile: production-kraft\nsecurity:\n  listeners:\n    internal: {tls: true, authentication: mtls}\n    controller: {tls: true, authentication: mtls}\n";

#[test]
fn turning_authorization_on_needs_steps_unless_everyone_is_allowed_first() {
    let on = format!("{KRAFT_MTLS}  authorization: {{}}\n");
    let (code, out, _) = plan("authorization-on", KRAFT_MTLS, &on);
    assert_eq!(code, Some(4), "{out}");
    assert!(
        out.contains(
            "authorization turns on (org.apache.kafka.metadata.authorizer.StandardAuthorizer)"
        ),
        "{out}"
    );
    assert!(
        out.contains("clients without ACLs are refused the moment a broker rolls"),
        "{out}"
    );
    assert!(out.contains("allow.everyone.if.no.acl.found"), "{out}");
    // kafkagen lets kafka.config set it, and it reaches the brokers' env.
    let open = format!("{on}kafka:\n  config:\n    allow.everyone.if.no.acl.found: \"true\"\n");
    let (code, out, _) = plan("authorization-on-open", KRAFT_MTLS, &open);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("remove it in a later render"), "{out}");
}

#[test]
fn a_zookeeper_upgrade_needs_the_protocol_pinned_first() {
    let old = format!("{PROD}kafka:\n  image: confluentinc/cp-kafka:7.8.0\n");
    let (code, out, _) = plan("zk-upgrade", &old, PROD);
    assert_eq!(code, Some(4), "{out}");
    assert!(out.contains("Kafka 3.8 -> 3.9 in ZooKeeper mode"), "{out}");
    assert!(
        out.contains("inter.broker.protocol.version: \"3.8\""),
        "{out}"
    );
    let pinned = format!("{PROD}kafka:\n  config:\n    inter.broker.protocol.version: \"3.8\"\n");
    let (code, out, _) = plan("zk-upgrade-pinned", &old, &pinned);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("raise it to 3.9 in a later render"), "{out}");
}

#[test]
fn a_zookeeper_downgrade_is_safe_only_below_a_pinned_protocol() {
    let old = format!("{PROD}kafka:\n  image: confluentinc/cp-kafka:7.8.0\n");
    let (code, out, _) = plan("zk-downgrade", PROD, &old);
    assert_eq!(code, Some(6), "{out}");
    assert!(
        out.contains("Kafka 3.9 -> 3.8 in ZooKeeper mode is a downgrade"),
        "{out}"
    );
    let pinned = format!("{PROD}kafka:\n  config:\n    inter.broker.protocol.version: \"3.8\"\n");
    let (code, out, _) = plan("zk-downgrade-pinned", &pinned, &old);
    assert_eq!(code, Some(3), "{out}");
}

#[test]
fn a_kraft_upgrade_needs_metadata_version_raised_after_and_a_downgrade_is_unsafe() {
    let old = format!("{KRAFT}kafka:\n  image: apache/kafka:3.9.1\n");
    let (code, out, _) = plan("kraft-upgrade", &old, KRAFT);
    assert_eq!(code, Some(4), "{out}");
    assert!(out.contains("Kafka 3.9 -> 4.1 under KRaft"), "{out}");
    assert!(out.contains("upgrade --metadata 4.1"), "{out}");
    assert!(out.contains("not --release-version"), "{out}");
    let (code, out, _) = plan("kraft-downgrade", KRAFT, &old);
    assert_eq!(code, Some(6), "{out}");
    assert!(
        out.contains("Kafka 4.1 -> 3.9 under KRaft is a downgrade"),
        "{out}"
    );
    assert!(
        out.contains("metadata.version Kafka 3.9 cannot read"),
        "{out}"
    );
}

#[test]
fn an_image_without_a_readable_version_is_a_note_not_a_silent_pass() {
    let digest = format!(
        "{KRAFT}kafka:\n  image: \"apache/kafka@sha256:{}\"\n",
        "a".repeat(64)
    );
    let (code, out, _) = plan("version-unknown", KRAFT, &digest);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.contains("version unknown"), "{out}");
}
