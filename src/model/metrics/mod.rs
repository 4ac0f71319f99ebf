//! Metrics: the Prometheus JMX exporter as a java agent in every Kafka,
//! controller and ZooKeeper JVM, serving on the `metrics` port, and what
//! reads it: scrape annotations or a PodMonitor, a PrometheusRule of alerts
//! and a Grafana dashboard. Every query selects a component's pods by the
//! labels Prometheus gives its targets: `namespace`, `pod`, and the pods'
//! `app.kubernetes.io/instance` and `app.kubernetes.io/component` labels as
//! `app_kubernetes_io_instance` and `app_kubernetes_io_component`.

pub mod agent;
mod alerts;
mod dashboard;
pub mod exporter;

use super::{Component, INSTANCE, Labels, MANAGED_BY};
use crate::cluster::{Metrics, Scrape};
use crate::listeners::METRICS_PORT_NAME;
use serde::Serialize;
use serde_json::Value;

/// Where the exporter serves.
pub const PATH: &str = "/metrics";

/// What reads the metrics, beside the pods.
#[derive(Debug, Serialize)]
pub struct Monitoring {
    pub pod_monitor: Option<PodMonitor>,
    pub rule: Option<Rule>,
    pub dashboard: Option<Dashboard>,
}

#[derive(Debug, Serialize)]
pub struct PodMonitor {
    pub name: String,
    pub labels: Labels,
    /// The cluster's pods: every component's.
    pub selector: Labels,
    /// Pod labels copied onto every target.
    pub target_labels: Vec<String>,
    pub port: String,
    pub path: String,
}

#[derive(Debug, Serialize)]
pub struct Rule {
    pub name: String,
    pub labels: Labels,
    /// `spec.groups` of the PrometheusRule.
    pub groups: Value,
}

#[derive(Debug, Serialize)]
pub struct Dashboard {
    pub name: String,
    pub labels: Labels,
    pub file: String,
    /// The dashboard's JSON model.
    pub json: String,
}

/// A pod label as Prometheus names it on a target (PodMonitor
/// `podTargetLabels`, or `labelmap` in a plain scrape configuration).
pub fn target_label(key: &str) -> String {
    key.replace(['.', '/', '-'], "_")
}

/// The selector of one component's series in PromQL, without braces: its
/// namespace and its pods' selector labels.
pub fn selector(namespace: &str, c: &Component) -> String {
    let mut parts = vec![format!("namespace=\"{namespace}\"")];
    parts.extend(
        c.selector
            .iter()
            .map(|(k, v)| format!("{}=\"{v}\"", target_label(k))),
    );
    parts.join(",")
}

/// The selector of every series of the cluster, without braces.
fn cluster_selector(namespace: &str, c: &Component) -> String {
    format!(
        "namespace=\"{namespace}\",{}=\"{}\"",
        target_label(INSTANCE),
        c.selector[INSTANCE]
    )
}

/// The pod annotations that ask a Prometheus with the usual Kubernetes
/// scrape configuration to scrape the pods.
pub fn pod_annotations(m: &Metrics) -> Labels {
    if m.scrape != Scrape::Annotations {
        return Labels::new();
    }
    [
        ("prometheus.io/scrape", "true".to_string()),
        ("prometheus.io/port", m.port.to_string()),
        ("prometheus.io/path", PATH.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// The PodMonitor, PrometheusRule and dashboard the spec asks for.
pub fn monitoring(
    m: &Metrics,
    name: &str,
    namespace: &str,
    components: &[Component],
    certificates: &[&str],
    labels: &Labels,
) -> Monitoring {
    let brokers = components
        .iter()
        .find(|c| c.role.is_broker())
        .expect("brokers are always rendered");
    let mut object_labels = labels.clone();
    object_labels.extend(m.labels.iter().cloned());
    // Every pod of the cluster: the labels all components' pods share.
    let instance: Labels = brokers
        .labels
        .iter()
        .filter(|(k, _)| *k == INSTANCE || *k == MANAGED_BY)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let cluster = cluster_selector(namespace, brokers);
    Monitoring {
        pod_monitor: (m.scrape == Scrape::PodMonitor).then(|| PodMonitor {
            name: name.to_string(),
            labels: object_labels.clone(),
            selector: instance,
            target_labels: brokers.selector.keys().cloned().collect(),
            port: METRICS_PORT_NAME.into(),
            path: PATH.into(),
        }),
        rule: m.alerts.then(|| Rule {
            name: name.to_string(),
            labels: object_labels,
            groups: alerts::groups(name, namespace, components, &cluster, certificates),
        }),
        dashboard: m.dashboard.then(|| {
            let mut labels = labels.clone();
            labels.insert("grafana_dashboard".into(), "1".into());
            Dashboard {
                name: format!("{name}-dashboard"),
                labels,
                file: format!("{name}.json"),
                json: dashboard::json(name, namespace, components, &cluster),
            }
        }),
    }
}
