//! What applying a change does (`check`): which pods roll, in which order;
//! which pods start or go; which changes need ordered steps (a listener's
//! protocol, the controller listener, authorization, a Kafka upgrade:
//! `protocol` and `versions`); which changes Kubernetes refuses (immutable
//! fields), with the steps that work; and which are unsafe for Kafka
//! (the KRaft voters, node ids, the cluster id, removing brokers or voters,
//! shrinking storage, a KRaft downgrade), which `check --update` writes only
//! when asked to. Like `kubectl diff` and `terraform plan`, offline: from the
//! committed and the rendered objects alone.

pub mod protocol;
pub mod versions;

use crate::change::committed::{Key, Object};
use crate::change::drift::key_of;
use crate::check::manifest::Manifest;
use serde_json::Value;
use std::collections::BTreeMap;

/// The verdict of a plan, in rising order of severity; `check` exits with
/// its code, so a gate can say `>= 4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// `kubectl apply` takes it safely in one roll.
    Safe,
    /// Safe only as ordered renders (or a render and a command): the steps
    /// are in the plan.
    Steps,
    /// Kubernetes refuses part of it.
    Refused,
    /// Kafka could lose data or availability, with no procedure.
    Unsafe,
}

impl Severity {
    /// 3 safe drift, 4 needs steps, 5 refused by Kubernetes, 6 unsafe for
    /// Kafka (0 in sync, 1 errors and 2 usage are not plans).
    pub fn exit_code(self) -> i32 {
        match self {
            Severity::Safe => 3,
            Severity::Steps => 4,
            Severity::Refused => 5,
            Severity::Unsafe => 6,
        }
    }

    /// What the verdict means, as the report's last line and `--update`'s
    /// refusal say it.
    pub fn verdict(self) -> &'static str {
        match self {
            Severity::Safe => "kubectl apply can take this change in one roll",
            Severity::Steps => "this change is safe only as the steps above, in order",
            Severity::Refused => "Kubernetes refuses part of this change: take the steps above",
            Severity::Unsafe => "this change is unsafe for Kafka",
        }
    }
}

#[derive(Debug, Default)]
pub struct Plan {
    /// Pods restarted, by workload: what happens, in order.
    pub rolls: Vec<String>,
    /// Pods started or stopped.
    pub scales: Vec<String>,
    /// (whose clients, what they must change): Kafka is fine, they are not.
    pub breaks_clients: Vec<(String, String)>,
    /// (what is safe only in steps, why and the steps in order).
    pub steps: Vec<(String, String)>,
    /// (what this roll leaves unfinished, and the step that finishes it):
    /// the roll itself is safe, but the change needs a later step too (a
    /// KRaft upgrade's `metadata.version`), so it is "needs steps" as well.
    pub then: Vec<(String, String)>,
    /// (what Kubernetes refuses, the steps that work).
    pub refused: Vec<(String, String)>,
    /// (what is unsafe for Kafka, why and what to do instead).
    pub unsafe_changes: Vec<(String, String)>,
    /// What the plan cannot tell or leaves for later (an unknown version,
    /// a pinned protocol to raise).
    pub notes: Vec<String>,
}

/// Adds an item once: brokers and controllers share listeners and images,
/// so two workloads can find the same thing.
fn once<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

impl Plan {
    pub fn severity(&self) -> Severity {
        if !self.unsafe_changes.is_empty() {
            Severity::Unsafe
        } else if !self.refused.is_empty() {
            Severity::Refused
        } else if !self.steps.is_empty() || !self.then.is_empty() {
            Severity::Steps
        } else {
            Severity::Safe
        }
    }

    /// The roll is safe on its own, and only steps after it are missing.
    pub fn safe_but_unfinished(&self) -> bool {
        self.unsafe_changes.is_empty()
            && self.refused.is_empty()
            && self.steps.is_empty()
            && !self.then.is_empty()
    }

