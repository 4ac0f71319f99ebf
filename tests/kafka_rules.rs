//! Specs that Kafka or the images would refuse or break on, refused (or
//! rendered safely) before anything is applied: each case here was
//! accepted as it is by kafkagen before, and broke a cluster.

use serde_json::Value;

mod common;
use common::*;

fn render(name: &str, spec: &str) -> std::process::Output {
    let dir = workdir(name, &[("spec.yaml", spec)]);
    kafkagen(&dir, &["render", "spec.yaml", "-o", "json"])
}

fn container<'a>(items: &'a [Value], kind: &str, name: &str) -> &'a Value {
    &find(items, kind, name)["spec"]["template"]["spec"]["containers"][0]
}

fn env<'a>(c: &'a Value, name: &str) -> Option<&'a str> {
    c["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
        .and_then(|e| e["value"].as_str())
}

#[test]
fn ephemeral_storage_on_several_voters_is_refused() {
    let dedicated =
        "name: k\nmode: kraft\nkraft:\n  controllers: 3\n  storage:\n    ephemeral: true\n";
    let err = fails(&render("ephemeral-controllers", dedicated));
    assert!(err.contains("kraft.storage.ephemeral"), "{err}");
    assert!(err.contains("spec.yaml:6:16"), "{err}");
    assert!(err.contains("empty metadata log"), "{err}");

    let combined = "name: k\nmode: kraft\nkraft:\n  controllers: 0\nkafka:\n  brokers: 3\n  replicationFactor: 3\n  storage:\n    ephemeral: true\n";
    let err = fails(&render("ephemeral-combined", combined));
    assert!(err.contains("kafka.storage.ephemeral"), "{err}");

    // One voter: nothing to outvote, but the cluster is gone with the pod.
    let single =
        "name: k\nmode: kraft\nkraft:\n  controllers: 0\nkafka:\n  storage:\n    ephemeral: true\n";
    let out = render("ephemeral-single", single);
    ok(&out);
    let err = text(&out.stderr);
    assert!(
        err.contains("warning") && err.contains("kafka.storage.ephemeral"),
        "{err}"
    );
}

#[test]
fn broker_config_keys_that_break_brokers_are_refused() {
    for (key, value, words) in [
        (
            "security.inter.broker.protocol",
            "PLAINTEXT",
            "inter.broker.listener.name",
        ),
        ("metadata.log.dir", "/tmp/meta", "kafka.storage"),
        ("heap.opts", "-Xmx8g", "KAFKA_HEAP_OPTS"),
        ("opts", "-Dx=y", "KAFKA_OPTS"),
        (
            "jvm.performance.opts",
            "-XX:+UseZGC",
            "KAFKA_JVM_PERFORMANCE_OPTS",
        ),
        ("jmx.port", "9999", "KAFKA_JMX_PORT"),
    ] {
        let spec = format!("name: k\nkafka:\n  config:\n    {key}: \"{value}\"\n");
        let err = fails(&render(&format!("config-{key}"), &spec));
        assert!(err.contains(&format!("`{key}`")), "{key}: {err}");
        assert!(err.contains(words), "{key}: {err}");
        assert!(err.contains("spec.yaml:4:5"), "{key}: {err}");
    }
}

#[test]
fn kafka_prefixed_keys_are_refused_where_the_image_renames_them() {
    // apache/kafka before 4.0 strips every `KAFKA_` from a variable name.
    let old = "name: k\nmode: kraft\nkafka:\n  image: apache/kafka:3.9.1\n  config:\n    kafka.metrics.polling.interval.secs: 20\n";
    let err = fails(&render("kafka-prefix-39", old));
    assert!(err.contains("kafka.metrics.polling.interval.secs"), "{err}");
    assert!(err.contains("metrics.polling.interval.secs"), "{err}");
    // From 4.0 it strips the prefix once, and the key arrives as written.
    let new =
        "name: k\nmode: kraft\nkafka:\n  config:\n    kafka.metrics.polling.interval.secs: 20\n";
    let objs = items(&ok(&render("kafka-prefix-41", new)));
    let c = container(&objs, "StatefulSet", "k-kafka");
    assert_eq!(
        env(c, "KAFKA_KAFKA_METRICS_POLLING_INTERVAL_SECS"),
        Some("20")
    );
}

