//! Everything the templates print, derived once from the validated cluster:
//! object names, labels, DNS names, listeners, containers, volumes,
//! environment, per-pod settings. Templates read only this and never compute
//! anything themselves.

mod components;
pub mod containers;
mod external;
mod jobs;
pub mod logging;
pub mod metrics;
mod network;
mod quorum_restart;
mod readiness;
pub mod security;

use crate::broker_properties;
use crate::cluster::{Cluster, Metadata, Placement, Spread, Storage};
use crate::listeners;
use crate::names::Names;
use components::Quorum;
use indexmap::IndexMap;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub use crate::listeners::{EXTERNAL, Listener, NODE_IP_PLACEHOLDER};
pub use components::{Address, Pod, Role};
pub use containers::{
    Container, EnvSource, EnvVar, Mount, Port, Volume, VolumeSource, env_literal,
};
pub use external::{External, ExternalService};
pub use jobs::{TopicsJob, UsersJob};
pub use network::{IngressRule, NetworkPolicyModel};
pub use quorum_restart::FILE as QUORUM_RESTART_FILE;

/// The uid and gid of `appuser` in the Confluent images.
pub const IMAGE_USER: u32 = 1000;

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
    pub users_job: Option<UsersJob>,
    pub acls_job: Option<jobs::AclsJob>,
    /// With TLS on a broker listener: the certificates reload CronJob.
    pub reload_job: Option<jobs::ReloadJob>,
    /// A step of a KRaft upgrade: the `metadata.version` Job.
    pub features_job: Option<jobs::FeaturesJob>,
    /// The brokers' in-cluster bootstrap address, `host:port`.
    pub bootstrap: String,
    /// What reads the pods' metrics, when they have any.
    pub monitoring: Option<metrics::Monitoring>,
    /// Issuers and certificates, when security is on.
    pub security: Option<security::SecurityModel>,
}

impl Model {
    /// The brokers, which every cluster has.
    pub fn brokers(&self) -> &Component {
        self.components
            .iter()
            .find(|c| c.role.is_broker())
            .expect("brokers are always rendered")
    }

    /// ZooKeeper or the dedicated controllers, when the brokers are not
    /// their own quorum.
    pub fn metadata_store(&self) -> Option<&Component> {
        self.components.iter().find(|c| !c.role.is_broker())
    }
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

/// A ZooKeeper ensemble, a set of controllers or a set of brokers: one
/// workload and its services.
#[derive(Debug, Serialize)]
pub struct Component {
    pub name: String,
    pub role: Role,
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
    /// Every port the pods listen on, and what serves and may reach it.
    pub listeners: Vec<Listener>,
    pub pods: Vec<Pod>,
    /// ConfigMap of per-pod settings, one `<pod>.env` per pod.
    pub pods_config: String,
    pub init_containers: Vec<Container>,
    pub containers: Vec<Container>,
    /// The name of the container that runs Kafka or ZooKeeper.
    pub main_container: String,
    pub volumes: Vec<Volume>,
    /// Time for a clean shutdown (a broker moves its partition leadership away first).
    pub termination_grace_seconds: u32,
    /// How long a replaced pod must be ready before its StatefulSet
    /// replaces the next one (0: not rendered).
    pub min_ready_seconds: u32,
    pub storage: StorageModel,
    pub user: u32,
    /// Files of the settings ConfigMap besides the pods' own (logging,
    /// the metrics exporter's rules).
    pub files: Vec<ConfigFile>,
    /// Annotations of the pod template: the listeners' checksum, scrape
    /// annotations.
    pub pod_annotations: Labels,
    /// Annotations of the workload itself: what a certificate Secret of
    /// the user's own that its pods mount must hold.
    pub annotations: Labels,
}

impl Component {
    /// The container that runs Kafka or ZooKeeper.
    pub fn main(&self) -> &Container {
        self.containers
            .iter()
            .find(|k| k.name == self.main_container)
            .expect("the main container is among the containers")
    }

    /// The ports the headless Service publishes.
    pub fn headless_ports(&self) -> Vec<Port> {
        self.ports(|l| l.served_by.headless)
    }

    /// The ports of the ClusterIP client Service.
    pub fn client_ports(&self) -> Vec<Port> {
        self.ports(|l| l.served_by.client)
    }

    fn ports(&self, served: impl Fn(&Listener) -> bool) -> Vec<Port> {
        self.listeners
            .iter()
            .filter(|l| served(l))
            .map(Port::of)
            .collect()
    }

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
                .unwrap_or_else(|| format!("{}-{}", containers::DATA_VOLUME, pod.name)),
        )
    }
}

