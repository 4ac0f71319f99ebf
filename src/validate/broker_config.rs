//! `kafka.config`: broker properties, less those kafkagen sets itself and
//! the variables the images read for themselves.

use super::{Annotate, Validator, is_property_key};
use crate::cluster::Flavor;
use crate::cluster_spec::Scalar;
use crate::validate::kafka_config::{self, Scope};
use indexmap::IndexMap;

/// A broker property kafkagen sets itself: the spec field to use instead,
/// and why it is refused where the generic words do not say it.
struct Managed {
    key: &'static str,
    instead: Option<&'static str>,
    why: Option<&'static str>,
}

/// Broker properties kafkagen sets itself.
const MANAGED: &[Managed] = &[
    Managed {
        key: "broker.id",
        instead: None,
        why: None,
    },
    Managed {
        key: "broker.id.generation.enable",
        instead: None,
        why: None,
    },
    Managed {
        key: "reserved.broker.max.id",
        instead: None,
        why: None,
    },
    Managed {
        key: "node.id",
        instead: None,
        why: None,
    },
    Managed {
        key: "listeners",
        instead: None,
        why: None,
    },
    Managed {
        key: "advertised.listeners",
        instead: Some("kafka.exposure"),
        why: None,
    },
    Managed {
        key: "listener.security.protocol.map",
        instead: None,
        why: None,
    },
    Managed {
        key: "inter.broker.listener.name",
        instead: None,
        why: None,
    },
    Managed {
        key: "zookeeper.connect",
        instead: None,
        why: None,
    },
    Managed {
        key: "log.dirs",
        instead: Some("kafka.storage"),
        why: None,
    },
    Managed {
        key: "log.dir",
        instead: Some("kafka.storage"),
        why: None,
    },
    Managed {
        key: "num.partitions",
        instead: Some("kafka.partitions"),
        why: None,
    },
    Managed {
        key: "default.replication.factor",
        instead: Some("kafka.replicationFactor"),
        why: None,
    },
    Managed {
        key: "min.insync.replicas",
        instead: Some("kafka.minInsyncReplicas"),
        why: None,
    },
    Managed {
        key: "offsets.topic.replication.factor",
        instead: Some("kafka.replicationFactor"),
        why: None,
    },
    Managed {
        key: "transaction.state.log.replication.factor",
        instead: Some("kafka.replicationFactor"),
        why: None,
    },
    Managed {
        key: "transaction.state.log.min.isr",
        instead: Some("kafka.minInsyncReplicas"),
        why: None,
    },
    Managed {
        key: "process.roles",
        instead: Some("mode"),
        why: None,
    },
    Managed {
        key: "controller.quorum.voters",
        instead: None,
        why: None,
    },
    Managed {
        key: "controller.listener.names",
        instead: None,
        why: None,
    },
    Managed {
        key: "port",
        instead: None,
        why: None,
    },
    Managed {
        key: "host.name",
        instead: None,
        why: None,
    },
    Managed {
        key: "advertised.host.name",
        instead: Some("kafka.exposure"),
        why: None,
    },
    Managed {
        key: "advertised.port",
        instead: Some("kafka.exposure"),
        why: None,
    },
    Managed {
        key: "security.inter.broker.protocol",
        instead: None,
        why: Some("Kafka refuses it next to `inter.broker.listener.name`, which kafkagen sets"),
    },
    Managed {
        key: "metadata.log.dir",
        instead: Some("kafka.storage"),
        why: Some(
            "the metadata log stays in `log.dirs` on the data volume, so that a voter never loses it",
        ),
    },
];

/// `kafka.config` keys whose variable (`KAFKA_` + the key) the images read
/// for themselves, not as a broker property: JVM options, logging, JMX.
const IMAGE_VARIABLES: &[&str] = &[
    "heap.opts",
    "opts",
    "jvm.performance.opts",
    "gc.log.opts",
    "log4j.opts",
    "jmx.opts",
    "jmx.port",
    "jmx.hostname",
    "log4j.root.loglevel",
    "log4j.loggers",
    "tools.log4j.loglevel",
    "debug",
    "version",
    "data.dirs",
    "cub.zk.timeout",
];

impl Validator<'_> {
    /// `strips_every_kafka`: the image turns `KAFKA_KAFKA_X` into `x`, not
    /// `kafka.x` (apache/kafka before 4.0).
    pub(super) fn broker_config(
        &mut self,
        config: &IndexMap<String, Scalar>,
        strips_every_kafka: bool,
        model: &kafka_config::Model,
        flavor: Flavor,
    ) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (key, value) in config {
            let path = format!("kafka.config.{key}");
            if let Some(m) = MANAGED.iter().find(|m| m.key == key) {
                let why = m.why.map_or(String::new(), |w| format!(": {w}"));
                let d = self
                    .key_error(
                        &path,
                        format!(
                            "`{key}` is set by kafkagen and cannot be overridden in `kafka.config`{why}"
                        ),
                    )
                    .with_label("managed by kafkagen");
                if let Some(field) = m.instead {
                    d.help = Some(format!("set `{field}` instead"));
                }
                continue;
            }
            if IMAGE_VARIABLES.contains(&key.as_str()) {
                let var = crate::broker_properties::property_env(key);
                self.key_error(
                    &path,
                    format!("`kafka.config` key `{key}` becomes the variable {var}, which the image reads for itself, not as a broker property"),
                )
                .with_label("not a broker property")
                .with_help(match key.as_str() {
                    "heap.opts" => "the heap comes from `kafka.heapPercent` of the memory limit",
                    _ => "kafkagen sets the images' JVM, logging and JMX variables itself",
                });
                continue;
            }
            if strips_every_kafka && let Some(rest) = key.strip_prefix("kafka.") {
                let mut arrives = rest.to_string();
                while let Some(r) = arrives.strip_prefix("kafka.") {
                    arrives = r.to_string();
                }
                self.key_error(
                    &path,
                    format!("`kafka.config` key `{key}` would reach Kafka as `{arrives}`: this image removes every `KAFKA_` from its variables' names"),
                )
                .with_label("renamed by the image")
                .with_help("apache/kafka 4.0 and later remove the prefix once; use one of them, or a Confluent image");
                continue;
            }
            if !is_property_key(key) {
                self.key_error(
                    &path,
                    format!("`kafka.config` key `{key}` is not a broker property name"),
                )
                .with_help("property names use lowercase letters, digits, '.', '-' and '_'");
                continue;
            }
            if value.0.chars().any(char::is_control) {
                self.error(
                    &path,
                    format!("the value of `kafka.config.{key}` contains a control character"),
                );
                continue;
            }
            // Confluent's own settings are not in Apache Kafka's model.
            let confluent = flavor == Flavor::ConfluentKafka && key.starts_with("confluent.");
            if !confluent && !self.known_key(&path, key, &value.0, Scope::Broker, model) {
                continue;
            }
            out.push((key.clone(), value.0.clone()));
        }
        out
    }
}
