//! The cluster spec as users write it (docs/spec.md, "The spec"). Every field has
//! a default so that profiles and specs can be partial; what the fields mean
//! together is checked in `validate`, not here.

pub mod decode;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Spec {
    /// Prefix of every object name; a DNS-1123 label.
    pub name: String,
    /// Namespace of every object.
    pub namespace: String,
    /// Emit the Namespace object first.
    pub create_namespace: bool,
    /// The cluster's DNS domain, used in pod DNS names.
    pub cluster_domain: String,
    /// Base profile this spec is merged over; read before merging.
    pub profile: Option<String>,
    /// Where brokers keep metadata: a ZooKeeper ensemble or a KRaft quorum.
    pub mode: Mode,
    /// The brokers.
    pub kafka: KafkaSpec,
    /// The ZooKeeper ensemble (mode zookeeper only).
    pub zookeeper: Option<ZooKeeperSpec>,
    /// The KRaft quorum (mode kraft only).
    pub kraft: Option<KraftSpec>,
    /// Topics the topics Job creates once the brokers are up.
    pub topics: Vec<TopicSpec>,
    /// Where pods may run: applies to every component.
    pub placement: PlacementSpec,
    /// NetworkPolicies: each component reachable only by whom it serves.
    pub network_policy: NetworkPolicySpec,
    /// Prometheus metrics of every Kafka, controller and ZooKeeper pod,
    /// alerts and a Grafana dashboard.
    pub metrics: MetricsSpec,
    /// TLS and authentication per listener, certificates and users.
    pub security: SecuritySpec,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            name: "demo".into(),
            namespace: "kafka".into(),
            create_namespace: true,
            cluster_domain: "cluster.local".into(),
            profile: None,
            mode: Mode::Zookeeper,
            kafka: KafkaSpec::default(),
            zookeeper: None,
            kraft: None,
            topics: Vec::new(),
            placement: PlacementSpec::default(),
            network_policy: NetworkPolicySpec::default(),
            metrics: MetricsSpec::default(),
            security: SecuritySpec::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Zookeeper,
    Kraft,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Workload {
    Statefulset,
    Deployment,
}

/// The default image in ZooKeeper mode.
pub const DEFAULT_KAFKA_IMAGE: &str = "confluentinc/cp-kafka:7.9.1";
/// The default image in KRaft mode.
pub const DEFAULT_KRAFT_IMAGE: &str = "apache/kafka:4.1.0";
pub const DEFAULT_ZOOKEEPER_IMAGE: &str = "confluentinc/cp-zookeeper:7.9.1";

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct KafkaSpec {
    /// Number of brokers.
    pub brokers: u32,
    /// Default: confluentinc/cp-kafka 7.x in ZooKeeper mode, apache/kafka 4.x in KRaft mode.
    pub image: Option<String>,
    /// A Deployment only with one broker.
    pub workload: Workload,
    /// `num.partitions` for auto-created topics.
    pub partitions: u32,
    /// `default.replication.factor` and the internal topics' factor.
    pub replication_factor: u32,
    /// `min.insync.replicas`: replicas that must acknowledge an acks=all write.
    pub min_insync_replicas: u32,
    /// Each broker's data volume.
    pub storage: StorageSpec,
    /// Requests and limits of each broker.
    pub resources: ResourcesSpec,
    /// JVM heap as a share of the memory limit.
    pub heap_percent: u32,
    /// Extra broker properties.
    pub config: IndexMap<String, Scalar>,
    /// How clients outside the cluster reach each broker.
    pub exposure: ExposureSpec,
}

impl Default for KafkaSpec {
    fn default() -> Self {
        KafkaSpec {
            brokers: 1,
            image: None,
            workload: Workload::Statefulset,
            partitions: 1,
            replication_factor: 1,
            min_insync_replicas: 1,
            storage: StorageSpec::default(),
            resources: ResourcesSpec::sized("250m", "1", "1Gi"),
            heap_percent: 50,
            config: IndexMap::new(),
            exposure: ExposureSpec::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ZooKeeperSpec {
    /// Servers in the ensemble: odd, 1, 3 or 5.
    pub replicas: u32,
    /// The cp-zookeeper image, by tag or digest.
    pub image: String,
    /// A Deployment only with one server.
    pub workload: Workload,
    /// Each server's data volume.
    pub storage: StorageSpec,
    /// Requests and limits of each server.
    pub resources: ResourcesSpec,
    /// JVM heap as a share of the memory limit.
    pub heap_percent: u32,
}

impl Default for ZooKeeperSpec {
    fn default() -> Self {
        ZooKeeperSpec {
            replicas: 1,
            image: DEFAULT_ZOOKEEPER_IMAGE.into(),
            workload: Workload::Statefulset,
            storage: StorageSpec::default(),
            resources: ResourcesSpec::sized("100m", "500m", "512Mi"),
            heap_percent: 50,
        }
    }
}

/// KRaft mode: the metadata quorum.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct KraftSpec {
    /// Dedicated controller nodes; 0 makes every broker a controller too.
    pub controllers: u32,
    /// 22 characters of base64url; default: derived from namespace and name.
    pub cluster_id: Option<String>,
    /// The dedicated controllers' metadata volume.
    pub storage: StorageSpec,
    /// Requests and limits of each dedicated controller.
    pub resources: ResourcesSpec,
    /// JVM heap as a share of the memory limit.
    pub heap_percent: u32,
}

impl Default for KraftSpec {
    fn default() -> Self {
        KraftSpec {
            controllers: 3,
            cluster_id: None,
            storage: StorageSpec::default(),
            resources: ResourcesSpec::sized("250m", "1", "1Gi"),
            heap_percent: 50,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct StorageSpec {
    /// Claim size; the emptyDir size limit when ephemeral.
    pub size: Scalar,
    /// StorageClass name; the cluster's default class when absent.
    pub class: Option<String>,
    /// emptyDir instead of a PersistentVolumeClaim: data is lost with the pod.
    pub ephemeral: bool,
}

impl Default for StorageSpec {
    fn default() -> Self {
        StorageSpec {
            size: Scalar("10Gi".into()),
            class: None,
            ephemeral: false,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ResourcesSpec {
    /// What the scheduler reserves.
    pub requests: ResourceList,
    /// The most a container may use; the heap is sized from the memory limit.
    pub limits: ResourceList,
}

impl ResourcesSpec {
    /// A CPU request and limit, and memory with the limit equal to the request.
    fn sized(cpu: &str, cpu_limit: &str, memory: &str) -> Self {
        let q = |s: &str| Some(Scalar(s.to_string()));
        ResourcesSpec {
            requests: ResourceList {
                cpu: q(cpu),
                memory: q(memory),
            },
            limits: ResourceList {
                cpu: q(cpu_limit),
                memory: q(memory),
            },
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ResourceList {
    /// Cores, such as 500m or 2.
    pub cpu: Option<Scalar>,
    /// Bytes, such as 2Gi.
    pub memory: Option<Scalar>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ExposureMode {
    Internal,
    Nodeport,
    Loadbalancer,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ExposureSpec {
    /// Inside the cluster only, or one NodePort or LoadBalancer Service per broker.
    pub mode: ExposureMode,
    /// nodeport: the bootstrap node port; broker i gets `nodePort + 1 + i`.
    pub node_port: Option<u32>,
    /// nodeport: the host every broker advertises (default: its node's IP).
    pub advertised_host: Option<String>,
    /// loadbalancer: the port of every load balancer.
    pub port: Option<u32>,
    /// loadbalancer: `{id}` is replaced by the broker id.
    pub host_template: Option<String>,
    /// loadbalancer: one host per broker, in broker id order.
    pub hosts: Option<Vec<String>>,
    /// loadbalancer: annotations of every load-balancer Service.
    pub annotations: IndexMap<String, String>,
    /// loadbalancer: the client addresses allowed in, as CIDRs.
    pub source_ranges: Option<Vec<String>>,
    /// loadbalancer: the `loadBalancerClass` of every Service.
    pub load_balancer_class: Option<String>,
}

impl Default for ExposureSpec {
    fn default() -> Self {
        ExposureSpec {
            mode: ExposureMode::Internal,
            node_port: None,
            advertised_host: None,
            port: None,
            host_template: None,
            hosts: None,
            annotations: IndexMap::new(),
            source_ranges: None,
            load_balancer_class: None,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct TopicSpec {
    /// Letters, digits, '.', '_' and '-'.
    pub name: String,
    /// Default: `kafka.partitions`.
    pub partitions: Option<u32>,
    /// Default: `kafka.replicationFactor`.
    pub replication_factor: Option<u32>,
    /// Topic properties, such as `cleanup.policy: compact`.
    pub config: IndexMap<String, Scalar>,
}

/// A scalar written as a string, number or boolean, kept as its text:
/// `cpu: 1`, `memory: 2Gi` and `retention.ms: 604800000` all fit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scalar(pub String);

impl JsonSchema for Scalar {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Scalar".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A string, number or boolean, read as its text.",
            "type": ["string", "number", "boolean"]
        })
    }
}

impl Serialize for Scalar {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Spread {
    /// Pods of a component should run on different nodes.
    Preferred,
    /// Pods of a component must run on different nodes (they stay Pending otherwise).
    Required,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct PlacementSpec {
    /// Whether a component's pods must run on different nodes.
    pub spread: Spread,
    /// Also spread each component's pods evenly across zones.
    pub zones: bool,
    /// Node labels every pod requires.
    pub node_selector: IndexMap<String, String>,
    /// Taints every pod tolerates.
    pub tolerations: Vec<TolerationSpec>,
}

impl Default for PlacementSpec {
    fn default() -> Self {
        PlacementSpec {
            spread: Spread::Preferred,
            zones: false,
            node_selector: IndexMap::new(),
            tolerations: Vec::new(),
        }
    }
}

/// A Kubernetes toleration.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct TolerationSpec {
    /// The taint key.
    pub key: Option<String>,
    /// `Equal` (default) or `Exists`.
    pub operator: Option<String>,
    /// The taint value, with `Equal`.
    pub value: Option<String>,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`; absent matches all.
    pub effect: Option<String>,
    /// With `NoExecute`: how long the pod stays once tainted.
    pub toleration_seconds: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct NetworkPolicySpec {
    /// Render NetworkPolicies.
    pub enabled: bool,
    /// Who else may reach the brokers' client port, besides the namespace.
    pub allow_from: Vec<PeerSpec>,
}

/// A NetworkPolicy peer by labels: pods, namespaces, or pods in namespaces.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct PeerSpec {
    /// Namespaces by label.
    pub namespace_selector: Option<IndexMap<String, String>>,
    /// Pods by label (in the namespaces selected, or this one).
    pub pod_selector: Option<IndexMap<String, String>>,
}

/// The image an init container copies the JMX exporter's java agent from
/// into apache/kafka pods, which do not ship it: the Confluent base image,
/// which holds it in /usr/share/java/cp-base-new.
pub const DEFAULT_METRICS_AGENT_IMAGE: &str = "confluentinc/cp-base-new:7.9.1";

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum Scrape {
    /// `prometheus.io/scrape`, `port` and `path` annotations on every pod.
    Annotations,
    /// A PodMonitor (Prometheus Operator).
    PodMonitor,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct MetricsSpec {
    /// The Prometheus JMX exporter as a java agent in every Kafka,
    /// controller and ZooKeeper JVM, serving on the `metrics` port.
    pub enabled: bool,
    /// The port metrics are served on.
    pub port: u32,
    /// apache/kafka only: the image an init container copies the agent
    /// (`/usr/share/java/cp-base-new/jmx_prometheus_javaagent-*.jar`) from.
    pub agent_image: String,
    /// How Prometheus finds the pods: `annotations` or `podMonitor`.
    pub scrape: Scrape,
    /// Alert rules as a PrometheusRule (Prometheus Operator).
    pub alerts: bool,
    /// A Grafana dashboard as a ConfigMap for Grafana's dashboard sidecar.
    pub dashboard: bool,
    /// The namespace Prometheus runs in: NetworkPolicies let its pods in.
    pub prometheus_namespace: String,
    /// Labels of the PodMonitor and PrometheusRule, for the selectors of the Prometheus that should read them.
    pub labels: IndexMap<String, String>,
}

impl Default for MetricsSpec {
    fn default() -> Self {
        MetricsSpec {
            enabled: false,
            port: 9404,
            agent_image: DEFAULT_METRICS_AGENT_IMAGE.into(),
            scrape: Scrape::Annotations,
            alerts: false,
            dashboard: false,
            prometheus_namespace: "monitoring".into(),
            labels: IndexMap::new(),
        }
    }
}

/// How clients prove who they are on a listener.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Authentication {
    /// Anyone who reaches the port.
    #[default]
    None,
    /// SCRAM-SHA-512 over SASL: a user name and password.
    #[serde(rename = "scram-sha-512")]
    ScramSha512,
    /// A client certificate signed by the cluster's CA (needs `tls: true`).
    Mtls,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ListenerSecuritySpec {
    /// Encrypt connections with the brokers' certificate.
    pub tls: bool,
    /// How clients prove who they are.
    pub authentication: Authentication,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ListenersSecuritySpec {
    /// Clients in the cluster (and the topics and users Jobs).
    pub internal: ListenerSecuritySpec,
    /// Clients outside the cluster (`kafka.exposure` nodeport or loadbalancer).
    pub external: ListenerSecuritySpec,
    /// Brokers replicating: when secured, a listener of their own (9091).
    ///
    /// With TLS or authentication, REPLICATION on port 9091, which only
    /// brokers reach; otherwise they replicate on the internal listener.
    pub inter_broker: ListenerSecuritySpec,
    /// KRaft: the quorum, where brokers and controllers reach controllers.
    ///
    /// With `mtls`, every node presents the brokers' certificate; with
    /// authorization on, it must be `mtls` (tls: true).
    pub controller: ListenerSecuritySpec,
}

/// What happens when clients outside the cluster need no authentication.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum OpenExternal {
    /// A warning.
    #[default]
    Warn,
    /// An error (the production profiles).
    Error,
    /// Nothing: an open external listener is intended.
    Allow,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum IssuerKind {
    #[default]
    Issuer,
    ClusterIssuer,
}

/// A cert-manager issuer.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct IssuerSpec {
    /// `Issuer` (in the cluster's namespace) or `ClusterIssuer`.
    pub kind: IssuerKind,
    pub name: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct CertificatesSpec {
    /// The cert-manager issuer that signs; absent: a CA of the cluster's own.
    ///
    /// The cluster's own CA is a self-signed Issuer, a CA Certificate and
    /// a CA Issuer. A named issuer's Secrets must hold `ca.crt`.
    pub issuer: Option<IssuerSpec>,
    /// Your own certificate Secrets, instead of cert-manager's.
    ///
    /// kafkagen then renders no Issuer and no Certificate. Each Secret
    /// holds `ca.crt` (the CA that signs every certificate of the cluster,
    /// users' too) and `tls-combined.pem` (the key in PKCS#8, then the
    /// certificate chain), with the subject and names `describe` lists.
    pub secrets: Option<CertificateSecretsSpec>,
}

/// The user's certificate Secrets.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct CertificateSecretsSpec {
    /// The brokers' certificate (subject `CN=<name>-kafka`), which
    /// dedicated controllers present too: needed when a listener has TLS.
    pub brokers: Option<String>,
    /// The Jobs' certificate (subject `CN=<name>-admin`): needed with
    /// `mtls` on the internal listener.
    pub admin: Option<String>,
}

/// A Secret key that holds a password.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct SecretKeySpec {
    /// The Secret, in the cluster's namespace.
    pub name: String,
    /// The key in it.
    pub key: String,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum UserAuthentication {
    /// A SCRAM-SHA-512 credential, set by the users Job.
    #[default]
    #[serde(rename = "scram-sha-512")]
    ScramSha512,
    /// A client certificate (a cert-manager Certificate of its own).
    Tls,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct UserSpec {
    /// The Kafka principal's name (`User:<name>`); not `<cluster>-kafka`
    /// or `<cluster>-admin`, the brokers' and the Jobs' own.
    pub name: String,
    /// `scram-sha-512` or `tls`.
    pub authentication: UserAuthentication,
    /// scram-sha-512: the Secret key with the password (never written here).
    pub password_secret: Option<SecretKeySpec>,
    /// What the user may do, with `security.authorization` on. The ACLs
    /// Job owns every ACL of the users it declares.
    pub acls: Vec<AclSpec>,
}

/// The kind of resource an ACL is about.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum AclResourceType {
    #[default]
    Topic,
    Group,
    /// The cluster itself: its name is `kafka-cluster`.
    Cluster,
    TransactionalId,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PatternType {
    /// The name exactly (`*`: every resource of the type).
    #[default]
    Literal,
    /// Every resource whose name starts with it.
    Prefixed,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AclPermission {
    #[default]
    Allow,
    Deny,
}

/// One ACL: operations on a resource, for the user it is declared under.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct AclSpec {
    /// `topic`, `group`, `cluster` or `transactionalId`.
    #[serde(rename = "type")]
    pub resource_type: AclResourceType,
    /// The resource's name (`cluster`: `kafka-cluster`, or left out).
    pub name: Option<String>,
    /// `literal` (default) or `prefixed`.
    pub pattern_type: PatternType,
    /// Kafka's operation names: `Read`, `Write`, `Create`, `Delete`,
    /// `Alter`, `Describe`, `ClusterAction`, `DescribeConfigs`,
    /// `AlterConfigs`, `IdempotentWrite`, `All`.
    pub operations: Vec<String>,
    /// `allow` (default) or `deny`.
    pub permission: AclPermission,
}

/// Kafka's standard authorizer: StandardAuthorizer under KRaft,
/// AclAuthorizer with ZooKeeper.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct AuthorizationSpec {
    /// Principals' names allowed everything, besides the brokers and the
    /// Jobs' admin (`User:<name>`): whole names, without `User:`; `*` is
    /// no wildcard.
    pub super_users: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct SecuritySpec {
    /// TLS and client authentication per listener.
    pub listeners: ListenersSecuritySpec,
    /// An exposed listener without authentication: warn, error or allow.
    pub open_external: OpenExternal,
    /// Where TLS certificates come from.
    pub certificates: CertificatesSpec,
    /// Users the brokers know: SCRAM credentials and client certificates.
    pub users: Vec<UserSpec>,
    /// Present: ACLs decide what each principal may do.
    pub authorization: Option<AuthorizationSpec>,
}
