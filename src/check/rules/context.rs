//! What every rule reads: the rendered manifests, the pods the workloads
//! will create (with their environment after the per-pod settings file),
//! and lookups by label, hostname and Service name, built once.

use super::Finding;
use crate::check::manifest::{Manifest, Object};
use crate::dns::is_dns_label;
use k8s_openapi::api::core::v1::{Container, PodSpec, Service, ServicePort};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

/// Where the start script reads per-pod settings (`<hostname>.env`).
pub const SETTINGS_DIR: &str = "/etc/kafkagen";
/// Stands for the node's IP in advertised listeners.
pub const NODE_IP: &str = "${NODE_IP}";
pub const MAX_PORT_NAME: usize = 15;

pub type Labels = BTreeMap<String, String>;

/// A pod that the rendered workloads will create.
pub struct Pod<'a> {
    pub name: String,
    pub namespace: String,
    pub labels: Labels,
    pub spec: &'a PodSpec,
    /// DNS: `<hostname>.<subdomain>.<ns>.svc...` when a headless Service
    /// named `subdomain` selects the pod.
    pub hostname: String,
    pub subdomain: Option<String>,
    /// The workload, as "StatefulSet `name`".
    pub owner: String,
    /// The workload, as `StatefulSet/name`.
    owner_id: String,
    /// Environment after the per-pod settings file: `name -> value`.
    pub env: Env,
}

/// A pod's environment: its workload's container env, shared by all its
/// pods, overlaid with the pod's own settings file.
pub struct Env {
    base: Rc<HashMap<String, String>>,
    own: HashMap<String, String>,
}

impl Pod<'_> {
    /// `Kind/name` of the workload that creates the pod.
    pub fn owner_id(&self) -> String {
        self.owner_id.clone()
    }

    /// `Pod/name`.
    pub fn id(&self) -> String {
        format!("Pod/{}", self.name)
    }
}

impl Env {
    pub fn get(&self, name: &str) -> Option<&String> {
        self.own.get(name).or_else(|| self.base.get(name))
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.own.contains_key(name) || self.base.contains_key(name)
    }
}

/// The ConfigMap a workload's settings directory is mounted from.
struct Settings<'c> {
    name: String,
    /// `None`: no such ConfigMap was rendered.
    data: Option<&'c BTreeMap<String, String>>,
}

pub struct Ctx<'a> {
    pub manifests: &'a [Manifest],
    pub pods: Vec<Pod<'a>>,
    /// Pod name -> the Services that select that pod and no other, found
    /// once so that per-broker checks stay linear in the cluster size.
    pub exclusive: HashMap<String, Vec<&'a Service>>,
    /// `(label, value)` -> the pods that carry it, and hostname -> pods:
    /// a selector is matched only against the pods of its rarest label.
    by_label: HashMap<(String, String), Vec<usize>>,
    by_hostname: HashMap<String, Vec<usize>>,
    /// `(namespace, name)` -> Service, for DNS names.
    services_by_name: HashMap<(&'a str, &'a str), &'a Service>,
    /// What stood in the way of knowing a workload's pods (rule `workload-pods`).
    pub workload_errors: Vec<Finding>,
}

impl<'a> Ctx<'a> {
    pub fn new(manifests: &'a [Manifest]) -> Self {
        let mut cx = Ctx {
            manifests,
            pods: Vec::new(),
            exclusive: HashMap::new(),
            by_label: HashMap::new(),
            by_hostname: HashMap::new(),
            services_by_name: HashMap::new(),
            workload_errors: Vec::new(),
        };
        cx.services_by_name = cx
            .services()
            .map(|(m, s)| ((ns(m), m.name.as_str()), s))
            .collect();
        cx.collect_pods();
        cx.index_pods();
        cx.exclusive_services();
        cx
    }
}

/// `Kind/name`, as kubectl names an object.
pub fn object_id(m: &Manifest) -> String {
    format!("{}/{}", m.kind, m.name)
}

