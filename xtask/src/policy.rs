//! NetworkPolicies as a network plugin that enforces them applies them on
//! one node: a pod that a policy of its namespace selects for ingress (or
//! egress) takes only the connections some rule of those policies allows;
//! every other pod takes everything. Traffic to and from the node (the
//! kubelet's probes) is always allowed, as Kubernetes' documentation says
//! of it.
//!
//! Where the rules sit: a pod's connection to another pod's address is
//! filtered in both pods' network namespaces (the sender's OUTPUT for
//! egress, the receiver's INPUT for ingress). A connection through a
//! Service reaches the receiver from the node, after the node rewrote its
//! destination (and masqueraded its source, `network::sync_services`): the
//! node's FORWARD chain filters it by its original source and its new
//! destination, before the masquerade.

use crate::cluster::Cluster;
use crate::network::{self, NODE_IP};
use crate::objects::Labels;
use anyhow::{Context, Result};
use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::net::Ipv4Addr;

/// Where a connection may come from or go to, as iptables matches it.
#[derive(Debug, Clone, PartialEq)]
enum Address {
    Any,
    Ip(Ipv4Addr),
    Cidr(String),
}

/// A port match: protocol and port (or range); `None` for any port.
type PortMatch = Option<(String, u16, Option<u16>)>;

/// One pod (or pod-like client) on the pod network.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub ip: Ipv4Addr,
    pub netns: String,
    pub namespace: String,
    /// Its namespace's labels (`kubernetes.io/metadata.name` at least).
    pub namespace_labels: Labels,
    pub labels: Labels,
    /// Its containers' named ports.
    pub ports: Vec<(String, u16)>,
}

/// The labels every namespace has: its name.
pub fn namespace_labels(namespace: &str) -> Labels {
    Labels::from([(
        "kubernetes.io/metadata.name".to_string(),
        namespace.to_string(),
    )])
}

/// The rules: each pod's filter table (by network namespace), and the
/// node's KG-POLICY chain (with its own chains), for iptables-restore.
#[derive(Debug, Default, PartialEq)]
pub struct Rules {
    pub pods: BTreeMap<String, String>,
    pub node_chains: String,
    pub node_rules: String,
}

