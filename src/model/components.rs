//! The components: ZooKeeper, dedicated controllers and brokers, each with
//! its listeners, pods, containers and volumes.

use super::containers::{self, EnvVar, PodSpec, Probes};
use super::readiness;
use super::{Component, ConfigFile, IMAGE_USER, digest, labels, resources, selector, storage};
use crate::broker_properties::property_env;
use crate::cluster::CONTROLLER_ID_BASE;
use crate::cluster::{Cluster, Controllers, Flavor, Kraft, Workload, ZooKeeper};
use crate::listeners::{
    self, INTERNAL, Listener, Peer, QuorumKind, ZK_CLIENT, ZK_ELECTION, ZK_PEER,
};
use crate::model::{metrics, quorum_restart, security};
use crate::names::Names;
use serde::Serialize;

/// What a component's pods are to Kafka.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Role {
    #[serde(rename = "zookeeper")]
    ZooKeeper,
    #[serde(rename = "controller")]
    Controller,
    #[serde(rename = "broker")]
    Broker,
    /// Brokers that are also the KRaft quorum.
    #[serde(rename = "broker+controller")]
    Combined,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::ZooKeeper => "zookeeper",
            Role::Controller => "controller",
            Role::Broker => "broker",
            Role::Combined => "broker+controller",
        }
    }

    pub fn is_broker(self) -> bool {
        matches!(self, Role::Broker | Role::Combined)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Serialize)]
pub struct Pod {
    pub name: String,
    pub dns: String,
    /// The broker, node or server id.
    pub id: u32,
    /// Where the pod is reached, per listener (brokers: what they advertise).
    pub addresses: Vec<Address>,
    /// The `<pod>.env` file: `NAME=value` lines read by the start script.
    pub settings_file: String,
    pub settings: String,
}

impl Pod {
    /// The pod's `host:port` on a listener.
    pub fn address(&self, listener: &str) -> Option<&str> {
        self.addresses
            .iter()
            .find(|a| a.listener == listener)
            .map(|a| a.address.as_str())
    }
}

#[derive(Debug, Serialize)]
pub struct Address {
    pub listener: String,
    /// `host:port`; a node port's host may be [`listeners::NODE_IP_PLACEHOLDER`].
    pub address: String,
}

impl Component {
    /// Every pod's address on a listener, in ordinal order.
    pub fn addresses(&self, listener: &str) -> Vec<String> {
        self.pods
            .iter()
            .filter_map(|p| p.address(listener).map(str::to_string))
            .collect()
    }
}