pub fn ns(m: &Manifest) -> &str {
    m.namespace.as_deref().unwrap_or("default")
}

pub fn labels_of(map: &Option<BTreeMap<String, String>>) -> Labels {
    map.clone().unwrap_or_default()
}

pub fn selects(selector: &Labels, labels: &Labels) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

pub fn container_port(c: &Container, target: &IntOrString) -> Option<i32> {
    let ports = c.ports.as_deref().unwrap_or_default();
    match target {
        IntOrString::Int(n) => ports.iter().any(|p| p.container_port == *n).then_some(*n),
        IntOrString::String(name) => ports
            .iter()
            .find(|p| p.name.as_deref() == Some(name))
            .map(|p| p.container_port),
    }
}

pub fn target(port: &ServicePort) -> IntOrString {
    port.target_port
        .clone()
        .unwrap_or(IntOrString::Int(port.port))
}

impl<'a> Ctx<'a> {
    fn error(&mut self, objects: Vec<String>, message: String) {
        self.workload_errors.push(Finding { objects, message });
    }

    pub fn services(&self) -> impl Iterator<Item = (&'a Manifest, &'a Service)> + use<'a> {
        self.manifests.iter().filter_map(|m| match &m.object {
            Object::Service(s) => Some((m, s)),
            _ => None,
        })
    }

    fn collect_pods(&mut self) {
        let config_maps: HashMap<(&str, &str), &BTreeMap<String, String>> = self
            .manifests
            .iter()
            .filter_map(|m| match &m.object {
                Object::ConfigMap(c) => c.data.as_ref().map(|d| ((ns(m), m.name.as_str()), d)),
                _ => None,
            })
            .collect();
        for m in self.manifests {
            let (template, selector, replicas, service) = match &m.object {
                Object::StatefulSet(s) => {
                    let spec = s.spec.as_ref();
                    (
                        spec.map(|s| &s.template),
                        spec.and_then(|s| s.selector.match_labels.clone()),
                        spec.and_then(|s| s.replicas).unwrap_or(1),
                        spec.and_then(|s| s.service_name.clone()),
                    )
                }
                Object::Deployment(d) => {
                    let spec = d.spec.as_ref();
                    (
                        spec.map(|s| &s.template),
                        spec.and_then(|s| s.selector.match_labels.clone()),
                        spec.and_then(|s| s.replicas).unwrap_or(1),
                        None,
                    )
                }
                _ => continue,
            };
            let owner = format!("{} `{}`", m.kind, m.name);
            let id = object_id(m);
            let Some(template) = template else {
                self.error(vec![id], format!("{owner} has no pod template"));
                continue;
            };
            let Some(spec) = template.spec.as_ref() else {
                self.error(vec![id], format!("{owner} has no pod spec"));
                continue;
            };
            let labels = labels_of(&template.metadata.as_ref().and_then(|m| m.labels.clone()));
            let selector = selector.unwrap_or_default();
            if !selects(&selector, &labels) {
                self.error(vec![id.clone()], format!(
                    "{owner}: selector {selector:?} is not a subset of its pod template's labels"
                ));
            }
            let statefulset = matches!(m.object, Object::StatefulSet(_));
            let (base, settings) = self.workload_env(&owner, &id, spec, &config_maps, ns(m));
            let base = Rc::new(base);
            for i in 0..replicas.max(0) {
                let mut labels = labels.clone();
                let (name, hostname, subdomain) = if statefulset {
                    let pod = format!("{}-{i}", m.name);
                    labels.insert("statefulset.kubernetes.io/pod-name".into(), pod.clone());
                    labels.insert("apps.kubernetes.io/pod-index".into(), i.to_string());
                    (pod.clone(), pod, service.clone())
                } else {
                    let host = spec
                        .hostname
                        .clone()
                        .unwrap_or_else(|| format!("{}-<random>", m.name));
                    (host.clone(), host, spec.subdomain.clone())
                };
                let own = match &settings {
                    Some(cm) => self.pod_settings(&owner, &id, &name, &hostname, cm),
                    None => HashMap::new(),
                };
                let env = Env {
                    base: Rc::clone(&base),
                    own,
                };
                self.pods.push(Pod {
                    name,
                    namespace: ns(m).to_string(),
                    labels,
                    spec,
                    hostname,
                    subdomain,
                    owner: owner.clone(),
                    owner_id: id.clone(),
                    env,
                });
            }
        }
    }

    /// The first container's environment, and the ConfigMap data that the
    /// pods' settings files come from (when the settings directory is mounted).
    fn workload_env<'c>(
        &mut self,
        owner: &str,
        id: &str,
        spec: &PodSpec,
        config_maps: &HashMap<(&str, &str), &'c BTreeMap<String, String>>,
        namespace: &str,
    ) -> (HashMap<String, String>, Option<Settings<'c>>) {
        let mut env = HashMap::new();
        let Some(container) = spec.containers.first() else {
            self.error(vec![id.into()], format!("{owner} has no containers"));
            return (env, None);
        };
        for e in container.env.as_deref().unwrap_or_default() {
            let value = match (&e.value, &e.value_from) {
                (Some(v), _) => v.clone(),
                (None, Some(from)) => match &from.field_ref {
                    Some(f) => format!("fieldRef:{}", f.field_path),
                    None => "valueFrom".into(),
                },
                (None, None) => String::new(),
            };
            env.insert(e.name.clone(), value);
        }
        let mounted = container
            .volume_mounts
            .as_deref()
            .unwrap_or_default()
            .iter()
            .find(|v| v.mount_path == SETTINGS_DIR);
        let Some(mount) = mounted else {
            return (env, None);
        };
        let config_map = spec
            .volumes
            .as_deref()
            .unwrap_or_default()
            .iter()
            .find(|v| v.name == mount.name)
            .and_then(|v| v.config_map.as_ref())
            .map(|c| c.name.clone());
        let Some(name) = config_map else {
            self.error(
                vec![id.into()],
                format!("{owner}: {SETTINGS_DIR} is not mounted from a ConfigMap"),
            );
            return (env, None);
        };
        let data = config_maps.get(&(namespace, name.as_str())).copied();
        (env, Some(Settings { name, data }))
    }

    /// One pod's settings file (`<hostname>.env`), as `name -> value`.
    fn pod_settings(
        &mut self,
        owner: &str,
        id: &str,
        pod: &str,
        hostname: &str,
        settings: &Settings,
    ) -> HashMap<String, String> {
        let mut env = HashMap::new();
        let (cm, key) = (&settings.name, format!("{hostname}.env"));
        match settings.data.and_then(|d| d.get(&key)) {
            None => self.error(
                vec![id.into(), format!("ConfigMap/{cm}")],
                format!(
                    "{owner}: pod `{pod}` has no settings: ConfigMap `{cm}` has no key `{key}`"
                ),
            ),
            Some(text) => {
                for line in text.lines().filter(|l| !l.is_empty()) {
                    match line.split_once('=') {
                        Some((k, v)) => {
                            env.insert(k.to_string(), v.to_string());
                        }
                        None => self.error(
                            vec![format!("ConfigMap/{cm}")],
                            format!(
                                "ConfigMap `{cm}` key `{key}`: line `{line}` is not NAME=value"
                            ),
                        ),
                    }
                }
            }
        }
        env
    }

    fn exclusive_services(&mut self) {
        let mut exclusive: HashMap<String, Vec<&'a Service>> = HashMap::new();
        for (m, svc) in self.services() {
            let selector = labels_of(&svc.spec.as_ref().and_then(|s| s.selector.clone()));
            if let [only] = self.pods_selected(ns(m), &selector)[..] {
                exclusive.entry(only.name.clone()).or_default().push(svc);
            }
        }
        self.exclusive = exclusive;
    }

    fn index_pods(&mut self) {
        for (i, pod) in self.pods.iter().enumerate() {
            for (k, v) in &pod.labels {
                self.by_label
                    .entry((k.clone(), v.clone()))
                    .or_default()
                    .push(i);
            }
            self.by_hostname
                .entry(pod.hostname.clone())
                .or_default()
                .push(i);
        }
    }

    pub fn pods_selected(&self, namespace: &str, selector: &Labels) -> Vec<&Pod<'a>> {
        let rarest = selector
            .iter()
            .map(|(k, v)| {
                self.by_label
                    .get(&(k.clone(), v.clone()))
                    .map_or(&[][..], Vec::as_slice)
            })
            .min_by_key(|pods| pods.len());
        rarest
            .unwrap_or_default()
            .iter()
            .map(|&i| &self.pods[i])
            .filter(|p| p.namespace == namespace && selects(selector, &p.labels))
            .collect()
    }

    pub fn headless(&self, namespace: &str, name: &str) -> Option<&'a Service> {
        self.services_by_name
            .get(&(namespace, name))
            .copied()
            .filter(|s| s.spec.as_ref().and_then(|s| s.cluster_ip.as_deref()) == Some("None"))
    }

    /// The pod a cluster DNS name stands for, or the Service.
    pub fn resolve(&self, host: &str) -> Resolved<'_, 'a> {
        let labels: Vec<&str> = host.split('.').collect();
        if labels.len() >= 4 && labels[3] == "svc" {
            let (hostname, sub, namespace) = (labels[0], labels[1], labels[2]);
            let Some(svc) = self.headless(namespace, sub) else {
                return Resolved::Nothing;
            };
            let selector = labels_of(&svc.spec.as_ref().and_then(|s| s.selector.clone()));
            return self
                .by_hostname
                .get(hostname)
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .map(|&i| &self.pods[i])
                .find(|p| {
                    p.namespace == namespace
                        && p.hostname == hostname
                        && p.subdomain.as_deref() == Some(sub)
                        && selects(&selector, &p.labels)
                })
                .map_or(Resolved::Nothing, Resolved::Pod);
        }
        if labels.len() >= 3 && labels[2] == "svc" {
            return self
                .services_by_name
                .get(&(labels[1], labels[0]))
                .map_or(Resolved::Nothing, |s| Resolved::Service(s));
        }
        Resolved::External
    }

    /// Checks that `host:port` reaches a pod or Service listening on `port`.
    pub fn reaches(&self, host: &str, port: i32) -> bool {
        match self.resolve(host) {
            Resolved::Pod(p) => p
                .spec
                .containers
                .iter()
                .any(|c| container_port(c, &IntOrString::Int(port)).is_some()),
            Resolved::Service(s) => s
                .spec
                .as_ref()
                .and_then(|s| s.ports.as_ref())
                .is_some_and(|ports| ports.iter().any(|p| p.port == port)),
            _ => false,
        }
    }
}

pub enum Resolved<'p, 'a> {
    Pod(&'p Pod<'a>),
    Service(&'a Service),
    /// A cluster DNS name that matches nothing rendered.
    Nothing,
    /// Not a cluster DNS name.
    External,
}

/// An IANA service name, as Kubernetes requires of port names.
pub fn is_port_name(s: &str) -> bool {
    s.len() <= MAX_PORT_NAME
        && is_dns_label(s)
        && s.bytes().any(|b| b.is_ascii_lowercase())
        && !s.contains("--")
}

/// `NAME://host:port`
pub fn parse_listener(entry: &str) -> Option<(&str, &str, i32)> {
    let (name, rest) = entry.split_once("://")?;
    let (host, port) = rest.rsplit_once(':')?;
    Some((name, host, port.parse().ok()?))
}
