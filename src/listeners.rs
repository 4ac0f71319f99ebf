//! A component's listeners: one list per component, each entry one port its
//! pods bind (or, for Kafka, a listener they only declare). Container ports,
//! Service ports, `KAFKA_LISTENERS`, the protocol map, the pods' addresses
//! and advertised listeners, the restart checksum, the external Services and
//! the NetworkPolicy ingress rules all derive from it, so a new listener is
//! one entry here.

use crate::cluster::{Authentication, Exposure, ListenerSecurity, Security};
use serde::Serialize;

/// A listener's fixed names and port.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    /// Kafka's listener name; for ZooKeeper, the port's name.
    pub name: &'static str,
    /// The container port's name, which Services and probes refer to.
    pub port_name: &'static str,
    pub port: u16,
}

pub const ZK_CLIENT: Endpoint = Endpoint {
    name: "client",
    port_name: "client",
    port: 2181,
};
pub const ZK_PEER: Endpoint = Endpoint {
    name: "peer",
    port_name: "peer",
    port: 2888,
};
pub const ZK_ELECTION: Endpoint = Endpoint {
    name: "election",
    port_name: "election",
    port: 3888,
};
/// What clients and other brokers in the cluster use.
pub const INTERNAL: Endpoint = Endpoint {
    name: "INTERNAL",
    port_name: "internal",
    port: 9092,
};
/// The KRaft quorum.
pub const CONTROLLER: Endpoint = Endpoint {
    name: "CONTROLLER",
    port_name: "controller",
    port: 9093,
};
/// The KRaft quorum with TLS: a name and port of its own, beside
/// CONTROLLER's, so that a running quorum moves between the two in rolls
/// (`check --steps`): the static voter set names one port per controller.
pub const QUORUM: Endpoint = Endpoint {
    name: "QUORUM",
    port_name: "quorum",
    port: 9095,
};
/// Brokers replicating from each other, when that traffic has TLS or
/// authentication of its own.
pub const REPLICATION: Endpoint = Endpoint {
    name: "REPLICATION",
    port_name: "replication",
    port: 9091,
};
/// What brokers advertise to clients outside the cluster.
pub const EXTERNAL: Endpoint = Endpoint {
    name: "EXTERNAL",
    port_name: "external",
    port: 9094,
};

/// The metrics port's name, which the PodMonitor refers to; its number is
/// the spec's (`metrics.port`).
pub const METRICS_PORT_NAME: &str = "metrics";

const PLAINTEXT: &str = "PLAINTEXT";
/// Stands for the node's IP in per-pod settings; the start script fills it in.
pub const NODE_IP_PLACEHOLDER: &str = "${NODE_IP}";

#[derive(Debug, Clone, Serialize)]
pub struct Listener {
    pub name: String,
    pub port_name: String,
    pub port: u16,
    /// Kafka's security protocol; `None` for ZooKeeper, whose ports are not
    /// Kafka listeners.
    pub protocol: Option<String>,
    /// TLS (the brokers present their certificate on it) and how clients
    /// prove who they are, as `security` declares them for it. (Templates
    /// read the protocol.)
    #[serde(skip)]
    pub security: ListenerSecurity,
    /// Whether the pods bind it. Brokers beside dedicated controllers only
    /// declare CONTROLLER's protocol, to reach the quorum.
    pub bound: bool,
    /// Where each pod is reached on it, when the pods' addresses name it.
    pub reach: Option<Reach>,
    /// Whether pods advertise their address on it (`KAFKA_ADVERTISED_LISTENERS`).
    pub advertised: bool,
    pub served_by: ServedBy,
    /// Who may reach it: each entry is the `from` of one NetworkPolicy
    /// ingress rule, which listeners with an equal entry share.
    pub allowed: Vec<Access>,
    /// One of the KRaft quorum's listeners (`controller.listener.names`).
    pub quorum: bool,
}

/// The Services that publish a listener's port.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct ServedBy {
    pub headless: bool,
    /// The component's ClusterIP Service.
    pub client: bool,
    /// The Services that expose brokers outside the cluster.
    pub external: bool,
}

