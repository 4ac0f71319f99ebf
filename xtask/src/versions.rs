//! Every version the live boot runs, in one place: the Apache Kafka lines
//! (jars from Maven Central), the ZooKeeper that Kafka 3.9 and the Confluent
//! 7.9 images ship, the logging each line needs, and which image tag maps to
//! which line. The main classes of the tools the images call by name.

use kafkagen::validate::image;

/// A Kafka release the harness fetches and runs.
#[derive(Debug)]
pub struct KafkaLine {
    pub version: &'static str,
    /// Maven artifacts beside `org.apache.kafka:<artifact>:<version>`:
    /// (group, artifact, version).
    pub extra: &'static [(&'static str, &'static str, &'static str)],
    /// log4j 2 (`-Dlog4j2.configurationFile`, YAML) or log4j 1 (reload4j).
    pub log4j2: bool,
    /// Tool name (as the images call it) -> main class.
    pub tools: &'static [(&'static str, &'static str)],
}

/// The Kafka artifacts of every line: the broker (`kafka_2.13`, which holds
/// `kafka.Kafka`, `kafka.docker.KafkaDockerWrapper` and `StorageTool`) and
/// the command-line tools.
pub const KAFKA_ARTIFACTS: &[&str] = &[
    "kafka_2.13",
    "kafka-tools",
    "kafka-server",
    "kafka-metadata",
    "kafka-raft",
    "kafka-storage",
];

/// ZooKeeper as Kafka 3.8 and 3.9 depend on it and cp-zookeeper 7.9 ships it.
pub const ZOOKEEPER: &str = "3.8.4";

const TOOLS_3: &[(&str, &str)] = &[
    ("kafka-storage", "kafka.tools.StorageTool"),
    ("kafka-topics", "org.apache.kafka.tools.TopicCommand"),
    (
        "kafka-metadata-quorum",
        "org.apache.kafka.tools.MetadataQuorumCommand",
    ),
    (
        "kafka-broker-api-versions",
        "kafka.admin.BrokerApiVersionsCommand",
    ),
    ("kafka-configs", "kafka.admin.ConfigCommand"),
    ("kafka-acls", "kafka.admin.AclCommand"),
    ("kafka-features", "org.apache.kafka.tools.FeatureCommand"),
    ("kafka-console-producer", "kafka.tools.ConsoleProducer"),
    ("kafka-console-consumer", "kafka.tools.ConsoleConsumer"),
];

const TOOLS_4: &[(&str, &str)] = &[
    ("kafka-storage", "kafka.tools.StorageTool"),
    ("kafka-topics", "org.apache.kafka.tools.TopicCommand"),
    (
        "kafka-metadata-quorum",
        "org.apache.kafka.tools.MetadataQuorumCommand",
    ),
    (
        "kafka-broker-api-versions",
        "org.apache.kafka.tools.BrokerApiVersionsCommand",
    ),
    ("kafka-configs", "kafka.admin.ConfigCommand"),
    ("kafka-acls", "org.apache.kafka.tools.AclCommand"),
    ("kafka-features", "org.apache.kafka.tools.FeatureCommand"),
    (
        "kafka-console-producer",
        "org.apache.kafka.tools.ConsoleProducer",
    ),
    (
        "kafka-console-consumer",
        "org.apache.kafka.tools.consumer.ConsoleConsumer",
    ),
];

/// What a 3.x line runs with beside Kafka's own artifacts.
const LINE_3_EXTRA: &[(&str, &str, &str)] = &[
    ("org.apache.zookeeper", "zookeeper", ZOOKEEPER),
    // ZooKeeper's server needs these at run time; its pom has them
    // `provided`, and Kafka's distribution ships them.
    ("io.dropwizard.metrics", "metrics-core", "4.1.12.1"),
    ("commons-cli", "commons-cli", "1.5.0"),
    ("ch.qos.reload4j", "reload4j", "1.2.25"),
    ("org.slf4j", "slf4j-reload4j", "1.7.36"),
];

pub const LINES: &[KafkaLine] = &[
    // The line of confluentinc/cp-kafka 7.8: the Confluent upgrade steps
    // in ZooKeeper mode run from it to 7.9.
    KafkaLine {
        version: "3.8.1",
        extra: LINE_3_EXTRA,
        log4j2: false,
        tools: TOOLS_3,
    },
    KafkaLine {
        version: "3.9.1",
        extra: LINE_3_EXTRA,
        log4j2: false,
        tools: TOOLS_3,
    },
    KafkaLine {
        version: "4.1.0",
        extra: &[("org.apache.logging.log4j", "log4j-slf4j-impl", "2.24.3")],
        log4j2: true,
        tools: TOOLS_4,
    },
];

/// The Kafka line a Kafka version runs on: its own, or the nearest pinned
/// one (the same major version first, then the closest minor).
pub fn line_for(major: u32, minor: u32) -> &'static KafkaLine {
    let parse = |v: &str| -> (u32, u32) {
        let mut it = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
        (it.next().unwrap_or(0), it.next().unwrap_or(0))
    };
    let nearest = image::nearest_line((major, minor), LINES.iter().map(|l| parse(l.version)))
        .expect("at least one line");
    LINES
        .iter()
        .find(|l| parse(l.version) == nearest)
        .expect("a line of LINES")
}

/// The Prometheus JMX exporter's java agent that confluentinc/cp-base-new
/// 7.9.1 ships in /usr/share/java/cp-base-new (7.9.2 and later ship 0.20.0,
/// with the same metric names).
pub const JMX_AGENT: &str = "0.18.0";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_map_to_the_nearest_pinned_line() {
        assert_eq!(line_for(4, 1).version, "4.1.0");
        assert_eq!(line_for(4, 0).version, "4.1.0");
        assert_eq!(line_for(3, 9).version, "3.9.1");
        assert_eq!(line_for(3, 8).version, "3.8.1");
        assert_eq!(line_for(3, 7).version, "3.8.1");
    }
}
