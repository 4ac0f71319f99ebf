//! The manifests to boot, read as kafkagen's `check --against` reads
//! committed manifests (a YAML stream, a JSON `List` or a directory), and
//! the pods their workloads make, named and labelled as the StatefulSet,
//! Deployment and Job controllers name and label them.

use anyhow::{Context, Result, bail};
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{ConfigMap, PodSpec, PodTemplateSpec, Secret, Service};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

pub type Labels = BTreeMap<String, String>;

/// Every object of the render, by kind.
pub struct Objects {
    pub namespace: String,
    pub services: Vec<Service>,
    pub config_maps: Vec<ConfigMap>,
    pub secrets: Vec<Secret>,
    pub statefulsets: Vec<StatefulSet>,
    pub deployments: Vec<Deployment>,
    pub jobs: Vec<Job>,
    /// Not started with the rest: the harness makes their Jobs when a
    /// check needs a run ([`cron_job_run`]).
    pub cron_jobs: Vec<CronJob>,
    /// Kinds the harness reads but does not act on (NetworkPolicy, ...).
    pub others: Vec<(String, String)>,
    /// Every object as read: (kind, name) -> value.
    pub values: BTreeMap<(String, String), Value>,
}

impl Objects {
    /// The pod template of every StatefulSet, Deployment and Job.
    pub fn pod_specs(&self) -> Vec<PodSpec> {
        self.statefulsets
            .iter()
            .filter_map(|s| s.spec.as_ref()?.template.spec.clone())
            .chain(
                self.deployments
                    .iter()
                    .filter_map(|d| d.spec.as_ref()?.template.spec.clone()),
            )
            .chain(
                self.jobs
                    .iter()
                    .filter_map(|j| j.spec.as_ref()?.template.spec.clone()),
            )
            .chain(self.cron_jobs.iter().filter_map(|c| {
                c.spec
                    .as_ref()?
                    .job_template
                    .spec
                    .as_ref()?
                    .template
                    .spec
                    .clone()
            }))
            .collect()
    }
}

pub fn load(path: &Path) -> Result<Objects> {
    let mut sources = kafkagen::source::Sources::default();
    let objects = kafkagen::change::committed::read(path, &mut sources).map_err(|diags| {
        let text: Vec<String> = diags.iter().map(|d| d.message.clone()).collect();
        anyhow::anyhow!("cannot read {}: {}", path.display(), text.join("; "))
    })?;
    from_values(
        objects
            .into_iter()
            .map(|o| (o.key.kind, o.key.namespace, o.key.name, o.value))
            .collect(),
    )
}

/// Objects from (kind, namespace, name, value).
pub fn from_values(values: Vec<(String, Option<String>, String, Value)>) -> Result<Objects> {
    let mut o = Objects {
        namespace: String::new(),
        services: Vec::new(),
        config_maps: Vec::new(),
        secrets: Vec::new(),
        statefulsets: Vec::new(),
        deployments: Vec::new(),
        jobs: Vec::new(),
        cron_jobs: Vec::new(),
        others: Vec::new(),
        values: BTreeMap::new(),
    };
    let mut namespaces = std::collections::BTreeSet::new();
    for (kind, namespace, name, v) in values {
        if let Some(ns) = &namespace {
            namespaces.insert(ns.clone());
        }
        let what = || format!("{kind} {name}");
        o.values.insert((kind.clone(), name.clone()), v.clone());
        match kind.as_str() {
            "Service" => o.services.push(typed(v).with_context(what)?),
            "ConfigMap" => o.config_maps.push(typed(v).with_context(what)?),
            "Secret" => o.secrets.push(typed(v).with_context(what)?),
            "StatefulSet" => o.statefulsets.push(typed(v).with_context(what)?),
            "Deployment" => o.deployments.push(typed(v).with_context(what)?),
            "Job" => o.jobs.push(typed(v).with_context(what)?),
            "CronJob" => o.cron_jobs.push(typed(v).with_context(what)?),
            "Pod" | "DaemonSet" | "ReplicaSet" => {
                bail!(
                    "{}: the harness boots StatefulSets, Deployments, Jobs and CronJobs only",
                    what()
                )
            }
            _ => o.others.push((kind.clone(), name.clone())),
        }
    }
    match namespaces.len() {
        0 => o.namespace = "default".into(),
        1 => o.namespace = namespaces.into_iter().next().unwrap(),
        _ => bail!(
            "objects in several namespaces ({:?}): the harness boots one namespace",
            namespaces
        ),
    }
    Ok(o)
}