#[test]
fn dollar_signs_in_values_reach_kafka_as_written() {
    // The kubelet reads `$(NAME)` and `$$` in env values; `$$` is its escape.
    let spec = "name: k\nkafka:\n  config:\n    ssl.endpoint.identification.algorithm: \"a$(HOSTNAME)b$$c\"\ntopics:\n  - name: t\n    config:\n      retention.ms: \"${env:R$(Y)}\"\n";
    let objs = items(&ok(&render("dollars", spec)));
    let c = container(&objs, "StatefulSet", "k-kafka");
    assert_eq!(
        env(c, "KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM"),
        Some("a$$(HOSTNAME)b$$$$c")
    );
    let job = objs.iter().find(|i| i["kind"] == "Job").unwrap();
    let topics = job["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "TOPICS")
        .unwrap()["value"]
        .as_str()
        .unwrap();
    assert!(topics.contains("retention.ms=$${env:R$$(Y)}"), "{topics}");
}

#[test]
fn topics_below_their_minimum_in_sync_replicas_are_refused() {
    let spec = "name: k\nprofile: production\ntopics:\n  - name: a\n    replicationFactor: 1\n";
    let err = fails(&render("topic-below-isr", spec));
    assert!(err.contains("topics[0].replicationFactor"), "{err}");
    assert!(err.contains("min.insync.replicas"), "{err}");
    assert!(err.contains("acks=all"), "{err}");

    let spec = "name: k\nprofile: production\ntopics:\n  - name: a\n    replicationFactor: 2\n    config:\n      min.insync.replicas: 3\n";
    let err = fails(&render("topic-isr-above-rf", spec));
    assert!(
        err.contains("topics[0].config.min.insync.replicas"),
        "{err}"
    );

    // Its own lower minimum makes a smaller factor usable.
    let spec = "name: k\nprofile: production\ntopics:\n  - name: a\n    replicationFactor: 1\n    config:\n      min.insync.replicas: 1\n";
    ok(&render("topic-own-isr", spec));
}

#[test]
fn load_balancer_hosts_are_compared_as_dns_compares_them_and_addresses_are_requested() {
    let spec = "name: k\nprofile: production\nkafka:\n  exposure:\n    mode: loadbalancer\n    hosts: [b0.example.com, B0.Example.com, b2.example.com]\n";
    let err = fails(&render("lb-hosts-case", spec));
    assert!(err.contains("both advertise"), "{err}");

    let spec = "name: k\nprofile: production\nkafka:\n  exposure:\n    mode: loadbalancer\n    hosts: [203.0.113.10, 203.0.113.11, b2.example.com]\n";
    let objs = items(&ok(&render("lb-hosts-ip", spec)));
    let s0 = find(&objs, "Service", "k-kafka-0-external");
    assert_eq!(s0["spec"]["loadBalancerIP"], "203.0.113.10");
    let s2 = find(&objs, "Service", "k-kafka-2-external");
    assert!(s2["spec"].get("loadBalancerIP").is_none());
}

#[test]
fn broker_logs_go_to_the_console_and_the_gc_log_is_bounded() {
    let objs = items(&ok(&render("logging", "name: k\nmode: kraft\n")));
    let c = container(&objs, "StatefulSet", "k-kafka");
    let opts = env(c, "KAFKA_LOG4J_OPTS").expect("KAFKA_LOG4J_OPTS");
    assert!(opts.contains("/etc/kafkagen/"), "{opts}");
    let cm = find(&objs, "ConfigMap", "k-kafka-pods");
    let config = cm["data"]["log4j2.yaml"].as_str().expect("a log4j2.yaml");
    assert!(
        config.contains("Console") && !config.contains("RollingFile"),
        "{config}"
    );
    let gc = env(c, "KAFKA_GC_LOG_OPTS").expect("KAFKA_GC_LOG_OPTS");
    assert!(
        gc.contains("filecount=") && gc.contains("filesize="),
        "{gc}"
    );
}

#[test]
fn confluent_server_internal_topics_fit_a_small_cluster() {
    let spec = "name: k\nkafka:\n  image: confluentinc/cp-server:7.9.1\n";
    let objs = items(&ok(&render("cp-server-1", spec)));
    let c = container(&objs, "StatefulSet", "k-kafka");
    for var in [
        "KAFKA_CONFLUENT_LICENSE_TOPIC_REPLICATION_FACTOR",
        "KAFKA_CONFLUENT_BALANCER_TOPIC_REPLICATION_FACTOR",
        "KAFKA_CONFLUENT_METRICS_REPORTER_TOPIC_REPLICAS",
    ] {
        assert_eq!(env(c, var), Some("1"), "{var}");
    }
    let objs = items(&ok(&render("cp-kafka-1", "name: k\n")));
    let c = container(&objs, "StatefulSet", "k-kafka");
    assert_eq!(
        env(c, "KAFKA_CONFLUENT_LICENSE_TOPIC_REPLICATION_FACTOR"),
        None
    );
}

#[test]
fn source_comments_cite_only_what_the_repository_holds() {
    for dir in ["src", "templates", "xtask/src"] {
        for entry in files_under(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)) {
            let text = std::fs::read_to_string(&entry).unwrap_or_default();
            assert!(
                !text.contains("DESIGN.md"),
                "{} cites DESIGN.md",
                entry.display()
            );
        }
    }
}

