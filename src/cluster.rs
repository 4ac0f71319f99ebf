//! The validated cluster: every spec value checked, defaulted and resolved
//! (heap sizes computed, hosts expanded per broker). Built only by
//! `validate`; the model reads this and never the raw spec. Its types sit
//! below `validate`, so that what validation shares with the model (names,
//! listeners, managed broker properties) can be derived from them below it too.

pub use crate::cluster_spec::{
    AclPermission, AclResourceType, Authentication, IssuerKind, PatternType, Scrape, Spread,
    Workload,
};

/// Broker ids are their ordinals; dedicated controllers start at
/// `CONTROLLER_ID_BASE`, so the two never meet. Validation keeps brokers
/// below it; the model numbers controllers from it.
pub const MAX_BROKERS: u32 = 9_000;
pub const CONTROLLER_ID_BASE: u32 = 9_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    pub name: String,
    pub namespace: String,
    pub create_namespace: bool,
    pub cluster_domain: String,
    pub kafka: Kafka,
    /// The metadata store: a ZooKeeper ensemble or a KRaft quorum.
    pub metadata: Metadata,
    pub topics: Vec<Topic>,
    pub placement: Placement,
    /// `Some`: render NetworkPolicies; the extra peers allowed to reach brokers.
    pub network_policy: Option<Vec<Peer>>,
    /// `Some`: metrics on every pod, and what reads them.
    pub metrics: Option<Metrics>,
    /// `Some`: TLS or authentication on some listener, or declared users.
    pub security: Option<Security>,
    /// How a step of a change renders differently from the spec (`check
    /// --steps`); empty for every render of a spec.
    pub transition: Transition,
}

/// What an intermediate render of a change keeps from before it, so that
/// each step is safe in one roll (`change::steps`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Transition {
    /// Brokers replicate on this listener, one they have both before and
    /// after the step, instead of the one the spec chooses.
    pub inter_broker: Option<&'static str>,
    /// Under KRaft, once every node runs a newer Kafka: the
    /// `metadata.version` a Job raises the cluster to (`4.1`).
    pub metadata_version: Option<String>,
    /// Under KRaft: the quorum's listeners, in `controller.listener.names`
    /// order, while a step moves the quorum between a plain and a TLS
    /// listener (nodes reach the quorum by the first).
    pub quorum: Option<[ListenerSecurity; 2]>,
}