/// Where a pod is reached on a listener.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reach {
    /// The pod's DNS name, at the listener's port.
    PodDns,
    /// A node port per pod after the bootstrap one, on the node's IP
    /// ([`NODE_IP_PLACEHOLDER`]) or an advertised host.
    NodePort { host: String, bootstrap_port: u16 },
    /// A load balancer per pod, at `port`.
    LoadBalancer {
        port: u16,
        /// One host per pod, in ordinal order.
        hosts: Vec<String>,
        /// The template the hosts came from, if they did.
        host_template: Option<String>,
    },
}

/// Who may open connections to a listener.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Access {
    Anyone,
    From(Vec<Peer>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Peer {
    /// The component's own pods.
    Own,
    /// The brokers' pods.
    Brokers,
    /// The dedicated controllers' pods.
    Controllers,
    /// Every pod in the namespace.
    Namespace,
    /// The spec's `networkPolicy.allowFrom`.
    AllowFrom,
    /// Prometheus' namespace (`metrics.prometheusNamespace`).
    Prometheus,
}

/// Where brokers find the KRaft quorum, which decides their CONTROLLER entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuorumKind {
    ZooKeeper,
    /// Dedicated controllers: brokers declare CONTROLLER without binding it.
    Controllers,
    /// Every broker is a controller and binds CONTROLLER.
    Combined,
}

impl Listener {
    fn new(e: Endpoint) -> Self {
        Listener {
            name: e.name.into(),
            port_name: e.port_name.into(),
            port: e.port,
            protocol: None,
            security: ListenerSecurity::default(),
            bound: true,
            reach: None,
            advertised: false,
            served_by: ServedBy::default(),
            allowed: Vec::new(),
            quorum: false,
        }
    }

    fn kafka(e: Endpoint) -> Self {
        Listener {
            protocol: Some(PLAINTEXT.into()),
            ..Self::new(e)
        }
    }

    /// TLS and authentication as `security` says: the protocol follows.
    fn secured(mut self, s: ListenerSecurity) -> Self {
        let sasl = s.authentication == Authentication::ScramSha512;
        self.protocol = Some(
            match (s.tls, sasl) {
                (false, false) => PLAINTEXT,
                (true, false) => "SSL",
                (false, true) => "SASL_PLAINTEXT",
                (true, true) => "SASL_SSL",
            }
            .into(),
        );
        self.security = s;
        self
    }

    fn reached(mut self, reach: Reach) -> Self {
        self.reach = Some(reach);
        self
    }

    fn advertised(mut self) -> Self {
        self.advertised = true;
        self
    }

    fn served_by(mut self, headless: bool, client: bool, external: bool) -> Self {
        self.served_by = ServedBy {
            headless,
            client,
            external,
        };
        self
    }

    fn allow(mut self, access: Access) -> Self {
        self.allowed.push(access);
        self
    }

    /// The hosts it is reached at besides the pods' DNS names: an
    /// advertised node host, the load balancers' hosts.
    pub fn hosts(&self) -> Vec<String> {
        match &self.reach {
            Some(Reach::NodePort { host, .. }) if host != NODE_IP_PLACEHOLDER => {
                vec![host.clone()]
            }
            Some(Reach::LoadBalancer { hosts, .. }) => hosts.clone(),
            _ => Vec::new(),
        }
    }

    /// The pod's address on this listener, `host:port`.
    pub fn address(&self, ordinal: u32, dns: &str) -> Option<String> {
        let reach = self.reach.as_ref()?;
        Some(match reach {
            Reach::PodDns => format!("{dns}:{}", self.port),
            Reach::NodePort { host, .. } => format!("{host}:{}", reach.node_port(ordinal)?),
            Reach::LoadBalancer { port, hosts, .. } => {
                format!("{}:{port}", hosts[ordinal as usize])
            }
        })
    }
}

impl Reach {
    /// The node port of the pod with this ordinal.
    pub fn node_port(&self, ordinal: u32) -> Option<u16> {
        match self {
            Reach::NodePort { bootstrap_port, .. } => Some(bootstrap_port + 1 + ordinal as u16),
            _ => None,
        }
    }

    /// Every input of the pods' addresses but their number, for the restart
    /// checksum; `None` for the pods' own DNS names.
    fn rule(&self) -> Option<String> {
        match self {
            Reach::PodDns => None,
            Reach::NodePort {
                host,
                bootstrap_port,
            } => Some(format!("nodeport {bootstrap_port} {host}")),
            Reach::LoadBalancer {
                port,
                host_template: Some(t),
                ..
            } => Some(format!("loadbalancer {port} template {t}")),
            Reach::LoadBalancer { port, hosts, .. } => {
                Some(format!("loadbalancer {port} hosts {}", hosts.join(",")))
            }
        }
    }
}

