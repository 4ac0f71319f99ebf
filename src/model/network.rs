//! NetworkPolicies: each component reachable only by whom its listeners
//! allow (see `listeners::ingress`); the topics Job by no one.

use super::{Component, Labels, Role};
use crate::cluster;
use crate::listeners::{self, Access, Peer};
use serde::Serialize;
use serde_json::{Value, json};

/// Ingress rules for one component's pods.
#[derive(Debug, Serialize)]
pub struct NetworkPolicyModel {
    pub name: String,
    pub labels: Labels,
    pub selector: Labels,
    pub ingress: Vec<IngressRule>,
}

#[derive(Debug, Serialize)]
pub struct IngressRule {
    /// NetworkPolicy peers; empty means from anywhere.
    pub from: Vec<Value>,
    pub ports: Vec<u16>,
}

fn pods_of(c: &Component) -> Value {
    json!({ "podSelector": { "matchLabels": c.selector } })
}

/// The NetworkPolicy peers `allowFrom` lists.
fn allow_from(peers: &[cluster::Peer]) -> impl Iterator<Item = Value> + '_ {
    peers.iter().map(|p| {
        let mut o = serde_json::Map::new();
        let labels = |l: &Vec<(String, String)>| {
            json!({ "matchLabels": l.iter().cloned().collect::<Labels>() })
        };
        if let Some(n) = &p.namespace_selector {
            o.insert("namespaceSelector".into(), labels(n));
        }
        if let Some(l) = &p.pod_selector {
            o.insert("podSelector".into(), labels(l));
        }
        Value::Object(o)
    })
}

pub fn network_policies(
    components: &[Component],
    allowed: &[cluster::Peer],
    prometheus_namespace: Option<&str>,
    jobs: [Option<(&String, &Labels)>; 5],
) -> Vec<NetworkPolicyModel> {
    let brokers = components
        .iter()
        .find(|c| c.role.is_broker())
        .expect("brokers are always rendered");
    let mut policies: Vec<NetworkPolicyModel> = components
        .iter()
        .map(|c| {
            let ingress = listeners::ingress(&c.listeners)
                .into_iter()
                .map(|(access, ports)| IngressRule {
                    from: match access {
                        Access::Anyone => Vec::new(),
                        Access::From(peers) => peers
                            .iter()
                            .flat_map(|peer| -> Vec<Value> {
                                match peer {
                                    Peer::Own => vec![pods_of(c)],
                                    Peer::Brokers => vec![pods_of(brokers)],
                                    Peer::Controllers => components
                                        .iter()
                                        .filter(|c| c.role == Role::Controller)
                                        .map(pods_of)
                                        .collect(),
                                    Peer::Namespace => vec![json!({ "podSelector": {} })],
                                    Peer::AllowFrom => allow_from(allowed).collect(),
                                    Peer::Prometheus => vec![json!({
                                        "namespaceSelector": { "matchLabels": {
                                            "kubernetes.io/metadata.name": prometheus_namespace
                                                .expect("pods have a metrics port only with metrics on"),
                                        } }
                                    })],
                                }
                            })
                            .collect(),
                    },
                    ports,
                })
                .collect();
            NetworkPolicyModel {
                name: c.name.clone(),
                labels: c.labels.clone(),
                selector: c.selector.clone(),
                ingress,
            }
        })
        .collect();
    // The Jobs serve nothing: no ingress at all.
    for (name, labels) in jobs.into_iter().flatten() {
        policies.push(NetworkPolicyModel {
            name: name.clone(),
            labels: labels.clone(),
            selector: labels.clone(),
            ingress: Vec::new(),
        });
    }
    policies
}
