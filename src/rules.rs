//! Rules across rendered objects (README, "What is checked"). They read only the
//! checked manifests, never the model, so they also hold for overridden
//! templates: every Service reaches a pod, every StatefulSet has its
//! headless Service, and every broker is reachable at what it advertises.

use crate::manifest::{Manifest, Object};
use crate::validate::is_dns_label;
use k8s_openapi::api::core::v1::{Container, PodSpec, Service, ServicePort};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

/// Where the start script reads per-pod settings (`<hostname>.env`).
const SETTINGS_DIR: &str = "/etc/kafkagen";
/// Stands for the node's IP in advertised listeners.
const NODE_IP: &str = "${NODE_IP}";
const MAX_PORT_NAME: usize = 15;

type Labels = BTreeMap<String, String>;

/// A pod that the rendered workloads will create.
struct Pod<'a> {
    name: String,
    namespace: String,
    labels: Labels,
    spec: &'a PodSpec,
    /// DNS: `<hostname>.<subdomain>.<ns>.svc...` when a headless Service
    /// named `subdomain` selects the pod.
    hostname: String,
    subdomain: Option<String>,
    owner: String,
    /// Environment after the per-pod settings file: `name -> value`.
    env: Env,
}

/// A pod's environment: its workload's container env, shared by all its
/// pods, overlaid with the pod's own settings file.
struct Env {
    base: Rc<HashMap<String, String>>,
    own: HashMap<String, String>,
}

impl Env {
    fn get(&self, name: &str) -> Option<&String> {
        self.own.get(name).or_else(|| self.base.get(name))
    }

    fn contains_key(&self, name: &str) -> bool {
        self.own.contains_key(name) || self.base.contains_key(name)
    }
}

/// The ConfigMap a workload's settings directory is mounted from.
struct Settings<'c> {
    name: String,
    /// `None`: no such ConfigMap was rendered.
    data: Option<&'c BTreeMap<String, String>>,
}

struct Ctx<'a> {
    manifests: &'a [Manifest],
    pods: Vec<Pod<'a>>,
    /// Pod name -> the Services that select that pod and no other, found
    /// once so that per-broker checks stay linear in the cluster size.
    exclusive: HashMap<String, Vec<&'a Service>>,
    /// `(label, value)` -> the pods that carry it, and hostname -> pods:
    /// a selector is matched only against the pods of its rarest label.
    by_label: HashMap<(String, String), Vec<usize>>,
    by_hostname: HashMap<String, Vec<usize>>,
    /// `(namespace, name)` -> Service, for DNS names.
    services_by_name: HashMap<(&'a str, &'a str), &'a Service>,
    errors: Vec<String>,
}

/// Every rule violation, as a message naming the objects involved.
pub fn check(manifests: &[Manifest]) -> Vec<String> {
    let mut cx = Ctx {
        manifests,
        pods: Vec::new(),
        exclusive: HashMap::new(),
        by_label: HashMap::new(),
        by_hostname: HashMap::new(),
        services_by_name: HashMap::new(),
        errors: Vec::new(),
    };
    cx.services_by_name = cx
        .services()
        .map(|(m, s)| ((ns(m), m.name.as_str()), s))
        .collect();
    cx.unique_names();
    cx.collect_pods();
    cx.index_pods();
    cx.exclusive_services();
    cx.check_services();
    cx.statefulsets();
    cx.policies_select_pods();
    cx.volumes();
    cx.brokers();
    cx.zookeepers();
    cx.kraft();
    cx.hardening();
    cx.errors
}

fn ns(m: &Manifest) -> &str {
    m.namespace.as_deref().unwrap_or("default")
}

fn labels_of(map: &Option<BTreeMap<String, String>>) -> Labels {
    map.clone().unwrap_or_default()
}

fn selects(selector: &Labels, labels: &Labels) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

