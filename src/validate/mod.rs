//! Spec rules (docs/reference.md, "What is checked"): everything a spec must satisfy before
//! anything is rendered. All problems are collected, each pointing at the
//! field that caused it; the result is a resolved [`Cluster`].

pub mod cluster;
use cluster::MAX_BROKERS;
pub mod image;
pub mod kafka_config;
mod metrics;
pub mod quantity;
mod security;

use crate::diagnostic::Diagnostic;
use crate::dns::{is_dns_label, is_dns_subdomain};
use crate::model::names::Names;
use crate::spec::decode::Locations;
use crate::spec::{
    DEFAULT_KAFKA_IMAGE, DEFAULT_KRAFT_IMAGE, ExposureMode, ExposureSpec, KafkaSpec, KraftSpec,
    Mode, NetworkPolicySpec, PlacementSpec, ResourcesSpec, Scalar, Spec, StorageSpec, TopicSpec,
    Workload, ZooKeeperSpec,
};
use crate::validate::cluster::{
    Cluster, Controllers, Exposure, Kafka, Kraft, Metadata, Peer, Placement, Resources, Storage,
    Toleration, Topic, Transition, ZooKeeper,
};
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use base64::{Engine, alphabet};
use image::Flavor;
use indexmap::IndexMap;
use kafka_config::Scope;
use std::collections::HashMap;

/// Broker properties kafkagen sets itself, with the spec field to use instead.
const MANAGED: &[(&str, Option<&str>)] = &[
    ("broker.id", None),
    ("broker.id.generation.enable", None),
    ("reserved.broker.max.id", None),
    ("node.id", None),
    ("listeners", None),
    ("advertised.listeners", Some("kafka.exposure")),
    ("listener.security.protocol.map", None),
    ("inter.broker.listener.name", None),
    ("zookeeper.connect", None),
    ("log.dirs", Some("kafka.storage")),
    ("log.dir", Some("kafka.storage")),
    ("num.partitions", Some("kafka.partitions")),
    (
        "default.replication.factor",
        Some("kafka.replicationFactor"),
    ),
    ("min.insync.replicas", Some("kafka.minInsyncReplicas")),
    (
        "offsets.topic.replication.factor",
        Some("kafka.replicationFactor"),
    ),
    (
        "transaction.state.log.replication.factor",
        Some("kafka.replicationFactor"),
    ),
    (
        "transaction.state.log.min.isr",
        Some("kafka.minInsyncReplicas"),
    ),
    ("process.roles", Some("mode")),
    ("controller.quorum.voters", None),
    ("controller.listener.names", None),
    ("port", None),
    ("host.name", None),
    ("advertised.host.name", Some("kafka.exposure")),
    ("advertised.port", Some("kafka.exposure")),
    ("security.inter.broker.protocol", None),
    ("metadata.log.dir", Some("kafka.storage")),
];

/// Why a managed key is refused, where the generic words do not say it.
const MANAGED_WHY: &[(&str, &str)] = &[
    (
        "security.inter.broker.protocol",
        "Kafka refuses it next to `inter.broker.listener.name`, which kafkagen sets",
    ),
    (
        "metadata.log.dir",
        "the metadata log stays in `log.dirs` on the data volume, so that a voter never loses it",
    ),
];

/// `kafka.config` keys whose variable (`KAFKA_` + the key) the images read
/// for themselves, not as a broker property: JVM options, logging, JMX.
const IMAGE_VARIABLES: &[&str] = &[
    "heap.opts",
    "opts",
    "jvm.performance.opts",
    "gc.log.opts",
    "log4j.opts",
    "jmx.opts",
    "jmx.port",
    "jmx.hostname",
    "log4j.root.loglevel",
    "log4j.loggers",
    "tools.log4j.loglevel",
    "debug",
    "version",
    "data.dirs",
    "cub.zk.timeout",
];

const NODE_PORTS: std::ops::RangeInclusive<u32> = 30000..=32767;
const DEFAULT_NODE_PORT: u32 = 30092;
const DEFAULT_LB_PORT: u32 = 9094;
const MIN_HEAP_MIB: u64 = 128;
const MAX_CONTROLLERS: u32 = 9;
const MAX_ZOOKEEPERS: u32 = 255;

/// The outcome of validation: the cluster, or every error (with warnings).
pub fn validate(
    spec: &Spec,
    loc: &Locations,
) -> Result<(Cluster, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut v = Validator {
        loc,
        diags: Vec::new(),
    };
    let cluster = v.cluster(spec);
    if v.diags.iter().any(Diagnostic::is_error) {
        Err(v.diags)
    } else {
        Ok((cluster, v.diags))
    }
}

struct Validator<'a> {
    loc: &'a Locations,
    diags: Vec<Diagnostic>,
}