    /// The plan as `check` prints it after the drift report.
    pub fn report(&self) -> String {
        let mut out = String::new();
        if !self.rolls.is_empty() || !self.scales.is_empty() {
            out += "\napplying it:\n";
            for l in self.scales.iter().chain(&self.rolls) {
                out += &format!("  {l}\n");
            }
        }
        let section = |out: &mut String, title: &str, items: &[(String, String)]| {
            if items.is_empty() {
                return;
            }
            *out += &format!("\n{title}:\n");
            for (what, how) in items {
                *out += &format!("  ! {what}\n");
                for l in how.lines() {
                    *out += &format!("      {l}\n");
                }
            }
        };
        section(&mut out, "breaks clients", &self.breaks_clients);
        section(&mut out, "needs steps", &self.steps);
        section(&mut out, "needs a step after this roll", &self.then);
        section(&mut out, "refused by Kubernetes", &self.refused);
        section(&mut out, "unsafe for Kafka", &self.unsafe_changes);
        if !self.notes.is_empty() {
            out += "\nnotes:\n";
            for n in &self.notes {
                out += &format!("  - {n}\n");
            }
        }
        let severity = self.severity();
        out += &format!("\n{} (exit {})\n", severity.verdict(), severity.exit_code());
        out
    }
}

/// StatefulSet spec fields that may change (the API server refuses the rest).
const STATEFULSET_MUTABLE: &[&str] = &[
    "replicas",
    "template",
    "updateStrategy",
    "ordinals",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
];

/// Per-pod settings that name a node: changing one for a running pod makes
/// it another node.
const IDS: &[&str] = &["KAFKA_NODE_ID", "KAFKA_BROKER_ID", "ZOOKEEPER_SERVER_ID"];

fn component(v: &Value) -> &str {
    v["metadata"]["labels"]["app.kubernetes.io/component"]
        .as_str()
        .unwrap_or("")
}

fn replicas(v: &Value) -> i64 {
    v["spec"]["replicas"].as_i64().unwrap_or(1)
}

/// `id@host` of each voter of `id@host:port,...`, in order.
fn voters_without_ports(voters: &str) -> Vec<&str> {
    voters
        .split(',')
        .map(|v| v.trim().rsplit_once(':').map_or(v.trim(), |(head, _)| head))
        .collect()
}

/// A container env value of a workload's pod template, by name.
fn env_of<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v["spec"]["template"]["spec"]["containers"]
        .as_array()?
        .iter()
        .flat_map(|c| c["env"].as_array().into_iter().flatten())
        .find(|e| e["name"] == name)
        .and_then(|e| e["value"].as_str())
}

/// `NAME=value` lines of a per-pod settings file.
fn settings(text: &str) -> BTreeMap<&str, &str> {
    text.lines().filter_map(|l| l.split_once('=')).collect()
}

/// The size of a quantity in bytes, for comparing storage requests.
fn bytes(q: &Value) -> Option<f64> {
    crate::validate::quantity::parse(q.as_str()?)
}

