//! `check --against LIVE --steps DIR` writes a change that needs steps as
//! ordered renders: each safe in one roll from the one before (what
//! `check` itself says of them, exit 3), the last the render itself, and a
//! README line per step. Changes it cannot make safe write nothing.

mod common;
use common::*;
use std::path::Path;

/// Commits the render of `before`, then writes the steps to `after`:
/// (exit code, stderr, the work directory).
fn steps(name: &str, before: &str, after: &str) -> (Option<i32>, String, std::path::PathBuf) {
    steps_beside(name, before, after, &[])
}

/// `steps` in a work directory that also holds `files`.
fn steps_beside(
    name: &str,
    before: &str,
    after: &str,
    files: &[(&str, &str)],
) -> (Option<i32>, String, std::path::PathBuf) {
    let mut all = vec![("before.yaml", before), ("after.yaml", after)];
    all.extend_from_slice(files);
    let dir = workdir(name, &all);
    ok(&kafkagen(
        &dir,
        &["render", "before.yaml", "--out-dir", "committed"],
    ));
    let out = kafkagen(
        &dir,
        &[
            "check",
            "after.yaml",
            "--against",
            "committed",
            "--steps",
            "steps",
        ],
    );
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    (out.status.code(), text(&out.stderr), dir)
}

/// The step directories, in order.
fn step_dirs(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("steps"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The last step is the render of `after.yaml`: `check` finds no drift.
fn last_is_the_render(dir: &Path, steps: &[String]) {
    let last = format!("steps/{}", steps.last().unwrap());
    let out = kafkagen(dir, &["check", "after.yaml", "--against", &last]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join("steps").join(file)).unwrap()
}

#[test]
fn inter_broker_tls_is_two_renders() {
    let open = "name: p\nprofile: production\nsecurity:\n  listeners:\n    interBroker: {tls: false, authentication: none}\n";
    let closed = "name: p\nprofile: production\n";
    let (code, err, dir) = steps("steps-inter-broker-tls", open, closed);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        step_dirs(&dir),
        ["1-add-replication-listener", "2-replicate-on-replication"]
    );
    last_is_the_render(&dir, &step_dirs(&dir));
    let readme = read(&dir, "README.md");
    assert!(
        readme.contains(
            "1. `1-add-replication-listener`: every broker gets the REPLICATION listener"
        ),
        "{readme}"
    );
    assert!(readme.contains("no under-replicated partition"), "{readme}");
    let first = read(&dir, "1-add-replication-listener/statefulset-p-kafka.yaml");
    assert!(first.contains("REPLICATION://0.0.0.0:9091"), "{first}");
    assert!(
        first.contains("- name: KAFKA_INTER_BROKER_LISTENER_NAME\n          value: INTERNAL\n"),
        "{first}"
    );
}

#[test]
fn inter_broker_tls_off_again_is_two_renders_the_other_way() {
    let open = "name: p\nprofile: production\nsecurity:\n  listeners:\n    interBroker: {tls: false, authentication: none}\n";
    let closed = "name: p\nprofile: production\n";
    let (code, err, dir) = steps("steps-inter-broker-back", closed, open);
    assert_eq!(code, Some(0), "{err}");
    let names = step_dirs(&dir);
    assert_eq!(
        names,
        ["1-replicate-on-internal", "2-remove-replication-listener"]
    );
    last_is_the_render(&dir, &names);
    let first = read(&dir, "1-replicate-on-internal/statefulset-p-kafka.yaml");
    assert!(first.contains("REPLICATION://0.0.0.0:9091"), "{first}");
    assert!(
        first.contains("KAFKA_LISTENER_NAME_REPLICATION_SSL_CLIENT_AUTH"),
        "{first}"
    );
    assert!(
        first.contains("- name: KAFKA_INTER_BROKER_LISTENER_NAME\n          value: INTERNAL\n"),
        "{first}"
    );
}

#[test]
fn authorization_first_allows_everyone_without_acls() {
    let kraft = "name: q\nprofile: production-kraft\nsecurity:\n  listeners:\n    internal: {tls: true, authentication: mtls}\n    controller: {tls: true, authentication: mtls}\n";
    let on = format!("{kraft}  authorization: {{}}\n");
    let (code, err, dir) = steps("steps-authorization", kraft, &on);
    assert_eq!(code, Some(0), "{err}");
    let names = step_dirs(&dir);
    assert_eq!(names, ["1-authorizer-allowing-everyone", "2-authorizer"]);
    last_is_the_render(&dir, &names);
    let first = read(
        &dir,
        "1-authorizer-allowing-everyone/statefulset-q-kafka.yaml",
    );
    assert!(
        first.contains("- name: KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND\n          value: \"true\"\n"),
        "{first}"
    );
    let last = read(&dir, "2-authorizer/statefulset-q-kafka.yaml");
    assert!(
        !last.contains("KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"),
        "{last}"
    );
}

#[test]
fn a_zookeeper_upgrade_pins_the_protocol_then_raises_it() {
    let old = "name: p\nprofile: production\nkafka:\n  image: confluentinc/cp-kafka:7.8.0\n";
    let new = "name: p\nprofile: production\n";
    let (code, err, dir) = steps("steps-zk-upgrade", old, new);
    assert_eq!(code, Some(0), "{err}");
    let names = step_dirs(&dir);
    assert_eq!(names, ["1-new-image-protocol-pinned", "2-protocol-raised"]);
    last_is_the_render(&dir, &names);
    let first = read(&dir, "1-new-image-protocol-pinned/statefulset-p-kafka.yaml");
    assert!(
        first.contains("image: confluentinc/cp-kafka:7.9.1"),
        "{first}"
    );
    assert!(
        first.contains("- name: KAFKA_INTER_BROKER_PROTOCOL_VERSION\n          value: \"3.8\"\n"),
        "{first}"
    );
}

#[test]
fn a_kraft_upgrade_rolls_the_new_image_then_raises_metadata_version_with_a_job() {
    let old = "name: q\nprofile: production-kraft\nkafka:\n  image: apache/kafka:3.9.1\n";
    let new = "name: q\nprofile: production-kraft\n";
    let (code, err, dir) = steps("steps-kraft-upgrade", old, new);
    assert_eq!(code, Some(0), "{err}");
    let names = step_dirs(&dir);
    assert_eq!(names, ["1-new-image", "2-metadata-version-raised"]);
    // The first step is the render: the new image, and no Job that raises
    // metadata.version yet.
    let out = kafkagen(
        &dir,
        &["check", "after.yaml", "--against", "steps/1-new-image"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // The second adds only that Job, which raises it to the new line once
    // every broker answers.
    let jobs: Vec<String> = std::fs::read_dir(dir.join("steps/2-metadata-version-raised"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("job-q-features-"))
        .collect();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let job = read(&dir, &format!("2-metadata-version-raised/{}", jobs[0]));
    for want in [
        "image: apache/kafka:4.1.0",
        "upgrade --metadata \"$METADATA\"",
        "- name: METADATA\n          value: \"4.1\"\n",
        "- name: BROKERS\n          value: \"3\"\n",
        "- name: FEATURES_TOOL\n          value: /opt/kafka/bin/kafka-features.sh\n",
    ] {
        assert!(job.contains(want), "{want}: {job}");
    }
    let out = kafkagen(
        &dir,
        &[
            "check",
            "after.yaml",
            "--against",
            "steps/2-metadata-version-raised",
        ],
    );
    // Against the render, the last step only holds that Job more, which
    // kubectl apply leaves be.
    let report = text(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{report}");
    assert!(report.contains("0 missing, 2 extra, 0 changed"), "{report}");
    assert!(
        report.contains(jobs[0].trim_start_matches("job-").trim_end_matches(".yaml")),
        "{report}"
    );
    let readme = read(&dir, "README.md");
    assert!(readme.contains("no way back to 3.9"), "{readme}");
}

#[test]
fn controller_mtls_moves_the_quorum_to_its_tls_listener_in_three_renders() {
    let plain = "name: q\nprofile: production-kraft\n";
    let mtls = "name: q\nprofile: production-kraft\nsecurity:\n  listeners:\n    controller: {tls: true, authentication: mtls}\n";
    let (code, err, dir) = steps("steps-controller-mtls", plain, mtls);
    assert_eq!(code, Some(0), "{err}");
    let names = step_dirs(&dir);
    assert_eq!(
        names,
        [
            "1-add-quorum-listener",
            "2-reach-quorum-on-quorum-listener",
            "3-remove-controller-listener"
        ]
    );
    last_is_the_render(&dir, &names);
    let env = |step: &str, workload: &str, name: &str| -> String {
        let text = read(&dir, &format!("{step}/statefulset-q-{workload}.yaml"));
        let at = text
            .find(&format!("- name: {name}\n"))
            .unwrap_or_else(|| panic!("{step} {workload}: no {name}"));
        text[at..].lines().nth(1).unwrap().trim().to_string()
    };
    // 1: controllers bind QUORUM beside CONTROLLER, which stays first.
    let first = &names[0];
    assert_eq!(
        env(first, "controller", "KAFKA_CONTROLLER_LISTENER_NAMES"),
        "value: CONTROLLER,QUORUM"
    );
    assert_eq!(
        env(first, "controller", "KAFKA_LISTENERS"),
        "value: CONTROLLER://0.0.0.0:9093,QUORUM://0.0.0.0:9095"
    );
    assert_eq!(
        env(first, "kafka", "KAFKA_CONTROLLER_LISTENER_NAMES"),
        "value: CONTROLLER"
    );
    assert!(env(first, "kafka", "KAFKA_CONTROLLER_QUORUM_VOTERS").contains(":9093"));
    // 2: every node reaches the quorum by QUORUM, the voters at 9095;
    // controllers still bind CONTROLLER for nodes not yet rolled.
    let second = &names[1];
    assert_eq!(
        env(second, "controller", "KAFKA_CONTROLLER_LISTENER_NAMES"),
        "value: QUORUM,CONTROLLER"
    );
    assert_eq!(
        env(second, "kafka", "KAFKA_CONTROLLER_LISTENER_NAMES"),
        "value: QUORUM"
    );
    for workload in ["controller", "kafka"] {
        let voters = env(second, workload, "KAFKA_CONTROLLER_QUORUM_VOTERS");
        assert!(
            voters.contains(":9095") && !voters.contains(":9093"),
            "{voters}"
        );
    }
    let readme = read(&dir, "README.md");
    assert!(
        readme.contains("kafka-metadata-quorum.sh describe --status"),
        "{readme}"
    );
}

#[test]
fn a_safe_change_is_one_step() {
    let (code, err, dir) = steps(
        "steps-safe",
        "name: p\nprofile: production\n",
        "name: p\nprofile: production\nkafka:\n  config:\n    log.retention.hours: 100\n",
    );
    assert_eq!(code, Some(0), "{err}");
    let names = step_dirs(&dir);
    assert_eq!(names, ["1-apply"]);
    last_is_the_render(&dir, &names);
}

#[test]
fn nothing_is_written_for_what_no_steps_make_safe() {
    // Fewer brokers: unsafe (6); a StatefulSet's claims: refused (5); a
    // KRaft downgrade: unsafe.
    for (name, before, after, want) in [
        (
            "steps-fewer-brokers",
            "name: p\nprofile: production\n",
            "name: p\nprofile: production\nkafka:\n  brokers: 2\n  replicationFactor: 2\n  minInsyncReplicas: 1\n",
            6,
        ),
        (
            "steps-storage-class",
            "name: p\nprofile: production\n",
            "name: p\nprofile: production\nkafka:\n  storage:\n    class: other\n",
            5,
        ),
        (
            "steps-kraft-downgrade",
            "name: q\nprofile: production-kraft\n",
            "name: q\nprofile: production-kraft\nkafka:\n  image: apache/kafka:3.9.1\n",
            6,
        ),
    ] {
        let (code, err, dir) = steps(name, before, after);
        assert_eq!(code, Some(want), "{name}: {err}");
        assert!(err.contains("error: no steps written"), "{name}: {err}");
        assert!(!dir.join("steps").exists(), "{name} wrote steps");
    }
}

#[test]
fn steps_go_only_into_a_new_or_empty_directory_and_not_beside_update() {
    let (code, err, dir) = steps_beside(
        "steps-not-empty",
        "name: p\nprofile: production\n",
        "name: p\nprofile: production\nkafka:\n  brokers: 4\n",
        &[("steps/notes.txt", "mine\n")],
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("is not empty"), "{err}");
    assert_eq!(
        std::fs::read_dir(dir.join("steps")).unwrap().count(),
        1,
        "only notes.txt"
    );
    fails_with_usage(&kafkagen(
        &dir,
        &[
            "check",
            "after.yaml",
            "--against",
            "committed",
            "--steps",
            "s",
            "--update",
        ],
    ));
}

#[test]
fn in_sync_writes_no_steps() {
    let (code, err, dir) = steps(
        "steps-in-sync",
        "name: p\nprofile: production\n",
        "name: p\nprofile: production\n",
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("no steps to write"), "{err}");
    assert!(!dir.join("steps").exists());
}
