//! `check` says what applying a change does: the pods that roll, the
//! changes Kubernetes refuses (with the steps that work), and the changes
//! unsafe for Kafka, with distinct exit codes (1 safe, 3 refused, 4 unsafe).

mod common;
use common::*;

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
    assert_eq!(code, Some(1), "{out}");
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
    assert_eq!(code, Some(1), "{out}");
    assert!(!out.contains("unsafe"), "{out}");
}

#[test]
fn fewer_brokers_are_unsafe() {
    let before = format!("{PROD}kafka:\n  brokers: 4\n");
    let (code, out, _) = plan("fewer-brokers", &before, PROD);
    assert_eq!(code, Some(4), "{out}");
    assert!(out.contains("stops p-kafka-3"), "{out}");
    assert!(out.contains("unsafe for Kafka"), "{out}");
    assert!(out.contains("kafka-reassign-partitions"), "{out}");
}

#[test]
fn growing_a_combined_kraft_cluster_changes_the_voters_and_is_unsafe() {
    let before = "name: c\nmode: kraft\nkraft:\n  controllers: 0\nkafka:\n  brokers: 3\n  replicationFactor: 3\n";
    let after = "name: c\nmode: kraft\nkraft:\n  controllers: 0\nkafka:\n  brokers: 4\n  replicationFactor: 3\n";
    let (code, out, _) = plan("combined-grow", before, after);
    assert_eq!(code, Some(4), "{out}");
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
    assert_eq!(code, Some(4), "{out}");
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
    assert_eq!(code, Some(3), "{out}");
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
    assert_eq!(code, Some(4), "{out}");
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
    assert_eq!(code, Some(1), "{out}");
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
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("rolls p-kafka-2, p-kafka-1, p-kafka-0"),
        "{out}"
    );
    assert!(!out.contains("zookeeper-2, "), "{out}");
}

#[test]
fn update_writes_unsafe_changes_only_when_asked() {
    let before = format!("{PROD}kafka:\n  brokers: 4\n");
    let dir = workdir(
        "update-unsafe",
        &[("before.yaml", &before), ("after.yaml", PROD)],
    );
    ok(&kafkagen(
        &dir,
        &["render", "before.yaml", "--out-dir", "committed"],
    ));
    let out = kafkagen(
        &dir,
        &["check", "after.yaml", "--against", "committed", "--update"],
    );
    assert_eq!(out.status.code(), Some(4));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("--allow-unsafe"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        dir.join("committed/service-p-kafka-3-external.yaml")
            .exists()
            || dir.join("committed/statefulset-p-kafka.yaml").exists()
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
    ok(&kafkagen(
        &dir,
        &["check", "after.yaml", "--against", "committed"],
    ));
}
