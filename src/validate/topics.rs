//! `topics`: names, partitions, replication and each topic's config.

use super::{Annotate, Validator, is_property_key, plural};
use crate::cluster::Topic;
use crate::cluster_spec::{KafkaSpec, TopicSpec};
use crate::validate::kafka_config::{self, Scope};
use std::collections::HashMap;

impl Validator<'_> {
    pub(super) fn topics(
        &mut self,
        topics: &[TopicSpec],
        k: &KafkaSpec,
        model: &kafka_config::Model,
    ) -> Vec<Topic> {
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut out = Vec::new();
        for (i, t) in topics.iter().enumerate() {
            let base = format!("topics[{i}]");
            let np = format!("{base}.name");
            if !is_topic_name(&t.name) {
                self.error(
                    &np,
                    if t.name.is_empty() {
                        format!("`{np}` is required")
                    } else {
                        format!("`{np}` \"{}\" is not a valid topic name", t.name)
                    },
                )
                .with_help("topic names use 1 to 249 letters, digits, '.', '_' and '-'");
            } else {
                // Kafka refuses topics whose names differ only in '.' versus '_'.
                let folded = t.name.replace('.', "_");
                if let Some(first) = seen.insert(folded, i) {
                    let same = topics[first].name == t.name;
                    self.error(
                        &np,
                        if same {
                            format!("topic \"{}\" is listed twice (first as topics[{first}])", t.name)
                        } else {
                            format!(
                                "topic \"{}\" collides with \"{}\" (topics[{first}]): Kafka treats '.' and '_' alike in topic names",
                                t.name, topics[first].name
                            )
                        },
                    );
                }
            }
            // Inherited values were checked as kafka.* already.
            let partitions = t.partitions.unwrap_or(k.partitions);
            if t.partitions == Some(0) {
                self.error(
                    &format!("{base}.partitions"),
                    format!("`{base}.partitions` must be at least 1"),
                );
            }
            let rf = t.replication_factor.unwrap_or(k.replication_factor);
            let rp = format!("{base}.replicationFactor");
            if t.replication_factor == Some(0) {
                self.error(&rp, format!("`{rp}` must be at least 1"));
            } else if t.replication_factor.is_some() && rf > k.brokers && k.brokers > 0 {
                self.error(
                    &rp,
                    format!(
                        "topic \"{}\" asks for replication factor {rf} but the cluster has only {} broker{}",
                        t.name,
                        k.brokers,
                        plural(k.brokers)
                    ),
                )
                .with_label("above kafka.brokers");
            }
            let mut config = Vec::new();
            for (key, value) in &t.config {
                let p = format!("{base}.config.{key}");
                if !is_property_key(key) {
                    self.key_error(
                        &p,
                        format!("`{base}.config` key `{key}` is not a topic property name"),
                    );
                } else if value.0.is_empty()
                    || value.0.chars().any(|c| c.is_whitespace() || c.is_control())
                {
                    self.error(
                        &p,
                        format!("the value of `{p}` must be non-empty and without spaces"),
                    );
                } else if self.known_key(&p, key, &value.0, Scope::Topic, model) {
                    config.push((key.clone(), value.0.clone()));
                }
            }
            // acks=all (the producers' default since Kafka 3.0) needs
            // min.insync.replicas replicas: a topic with fewer refuses every write.
            let own_isr = config.iter().find(|(k, _)| k == "min.insync.replicas");
            match own_isr.map(|(_, v)| v.parse::<u32>()) {
                Some(Ok(m)) if m > rf && rf > 0 => {
                    let p = format!("{base}.config.min.insync.replicas");
                    self.error(
                        &p,
                        format!("`{p}` is {m}, above the topic's replication factor {rf}: every write with acks=all would be refused"),
                    )
                    .with_help(format!("set it to at most {rf}"));
                }
                None if rf < k.min_insync_replicas && t.replication_factor.is_some() => {
                    self.error(
                        &rp,
                        format!(
                            "`{rp}` of topic \"{}\" is {rf}, below min.insync.replicas {} (`kafka.minInsyncReplicas`): every write with acks=all, the producers' default, would be refused",
                            t.name, k.min_insync_replicas
                        ),
                    )
                    .with_help(format!(
                        "raise the replication factor to {}, or give the topic its own `min.insync.replicas: {rf}` in its config",
                        k.min_insync_replicas
                    ));
                }
                _ => {}
            }
            out.push(Topic {
                name: t.name.clone(),
                partitions,
                replication_factor: rf,
                config,
            });
        }
        out
    }
}

fn is_topic_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 249
        && s != "."
        && s != ".."
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}