#[derive(Debug, Serialize)]
pub struct ConfigFile {
    pub name: String,
    pub content: String,
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

impl StorageModel {
    /// The pod's data volume; `None` when a volumeClaimTemplate makes it.
    fn volume(&self) -> Option<VolumeSource> {
        if self.ephemeral {
            Some(VolumeSource::EmptyDir {
                size_limit: Some(self.size.clone()),
            })
        } else {
            self.claim
                .clone()
                .map(|claim| VolumeSource::PersistentClaim { claim })
        }
    }
}

// A stage of bench/profile.sh's table: kept out of line so that its
// samples are charged to it.
#[inline(never)]
pub fn build(c: &Cluster) -> Model {
    let names = Names {
        name: c.name.clone(),
        namespace: c.namespace.clone(),
        domain: c.cluster_domain.clone(),
    };
    let mut components = Vec::new();
    let mut kafka = match &c.metadata {
        Metadata::ZooKeeper(z) => {
            let zk = components::zookeeper(c, &names, z);
            let connect = zk.addresses(listeners::ZK_CLIENT.name);
            components.push(zk);
            components::kafka(c, &names, Quorum::ZooKeeper(connect.join(",")))
        }
        Metadata::Kraft(k) => match &k.controllers {
            Some(ctrl) => {
                let controllers = components::controllers(c, &names, k, ctrl);
                let voters = components::voters(&controllers);
                components.push(controllers);
                components::kafka(c, &names, Quorum::Controllers { kraft: k, voters })
            }
            None => components::kafka(c, &names, Quorum::Combined { kraft: k }),
        },
    };
    let external = external::external(c, &names, &kafka);
    let security = security::model(c, &names, &kafka.listeners);
    let own = security
        .as_ref()
        .map(|s| s.own.as_slice())
        .unwrap_or_default();
    // Workloads whose keystore is a Secret of the user's own say what it
    // must hold: brokers and controllers mount it whole.
    for component in components.iter_mut().chain(std::iter::once(&mut kafka)) {
        component.annotations = security::statement(
            own,
            component.volumes.iter().filter_map(|v| match &v.source {
                containers::VolumeSource::Secret { secret, .. } => Some(secret.as_str()),
                _ => None,
            }),
        );
    }
    let bootstrap = format!(
        "{}:{}",
        names.service_dns(&names.kafka()),
        listeners::INTERNAL.port
    );
    let internal = &kafka.listeners[0];
    let mut topics_job = jobs::topics_job(c, &names, &bootstrap, internal);
    let mut users_job = jobs::users_job(c, &names, &bootstrap, &kafka.listeners);
    let mut acls_job = jobs::acls_job(c, &names, &bootstrap, internal);
    let mut reload_job = jobs::reload_job(c, &names, &bootstrap, &kafka.listeners);
    let mut features_job = jobs::features_job(c, &names, &bootstrap, internal);
    // The Jobs log in with a keystore only with the admin's certificate.
    for client in [
        topics_job.as_mut().map(|j| &mut j.client),
        users_job.as_mut().map(|j| &mut j.client),
        acls_job.as_mut().map(|j| &mut j.client),
        reload_job.as_mut().map(|j| &mut j.client),
        features_job.as_mut().map(|j| &mut j.client),
    ]
    .into_iter()
    .flatten()
    {
        let keystore = client
            .tls_files
            .iter()
            .any(|f| f == broker_properties::COMBINED_FILE)
            .then(|| client.ca_secret.clone())
            .flatten();
        client.annotations = security::statement(own, keystore.as_deref());
    }
    components.push(kafka);
    // With TLS on the quorum: every KRaft node's restart order, beside its
    // settings.
    if quorum_restart::on(c) {
        let order = quorum_restart::order(c, &components.iter().collect::<Vec<_>>());
        for component in components.iter_mut().filter(|c| c.role != Role::ZooKeeper) {
            component.files.push(ConfigFile {
                name: quorum_restart::FILE.into(),
                content: order.clone(),
            });
        }
    }
    let prometheus_namespace = c.metrics.as_ref().map(|m| m.prometheus_namespace.as_str());
    let network_policies = match &c.network_policy {
        Some(peers) => network::network_policies(
            &components,
            peers,
            prometheus_namespace,
            [
                topics_job.as_ref().map(|j| (&j.name, &j.labels)),
                users_job.as_ref().map(|j| (&j.name, &j.labels)),
                acls_job.as_ref().map(|j| (&j.name, &j.labels)),
                reload_job.as_ref().map(|j| (&j.name, &j.labels)),
                features_job.as_ref().map(|j| (&j.name, &j.labels)),
            ],
        ),
        None => Vec::new(),
    };
    let monitoring = c.metrics.as_ref().map(|m| {
        for component in &mut components {
            component
                .pod_annotations
                .extend(metrics::pod_annotations(m));
        }
        // The certificates cert-manager renews for the cluster (the CA's
        // own lasts ten years): their expiry is watched.
        let certificates: Vec<&str> = security
            .as_ref()
            .map(|s| {
                s.certificates
                    .iter()
                    .filter(|c| !c.is_ca)
                    .map(|c| c.name.as_str())
                    .collect()
            })
            .unwrap_or_default();
        metrics::monitoring(
            m,
            &c.name,
            &c.namespace,
            &components,
            &certificates,
            &labels("kafka", &c.name, "metrics"),
        )
    });
    Model {
        namespace: c.namespace.clone(),
        create_namespace: c.create_namespace,
        namespace_labels: labels_of(&[(MANAGED_BY, "kafkagen")]),
        service_account: names.service_account(),
        service_account_labels: labels("kafka", &c.name, "broker"),
        placement: placement(&c.placement),
        network_policies,
        components,
        external,
        topics_job,
        users_job,
        acls_job,
        reload_job,
        features_job,
        bootstrap,
        monitoring,
        security,
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

fn labels_of(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The label every object of a cluster carries with the cluster's name.
pub const INSTANCE: &str = "app.kubernetes.io/instance";
/// The label that marks objects kafkagen made.
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";

fn selector(app: &str, instance: &str, component: &str) -> Labels {
    labels_of(&[
        ("app.kubernetes.io/name", app),
        (INSTANCE, instance),
        ("app.kubernetes.io/component", component),
    ])
}

fn labels(app: &str, instance: &str, component: &str) -> Labels {
    let mut l = selector(app, instance, component);
    l.insert(MANAGED_BY.into(), "kafkagen".into());
    l
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

/// A short, stable digest of `text`, as lowercase hex.
pub(crate) fn digest(text: &str, chars: usize) -> String {
    let hash = Sha256::digest(text.as_bytes());
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    hex[..chars].to_string()
}
