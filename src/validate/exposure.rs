//! `kafka.exposure`: how clients outside the cluster reach the brokers
//! (NodePorts or a load balancer each), and the host each broker advertises.

use super::{Annotate, Validator, is_qualified_name, plural};
use crate::cluster::Exposure;
use crate::cluster_spec::{ExposureMode, ExposureSpec};
use std::collections::HashMap;

const NODE_PORTS: std::ops::RangeInclusive<u32> = 30000..=32767;
const DEFAULT_NODE_PORT: u32 = 30092;
const DEFAULT_LB_PORT: u32 = 9094;

impl Validator<'_> {
    pub(super) fn exposure(&mut self, e: &ExposureSpec, brokers: u32) -> Exposure {
        let only = |v: &mut Self, field: &str, set: bool, mode: &str| {
            if set {
                let p = format!("kafka.exposure.{field}");
                v.key_error(&p, format!("`{p}` applies only to `mode: {mode}`"))
                    .with_label("not used by this exposure mode");
            }
        };
        let lb_fields = [
            ("port", e.port.is_some()),
            ("hostTemplate", e.host_template.is_some()),
            ("hosts", e.hosts.is_some()),
            ("annotations", !e.annotations.is_empty()),
            ("sourceRanges", e.source_ranges.is_some()),
            ("loadBalancerClass", e.load_balancer_class.is_some()),
        ];
        let np_fields = [
            ("nodePort", e.node_port.is_some()),
            ("advertisedHost", e.advertised_host.is_some()),
        ];
        match e.mode {
            ExposureMode::Internal => {
                for (f, set) in np_fields {
                    only(self, f, set, "nodeport");
                }
                for (f, set) in lb_fields {
                    only(self, f, set, "loadbalancer");
                }
                Exposure::Internal
            }
            ExposureMode::Nodeport => {
                for (f, set) in lb_fields {
                    only(self, f, set, "loadbalancer");
                }
                let base = e.node_port.unwrap_or(DEFAULT_NODE_PORT);
                let last = base.saturating_add(brokers);
                let p = "kafka.exposure.nodePort";
                if !NODE_PORTS.contains(&base) {
                    self.error(
                        p,
                        format!("`{p}` {base} is outside the NodePort range 30000-32767"),
                    )
                    .with_label("out of range")
                    .with_help("pick a port from 30000 to 32767");
                } else if !NODE_PORTS.contains(&last) {
                    self.error(
                        p,
                        format!(
                            "`{p}` {base} leaves no room for {brokers} broker ports: the last would be {last}, above 32767"
                        ),
                    )
                    .with_help(match 32767u32.checked_sub(brokers) {
                        Some(max) if NODE_PORTS.contains(&max) => format!(
                            "brokers use nodePort+1 to nodePort+{brokers}; pick a base of at most {max}"
                        ),
                        _ => format!(
                            "the NodePort range holds at most {} brokers; use loadbalancer exposure",
                            32767 - 30000
                        ),
                    });
                }
                if let Some(h) = &e.advertised_host
                    && !is_host(h)
                {
                    self.error(
                        "kafka.exposure.advertisedHost",
                        format!("`kafka.exposure.advertisedHost` \"{h}\" is not a DNS name or IPv4 address"),
                    );
                }
                Exposure::NodePort {
                    bootstrap_port: u16::try_from(base).unwrap_or(0),
                    advertised_host: e.advertised_host.clone(),
                }
            }
            ExposureMode::Loadbalancer => {
                for (f, set) in np_fields {
                    only(self, f, set, "nodeport");
                }
                let port = e.port.unwrap_or(DEFAULT_LB_PORT);
                if !(1..=65535).contains(&port) {
                    self.error(
                        "kafka.exposure.port",
                        format!("`kafka.exposure.port` must be from 1 to 65535, found {port}"),
                    );
                }
                let hosts = self.lb_hosts(e, brokers);
                for (key, _) in &e.annotations {
                    if !is_qualified_name(key) {
                        let p = format!("kafka.exposure.annotations.{key}");
                        self.key_error(
                            &p,
                            format!(
                                "`kafka.exposure.annotations` key `{key}` is not a valid Kubernetes annotation name"
                            ),
                        );
                    }
                }
                let ranges = e.source_ranges.clone().unwrap_or_default();
                if ranges.is_empty() {
                    self.warn(
                        "kafka.exposure.mode",
                        "the brokers' load balancers accept connections from any address",
                    )
                    .with_label("open to any address")
                    .with_help(
                        "list the networks of your clients in `kafka.exposure.sourceRanges`",
                    );
                }
                for (i, r) in ranges.iter().enumerate() {
                    if !is_cidr(r) {
                        let p = format!("kafka.exposure.sourceRanges[{i}]");
                        self.error(&p, format!("`{p}` \"{r}\" is not a CIDR range"))
                            .with_help("write it like 203.0.113.0/24");
                    }
                }
                if let Some(class) = &e.load_balancer_class
                    && !(is_qualified_name(class) && class.contains('/'))
                {
                    self.error(
                        "kafka.exposure.loadBalancerClass",
                        format!("`kafka.exposure.loadBalancerClass` \"{class}\" must be a prefixed name such as example.com/lb"),
                    );
                }
                Exposure::LoadBalancer {
                    port: u16::try_from(port).unwrap_or(0),
                    hosts,
                    host_template: e.host_template.clone(),
                    annotations: e
                        .annotations
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                    source_ranges: ranges,
                    class: e.load_balancer_class.clone(),
                }
            }
        }
    }

    /// The host each broker advertises behind its own load balancer.
    fn lb_hosts(&mut self, e: &ExposureSpec, brokers: u32) -> Vec<String> {
        let hosts: Vec<(String, String)> = match (&e.host_template, &e.hosts) {
            (Some(_), Some(_)) => {
                self.error(
                    "kafka.exposure.hosts",
                    "give either `kafka.exposure.hosts` or `kafka.exposure.hostTemplate`, not both",
                );
                return Vec::new();
            }
            (None, None) => {
                self.error(
                    "kafka.exposure.mode",
                    "`mode: loadbalancer` needs the address each broker advertises to outside clients",
                )
                .with_help("add `hostTemplate: \"b{id}.kafka.example.com\"` (or `hosts:` with one DNS name per broker) under kafka.exposure, and point those names at the brokers' load balancers");
                return Vec::new();
            }
            (Some(t), None) => {
                if !t.contains("{id}") && brokers > 1 {
                    self.error(
                        "kafka.exposure.hostTemplate",
                        format!("`kafka.exposure.hostTemplate` \"{t}\" has no `{{id}}`: every broker would advertise the same host"),
                    )
                    .with_help("write it like \"b{id}.kafka.example.com\"");
                    return Vec::new();
                }
                (0..brokers)
                    .map(|id| {
                        (
                            t.replace("{id}", &id.to_string()),
                            "kafka.exposure.hostTemplate".to_string(),
                        )
                    })
                    .collect()
            }
            (None, Some(list)) => {
                if list.len() != brokers as usize {
                    self.error(
                        "kafka.exposure.hosts",
                        format!(
                            "`kafka.exposure.hosts` lists {} host{} for {brokers} broker{}",
                            list.len(),
                            plural(list.len() as u32),
                            plural(brokers)
                        ),
                    )
                    .with_help("list exactly one host per broker, in broker id order");
                }
                list.iter()
                    .enumerate()
                    .map(|(i, h)| (h.clone(), format!("kafka.exposure.hosts[{i}]")))
                    .collect()
            }
        };
        // DNS names are compared without case, as DNS compares them.
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut bad_template = false;
        for (i, (host, path)) in hosts.iter().enumerate() {
            if !is_host(host) {
                // A template gives the same mistake for every broker: once is enough.
                if e.host_template.is_some() && std::mem::replace(&mut bad_template, true) {
                    continue;
                }
                self.error(
                    path,
                    format!("`{path}` gives \"{host}\", which is not a DNS name or IPv4 address"),
                );
            } else if let Some(first) = seen.insert(host.to_ascii_lowercase(), i) {
                self.error(
                    path,
                    format!("brokers {first} and {i} would both advertise \"{host}\""),
                )
                .with_help("every broker needs its own address");
            }
        }
        hosts.into_iter().map(|(h, _)| h).collect()
    }
}

/// A DNS name (any case) or an IPv4 address.
fn is_host(s: &str) -> bool {
    if s.parse::<std::net::Ipv4Addr>().is_ok() {
        return true;
    }
    s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
        && !s
            .split('.')
            .next_back()
            .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
}

fn is_cidr(s: &str) -> bool {
    let Some((addr, bits)) = s.split_once('/') else {
        return false;
    };
    let Ok(bits) = bits.parse::<u8>() else {
        return false;
    };
    (addr.parse::<std::net::Ipv4Addr>().is_ok() && bits <= 32)
        || (addr.parse::<std::net::Ipv6Addr>().is_ok() && bits <= 128)
}
