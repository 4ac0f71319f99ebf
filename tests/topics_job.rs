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
for i in $(seq 0 $((FAKE_BROKERS - 1))); do
  echo "broker-$i:9092 (id: $i rack: null) -> ("
done
"#;

fn job(items: &[Value]) -> &Value {
    items
        .iter()
        .find(|i| i["kind"] == "Job")
        .expect("a Job is rendered for topics")
}

/// Runs the Job's container command with its rendered environment, the
/// tools replaced by the fakes; returns the exit code and the topics created.
fn run_job(dir: &Path, job: &Value) -> (Option<i32>, String, String) {
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
    let out = cmd
        .env("PATH", format!("{}:/usr/bin:/bin", dir.display()))
        .env("TOPICS_TOOL", dir.join("kafka-topics"))
        .env("API_VERSIONS", dir.join("kafka-broker-api-versions"))
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
        let (code, created, stderr) = run_job(&dir, job(&items));
        assert_eq!(code, Some(0), "{case}: the Job failed:\n{stderr}");
        assert_eq!(
            created, "orders 12 3 cleanup.policy=compact retention.ms=1000\naudit.log 6 3 \n",
            "{case}"
        );
    }
}
