//! The Job that creates the spec's topics once the brokers are up.

use super::components::commands;
use super::containers::env_literal;
use super::{IMAGE_USER, Labels, Resources, digest, labels, resources};
use crate::model::names::Names;
use crate::validate::cluster::Cluster;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct TopicsJob {
    pub name: String,
    pub image: String,
    pub labels: Labels,
    pub bootstrap: String,
    /// How many brokers must answer before topics are created: the largest
    /// replication factor asked for (not the cluster size, so that adding
    /// brokers leaves the Job as it is).
    pub brokers: String,
    /// The image's `kafka-topics` and `kafka-broker-api-versions` commands.
    pub topics_tool: String,
    pub api_versions_tool: String,
    /// One topic per line: `name partitions replication-factor [key=value]...`
    pub topics: String,
    pub resources: Resources,
    pub user: u32,
}

pub fn topics_job(c: &Cluster, names: &Names, bootstrap: &str) -> Option<TopicsJob> {
    if c.topics.is_empty() {
        return None;
    }
    let topics: String = c
        .topics
        .iter()
        .map(|t| {
            let mut line = format!("{} {} {}", t.name, t.partitions, t.replication_factor);
            for (k, v) in &t.config {
                line += &format!(" {k}={v}");
            }
            line + "\n"
        })
        .collect();
    let (_, topics_tool, api_versions_tool) = commands(c.kafka.flavor);
    // A Job's pod template cannot change once created: a new topic list, or
    // a new script in the built-in template, gets a new Job name, so
    // `kubectl apply` never hits an immutable field.
    let script = ["kafka/topics-job.yaml.j2", "container-security.yaml.j2"]
        .map(|t| crate::render::builtin(t).unwrap_or_default())
        .concat();
    let hash = digest(
        &format!("{}\n{bootstrap}\n{topics}\n{script}", c.kafka.image),
        8,
    );
    Some(TopicsJob {
        name: names.topics_job(&hash),
        image: c.kafka.image.clone(),
        labels: labels("kafka", &c.name, "topics"),
        bootstrap: bootstrap.to_string(),
        brokers: c
            .topics
            .iter()
            .map(|t| t.replication_factor)
            .max()
            .unwrap_or(1)
            .to_string(),
        topics_tool: topics_tool.into(),
        api_versions_tool: api_versions_tool.into(),
        topics: env_literal(&topics),
        // The topics tool is a short-lived JVM client.
        resources: resources(&crate::validate::cluster::Resources {
            requests_cpu: Some("100m".into()),
            requests_memory: Some("384Mi".into()),
            limits_cpu: Some("500m".into()),
            limits_memory: Some("384Mi".into()),
        }),
        user: IMAGE_USER,
    })
}