pub fn assess(committed: &[Object], rendered: &[Manifest]) -> Plan {
    let old: BTreeMap<&Key, &Value> = committed.iter().map(|o| (&o.key, &o.value)).collect();
    let new: BTreeMap<Key, &Value> = rendered.iter().map(|m| (key_of(m), &m.value)).collect();
    let mut plan = Plan::default();
    let (quorum_before, quorum_after) = (
        protocol::Quorum::of(old.values().copied()),
        protocol::Quorum::of(new.values().copied()),
    );
    let quorum = (&quorum_before, &quorum_after);
    for (key, n) in &new {
        let Some(o) = old.get(key) else { continue };
        match key.kind.as_str() {
            "StatefulSet" => {
                statefulset(&mut plan, key, o, n);
                kafka(&mut plan, o, n, quorum);
            }
            "Deployment" => {
                deployment(&mut plan, key, o, n);
                kafka(&mut plan, o, n, quorum);
            }
            "Job" if o["spec"]["template"] != n["spec"]["template"] => plan.refused.push((
                format!("{key}: a Job's pod template cannot change"),
                format!(
                    "delete it first: kubectl -n {} delete job {}, then apply",
                    key.namespace.as_deref().unwrap_or("default"),
                    key.name
                ),
            )),
            "ConfigMap" => settings_files(&mut plan, key, o, n),
            "Service" => {
                let (a, b) = (&o["spec"]["clusterIP"], &n["spec"]["clusterIP"]);
                if a != b && !(a.is_null() || b.is_null()) {
                    plan.refused.push((
                        format!("{key}: spec.clusterIP cannot change"),
                        "delete the Service, then apply".into(),
                    ));
                }
            }
            "PersistentVolumeClaim" => claim(&mut plan, key, o, n),
            _ => {}
        }
    }
    // Workloads that go away with their pods.
    for (key, o) in &old {
        if new.contains_key(*key) || key.kind != "StatefulSet" {
            continue;
        }
        let what = match component(o) {
            "zookeeper" => "the ZooKeeper ensemble",
            "controller" => "the KRaft controllers",
            "broker" => "the brokers",
            _ => continue,
        };
        plan.unsafe_changes.push((
            format!("{key} goes away: {what}, with every pod"),
            "moving between ZooKeeper and KRaft, or replacing a cluster, needs a migration; the claims stay".into(),
        ));
    }
    plan
}

/// What a Kafka workload's change does to Kafka itself: its listeners and
/// authorizer (`protocol`) and the Kafka version its image runs (`versions`).
/// Workloads without `KAFKA_LISTENERS` (ZooKeeper, anything else) have none.
fn kafka(plan: &mut Plan, o: &Value, n: &Value, quorum: (&protocol::Quorum, &protocol::Quorum)) {
    if let (Some(a), Some(b)) = (protocol::read(o), protocol::read(n)) {
        protocol::compare(plan, &a, &b, quorum);
        if a.broker && b.broker {
            versions::compare(plan, &versions::read(o), &versions::read(n));
        }
    }
}

