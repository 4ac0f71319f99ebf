//! Hostile and broken specs. Every case must exit 1 with nothing on stdout,
//! no panic, and a message naming the field (and its line, where one
//! exists). Each run is capped at 1 GiB of address space and stopped if it
//! hangs, so a runaway case fails instead of taking the machine down.

mod common;
use common::*;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Case {
    name: &'static str,
    spec: Vec<u8>,
    /// Each must appear in stderr.
    expect: Vec<String>,
}

fn case(name: &'static str, spec: impl Into<Vec<u8>>, expect: &[&str]) -> Case {
    Case {
        name,
        spec: spec.into(),
        expect: expect.iter().map(|s| s.to_string()).collect(),
    }
}

/// A small valid spec (4 lines) followed by `lines`, from line 5 on.
fn kafka(lines: &str) -> String {
    format!("name: demo\nkafka:\n  brokers: 3\n  replicationFactor: 3\n{lines}")
}

fn cases() -> Vec<Case> {
    let nested = format!("name: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n\
                b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
                c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n\
                d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
                e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n\
                f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n\
                g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
    let many_topics: String = (0..60_000)
        .map(|i| format!("  - name: topic-{i:06}\n    partitions: 3\n"))
        .collect();
    let huge = format!("name: demo\ntopics:\n{many_topics}  - name: bad topic\n");
    let huge_line = (huge.lines().count()).to_string();
    let long_name = format!("name: {}\n", "a".repeat(3_000_000));
    vec![
        // Malformed YAML.
        case(
            "unclosed flow sequence",
            "kafka: {brokers: [1, 2}\n",
            &["invalid YAML", "spec.yaml:1:"],
        ),
        case(
            "tab indentation",
            "kafka:\n\tbrokers: 3\n",
            &["invalid YAML", "spec.yaml:2:"],
        ),
        case(
            "unterminated quote",
            "name: \"demo\nnamespace: x\n",
            &["invalid YAML", "spec.yaml:"],
        ),
        case(
            "two documents",
            "name: a\n---\nname: b\n",
            &["expected one YAML document", "spec.yaml:3:"],
        ),
        case(
            "a list, not a mapping",
            "- a\n- b\n",
            &["the spec must be a mapping", "spec.yaml:1:1"],
        ),
        case(
            "a scalar, not a mapping",
            "hello\n",
            &["the spec must be a mapping"],
        ),
        // Wrong types.
        case(
            "brokers as a word",
            kafka("  partitions: three\n"),
            &["kafka.partitions", "spec.yaml:5:"],
        ),
        case(
            "brokers as a float",
            "kafka:\n  brokers: 3.5\n",
            &["kafka.brokers", "spec.yaml:2:"],
        ),
        case(
            "brokers as a boolean",
            "kafka:\n  brokers: true\n",
            &["kafka.brokers", "spec.yaml:2:"],
        ),
        case(
            "name as a list",
            "name: [a, b]\n",
            &["name", "spec.yaml:1:"],
        ),
        case(
            "a mapping as a broker config value",
            kafka("  config:\n    log.retention.hours: {a: 1}\n"),
            &["kafka.config.log.retention.hours", "spec.yaml:6:"],
        ),
        case(
            "a list as a topic config value",
            "topics:\n  - name: a\n    config:\n      retention.ms: [1]\n",
            &["topics[0].config.retention.ms", "spec.yaml:4:"],
        ),
        case(
            "kafka as a number",
            "kafka: 5\n",
            &["kafka", "spec.yaml:1:"],
        ),
        case(
            "topics as a mapping",
            "topics: {a: 1}\n",
            &["topics", "spec.yaml:1:"],
        ),
        case(
            "createNamespace as a string",
            "createNamespace: \"yes\"\n",
            &["createNamespace", "spec.yaml:1:"],
        ),
        case(
            "storage size as a mapping",
            kafka("  storage:\n    size: {a: 1}\n"),
            &["kafka.storage.size", "spec.yaml:6:"],
        ),
        // Unknown and misspelt keys, at every level.
        case(
            "top-level typo",
            "nmae: x\n",
            &["unknown field `nmae`", "spec.yaml:1:1", "`name`"],
        ),
        case(
            "kafka typo",
            kafka("  replicationFactr: 3\n"),
            &["unknown field `replicationFactr`", "spec.yaml:5:3"],
        ),
        case(
            "storage typo",
            kafka("  storage:\n    sise: 1Gi\n"),
            &["unknown field `sise`", "spec.yaml:6:5", "`size`"],
        ),
        case(
            "exposure key in the wrong case",
            kafka("  exposure:\n    mode: nodeport\n    nodeport: 30000\n"),
            &["unknown field `nodeport`", "spec.yaml:7:5", "`nodePort`"],
        ),
        case(
            "zookeeper typo",
            "zookeeper:\n  replica: 3\n",
            &["unknown field `replica`", "spec.yaml:2:3"],
        ),
        case(
            "kraft typo",
            "mode: kraft\nkraft:\n  controller: 3\n",
            &["unknown field `controller`", "spec.yaml:3:3"],
        ),
        case(
            "topic typo",
            "topics:\n  - name: a\n    partition: 3\n",
            &["unknown field `partition`", "spec.yaml:3:5"],
        ),
        case(
            "placement typo",
            "placement:\n  spred: required\n",
            &["unknown field `spred`", "spec.yaml:2:3"],
        ),
        case(
            "networkPolicy typo",
            "networkPolicy:\n  enable: true\n",
            &["unknown field `enable`", "spec.yaml:2:3"],
        ),
        case(
            "resources typo",
            kafka("  resources:\n    request: {cpu: 1}\n"),
            &["unknown field `request`", "spec.yaml:6:5"],
        ),
        case(
            "toleration typo",
            "placement:\n  tolerations:\n    - key: a\n      efect: NoSchedule\n",
            &["unknown field `efect`", "spec.yaml:4:7"],
        ),
        // Values out of range.
        case(
            "zero brokers",
            "kafka:\n  brokers: 0\n",
            &["kafka.brokers", "spec.yaml:2:"],
        ),
        case(
            "too many brokers",
            "kafka:\n  brokers: 100000\n",
            &["kafka.brokers", "spec.yaml:2:"],
        ),
        case(
            "node port outside the range",
            kafka("  exposure:\n    mode: nodeport\n    nodePort: 80\n"),
            &["kafka.exposure.nodePort", "spec.yaml:7:"],
        ),
        case(
            "replication factor above brokers",
            "kafka:\n  brokers: 3\n  replicationFactor: 5\n",
            &["kafka.replicationFactor", "spec.yaml:3:"],
        ),
        case(
            "min ISR above replication factor",
            kafka("  minInsyncReplicas: 4\n"),
            &["kafka.minInsyncReplicas", "spec.yaml:5:"],
        ),
        case(
            "heap over 100 percent",
            kafka("  heapPercent: 150\n"),
            &["kafka.heapPercent", "spec.yaml:5:"],
        ),
        case(
            "zero ZooKeeper servers",
            "zookeeper:\n  replicas: 0\n",
            &["zookeeper.replicas", "spec.yaml:2:"],
        ),
        case(
            "name that is not a DNS label",
            "name: Demo_Cluster\n",
            &["name", "spec.yaml:1:7"],
        ),
        case("unknown mode", "mode: raft\n", &["mode", "spec.yaml:1:7"]),
        case(
            "unknown exposure mode",
            kafka("  exposure:\n    mode: ingress\n"),
            &["kafka.exposure.mode", "spec.yaml:6:"],
        ),
        // Duplicates.
        case(
            "duplicate key",
            "name: a\nnamespace: x\nname: b\n",
            &["duplicate", "name", "spec.yaml:3:1"],
        ),
        case(
            "duplicate key in a large mapping",
            kafka(&format!(
                "  config:\n{}    k7.x: 2\n",
                (0..40)
                    .map(|i| format!("    k{i}.x: 1\n"))
                    .collect::<String>()
            )),
            &["duplicate key `k7.x`", "spec.yaml:46:5"],
        ),
        case(
            "duplicate topic names",
            "topics:\n  - name: orders\n  - name: orders\n",
            &["orders", "spec.yaml:3:"],
        ),
        // Empty and not text.
        case("empty file", "", &["the spec is empty"]),
        case("comments only", "# nothing here\n", &["the spec is empty"]),
        case(
            "not UTF-8",
            b"name: demo\nnamespace: \xff\xfe\n".to_vec(),
            &["not UTF-8", "line 2"],
        ),
        // Resource exhaustion.
        case("alias bomb", bomb, &["too large", "spec.yaml:"]),
        case("deep nesting", nested, &["spec.yaml:1:"]),
        case("a 3 MB name", long_name, &["name", "spec.yaml:1:7"]),
        case(
            "a 3 MB spec with one bad topic at the end",
            huge,
            &["topics[60000].name", &format!("spec.yaml:{huge_line}:")],
        ),
        // Numbers that overflow.
        case(
            "brokers beyond 64 bits",
            "kafka:\n  brokers: 99999999999999999999\n",
            &["spec.yaml:2:"],
        ),
        case(
            "node port beyond 32 bits",
            kafka("  exposure:\n    mode: nodeport\n    nodePort: 4294967296\n"),
            &["kafka.exposure.nodePort", "spec.yaml:7:"],
        ),
        case(
            "negative partitions",
            kafka("  partitions: -1\n"),
            &["kafka.partitions", "spec.yaml:5:"],
        ),
        // Injection attempts.
        case(
            "newline and a document in the name",
            "name: \"demo\\n---\\nkind: Secret\"\n",
            &["name", "spec.yaml:1:7"],
        ),
        case(
            "quotes in the namespace",
            "namespace: 'kafka\"; x'\n",
            &["namespace", "spec.yaml:1:12"],
        ),
        case(
            "template syntax in the name",
            "name: \"{{ namespace }}\"\n",
            &["name", "spec.yaml:1:7"],
        ),
        case(
            "a comment marker in the name",
            "name: \"demo #x\"\n",
            &["name", "spec.yaml:1:7"],
        ),
        case(
            "newline in a node selector label key",
            "placement:\n  nodeSelector:\n    \"a\\nb: c\": x\n",
            &["placement.nodeSelector", "spec.yaml:3:"],
        ),
        case(
            "document marker in a node selector label value",
            "placement:\n  nodeSelector:\n    zone: \"a\\n---\"\n",
            &["placement.nodeSelector", "spec.yaml:3:"],
        ),
        case(
            "newline in an annotation key",
            kafka(
                "  exposure:\n    mode: loadbalancer\n    hostTemplate: \"b{id}.example.com\"\n    annotations:\n      \"a\\nkind: Secret\": x\n",
            ),
            &["kafka.exposure.annotations", "spec.yaml:9:7"],
        ),
        case(
            "a document in a host template",
            kafka(
                "  exposure:\n    mode: loadbalancer\n    hostTemplate: \"b{id}.example.com\\n---\"\n",
            ),
            &["kafka.exposure.hostTemplate", "spec.yaml:7:"],
        ),
        case(
            "quotes in a host",
            kafka(
                "  exposure:\n    mode: loadbalancer\n    hosts: [a.example.com, 'b\"c', d.example.com]\n",
            ),
            &["kafka.exposure.hosts[1]", "spec.yaml:7:28"],
        ),
        case(
            "a comment in the advertised host",
            kafka("  exposure:\n    mode: nodeport\n    advertisedHost: \"1.2.3.4 #x\"\n"),
            &["kafka.exposure.advertisedHost", "spec.yaml:7:"],
        ),
        case(
            "newline in a broker config value",
            kafka("  config:\n    log.retention.hours: \"1\\nprocess.roles=broker\"\n"),
            &["kafka.config", "spec.yaml:6:"],
        ),
        case(
            "newline in a broker config key",
            kafka("  config:\n    \"a\\nb\": 1\n"),
            &["kafka.config", "spec.yaml:6:"],
        ),
        case(
            "template syntax in a topic name",
            "topics:\n  - name: \"{{ x }}\"\n",
            &["topics[0].name", "spec.yaml:2:"],
        ),
        case(
            "newline in a topic config value",
            "topics:\n  - name: a\n    config:\n      retention.ms: \"1\\nx=y\"\n",
            &["topics[0].config", "spec.yaml:4:"],
        ),
    ]
}

/// Runs kafkagen on `spec` with 1 GiB of address space; a run that has not
/// finished after 60 s (a hang, not slowness: cases take milliseconds) is
/// killed and reported.
fn run(dir: &Path, spec: &[u8]) -> std::process::Output {
    std::fs::write(dir.join("spec.yaml"), spec).unwrap();
    let mut child = Command::new("sh")
        .args([
            "-c",
            "ulimit -v 1048576 && exec \"$0\" render spec.yaml",
            env!("CARGO_BIN_EXE_kafkagen"),
        ])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        out.read_to_end(&mut buf).unwrap();
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        err.read_to_end(&mut buf).unwrap();
        buf
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("kafkagen hung");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    std::process::Output {
        status,
        stdout: reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}

#[test]
fn every_bad_spec_is_refused_with_the_field_and_its_line() {
    let dir = workdir("bad-input", &[]);
    let cases = cases();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let out = run(&dir, &c.spec);
        let stderr = text(&out.stderr);
        let mut problems = Vec::new();
        if out.status.code() != Some(1) {
            problems.push(format!("exit {:?}", out.status.code()));
        }
        if !out.stdout.is_empty() {
            problems.push(format!("{} bytes on stdout", out.stdout.len()));
        }
        if stderr.contains("panicked") {
            problems.push("panicked".into());
        }
        for e in &c.expect {
            if !stderr.contains(e.as_str()) {
                problems.push(format!("stderr lacks {e:?}"));
            }
        }
        if !problems.is_empty() {
            let shown: String = stderr.chars().take(600).collect();
            failures.push(format!("{}: {}\n{shown}", c.name, problems.join("; ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