/// Whether `selector` selects `labels`: every `matchLabels` pair and every
/// `matchExpressions` requirement holds. An empty selector selects all.
pub fn selects(selector: &LabelSelector, labels: &Labels) -> Result<bool, String> {
    let pairs = selector
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    let mut expressions = true;
    for e in selector.match_expressions.iter().flatten() {
        let value = labels.get(&e.key);
        let values = e.values.clone().unwrap_or_default();
        expressions &= match e.operator.as_str() {
            "In" => value.is_some_and(|v| values.contains(v)),
            "NotIn" => !value.is_some_and(|v| values.contains(v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            other => {
                return Err(format!(
                    "a label selector operator Kubernetes does not know: {other}"
                ));
            }
        };
    }
    Ok(pairs && expressions)
}

/// The addresses a rule's peers stand for, seen from a policy in
/// `namespace`; no peers at all means anyone.
fn peers(
    from: Option<&Vec<NetworkPolicyPeer>>,
    namespace: &str,
    endpoints: &[Endpoint],
) -> Result<Vec<Address>, String> {
    let Some(from) = from.filter(|f| !f.is_empty()) else {
        return Ok(vec![Address::Any]);
    };
    let mut out = Vec::new();
    for peer in from {
        if let Some(block) = &peer.ip_block {
            if block.except.as_ref().is_some_and(|e| !e.is_empty()) {
                return Err("ipBlock.except, which the live boot does not translate".into());
            }
            // The live boot's pods and node have IPv4 addresses only: an
            // IPv6 block matches none of them.
            if !block.cidr.contains(':') {
                out.push(Address::Cidr(block.cidr.clone()));
            }
            continue;
        }
        for e in endpoints {
            let in_namespace = match &peer.namespace_selector {
                Some(ns) => selects(ns, &e.namespace_labels)?,
                None => e.namespace == namespace,
            };
            let pod = match &peer.pod_selector {
                Some(p) => selects(p, &e.labels)?,
                None => true,
            };
            if in_namespace && pod {
                out.push(Address::Ip(e.ip));
            }
        }
    }
    Ok(out)
}

/// A rule's ports; a named one is looked up among `named` (the receiving
/// pod's), and matches nothing where that pod has no port by the name.
fn ports(
    ports: Option<&Vec<NetworkPolicyPort>>,
    named: Option<&[(String, u16)]>,
) -> Result<Vec<PortMatch>, String> {
    let Some(ports) = ports.filter(|p| !p.is_empty()) else {
        return Ok(vec![None]);
    };
    let mut out = Vec::new();
    for p in ports {
        let protocol = p.protocol.as_deref().unwrap_or("TCP").to_lowercase();
        let number = match &p.port {
            None => {
                // Every port of the protocol.
                out.push(Some((protocol, 0, None)));
                continue;
            }
            Some(IntOrString::Int(n)) => u16::try_from(*n).map_err(|_| format!("port {n}"))?,
            Some(IntOrString::String(name)) => {
                let Some(named) = named else {
                    return Err(format!(
                        "a named port ({name}) in an egress rule, which the live boot does not translate"
                    ));
                };
                match named.iter().find(|(n, _)| n == name) {
                    Some((_, port)) => *port,
                    None => continue,
                }
            }
        };
        let end = p.end_port.map(|e| e as u16);
        out.push(Some((protocol, number, end)));
    }
    Ok(out)
}

/// One iptables rule's matches for an address (as the source when
/// `source`, else the destination) and a port.
fn matches(address: &Address, source: bool, port: &PortMatch) -> String {
    let flag = if source { "-s" } else { "-d" };
    let mut m = match address {
        Address::Any => String::new(),
        Address::Ip(ip) => format!("{flag} {ip}/32 "),
        Address::Cidr(c) => format!("{flag} {c} "),
    };
    if let Some((protocol, port, end)) = port {
        let _ = write!(m, "-p {protocol} ");
        if *port != 0 {
            match end {
                Some(e) => {
                    let _ = write!(m, "--dport {port}:{e} ");
                }
                None => {
                    let _ = write!(m, "--dport {port} ");
                }
            }
        }
    }
    m
}

/// What `e` allows in one direction (`ingress` or egress): `None` when no
/// policy selects it for that direction, else the allowed peers and ports.
fn allowed(
    policies: &[NetworkPolicy],
    e: &Endpoint,
    endpoints: &[Endpoint],
    ingress: bool,
) -> Result<Option<Vec<(Address, PortMatch)>>, String> {
    let mut isolated = false;
    let mut out = Vec::new();
    for p in policies {
        let Some(spec) = &p.spec else { continue };
        if p.metadata.namespace.as_deref().unwrap_or(&e.namespace) != e.namespace
            || !selects(&spec.pod_selector.clone().unwrap_or_default(), &e.labels)?
        {
            continue;
        }
        // policyTypes, when absent or empty (as the API server defaults
        // it): Ingress, and Egress if it has egress rules.
        let types = spec
            .policy_types
            .clone()
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| {
                let mut t = vec!["Ingress".to_string()];
                if spec.egress.as_ref().is_some_and(|e| !e.is_empty()) {
                    t.push("Egress".into());
                }
                t
            });
        let namespace = p.metadata.namespace.as_deref().unwrap_or(&e.namespace);
        if ingress && types.iter().any(|t| t == "Ingress") {
            isolated = true;
            for r in spec.ingress.iter().flatten() {
                let ports = ports(r.ports.as_ref(), Some(&e.ports))?;
                for a in peers(r.from.as_ref(), namespace, endpoints)? {
                    for port in &ports {
                        out.push((a.clone(), port.clone()));
                    }
                }
            }
        }
        if !ingress && types.iter().any(|t| t == "Egress") {
            isolated = true;
            for r in spec.egress.iter().flatten() {
                let ports = ports(r.ports.as_ref(), None)?;
                for a in peers(r.to.as_ref(), namespace, endpoints)? {
                    for port in &ports {
                        out.push((a.clone(), port.clone()));
                    }
                }
            }
        }
    }
    Ok(isolated.then_some(out))
}

/// Whether the policies let a TCP connection from `from` reach `to` at
/// `port`: `None` when no policy isolates `to` for ingress.
pub fn admits(
    policies: &[NetworkPolicy],
    endpoints: &[Endpoint],
    to: &Endpoint,
    from: Ipv4Addr,
    port: u16,
) -> Result<Option<bool>, String> {
    let Some(allow) = allowed(policies, to, endpoints, true)? else {
        return Ok(None);
    };
    Ok(Some(allow.iter().any(|(a, p)| {
        let address = match a {
            Address::Any => true,
            Address::Ip(ip) => *ip == from,
            Address::Cidr(c) => in_cidr(c, from),
        };
        let port = match p {
            None => true,
            Some((protocol, first, end)) => {
                protocol == "tcp"
                    && (*first == 0 || (*first..=end.unwrap_or(*first)).contains(&port))
            }
        };
        address && port
    })))
}

/// Whether `ip` is in `cidr` (`a.b.c.d/n`).
fn in_cidr(cidr: &str, ip: Ipv4Addr) -> bool {
    let Some((net, bits)) = cidr.split_once('/') else {
        return false;
    };
    let (Ok(net), Ok(bits)) = (net.parse::<Ipv4Addr>(), bits.parse::<u32>()) else {
        return false;
    };
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits.min(32))
    };
    u32::from(ip) & mask == u32::from(net) & mask
}

