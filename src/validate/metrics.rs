//! `metrics`: the exporter's port and the image its agent comes from, and
//! what reads the metrics (scrape objects, alerts, dashboard).

use super::{Annotate, Validator};
use crate::cluster::Flavor;
use crate::cluster::{Kafka, Metrics};
use crate::cluster_spec::{MetricsSpec, Scrape};
use crate::listeners::{
    CONTROLLER, EXTERNAL, INTERNAL, QUORUM, REPLICATION, ZK_CLIENT, ZK_ELECTION, ZK_PEER,
};

/// ZooKeeper's AdminServer port (`admin.serverPort`, on by default).
const ZK_ADMIN_PORT: u32 = 8080;

/// Ports the pods already bind: Kafka's listeners and ZooKeeper's.
fn taken_ports() -> Vec<u32> {
    let mut ports: Vec<u32> = [
        ZK_CLIENT,
        ZK_PEER,
        ZK_ELECTION,
        INTERNAL,
        REPLICATION,
        CONTROLLER,
        QUORUM,
        EXTERNAL,
    ]
    .iter()
    .map(|e| u32::from(e.port))
    .collect();
    ports.push(ZK_ADMIN_PORT);
    ports.sort_unstable();
    ports
}

impl Validator<'_> {
    pub(super) fn metrics(&mut self, m: &MetricsSpec, kafka: &Kafka) -> Option<Metrics> {
        if !m.enabled {
            self.unused_while_disabled(m);
            return None;
        }
        let taken = taken_ports();
        if !(1024..=65535).contains(&m.port) || taken.contains(&m.port) {
            let list: Vec<String> = taken.iter().map(u32::to_string).collect();
            self.error(
                "metrics.port",
                format!(
                    "`metrics.port` {} must be a port from 1024 to 65535 that no other server in the pods uses",
                    m.port
                ),
            )
            .with_help(format!(
                "{} are taken; 9404 is the exporter's usual port",
                list.join(", ")
            ));
        }
        if kafka.flavor == Flavor::ApacheKafka {
            self.agent_image(&m.agent_image);
        }
        self.dns_label("metrics.prometheusNamespace", &m.prometheus_namespace);
        let labels = self.labels("metrics.labels", &m.labels);
        Some(Metrics {
            port: u16::try_from(m.port).unwrap_or_default(),
            agent_image: m.agent_image.clone(),
            scrape: m.scrape,
            alerts: m.alerts,
            dashboard: m.dashboard,
            prometheus_namespace: m.prometheus_namespace.clone(),
            labels,
        })
    }

    /// Settings that ask for something while metrics are off warn, when
    /// they come from the same file as `enabled` (or `enabled` is not
    /// written): a profile's settings under a spec's `enabled: false` do not.
    fn unused_while_disabled(&mut self, m: &MetricsSpec) {
        let asked = [
            ("metrics.alerts", m.alerts),
            ("metrics.dashboard", m.dashboard),
            ("metrics.scrape", m.scrape != Scrape::Annotations),
        ];
        let enabled_at = self.loc.value("metrics.enabled").map(|s| s.source);
        for (path, set) in asked {
            let at = self.loc.value(path).map(|s| s.source);
            if set && at.is_some() && (enabled_at.is_none() || enabled_at == at) {
                self.warn(
                    path,
                    format!("`{path}` has no effect while `metrics.enabled` is false"),
                )
                .with_help("set `metrics.enabled: true`");
            }
        }
    }

    fn agent_image(&mut self, reference: &str) {
        let path = "metrics.agentImage";
        if let Some(img) = self.image_reference(path, reference, "confluentinc/cp-base-new:7.9.1") {
            self.pinned(path, &img);
        }
    }
}