impl Validator<'_> {
    fn error(&mut self, path: &str, message: impl Into<String>) -> &mut Diagnostic {
        let d = Diagnostic::error(message).at(self.loc.value(path));
        self.diags.push(d);
        self.diags.last_mut().unwrap()
    }

    /// An error about a key itself (rather than its value).
    fn key_error(&mut self, path: &str, message: impl Into<String>) -> &mut Diagnostic {
        let d = Diagnostic::error(message).at(self.loc.key(path));
        self.diags.push(d);
        self.diags.last_mut().unwrap()
    }

    fn warn(&mut self, path: &str, message: impl Into<String>) -> &mut Diagnostic {
        let d = Diagnostic::warning(message).at(self.loc.value(path));
        self.diags.push(d);
        self.diags.last_mut().unwrap()
    }

    fn cluster(&mut self, spec: &Spec) -> Cluster {
        self.dns_label("name", &spec.name);
        self.dns_label("namespace", &spec.namespace);
        if !is_dns_subdomain(&spec.cluster_domain) {
            self.error(
                "clusterDomain",
                format!(
                    "`clusterDomain` \"{}\" is not a DNS domain",
                    spec.cluster_domain
                ),
            );
        }
        // A profile's section for the other mode was dropped before merging:
        // what is left here was written by the user.
        let stray = match spec.mode {
            Mode::Zookeeper => spec.kraft.is_some().then_some(("kraft", "kraft")),
            Mode::Kraft => spec
                .zookeeper
                .is_some()
                .then_some(("zookeeper", "zookeeper")),
        };
        if let Some((section, mode)) = stray {
            self.key_error(
                section,
                format!("`{section}` applies only to `mode: {mode}`"),
            )
            .with_label("not used in this mode")
            .with_help(format!("remove it, or set `mode: {mode}`"));
        }
        let kafka = self.kafka(&spec.kafka, spec.mode);
        let metadata = match spec.mode {
            Mode::Zookeeper => {
                Metadata::ZooKeeper(self.zookeeper(&spec.zookeeper.clone().unwrap_or_default()))
            }
            Mode::Kraft => Metadata::Kraft(self.kraft(
                &spec.kraft.clone().unwrap_or_default(),
                &spec.namespace,
                &spec.name,
                kafka.brokers,
            )),
        };
        if let Metadata::Kraft(k) = &metadata {
            match &k.controllers {
                Some(c) => self.voter_storage("kraft.storage.ephemeral", &c.storage, c.replicas),
                None => {
                    self.voter_storage("kafka.storage.ephemeral", &kafka.storage, kafka.brokers)
                }
            }
        }
        let names = Names {
            name: spec.name.clone(),
            namespace: spec.namespace.clone(),
            domain: spec.cluster_domain.clone(),
        };
        let (zookeepers, controllers) = match &metadata {
            Metadata::ZooKeeper(z) => (z.replicas, 0),
            Metadata::Kraft(k) => (0, k.controllers.as_ref().map_or(0, |c| c.replicas)),
        };
        self.name_lengths(&names, kafka.brokers, zookeepers, controllers);
        let model = config_model(&kafka.image, kafka.flavor);
        let topics = self.topics(&spec.topics, &spec.kafka, &model);
        let placement = self.placement(&spec.placement);
        let network_policy = self.network_policy(&spec.network_policy);
        let metrics = self.metrics(&spec.metrics, &kafka);
        let security = self.security(&spec.security, &kafka.exposure, &metadata, &names);
        if let Some(s) = &security {
            self.security_config(&spec.kafka.config, s, &kafka.exposure);
        }
        Cluster {
            name: spec.name.clone(),
            namespace: spec.namespace.clone(),
            create_namespace: spec.create_namespace,
            cluster_domain: spec.cluster_domain.clone(),
            kafka,
            metadata,
            topics,
            placement,
            network_policy,
            metrics,
            security,
            transition: Transition::default(),
        }
    }

    fn labels(&mut self, path: &str, labels: &IndexMap<String, String>) -> Vec<(String, String)> {
        for (k, v) in labels {
            let p = format!("{path}.{k}");
            if !is_qualified_name(k) {
                self.key_error(&p, format!("`{path}` key `{k}` is not a valid label key"));
            }
            let value_ok =
                v.is_empty() || (v.len() <= 63 && is_qualified_name(v) && !v.contains('/'));
            if !value_ok {
                self.error(&p, format!("`{p}` \"{v}\" is not a valid label value"))
                    .with_help("label values have at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit");
            }
        }
        labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    fn placement(&mut self, p: &PlacementSpec) -> Placement {
        let node_selector = self.labels("placement.nodeSelector", &p.node_selector);
        let mut tolerations = Vec::new();
        for (i, t) in p.tolerations.iter().enumerate() {
            let base = format!("placement.tolerations[{i}]");
            let operator = t.operator.clone().unwrap_or_else(|| "Equal".into());
            match operator.as_str() {
                "Equal" => {
                    if t.key.is_none() {
                        self.error(&base, format!("`{base}` with operator Equal needs a `key`"));
                    }
                }
                "Exists" => {
                    if t.value.is_some() {
                        let p = format!("{base}.value");
                        self.key_error(&p, format!("`{p}` must be empty with operator Exists"));
                    }
                }
                other => {
                    let p = format!("{base}.operator");
                    self.error(&p, format!("`{p}` \"{other}\" must be Equal or Exists"));
                }
            }
            if let Some(k) = &t.key
                && !is_qualified_name(k)
            {
                let p = format!("{base}.key");
                self.error(&p, format!("`{p}` \"{k}\" is not a valid taint key"));
            }
            if let Some(e) = &t.effect
                && !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(&e.as_str())
            {
                let p = format!("{base}.effect");
                self.error(
                    &p,
                    format!("`{p}` \"{e}\" must be NoSchedule, PreferNoSchedule or NoExecute"),
                );
            }
            if t.toleration_seconds.is_some() && t.effect.as_deref() != Some("NoExecute") {
                let p = format!("{base}.tolerationSeconds");
                self.key_error(&p, format!("`{p}` applies only to effect NoExecute"));
            }
            tolerations.push(Toleration {
                key: t.key.clone(),
                operator,
                value: t.value.clone(),
                effect: t.effect.clone(),
                seconds: t.toleration_seconds,
            });
        }
        Placement {
            spread: p.spread,
            zones: p.zones,
            node_selector,
            tolerations,
        }
    }

    fn network_policy(&mut self, n: &NetworkPolicySpec) -> Option<Vec<Peer>> {
        let mut peers = Vec::new();
        for (i, peer) in n.allow_from.iter().enumerate() {
            let base = format!("networkPolicy.allowFrom[{i}]");
            if peer.namespace_selector.is_none() && peer.pod_selector.is_none() {
                self.error(
                    &base,
                    format!("`{base}` needs `namespaceSelector`, `podSelector` or both"),
                );
            }
            peers.push(Peer {
                namespace_selector: peer
                    .namespace_selector
                    .as_ref()
                    .map(|l| self.labels(&format!("{base}.namespaceSelector"), l)),
                pod_selector: peer
                    .pod_selector
                    .as_ref()
                    .map(|l| self.labels(&format!("{base}.podSelector"), l)),
            });
        }
        if !n.enabled && !n.allow_from.is_empty() {
            self.key_error(
                "networkPolicy.allowFrom",
                "`networkPolicy.allowFrom` has no effect while `networkPolicy.enabled` is false",
            )
            .with_help("set `networkPolicy.enabled: true`");
        }
        n.enabled.then_some(peers)
    }

    fn dns_label(&mut self, path: &str, value: &str) {
        if !is_dns_label(value) {
            self.error(
                path,
                format!("`{path}` \"{value}\" is not a valid Kubernetes name"),
            )
            .with_label("not a DNS-1123 label")
            .with_help("use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit");
        }
    }

    fn name_lengths(&mut self, names: &Names, brokers: u32, zookeepers: u32, controllers: u32) {
        if !is_dns_label(&names.name) {
            return;
        }
        let worst = names
            .longest(brokers, zookeepers, controllers)
            .into_iter()
            .filter(|(n, limit)| n.len() > *limit)
            .max_by_key(|(n, limit)| n.len() - limit);
        if let Some((derived, limit)) = worst {
            let allowed = names.name.len() - (derived.len() - limit);
            self.error(
                "name",
                format!(
                    "`name` \"{}\" is too long: the derived name \"{derived}\" has {} characters, more than the {limit} Kubernetes allows",
                    names.name,
                    derived.len()
                ),
            )
            .with_label("too long")
            .with_help(format!("shorten `name` to at most {allowed} characters"));
        }
    }

    fn kafka(&mut self, k: &KafkaSpec, mode: Mode) -> Kafka {
        if k.brokers == 0 || k.brokers > MAX_BROKERS {
            self.error(
                "kafka.brokers",
                format!(
                    "`kafka.brokers` must be from 1 to {MAX_BROKERS}, found {}",
                    k.brokers
                ),
            );
        }
        if k.workload == Workload::Deployment && k.brokers > 1 {
            self.error(
                "kafka.workload",
                format!(
                    "`kafka.workload: deployment` needs exactly one broker, found {}",
                    k.brokers
                ),
            )
            .with_help(
                "a Deployment gives brokers no stable identity; use `workload: statefulset`",
            );
        }
        let default_image = match mode {
            Mode::Zookeeper => DEFAULT_KAFKA_IMAGE,
            Mode::Kraft => DEFAULT_KRAFT_IMAGE,
        };
        let image = k.image.clone().unwrap_or_else(|| default_image.to_string());
        let flavor = self.kafka_image(&image, mode);
        if k.partitions == 0 {
            self.error("kafka.partitions", "`kafka.partitions` must be at least 1");
        }
        let rf = k.replication_factor;
        if rf == 0 {
            self.error(
                "kafka.replicationFactor",
                "`kafka.replicationFactor` must be at least 1",
            );
        } else if rf > k.brokers && k.brokers > 0 {
            self.error(
                "kafka.replicationFactor",
                format!(
                    "`kafka.replicationFactor` is {rf} but the cluster has only {} broker{}",
                    k.brokers,
                    plural(k.brokers)
                ),
            )
            .with_label("above kafka.brokers")
            .with_help(format!(
                "set `kafka.replicationFactor` to at most {} or add brokers",
                k.brokers
            ));
        }
        let isr = k.min_insync_replicas;
        if isr == 0 {
            self.error(
                "kafka.minInsyncReplicas",
                "`kafka.minInsyncReplicas` must be at least 1",
            );
        } else if isr > rf && rf > 0 {
            self.error(
                "kafka.minInsyncReplicas",
                format!(
                    "`kafka.minInsyncReplicas` is {isr}, above `kafka.replicationFactor` {rf}: no write could ever succeed"
                ),
            )
            .with_help(format!("set it to at most {rf}"));
        } else if isr == rf && rf > 1 {
            self.warn(
                "kafka.minInsyncReplicas",
                format!(
                    "`kafka.minInsyncReplicas` equals `kafka.replicationFactor` ({rf}): with one broker down, writes with acks=all stop"
                ),
            )
            .with_help(format!("set it to {} to tolerate one broker down", rf - 1));
        }
        let storage = self.storage("kafka.storage", &k.storage);
        let (resources, heap_mib) = self.resources("kafka", &k.resources, k.heap_percent);
        let version = image::parse(&image).and_then(|i| i.version);
        let confluent_server = flavor == Flavor::ConfluentKafka
            && image
                .rsplit('/')
                .next()
                .and_then(|last| last.split(['@', ':']).next())
                == Some("cp-server");
        let strips_every_kafka =
            flavor == Flavor::ApacheKafka && version.is_some_and(|v| v < (4, 0));
        let model = config_model(&image, flavor);
        let config = self.broker_config(&k.config, strips_every_kafka, &model, flavor);
        let exposure = self.exposure(&k.exposure, k.brokers);
        Kafka {
            brokers: k.brokers,
            image,
            flavor,
            version,
            confluent_server,
            workload: k.workload,
            partitions: k.partitions,
            replication_factor: rf,
            min_insync_replicas: isr,
            storage,
            resources,
            heap_mib,
            config,
            exposure,
        }
    }

    /// Checks the image against the mode; returns whose entrypoint it has.
    fn kafka_image(&mut self, reference: &str, mode: Mode) -> Flavor {
        let path = "kafka.image";
        let Some(img) = self.image_reference(
            path,
            reference,
            "confluentinc/cp-kafka:7.9.1 or apache/kafka:4.1.0",
        ) else {
            return Flavor::Unknown;
        };
        if !self.pinned(path, &img) {
            return img.flavor;
        }
        let use_kraft = "use `mode: kraft`, or a confluentinc/cp-kafka 7.x image";
        match (img.flavor, img.version, mode) {
            (Flavor::ConfluentKafka, Some((major, _)), Mode::Zookeeper) if major >= 8 => {
                self.error(
                    path,
                    format!(
                        "`{path}` \"{reference}\" is Confluent Platform {major}, which has no ZooKeeper mode"
                    ),
                )
                .with_label("no ZooKeeper mode")
                .with_help(use_kraft);
            }
            (Flavor::ApacheKafka, Some((major, _)), Mode::Zookeeper) if major >= 4 => {
                self.error(
                    path,
                    format!(
                        "`{path}` \"{reference}\" is Kafka {major}, which has no ZooKeeper mode"
                    ),
                )
                .with_label("no ZooKeeper mode")
                .with_help(use_kraft);
            }
            (Flavor::ApacheKafka, _, Mode::Zookeeper) => {
                self.error(
                    path,
                    format!("`{path}` \"{reference}\": apache/kafka images are supported only in KRaft mode"),
                )
                .with_help(use_kraft);
            }
            (Flavor::ConfluentKafka, Some(v), Mode::Kraft) if v < (7, 4) => {
                self.error(
                    path,
                    format!("`{path}` \"{reference}\" is Confluent Platform {}.{}; KRaft mode needs 7.4 or later", v.0, v.1),
                )
                .with_help("use confluentinc/cp-kafka:7.9.1 or later, or `mode: zookeeper`");
            }
            (Flavor::ApacheKafka, Some(v), Mode::Kraft) if v < (3, 7) => {
                self.error(
                    path,
                    format!("`{path}` \"{reference}\": apache/kafka images start at 3.7"),
                )
                .with_help("use apache/kafka:4.1.0 (or 3.7 and later)");
            }
            (Flavor::ApacheKafkaNative, _, _) => {
                self.error(
                    path,
                    format!("`{path}` \"{reference}\": apache/kafka-native has no JVM and no command-line tools"),
                )
                .with_help("use apache/kafka with the same tag");
            }
            (Flavor::ConfluentKafka | Flavor::ApacheKafka, _, _) => {}
            _ => {
                self.error(
                    path,
                    format!("`{path}` \"{reference}\" is not a Kafka image kafkagen knows how to configure"),
                )
                .with_help("use confluentinc/cp-kafka (or cp-server), or apache/kafka, under any registry");
            }
        }
        img.flavor
    }

    /// The image `reference` at `path`, or an error showing `example`.
    fn image_reference(
        &mut self,
        path: &str,
        reference: &str,
        example: &str,
    ) -> Option<image::Image> {
        let img = image::parse(reference);
        if img.is_none() {
            self.error(
                path,
                format!("`{path}` \"{reference}\" is not an image reference"),
            )
            .with_help(format!("write it like {example}"));
        }
        img
    }

    /// Images must name a version: a tag other than `latest`, or a digest.
    fn pinned(&mut self, path: &str, img: &image::Image) -> bool {
        if img.digest.is_none() && img.tag.as_deref().is_none_or(|t| t == "latest") {
            self.error(
                path,
                format!("`{path}` \"{}\" does not pin a version", img.reference),
            )
            .with_help("add a version tag such as :7.9.1, or a digest @sha256:...");
            return false;
        }
        true
    }

    fn zookeeper(&mut self, z: &ZooKeeperSpec) -> ZooKeeper {
        let path = "zookeeper.replicas";
        if z.replicas == 0 || z.replicas > MAX_ZOOKEEPERS {
            self.error(
                path,
                format!(
                    "`{path}` must be from 1 to {MAX_ZOOKEEPERS}, found {}",
                    z.replicas
                ),
            );
        } else if z.replicas.is_multiple_of(2) {
            self.warn(
                path,
                format!(
                    "`{path}` is {}: an even ensemble tolerates no more failures than {} nodes",
                    z.replicas,
                    z.replicas - 1
                ),
            )
            .with_help(format!(
                "use {} or {} replicas",
                z.replicas - 1,
                z.replicas + 1
            ));
        }
        if z.workload == Workload::Deployment && z.replicas > 1 {
            self.error(
                "zookeeper.workload",
                format!(
                    "`zookeeper.workload: deployment` needs exactly one replica, found {}",
                    z.replicas
                ),
            )
            .with_help("an ensemble needs stable identities; use `workload: statefulset`");
        }
        let ipath = "zookeeper.image";
        match self.image_reference(ipath, &z.image, "confluentinc/cp-zookeeper:7.9.1") {
            None => {}
            Some(img) if self.pinned(ipath, &img) => match (img.flavor, img.version) {
                (Flavor::ConfluentZooKeeper, Some((major, _))) if major >= 8 => {
                    self.error(
                        ipath,
                        format!(
                            "`{ipath}` \"{}\": Confluent Platform {major} has no ZooKeeper",
                            z.image
                        ),
                    )
                    .with_help("use a confluentinc/cp-zookeeper 7.x image");
                }
                (Flavor::ConfluentZooKeeper, _) => {}
                _ => {
                    self.error(
                        ipath,
                        format!("`{ipath}` \"{}\" is not a ZooKeeper image kafkagen knows how to configure", z.image),
                    )
                    .with_help("use confluentinc/cp-zookeeper, under any registry");
                }
            },
            Some(_) => {}
        }
        let storage = self.storage("zookeeper.storage", &z.storage);
        let (resources, heap_mib) = self.resources("zookeeper", &z.resources, z.heap_percent);
        ZooKeeper {
            replicas: z.replicas,
            image: z.image.clone(),
            workload: z.workload,
            storage,
            resources,
            heap_mib,
        }
    }

    fn kraft(&mut self, k: &KraftSpec, namespace: &str, name: &str, brokers: u32) -> Kraft {
        let path = "kraft.controllers";
        let voters = if k.controllers == 0 {
            brokers
        } else {
            k.controllers
        };
        if k.controllers > MAX_CONTROLLERS {
            self.error(
                path,
                format!("`{path}` is {}: a quorum of more than {MAX_CONTROLLERS} controllers slows every metadata write", k.controllers),
            )
            .with_help("3 or 5 controllers suit nearly every cluster");
        } else if k.controllers == 0 && voters > MAX_CONTROLLERS {
            self.error(
                path,
                format!("`{path}: 0` makes all {voters} brokers controllers; a quorum above {MAX_CONTROLLERS} slows every metadata write"),
            )
            .with_help("use dedicated controllers: `controllers: 3`");
        } else if voters == 1 {
            let which = if k.controllers == 0 {
                "the one broker is also the only controller"
            } else {
                "a single controller"
            };
            self.warn(
                path,
                format!("{which}: a single point of failure for the whole cluster"),
            )
            .with_help("use 3 controllers where the cluster must survive a node loss");
        } else if voters.is_multiple_of(2) {
            self.warn(
                path,
                format!(
                    "a quorum of {voters} controllers tolerates no more failures than {}",
                    voters - 1
                ),
            )
            .with_help(format!("use {} or {} controllers", voters - 1, voters + 1));
        }
        let cluster_id = match &k.cluster_id {
            Some(id) => {
                // Java's decoder, which Kafka uses, ignores the 4 spare bits
                // of the last character (Confluent's example id sets them).
                let lenient = GeneralPurpose::new(
                    &alphabet::URL_SAFE,
                    GeneralPurposeConfig::new()
                        .with_decode_allow_trailing_bits(true)
                        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
                );
                let ok = id.len() == 22
                    && !id.starts_with('-')
                    && lenient
                        .decode(id)
                        .is_ok_and(|b| b.len() == 16 && b.iter().any(|x| *x != 0));
                if !ok {
                    self.error(
                        "kraft.clusterId",
                        format!("`kraft.clusterId` \"{id}\" is not a Kafka cluster id"),
                    )
                    .with_help("a cluster id is 16 bytes in base64url, 22 characters not starting with '-' (as `kafka-storage random-uuid` prints); leave it out to derive one from namespace and name");
                }
                id.clone()
            }
            None => derive_cluster_id(namespace, name),
        };
        let controllers = (k.controllers > 0).then(|| {
            let storage = self.storage("kraft.storage", &k.storage);
            let (resources, heap_mib) = self.resources("kraft", &k.resources, k.heap_percent);
            Controllers {
                replicas: k.controllers,
                storage,
                resources,
                heap_mib,
            }
        });
        Kraft {
            cluster_id,
            controllers,
        }
    }

    /// A KRaft voter keeps the metadata log on its data volume. An emptyDir
    /// loses it with the pod, and the image formats a new, empty one on the
    /// next start: with other voters, the node then votes with nothing.
    fn voter_storage(&mut self, path: &str, storage: &Storage, voters: u32) {
        if !matches!(storage, Storage::Ephemeral { .. }) {
            return;
        }
        if voters > 1 {
            self.error(
                path,
                format!("KRaft voters on ephemeral storage: a replaced pod starts with an empty metadata log and votes with it, so the quorum can elect a leader without committed metadata and lose it (`{path}`)"),
            )
            .with_label("voters need persistent storage")
            .with_help("remove `ephemeral: true` so that every voter keeps its metadata log on a claim");
        } else {
            self.warn(
                path,
                format!("the only KRaft voter is on ephemeral storage (`{path}`): every replacement of its pod starts an empty cluster, without topics or data"),
            )
            .with_help("remove `ephemeral: true` to keep the cluster across pod replacements");
        }
    }

    fn storage(&mut self, path: &str, s: &StorageSpec) -> Storage {
        let size_path = format!("{path}.size");
        match quantity::parse(&s.size.0) {
            Some(q) if q > 0.0 => {}
            _ => {
                self.error(
                    &size_path,
                    format!("`{size_path}` \"{}\" is not a positive quantity", s.size.0),
                )
                .with_help("write a size such as 10Gi or 500Mi");
            }
        }
        if let Some(class) = &s.class
            && !is_dns_subdomain(class)
        {
            let p = format!("{path}.class");
            self.error(
                &p,
                format!("`{p}` \"{class}\" is not a valid StorageClass name"),
            );
        }
        if s.ephemeral {
            if s.class.is_some() {
                let p = format!("{path}.class");
                self.warn(&p, format!("`{p}` has no effect with `ephemeral: true`"));
            }
            Storage::Ephemeral {
                size_limit: s.size.0.clone(),
            }
        } else {
            Storage::Persistent {
                size: s.size.0.clone(),
                class: s.class.clone(),
            }
        }
    }

    fn resources(
        &mut self,
        section: &str,
        r: &ResourcesSpec,
        heap_percent: u32,
    ) -> (Resources, u64) {
        let mut q = |kind: &str, res: &str, value: &Option<Scalar>| -> Option<f64> {
            let v = value.as_ref()?;
            let p = format!("{section}.resources.{kind}.{res}");
            match quantity::parse(&v.0) {
                Some(x) if x >= 0.0 => Some(x),
                _ => {
                    self.error(
                        &p,
                        format!("`{p}` \"{}\" is not a Kubernetes quantity", v.0),
                    )
                    .with_help(if res == "cpu" {
                        "write CPU as cores or millicores, such as 1 or 500m"
                    } else {
                        "write memory with a unit, such as 2Gi or 512Mi"
                    });
                    None
                }
            }
        };
        let req_cpu = q("requests", "cpu", &r.requests.cpu);
        let req_mem = q("requests", "memory", &r.requests.memory);
        let lim_cpu = q("limits", "cpu", &r.limits.cpu);
        let lim_mem = q("limits", "memory", &r.limits.memory);
        for (res, req, lim) in [("cpu", req_cpu, lim_cpu), ("memory", req_mem, lim_mem)] {
            if let (Some(a), Some(b)) = (req, lim)
                && a > b
            {
                let p = format!("{section}.resources.requests.{res}");
                self.error(
                    &p,
                    format!("`{p}` is above `{section}.resources.limits.{res}`"),
                );
            }
        }
        for (res, value) in [("cpu", &r.requests.cpu), ("memory", &r.requests.memory)] {
            if value.is_none() {
                let p = format!("{section}.resources.requests");
                self.error(
                    &p,
                    format!("`{p}.{res}` is required: the scheduler places pods by their requests"),
                )
                .with_help(if res == "cpu" {
                    "add `cpu: 500m` (for example)"
                } else {
                    "add `memory: 2Gi` (for example)"
                });
            }
        }
        let hp = format!("{section}.heapPercent");
        let mut heap_mib = 0;
        if heap_percent == 0 || heap_percent >= 100 {
            self.error(
                &hp,
                format!("`{hp}` must be from 1 to 99, found {heap_percent}: the heap must stay below the memory limit"),
            )
            .with_help("about 50 leaves the rest to the page cache Kafka relies on");
        } else if r.limits.memory.is_none() {
            let p = format!("{section}.resources.limits");
            self.error(
                &p,
                format!(
                    "`{section}.resources.limits.memory` is required: the JVM heap is sized from it"
                ),
            )
            .with_help("add `memory: 2Gi` (for example) under limits");
        } else if let Some(limit) = lim_mem {
            heap_mib = (limit * f64::from(heap_percent) / 100.0 / 1048576.0).floor() as u64;
            if heap_mib < MIN_HEAP_MIB {
                let p = format!("{section}.resources.limits.memory");
                self.error(
                    &p,
                    format!(
                        "the JVM heap would be {heap_mib} MiB ({heap_percent}% of `{p}`), below the {MIN_HEAP_MIB} MiB it needs"
                    ),
                )
                .with_help("raise the memory limit or heapPercent");
            } else if heap_percent > 80 {
                self.warn(
                    &hp,
                    format!("`{hp}` is {heap_percent}: little memory is left for the page cache and JVM overhead"),
                )
                .with_help("about 50 is the usual choice");
            }
        }
        let text = |s: &Option<Scalar>| s.as_ref().map(|v| v.0.clone());
        (
            Resources {
                requests_cpu: text(&r.requests.cpu),
                requests_memory: text(&r.requests.memory),
                limits_cpu: text(&r.limits.cpu),
                limits_memory: text(&r.limits.memory),
            },
            heap_mib,
        )
    }

    /// `strips_every_kafka`: the image turns `KAFKA_KAFKA_X` into `x`, not
    /// `kafka.x` (apache/kafka before 4.0).
    fn broker_config(
        &mut self,
        config: &IndexMap<String, Scalar>,
        strips_every_kafka: bool,
        model: &kafka_config::Model,
        flavor: Flavor,
    ) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (key, value) in config {
            let path = format!("kafka.config.{key}");
            if let Some((_, instead)) = MANAGED.iter().find(|(k, _)| k == key) {
                let why = MANAGED_WHY
                    .iter()
                    .find(|(k, _)| k == key)
                    .map_or(String::new(), |(_, w)| format!(": {w}"));
                let d = self
                    .key_error(
                        &path,
                        format!(
                            "`{key}` is set by kafkagen and cannot be overridden in `kafka.config`{why}"
                        ),
                    )
                    .with_label("managed by kafkagen");
                if let Some(field) = instead {
                    d.help = Some(format!("set `{field}` instead"));
                }
                continue;
            }
            if IMAGE_VARIABLES.contains(&key.as_str()) {
                let var = crate::model::property_env(key);
                self.key_error(
                    &path,
                    format!("`kafka.config` key `{key}` becomes the variable {var}, which the image reads for itself, not as a broker property"),
                )
                .with_label("not a broker property")
                .with_help(match key.as_str() {
                    "heap.opts" => "the heap comes from `kafka.heapPercent` of the memory limit",
                    _ => "kafkagen sets the images' JVM, logging and JMX variables itself",
                });
                continue;
            }
            if strips_every_kafka && let Some(rest) = key.strip_prefix("kafka.") {
                let mut arrives = rest.to_string();
                while let Some(r) = arrives.strip_prefix("kafka.") {
                    arrives = r.to_string();
                }
                self.key_error(
                    &path,
                    format!("`kafka.config` key `{key}` would reach Kafka as `{arrives}`: this image removes every `KAFKA_` from its variables' names"),
                )
                .with_label("renamed by the image")
                .with_help("apache/kafka 4.0 and later remove the prefix once; use one of them, or a Confluent image");
                continue;
            }
            if !is_property_key(key) {
                self.key_error(
                    &path,
                    format!("`kafka.config` key `{key}` is not a broker property name"),
                )
                .with_help("property names use lowercase letters, digits, '.', '-' and '_'");
                continue;
            }
            if value.0.chars().any(char::is_control) {
                self.error(
                    &path,
                    format!("the value of `kafka.config.{key}` contains a control character"),
                );
                continue;
            }
            // Confluent's own settings are not in Apache Kafka's model.
            let confluent = flavor == Flavor::ConfluentKafka && key.starts_with("confluent.");
            if !confluent && !self.known_key(&path, key, &value.0, Scope::Broker, model) {
                continue;
            }
            out.push((key.clone(), value.0.clone()));
        }
        out
    }

    /// Checks a broker or topic key and its value against Kafka's own
    /// definitions; false (with an error) when Kafka would not take it.
    fn known_key(
        &mut self,
        path: &str,
        key: &str,
        value: &str,
        scope: Scope,
        model: &kafka_config::Model,
    ) -> bool {
        let what = match scope {
            Scope::Broker => "broker",
            Scope::Topic => "topic",
        };
        let line = &model.line;
        let base = match scope {
            Scope::Broker => kafka_config::listener_key(key).unwrap_or(key),
            Scope::Topic => key,
        };
        match model.get(scope, base) {
            Some(def) => match kafka_config::refuse(def, value) {
                None => true,
                Some(why) => {
                    self.error(path, format!("`{path}` \"{value}\" {why}"))
                        .with_label(&format!("refused by Kafka {line}"));
                    false
                }
            },
            None if scope == Scope::Broker
                && kafka_config::AUTHORIZER_PROPERTIES.contains(&base) =>
            {
                true
            }
            None if scope == Scope::Broker
                && !line.starts_with('3')
                && kafka_config::in_kafka_3(base) =>
            {
                self.key_error(
                    path,
                    format!("`{key}` was removed in Kafka 4.0; the image runs Kafka {line}"),
                )
                .with_label("removed in Kafka 4.0");
                false
            }
            None => {
                let d = self
                    .key_error(
                        path,
                        format!("`{key}` is not a {what} property of Kafka {line}"),
                    )
                    .with_label(&format!("unknown {what} property"));
                if let Some(s) = crate::suggest::suggest(base, model.names(scope)) {
                    d.help = Some(format!("did you mean `{s}`?"));
                }
                false
            }
        }
    }

    fn exposure(&mut self, e: &ExposureSpec, brokers: u32) -> Exposure {
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

    fn topics(
        &mut self,
        topics: &[TopicSpec],
        k: &KafkaSpec,
        model: &kafka_config::Model,
    ) -> Vec<Topic> {
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut out = Vec::new();
        for (i, t) in topics.iter().enumerate() {
            let base = format!("topics[{i}]");
            let np = format!("{base}.name");
            if !is_topic_name(&t.name) {
                self.error(
                    &np,
                    if t.name.is_empty() {
                        format!("`{np}` is required")
                    } else {
                        format!("`{np}` \"{}\" is not a valid topic name", t.name)
                    },
                )
                .with_help("topic names use 1 to 249 letters, digits, '.', '_' and '-'");
            } else {
                // Kafka refuses topics whose names differ only in '.' versus '_'.
                let folded = t.name.replace('.', "_");
                if let Some(first) = seen.insert(folded, i) {
                    let same = topics[first].name == t.name;
                    self.error(
                        &np,
                        if same {
                            format!("topic \"{}\" is listed twice (first as topics[{first}])", t.name)
                        } else {
                            format!(
                                "topic \"{}\" collides with \"{}\" (topics[{first}]): Kafka treats '.' and '_' alike in topic names",
                                t.name, topics[first].name
                            )
                        },
                    );
                }
            }
            // Inherited values were checked as kafka.* already.
            let partitions = t.partitions.unwrap_or(k.partitions);
            if t.partitions == Some(0) {
                self.error(
                    &format!("{base}.partitions"),
                    format!("`{base}.partitions` must be at least 1"),
                );
            }
            let rf = t.replication_factor.unwrap_or(k.replication_factor);
            let rp = format!("{base}.replicationFactor");
            if t.replication_factor == Some(0) {
                self.error(&rp, format!("`{rp}` must be at least 1"));
            } else if t.replication_factor.is_some() && rf > k.brokers && k.brokers > 0 {
                self.error(
                    &rp,
                    format!(
                        "topic \"{}\" asks for replication factor {rf} but the cluster has only {} broker{}",
                        t.name,
                        k.brokers,
                        plural(k.brokers)
                    ),
                )
                .with_label("above kafka.brokers");
            }
            let mut config = Vec::new();
            for (key, value) in &t.config {
                let p = format!("{base}.config.{key}");
                if !is_property_key(key) {
                    self.key_error(
                        &p,
                        format!("`{base}.config` key `{key}` is not a topic property name"),
                    );
                } else if value.0.is_empty()
                    || value.0.chars().any(|c| c.is_whitespace() || c.is_control())
                {
                    self.error(
                        &p,
                        format!("the value of `{p}` must be non-empty and without spaces"),
                    );
                } else if self.known_key(&p, key, &value.0, Scope::Topic, model) {
                    config.push((key.clone(), value.0.clone()));
                }
            }
            // acks=all (the producers' default since Kafka 3.0) needs
            // min.insync.replicas replicas: a topic with fewer refuses every write.
            let own_isr = config.iter().find(|(k, _)| k == "min.insync.replicas");
            match own_isr.map(|(_, v)| v.parse::<u32>()) {
                Some(Ok(m)) if m > rf && rf > 0 => {
                    let p = format!("{base}.config.min.insync.replicas");
                    self.error(
                        &p,
                        format!("`{p}` is {m}, above the topic's replication factor {rf}: every write with acks=all would be refused"),
                    )
                    .with_help(format!("set it to at most {rf}"));
                }
                None if rf < k.min_insync_replicas && t.replication_factor.is_some() => {
                    self.error(
                        &rp,
                        format!(
                            "`{rp}` of topic \"{}\" is {rf}, below min.insync.replicas {} (`kafka.minInsyncReplicas`): every write with acks=all, the producers' default, would be refused",
                            t.name, k.min_insync_replicas
                        ),
                    )
                    .with_help(format!(
                        "raise the replication factor to {}, or give the topic its own `min.insync.replicas: {rf}` in its config",
                        k.min_insync_replicas
                    ));
                }
                _ => {}
            }
            out.push(Topic {
                name: t.name.clone(),
                partitions,
                replication_factor: rf,
                config,
            });
        }
        out
    }
}

