//! Everything the templates print, derived once from the validated cluster:
//! object names, labels, DNS names, listeners, environment, per-pod settings.
//! Templates read only this and never compute anything themselves.

use crate::cluster::{
    Cluster, Controllers, Exposure, Flavor, Kraft, Metadata, Peer, Placement, Spread, Storage,
    Workload, ZooKeeper,
};
use crate::names::Names;
use crate::validate::CONTROLLER_ID_BASE;
use indexmap::IndexMap;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const ZK_CLIENT_PORT: u16 = 2181;
pub const ZK_PEER_PORT: u16 = 2888;
pub const ZK_ELECTION_PORT: u16 = 3888;
pub const KAFKA_INTERNAL_PORT: u16 = 9092;
pub const KAFKA_EXTERNAL_PORT: u16 = 9094;
pub const KAFKA_CONTROLLER_PORT: u16 = 9093;
/// The uid and gid of `appuser` in the Confluent images.
pub const IMAGE_USER: u32 = 1000;
const INTERNAL: &str = "INTERNAL";
/// The listener brokers advertise to clients outside the cluster.
pub const EXTERNAL: &str = "EXTERNAL";
const CONTROLLER: &str = "CONTROLLER";
/// Stands for the node's IP in per-pod settings; the start script fills it in.
pub const NODE_IP_PLACEHOLDER: &str = "${NODE_IP}";

pub type Labels = IndexMap<String, String>;

#[derive(Debug, Serialize)]
pub struct Model {
    pub namespace: String,
    pub create_namespace: bool,
    pub namespace_labels: Labels,
    pub service_account: String,
    pub service_account_labels: Labels,
    /// In render order: ZooKeeper or dedicated controllers, then brokers.
    pub components: Vec<Component>,
    /// Scheduling shared by every component's pods.
    pub placement: PlacementModel,
    pub network_policies: Vec<NetworkPolicyModel>,
    pub external: Option<External>,
    pub topics_job: Option<TopicsJob>,
    /// The brokers' in-cluster bootstrap address, `host:port`.
    pub bootstrap: String,
}

#[derive(Debug, Serialize)]
pub struct PlacementModel {
    /// Anti-affinity on node hostnames: required, or else preferred.
    pub spread_required: bool,
    /// `whenUnsatisfiable` of a spread across zones, when asked for.
    pub zone_spread: Option<String>,
    pub node_selector: Labels,
    /// Kubernetes toleration objects.
    pub tolerations: Vec<Value>,
}

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

/// A ZooKeeper ensemble or a set of brokers: one workload and its services.
#[derive(Debug, Serialize)]
pub struct Component {
    pub name: String,
    /// `zookeeper`, `controller`, `broker`, or `broker+controller`.
    pub role: String,
    /// The container's name.
    pub container: String,
    pub statefulset: bool,
    pub replicas: u32,
    pub image: String,
    pub labels: Labels,
    pub selector: Labels,
    pub headless: String,
    /// The ClusterIP Service clients use; controllers have none.
    pub client_service: Option<String>,
    /// The PodDisruptionBudget: at most one pod down (with one pod, a drain
    /// may still evict it).
    pub disruption_budget: String,
    /// The image's own entrypoint, which the start script ends in.
    pub entrypoint: String,
    pub ports: Vec<Port>,
    /// The ports the headless Service publishes.
    pub headless_ports: Vec<Port>,
    /// The ports of the ClusterIP client Service.
    pub client_ports: Vec<Port>,
    pub pods: Vec<Pod>,
    /// ConfigMap of per-pod settings, one `<pod>.env` per pod.
    pub pods_config: String,
    /// Changes when what running pods read from their settings file changes
    /// (advertised addresses), so that they restart; not when pods are added.
    pub settings_checksum: Option<String>,
    pub env: Vec<EnvVar>,
    pub resources: Resources,
    pub health: Health,
    /// Writable directories on a read-only root filesystem.
    pub scratch: Vec<Scratch>,
    pub seeds: Vec<Seed>,
    /// Time for a clean shutdown (a broker moves its partition leadership away first).
    pub termination_grace_seconds: u32,
    /// Where the data volume is mounted.
    pub data_path: String,
    /// Directories the start script creates on the data volume.
    pub make_dirs: Vec<String>,
    pub storage: StorageModel,
    pub user: u32,
    /// Files of the settings ConfigMap besides the pods' own (logging).
    pub files: Vec<ConfigFile>,
}

#[derive(Debug, Serialize)]
pub struct ConfigFile {
    pub name: String,
    pub content: String,
}

/// The logging variables of a component's JVM, and its settings files.
fn logging(flavor: Flavor, version: Option<(u32, u32)>) -> (Vec<EnvVar>, Vec<ConfigFile>) {
    let l = crate::logging::of(flavor, version);
    (
        l.env.iter().map(|(k, v)| value(k, v)).collect(),
        l.files
            .iter()
            .map(|(name, content)| ConfigFile {
                name: name.to_string(),
                content: content.to_string(),
            })
            .collect(),
    )
}