/// Where brokers keep their metadata, and the settings that say so.
pub enum Quorum<'a> {
    /// The ZooKeeper connect string.
    ZooKeeper(String),
    /// Brokers beside dedicated controllers, with the controllers' voter list.
    Controllers { kraft: &'a Kraft, voters: String },
    /// Every broker is also a controller.
    Combined { kraft: &'a Kraft },
}

/// `id@host:port` for every pod of a KRaft quorum.
pub fn voters(quorum: &Component) -> String {
    quorum
        .pods
        .iter()
        .filter_map(|p| {
            let first = listeners::quorum_first(&quorum.listeners)?;
            Some(format!("{}@{}", p.id, p.address(&first.name)?))
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Where brokers and controllers mount their data volume; their log
/// directory is `logs` in it.
const KAFKA_DATA: &str = "/var/lib/kafka/data";

/// `log.dirs`: on the data volume.
fn kafka_log_dir() -> String {
    format!("{KAFKA_DATA}/logs")
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
pub(super) fn commands(flavor: Flavor) -> (&'static str, &'static str, &'static str) {
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

/// The logging variables of a component's JVM, and its settings files.
fn logging(flavor: Flavor, version: Option<(u32, u32)>) -> (Vec<EnvVar>, Vec<ConfigFile>) {
    let l = crate::model::logging::of(flavor, version);
    (
        l.env.iter().map(|(k, v)| EnvVar::value(k, v)).collect(),
        l.files
            .iter()
            .map(|(name, content)| ConfigFile {
                name: name.to_string(),
                content: content.to_string(),
            })
            .collect(),
    )
}

/// A shell test that the ZooKeeper server at `host` and `port` serves:
/// `srvr` (allowed by default) prints `Mode:` only while it does.
fn zookeeper_serves(host: &str, port: &str) -> String {
    format!("exec 3<>/dev/tcp/{host}/{port} && printf srvr >&3 && grep -q '^Mode: ' <&3")
}

/// Brokers in ZooKeeper mode wait until a server of the connect string
/// serves. A first session opened while ZooKeeper is still starting can
/// hang for the whole of the Confluent images' ZooKeeper wait
/// (`KAFKA_CUB_ZK_TIMEOUT`, 40 s), and the broker then exits and restarts;
/// each try here gives up after 5 s instead.
fn wait_for_zookeeper() -> String {
    let serves = zookeeper_serves("${server%:*}", "${server##*:}");
    format!(
        r#"zookeeper_serves() {{
  local server
  for server in ${{KAFKA_ZOOKEEPER_CONNECT//,/ }}; do
    if timeout 5 bash -c "{serves}" 2>/dev/null; then
      return 0
    fi
  done
  return 1
}}
# As PID 1 the shell ignores SIGTERM unless it traps it: a pod deleted
# while waiting would wait out its grace period.
trap 'exit 143' TERM
until zookeeper_serves; do
  echo "kafkagen: no ZooKeeper server of ${{KAFKA_ZOOKEEPER_CONNECT}} serves yet; waiting" >&2
  sleep 2
done
trap - TERM
"#
    )
}

fn heap_opts(mib: u64) -> String {
    format!("-Xms{mib}m -Xmx{mib}m")
}

fn probes(port: &str, ready_command: Option<Vec<String>>, startup_attempts: u32) -> Probes {
    Probes {
        port: port.into(),
        ready_command,
        ready_period: 10,
        ready_timeout: 5,
        ready_successes: 1,
        startup_attempts,
    }
}

/// What identifies one component's pods to Kafka or ZooKeeper.
struct Identity<'a> {
    /// The settings variable the id goes to.
    id_key: &'a str,
    /// The id of the pod with a given ordinal.
    id_of: &'a dyn Fn(u32) -> u32,
}

/// The pods of a StatefulSet: ordinal -> name, DNS name, id, addresses, and
/// the settings file that carries the id (and advertised listeners).
fn pods(
    names: &Names,
    headless: &str,
    count: u32,
    name_of: impl Fn(u32) -> String,
    identity: Identity,
    listeners: &[Listener],
) -> Vec<super::Pod> {
    (0..count)
        .map(|i| {
            let name = name_of(i);
            let dns = names.pod_dns(&name, headless);
            let id = (identity.id_of)(i);
            let addresses = listeners
                .iter()
                .filter_map(|l| {
                    Some(Address {
                        listener: l.name.clone(),
                        address: l.address(i, &dns)?,
                    })
                })
                .collect();
            let mut settings = format!("{}={id}\n", identity.id_key);
            if let Some(advertised) = listeners::advertised(listeners, i, &dns) {
                settings += &format!("KAFKA_ADVERTISED_LISTENERS={advertised}\n");
            }
            Pod {
                settings_file: format!("{name}.env"),
                settings,
                name,
                dns,
                id,
                addresses,
            }
        })
        .collect()
}

/// The checksum of the pods' advertised addresses: every input of them
/// except the pod count, so that adding brokers does not restart the
/// others. (With an explicit `hosts` list, a longer list does.) ZooKeeper
/// and controller settings are ids only, which never change for a running
/// pod.
fn listeners_checksum(listeners: &[Listener], pod_dns_suffix: &str) -> String {
    let rule = listeners::advertised_rule(listeners);
    digest(&format!("{pod_dns_suffix}\n{rule}"), 16)
}

/// The pod template annotation that carries the listeners' checksum.
const CHECKSUM_ANNOTATION: &str = "kafkagen/listeners-checksum";

/// Settings every KRaft node shares: the cluster id and the quorum.
fn kraft_env(kraft: &Kraft, roles: &str, voters: &str, listeners: &[Listener]) -> Vec<EnvVar> {
    vec![
        EnvVar::value("CLUSTER_ID", &kraft.cluster_id),
        EnvVar::value("KAFKA_PROCESS_ROLES", roles),
        EnvVar::value("KAFKA_CONTROLLER_QUORUM_VOTERS", voters),
        EnvVar::value(
            "KAFKA_CONTROLLER_LISTENER_NAMES",
            listeners::quorum_names(listeners),
        ),
    ]
}

/// A Kafka component's listener settings, from its listener list.
fn listener_env(listeners: &[Listener]) -> [EnvVar; 2] {
    [
        EnvVar::value("KAFKA_LISTENERS", listeners::bindings(listeners)),
        EnvVar::value(
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
            listeners::protocol_map(listeners),
        ),
    ]
}

fn container_ports(listeners: &[Listener]) -> Vec<containers::Port> {
    listeners
        .iter()
        .filter(|l| l.bound)
        .map(containers::Port::of)
        .collect()
}

pub fn zookeeper(c: &Cluster, names: &Names, z: &ZooKeeper) -> Component {
    let flavor = Flavor::ConfluentZooKeeper;
    let headless = names.zookeeper_headless();
    let mut listeners = listeners::zookeeper();
    listeners.extend(
        c.metrics
            .as_ref()
            .map(|m| listeners::metrics(m.port, Vec::new())),
    );
    let pods = pods(
        names,
        &headless,
        z.replicas,
        |i| names.zookeeper_pod(i),
        Identity {
            id_key: "ZOOKEEPER_SERVER_ID",
            id_of: &|i| i + 1,
        },
        &listeners,
    );
    let mut env = vec![
        EnvVar::value("ZOOKEEPER_CLIENT_PORT", ZK_CLIENT.port),
        EnvVar::value("ZOOKEEPER_TICK_TIME", 2000),
        EnvVar::value("ZOOKEEPER_INIT_LIMIT", 10),
        EnvVar::value("ZOOKEEPER_SYNC_LIMIT", 5),
    ];
    if z.replicas > 1 {
        let servers: Vec<String> = pods
            .iter()
            .map(|p| format!("{}:{}:{}", p.dns, ZK_PEER.port, ZK_ELECTION.port))
            .collect();
        env.push(EnvVar::value("ZOOKEEPER_SERVERS", servers.join(";")));
        env.push(EnvVar::value("ZOOKEEPER_QUORUM_LISTEN_ON_ALL_IPS", "true"));
    }
    env.push(EnvVar::value("KAFKA_HEAP_OPTS", heap_opts(z.heap_mib)));
    let (log_env, mut files) = logging(flavor, None);
    env.extend(log_env);
    let name = names.zookeeper();
    let storage = storage(
        &z.storage,
        (z.workload == Workload::Deployment).then(|| names.zookeeper_data()),
    );
    let pods_config = names.zookeeper_pods_config();
    let data_path = "/var/lib/zookeeper";
    let pod = containers::pod(PodSpec {
        container: "zookeeper",
        image: &z.image,
        flavor,
        entrypoint: commands(flavor).0,
        data_path,
        make_dirs: &[&format!("{data_path}/data"), &format!("{data_path}/log")],
        before_start: start_lines(c, flavor, Role::ZooKeeper, String::new()),
        ports: container_ports(&listeners),
        env,
        probes: probes(
            ZK_CLIENT.port_name,
            Some(vec![
                "/bin/bash".into(),
                "-c".into(),
                zookeeper_serves("127.0.0.1", &ZK_CLIENT.port.to_string()),
            ]),
            30,
        ),
        resources: resources(&z.resources),
        pods_config: &pods_config,
        data: storage.volume(),
    });
    let (init_containers, main, volumes) =
        with_metrics(c, flavor, Role::ZooKeeper, pod, &mut files);
    Component {
        role: Role::ZooKeeper,
        statefulset: z.workload == Workload::Statefulset,
        replicas: z.replicas,
        image: z.image.clone(),
        labels: labels("zookeeper", &c.name, "zookeeper"),
        selector: selector("zookeeper", &c.name, "zookeeper"),
        client_service: Some(name.clone()),
        disruption_budget: name.clone(),
        listeners,
        termination_grace_seconds: 60,
        min_ready_seconds: 0,
        pods_config,
        pods,
        init_containers,
        main_container: main.name.clone(),
        containers: vec![main],
        volumes,
        storage,
        user: IMAGE_USER,
        files,
        pod_annotations: Default::default(),
        annotations: Default::default(),
        headless,
        name,
    }
}

pub fn controllers(c: &Cluster, names: &Names, kraft: &Kraft, ctrl: &Controllers) -> Component {
    let flavor = c.kafka.flavor;
    let headless = names.controller_headless();
    let mut listeners = listeners::controllers(&c.quorum_security());
    let readers = if quorum_restart::on(c) {
        vec![Peer::Own, Peer::Brokers]
    } else {
        Vec::new()
    };
    listeners.extend(
        c.metrics
            .as_ref()
            .map(|m| listeners::metrics(m.port, readers)),
    );
    let pods = pods(
        names,
        &headless,
        ctrl.replicas,
        |i| names.controller_pod(i),
        Identity {
            id_key: "KAFKA_NODE_ID",
            id_of: &|i| CONTROLLER_ID_BASE + i,
        },
        &listeners,
    );
    let name = names.controller();
    let mut component = Component {
        role: Role::Controller,
        statefulset: true,
        replicas: ctrl.replicas,
        image: c.kafka.image.clone(),
        labels: labels("kafka", &c.name, "controller"),
        selector: selector("kafka", &c.name, "controller"),
        client_service: None,
        disruption_budget: name.clone(),
        listeners,
        termination_grace_seconds: 60,
        min_ready_seconds: readiness::MIN_READY_SECONDS,
        pods_config: names.controller_pods_config(),
        pods,
        init_containers: Vec::new(),
        main_container: "controller".into(),
        containers: Vec::new(),
        volumes: Vec::new(),
        storage: storage(&ctrl.storage, None),
        user: IMAGE_USER,
        files: Vec::new(),
        pod_annotations: Default::default(),
        annotations: Default::default(),
        headless,
        name,
    };
    let mut env = kraft_env(
        kraft,
        "controller",
        &voters(&component),
        &component.listeners,
    );
    env.extend(listener_env(&component.listeners));
    env.extend([
        EnvVar::value("KAFKA_LOG_DIRS", kafka_log_dir()),
        EnvVar::value("KAFKA_HEAP_OPTS", heap_opts(ctrl.heap_mib)),
    ]);
    let (log_env, mut files) = logging(flavor, c.kafka.version);
    env.extend(log_env);
    let node_security = security::node(c, names, &component.listeners);
    env.extend(node_security.env);
    let quorum_port = listeners::quorum_first(&component.listeners)
        .map(|l| l.port_name.clone())
        .unwrap_or_default();
    let pod = containers::pod(PodSpec {
        container: &component.main_container,
        image: &c.kafka.image,
        flavor,
        entrypoint: commands(flavor).0,
        data_path: KAFKA_DATA,
        make_dirs: &[],
        before_start: start_lines(c, flavor, Role::Controller, String::new()),
        ports: container_ports(&component.listeners),
        env,
        probes: probes(&quorum_port, None, 60),
        resources: resources(&ctrl.resources),
        pods_config: &component.pods_config,
        data: component.storage.volume(),
    });
    let (init, mut main, mut volumes) = with_metrics(c, flavor, component.role, pod, &mut files);
    for (volume, mount) in node_security.volumes {
        main.mounts.push(mount);
        volumes.push(volume);
    }
    component.run((init, main, volumes), files);
    component
}

pub fn kafka(c: &Cluster, names: &Names, quorum: Quorum) -> Component {
    let k = &c.kafka;
    let headless = names.kafka_headless();
    let (kind, id_key) = match quorum {
        Quorum::ZooKeeper(_) => (QuorumKind::ZooKeeper, "KAFKA_BROKER_ID"),
        Quorum::Controllers { .. } => (QuorumKind::Controllers, "KAFKA_NODE_ID"),
        Quorum::Combined { .. } => (QuorumKind::Combined, "KAFKA_NODE_ID"),
    };
    let mut listeners =
        listeners::brokers(&k.exposure, kind, c.security.as_ref(), &c.quorum_security());
    let readers = match kind {
        _ if !quorum_restart::on(c) => Vec::new(),
        QuorumKind::Controllers => vec![Peer::Own, Peer::Controllers],
        _ => vec![Peer::Own],
    };
    listeners.extend(
        c.metrics
            .as_ref()
            .map(|m| listeners::metrics(m.port, readers)),
    );
    let pods = pods(
        names,
        &headless,
        k.brokers,
        |id| names.kafka_pod(id),
        Identity {
            id_key,
            id_of: &|i| i,
        },
        &listeners,
    );
    let name = names.kafka();
    let checksum = listeners_checksum(&listeners, &names.pod_dns("", &headless));
    let mut component = Component {
        role: if kind == QuorumKind::Combined {
            Role::Combined
        } else {
            Role::Broker
        },
        statefulset: k.workload == Workload::Statefulset,
        replicas: k.brokers,
        image: k.image.clone(),
        labels: labels("kafka", &c.name, "broker"),
        selector: selector("kafka", &c.name, "broker"),
        client_service: Some(name.clone()),
        disruption_budget: name.clone(),
        termination_grace_seconds: 120,
        min_ready_seconds: readiness::MIN_READY_SECONDS,
        pods_config: names.kafka_pods_config(),
        listeners,
        pods,
        init_containers: Vec::new(),
        main_container: "kafka".into(),
        containers: Vec::new(),
        volumes: Vec::new(),
        storage: storage(
            &k.storage,
            (k.workload == Workload::Deployment).then(|| names.kafka_data()),
        ),
        user: IMAGE_USER,
        files: Vec::new(),
        pod_annotations: [(CHECKSUM_ANNOTATION.to_string(), checksum)].into(),
        annotations: Default::default(),
        headless,
        name,
    };

    let mut env = Vec::new();
    if listeners::needs_node_ip(&component.listeners) {
        env.push(EnvVar::field("NODE_IP", "status.hostIP"));
    }
    match &quorum {
        Quorum::ZooKeeper(connect) => {
            env.push(EnvVar::value("KAFKA_ZOOKEEPER_CONNECT", connect));
            // Ids come from kafkagen; with generation on, Kafka refuses ids above 1000.
            env.push(EnvVar::value("KAFKA_BROKER_ID_GENERATION_ENABLE", "false"));
        }
        Quorum::Controllers { kraft, voters } => {
            env.extend(kraft_env(kraft, "broker", voters, &component.listeners))
        }
        Quorum::Combined { kraft } => env.extend(kraft_env(
            kraft,
            "broker,controller",
            &voters(&component),
            &component.listeners,
        )),
    }
    env.extend(listener_env(&component.listeners));
    let rf = k.replication_factor;
    env.extend([
        EnvVar::value(
            "KAFKA_INTER_BROKER_LISTENER_NAME",
            c.transition
                .inter_broker
                .unwrap_or_else(|| listeners::inter_broker(&component.listeners)),
        ),
        EnvVar::value("KAFKA_LOG_DIRS", kafka_log_dir()),
        EnvVar::value("KAFKA_NUM_PARTITIONS", k.partitions),
        EnvVar::value("KAFKA_DEFAULT_REPLICATION_FACTOR", rf),
        EnvVar::value("KAFKA_MIN_INSYNC_REPLICAS", k.min_insync_replicas),
        EnvVar::value("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", rf),
        EnvVar::value("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", rf),
        EnvVar::value("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", k.min_insync_replicas),
        EnvVar::value("KAFKA_HEAP_OPTS", heap_opts(k.heap_mib)),
    ]);
    let (log_env, mut files) = logging(k.flavor, k.version);
    env.extend(log_env);
    // Confluent Server's own internal topics default to a replication
    // factor of 3, which a smaller cluster cannot place.
    if k.confluent_server && rf < 3 {
        for key in CONFLUENT_SERVER_TOPICS {
            if !k.config.iter().any(|(c, _)| c == key) {
                env.push(EnvVar::value(&property_env(key), rf));
            }
        }
    }
    let node_security = security::node(c, names, &component.listeners);
    env.extend(node_security.env);
    for (key, v) in &k.config {
        env.push(EnvVar::value(&property_env(key), v));
    }

    let pod = containers::pod(PodSpec {
        container: &component.main_container,
        image: &k.image,
        flavor: k.flavor,
        entrypoint: commands(k.flavor).0,
        data_path: KAFKA_DATA,
        make_dirs: &[],
        before_start: start_lines(
            c,
            k.flavor,
            component.role,
            match quorum {
                Quorum::ZooKeeper(_) => wait_for_zookeeper(),
                _ => String::new(),
            },
        ),
        ports: container_ports(&component.listeners),
        env,
        probes: probes(INTERNAL.port_name, None, 90),
        resources: resources(&k.resources),
        pods_config: &component.pods_config,
        data: component.storage.volume(),
    });
    let (init, mut main, mut volumes) = with_metrics(c, k.flavor, component.role, pod, &mut files);
    for (volume, mount) in node_security.volumes {
        main.mounts.push(mount);
        volumes.push(volume);
    }
    component.run((init, main, volumes), files);
    component
}

type PodParts = (
    Vec<containers::Container>,
    containers::Container,
    Vec<containers::Volume>,
);

/// With metrics on: the agent's start lines after `before`, and for a
/// node that restarts when the quorum's certificate renews, the watcher
/// that restarts it.
fn start_lines(c: &Cluster, flavor: Flavor, role: Role, before: String) -> String {
    let Some(m) = &c.metrics else {
        return before;
    };
    let mut lines = before + &metrics::agent::start_lines(flavor, m);
    if quorum_restart::restarts(c, role) {
        lines += &quorum_restart::start_lines(m.port);
    }
    lines
}

/// With metrics on: the agent copied in where the image lacks it, and the
/// exporter's rules beside the logging files.
fn with_metrics(
    c: &Cluster,
    flavor: Flavor,
    role: Role,
    pod: PodParts,
    files: &mut Vec<ConfigFile>,
) -> PodParts {
    let Some(m) = &c.metrics else {
        return pod;
    };
    let (mut init, mut main, mut volumes) = pod;
    metrics::agent::add(flavor, m, &mut init, &mut main, &mut volumes);
    // With the exporter in the pod, Kafka pods are ready only in sync.
    if let (Some(p), Some(command)) = (
        main.probes.as_mut(),
        readiness::command(role, m.port, &kafka_log_dir()),
    ) {
        p.ready_command = Some(command);
        p.ready_period = readiness::PERIOD_SECONDS;
        p.ready_timeout = readiness::TIMEOUT_SECONDS;
        p.ready_successes = readiness::SUCCESSES;
    }
    files.push(ConfigFile {
        name: metrics::exporter::FILE.into(),
        content: metrics::exporter::rules(role).into(),
    });
    (init, main, volumes)
}

impl Component {
    /// Sets what the component's pods run: the init containers, the main
    /// container and the volumes from [`containers::pod`], and the settings
    /// files beside the pods' own.
    fn run(&mut self, pod: PodParts, files: Vec<ConfigFile>) {
        let (init_containers, main, volumes) = pod;
        self.init_containers = init_containers;
        self.containers = vec![main];
        self.volumes = volumes;
        self.files = files;
    }
}