/// The JMX exporter's port, on every pod when metrics are on: Prometheus
/// scrapes it, and `nodes` read it too (the KRaft nodes, when they restart
/// one at a time for a renewed quorum certificate).
pub fn metrics(port: u16, nodes: Vec<Peer>) -> Listener {
    let l = Listener::new(Endpoint {
        name: METRICS_PORT_NAME,
        port_name: METRICS_PORT_NAME,
        port,
    })
    .reached(Reach::PodDns)
    .allow(Access::From(vec![Peer::Prometheus]));
    if nodes.is_empty() {
        l
    } else {
        l.allow(Access::From(nodes))
    }
}

/// ZooKeeper: clients and brokers on `client`, the ensemble on all three.
pub fn zookeeper() -> Vec<Listener> {
    let own = || Access::From(vec![Peer::Own]);
    vec![
        Listener::new(ZK_CLIENT)
            .reached(Reach::PodDns)
            .served_by(true, true, false)
            .allow(own())
            .allow(Access::From(vec![Peer::Brokers])),
        Listener::new(ZK_PEER)
            .served_by(true, false, false)
            .allow(own()),
        Listener::new(ZK_ELECTION)
            .served_by(true, false, false)
            .allow(own()),
    ]
}

/// The KRaft quorum's listeners, in `controller.listener.names` order:
/// CONTROLLER when plain, QUORUM with TLS.
fn quorum(security: &[ListenerSecurity]) -> impl Iterator<Item = Listener> + '_ {
    security.iter().map(|&s| Listener {
        quorum: true,
        ..Listener::kafka(if s.tls { QUORUM } else { CONTROLLER }).secured(s)
    })
}