impl Cluster {
    /// The KRaft quorum's listeners' security, in `controller.listener.names`
    /// order: the spec's controller listener, or both of a step's.
    pub fn quorum_security(&self) -> Vec<ListenerSecurity> {
        match self.transition.quorum {
            Some(both) => both.to_vec(),
            None => vec![
                self.security
                    .as_ref()
                    .map(|s| s.controller)
                    .unwrap_or_default(),
            ],
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Security {
    pub internal: ListenerSecurity,
    /// Applies when the brokers are exposed.
    pub external: ListenerSecurity,
    /// `Some`: brokers replicate on a listener of their own.
    pub inter_broker: Option<ListenerSecurity>,
    /// KRaft's CONTROLLER listener (plain with ZooKeeper).
    pub controller: ListenerSecurity,
    /// Who makes the certificates' Secrets.
    pub certificates: Certificates,
    /// The brokers' certificate Secret (when a listener has TLS).
    pub broker_secret: String,
    /// The Jobs' certificate Secret (with `mtls` on `internal`).
    pub admin_secret: String,
    pub users: Vec<User>,
    /// `Some`: the standard authorizer, with these super users' names
    /// besides the brokers' and the Jobs' admin.
    pub authorization: Option<Vec<String>>,
}

/// Where the certificates' Secrets come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Certificates {
    /// cert-manager, signed by this issuer (`None`: the cluster's own CA).
    CertManager(Option<(IssuerKind, String)>),
    /// The user makes them.
    Secrets,
}

impl Security {
    /// Whether any listener uses TLS: certificates are needed.
    pub fn tls(&self) -> bool {
        self.internal.tls
            || self.external.tls
            || self.controller.tls
            || self.inter_broker.is_some_and(|l| l.tls)
    }

    /// Whether the Jobs log in as kafkagen's admin, with a certificate of
    /// their own (the internal listener demands one).
    pub fn admin(&self) -> bool {
        self.internal.authentication == Authentication::Mtls
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ListenerSecurity {
    pub tls: bool,
    pub authentication: Authentication,
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub name: String,
    pub credential: Credential,
    pub acls: Vec<Acl>,
}

/// An ACL of a user, with Kafka's own names (`TOPIC`, `DESCRIBE_CONFIGS`).
#[derive(Debug, Clone, PartialEq)]
pub struct Acl {
    pub resource_type: AclResourceType,
    pub name: String,
    pub pattern_type: PatternType,
    pub operations: Vec<&'static str>,
    pub permission: AclPermission,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Credential {
    /// SCRAM-SHA-512 with the password in this Secret key.
    Scram { secret: String, key: String },
    /// A client certificate with the user's name as its common name.
    Certificate,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    pub port: u16,
    /// The image the agent is copied from into apache/kafka pods.
    pub agent_image: String,
    pub scrape: Scrape,
    pub alerts: bool,
    pub dashboard: bool,
    pub prometheus_namespace: String,
    pub labels: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    pub spread: Spread,
    pub zones: bool,
    pub node_selector: Vec<(String, String)>,
    pub tolerations: Vec<Toleration>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Toleration {
    pub key: Option<String>,
    pub operator: String,
    pub value: Option<String>,
    pub effect: Option<String>,
    pub seconds: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Peer {
    pub namespace_selector: Option<Vec<(String, String)>>,
    pub pod_selector: Option<Vec<(String, String)>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Metadata {
    ZooKeeper(ZooKeeper),
    Kraft(Kraft),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Kraft {
    pub cluster_id: String,
    /// `None`: every broker is also a controller.
    pub controllers: Option<Controllers>,
}

/// Dedicated KRaft controllers, in the brokers' image.
#[derive(Debug, Clone, PartialEq)]
pub struct Controllers {
    pub replicas: u32,
    pub storage: Storage,
    pub resources: Resources,
    pub heap_mib: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Kafka {
    pub brokers: u32,
    pub image: String,
    /// Whose entrypoint the image has (Confluent or Apache).
    pub flavor: Flavor,
    /// The image's (major, minor) version, read from its tag.
    pub version: Option<(u32, u32)>,
    /// confluentinc/cp-server (Confluent Server), which has internal topics
    /// of its own.
    pub confluent_server: bool,
    pub workload: Workload,
    pub partitions: u32,
    pub replication_factor: u32,
    pub min_insync_replicas: u32,
    pub storage: Storage,
    pub resources: Resources,
    pub heap_mib: u64,
    /// Extra broker properties, in spec order.
    pub config: Vec<(String, String)>,
    pub exposure: Exposure,
}

/// Which distribution an image is: their entrypoint conventions differ.
/// `validate::image` reads it from the image reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// confluentinc/cp-kafka or cp-server.
    ConfluentKafka,
    /// confluentinc/cp-zookeeper.
    ConfluentZooKeeper,
    /// apache/kafka.
    ApacheKafka,
    /// apache/kafka-native: a GraalVM build without a JVM or tools.
    ApacheKafkaNative,
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ZooKeeper {
    pub replicas: u32,
    pub image: String,
    pub workload: Workload,
    pub storage: Storage,
    pub resources: Resources,
    pub heap_mib: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Storage {
    /// An emptyDir bounded to `size_limit`.
    Ephemeral { size_limit: String },
    /// A PersistentVolumeClaim per pod.
    Persistent { size: String, class: Option<String> },
}

/// Quantities as written (already checked to parse).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resources {
    pub requests_cpu: Option<String>,
    pub requests_memory: Option<String>,
    pub limits_cpu: Option<String>,
    pub limits_memory: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Exposure {
    Internal,
    NodePort {
        /// The bootstrap node port; broker i uses `bootstrap_port + 1 + i`.
        bootstrap_port: u16,
        /// `None`: each broker advertises its node's IP.
        advertised_host: Option<String>,
    },
    LoadBalancer {
        port: u16,
        /// One host per broker, in broker id order.
        hosts: Vec<String>,
        /// The `hostTemplate` the hosts came from, if they did.
        host_template: Option<String>,
        annotations: Vec<(String, String)>,
        source_ranges: Vec<String>,
        class: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Topic {
    pub name: String,
    pub partitions: u32,
    pub replication_factor: u32,
    pub config: Vec<(String, String)>,
}
