//! `--topology FILE`: what `kafkagen describe --format json` says of the
//! booted spec, checked against the running cluster, as a user's tool that
//! reads it would rely on it: every pod it names runs (by its hostname: a
//! Deployment's pod has a generated name), with the id it gives; every
//! address it gives a Kafka node on an advertised listener is the one the
//! node advertises, and on any other listener the node's DNS name and the
//! port it listens on; the bootstrap is the Service clients reach; the
//! outside bootstrap Service exists with its type and ports.

use crate::checks::{Report, inside_bootstrap, kafka_nodes, listeners};
use crate::cluster::Cluster;
use crate::objects::Owner;
use anyhow::{Context, Result};
use kafkagen::commands::describe::NODE_IP;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Topology {
    pub bootstrap: String,
    pub outside: Option<Outside>,
    pub components: Vec<Component>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outside {
    pub service_type: String,
    pub bootstrap_service: String,
    pub port: u16,
    pub node_port: Option<u16>,
}

#[derive(Deserialize)]
pub struct Component {
    pub name: String,
    pub role: String,
    pub replicas: u32,
    pub listeners: Vec<Listener>,
    pub pods: Vec<TopologyPod>,
}

#[derive(Deserialize)]
pub struct Listener {
    pub name: String,
    pub port: u16,
    pub advertised: bool,
}

#[derive(Deserialize)]
pub struct TopologyPod {
    pub name: String,
    pub id: u32,
    pub dns: String,
    pub addresses: BTreeMap<String, String>,
}

pub fn read(path: &Path) -> Result<Topology> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{}: not the output of kafkagen describe --format json",
            path.display()
        )
    })
}

fn owner_name(o: &Owner) -> &str {
    match o {
        Owner::StatefulSet(n) | Owner::Deployment(n) | Owner::Job(n) => n,
    }
}

/// A running pod as the checks see it.
#[derive(Default)]
pub struct Seen {
    /// The workload that owns it.
    pub owner: String,
    pub hostname: String,
    pub dns: String,
    /// The address of the node the pod runs on (`status.hostIP`), which
    /// describe writes as `<node IP>`.
    pub node_ip: String,
    /// A Kafka node's id; none for ZooKeeper.
    pub id: Option<u32>,
    /// A Kafka node's `advertised.listeners` and `listeners`: name ->
    /// `host:port`, name -> port.
    pub advertised: BTreeMap<String, String>,
    pub bound: BTreeMap<String, u16>,
    /// Its containers' ports: name, number.
    pub ports: Vec<(String, u16)>,
}

/// Every running workload pod, read from the cluster.
pub fn seen(cluster: &Cluster) -> Vec<Seen> {
    let nodes = kafka_nodes(cluster);
    cluster
        .live_pods()
        .filter(|p| !matches!(p.def.owner, Owner::Job(_)))
        .map(|pod| {
            let node = nodes.iter().find(|n| n.pod.def.name == pod.def.name);
            let props = |key: &str| {
                node.and_then(|n| n.props.get(key))
                    .map(|v| listeners(v))
                    .unwrap_or_default()
            };
            Seen {
                owner: owner_name(&pod.def.owner).to_string(),
                hostname: pod.def.hostname.clone(),
                dns: cluster.pod_dns(&pod.def),
                node_ip: crate::network::NODE_IP.to_string(),
                id: node.map(|n| n.id),
                advertised: props("advertised.listeners")
                    .into_iter()
                    .map(|(name, host, port)| (name, format!("{host}:{port}")))
                    .collect(),
                bound: props("listeners")
                    .into_iter()
                    .map(|(name, _, port)| (name, port))
                    .collect(),
                ports: pod
                    .def
                    .spec
                    .containers
                    .iter()
                    .flat_map(|c| c.ports.iter().flatten())
                    .map(|cp| {
                        (
                            cp.name.clone().unwrap_or_default(),
                            cp.container_port as u16,
                        )
                    })
                    .collect(),
            }
        })
        .collect()
}