/// An emptyDir where the image writes.
#[derive(Debug, Serialize)]
pub struct Scratch {
    pub volume: String,
    pub path: String,
}

/// An init container that copies what the image ships in a directory into
/// the emptyDir that will cover it, so the image still finds its files.
#[derive(Debug, Serialize)]
pub struct Seed {
    pub container: String,
    /// What `cp -R` copies: the directory's contents (`<path>/.`).
    pub from: String,
    pub volume: String,
}

use crate::logging::LOG_DIR;

/// The directories an image writes at start-up and while running, beside
/// its data volume: where its entrypoint renders configuration (seeded with
/// what the image ships there: the Confluent `configure` writes /etc/kafka,
/// apache/kafka's launch writes /opt/kafka/config), `LOG_DIR` for GC logs,
/// and /tmp for the JVM and the compression codecs' native libraries.
fn scratch_dirs(flavor: Flavor) -> (Vec<Scratch>, Vec<Seed>) {
    let config = match flavor {
        Flavor::ApacheKafka => vec![("config", "/opt/kafka/config")],
        _ => vec![("config", "/etc/kafka")],
    };
    let seeds = config
        .iter()
        .map(|(volume, path)| Seed {
            container: format!("seed-{volume}"),
            from: format!("{path}/."),
            volume: volume.to_string(),
        })
        .collect();
    let scratch = config
        .into_iter()
        .chain([("logs", LOG_DIR), ("tmp", "/tmp")])
        .map(|(volume, path)| Scratch {
            volume: volume.into(),
            path: path.into(),
        })
        .collect();
    (scratch, seeds)
}

/// How the kubelet tells that a container started, is ready, and lives.
#[derive(Debug, Serialize)]
pub struct Health {
    /// The named port the probes connect to.
    pub port: String,
    /// A readiness check stronger than an open port, when the image allows one.
    pub ready_command: Option<Vec<String>>,
    /// Startup checks, 10 s apart, before the container counts as failed to
    /// start: log recovery after a crash can take many minutes.
    pub startup_attempts: u32,
}

fn health(port: &str, ready_command: Option<Vec<String>>, startup_attempts: u32) -> Health {
    Health {
        port: port.into(),
        ready_command,
        startup_attempts,
    }
}

#[derive(Debug, Serialize)]
pub struct Port {
    pub name: String,
    pub port: u16,
}

#[derive(Debug, Serialize)]
pub struct Pod {
    pub name: String,
    pub dns: String,
    /// The broker, node or server id.
    pub id: u32,
    /// Where the pod is reached, per listener (brokers: what they advertise).
    pub listeners: Vec<Listener>,
    /// The `<pod>.env` file: `NAME=value` lines read by the start script.
    pub settings_file: String,
    pub settings: String,
}

#[derive(Debug, Serialize)]
pub struct Listener {
    pub name: String,
    /// `host:port`; a node port's host may be [`NODE_IP_PLACEHOLDER`].
    pub address: String,
}

/// What identifies one component's pods to Kafka or ZooKeeper.
struct Identity<'a> {
    /// The settings variable the id goes to.
    id_key: &'a str,
    /// The id of the pod with a given ordinal.
    id_of: &'a dyn Fn(u32) -> u32,
    /// The pod's listeners, from its ordinal and DNS name.
    listeners_of: &'a dyn Fn(u32, &str) -> Vec<Listener>,
    /// Whether the listeners go to `KAFKA_ADVERTISED_LISTENERS`.
    advertised: bool,
}