/// A pod's filter table when no policy is enforced.
const OPEN: &str =
    "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n";

/// The rules for `policies` over `endpoints`. `node` are the addresses of
/// the node (always allowed), `services` where Services answer (decided on
/// the node after the rewrite). An error names what the live boot cannot
/// translate.
pub fn rules(
    policies: &[NetworkPolicy],
    endpoints: &[Endpoint],
    node: &[Ipv4Addr],
    services: &[&str],
) -> Result<Rules, String> {
    let mut out = Rules::default();
    let mut node_ingress = String::new();
    for (i, e) in endpoints.iter().enumerate() {
        let ingress = allowed(policies, e, endpoints, true)?.map(|a| {
            a.iter()
                .map(|(a, p)| matches(a, true, p))
                .collect::<Vec<_>>()
        });
        let egress = allowed(policies, e, endpoints, false)?.map(|a| {
            a.iter()
                .map(|(a, p)| matches(a, false, p))
                .collect::<Vec<_>>()
        });
        let mut t = OPEN.trim_end_matches("COMMIT\n").to_string();
        if let Some(allow) = &ingress {
            t.push_str("-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n-A INPUT -i lo -j ACCEPT\n");
            for n in node {
                let _ = writeln!(t, "-A INPUT -s {n}/32 -j ACCEPT");
            }
            for m in allow {
                let _ = writeln!(t, "-A INPUT {m}-j ACCEPT");
            }
            t.push_str("-A INPUT -j DROP\n");
            let chain = format!("KG-POL-IN-{i}");
            let _ = writeln!(out.node_chains, ":{chain} - [0:0]");
            let _ = writeln!(node_ingress, "-A KG-POLICY -d {}/32 -j {chain}", e.ip);
            for m in allow {
                let _ = writeln!(out.node_rules, "-A {chain} {m}-j RETURN");
            }
            let _ = writeln!(out.node_rules, "-A {chain} -j DROP");
        }
        if let Some(allow) = &egress {
            t.push_str("-A OUTPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n-A OUTPUT -o lo -j ACCEPT\n");
            for n in node {
                let _ = writeln!(t, "-A OUTPUT -d {n}/32 -j ACCEPT");
            }
            for s in services {
                let _ = writeln!(t, "-A OUTPUT -d {s} -j ACCEPT");
            }
            for m in allow {
                let _ = writeln!(t, "-A OUTPUT {m}-j ACCEPT");
            }
            t.push_str("-A OUTPUT -j DROP\n");
            let chain = format!("KG-POL-OUT-{i}");
            let _ = writeln!(out.node_chains, ":{chain} - [0:0]");
            let _ = writeln!(out.node_rules, "-A KG-POLICY -s {}/32 -j {chain}", e.ip);
            for m in allow {
                let _ = writeln!(out.node_rules, "-A {chain} {m}-j RETURN");
            }
            let _ = writeln!(out.node_rules, "-A {chain} -j DROP");
        }
        t.push_str("COMMIT\n");
        out.pods.insert(e.netns.clone(), t);
    }
    // Egress first (by source), then ingress (by destination): a
    // connection passes when neither drops it.
    out.node_rules.push_str(&node_ingress);
    Ok(out)
}