/// The names in `controller.listener.names`, in order.
pub fn quorum_names(listeners: &[Listener]) -> String {
    listeners
        .iter()
        .filter(|l| l.quorum)
        .map(|l| l.name.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// The listener nodes reach the quorum by: the first of
/// `controller.listener.names`.
pub fn quorum_first(listeners: &[Listener]) -> Option<&Listener> {
    listeners.iter().find(|l| l.quorum)
}

/// Dedicated controllers: the quorum only, which they do not advertise (the
/// images refuse `KAFKA_ADVERTISED_LISTENERS` on controller-only nodes).
pub fn controllers(quorum_security: &[ListenerSecurity]) -> Vec<Listener> {
    quorum(quorum_security)
        .map(|l| {
            l.reached(Reach::PodDns)
                .served_by(true, false, false)
                .allow(Access::From(vec![Peer::Own, Peer::Brokers]))
        })
        .collect()
}

/// Brokers: INTERNAL always, REPLICATION when inter-broker traffic is
/// secured apart, EXTERNAL when exposed, CONTROLLER bound when they are
/// controllers too and declared when they reach dedicated ones.
pub fn brokers(
    exposure: &Exposure,
    kind: QuorumKind,
    security: Option<&Security>,
    quorum_security: &[ListenerSecurity],
) -> Vec<Listener> {
    let of = |pick: fn(&Security) -> ListenerSecurity| security.map(pick).unwrap_or_default();
    let mut listeners = vec![
        Listener::kafka(INTERNAL)
            .secured(of(|s| s.internal))
            .reached(Reach::PodDns)
            .advertised()
            .served_by(true, true, false)
            .allow(Access::From(vec![Peer::Namespace, Peer::AllowFrom])),
    ];
    if let Some(replication) = security.and_then(|s| s.inter_broker) {
        listeners.push(
            Listener::kafka(REPLICATION)
                .secured(replication)
                .reached(Reach::PodDns)
                .advertised()
                .served_by(true, false, false)
                .allow(Access::From(vec![Peer::Own])),
        );
    }
    if let Some(reach) = external_reach(exposure) {
        listeners.push(
            Listener::kafka(EXTERNAL)
                .secured(of(|s| s.external))
                .reached(reach)
                .advertised()
                .served_by(false, false, true)
                .allow(Access::Anyone),
        );
    }
    match kind {
        QuorumKind::ZooKeeper => {}
        // Only the listener they reach the quorum by.
        QuorumKind::Controllers => listeners.extend(
            quorum(quorum_security)
                .take(1)
                .map(|l| Listener { bound: false, ..l }),
        ),
        QuorumKind::Combined => listeners.extend(quorum(quorum_security).map(|l| {
            l.reached(Reach::PodDns)
                .served_by(true, false, false)
                .allow(Access::From(vec![Peer::Own]))
        })),
    }
    listeners
}

fn external_reach(exposure: &Exposure) -> Option<Reach> {
    match exposure {
        Exposure::Internal => None,
        Exposure::NodePort {
            bootstrap_port,
            advertised_host,
        } => Some(Reach::NodePort {
            host: advertised_host
                .as_deref()
                .unwrap_or(NODE_IP_PLACEHOLDER)
                .into(),
            bootstrap_port: *bootstrap_port,
        }),
        Exposure::LoadBalancer {
            port,
            hosts,
            host_template,
            ..
        } => Some(Reach::LoadBalancer {
            port: *port,
            hosts: hosts.clone(),
            host_template: host_template.clone(),
        }),
    }
}

/// `KAFKA_LISTENERS`: every bound Kafka listener on all interfaces.
pub fn bindings(listeners: &[Listener]) -> String {
    listeners
        .iter()
        .filter(|l| l.bound && l.protocol.is_some())
        .map(|l| format!("{}://0.0.0.0:{}", l.name, l.port))
        .collect::<Vec<_>>()
        .join(",")
}

/// `KAFKA_LISTENER_SECURITY_PROTOCOL_MAP`: every Kafka listener, bound or not.
pub fn protocol_map(listeners: &[Listener]) -> String {
    listeners
        .iter()
        .filter_map(|l| Some(format!("{}:{}", l.name, l.protocol.as_ref()?)))
        .collect::<Vec<_>>()
        .join(",")
}

/// `KAFKA_ADVERTISED_LISTENERS` of the pod with this ordinal and DNS name;
/// `None` when the component advertises nothing.
pub fn advertised(listeners: &[Listener], ordinal: u32, dns: &str) -> Option<String> {
    let advertised: Vec<String> = listeners
        .iter()
        .filter(|l| l.advertised)
        .filter_map(|l| Some(format!("{}://{}", l.name, l.address(ordinal, dns)?)))
        .collect();
    (!advertised.is_empty()).then(|| advertised.join(","))
}

/// Whether some pod's address is the node's IP, which the pod must learn.
pub fn needs_node_ip(listeners: &[Listener]) -> bool {
    listeners.iter().any(
        |l| matches!(&l.reach, Some(Reach::NodePort { host, .. }) if host == NODE_IP_PLACEHOLDER),
    )
}

/// What the advertised addresses depend on besides the pods' DNS names and
/// number: `internal` when they are DNS names only.
pub fn advertised_rule(listeners: &[Listener]) -> String {
    let rules: Vec<String> = listeners
        .iter()
        .filter(|l| l.advertised)
        .filter_map(|l| l.reach.as_ref()?.rule())
        .collect();
    if rules.is_empty() {
        "internal".into()
    } else {
        rules.join("\n")
    }
}

/// `KAFKA_INTER_BROKER_LISTENER_NAME`: REPLICATION when brokers have it,
/// else INTERNAL.
pub fn inter_broker(listeners: &[Listener]) -> &'static str {
    if listeners.iter().any(|l| l.name == REPLICATION.name) {
        REPLICATION.name
    } else {
        INTERNAL.name
    }
}

/// NetworkPolicy ingress: one rule per distinct [`Access`], with the ports
/// of every listener that allows it, in list order; rules open to anyone
/// come last.
pub fn ingress(listeners: &[Listener]) -> Vec<(&Access, Vec<u16>)> {
    let mut rules: Vec<(&Access, Vec<u16>)> = Vec::new();
    for l in listeners {
        for access in &l.allowed {
            match rules.iter_mut().find(|(a, _)| *a == access) {
                Some((_, ports)) => ports.push(l.port),
                None => rules.push((access, vec![l.port])),
            }
        }
    }
    rules.sort_by_key(|(a, _)| **a == Access::Anyone);
    rules
}
