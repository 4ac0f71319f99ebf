//! Spec rules (docs/spec.md, "What is checked"): everything a spec must satisfy before
//! anything is rendered. All problems are collected, each pointing at the
//! field that caused it; the result is a resolved [`Cluster`].
//!
//! This file holds the entry point, the cluster as a whole and the helpers
//! the areas share; each area's rules have a file of their own.

mod broker_config;
mod exposure;
pub mod image;
mod kafka;
pub mod kafka_config;
mod kraft;
mod metrics;
mod network_policy;
mod placement;
pub mod quantity;
mod resources;
mod security;
mod storage;
mod topics;
mod zookeeper;

pub use kraft::derive_cluster_id;

use crate::cluster::{Cluster, Flavor, Metadata, Transition};
use crate::cluster_spec::decode::Locations;
use crate::cluster_spec::{DEFAULT_KAFKA_IMAGE, DEFAULT_KRAFT_IMAGE, Mode, Spec};
use crate::diagnostic::Diagnostic;
use crate::dns::{is_dns_label, is_dns_subdomain};
use crate::names::Names;
use indexmap::IndexMap;
use kafka_config::Scope;

/// The outcome of validation: the cluster, or every error (with warnings).
// A stage of bench/profile.sh's table: kept out of line so that its
// samples are charged to it.
#[inline(never)]
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
        let topics = self.topics(&spec.topics, &spec.kafka, model);
        let placement = self.placement(&spec.placement);
        let network_policy = self.network_policy(&spec.network_policy);
        let metrics = self.metrics(&spec.metrics, &kafka);
        let security = self.security(&spec.security, &kafka.exposure, &metadata, &names);
        if let Some(s) = &security {
            self.security_config(&spec.kafka.config, s, &kafka.exposure);
            if s.controller.tls && metrics.is_none() && matches!(metadata, Metadata::Kraft(_)) {
                self.warn(
                    "security.listeners.controller.tls",
                    "the KRaft nodes will not restart by themselves when the quorum's certificate renews: they take turns by reading each other's metrics, and `metrics.enabled` is false",
                )
                .with_help("set `metrics.enabled: true`, or restart the controllers, then the brokers, within the last third of the certificate's life (docs/security.md, \"Renewal\")");
            }
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
}

/// Kafka's configuration model for the Kafka an image runs (for an image
/// without a version tag, the flavor's default image's).
fn config_model(reference: &str, flavor: Flavor) -> &'static kafka_config::Model {
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

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
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

/// Adds a label or help to a diagnostic already pushed.
trait Annotate {
    fn with_label(self, label: &str) -> Self;
    fn with_help(self, help: impl Into<String>) -> Self;
}

impl Annotate for &mut Diagnostic {
    fn with_label(self, label: &str) -> Self {
        self.label = Some(label.to_string());
        self
    }

    fn with_help(self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}
