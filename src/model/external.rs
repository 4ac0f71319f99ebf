//! The Services that expose brokers outside the cluster: those of the
//! brokers' listener served by external Services.

use super::{Component, Labels};
use crate::cluster::{Cluster, Exposure};
use crate::listeners::Reach;
use crate::names::Names;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct External {
    /// `NodePort` or `LoadBalancer`.
    pub service_type: String,
    /// The container port the Services target.
    pub port_name: String,
    pub bootstrap: ExternalService,
    pub brokers: Vec<ExternalService>,
    pub annotations: Labels,
    pub source_ranges: Vec<String>,
    pub load_balancer_class: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ExternalService {
    pub name: String,
    pub labels: Labels,
    pub selector: Labels,
    pub port: u16,
    pub node_port: Option<u16>,
    /// The address a broker advertises, when it is an IPv4 address: the load
    /// balancer must have it (`loadBalancerIP`, which clouds honour when the
    /// address is reserved for the cluster).
    pub load_balancer_ip: Option<String>,
}

pub fn external(c: &Cluster, names: &Names, kafka: &Component) -> Option<External> {
    let listener = kafka.listeners.iter().find(|l| l.served_by.external)?;
    let reach = listener.reach.as_ref()?;
    let (service_type, port) = match reach {
        Reach::LoadBalancer { port, .. } => ("LoadBalancer", *port),
        _ => ("NodePort", listener.port),
    };
    let (annotations, source_ranges, class) = match &c.kafka.exposure {
        Exposure::LoadBalancer {
            annotations,
            source_ranges,
            class,
            ..
        } => (
            annotations.iter().cloned().collect(),
            source_ranges.clone(),
            class.clone(),
        ),
        _ => (Labels::new(), Vec::new(), None),
    };
    let brokers = kafka
        .pods
        .iter()
        .zip(0..)
        .map(|(pod, ordinal)| {
            let mut selector = kafka.selector.clone();
            if kafka.statefulset {
                selector.insert(
                    "statefulset.kubernetes.io/pod-name".into(),
                    pod.name.clone(),
                );
            }
            let load_balancer_ip = match reach {
                Reach::LoadBalancer { hosts, .. } => hosts
                    .get(ordinal as usize)
                    .filter(|h| h.parse::<std::net::Ipv4Addr>().is_ok())
                    .cloned(),
                _ => None,
            };
            ExternalService {
                name: names.kafka_pod_external(ordinal),
                labels: kafka.labels.clone(),
                selector,
                port,
                node_port: reach.node_port(ordinal),
                load_balancer_ip,
            }
        })
        .collect();
    Some(External {
        service_type: service_type.into(),
        port_name: listener.port_name.clone(),
        bootstrap: ExternalService {
            name: names.kafka_external(),
            labels: kafka.labels.clone(),
            selector: kafka.selector.clone(),
            port,
            node_port: match reach {
                Reach::NodePort { bootstrap_port, .. } => Some(*bootstrap_port),
                _ => None,
            },
            load_balancer_ip: None,
        },
        brokers,
        annotations,
        source_ranges,
        load_balancer_class: class,
    })
}