impl Cluster {
    /// A pod of the harness's own in `namespace` (with
    /// `extra_namespace_labels` besides its name) with `labels`, named `name` in its hosts file.
    pub fn add_guest(
        &mut self,
        name: &str,
        namespace: &str,
        extra_namespace_labels: &[(&str, &str)],
        labels: &[(&str, &str)],
    ) -> Result<(Ipv4Addr, String)> {
        let (_, ip, netns) = self.allocate()?;
        let mut ns_labels = namespace_labels(namespace);
        ns_labels.extend(
            extra_namespace_labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        self.guests.push((
            name.to_string(),
            Endpoint {
                ip,
                netns: netns.clone(),
                namespace: namespace.to_string(),
                namespace_labels: ns_labels,
                labels: labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                ports: Vec::new(),
            },
        ));
        self.sync()?;
        Ok((ip, netns))
    }

    /// The render's NetworkPolicies (in the cluster's namespace unless
    /// they say otherwise) and every pod on the network, guests included.
    pub fn policy_inputs(&self) -> Result<(Vec<NetworkPolicy>, Vec<Endpoint>)> {
        let namespace = self.namespace().to_string();
        let mut policies = Vec::new();
        for ((kind, name), v) in &self.objects.values {
            if kind != "NetworkPolicy" {
                continue;
            }
            let mut p: k8s_openapi::api::networking::v1::NetworkPolicy =
                serde_json::from_value(v.clone())
                    .with_context(|| format!("NetworkPolicy {name}"))?;
            p.metadata
                .namespace
                .get_or_insert_with(|| namespace.clone());
            policies.push(p);
        }
        // The namespace's labels: what the render's Namespace object gives
        // it, and its name (which the API server sets).
        let mut ns_labels = Labels::new();
        if let Some(v) = self
            .objects
            .values
            .get(&("Namespace".to_string(), namespace.clone()))
        {
            let labels = v["metadata"]["labels"].as_object().into_iter().flatten();
            ns_labels
                .extend(labels.filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))));
        }
        ns_labels.extend(namespace_labels(&namespace));
        let mut endpoints: Vec<Endpoint> = self
            .live_pods()
            .map(|p| Endpoint {
                ip: p.ip,
                netns: p.netns.clone(),
                namespace: namespace.clone(),
                namespace_labels: ns_labels.clone(),
                labels: p.def.labels.clone(),
                ports: Cluster::container_ports(p)
                    .into_iter()
                    .filter_map(|(n, port)| Some((n, u16::try_from(port).ok()?)))
                    .collect(),
            })
            .collect();
        endpoints.extend(self.guests.iter().map(|(_, g)| g.clone()));
        Ok((policies, endpoints))
    }

    /// Whether the enforced policies let a connection from the pod of
    /// network namespace `from` reach `to:port`; `None` when none
    /// decides (not enforced, no policy isolates the pod at `to`, or
    /// neither is a pod).
    pub fn admitted(&self, from: &str, to: Ipv4Addr, port: u16) -> Option<bool> {
        if self.policies_not_enforced.is_some() {
            return None;
        }
        let (policies, endpoints) = self.policy_inputs().ok()?;
        let source = endpoints.iter().find(|e| e.netns == from)?.ip;
        let target = endpoints.iter().find(|e| e.ip == to)?;
        admits(&policies, &endpoints, target, source, port).ok()?
    }

    /// The render's NetworkPolicies, as a network plugin that enforces
    /// them would program them for the pods there are now (`policy`).
    pub(crate) fn sync_policies(&mut self, frontends: &BTreeSet<String>) -> Result<()> {
        if self.policies_not_enforced.is_some() {
            return Ok(());
        }
        let (policies, endpoints) = self.policy_inputs()?;
        let services: Vec<&str> = frontends.iter().map(String::as_str).collect();
        let rules = match rules(
            &policies,
            &endpoints,
            &[network::GATEWAY, NODE_IP],
            &services,
        ) {
            Ok(r) => r,
            Err(why) => {
                // Nothing is enforced from here on: what earlier policies
                // programmed goes too, rather than filtering on unseen.
                network::sync_policies("", "")?;
                let live: BTreeSet<&String> = endpoints.iter().map(|e| &e.netns).collect();
                for netns in self.last_policies.keys().filter(|n| live.contains(n)) {
                    network::restore_in_pod(netns, OPEN)?;
                }
                self.last_policies.clear();
                self.policies_not_enforced = Some(why);
                return Ok(());
            }
        };
        let node = format!("{}{}", rules.node_chains, rules.node_rules);
        if self.last_policies.get("") != Some(&node) {
            network::sync_policies(&rules.node_chains, &rules.node_rules)?;
            self.last_policies.insert(String::new(), node);
        }
        for (netns, table) in rules.pods {
            if self.last_policies.get(&netns) != Some(&table) {
                network::restore_in_pod(&netns, &table)?;
                self.last_policies.insert(netns, table);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn endpoint(ip: u8, ns: &str, labels: &[(&str, &str)]) -> Endpoint {
        Endpoint {
            ip: Ipv4Addr::new(10, 244, 0, ip),
            netns: format!("kg-{ip}"),
            namespace: ns.into(),
            namespace_labels: namespace_labels(ns),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ports: vec![("metrics".into(), 9404)],
        }
    }

    fn policy(v: serde_json::Value) -> NetworkPolicy {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_selected_pod_takes_only_what_a_rule_allows_and_others_take_everything() {
        let broker = endpoint(10, "a", &[("role", "broker")]);
        let client = endpoint(11, "a", &[("role", "client")]);
        let prometheus = endpoint(12, "monitoring", &[]);
        let elsewhere = endpoint(13, "b", &[("role", "broker")]);
        let all = [broker, client, prometheus, elsewhere];
        let p = policy(
            json!({"metadata": {"name": "kafka", "namespace": "a"}, "spec": {
            "podSelector": {"matchLabels": {"role": "broker"}},
            "policyTypes": ["Ingress"],
            "ingress": [
                {"from": [{"podSelector": {}}], "ports": [{"port": 9092}]},
                {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}],
                 "ports": [{"port": "metrics"}]},
                {"ports": [{"port": 9094, "protocol": "TCP"}]}
            ]}}),
        );
        let r = rules(
            &[p],
            &all,
            &[Ipv4Addr::new(10, 244, 0, 1)],
            &["10.96.0.0/12"],
        )
        .unwrap();
        let broker = &r.pods["kg-10"];
        for want in [
            "-A INPUT -s 10.244.0.1/32 -j ACCEPT\n",
            "-A INPUT -s 10.244.0.10/32 -p tcp --dport 9092 -j ACCEPT\n",
            "-A INPUT -s 10.244.0.11/32 -p tcp --dport 9092 -j ACCEPT\n",
            "-A INPUT -s 10.244.0.12/32 -p tcp --dport 9404 -j ACCEPT\n",
            "-A INPUT -p tcp --dport 9094 -j ACCEPT\n",
            "-A INPUT -j DROP\n",
        ] {
            assert!(broker.contains(want), "{want} missing from\n{broker}");
        }
        // The pod in another namespace with the brokers' labels is not
        // selected by a policy of `a`, nor admitted to 9092.
        assert!(!broker.contains("10.244.0.13/32"), "{broker}");
        assert!(!r.pods["kg-13"].contains("DROP"));
        assert!(!r.pods["kg-11"].contains("DROP"));
        // The node filters what reaches the broker through a Service.
        assert!(
            r.node_rules
                .contains("-A KG-POLICY -d 10.244.0.10/32 -j KG-POL-IN-0\n")
        );
        assert!(
            r.node_rules
                .contains("-A KG-POL-IN-0 -s 10.244.0.11/32 -p tcp --dport 9092 -j RETURN\n")
        );
        assert!(
            r.node_rules
                .ends_with("-A KG-POLICY -d 10.244.0.10/32 -j KG-POL-IN-0\n")
        );
    }

    #[test]
    fn an_empty_ingress_list_denies_all_and_egress_is_filtered_when_asked() {
        let job = endpoint(10, "a", &[("role", "job")]);
        let broker = endpoint(11, "a", &[("role", "broker")]);
        let all = [job, broker];
        let p = policy(
            json!({"metadata": {"name": "job", "namespace": "a"}, "spec": {
            "podSelector": {"matchExpressions": [{"key": "role", "operator": "In", "values": ["job"]}]},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [],
            "egress": [{"to": [{"podSelector": {"matchLabels": {"role": "broker"}}}], "ports": [{"port": 9092}]}]}}),
        );
        let r = rules(&[p], &all, &[], &["10.96.0.0/12"]).unwrap();
        let job = &r.pods["kg-10"];
        assert!(job.contains("-A INPUT -j DROP\n"));
        assert!(!job.contains("-A INPUT -s"));
        assert!(job.contains("-A OUTPUT -d 10.96.0.0/12 -j ACCEPT\n"));
        assert!(job.contains("-A OUTPUT -d 10.244.0.11/32 -p tcp --dport 9092 -j ACCEPT\n"));
        assert!(job.contains("-A OUTPUT -j DROP\n"));
        assert!(
            r.node_rules
                .contains("-A KG-POLICY -s 10.244.0.10/32 -j KG-POL-OUT-0\n")
        );
    }

    #[test]
    fn admits_answers_as_the_rules_filter() {
        let broker = endpoint(10, "a", &[("role", "broker")]);
        let elsewhere = endpoint(13, "b", &[]);
        let all = [broker.clone(), elsewhere];
        let p = policy(
            json!({"metadata": {"name": "kafka", "namespace": "a"}, "spec": {
            "podSelector": {"matchLabels": {"role": "broker"}},
            "ingress": [
                {"from": [{"podSelector": {}}], "ports": [{"port": 9092}]},
                {"from": [{"ipBlock": {"cidr": "10.244.0.0/24"}}], "ports": [{"port": 9000, "endPort": 9010}]},
                {"ports": [{"port": 9094}]}
            ]}}),
        );
        let from = Ipv4Addr::new(10, 244, 0, 13);
        let admits = |port| admits(std::slice::from_ref(&p), &all, &broker, from, port).unwrap();
        assert_eq!(admits(9092), Some(false));
        assert_eq!(admits(9094), Some(true));
        assert_eq!(admits(9005), Some(true));
        assert_eq!(admits(9011), Some(false));
        let outside = Ipv4Addr::new(10, 244, 1, 13);
        assert_eq!(admits(9092), Some(false));
        assert_eq!(
            super::admits(std::slice::from_ref(&p), &all, &broker, outside, 9005).unwrap(),
            Some(false)
        );
        // A pod no policy selects: nothing to answer.
        assert_eq!(
            super::admits(&[p], &all, &all[1], from, 9092).unwrap(),
            None
        );
    }

    #[test]
    fn policy_types_empty_or_absent_default_as_the_api_server_does() {
        let job = endpoint(10, "a", &[]);
        let all = [job];
        // An empty list and empty egress rules: Ingress only.
        let p = policy(
            json!({"metadata": {"name": "x", "namespace": "a"}, "spec": {
            "podSelector": {}, "policyTypes": [], "ingress": [], "egress": []}}),
        );
        let r = rules(&[p], &all, &[], &[]).unwrap();
        assert!(r.pods["kg-10"].contains("-A INPUT -j DROP\n"));
        assert!(
            !r.pods["kg-10"].contains("-A OUTPUT"),
            "{}",
            r.pods["kg-10"]
        );
        // Egress rules and no policyTypes: Egress too.
        let p = policy(
            json!({"metadata": {"name": "x", "namespace": "a"}, "spec": {
            "podSelector": {}, "egress": [{"ports": [{"port": 53}]}]}}),
        );
        let r = rules(&[p], &all, &[], &[]).unwrap();
        assert!(r.pods["kg-10"].contains("-A OUTPUT -j DROP\n"));
    }

    #[test]
    fn an_ipv6_block_matches_no_address_of_the_boot() {
        let broker = endpoint(10, "a", &[]);
        let all = [broker.clone()];
        let p = policy(
            json!({"metadata": {"name": "x", "namespace": "a"}, "spec": {
            "podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "fd00::/8"}}]}]}}),
        );
        let r = rules(std::slice::from_ref(&p), &all, &[], &[]).unwrap();
        assert!(!r.pods["kg-10"].contains("fd00"), "{}", r.pods["kg-10"]);
        let from = Ipv4Addr::new(10, 244, 0, 11);
        assert_eq!(
            admits(&[p], &all, &broker, from, 9092).unwrap(),
            Some(false)
        );
    }

    #[test]
    fn what_the_boot_cannot_translate_is_said() {
        let all = [endpoint(10, "a", &[])];
        let p = policy(
            json!({"metadata": {"name": "x", "namespace": "a"}, "spec": {
            "podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}]}]}}),
        );
        let e = rules(&[p], &all, &[], &[]).unwrap_err();
        assert!(e.contains("ipBlock.except"), "{e}");
    }
}
