//! The topics Job's script, run by bash as the container runs it, against
//! stand-ins for the image's tools that refuse what the real ones refuse
//! (an empty topic name, a partition count that is not a number). The live
//! boot (`cargo xtask live`) runs the same script against the real tools.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

mod common;
use common::*;

/// Stands in for `kafka-topics`: checks its arguments as TopicCommand does
/// and records every topic it was asked to create, one per line.
const FAKE_TOPICS: &str = r#"#!/bin/bash
set -u
topic=; partitions=; replicas=; create=; bootstrap=; configs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bootstrap-server) bootstrap="$2"; shift 2 ;;
    --command-config) [ -r "$2" ] || { echo "NoSuchFileException: $2" >&2; exit 1; }; shift 2 ;;
    --create) create=1; shift ;;
    --if-not-exists) shift ;;
    --topic) topic="$2"; shift 2 ;;
    --partitions) partitions="$2"; shift 2 ;;
    --replication-factor) replicas="$2"; shift 2 ;;
    --config) configs+=("$2"); shift 2 ;;
    *) echo "fake kafka-topics: unrecognized option $1" >&2; exit 1 ;;
  esac
done
[ -n "$bootstrap" ] || { echo "Missing required argument \"[bootstrap-server]\"" >&2; exit 1; }
[ -n "$create" ] || { echo "only --create is faked" >&2; exit 1; }
[ -n "$topic" ] || { echo "Topic name is illegal, it can't be empty" >&2; exit 1; }
[[ "$topic" =~ ^[a-zA-Z0-9._-]{1,249}$ ]] || { echo "Topic name \"$topic\" is illegal" >&2; exit 1; }
[[ "$partitions" =~ ^[1-9][0-9]*$ ]] || { echo "Cannot parse argument '$partitions' of option partitions" >&2; exit 1; }
[[ "$replicas" =~ ^[1-9][0-9]*$ ]] || { echo "Cannot parse argument '$replicas' of option replication-factor" >&2; exit 1; }
for kv in ${configs[@]+"${configs[@]}"}; do
  [[ "$kv" == ?*=?* ]] || { echo "Invalid topic config: $kv" >&2; exit 1; }
done
echo "$topic $partitions $replicas ${configs[*]+${configs[*]}}" >> "$FAKE_LOG"
"#;

/// Stands in for `kafka-broker-api-versions`: one `(id: N` line per broker.
const FAKE_API_VERSIONS: &str = r#"#!/bin/bash
[ "$3" = --command-config ] && [ -r "$4" ] || { echo "no readable --command-config" >&2; exit 1; }
for i in $(seq 0 $((FAKE_BROKERS - 1))); do
  echo "broker-$i:9092 (id: $i rack: null) -> ("
done
"#;

/// Stands in for `kafka-configs --alter --entity-type users`: checks its
/// arguments as ConfigCommand does and records `user password` per call.
const FAKE_CONFIGS: &str = r#"#!/bin/bash
set -u
bootstrap=; alter=; type=; name=; add=
while [ $# -gt 0 ]; do
  case "$1" in
    --bootstrap-server) bootstrap="$2"; shift 2 ;;
    --command-config) [ -r "$2" ] || { echo "NoSuchFileException: $2" >&2; exit 1; }; shift 2 ;;
    --alter) alter=1; shift ;;
    --entity-type) type="$2"; shift 2 ;;
    --entity-name) name="$2"; shift 2 ;;
    --add-config) add="$2"; shift 2 ;;
    *) echo "fake kafka-configs: unrecognized option $1" >&2; exit 1 ;;
  esac
done
[ -n "$bootstrap" ] && [ -n "$alter" ] && [ "$type" = users ] && [ -n "$name" ] || { echo "fake kafka-configs: only --alter of a user is faked" >&2; exit 1; }
[[ "$add" =~ ^SCRAM-SHA-512=\[password=([^],[]+)\]$ ]] || { echo "Invalid SCRAM config: $add" >&2; exit 1; }
echo "$name ${BASH_REMATCH[1]}" >> "$FAKE_LOG"
"#;

fn job<'a>(items: &'a [Value], component: &str) -> &'a Value {
    items
        .iter()
        .find(|i| {
            i["kind"] == "Job"
                && i["metadata"]["labels"]["app.kubernetes.io/component"] == component
        })
        .unwrap_or_else(|| panic!("a {component} Job is rendered"))
}