fn statefulset(plan: &mut Plan, key: &Key, o: &Value, n: &Value) {
    let ns = key.namespace.as_deref().unwrap_or("default");
    let name = &key.name;
    // Fields the API server refuses to change.
    let mut immutable = Vec::new();
    let keys: std::collections::BTreeSet<&String> = o["spec"]
        .as_object()
        .into_iter()
        .chain(n["spec"].as_object())
        .flat_map(|m| m.keys())
        .collect();
    for k in keys {
        if !STATEFULSET_MUTABLE.contains(&k.as_str()) && o["spec"][k] != n["spec"][k] {
            immutable.push(k.clone());
        }
    }
    let (was, will) = (replicas(o), replicas(n));
    for k in &immutable {
        if k == "volumeClaimTemplates" {
            claim_templates(plan, key, o, n, was.min(will));
        } else {
            plan.refused.push((
                format!("{key}: spec.{k} cannot change"),
                format!(
                    "replace the StatefulSet and keep its pods and claims:\n\
                     kubectl -n {ns} delete statefulset {name} --cascade=orphan, then apply"
                ),
            ));
        }
    }
    // Pods started or stopped.
    if will > was {
        let pods: Vec<String> = (was..will).map(|i| format!("{name}-{i}")).collect();
        plan.scales
            .push(format!("starts {} ({key})", pods.join(", ")));
    } else if will < was {
        let pods: Vec<String> = (will..was).rev().map(|i| format!("{name}-{i}")).collect();
        plan.scales
            .push(format!("stops {} ({key})", pods.join(", ")));
        let why = match component(n) {
            "broker" => Some(
                "the partitions they hold lose replicas, and any they alone hold go offline: move them first with kafka-reassign-partitions, then remove the brokers",
            ),
            "controller" => Some(
                "a static KRaft quorum cannot lose voters by scaling down (KIP-853): the remaining controllers keep the old voter set",
            ),
            "zookeeper" => {
                Some("the remaining servers keep the old ensemble and may lose their quorum")
            }
            _ => None,
        };
        if let Some(why) = why {
            plan.unsafe_changes.push((
                format!(
                    "{key}: {was} -> {will} replicas removes {}",
                    pods.join(", ")
                ),
                why.into(),
            ));
        }
    }
    // The quorum and the cluster's identity.
    for (var, why) in [
        (
            "KAFKA_CONTROLLER_QUORUM_VOTERS",
            "a static KRaft voter set cannot change by editing it and rolling the nodes (KIP-853): nodes with different voter sets do not form one quorum. Keep the voters as they are; to grow a combined cluster, add brokers beside dedicated controllers (`kraft.controllers`) in a new cluster and move the topics",
        ),
        (
            "CLUSTER_ID",
            "nodes with storage formatted for the old cluster id refuse to start",
        ),
        (
            "ZOOKEEPER_SERVERS",
            "a rolled server with the new ensemble and the others with the old one can form two quorums; change the ensemble with ZooKeeper's dynamic reconfiguration",
        ),
    ] {
        let (a, b) = (env_of(o, var), env_of(n, var));
        // The voters at another port of the same hosts, with the quorum
        // reached by another listener: a move the listeners' rules judge.
        fn first(v: &Value) -> Option<&str> {
            env_of(v, "KAFKA_CONTROLLER_LISTENER_NAMES")
                .and_then(|names| names.split(',').next())
                .map(str::trim)
        }
        if var == "KAFKA_CONTROLLER_QUORUM_VOTERS"
            && first(o) != first(n)
            && a.zip(b)
                .is_some_and(|(a, b)| voters_without_ports(a) == voters_without_ports(b))
        {
            continue;
        }
        if a.is_some() && a != b {
            plan.unsafe_changes
                .push((format!("{key}: {var} changes"), why.into()));
        }
    }
    // Running pods restart when their template changes.
    let running = was.min(will);
    if o["spec"]["template"] != n["spec"]["template"] && running > 0 {
        let pods: Vec<String> = (0..running).rev().map(|i| format!("{name}-{i}")).collect();
        let how = match n["spec"]["updateStrategy"]["type"].as_str() {
            Some("OnDelete") => "when each is deleted",
            _ => "one at a time, each after the one before is ready",
        };
        plan.rolls
            .push(format!("rolls {} ({key}), {how}", pods.join(", ")));
    }
}

