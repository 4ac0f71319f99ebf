//! `describe --format json`: the topology as data, read from the model, for
//! tools (and the text report's facts in one document): each component's
//! listeners and pods with the address of every pod on every listener, the
//! Services clients use, and the bootstraps.

use super::describe::address;
use crate::cluster::{Cluster, Metadata};
use crate::cluster_spec::Authentication;
use crate::model::{Component, Model};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Topology<'a> {
    name: &'a str,
    namespace: &'a str,
    /// `zookeeper` or `kraft`.
    mode: &'static str,
    /// The KRaft cluster id; none in ZooKeeper mode.
    cluster_id: Option<&'a str>,
    /// The brokers' in-cluster bootstrap, `host:port`.
    bootstrap: &'a str,
    /// The Services that expose the brokers outside, when exposed.
    outside: Option<Outside<'a>>,
    components: Vec<ComponentView<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Outside<'a> {
    /// `NodePort` or `LoadBalancer`.
    service_type: &'a str,
    bootstrap_service: &'a str,
    port: u16,
    node_port: Option<u16>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ComponentView<'a> {
    name: &'a str,
    /// `zookeeper`, `controller`, `broker` or `broker+controller`.
    role: String,
    image: &'a str,
    replicas: u32,
    headless_service: &'a str,
    client_service: Option<&'a str>,
    listeners: Vec<ListenerView<'a>>,
    pods: Vec<PodView<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListenerView<'a> {
    name: &'a str,
    port: u16,
    /// Kafka's security protocol; none for ZooKeeper's ports.
    protocol: Option<&'a str>,
    tls: bool,
    authentication: Authentication,
    /// Whether the pods advertise an address on it.
    advertised: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PodView<'a> {
    name: &'a str,
    /// The broker, node or server id.
    id: u32,
    dns: &'a str,
    /// `host:port` by listener; a node port's host is `<node IP>`.
    addresses: BTreeMap<&'a str, String>,
}

fn component(c: &Component) -> ComponentView<'_> {
    ComponentView {
        name: &c.name,
        role: c.role.to_string(),
        image: &c.image,
        replicas: c.replicas,
        headless_service: &c.headless,
        client_service: c.client_service.as_deref(),
        listeners: c
            .listeners
            .iter()
            .filter(|l| l.bound)
            .map(|l| ListenerView {
                name: &l.name,
                port: l.port,
                protocol: l.protocol.as_deref(),
                tls: l.security.tls,
                authentication: l.security.authentication,
                advertised: l.advertised,
            })
            .collect(),
        pods: c
            .pods
            .iter()
            .map(|p| PodView {
                name: &p.name,
                id: p.id,
                dns: &p.dns,
                addresses: p
                    .addresses
                    .iter()
                    .map(|a| (a.listener.as_str(), address(&a.address)))
                    .collect(),
            })
            .collect(),
    }
}

pub fn json(cluster: &Cluster, model: &Model) -> String {
    let (mode, cluster_id) = match &cluster.metadata {
        Metadata::ZooKeeper(_) => ("zookeeper", None),
        Metadata::Kraft(k) => ("kraft", Some(k.cluster_id.as_str())),
    };
    let topology = Topology {
        name: &cluster.name,
        namespace: &cluster.namespace,
        mode,
        cluster_id,
        bootstrap: &model.bootstrap,
        outside: model.external.as_ref().map(|e| Outside {
            service_type: &e.service_type,
            bootstrap_service: &e.bootstrap.name,
            port: e.bootstrap.port,
            node_port: e.bootstrap.node_port,
        }),
        components: model.components.iter().map(component).collect(),
    };
    let mut out = serde_json::to_string_pretty(&topology).expect("plain data serializes");
    out.push('\n');
    out
}
