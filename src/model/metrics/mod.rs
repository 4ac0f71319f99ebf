//! Metrics: the Prometheus JMX exporter as a java agent in every Kafka,
//! controller and ZooKeeper JVM, serving on the `metrics` port, and what
//! reads it: scrape annotations or a PodMonitor, a PrometheusRule of alerts
//! and a Grafana dashboard. Every query selects a component's pods by the
//! labels Prometheus gives its targets: `namespace`, `pod`, and the pods'
//! `app.kubernetes.io/instance` and `app.kubernetes.io/component` labels as
//! `app_kubernetes_io_instance` and `app_kubernetes_io_component`.

mod alerts;
mod dashboard;
pub mod exporter;

use super::containers::{Container, Mount, Volume, VolumeSource};
use super::logging::SETTINGS_DIR;
use super::{Component, Labels, Role};
use crate::validate::cluster::{Metrics, Scrape};
use crate::validate::image::Flavor;
use serde::Serialize;
use serde_json::Value;

/// The metrics port's name, which the PodMonitor refers to.
pub const PORT_NAME: &str = "metrics";
/// Where the exporter serves.
pub const PATH: &str = "/metrics";
/// Where the Confluent images keep the agent, as
/// `jmx_prometheus_javaagent-<version>.jar`.
const CONFLUENT_AGENT_DIR: &str = "/usr/share/java/cp-base-new";
/// Where apache/kafka pods get the agent: an emptyDir the `metrics-agent`
/// init container copies it into.
const COPIED_AGENT_DIR: &str = "/opt/kafkagen/metrics-agent";
const AGENT_VOLUME: &str = "metrics-agent";
const AGENT_JAR: &str = "jmx_prometheus_javaagent-*.jar";

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

/// The selector of one component's series in PromQL, without braces.
pub fn selector(namespace: &str, c: &Component) -> String {
    format!(
        "namespace=\"{namespace}\",app_kubernetes_io_instance=\"{}\",app_kubernetes_io_component=\"{}\"",
        c.labels["app.kubernetes.io/instance"], c.labels["app.kubernetes.io/component"]
    )
}

/// The selector of every series of the cluster, without braces.
fn cluster_selector(namespace: &str, c: &Component) -> String {
    format!(
        "namespace=\"{namespace}\",app_kubernetes_io_instance=\"{}\"",
        c.labels["app.kubernetes.io/instance"]
    )
}

/// The start script's lines that add the agent to the JVM the image's
/// entrypoint starts. `KAFKA_OPTS` is exported here and not set on the
/// container, so that tools run with `kubectl exec` do not start a second
/// agent on the same port; the image's own short-lived JVMs before the
/// server (ZooKeeper wait, apache/kafka's configuration step) run it in
/// turn and exit.
pub fn agent_start(flavor: Flavor, m: &Metrics) -> String {
    let dir = agent_dir(flavor);
    format!(
        r#"agent=$(ls {dir}/{AGENT_JAR} 2>/dev/null | head -n 1)
if [ -z "$agent" ]; then
  echo "kafkagen: no JMX exporter agent {dir}/{AGENT_JAR} in this image; metrics need it" >&2
  exit 1
fi
export KAFKA_OPTS="${{KAFKA_OPTS:+$KAFKA_OPTS }}-javaagent:$agent={port}:{SETTINGS_DIR}/{file}"
"#,
        port = m.port,
        file = exporter::FILE,
    )
}

fn agent_dir(flavor: Flavor) -> &'static str {
    match flavor {
        Flavor::ApacheKafka => COPIED_AGENT_DIR,
        _ => CONFLUENT_AGENT_DIR,
    }
}

/// apache/kafka pods, whose image has no agent: an init container copies
/// it from `metrics.agentImage` into an emptyDir the main container reads.
pub fn add_agent(
    flavor: Flavor,
    m: &Metrics,
    init: &mut Vec<Container>,
    main: &mut Container,
    volumes: &mut Vec<Volume>,
) {
    if flavor != Flavor::ApacheKafka {
        return;
    }
    let copy_to = "/agent";
    init.push(Container {
        name: AGENT_VOLUME.into(),
        image: m.agent_image.clone(),
        command: vec![
            "/bin/sh".into(),
            "-c".into(),
            format!("cp {CONFLUENT_AGENT_DIR}/{AGENT_JAR} {copy_to}/"),
        ],
        ports: Vec::new(),
        env: Vec::new(),
        probes: None,
        resources: super::containers::seed_resources(),
        mounts: vec![Mount::new(AGENT_VOLUME, copy_to)],
    });
    main.mounts.push(Mount {
        read_only: true,
        ..Mount::new(AGENT_VOLUME, COPIED_AGENT_DIR)
    });
    volumes.push(Volume::new(
        AGENT_VOLUME,
        VolumeSource::EmptyDir { size_limit: None },
    ));
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
    labels: &Labels,
) -> Monitoring {
    let brokers = components
        .iter()
        .find(|c| c.role.is_broker())
        .expect("brokers are always rendered");
    let mut object_labels = labels.clone();
    object_labels.extend(m.labels.iter().cloned());
    let mut instance = Labels::new();
    instance.insert(
        "app.kubernetes.io/instance".into(),
        brokers.labels["app.kubernetes.io/instance"].clone(),
    );
    instance.insert("app.kubernetes.io/managed-by".into(), "kafkagen".into());
    let cluster = cluster_selector(namespace, brokers);
    Monitoring {
        pod_monitor: (m.scrape == Scrape::PodMonitor).then(|| PodMonitor {
            name: name.to_string(),
            labels: object_labels.clone(),
            selector: instance,
            target_labels: vec![
                "app.kubernetes.io/instance".into(),
                "app.kubernetes.io/component".into(),
            ],
            port: PORT_NAME.into(),
            path: PATH.into(),
        }),
        rule: m.alerts.then(|| Rule {
            name: name.to_string(),
            labels: object_labels,
            groups: alerts::groups(name, namespace, components, &cluster),
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

/// Whether the component's pods are a Kafka node with ActiveControllerCount
/// (brokers in ZooKeeper mode, KRaft controllers).
fn has_controller_metrics(role: Role) -> bool {
    role != Role::ZooKeeper
}
