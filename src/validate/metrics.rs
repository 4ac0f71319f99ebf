//! `metrics`: the exporter's port and the image its agent comes from, and
//! what reads the metrics (scrape objects, alerts, dashboard).

use super::{Note, Validator};
use crate::spec::MetricsSpec;
use crate::validate::cluster::{Kafka, Metrics};
use crate::validate::image::{self, Flavor};

/// Ports the pods already bind: Kafka's listeners and ZooKeeper's.
const TAKEN_PORTS: &[u32] = &[2181, 2888, 3888, 9092, 9093, 9094];

impl Validator<'_> {
    pub(super) fn metrics(&mut self, m: &MetricsSpec, kafka: &Kafka) -> Option<Metrics> {
        if !m.enabled {
            return None;
        }
        if !(1024..=65535).contains(&m.port) || TAKEN_PORTS.contains(&m.port) {
            self.error(
                "metrics.port",
                format!(
                    "`metrics.port` {} must be a port from 1024 to 65535 that no listener uses",
                    m.port
                ),
            )
            .with_help("ports 2181, 2888, 3888 and 9092 to 9094 are taken; 9404 is the exporter's usual port");
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

    fn agent_image(&mut self, reference: &str) {
        let path = "metrics.agentImage";
        match image::parse(reference) {
            None => {
                self.error(
                    path,
                    format!("`{path}` \"{reference}\" is not an image reference"),
                )
                .with_help("write it like confluentinc/cp-base-new:7.9.1");
            }
            Some(img) => {
                self.pinned(path, &img);
            }
        }
    }
}
