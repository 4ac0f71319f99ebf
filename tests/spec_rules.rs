//! Spec rules at their edges, as a table: each spec is refused with an error
//! naming its field, warned about, or accepted without a word. The cases
//! come from mutation testing (docs/testing.md, "Mutation testing"): each pins a
//! boundary or a branch that no other test held.

mod common;
use common::*;

enum Expect {
    /// Exit 1; stderr names this.
    Refused(&'static str),
    /// Exit 1 with this one error and no other.
    RefusedOnce(&'static str),
    /// Exit 0; stderr warns with this.
    Warned(&'static str),
    /// Exit 0, nothing on stderr.
    Accepted,
}
use Expect::*;

const CASES: &[(&str, &str, Expect)] = &[
    (
        "a managed key with a reason of its own",
        "name: k\nkafka:\n  config:\n    metadata.log.dir: /var/lib/kafka/meta\n",
        RefusedOnce(
            "`metadata.log.dir` is set by kafkagen and cannot be overridden in `kafka.config`: the metadata log stays in `log.dirs` on the data volume",
        ),
    ),
    (
        "a managed key with a field to use instead",
        "name: k\nkafka:\n  config:\n    num.partitions: 12\n",
        RefusedOnce(
            "`num.partitions` is set by kafkagen and cannot be overridden in `kafka.config`\n",
        ),
    ),
    (
        "an admin certificate of your own that nothing mounts",
        "name: k\nsecurity:\n  listeners:\n    internal: { tls: true }\n  certificates:\n    secrets: { brokers: k-tls, admin: k-admin }\n",
        Warned(
            "`security.certificates.secrets.admin` has no effect: nothing mounts this certificate",
        ),
    ),
    (
        "certificates of your own without TLS",
        "name: k\nsecurity:\n  listeners:\n    external: { authentication: scram-sha-512 }\n  certificates:\n    secrets: { brokers: k-tls }\n",
        Warned("`security.certificates.secrets` has no effect"),
    ),
    (
        "one Secret of your own for the brokers and the Jobs",
        "name: k\nsecurity:\n  listeners:\n    internal: { tls: true, authentication: mtls }\n  certificates:\n    secrets: { brokers: k-tls, admin: k-tls }\n",
        RefusedOnce("`security.certificates.secrets.admin` names the brokers' Secret"),
    ),
    (
        "the brokers' certificate of your own",
        "name: k\nsecurity:\n  listeners:\n    internal: { tls: true }\n  certificates:\n    secrets: { brokers: k-tls }\n",
        Accepted,
    ),
    (
        "an image without a tag",
        "name: k\nkafka:\n  image: confluentinc/cp-kafka\n",
        Refused("`kafka.image` \"confluentinc/cp-kafka\" does not pin a version"),
    ),
    (
        "an image tagged latest",
        "name: k\nkafka:\n  image: confluentinc/cp-kafka:latest\n",
        Refused("does not pin a version"),
    ),
    (
        "an image pinned by digest",
        "name: k\nkafka:\n  image: confluentinc/cp-kafka@sha256:0000000000000000000000000000000000000000000000000000000000000000\n",
        Accepted,
    ),
    (
        "cp-kafka 7.3 in KRaft mode",
        "name: k\nmode: kraft\nkafka:\n  image: confluentinc/cp-kafka:7.3.2\n",
        Refused("KRaft mode needs 7.4 or later"),
    ),
    (
        "cp-kafka 7.4, the first with KRaft",
        "name: k\nmode: kraft\nkafka:\n  image: confluentinc/cp-kafka:7.4.0\n",
        Accepted,
    ),
    (
        "load balancers without source ranges",
        "name: k\nkafka:\n  exposure:\n    mode: loadbalancer\n    hostTemplate: \"b{id}.example.com\"\n",
        Warned("accept connections from any address"),
    ),
    (
        "load balancers for the clients' network",
        "name: k\nkafka:\n  exposure:\n    mode: loadbalancer\n    hostTemplate: \"b{id}.example.com\"\n    sourceRanges: [10.0.0.0/8]\n",
        Accepted,
    ),
    (
        "a Kafka image for ZooKeeper",
        "name: k\nzookeeper:\n  image: confluentinc/cp-kafka:7.9.1\n",
        Refused("is not a ZooKeeper image kafkagen knows how to configure"),
    ),
    (
        "an unpinned ZooKeeper image",
        "name: k\nzookeeper:\n  image: confluentinc/cp-zookeeper\n",
        Refused("`zookeeper.image` \"confluentinc/cp-zookeeper\" does not pin a version"),
    ),
    (
        "ten brokers that are all controllers",
        "name: k\nmode: kraft\nkraft:\n  controllers: 0\nkafka:\n  brokers: 10\n  replicationFactor: 3\n",
        Refused("makes all 10 brokers controllers"),
    ),
    (
        "nine brokers that are all controllers",
        "name: k\nmode: kraft\nkraft:\n  controllers: 0\nkafka:\n  brokers: 9\n  replicationFactor: 3\n",
        Accepted,
    ),
    (
        "a heap of 81% of the memory limit",
        "name: k\nkafka:\n  heapPercent: 81\n",
        Warned("`kafka.heapPercent` is 81: little memory is left"),
    ),
    (
        "a heap of 80% of the memory limit",
        "name: k\nkafka:\n  heapPercent: 80\n",
        Accepted,
    ),
    (
        "a source range that is not a CIDR",
        "name: k\nkafka:\n  exposure:\n    mode: loadbalancer\n    hostTemplate: \"b{id}.example.com\"\n    sourceRanges: [10.0.0.0]\n",
        Refused("`kafka.exposure.sourceRanges[0]` \"10.0.0.0\" is not a CIDR range"),
    ),
    (
        // A topic's replication factor is not compared with a broker count
        // that is itself refused.
        "no brokers, and a topic",
        "name: k\nkafka:\n  brokers: 0\ntopics:\n  - name: a\n    replicationFactor: 2\n",
        RefusedOnce("`kafka.brokers` must be from 1 to 9000, found 0"),
    ),
    (
        "apache/kafka 3.6, before the image existed",
        "name: k\nmode: kraft\nkafka:\n  image: apache/kafka:3.6.2\n",
        Refused("apache/kafka images start at 3.7"),
    ),
    (
        "apache/kafka 3.7, the first image",
        "name: k\nmode: kraft\nkafka:\n  image: apache/kafka:3.7.2\n",
        Accepted,
    ),
    (
        "a topic with no replicas and its own minimum",
        "name: k\ntopics:\n  - name: a\n    replicationFactor: 0\n    config:\n      min.insync.replicas: 1\n",
        RefusedOnce("`topics[0].replicationFactor` must be at least 1"),
    ),
    (
        "a topic whose minimum equals its replicas",
        "name: k\nkafka:\n  brokers: 3\n  replicationFactor: 3\ntopics:\n  - name: a\n    replicationFactor: 2\n    config:\n      min.insync.replicas: 2\n",
        Accepted,
    ),
    (
        "a topic whose minimum is above its replicas",
        "name: k\nkafka:\n  brokers: 3\n  replicationFactor: 3\ntopics:\n  - name: a\n    replicationFactor: 2\n    config:\n      min.insync.replicas: 3\n",
        Refused(
            "`topics[0].config.min.insync.replicas` is 3, above the topic's replication factor 2",
        ),
    ),
    (
        "a topic on every broker",
        "name: k\nkafka:\n  brokers: 3\n  replicationFactor: 3\ntopics:\n  - name: a\n    replicationFactor: 3\n",
        Accepted,
    ),
    (
        "metrics on ZooKeeper's AdminServer port",
        "name: k\nmetrics:\n  enabled: true\n  port: 8080\n",
        Refused("`metrics.port` 8080 must be a port from 1024 to 65535"),
    ),
    (
        "metrics on a privileged port",
        "name: k\nmetrics:\n  enabled: true\n  port: 404\n",
        Refused("`metrics.port` 404 must be a port"),
    ),
    (
        "alerts asked for without metrics",
        "name: k\nmetrics:\n  alerts: true\n",
        Warned("`metrics.alerts` has no effect while `metrics.enabled` is false"),
    ),
    (
        "a PodMonitor asked for with metrics off in the same file",
        "name: k\nmetrics:\n  enabled: false\n  scrape: podMonitor\n",
        Warned("`metrics.scrape` has no effect"),
    ),
    (
        "a production profile's metrics turned off",
        "name: k\nprofile: production\nmetrics:\n  enabled: false\n",
        Accepted,
    ),
    (
        "an agent image without a version, for apache/kafka",
        "name: k\nmode: kraft\nmetrics:\n  enabled: true\n  agentImage: confluentinc/cp-base-new\n",
        Refused("`metrics.agentImage` \"confluentinc/cp-base-new\" does not pin a version"),
    ),
];

#[test]
fn each_spec_is_refused_warned_or_accepted_as_the_table_says() {
    let mut failures = Vec::new();
    for (i, (name, spec, expect)) in CASES.iter().enumerate() {
        let dir = workdir(&format!("spec-rules-{i}"), &[("spec.yaml", spec)]);
        let out = kafkagen(&dir, &["render", "spec.yaml"]);
        let (code, stdout, stderr) = (out.status.code(), text(&out.stdout), text(&out.stderr));
        let ok = match expect {
            Refused(words) => code == Some(1) && stdout.is_empty() && stderr.contains(words),
            RefusedOnce(words) => {
                code == Some(1)
                    && stdout.is_empty()
                    && stderr.contains(words)
                    && stderr.matches("error:").count() == 1
            }
            Warned(words) => {
                code == Some(0) && stderr.contains("warning") && stderr.contains(words)
            }
            Accepted => code == Some(0) && stderr.is_empty(),
        };
        if !ok {
            failures.push(format!("{name}: exit {code:?}, stderr:\n{stderr}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