/// Storage requests of a StatefulSet's claim templates: growing them works
/// on the claims themselves; shrinking is not possible.
fn claim_templates(plan: &mut Plan, key: &Key, o: &Value, n: &Value, running: i64) {
    let ns = key.namespace.as_deref().unwrap_or("default");
    let name = &key.name;
    let sizes = |v: &Value| -> BTreeMap<String, Value> {
        v["spec"]["volumeClaimTemplates"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| {
                (
                    t["metadata"]["name"].as_str().unwrap_or("").to_string(),
                    t["spec"]["resources"]["requests"]["storage"].clone(),
                )
            })
            .collect()
    };
    let (a, b) = (sizes(o), sizes(n));
    let strip = |v: &Value| {
        let mut t = v["spec"]["volumeClaimTemplates"].clone();
        for item in t.as_array_mut().into_iter().flatten() {
            item["spec"]["resources"]["requests"]["storage"] = Value::Null;
        }
        t
    };
    let only_sizes = a.keys().eq(b.keys()) && strip(o) == strip(n);
    let mut grows = Vec::new();
    for (tmpl, size) in &b {
        let before = &a[tmpl];
        match (bytes(before), bytes(size)) {
            (Some(x), Some(y)) if y < x => plan.unsafe_changes.push((
                format!("{key}: the `{tmpl}` claims shrink from {} to {}", before.as_str().unwrap_or("?"), size.as_str().unwrap_or("?")),
                "a claim cannot shrink: the data would have to move to new brokers with smaller volumes first".into(),
            )),
            (Some(x), Some(y)) if y > x => grows.push((tmpl.clone(), size.as_str().unwrap_or("").to_string())),
            _ => {}
        }
    }
    if only_sizes && !grows.is_empty() {
        let mut steps = String::from(
            "grow each claim (its StorageClass must allow volume expansion), then replace the StatefulSet, keeping its pods:\n",
        );
        for (tmpl, size) in &grows {
            for i in 0..running {
                steps += &format!(
                    "kubectl -n {ns} patch pvc {tmpl}-{name}-{i} -p '{{\"spec\":{{\"resources\":{{\"requests\":{{\"storage\":\"{size}\"}}}}}}}}'\n"
                );
            }
        }
        steps += &format!("kubectl -n {ns} delete statefulset {name} --cascade=orphan, then apply");
        plan.refused.push((
            format!("{key}: spec.volumeClaimTemplates cannot change"),
            steps,
        ));
    } else if !only_sizes {
        plan.refused.push((
            format!("{key}: spec.volumeClaimTemplates cannot change"),
            format!(
                "new claims need new pods: replace the StatefulSet with kubectl -n {ns} delete statefulset {name} --cascade=orphan, then apply; existing claims keep their old settings"
            ),
        ));
    }
}

fn deployment(plan: &mut Plan, key: &Key, o: &Value, n: &Value) {
    if o["spec"]["selector"] != n["spec"]["selector"] {
        plan.refused.push((
            format!("{key}: spec.selector cannot change"),
            "delete the Deployment, then apply".into(),
        ));
    }
    if o["spec"]["template"] != n["spec"]["template"] {
        let how = match n["spec"]["strategy"]["type"].as_str() {
            Some("Recreate") => "stops its pod, then starts a new one",
            _ => "replaces its pods",
        };
        plan.rolls.push(format!("{key}: {how}"));
    }
}

/// The per-pod settings files: a running pod's node id must not change.
fn settings_files(plan: &mut Plan, key: &Key, o: &Value, n: &Value) {
    let (Some(a), Some(b)) = (o["data"].as_object(), n["data"].as_object()) else {
        return;
    };
    for (file, before) in a {
        let (Some(before), Some(after)) = (before.as_str(), b.get(file).and_then(Value::as_str))
        else {
            continue;
        };
        let (x, y) = (settings(before), settings(after));
        for id in IDS {
            if let (Some(p), Some(q)) = (x.get(id), y.get(id))
                && p != q
            {
                plan.unsafe_changes.push((
                    format!("{key}: {file} changes {id} from {p} to {q}"),
                    "a pod with data under one node id must not come back as another".into(),
                ));
            }
        }
    }
}

/// A standalone claim (a Deployment's): it can grow, not shrink.
fn claim(plan: &mut Plan, key: &Key, o: &Value, n: &Value) {
    let size = |v: &Value| v["spec"]["resources"]["requests"]["storage"].clone();
    match (bytes(&size(o)), bytes(&size(n))) {
        (Some(x), Some(y)) if y < x => plan.unsafe_changes.push((
            format!("{key}: shrinks"),
            "a claim cannot shrink; Kubernetes refuses it".into(),
        )),
        (Some(x), Some(y)) if y > x => plan.rolls.push(format!(
            "{key}: grows, if its StorageClass allows volume expansion"
        )),
        _ => {}
    }
    if o["spec"]["storageClassName"] != n["spec"]["storageClassName"] {
        plan.refused.push((
            format!("{key}: spec.storageClassName cannot change"),
            "a new class needs a new claim: copy the data over".into(),
        ));
    }
}