/// What describe says of component `c` that the running pods contradict.
pub fn wrong(c: &Component, pods: &[Seen]) -> Vec<String> {
    let running: Vec<&Seen> = pods.iter().filter(|p| p.owner == c.name).collect();
    let mut wrong = Vec::new();
    if c.pods.len() != c.replicas as usize || running.len() != c.pods.len() {
        wrong.push(format!(
            "{} pods listed for {} replicas, {} running",
            c.pods.len(),
            c.replicas,
            running.len()
        ));
    }
    for p in &c.pods {
        let Some(pod) = running.iter().find(|r| r.hostname == p.name) else {
            wrong.push(format!("{}: no such pod runs", p.name));
            continue;
        };
        if p.dns != pod.dns {
            wrong.push(format!("{}: DNS name {} is {}", p.name, p.dns, pod.dns));
        }
        if let Some(id) = pod.id
            && id != p.id
        {
            wrong.push(format!("{}: id {} is {id}", p.name, p.id));
        }
        for (listener, address) in &p.addresses {
            let address = &address.replace(NODE_IP, &pod.node_ip);
            let Some(l) = c.listeners.iter().find(|l| &l.name == listener) else {
                wrong.push(format!(
                    "{}: {listener} is no listener of {}",
                    p.name, c.name
                ));
                continue;
            };
            let expected = if l.advertised {
                pod.advertised.get(listener).cloned()
            } else {
                // Not advertised: the pod's own name, on the port its
                // Kafka listener binds or its container serves.
                pod.bound
                    .get(listener)
                    .copied()
                    .or_else(|| {
                        pod.ports
                            .iter()
                            .find(|(name, port)| name == listener || *port == l.port)
                            .map(|(_, port)| *port)
                    })
                    .map(|port| format!("{}:{port}", pod.dns))
            };
            match expected {
                Some(e) if &e == address => {}
                Some(e) => wrong.push(format!("{}: {listener} at {address} is at {e}", p.name)),
                None => wrong.push(format!(
                    "{}: {listener} at {address}, which the pod {}",
                    p.name,
                    if l.advertised {
                        "does not advertise"
                    } else {
                        "does not serve"
                    }
                )),
            }
        }
    }
    wrong
}