fn container_port(c: &Container, target: &IntOrString) -> Option<i32> {
    let ports = c.ports.as_deref().unwrap_or_default();
    match target {
        IntOrString::Int(n) => ports.iter().any(|p| p.container_port == *n).then_some(*n),
        IntOrString::String(name) => ports
            .iter()
            .find(|p| p.name.as_deref() == Some(name))
            .map(|p| p.container_port),
    }
}

fn target(port: &ServicePort) -> IntOrString {
    port.target_port
        .clone()
        .unwrap_or(IntOrString::Int(port.port))
}

impl<'a> Ctx<'a> {
    fn error(&mut self, message: String) {
        self.errors.push(message);
    }

    fn services(&self) -> impl Iterator<Item = (&'a Manifest, &'a Service)> + use<'a> {
        self.manifests.iter().filter_map(|m| match &m.object {
            Object::Service(s) => Some((m, s)),
            _ => None,
        })
    }

    fn unique_names(&mut self) {
        let mut seen = BTreeSet::new();
        for m in self.manifests {
            if m.name.is_empty() {
                self.error(format!("a {} has no metadata.name", m.kind));
            } else if !seen.insert((m.kind.as_str(), ns(m), m.name.as_str())) {
                self.error(format!("{} `{}` is rendered twice", m.kind, m.name));
            }
        }
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
            let Some(template) = template else {
                self.error(format!("{owner} has no pod template"));
                continue;
            };
            let Some(spec) = template.spec.as_ref() else {
                self.error(format!("{owner} has no pod spec"));
                continue;
            };
            let labels = labels_of(&template.metadata.as_ref().and_then(|m| m.labels.clone()));
            let selector = selector.unwrap_or_default();
            if !selects(&selector, &labels) {
                self.error(format!(
                    "{owner}: selector {selector:?} is not a subset of its pod template's labels"
                ));
            }
            let statefulset = matches!(m.object, Object::StatefulSet(_));
            let (base, settings) = self.workload_env(&owner, spec, &config_maps, ns(m));
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
                    Some(cm) => self.pod_settings(&owner, &name, &hostname, cm),
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
        spec: &PodSpec,
        config_maps: &HashMap<(&str, &str), &'c BTreeMap<String, String>>,
        namespace: &str,
    ) -> (HashMap<String, String>, Option<Settings<'c>>) {
        let mut env = HashMap::new();
        let Some(container) = spec.containers.first() else {
            self.error(format!("{owner} has no containers"));
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
            self.error(format!(
                "{owner}: {SETTINGS_DIR} is not mounted from a ConfigMap"
            ));
            return (env, None);
        };
        let data = config_maps.get(&(namespace, name.as_str())).copied();
        (env, Some(Settings { name, data }))
    }

    /// One pod's settings file (`<hostname>.env`), as `name -> value`.
    fn pod_settings(
        &mut self,
        owner: &str,
        pod: &str,
        hostname: &str,
        settings: &Settings,
    ) -> HashMap<String, String> {
        let mut env = HashMap::new();
        let (cm, key) = (&settings.name, format!("{hostname}.env"));
        match settings.data.and_then(|d| d.get(&key)) {
            None => self.error(format!(
                "{owner}: pod `{pod}` has no settings: ConfigMap `{cm}` has no key `{key}`"
            )),
            Some(text) => {
                for line in text.lines().filter(|l| !l.is_empty()) {
                    match line.split_once('=') {
                        Some((k, v)) => {
                            env.insert(k.to_string(), v.to_string());
                        }
                        None => self.error(format!(
                            "ConfigMap `{cm}` key `{key}`: line `{line}` is not NAME=value"
                        )),
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

    fn pods_selected(&self, namespace: &str, selector: &Labels) -> Vec<&Pod<'a>> {
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

    fn check_services(&mut self) {
        let mut errors = Vec::new();
        for (m, svc) in self.services() {
            let spec = svc.spec.clone().unwrap_or_default();
            let selector = labels_of(&spec.selector);
            let pods = self.pods_selected(ns(m), &selector);
            if pods.is_empty() {
                errors.push(format!("Service `{}` selects no rendered pod", m.name));
                continue;
            }
            for port in spec.ports.as_deref().unwrap_or_default() {
                if let Some(name) = &port.name
                    && !is_port_name(name)
                {
                    errors.push(format!(
                        "Service `{}`: port name `{name}` is not a valid port name (at most {MAX_PORT_NAME} lowercase letters, digits and '-', with a letter)",
                        m.name
                    ));
                }
                let t = target(port);
                for pod in &pods {
                    if !pod
                        .spec
                        .containers
                        .iter()
                        .any(|c| container_port(c, &t).is_some())
                    {
                        errors.push(format!(
                            "Service `{}`: target port {t:?} of port {} is not a port of pod `{}`",
                            m.name, port.port, pod.name
                        ));
                    }
                }
            }
        }
        for pod in &self.pods {
            let init = pod.spec.init_containers.as_deref().unwrap_or_default();
            for c in pod.spec.containers.iter().chain(init) {
                if !is_dns_label(&c.name) {
                    errors.push(format!(
                        "{}: container name `{}` is not a DNS-1123 label",
                        pod.owner, c.name
                    ));
                }
                for p in c.ports.as_deref().unwrap_or_default() {
                    if let Some(name) = &p.name
                        && !is_port_name(name)
                    {
                        errors.push(format!(
                            "{}: container port name `{name}` is not a valid port name (at most {MAX_PORT_NAME} lowercase letters, digits and '-', with a letter)",
                            pod.owner
                        ));
                    }
                }
            }
            for v in pod.spec.volumes.as_deref().unwrap_or_default() {
                if !is_dns_label(&v.name) {
                    errors.push(format!(
                        "{}: volume name `{}` is not a DNS-1123 label",
                        pod.owner, v.name
                    ));
                }
            }
        }
        errors.sort();
        errors.dedup();
        self.errors.extend(errors);
    }

    fn headless(&self, namespace: &str, name: &str) -> Option<&'a Service> {
        self.services_by_name
            .get(&(namespace, name))
            .copied()
            .filter(|s| s.spec.as_ref().and_then(|s| s.cluster_ip.as_deref()) == Some("None"))
    }

    fn statefulsets(&mut self) {
        let mut errors = Vec::new();
        for m in self.manifests {
            let Object::StatefulSet(sts) = &m.object else {
                continue;
            };
            let service = sts.spec.as_ref().and_then(|s| s.service_name.clone());
            let Some(service) = service else {
                errors.push(format!("StatefulSet `{}` has no serviceName", m.name));
                continue;
            };
            match self.headless(ns(m), &service) {
                None => errors.push(format!(
                    "StatefulSet `{}`: serviceName `{service}` is not a rendered headless Service",
                    m.name
                )),
                Some(svc) => {
                    let selector = labels_of(&svc.spec.as_ref().and_then(|s| s.selector.clone()));
                    let owner = format!("StatefulSet `{}`", m.name);
                    let mine = self.pods.iter().filter(|p| p.owner == owner);
                    if mine.clone().any(|p| !selects(&selector, &p.labels)) {
                        errors.push(format!(
                            "StatefulSet `{}`: headless Service `{service}` does not select its pods",
                            m.name
                        ));
                    }
                    if svc
                        .spec
                        .as_ref()
                        .and_then(|s| s.publish_not_ready_addresses)
                        != Some(true)
                    {
                        errors.push(format!(
                            "headless Service `{service}` must publish not-ready addresses so that peers find each other while starting"
                        ));
                    }
                }
            }
        }
        self.errors.extend(errors);
    }

    /// Every PodDisruptionBudget and NetworkPolicy selects rendered pods;
    /// with policies on, every workload's pods have one.
    fn policies_select_pods(&mut self) {
        let mut errors = Vec::new();
        let policies: Vec<(&Manifest, Labels)> = self
            .manifests
            .iter()
            .filter_map(|m| match &m.object {
                Object::NetworkPolicy(np) => Some((
                    m,
                    labels_of(
                        &np.spec
                            .as_ref()
                            .and_then(|s| s.pod_selector.as_ref()?.match_labels.clone()),
                    ),
                )),
                _ => None,
            })
            .collect();
        for (m, selector) in &policies {
            let job_pods = self.job_pod_labels(ns(m));
            if self.pods_selected(ns(m), selector).is_empty()
                && !job_pods.iter().any(|l| selects(selector, l))
            {
                errors.push(format!(
                    "NetworkPolicy `{}` selects no rendered pod",
                    m.name
                ));
            }
        }
        if !policies.is_empty() {
            for pod in &self.pods {
                let covered = policies
                    .iter()
                    .any(|(m, sel)| ns(m) == pod.namespace && selects(sel, &pod.labels));
                if !covered {
                    errors.push(format!(
                        "{}: pod `{}` has no NetworkPolicy",
                        pod.owner, pod.name
                    ));
                }
            }
        }
        for m in self.manifests {
            if let Object::PodDisruptionBudget(pdb) = &m.object {
                let selector = labels_of(
                    &pdb.spec
                        .as_ref()
                        .and_then(|s| s.selector.as_ref())
                        .and_then(|s| s.match_labels.clone()),
                );
                if self.pods_selected(ns(m), &selector).is_empty() {
                    errors.push(format!(
                        "PodDisruptionBudget `{}` selects no rendered pod",
                        m.name
                    ));
                }
            }
        }
        self.errors.extend(errors);
    }

    /// Pod template labels of the Jobs in a namespace.
    fn job_pod_labels(&self, namespace: &str) -> Vec<Labels> {
        self.manifests
            .iter()
            .filter_map(|m| match &m.object {
                Object::Job(job) if ns(m) == namespace => Some(labels_of(
                    &job.spec
                        .as_ref()?
                        .template
                        .metadata
                        .as_ref()?
                        .labels
                        .clone(),
                )),
                _ => None,
            })
            .collect()
    }

    fn volumes(&mut self) {
        let rendered = |kind: &str, namespace: &str, name: &str| {
            self.manifests
                .iter()
                .any(|m| m.kind == kind && ns(m) == namespace && m.name == name)
        };
        let mut errors = Vec::new();
        for pod in &self.pods {
            for v in pod.spec.volumes.as_deref().unwrap_or_default() {
                if let Some(cm) = &v.config_map
                    && !rendered("ConfigMap", &pod.namespace, &cm.name)
                {
                    errors.push(format!(
                        "{}: volume `{}` names ConfigMap `{}`, which is not rendered",
                        pod.owner, v.name, cm.name
                    ));
                }
                if let Some(pvc) = &v.persistent_volume_claim
                    && !rendered("PersistentVolumeClaim", &pod.namespace, &pvc.claim_name)
                {
                    errors.push(format!(
                        "{}: volume `{}` names PersistentVolumeClaim `{}`, which is not rendered",
                        pod.owner, v.name, pvc.claim_name
                    ));
                }
            }
        }
        errors.dedup();
        self.errors.extend(errors);
    }

    /// The pod a cluster DNS name stands for, or the Service.
    fn resolve(&self, host: &str) -> Resolved<'_, 'a> {
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
    fn reaches(&self, host: &str, port: i32) -> bool {
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

    fn brokers(&mut self) {
        let mut errors = Vec::new();
        let mut ids: HashMap<String, String> = HashMap::new();
        for pod in &self.pods {
            let Some(advertised) = pod.env.get("KAFKA_ADVERTISED_LISTENERS") else {
                continue;
            };
            let who = format!("broker `{}`", pod.name);
            match pod
                .env
                .get("KAFKA_BROKER_ID")
                .or(pod.env.get("KAFKA_NODE_ID"))
            {
                None => errors.push(format!("{who} has no broker id")),
                Some(id) => {
                    if let Some(other) = ids.insert(id.clone(), pod.name.clone()) {
                        errors.push(format!(
                            "brokers `{other}` and `{}` share id {id}",
                            pod.name
                        ));
                    }
                }
            }
            let protocols: BTreeSet<&str> = pod
                .env
                .get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP")
                .map(|m| {
                    m.split(',')
                        .filter_map(|e| e.split_once(':').map(|(n, _)| n))
                        .collect()
                })
                .unwrap_or_default();
            let listeners: HashMap<&str, i32> = pod
                .env
                .get("KAFKA_LISTENERS")
                .map(|l| {
                    l.split(',')
                        .filter_map(parse_listener)
                        .map(|(n, _, p)| (n, p))
                        .collect()
                })
                .unwrap_or_default();
            let inter = pod.env.get("KAFKA_INTER_BROKER_LISTENER_NAME");
            if inter.is_some_and(|n| !listeners.contains_key(n.as_str())) {
                errors.push(format!(
                    "{who}: inter-broker listener {inter:?} is not among KAFKA_LISTENERS"
                ));
            }
            for entry in advertised.split(',') {
                let Some((name, host, port)) = parse_listener(entry) else {
                    errors.push(format!(
                        "{who}: advertised listener `{entry}` is not NAME://host:port"
                    ));
                    continue;
                };
                if !protocols.contains(name) {
                    errors.push(format!("{who}: listener {name} has no security protocol in KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"));
                }
                let Some(&listen_port) = listeners.get(name) else {
                    errors.push(format!(
                        "{who}: advertised listener {name} is not among KAFKA_LISTENERS"
                    ));
                    continue;
                };
                if !pod
                    .spec
                    .containers
                    .iter()
                    .any(|c| container_port(c, &IntOrString::Int(listen_port)).is_some())
                {
                    errors.push(format!(
                        "{who}: listener {name} port {listen_port} is not a container port"
                    ));
                    continue;
                }
                if let Some(problem) = self.advertised_reachable(pod, host, port, listen_port) {
                    errors.push(format!(
                        "{who} advertises {name}://{host}:{port}, but {problem}"
                    ));
                }
            }
            if let Some(connect) = pod.env.get("KAFKA_ZOOKEEPER_CONNECT") {
                let hosts = connect.split('/').next().unwrap_or_default();
                for hp in hosts.split(',') {
                    let ok = hp
                        .rsplit_once(':')
                        .and_then(|(h, p)| Some((h, p.parse::<i32>().ok()?)))
                        .is_some_and(|(h, p)| self.reaches(h, p));
                    if !ok {
                        errors.push(format!("{who}: ZooKeeper address `{hp}` is not a rendered ZooKeeper pod or Service port"));
                    }
                }
            }
        }
        errors.dedup();
        self.errors.extend(errors);
    }

    /// Why a client could not reach `pod` at `host:port`, if it could not.
    fn advertised_reachable(
        &self,
        pod: &Pod,
        host: &str,
        port: i32,
        listen_port: i32,
    ) -> Option<String> {
        let own = self
            .exclusive
            .get(&pod.name)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let single = |svc_type: &str, matches: &dyn Fn(&ServicePort) -> bool| {
            own.iter().any(|s| {
                let Some(spec) = s.spec.as_ref() else {
                    return false;
                };
                spec.type_.as_deref() == Some(svc_type)
                    && spec.ports.as_deref().unwrap_or_default().iter().any(|p| {
                        matches(p)
                            && pod
                                .spec
                                .containers
                                .iter()
                                .any(|c| container_port(c, &target(p)) == Some(listen_port))
                    })
            })
        };
        if host == NODE_IP {
            if pod.env.get("NODE_IP").map(String::as_str) != Some("fieldRef:status.hostIP") {
                return Some("NODE_IP is not the node's IP from the downward API".into());
            }
            return (!single("NodePort", &|p| p.node_port == Some(port))).then(|| {
                format!("no NodePort Service selecting only this pod has node port {port}")
            });
        }
        match self.resolve(host) {
            Resolved::Pod(p) if p.name == pod.name => {
                (port != listen_port).then(|| format!("the listener is on port {listen_port}"))
            }
            Resolved::Pod(p) => Some(format!("that is the DNS name of pod `{}`", p.name)),
            Resolved::Service(_) => Some(
                "that is a Service shared by several pods, not this broker's own address".into(),
            ),
            Resolved::Nothing => Some("that name resolves to no rendered pod".into()),
            Resolved::External => (!single("LoadBalancer", &|p| p.port == port)
                && !single("NodePort", &|p| p.node_port == Some(port)))
            .then(|| {
                format!(
                    "no LoadBalancer or NodePort Service selecting only this pod serves port {port}"
                )
            }),
        }
    }

    fn zookeepers(&mut self) {
        let mut errors = Vec::new();
        for pod in &self.pods {
            let Some(servers) = pod.env.get("ZOOKEEPER_SERVERS") else {
                continue;
            };
            let who = format!("ZooKeeper `{}`", pod.name);
            let list: Vec<&str> = servers.split(';').collect();
            let id = pod
                .env
                .get("ZOOKEEPER_SERVER_ID")
                .and_then(|i| i.parse::<usize>().ok());
            let Some(id) = id.filter(|i| (1..=list.len()).contains(i)) else {
                errors.push(format!(
                    "{who}: ZOOKEEPER_SERVER_ID must be its 1-based position in ZOOKEEPER_SERVERS"
                ));
                continue;
            };
            let host = list[id - 1].split(':').next().unwrap_or_default();
            match self.resolve(host) {
                Resolved::Pod(p) if p.name == pod.name => {}
                _ => errors.push(format!(
                    "{who} has server id {id}, but entry {id} of ZOOKEEPER_SERVERS (`{host}`) is not this pod's DNS name"
                )),
            }
            for entry in &list {
                if !matches!(
                    self.resolve(entry.split(':').next().unwrap_or_default()),
                    Resolved::Pod(_)
                ) {
                    errors.push(format!(
                        "{who}: ZOOKEEPER_SERVERS entry `{entry}` is not a rendered pod's DNS name"
                    ));
                }
            }
        }
        errors.sort();
        errors.dedup();
        self.errors.extend(errors);
    }
}

impl Ctx<'_> {
    /// Every pod: requests and limits, probes, a restricted security context,
    /// and a PodDisruptionBudget that selects it.
    fn hardening(&mut self) {
        let budgets: Vec<(&Manifest, Labels)> = self
            .manifests
            .iter()
            .filter_map(|m| match &m.object {
                Object::PodDisruptionBudget(p) => Some((
                    m,
                    labels_of(&p.spec.as_ref()?.selector.as_ref()?.match_labels.clone()),
                )),
                _ => None,
            })
            .collect();
        let mut errors = Vec::new();
        for pod in &self.pods {
            let who = format!("{} (pod `{}`)", pod.owner, pod.name);
            if !budgets
                .iter()
                .any(|(m, sel)| ns(m) == pod.namespace && selects(sel, &pod.labels))
            {
                errors.push(format!("{who} has no PodDisruptionBudget"));
            }
            errors.extend(restricted(&who, pod.spec));
            for c in &pod.spec.containers {
                if c.readiness_probe.is_none() || c.liveness_probe.is_none() {
                    errors.push(format!(
                        "{who}, container `{}` needs readiness and liveness probes",
                        c.name
                    ));
                }
            }
        }
        for m in self.manifests {
            if let Object::Job(job) = &m.object
                && let Some(spec) = job.spec.as_ref().and_then(|s| s.template.spec.as_ref())
            {
                errors.extend(restricted(&format!("Job `{}`", m.name), spec));
            }
        }
        errors.sort();
        errors.dedup();
        self.errors.extend(errors);
    }

    /// KRaft: one cluster id and one voter list everywhere, unique node ids,
    /// every voter a controller pod listening where the list says, and
    /// controller-only pods neither advertised nor exposed.
    fn kraft(&mut self) {
        let nodes: Vec<&Pod> = self
            .pods
            .iter()
            .filter(|p| p.env.contains_key("KAFKA_PROCESS_ROLES"))
            .collect();
        let Some(first) = nodes.first() else {
            return;
        };
        let mut errors = Vec::new();
        for key in ["CLUSTER_ID", "KAFKA_CONTROLLER_QUORUM_VOTERS"] {
            let expected = first.env.get(key);
            if expected.is_none_or(String::is_empty) {
                errors.push(format!("KRaft node `{}` has no {key}", first.name));
            }
            for p in &nodes {
                if p.env.get(key) != expected {
                    errors.push(format!(
                        "KRaft nodes `{}` and `{}` disagree on {key}",
                        first.name, p.name
                    ));
                }
            }
        }
        let mut ids: HashMap<&str, &str> = HashMap::new();
        for p in &nodes {
            match p.env.get("KAFKA_NODE_ID") {
                None => errors.push(format!("KRaft node `{}` has no KAFKA_NODE_ID", p.name)),
                Some(id) => {
                    if let Some(other) = ids.insert(id, &p.name) {
                        errors.push(format!(
                            "KRaft nodes `{other}` and `{}` share node id {id}",
                            p.name
                        ));
                    }
                }
            }
            let roles = p
                .env
                .get("KAFKA_PROCESS_ROLES")
                .map(String::as_str)
                .unwrap_or("");
            let controller_name = p.env.get("KAFKA_CONTROLLER_LISTENER_NAMES");
            let has_protocol = p
                .env
                .get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP")
                .zip(controller_name)
                .is_some_and(|(map, name)| {
                    map.split(',').any(|e| e.split(':').next() == Some(name))
                });
            if !has_protocol {
                errors.push(format!(
                    "KRaft node `{}`: the controller listener {controller_name:?} has no security protocol",
                    p.name
                ));
            }
            if roles == "controller" {
                if p.env.contains_key("KAFKA_ADVERTISED_LISTENERS") {
                    errors.push(format!(
                        "controller `{}` must not set advertised listeners",
                        p.name
                    ));
                }
                let exposed = self.services().any(|(m, s)| {
                    let spec = s.spec.clone().unwrap_or_default();
                    matches!(spec.type_.as_deref(), Some("NodePort" | "LoadBalancer"))
                        && self
                            .pods_selected(ns(m), &labels_of(&spec.selector))
                            .iter()
                            .any(|q| q.name == p.name)
                });
                if exposed {
                    errors.push(format!(
                        "controller `{}` is exposed outside the cluster",
                        p.name
                    ));
                }
            }
        }
        let voters = first
            .env
            .get("KAFKA_CONTROLLER_QUORUM_VOTERS")
            .cloned()
            .unwrap_or_default();
        let mut voter_pods = BTreeSet::new();
        for voter in voters.split(',').filter(|v| !v.is_empty()) {
            let parsed = voter.split_once('@').and_then(|(id, addr)| {
                let (host, port) = addr.rsplit_once(':')?;
                Some((id, host, port.parse::<i32>().ok()?))
            });
            let Some((id, host, port)) = parsed else {
                errors.push(format!("quorum voter `{voter}` is not id@host:port"));
                continue;
            };
            let Resolved::Pod(pod) = self.resolve(host) else {
                errors.push(format!(
                    "quorum voter `{voter}`: `{host}` is not a rendered pod's DNS name"
                ));
                continue;
            };
            voter_pods.insert(pod.name.clone());
            let roles = pod
                .env
                .get("KAFKA_PROCESS_ROLES")
                .map(String::as_str)
                .unwrap_or("");
            if !roles.split(',').any(|r| r == "controller") {
                errors.push(format!(
                    "quorum voter `{voter}` names `{}`, which is not a controller",
                    pod.name
                ));
            }
            if pod.env.get("KAFKA_NODE_ID").map(String::as_str) != Some(id) {
                errors.push(format!(
                    "quorum voter `{voter}` names `{}`, whose node id is not {id}",
                    pod.name
                ));
            }
            let listens = pod
                .env
                .get("KAFKA_CONTROLLER_LISTENER_NAMES")
                .zip(pod.env.get("KAFKA_LISTENERS"))
                .is_some_and(|(name, listeners)| {
                    listeners
                        .split(',')
                        .filter_map(parse_listener)
                        .any(|(n, _, p)| n == name && p == port)
                });
            let open = pod
                .spec
                .containers
                .iter()
                .any(|c| container_port(c, &IntOrString::Int(port)).is_some());
            if !listens || !open {
                errors.push(format!(
                    "quorum voter `{voter}`: `{}` has no controller listener on port {port}",
                    pod.name
                ));
            }
        }
        for p in &nodes {
            let roles = p
                .env
                .get("KAFKA_PROCESS_ROLES")
                .map(String::as_str)
                .unwrap_or("");
            if roles.split(',').any(|r| r == "controller") && !voter_pods.contains(&p.name) {
                errors.push(format!(
                    "controller `{}` is not among the quorum voters",
                    p.name
                ));
            }
        }
        errors.sort();
        errors.dedup();
        self.errors.extend(errors);
    }
}

enum Resolved<'p, 'a> {
    Pod(&'p Pod<'a>),
    Service(&'a Service),
    /// A cluster DNS name that matches nothing rendered.
    Nothing,
    /// Not a cluster DNS name.
    External,
}

/// What a restricted pod must have: non-root, RuntimeDefault seccomp, no
/// service account token, and containers that cannot escalate, hold no
/// capabilities, write no root filesystem, and have requests and limits.
fn restricted(who: &str, spec: &PodSpec) -> Vec<String> {
    let mut errors = Vec::new();
    let psc = spec.security_context.clone().unwrap_or_default();
    if psc.run_as_non_root != Some(true) {
        errors.push(format!("{who} does not set runAsNonRoot"));
    }
    let seccomp = psc.seccomp_profile.as_ref().map(|p| p.type_.as_str());
    if seccomp != Some("RuntimeDefault") {
        errors.push(format!("{who} has no RuntimeDefault seccomp profile"));
    }
    if spec.automount_service_account_token != Some(false) {
        errors.push(format!("{who} mounts a service account token"));
    }
    let init = spec.init_containers.as_deref().unwrap_or_default();
    for c in spec.containers.iter().chain(init) {
        let what = format!("{who}, container `{}`", c.name);
        let sc = c.security_context.clone().unwrap_or_default();
        let drops_all = sc
            .capabilities
            .as_ref()
            .and_then(|c| c.drop.as_ref())
            .is_some_and(|d| d.iter().any(|x| x == "ALL"));
        if sc.allow_privilege_escalation != Some(false)
            || sc.read_only_root_filesystem != Some(true)
            || !drops_all
            || sc.privileged == Some(true)
        {
            errors.push(format!("{what}: the security context must forbid privilege escalation, drop all capabilities and make the root filesystem read-only"));
        }
        let r = c.resources.clone().unwrap_or_default();
        let requests = r.requests.unwrap_or_default();
        let limits = r.limits.unwrap_or_default();
        if !(requests.contains_key("cpu")
            && requests.contains_key("memory")
            && limits.contains_key("memory"))
        {
            errors.push(format!(
                "{what} needs cpu and memory requests and a memory limit"
            ));
        }
    }
    errors
}

/// An IANA service name, as Kubernetes requires of port names.
fn is_port_name(s: &str) -> bool {
    s.len() <= MAX_PORT_NAME
        && is_dns_label(s)
        && s.bytes().any(|b| b.is_ascii_lowercase())
        && !s.contains("--")
}

/// `NAME://host:port`
fn parse_listener(entry: &str) -> Option<(&str, &str, i32)> {
    let (name, rest) = entry.split_once("://")?;
    let (host, port) = rest.rsplit_once(':')?;
    Some((name, host, port.parse().ok()?))
}