#[derive(Debug, Serialize)]
pub struct EnvVar {
    pub name: String,
    pub value: Option<String>,
    /// Downward API field (`status.hostIP`) instead of a value.
    pub field_path: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Resources {
    pub requests: Labels,
    pub limits: Labels,
}

#[derive(Debug, Serialize)]
pub struct StorageModel {
    /// `persistent`, or `ephemeral` for an emptyDir.
    pub ephemeral: bool,
    pub size: String,
    pub class: Option<String>,
    /// The standalone claim of a Deployment; `None` for a StatefulSet,
    /// whose claims come from volumeClaimTemplates.
    pub claim: Option<String>,
}

impl Component {
    /// The PersistentVolumeClaim a pod keeps its data on: the Deployment's
    /// own claim, or the one the StatefulSet makes from its
    /// volumeClaimTemplate `data` (`data-<pod>`); `None` for an emptyDir.
    pub fn claim_of(&self, pod: &Pod) -> Option<String> {
        if self.storage.ephemeral {
            return None;
        }
        Some(
            self.storage
                .claim
                .clone()
                .unwrap_or_else(|| format!("data-{}", pod.name)),
        )
    }
}

/// The Services that expose brokers outside the cluster.
#[derive(Debug, Serialize)]
pub struct External {
    /// `NodePort` or `LoadBalancer`.
    pub service_type: String,
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

#[derive(Debug, Serialize)]
pub struct TopicsJob {
    pub name: String,
    pub image: String,
    pub labels: Labels,
    pub bootstrap: String,
    /// How many brokers must answer before topics are created: the largest
    /// replication factor asked for (not the cluster size, so that adding
    /// brokers leaves the Job as it is).
    pub brokers: String,
    /// The image's `kafka-topics` and `kafka-broker-api-versions` commands.
    pub topics_tool: String,
    pub api_versions_tool: String,
    /// One topic per line: `name partitions replication-factor [key=value]...`
    pub topics: String,
    pub resources: Resources,
    pub user: u32,
}

pub fn build(c: &Cluster) -> Model {
    let names = Names {
        name: c.name.clone(),
        namespace: c.namespace.clone(),
        domain: c.cluster_domain.clone(),
    };
    let mut components = Vec::new();
    let kafka = match &c.metadata {
        Metadata::ZooKeeper(z) => {
            let zk = zookeeper(c, &names, z);
            let connect: Vec<String> = zk
                .pods
                .iter()
                .map(|p| format!("{}:{ZK_CLIENT_PORT}", p.dns))
                .collect();
            components.push(zk);
            kafka(c, &names, Quorum::ZooKeeper(connect.join(",")))
        }
        Metadata::Kraft(k) => match &k.controllers {
            Some(ctrl) => {
                let controllers = controllers(c, &names, k, ctrl);
                let voters = voters(&controllers.pods);
                components.push(controllers);
                kafka(c, &names, Quorum::Brokers { kraft: k, voters })
            }
            None => {
                let voters = (0..c.kafka.brokers)
                    .map(|id| {
                        let pod = names.kafka_pod(id);
                        let dns = names.pod_dns(&pod, &names.kafka_headless());
                        format!("{id}@{dns}:{KAFKA_CONTROLLER_PORT}")
                    })
                    .collect::<Vec<_>>()
                    .join(",");
                kafka(c, &names, Quorum::Combined { kraft: k, voters })
            }
        },
    };
    let external = external(c, &names, &kafka);
    let bootstrap = format!(
        "{}:{KAFKA_INTERNAL_PORT}",
        names.service_dns(&names.kafka())
    );
    let topics_job = topics_job(c, &names, &bootstrap);
    components.push(kafka);
    let network_policies = match &c.network_policy {
        Some(peers) => {
            let mut policies = network_policies(&components, peers);
            // The topics Job serves nothing: no ingress at all.
            if let Some(job) = &topics_job {
                policies.push(NetworkPolicyModel {
                    name: job.name.clone(),
                    labels: job.labels.clone(),
                    selector: job.labels.clone(),
                    ingress: Vec::new(),
                });
            }
            policies
        }
        None => Vec::new(),
    };
    Model {
        namespace: c.namespace.clone(),
        create_namespace: c.create_namespace,
        namespace_labels: labels_of(&[("app.kubernetes.io/managed-by", "kafkagen")]),
        service_account: names.service_account(),
        service_account_labels: labels("kafka", &c.name, "broker"),
        placement: placement(&c.placement),
        network_policies,
        components,
        external,
        topics_job,
        bootstrap,
    }
}

fn placement(p: &Placement) -> PlacementModel {
    let required = p.spread == Spread::Required;
    PlacementModel {
        spread_required: required,
        zone_spread: p.zones.then(|| {
            if required {
                "DoNotSchedule"
            } else {
                "ScheduleAnyway"
            }
            .to_string()
        }),
        node_selector: p.node_selector.iter().cloned().collect(),
        tolerations: p
            .tolerations
            .iter()
            .map(|t| {
                let mut o = serde_json::Map::new();
                if let Some(k) = &t.key {
                    o.insert("key".into(), json!(k));
                }
                o.insert("operator".into(), json!(t.operator));
                if let Some(v) = &t.value {
                    o.insert("value".into(), json!(v));
                }
                if let Some(e) = &t.effect {
                    o.insert("effect".into(), json!(e));
                }
                if let Some(s) = t.seconds {
                    o.insert("tolerationSeconds".into(), json!(s));
                }
                Value::Object(o)
            })
            .collect(),
    }
}

fn pods_of(c: &Component) -> Value {
    json!({ "podSelector": { "matchLabels": c.selector } })
}

/// Each component reachable only by whom it serves: ZooKeeper by its peers
/// and the brokers; controllers by each other and the brokers; brokers'
/// client port by the namespace and `allowFrom`, their external port by
/// anyone.
fn network_policies(components: &[Component], peers: &[Peer]) -> Vec<NetworkPolicyModel> {
    let brokers = components.last().expect("brokers are always rendered");
    components
        .iter()
        .map(|c| {
            let own: Vec<u16> = c.ports.iter().map(|p| p.port).collect();
            let ingress = match c.container.as_str() {
                "zookeeper" => vec![
                    IngressRule {
                        from: vec![pods_of(c)],
                        ports: own,
                    },
                    IngressRule {
                        from: vec![pods_of(brokers)],
                        ports: vec![ZK_CLIENT_PORT],
                    },
                ],
                "controller" => vec![IngressRule {
                    from: vec![pods_of(c), pods_of(brokers)],
                    ports: vec![KAFKA_CONTROLLER_PORT],
                }],
                _ => {
                    let mut clients = vec![json!({ "podSelector": {} })];
                    clients.extend(peers.iter().map(|p| {
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
                    }));
                    let mut rules = vec![IngressRule {
                        from: clients,
                        ports: vec![KAFKA_INTERNAL_PORT],
                    }];
                    if own.contains(&KAFKA_CONTROLLER_PORT) {
                        rules.push(IngressRule {
                            from: vec![pods_of(c)],
                            ports: vec![KAFKA_CONTROLLER_PORT],
                        });
                    }
                    if own.contains(&KAFKA_EXTERNAL_PORT) {
                        rules.push(IngressRule {
                            from: Vec::new(),
                            ports: vec![KAFKA_EXTERNAL_PORT],
                        });
                    }
                    rules
                }
            };
            NetworkPolicyModel {
                name: c.name.clone(),
                labels: c.labels.clone(),
                selector: c.selector.clone(),
                ingress,
            }
        })
        .collect()
}

/// Where brokers keep their metadata, and the settings that say so.
enum Quorum<'a> {
    /// The ZooKeeper connect string.
    ZooKeeper(String),
    /// Brokers beside dedicated controllers, with the controllers' voter list.
    Brokers { kraft: &'a Kraft, voters: String },
    /// Every broker is also a controller.
    Combined { kraft: &'a Kraft, voters: String },
}

/// `id@host:port` for every dedicated controller pod.
fn voters(pods: &[Pod]) -> String {
    pods.iter()
        .zip(CONTROLLER_ID_BASE..)
        .map(|(p, id)| format!("{id}@{}:{KAFKA_CONTROLLER_PORT}", p.dns))
        .collect::<Vec<_>>()
        .join(",")
}

/// The replication factors of Confluent Server's internal topics (license,
/// self-balancing, metrics reporter, metadata service).
const CONFLUENT_SERVER_TOPICS: &[&str] = &[
    "confluent.license.topic.replication.factor",
    "confluent.balancer.topic.replication.factor",
    "confluent.metrics.reporter.topic.replicas",
    "confluent.metadata.topic.replication.factor",
];

/// The entrypoint, `kafka-topics` and `kafka-broker-api-versions` of an image.
fn commands(flavor: Flavor) -> (&'static str, &'static str, &'static str) {
    match flavor {
        Flavor::ApacheKafka => (
            "/etc/kafka/docker/run",
            "/opt/kafka/bin/kafka-topics.sh",
            "/opt/kafka/bin/kafka-broker-api-versions.sh",
        ),
        _ => (
            "/etc/confluent/docker/run",
            "kafka-topics",
            "kafka-broker-api-versions",
        ),
    }
}

fn labels_of(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn selector(app: &str, instance: &str, component: &str) -> Labels {
    labels_of(&[
        ("app.kubernetes.io/name", app),
        ("app.kubernetes.io/instance", instance),
        ("app.kubernetes.io/component", component),
    ])
}

fn labels(app: &str, instance: &str, component: &str) -> Labels {
    let mut l = selector(app, instance, component);
    l.insert("app.kubernetes.io/managed-by".into(), "kafkagen".into());
    l
}

fn port(name: &str, port: u16) -> Port {
    Port {
        name: name.into(),
        port,
    }
}

fn value(name: &str, value: impl ToString) -> EnvVar {
    EnvVar {
        name: name.into(),
        value: Some(env_literal(&value.to_string())),
        field_path: None,
    }
}

/// A text as an env value that the kubelet hands over unchanged: it reads
/// `$(NAME)` as a reference and `$$` as a `$`, so every `$` is doubled.
pub fn env_literal(text: &str) -> String {
    text.replace('$', "$$")
}

fn resources(r: &crate::cluster::Resources) -> Resources {
    let list = |cpu: &Option<String>, mem: &Option<String>| {
        let mut l = Labels::new();
        if let Some(c) = cpu {
            l.insert("cpu".into(), c.clone());
        }
        if let Some(m) = mem {
            l.insert("memory".into(), m.clone());
        }
        l
    };
    Resources {
        requests: list(&r.requests_cpu, &r.requests_memory),
        limits: list(&r.limits_cpu, &r.limits_memory),
    }
}

/// `claim`: the standalone claim a Deployment mounts; StatefulSets have none.
fn storage(s: &Storage, claim: Option<String>) -> StorageModel {
    match s {
        Storage::Ephemeral { size_limit } => StorageModel {
            ephemeral: true,
            size: size_limit.clone(),
            class: None,
            claim: None,
        },
        Storage::Persistent { size, class } => StorageModel {
            ephemeral: false,
            size: size.clone(),
            class: class.clone(),
            claim,
        },
    }
}

fn heap_opts(mib: u64) -> String {
    format!("-Xms{mib}m -Xmx{mib}m")
}

/// A short, stable digest of `text`, as lowercase hex.
fn digest(text: &str, chars: usize) -> String {
    let hash = Sha256::digest(text.as_bytes());
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    hex[..chars].to_string()
}

/// The checksum of the brokers' listener rule: every input of their
/// advertised addresses except the broker count, so that adding brokers
/// does not restart the others. (With an explicit `hosts` list, a longer
/// list does.) ZooKeeper and controller settings are ids only, which never
/// change for a running pod.
fn listeners_checksum(exposure: &Exposure, pod_dns_suffix: &str) -> String {
    let rule = match exposure {
        Exposure::Internal => "internal".to_string(),
        Exposure::NodePort {
            bootstrap_port,
            advertised_host,
        } => format!(
            "nodeport {bootstrap_port} {}",
            advertised_host.as_deref().unwrap_or(NODE_IP_PLACEHOLDER)
        ),
        Exposure::LoadBalancer {
            port,
            hosts,
            host_template,
            ..
        } => match host_template {
            Some(t) => format!("loadbalancer {port} template {t}"),
            None => format!("loadbalancer {port} hosts {}", hosts.join(",")),
        },
    };
    digest(&format!("{pod_dns_suffix}\n{rule}"), 16)
}

/// The pods of a StatefulSet: ordinal -> name, DNS name, id, listeners,
/// and the settings file that carries the id (and advertised listeners).
fn pods(
    names: &Names,
    headless: &str,
    count: u32,
    name_of: impl Fn(u32) -> String,
    identity: Identity,
) -> Vec<Pod> {
    (0..count)
        .map(|i| {
            let name = name_of(i);
            let dns = names.pod_dns(&name, headless);
            let id = (identity.id_of)(i);
            let listeners = (identity.listeners_of)(i, &dns);
            let mut settings = format!("{}={id}\n", identity.id_key);
            if identity.advertised {
                let advertised: Vec<String> = listeners
                    .iter()
                    .map(|l| format!("{}://{}", l.name, l.address))
                    .collect();
                settings += &format!("KAFKA_ADVERTISED_LISTENERS={}\n", advertised.join(","));
            }
            Pod {
                settings_file: format!("{name}.env"),
                settings,
                name,
                dns,
                id,
                listeners,
            }
        })
        .collect()
}

fn listener(name: &str, host: &str, port: impl std::fmt::Display) -> Listener {
    Listener {
        name: name.into(),
        address: format!("{host}:{port}"),
    }
}

fn zookeeper(c: &Cluster, names: &Names, z: &ZooKeeper) -> Component {
    let headless = names.zookeeper_headless();
    let pods = pods(
        names,
        &headless,
        z.replicas,
        |i| names.zookeeper_pod(i),
        Identity {
            id_key: "ZOOKEEPER_SERVER_ID",
            id_of: &|i| i + 1,
            listeners_of: &|_, dns| vec![listener("client", dns, ZK_CLIENT_PORT)],
            advertised: false,
        },
    );
    let mut env = vec![
        value("ZOOKEEPER_CLIENT_PORT", ZK_CLIENT_PORT),
        value("ZOOKEEPER_TICK_TIME", 2000),
        value("ZOOKEEPER_INIT_LIMIT", 10),
        value("ZOOKEEPER_SYNC_LIMIT", 5),
    ];
    if z.replicas > 1 {
        let servers: Vec<String> = pods
            .iter()
            .map(|p| format!("{}:{ZK_PEER_PORT}:{ZK_ELECTION_PORT}", p.dns))
            .collect();
        env.push(value("ZOOKEEPER_SERVERS", servers.join(";")));
        env.push(value("ZOOKEEPER_QUORUM_LISTEN_ON_ALL_IPS", "true"));
    }
    env.push(value("KAFKA_HEAP_OPTS", heap_opts(z.heap_mib)));
    let (log_env, files) = logging(Flavor::ConfluentZooKeeper, None);
    env.extend(log_env);
    let name = names.zookeeper();
    let (scratch, seeds) = scratch_dirs(Flavor::ConfluentZooKeeper);
    Component {
        role: "zookeeper".into(),
        container: "zookeeper".into(),
        statefulset: z.workload == Workload::Statefulset,
        replicas: z.replicas,
        image: z.image.clone(),
        labels: labels("zookeeper", &c.name, "zookeeper"),
        selector: selector("zookeeper", &c.name, "zookeeper"),
        client_service: Some(name.clone()),
        disruption_budget: name.clone(),
        entrypoint: commands(Flavor::ConfluentZooKeeper).0.into(),
        ports: vec![
            port("client", ZK_CLIENT_PORT),
            port("peer", ZK_PEER_PORT),
            port("election", ZK_ELECTION_PORT),
        ],
        headless_ports: vec![
            port("client", ZK_CLIENT_PORT),
            port("peer", ZK_PEER_PORT),
            port("election", ZK_ELECTION_PORT),
        ],
        client_ports: vec![port("client", ZK_CLIENT_PORT)],
        // `srvr` (allowed by default) prints `Mode:` only while the node serves.
        health: health(
            "client",
            Some(vec![
                "/bin/bash".into(),
                "-c".into(),
                format!(
                    "exec 3<>/dev/tcp/127.0.0.1/{ZK_CLIENT_PORT} && printf srvr >&3 && grep -q '^Mode: ' <&3"
                ),
            ]),
            30,
        ),
        scratch,
        seeds,
        termination_grace_seconds: 60,
        pods_config: names.zookeeper_pods_config(),
        settings_checksum: None,
        pods,
        env,
        resources: resources(&z.resources),
        data_path: "/var/lib/zookeeper".into(),
        make_dirs: vec![
            "/var/lib/zookeeper/data".into(),
            "/var/lib/zookeeper/log".into(),
        ],
        storage: storage(
            &z.storage,
            (z.workload == Workload::Deployment).then(|| names.zookeeper_data()),
        ),
        user: IMAGE_USER,
        files,
        headless,
        name,
    }
}

/// The environment name of a broker property for the Confluent images:
/// `KAFKA_` + upper case with `.` -> `_`, `_` -> `__`, `-` -> `___`.
pub fn property_env(key: &str) -> String {
    let mut out = String::from("KAFKA_");
    for ch in key.chars() {
        match ch {
            '.' => out.push('_'),
            '_' => out.push_str("__"),
            '-' => out.push_str("___"),
            c => out.push(c.to_ascii_uppercase()),
        }
    }
    out
}

/// Settings every KRaft node shares: the cluster id and the quorum.
fn kraft_env(kraft: &Kraft, roles: &str, voters: &str) -> Vec<EnvVar> {
    vec![
        value("CLUSTER_ID", &kraft.cluster_id),
        value("KAFKA_PROCESS_ROLES", roles),
        value("KAFKA_CONTROLLER_QUORUM_VOTERS", voters),
        value("KAFKA_CONTROLLER_LISTENER_NAMES", CONTROLLER),
    ]
}

fn controllers(c: &Cluster, names: &Names, kraft: &Kraft, ctrl: &Controllers) -> Component {
    let headless = names.controller_headless();
    let pods = pods(
        names,
        &headless,
        ctrl.replicas,
        |i| names.controller_pod(i),
        Identity {
            id_key: "KAFKA_NODE_ID",
            id_of: &|i| CONTROLLER_ID_BASE + i,
            listeners_of: &|_, dns| vec![listener(CONTROLLER, dns, KAFKA_CONTROLLER_PORT)],
            advertised: false,
        },
    );
    // Controller-only nodes advertise nothing: the images refuse
    // KAFKA_ADVERTISED_LISTENERS on them.
    let mut env = kraft_env(kraft, "controller", &voters(&pods));
    env.extend([
        value(
            "KAFKA_LISTENERS",
            format!("{CONTROLLER}://0.0.0.0:{KAFKA_CONTROLLER_PORT}"),
        ),
        value(
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
            format!("{CONTROLLER}:PLAINTEXT"),
        ),
        value("KAFKA_LOG_DIRS", "/var/lib/kafka/data/logs"),
        value("KAFKA_HEAP_OPTS", heap_opts(ctrl.heap_mib)),
    ]);
    let (log_env, files) = logging(c.kafka.flavor, c.kafka.version);
    env.extend(log_env);
    let name = names.controller();
    let (scratch, seeds) = scratch_dirs(c.kafka.flavor);
    Component {
        role: "controller".into(),
        container: "controller".into(),
        statefulset: true,
        replicas: ctrl.replicas,
        image: c.kafka.image.clone(),
        labels: labels("kafka", &c.name, "controller"),
        selector: selector("kafka", &c.name, "controller"),
        client_service: None,
        disruption_budget: names.controller(),
        entrypoint: commands(c.kafka.flavor).0.into(),
        ports: vec![port("controller", KAFKA_CONTROLLER_PORT)],
        headless_ports: vec![port("controller", KAFKA_CONTROLLER_PORT)],
        client_ports: Vec::new(),
        health: health("controller", None, 60),
        scratch,
        seeds,
        termination_grace_seconds: 60,
        pods_config: names.controller_pods_config(),
        settings_checksum: None,
        pods,
        env,
        resources: resources(&ctrl.resources),
        data_path: "/var/lib/kafka/data".into(),
        make_dirs: Vec::new(),
        storage: storage(&ctrl.storage, None),
        user: IMAGE_USER,
        files,
        headless,
        name,
    }
}

fn kafka(c: &Cluster, names: &Names, quorum: Quorum) -> Component {
    let k = &c.kafka;
    let headless = names.kafka_headless();
    let exposed = !matches!(k.exposure, Exposure::Internal);
    let combined = matches!(quorum, Quorum::Combined { .. });
    let id_key = match quorum {
        Quorum::ZooKeeper(_) => "KAFKA_BROKER_ID",
        _ => "KAFKA_NODE_ID",
    };
    let listeners_of = |id: u32, dns: &str| -> Vec<Listener> {
        let mut listeners = vec![listener(INTERNAL, dns, KAFKA_INTERNAL_PORT)];
        match &k.exposure {
            Exposure::Internal => {}
            Exposure::NodePort {
                bootstrap_port,
                advertised_host,
            } => listeners.push(listener(
                EXTERNAL,
                advertised_host.as_deref().unwrap_or(NODE_IP_PLACEHOLDER),
                u32::from(*bootstrap_port) + 1 + id,
            )),
            Exposure::LoadBalancer { port, hosts, .. } => {
                listeners.push(listener(EXTERNAL, &hosts[id as usize], port))
            }
        }
        listeners
    };
    let pods = pods(
        names,
        &headless,
        k.brokers,
        |id| names.kafka_pod(id),
        Identity {
            id_key,
            id_of: &|i| i,
            listeners_of: &listeners_of,
            advertised: true,
        },
    );

    let mut env = Vec::new();
    if matches!(
        k.exposure,
        Exposure::NodePort {
            advertised_host: None,
            ..
        }
    ) {
        env.push(EnvVar {
            name: "NODE_IP".into(),
            value: None,
            field_path: Some("status.hostIP".into()),
        });
    }
    match &quorum {
        Quorum::ZooKeeper(connect) => {
            env.push(value("KAFKA_ZOOKEEPER_CONNECT", connect));
            // Ids come from kafkagen; with generation on, Kafka refuses ids above 1000.
            env.push(value("KAFKA_BROKER_ID_GENERATION_ENABLE", "false"));
        }
        Quorum::Brokers { kraft, voters } => env.extend(kraft_env(kraft, "broker", voters)),
        Quorum::Combined { kraft, voters } => {
            env.extend(kraft_env(kraft, "broker,controller", voters))
        }
    }
    let mut listeners = vec![format!("{INTERNAL}://0.0.0.0:{KAFKA_INTERNAL_PORT}")];
    let mut protocols = vec![format!("{INTERNAL}:PLAINTEXT")];
    let mut ports = vec![port("internal", KAFKA_INTERNAL_PORT)];
    if exposed {
        listeners.push(format!("{EXTERNAL}://0.0.0.0:{KAFKA_EXTERNAL_PORT}"));
        protocols.push(format!("{EXTERNAL}:PLAINTEXT"));
        ports.push(port("external", KAFKA_EXTERNAL_PORT));
    }
    if combined {
        listeners.push(format!("{CONTROLLER}://0.0.0.0:{KAFKA_CONTROLLER_PORT}"));
        ports.push(port("controller", KAFKA_CONTROLLER_PORT));
    }
    if !matches!(quorum, Quorum::ZooKeeper(_)) {
        protocols.push(format!("{CONTROLLER}:PLAINTEXT"));
    }
    let rf = k.replication_factor;
    env.extend([
        value("KAFKA_LISTENERS", listeners.join(",")),
        value("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", protocols.join(",")),
        value("KAFKA_INTER_BROKER_LISTENER_NAME", INTERNAL),
        value("KAFKA_LOG_DIRS", "/var/lib/kafka/data/logs"),
        value("KAFKA_NUM_PARTITIONS", k.partitions),
        value("KAFKA_DEFAULT_REPLICATION_FACTOR", rf),
        value("KAFKA_MIN_INSYNC_REPLICAS", k.min_insync_replicas),
        value("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", rf),
        value("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", rf),
        value("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", k.min_insync_replicas),
        value("KAFKA_HEAP_OPTS", heap_opts(k.heap_mib)),
    ]);
    let (log_env, files) = logging(k.flavor, k.version);
    env.extend(log_env);
    // Confluent Server's own internal topics default to a replication
    // factor of 3, which a smaller cluster cannot place.
    if k.confluent_server && rf < 3 {
        for key in CONFLUENT_SERVER_TOPICS {
            if !k.config.iter().any(|(c, _)| c == key) {
                env.push(value(&property_env(key), rf));
            }
        }
    }
    for (key, v) in &k.config {
        env.push(value(&property_env(key), v));
    }

    let mut headless_ports = vec![port("internal", KAFKA_INTERNAL_PORT)];
    if combined {
        headless_ports.push(port("controller", KAFKA_CONTROLLER_PORT));
    }
    let name = names.kafka();
    let (scratch, seeds) = scratch_dirs(k.flavor);
    Component {
        role: if combined {
            "broker+controller".into()
        } else {
            "broker".into()
        },
        container: "kafka".into(),
        statefulset: k.workload == Workload::Statefulset,
        replicas: k.brokers,
        image: k.image.clone(),
        labels: labels("kafka", &c.name, "broker"),
        selector: selector("kafka", &c.name, "broker"),
        client_service: Some(name.clone()),
        disruption_budget: name.clone(),
        entrypoint: commands(k.flavor).0.into(),
        ports,
        headless_ports,
        client_ports: vec![port("internal", KAFKA_INTERNAL_PORT)],
        health: health("internal", None, 90),
        scratch,
        seeds,
        termination_grace_seconds: 120,
        pods_config: names.kafka_pods_config(),
        settings_checksum: Some(listeners_checksum(
            &k.exposure,
            &names.pod_dns("", &headless),
        )),
        pods,
        env,
        resources: resources(&k.resources),
        data_path: "/var/lib/kafka/data".into(),
        make_dirs: Vec::new(),
        storage: storage(
            &k.storage,
            (k.workload == Workload::Deployment).then(|| names.kafka_data()),
        ),
        user: IMAGE_USER,
        files,
        headless,
        name,
    }
}

fn external(c: &Cluster, names: &Names, kafka: &Component) -> Option<External> {
    let (service_type, bootstrap_node_port, port, annotations, source_ranges, class) =
        match &c.kafka.exposure {
            Exposure::Internal => return None,
            Exposure::NodePort { bootstrap_port, .. } => (
                "NodePort",
                Some(*bootstrap_port),
                KAFKA_EXTERNAL_PORT,
                Labels::new(),
                Vec::new(),
                None,
            ),
            Exposure::LoadBalancer {
                port,
                annotations,
                source_ranges,
                class,
                ..
            } => (
                "LoadBalancer",
                None,
                *port,
                annotations.iter().cloned().collect(),
                source_ranges.clone(),
                class.clone(),
            ),
        };
    let brokers = kafka
        .pods
        .iter()
        .enumerate()
        .map(|(id, pod)| {
            let mut selector = kafka.selector.clone();
            if kafka.statefulset {
                selector.insert(
                    "statefulset.kubernetes.io/pod-name".into(),
                    pod.name.clone(),
                );
            }
            let load_balancer_ip = match &c.kafka.exposure {
                Exposure::LoadBalancer { hosts, .. } => hosts
                    .get(id)
                    .filter(|h| h.parse::<std::net::Ipv4Addr>().is_ok())
                    .cloned(),
                _ => None,
            };
            ExternalService {
                name: names.kafka_pod_external(id as u32),
                labels: kafka.labels.clone(),
                selector,
                port,
                node_port: bootstrap_node_port.map(|b| b + 1 + id as u16),
                load_balancer_ip,
            }
        })
        .collect();
    Some(External {
        service_type: service_type.into(),
        bootstrap: ExternalService {
            name: names.kafka_external(),
            labels: kafka.labels.clone(),
            selector: kafka.selector.clone(),
            port,
            node_port: bootstrap_node_port,
            load_balancer_ip: None,
        },
        brokers,
        annotations,
        source_ranges,
        load_balancer_class: class,
    })
}

fn topics_job(c: &Cluster, names: &Names, bootstrap: &str) -> Option<TopicsJob> {
    if c.topics.is_empty() {
        return None;
    }
    let topics: String = c
        .topics
        .iter()
        .map(|t| {
            let mut line = format!("{} {} {}", t.name, t.partitions, t.replication_factor);
            for (k, v) in &t.config {
                line += &format!(" {k}={v}");
            }
            line + "\n"
        })
        .collect();
    let (_, topics_tool, api_versions_tool) = commands(c.kafka.flavor);
    // A Job's pod template cannot change once created: a new topic list, or
    // a new script in the built-in template, gets a new Job name, so
    // `kubectl apply` never hits an immutable field.
    let script = crate::render::builtin("kafka/topics-job.yaml.j2").unwrap_or_default();
    let hash = digest(
        &format!("{}\n{bootstrap}\n{topics}\n{script}", c.kafka.image),
        8,
    );
    Some(TopicsJob {
        name: names.topics_job(&hash),
        image: c.kafka.image.clone(),
        labels: labels("kafka", &c.name, "topics"),
        bootstrap: bootstrap.to_string(),
        brokers: c
            .topics
            .iter()
            .map(|t| t.replication_factor)
            .max()
            .unwrap_or(1)
            .to_string(),
        topics_tool: topics_tool.into(),
        api_versions_tool: api_versions_tool.into(),
        topics: env_literal(&topics),
        // The topics tool is a short-lived JVM client.
        resources: resources(&crate::cluster::Resources {
            requests_cpu: Some("100m".into()),
            requests_memory: Some("384Mi".into()),
            limits_cpu: Some("500m".into()),
            limits_memory: Some("384Mi".into()),
        }),
        user: IMAGE_USER,
    })
}

#[cfg(test)]
mod tests {
    use super::property_env;

    #[test]
    fn property_names_map_to_confluent_env_names() {
        assert_eq!(
            property_env("log.retention.hours"),
            "KAFKA_LOG_RETENTION_HOURS"
        );
        assert_eq!(property_env("a_b-c.d"), "KAFKA_A__B___C_D");
    }
}