#[test]
fn config_keys_and_values_are_checked_against_kafkas_own_definitions() {
    // A misspelt key, at its line, with the key meant.
    let spec = "name: k\nkafka:\n  config:\n    log.retention.hour: 72\n";
    let err = fails(&render("model-misspelt", spec));
    assert!(
        err.contains("`log.retention.hour` is not a broker property of Kafka 3.9"),
        "{err}"
    );
    assert!(err.contains("spec.yaml:4:5"), "{err}");
    assert!(err.contains("did you mean `log.retention.hours`?"), "{err}");
    // A wrong type, and a value out of range, with what is allowed.
    let spec = "name: k\nkafka:\n  config:\n    num.io.threads: lots\n    num.network.threads: 0\n";
    let err = fails(&render("model-values", spec));
    assert!(
        err.contains("`kafka.config.num.io.threads` \"lots\" must be a whole number"),
        "{err}"
    );
    assert!(err.contains("spec.yaml:4:21"), "{err}");
    assert!(
        err.contains("`kafka.config.num.network.threads` \"0\" must be at least 1"),
        "{err}"
    );
    // Topic configs, by the topic definitions.
    let spec = "name: k\ntopics:\n  - name: t\n    config:\n      cleanup.polcy: compact\n      compression.type: brotli\n";
    let err = fails(&render("model-topic", spec));
    assert!(err.contains("did you mean `cleanup.policy`?"), "{err}");
    assert!(err.contains("must be one of"), "{err}");
    // Keys removed in 4.0 are refused for a 4.x image, with the reason.
    let spec = "name: k\nmode: kraft\nkafka:\n  config:\n    log.message.format.version: \"3.0\"\n";
    let err = fails(&render("model-removed", spec));
    assert!(err.contains("was removed in Kafka 4.0"), "{err}");
    // Listener-prefixed keys, config providers, and Confluent's own keys pass.
    let spec = "name: k\nkafka:\n  config:\n    listener.name.internal.ssl.keystore.type: PEM\n    log.retention.hours: \"${file:/etc/x:hours}\"\n    confluent.support.metrics.enable: false\n";
    ok(&render("model-pass", spec));
}