/// Kafka's configuration model for the Kafka an image runs (for an image
/// without a version tag, the flavor's default image's).
fn config_model(reference: &str, flavor: Flavor) -> kafka_config::Model {
    let default = match flavor {
        Flavor::ApacheKafka => DEFAULT_KRAFT_IMAGE,
        _ => DEFAULT_KAFKA_IMAGE,
    };
    let version = image::parse(reference)
        .and_then(|i| i.kafka_version())
        .or_else(|| image::parse(default).and_then(|i| i.kafka_version()))
        .unwrap_or((3, 9));
    kafka_config::model(version)
}

/// A cluster id from namespace and name: the first 16 bytes of their
/// SHA-256 in base64url, the form Kafka's own ids take. Stable across
/// renders, different for every cluster.
/// Like Kafka's own `Uuid.randomUuid()`, it never starts with `-`, which
/// command-line tools would take for an option.
pub fn derive_cluster_id(namespace: &str, name: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut seed = format!("kafkagen/{namespace}/{name}");
    loop {
        let hash = Sha256::digest(seed.as_bytes());
        let id = URL_SAFE_NO_PAD.encode(&hash[..16]);
        if !id.starts_with('-') {
            return id;
        }
        seed.push('/');
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
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

/// `[prefix/]name` as Kubernetes allows for annotation keys.
fn is_qualified_name(s: &str) -> bool {
    let (prefix, name) = match s.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, s),
    };
    prefix.is_none_or(is_dns_subdomain)
        && !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name.as_bytes()[name.len() - 1].is_ascii_alphanumeric()
}

fn is_property_key(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

fn is_topic_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 249
        && s != "."
        && s != ".."
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// Adds to a diagnostic already pushed.
trait Note {
    fn with_label(self, label: &str) -> Self;
    fn with_help(self, help: impl Into<String>) -> Self;
}

impl Note for &mut Diagnostic {
    fn with_label(self, label: &str) -> Self {
        self.label = Some(label.to_string());
        self
    }

    fn with_help(self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_cluster_ids_are_kafka_uuids_unique_per_cluster() {
        let a = derive_cluster_id("kafka", "demo");
        assert_eq!(a, derive_cluster_id("kafka", "demo"));
        assert_ne!(a, derive_cluster_id("kafka", "demo2"));
        assert_ne!(a, derive_cluster_id("other", "demo"));
        assert_eq!(a.len(), 22);
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).unwrap().len(), 16);
        for i in 0..2000 {
            assert!(!derive_cluster_id("ns", &format!("c{i}")).starts_with('-'));
        }
    }
}
