//! `kafka`: the brokers' number and workload, the replication defaults,
//! and the image against the mode. Its storage, resources, config and
//! exposure have files of their own.

use super::{Annotate, Validator, config_model, plural};
use crate::cluster::Flavor;
use crate::cluster::{Kafka, MAX_BROKERS};
use crate::cluster_spec::{DEFAULT_KAFKA_IMAGE, DEFAULT_KRAFT_IMAGE, KafkaSpec, Mode, Workload};
use crate::validate::image;

impl Validator<'_> {
    pub(super) fn kafka(&mut self, k: &KafkaSpec, mode: Mode) -> Kafka {
        if k.brokers == 0 || k.brokers > MAX_BROKERS {
            self.error(
                "kafka.brokers",
                format!(
                    "`kafka.brokers` must be from 1 to {MAX_BROKERS}, found {}",
                    k.brokers
                ),
            );
        }
        if k.workload == Workload::Deployment && k.brokers > 1 {
            self.error(
                "kafka.workload",
                format!(
                    "`kafka.workload: deployment` needs exactly one broker, found {}",
                    k.brokers
                ),
            )
            .with_help(
                "a Deployment gives brokers no stable identity; use `workload: statefulset`",
            );
        }
        let default_image = match mode {
            Mode::Zookeeper => DEFAULT_KAFKA_IMAGE,
            Mode::Kraft => DEFAULT_KRAFT_IMAGE,
        };
        let image = k.image.clone().unwrap_or_else(|| default_image.to_string());
        let flavor = self.kafka_image(&image, mode);
        if k.partitions == 0 {
            self.error("kafka.partitions", "`kafka.partitions` must be at least 1");
        }
        let rf = k.replication_factor;
        if rf == 0 {
            self.error(
                "kafka.replicationFactor",
                "`kafka.replicationFactor` must be at least 1",
            );
        } else if rf > k.brokers && k.brokers > 0 {
            self.error(
                "kafka.replicationFactor",
                format!(
                    "`kafka.replicationFactor` is {rf} but the cluster has only {} broker{}",
                    k.brokers,
                    plural(k.brokers)
                ),
            )
            .with_label("above kafka.brokers")
            .with_help(format!(
                "set `kafka.replicationFactor` to at most {} or add brokers",
                k.brokers
            ));
        }
        let isr = k.min_insync_replicas;
        if isr == 0 {
            self.error(
                "kafka.minInsyncReplicas",
                "`kafka.minInsyncReplicas` must be at least 1",
            );
        } else if isr > rf && rf > 0 {
            self.error(
                "kafka.minInsyncReplicas",
                format!(
                    "`kafka.minInsyncReplicas` is {isr}, above `kafka.replicationFactor` {rf}: no write could ever succeed"
                ),
            )
            .with_help(format!("set it to at most {rf}"));
        } else if isr == rf && rf > 1 {
            self.warn(
                "kafka.minInsyncReplicas",
                format!(
                    "`kafka.minInsyncReplicas` equals `kafka.replicationFactor` ({rf}): with one broker down, writes with acks=all stop"
                ),
            )
            .with_help(format!("set it to {} to tolerate one broker down", rf - 1));
        }
        let storage = self.storage("kafka.storage", &k.storage);
        let (resources, heap_mib) = self.resources("kafka", &k.resources, k.heap_percent);
        let version = image::parse(&image).and_then(|i| i.version);
        let confluent_server = flavor == Flavor::ConfluentKafka
            && image
                .rsplit('/')
                .next()
                .and_then(|last| last.split(['@', ':']).next())
                == Some("cp-server");
        let strips_every_kafka =
            flavor == Flavor::ApacheKafka && version.is_some_and(|v| v < (4, 0));
        let model = config_model(&image, flavor);
        let config = self.broker_config(&k.config, strips_every_kafka, model, flavor);
        let exposure = self.exposure(&k.exposure, k.brokers);
        Kafka {
            brokers: k.brokers,
            image,
            flavor,
            version,
            confluent_server,
            workload: k.workload,
            partitions: k.partitions,
            replication_factor: rf,
            min_insync_replicas: isr,
            storage,
            resources,
            heap_mib,
            config,
            exposure,
        }
    }

    /// Checks the image against the mode; returns whose entrypoint it has.
    fn kafka_image(&mut self, reference: &str, mode: Mode) -> Flavor {
        let path = "kafka.image";
        let Some(img) = self.image_reference(
            path,
            reference,
            "confluentinc/cp-kafka:7.9.1 or apache/kafka:4.1.0",
        ) else {
            return Flavor::Unknown;
        };
        if !self.pinned(path, &img) {
            return img.flavor;
        }
        let use_kraft = "use `mode: kraft`, or a confluentinc/cp-kafka 7.x image";
        match (img.flavor, img.version, mode) {
            (Flavor::ConfluentKafka, Some((major, _)), Mode::Zookeeper) if major >= 8 => {
                self.error(
                    path,
                    format!(
                        "`{path}` \"{reference}\" is Confluent Platform {major}, which has no ZooKeeper mode"
                    ),
                )
                .with_label("no ZooKeeper mode")
                .with_help(use_kraft);
            }
            (Flavor::ApacheKafka, Some((major, _)), Mode::Zookeeper) if major >= 4 => {
                self.error(
                    path,
                    format!(
                        "`{path}` \"{reference}\" is Kafka {major}, which has no ZooKeeper mode"
                    ),
                )
                .with_label("no ZooKeeper mode")
                .with_help(use_kraft);
            }
            (Flavor::ApacheKafka, _, Mode::Zookeeper) => {
                self.error(
                    path,
                    format!("`{path}` \"{reference}\": apache/kafka images are supported only in KRaft mode"),
                )
                .with_help(use_kraft);
            }
            (Flavor::ConfluentKafka, Some(v), Mode::Kraft) if v < (7, 4) => {
                self.error(
                    path,
                    format!("`{path}` \"{reference}\" is Confluent Platform {}.{}; KRaft mode needs 7.4 or later", v.0, v.1),
                )
                .with_help("use confluentinc/cp-kafka:7.9.1 or later, or `mode: zookeeper`");
            }
            (Flavor::ApacheKafka, Some(v), Mode::Kraft) if v < (3, 7) => {
                self.error(
                    path,
                    format!("`{path}` \"{reference}\": apache/kafka images start at 3.7"),
                )
                .with_help("use apache/kafka:4.1.0 (or 3.7 and later)");
            }
            (Flavor::ApacheKafkaNative, _, _) => {
                self.error(
                    path,
                    format!("`{path}` \"{reference}\": apache/kafka-native has no JVM and no command-line tools"),
                )
                .with_help("use apache/kafka with the same tag");
            }
            (Flavor::ConfluentKafka | Flavor::ApacheKafka, _, _) => {}
            _ => {
                self.error(
                    path,
                    format!("`{path}` \"{reference}\" is not a Kafka image kafkagen knows how to configure"),
                )
                .with_help("use confluentinc/cp-kafka (or cp-server), or apache/kafka, under any registry");
            }
        }
        img.flavor
    }
}