fn typed<T: DeserializeOwned>(v: Value) -> Result<T> {
    Ok(serde_json::from_value(v)?)
}

/// What made a pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    StatefulSet(String),
    Deployment(String),
    Job(String),
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Owner::StatefulSet(n) => write!(f, "StatefulSet {n}"),
            Owner::Deployment(n) => write!(f, "Deployment {n}"),
            Owner::Job(n) => write!(f, "Job {n}"),
        }
    }
}

/// One pod as its controller would create it.
#[derive(Debug, Clone)]
pub struct PodDef {
    pub name: String,
    pub owner: Owner,
    pub labels: Labels,
    pub annotations: Labels,
    pub spec: PodSpec,
    /// The pod's hostname and, with a subdomain, its DNS name's middle part.
    pub hostname: String,
    pub subdomain: Option<String>,
    /// Volume name -> PersistentVolumeClaim name, for claims made from
    /// volumeClaimTemplates and for `persistentVolumeClaim` volumes.
    pub claims: BTreeMap<String, String>,
}

fn template_of(t: &PodTemplateSpec) -> (Labels, Labels, PodSpec) {
    let meta = t.metadata.clone().unwrap_or_default();
    (
        meta.labels.unwrap_or_default(),
        meta.annotations.unwrap_or_default(),
        t.spec.clone().unwrap_or_default(),
    )
}

/// FNV-1a, 64 bits: stable across runs and machines.
pub fn fnv(text: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// A short stable digest, in the alphabet Kubernetes uses for generated
/// names (no vowels, so no words).
pub fn short_hash(text: &str, len: usize) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let h = fnv(text);
    (0..len)
        .map(|i| {
            let x = h.rotate_left((i * 7) as u32) % ALPHABET.len() as u64;
            ALPHABET[x as usize] as char
        })
        .collect()
}

fn claims_of(spec: &PodSpec) -> BTreeMap<String, String> {
    spec.volumes
        .iter()
        .flatten()
        .filter_map(|v| {
            v.persistent_volume_claim
                .as_ref()
                .map(|c| (v.name.clone(), c.claim_name.clone()))
        })
        .collect()
}

/// The pods of a StatefulSet with `replicas` replicas.
pub fn statefulset_pods(s: &StatefulSet, replicas: Option<i32>) -> Result<Vec<PodDef>> {
    let name = s
        .metadata
        .name
        .clone()
        .context("a StatefulSet without a name")?;
    let spec = s.spec.clone().context("a StatefulSet without a spec")?;
    let (labels, annotations, pod) = template_of(&spec.template);
    let hash = short_hash(&serde_json::to_string(&spec.template)?, 10);
    let count = replicas.or(spec.replicas).unwrap_or(1).max(0) as u32;
    let start = spec
        .ordinals
        .as_ref()
        .and_then(|o| o.start)
        .unwrap_or(0)
        .max(0) as u32;
    let mut pods = Vec::new();
    for ordinal in start..start + count {
        let pod_name = format!("{name}-{ordinal}");
        let mut l = labels.clone();
        l.insert("controller-revision-hash".into(), format!("{name}-{hash}"));
        l.insert(
            "statefulset.kubernetes.io/pod-name".into(),
            pod_name.clone(),
        );
        l.insert("apps.kubernetes.io/pod-index".into(), ordinal.to_string());
        let mut claims = claims_of(&pod);
        for t in spec.volume_claim_templates.iter().flatten() {
            let t_name = t
                .metadata
                .name
                .clone()
                .context("a claim template without a name")?;
            claims.insert(t_name.clone(), format!("{t_name}-{pod_name}"));
        }
        pods.push(PodDef {
            hostname: pod_name.clone(),
            subdomain: Some(spec.service_name.clone().unwrap_or_default()),
            name: pod_name,
            owner: Owner::StatefulSet(name.clone()),
            labels: l,
            annotations: annotations.clone(),
            spec: pod.clone(),
            claims,
        });
    }
    Ok(pods)
}

pub fn deployment_pods(d: &Deployment) -> Result<Vec<PodDef>> {
    let name = d
        .metadata
        .name
        .clone()
        .context("a Deployment without a name")?;
    let spec = d.spec.clone().context("a Deployment without a spec")?;
    let (labels, annotations, pod) = template_of(&spec.template);
    let hash = short_hash(&serde_json::to_string(&spec.template)?, 10);
    let count = spec.replicas.unwrap_or(1).max(0) as u32;
    Ok((0..count)
        .map(|i| {
            let pod_name = format!("{name}-{hash}-{}", short_hash(&format!("{hash}/{i}"), 5));
            let mut l = labels.clone();
            l.insert("pod-template-hash".into(), hash.clone());
            PodDef {
                hostname: pod.hostname.clone().unwrap_or_else(|| pod_name.clone()),
                subdomain: pod.subdomain.clone(),
                name: pod_name,
                owner: Owner::Deployment(name.clone()),
                labels: l,
                annotations: annotations.clone(),
                claims: claims_of(&pod),
                spec: pod.clone(),
            }
        })
        .collect())
}