/// Runs the Job's container command with its rendered environment, the
/// tools replaced by the fakes; returns the exit code and the topics created.
fn run_job(dir: &Path, job: &Value, secrets: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let container = &job["spec"]["template"]["spec"]["containers"][0];
    let command: Vec<String> = container["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(command[..2], ["/bin/bash", "-c"]);
    for (name, text) in [
        ("kafka-topics", FAKE_TOPICS),
        ("kafka-broker-api-versions", FAKE_API_VERSIONS),
        ("kafka-configs", FAKE_CONFIGS),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let log = dir.join("created");
    let _ = std::fs::remove_file(&log);
    let mut cmd = Command::new("bash");
    cmd.arg("-c").arg(&command[2]).env_clear();
    for e in container["env"].as_array().unwrap() {
        cmd.env(e["name"].as_str().unwrap(), e["value"].as_str().unwrap());
    }
    // The projected Secret files, as the kubelet would write them, from
    // `secrets` (Secret name -> the value of its one key).
    let passwords = dir.join("passwords");
    let _ = std::fs::remove_dir_all(&passwords);
    std::fs::create_dir_all(&passwords).unwrap();
    for v in job["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .unwrap()
    {
        for source in v["projected"]["sources"].as_array().into_iter().flatten() {
            let secret = source["secret"]["name"].as_str().unwrap();
            let value = secrets
                .iter()
                .find(|(s, _)| *s == secret)
                .map(|(_, v)| *v)
                .unwrap_or_else(|| panic!("no Secret {secret} in the test"));
            for item in source["secret"]["items"].as_array().unwrap() {
                std::fs::write(passwords.join(item["path"].as_str().unwrap()), value).unwrap();
            }
        }
    }
    cmd.env("PASSWORDS", &passwords);
    let out = cmd
        .env("PATH", format!("{}:/usr/bin:/bin", dir.display()))
        .env("TOPICS_TOOL", dir.join("kafka-topics"))
        .env("API_VERSIONS", dir.join("kafka-broker-api-versions"))
        .env("CONFIGS_TOOL", dir.join("kafka-configs"))
        .env("FAKE_LOG", &log)
        .env("FAKE_BROKERS", "3")
        .output()
        .unwrap();
    (
        out.status.code(),
        std::fs::read_to_string(&log).unwrap_or_default(),
        text(&out.stderr),
    )
}

#[test]
fn topics_job_creates_each_declared_topic_once_and_exits_0() {
    for (case, image) in [
        ("confluent", "confluentinc/cp-kafka:7.9.1"),
        ("apache", "apache/kafka:4.1.0"),
    ] {
        let mode = if case == "apache" {
            "kraft"
        } else {
            "zookeeper"
        };
        let spec = format!(
            "name: t\nprofile: production\nmode: {mode}\nkafka:\n  image: {image}\ntopics:\n  - name: orders\n    partitions: 12\n    config:\n      cleanup.policy: compact\n      retention.ms: 1000\n  - name: audit.log\n"
        );
        let dir = workdir(&format!("topics-job-{case}"), &[("spec.yaml", &spec)]);
        let items = items(&ok(&kafkagen(&dir, &["render", "spec.yaml", "-o", "json"])));
        let (code, created, stderr) = run_job(&dir, job(&items, "topics"), &[]);
        assert_eq!(code, Some(0), "{case}: the Job failed:\n{stderr}");
        assert_eq!(
            created, "orders 12 3 cleanup.policy=compact retention.ms=1000\naudit.log 6 3 \n",
            "{case}"
        );
    }
}

#[test]
fn users_job_sets_each_scram_credential_from_its_secret() {
    let spec = "name: t\nmode: kraft\nsecurity:\n  listeners:\n    internal: { tls: true }\n  users:\n    - name: alice\n      passwordSecret: { name: alice-pw, key: password }\n    - name: bob\n      passwordSecret: { name: bob-pw, key: password }\n    - name: carol\n      authentication: tls\n";
    let dir = workdir("users-job", &[("spec.yaml", spec)]);
    let items = items(&ok(&kafkagen(&dir, &["render", "spec.yaml", "-o", "json"])));
    let users = job(&items, "users");
    let (code, set, stderr) = run_job(
        &dir,
        users,
        &[("alice-pw", "s3cret"), ("bob-pw", "two-words")],
    );
    assert_eq!(code, Some(0), "the Job failed:\n{stderr}");
    // carol has a certificate, not a password.
    assert_eq!(set, "alice s3cret\nbob two-words\n");
    // A password kafka-configs cannot take: the Job says whose, and fails.
    let (code, _, stderr) = run_job(&dir, users, &[("alice-pw", "s3cret"), ("bob-pw", "a,b")]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("the password of user bob"), "{stderr}");
}