/// Checks `t` against the running cluster, one line per component and one
/// for each bootstrap.
pub fn check(cluster: &Cluster, t: &Topology, report: &mut Report) {
    let pods = seen(cluster);
    for c in &t.components {
        let wrong = wrong(c, &pods);
        let addresses: usize = c.pods.iter().map(|p| p.addresses.len()).sum();
        report.check(
            wrong.is_empty(),
            format!(
                "topology: {} ({}): {} pods and {addresses} addresses as describe gives them{}",
                c.name,
                c.role,
                c.pods.len(),
                if wrong.is_empty() {
                    String::new()
                } else {
                    format!("; wrong: {}", wrong.join("; "))
                }
            ),
        );
    }
    let inside = inside_bootstrap(cluster);
    report.check(
        inside.as_deref() == Some(t.bootstrap.as_str()),
        format!(
            "topology: bootstrap {} is the Service that selects the brokers ({})",
            t.bootstrap,
            inside.as_deref().unwrap_or("none")
        ),
    );
    if let Some(o) = &t.outside {
        let service = cluster
            .services
            .iter()
            .find(|s| s.name == o.bootstrap_service);
        let found = service.map(|s| {
            let port = s.ports().into_iter().find(|p| p.port == i32::from(o.port));
            (
                s.service_type(),
                port.is_some(),
                port.and_then(|p| p.node_port).map(|n| n as u16),
            )
        });
        let ok = found.as_ref().is_some_and(|(kind, port, node_port)| {
            kind == &o.service_type && *port && (o.node_port.is_none() || *node_port == o.node_port)
        });
        report.check(
            ok,
            format!(
                "topology: outside bootstrap {} ({}, port {}{}) is a Service as described ({found:?})",
                o.bootstrap_service,
                o.service_type,
                o.port,
                o.node_port
                    .map(|n| format!(", node port {n}"))
                    .unwrap_or_default()
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A broker component as `kafkagen describe --format json` prints it.
    fn brokers() -> Component {
        serde_json::from_str(
            r#"{"name": "t-kafka", "role": "broker", "image": "apache/kafka:4.1.0", "replicas": 1,
                "headlessService": "t-kafka-headless", "clientService": "t-kafka",
                "listeners": [
                  {"name": "INTERNAL", "port": 9092, "protocol": "PLAINTEXT", "tls": false, "authentication": "none", "advertised": true},
                  {"name": "CONTROLLER", "port": 9093, "protocol": "PLAINTEXT", "tls": false, "authentication": "none", "advertised": false},
                  {"name": "metrics", "port": 9404, "protocol": null, "tls": false, "authentication": "none", "advertised": false},
                  {"name": "EXTERNAL", "port": 9094, "protocol": "PLAINTEXT", "tls": false, "authentication": "none", "advertised": true}],
                "pods": [{"name": "t-kafka-0", "id": 0, "dns": "t-kafka-0.h.ns.svc.cluster.local",
                  "addresses": {"INTERNAL": "t-kafka-0.h.ns.svc.cluster.local:9092",
                                "CONTROLLER": "t-kafka-0.h.ns.svc.cluster.local:9093",
                                "metrics": "t-kafka-0.h.ns.svc.cluster.local:9404",
                                "EXTERNAL": "<node IP>:30093"}}]}"#,
        )
        .unwrap()
    }

    fn running() -> Seen {
        Seen {
            owner: "t-kafka".into(),
            hostname: "t-kafka-0".into(),
            dns: "t-kafka-0.h.ns.svc.cluster.local".into(),
            node_ip: "192.168.49.2".into(),
            id: Some(0),
            advertised: [
                (
                    "INTERNAL".into(),
                    "t-kafka-0.h.ns.svc.cluster.local:9092".into(),
                ),
                ("EXTERNAL".into(), "192.168.49.2:30093".into()),
            ]
            .into(),
            bound: [("INTERNAL".into(), 9092), ("CONTROLLER".into(), 9093)].into(),
            ports: vec![("internal".into(), 9092), ("metrics".into(), 9404)],
        }
    }

    #[test]
    fn a_topology_the_pods_bear_out_has_nothing_wrong() {
        assert_eq!(wrong(&brokers(), &[running()]), Vec::<String>::new());
    }

    #[test]
    fn every_contradiction_is_named() {
        let mut pod = running();
        pod.advertised
            .insert("INTERNAL".into(), "10.0.0.1:9092".into());
        pod.bound.insert("CONTROLLER".into(), 9095);
        pod.id = Some(7);
        assert_eq!(
            wrong(&brokers(), &[pod]),
            [
                "t-kafka-0: id 0 is 7",
                "t-kafka-0: CONTROLLER at t-kafka-0.h.ns.svc.cluster.local:9093 is at t-kafka-0.h.ns.svc.cluster.local:9095",
                "t-kafka-0: INTERNAL at t-kafka-0.h.ns.svc.cluster.local:9092 is at 10.0.0.1:9092",
            ]
        );
        let mut pod = running();
        pod.dns = "t-kafka-0.h.other.svc.cluster.local".into();
        pod.advertised.clear();
        pod.ports.clear();
        assert_eq!(
            wrong(&brokers(), &[pod]),
            [
                "t-kafka-0: DNS name t-kafka-0.h.ns.svc.cluster.local is t-kafka-0.h.other.svc.cluster.local",
                "t-kafka-0: CONTROLLER at t-kafka-0.h.ns.svc.cluster.local:9093 is at t-kafka-0.h.other.svc.cluster.local:9093",
                "t-kafka-0: EXTERNAL at 192.168.49.2:30093, which the pod does not advertise",
                "t-kafka-0: INTERNAL at t-kafka-0.h.ns.svc.cluster.local:9092, which the pod does not advertise",
                "t-kafka-0: metrics at t-kafka-0.h.ns.svc.cluster.local:9404, which the pod does not serve",
            ]
        );
        // describe's `<node IP>` is the node the pod runs on.
        let mut pod = running();
        pod.node_ip = "10.0.0.9".into();
        assert_eq!(
            wrong(&brokers(), &[pod]),
            ["t-kafka-0: EXTERNAL at 10.0.0.9:30093 is at 192.168.49.2:30093"]
        );
        assert_eq!(
            wrong(&brokers(), &[]),
            [
                "1 pods listed for 1 replicas, 0 running",
                "t-kafka-0: no such pod runs"
            ]
        );
    }
}