/// The Job a CronJob makes for its run number `run`, as its controller
/// makes it: the Job template's labels and spec, under a name of the
/// CronJob's.
pub fn cron_job_run(c: &CronJob, run: u32) -> Result<Job> {
    let name = c
        .metadata
        .name
        .clone()
        .context("a CronJob without a name")?;
    let template = c
        .spec
        .as_ref()
        .map(|s| s.job_template.clone())
        .context("a CronJob without a spec")?;
    let mut metadata = template.metadata.unwrap_or_default();
    metadata.name = Some(format!("{name}-{run}"));
    metadata.namespace = c.metadata.namespace.clone();
    Ok(Job {
        metadata,
        spec: template.spec,
        status: None,
    })
}

/// The pod of one run of a Job; `run` tells runs apart.
pub fn job_pod(j: &Job, run: u32) -> Result<PodDef> {
    let name = j.metadata.name.clone().context("a Job without a name")?;
    let spec = j.spec.clone().context("a Job without a spec")?;
    let (mut labels, annotations, pod) = template_of(&spec.template);
    labels.insert("batch.kubernetes.io/job-name".into(), name.clone());
    labels.insert("job-name".into(), name.clone());
    let pod_name = format!("{name}-{}", short_hash(&format!("{name}/{run}"), 5));
    Ok(PodDef {
        hostname: pod.hostname.clone().unwrap_or_else(|| pod_name.clone()),
        subdomain: pod.subdomain.clone(),
        name: pod_name,
        owner: Owner::Job(name),
        labels,
        annotations,
        claims: claims_of(&pod),
        spec: pod,
    })
}

/// Whether a Service's selector selects `labels`. An empty one selects
/// nothing: such a Service gets no endpoints from the controller.
pub fn service_selects(selector: &Labels, labels: &Labels) -> bool {
    !selector.is_empty() && matches_labels(selector, labels)
}

/// Whether a label selector's `matchLabels` (a PodMonitor's, a
/// NetworkPolicy's) selects `labels`. An empty one selects every pod.
pub fn matches_labels(match_labels: &Labels, labels: &Labels) -> bool {
    match_labels.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// A Job container's environment variable.
pub fn job_env(job: &Job, name: &str) -> Option<String> {
    job.spec
        .as_ref()?
        .template
        .spec
        .as_ref()?
        .containers
        .iter()
        .flat_map(|c| c.env.iter().flatten())
        .find(|e| e.name == name)?
        .value
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn statefulset_pods_are_named_and_labelled_as_the_controller_does() {
        let sts: StatefulSet = serde_json::from_value(json!({"metadata": {"name": "kafka"},
            "spec": {"replicas": 2, "serviceName": "kafka-headless", "selector": {},
              "template": {"metadata": {"labels": {"app": "k"}}, "spec": {"containers": []}},
              "volumeClaimTemplates": [{"metadata": {"name": "data"}}]}}))
        .unwrap();
        let pods = statefulset_pods(&sts, None).unwrap();
        assert_eq!(pods.len(), 2);
        let p = &pods[1];
        assert_eq!(p.name, "kafka-1");
        assert_eq!(p.hostname, "kafka-1");
        assert_eq!(p.subdomain.as_deref(), Some("kafka-headless"));
        assert_eq!(p.labels["apps.kubernetes.io/pod-index"], "1");
        assert_eq!(p.labels["statefulset.kubernetes.io/pod-name"], "kafka-1");
        assert_eq!(p.claims["data"], "data-kafka-1");
        assert_eq!(statefulset_pods(&sts, Some(3)).unwrap().len(), 3);
    }

    #[test]
    fn an_empty_selector_selects_nothing() {
        let labels = Labels::from([("a".to_string(), "1".to_string())]);
        assert!(service_selects(&labels, &labels));
        assert!(!service_selects(&Labels::new(), &labels));
        assert!(matches_labels(&Labels::new(), &labels));
        assert!(!service_selects(
            &Labels::from([("a".to_string(), "2".to_string())]),
            &labels
        ));
    }
}
