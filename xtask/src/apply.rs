//! `--apply RENDER` (repeatable): after the boot's checks, each render is
//! applied in turn as `kubectl apply` and Kubernetes' controllers would
//! take it, under continuous clients, and the cluster is checked again.
//!
//! What the controllers do here (docs/live-boot.md, "Day 2: apply"): changed
//! ConfigMaps and Secrets reach the files of running pods after the
//! kubelet's sync delay (env never changes in a running pod); a StatefulSet
//! whose pod template changed is rolled by its `updateStrategy`
//! (RollingUpdate: highest ordinal first, one pod at a time, the next only
//! after every pod of the set is ready and the replaced one has been for
//! `minReadySeconds`; OnDelete: nothing restarts); several StatefulSets
//! roll at the same time; new pods of a grown StatefulSet start, those of
//! a shrunk one stop from the highest ordinal; a changed Deployment's pod
//! is replaced; new Jobs run; workloads missing from the new render go.

use crate::checks::{self, kafka_nodes};
use crate::client::{Client, field};
use crate::cluster::services_of;
use crate::objects::{self, Objects, Owner, PodDef};
use crate::session::{RECORDS, Session, TOPIC};
use crate::{jobs, listeners};
use anyhow::{Context, Result};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

/// The topic the clients write and read through a roll: replication
/// factor 3 and min ISR 2 where there are three brokers, the shape
/// Strimzi's upgrade tests use.
pub const ROLL_TOPIC: &str = "kafkagen-roll";

/// How long after `kubectl apply` a running pod's mounted ConfigMap and
/// Secret files change. The kubelet's is about a minute (its sync period
/// plus its cache's); the harness takes less, and the summary says so.
pub const SYNC_DELAY: Duration = Duration::from_secs(10);

/// The longest wait between two acknowledged records a roll may cause: a
/// leader moving away from a stopping broker costs the producer a metadata
/// refresh, a partition below min ISR costs it retries until the replaced
/// broker is back.
const STALL_BOUND_MS: u64 = 5000;

/// How long one pod of a roll may take to become ready before the roll
/// counts as stuck (the StatefulSet controller would wait forever).
const POD_TIMEOUT: Duration = Duration::from_secs(600);

/// One StatefulSet's rolling update, as its controller runs it.
struct Roll {
    statefulset: String,
    /// Pods still to replace, the next first.
    queue: Vec<String>,
    /// The pod being replaced, when it was created and since when it is
    /// ready.
    current: Option<(String, Instant, Option<Instant>)>,
    min_ready: Duration,
    /// Pods replaced, in order.
    done: Vec<String>,
    /// Whether its pods are brokers: before it replaces the next pod, every
    /// replica of the roll's topic must be back in its partition's ISR.
    brokers: bool,
    /// Moves on checked so, and what was out of the ISR at each early one.
    moves: usize,
    early: Vec<String>,
    unanswered: usize,
}

/// The pod definitions the new objects make, by pod name.
fn pod_defs(objects: &Objects) -> Result<BTreeMap<String, PodDef>> {
    let mut out = BTreeMap::new();
    for st in &objects.statefulsets {
        for d in objects::statefulset_pods(st, None)? {
            out.insert(d.name.clone(), d);
        }
    }
    for d in &objects.deployments {
        for p in objects::deployment_pods(d)? {
            out.insert(p.name.clone(), p);
        }
    }
    Ok(out)
}

fn value<'a>(objects: &'a Objects, kind: &str, name: &str) -> Option<&'a Value> {
    objects.values.get(&(kind.to_string(), name.to_string()))
}

/// Whether a live pod was made from `def`: the same template and labels.
fn runs(pod: &PodDef, def: &PodDef) -> bool {
    pod.labels == def.labels
        && serde_json::to_value(&pod.spec).ok() == serde_json::to_value(&def.spec).ok()
}

/// What readiness promises a roll of brokers: the next broker stops only
/// when the one replaced before it is back in every ISR (partition:broker
/// pairs out of it are named, for the roll's topic).
fn in_sync_check(s: &mut Session, what: &str, r: &Roll, topic: &str) {
    if !r.brokers || r.moves == 0 {
        return;
    }
    let head = format!(
        "{what}: {} replaced the next broker only when every replica of {topic} was in its ISR",
        r.statefulset
    );
    if !r.early.is_empty() {
        s.report.fail(format!(
            "{head}: {} of {} moves were early, stopping {}",
            r.early.len(),
            r.moves,
            r.early.join("; ")
        ));
    } else if r.unanswered > 0 {
        s.report.skip(format!(
            "{head}: {} of {} moves unchecked (the ISR query did not answer)",
            r.unanswered, r.moves
        ));
    } else {
        s.report.pass(format!("{head} ({} moves)", r.moves));
    }
}

/// Starts the continuous clients on a new `topic` of replication factor 3
/// and min ISR 2 (fewer with fewer brokers), records keyed by `tag`;
/// `false` (and a failure) when the topic cannot be made.
pub fn load_start(
    s: &mut Session,
    inside: &mut Client,
    bootstrap: &str,
    what: &str,
    topic: &str,
    tag: &str,
) -> Result<bool> {
    let brokers = kafka_nodes(&s.cluster).iter().filter(|n| n.broker).count() as u32;
    let rf = brokers.min(3);
    let min_isr = if rf >= 3 { 2 } else { 1 };
    if let Err(e) = inside.call(&format!(
        "create {bootstrap} {topic} {} {rf} min.insync.replicas={min_isr}",
        brokers.max(1) * 2
    )) {
        s.report.fail(format!("{what}: create {topic}: {e:#}"));
        return Ok(false);
    }
    inside.call(&format!("load-start {bootstrap} {topic} {tag} {min_isr}"))?;
    eprintln!("  {what}: clients running on {topic} (replication factor {rf}, min ISR {min_isr})");
    s.wait(Duration::from_secs(5))?;
    Ok(true)
}

/// Applies one render; `false` when it could not go on (the render does
/// not fit the cluster, or its roll is stuck), and later renders are not
/// applied.
pub fn run(
    s: &mut Session,
    inside: &mut Client,
    bootstrap: &str,
    path: &Path,
    nth: usize,
) -> Result<bool> {
    let what = format!("apply {nth} ({})", path.display());
    let mut new = objects::load(path)?;
    if new.namespace != s.cluster.objects.namespace {
        s.report.fail(format!(
            "{what}: the render is for namespace {}, the cluster runs in {}",
            new.namespace, s.cluster.objects.namespace
        ));
        return Ok(false);
    }
    let work = s.cluster.work.clone();
    crate::tls::carry_over(&s.cluster.objects, &mut new, &work, &mut s.issued)?;
    let brokers = kafka_nodes(&s.cluster).iter().filter(|n| n.broker).count() as u32;
    let topic = format!("{ROLL_TOPIC}-{nth}");
    if !load_start(s, inside, bootstrap, &what, &topic, &format!("roll{nth}"))? {
        return Ok(false);
    }
    let applied = Instant::now();

    let old = std::mem::replace(&mut s.cluster.objects, new);
    let new = &s.cluster.objects;
    let defs = pod_defs(new)?;

    // ConfigMaps and Secrets whose data changed: their files change in the
    // running pods that mount them, after the kubelet's sync delay.
    let mut changed_sources = Vec::new();
    for ((kind, name), v) in &new.values {
        if (kind == "ConfigMap" || kind == "Secret")
            && value(&old, kind, name).is_some_and(|o| o != v)
        {
            changed_sources.push((kind.clone(), name.clone()));
        }
    }
    // Jobs: new ones run; one whose pod template changed is refused.
    let mut new_jobs = Vec::new();
    for j in &new.jobs {
        let name = j.metadata.name.clone().unwrap_or_default();
        let template =
            |objects: &Objects| value(objects, "Job", &name).map(|v| v["spec"]["template"].clone());
        match template(&old) {
            None => new_jobs.push(j.clone()),
            Some(o) if Some(&o) != template(new).as_ref() => {
                s.report.fail(format!(
                    "{what}: kubectl apply refuses Job {name}: its pod template changed"
                ));
            }
            Some(_) => {}
        }
    }
    // Workloads: what goes, what starts, what rolls.
    let mut stop = Vec::new();
    let mut start = Vec::new();
    let mut rolls = Vec::new();
    let live: Vec<PodDef> = s
        .cluster
        .live_pods()
        .filter(|p| !matches!(p.def.owner, Owner::Job(_)))
        .map(|p| p.def.clone())
        .collect();
    for pod in &live {
        match (&pod.owner, defs.get(&pod.name)) {
            (_, None) => stop.push(pod.name.clone()),
            (Owner::Deployment(_), Some(d)) if !runs(pod, d) => {
                stop.push(pod.name.clone());
                start.push(d.clone());
            }
            _ => {}
        }
    }
    let live_names: BTreeSet<&str> = live.iter().map(|p| p.name.as_str()).collect();
    for d in defs.values() {
        if !live_names.contains(d.name.as_str()) {
            start.push(d.clone());
        }
    }
    let broker_sets: BTreeSet<String> = kafka_nodes(&s.cluster)
        .iter()
        .filter(|n| n.broker)
        .filter_map(|n| match &n.pod.def.owner {
            Owner::StatefulSet(set) => Some(set.clone()),
            _ => None,
        })
        .collect();
    for st in &new.statefulsets {
        let name = st.metadata.name.clone().unwrap_or_default();
        let spec = st.spec.as_ref().context("a StatefulSet without a spec")?;
        let strategy = spec
            .update_strategy
            .as_ref()
            .and_then(|u| u.type_.clone())
            .unwrap_or_else(|| "RollingUpdate".into());
        let mut queue: Vec<&PodDef> = live
            .iter()
            .filter(|p| p.owner == Owner::StatefulSet(name.clone()))
            .filter(|p| defs.get(&p.name).is_some_and(|d| !runs(p, d)))
            .collect();
        if queue.is_empty() {
            continue;
        }
        if strategy == "OnDelete" {
            s.report.skip(format!(
                "{what}: {name} updates OnDelete: its pods keep the old template until deleted"
            ));
            continue;
        }
        // Highest ordinal first.
        queue.sort_by_key(|p| {
            std::cmp::Reverse(
                p.labels
                    .get("apps.kubernetes.io/pod-index")
                    .and_then(|i| i.parse::<u32>().ok())
                    .unwrap_or(0),
            )
        });
        rolls.push(Roll {
            brokers: broker_sets.contains(&name),
            statefulset: name,
            queue: queue.into_iter().map(|p| p.name.clone()).collect(),
            current: None,
            min_ready: Duration::from_secs(spec.min_ready_seconds.unwrap_or(0).max(0) as u64),
            done: Vec::new(),
            moves: 0,
            early: Vec::new(),
            unanswered: 0,
        });
    }
    let services = services_of(&s.cluster.objects, &s.cluster.services);
    s.cluster.services = services;
    eprintln!(
        "  {what}: {} ConfigMaps and Secrets changed; stop {:?}; start {:?}; roll {}; new Jobs {}",
        changed_sources.len(),
        stop,
        start.iter().map(|d| &d.name).collect::<Vec<_>>(),
        rolls
            .iter()
            .map(|r| format!("{} ({})", r.statefulset, r.queue.join(", ")))
            .collect::<Vec<_>>()
            .join("; "),
        new_jobs.len()
    );
    // Pods that go: the highest ordinal first.
    let ordinal = |name: &String| {
        live.iter()
            .find(|p| &p.name == name)
            .and_then(|p| p.labels.get("apps.kubernetes.io/pod-index"))
            .and_then(|i| i.parse::<u32>().ok())
            .unwrap_or(0)
    };
    stop.sort_by_key(|p| std::cmp::Reverse(ordinal(p)));
    for p in &stop {
        s.cluster.kubelet.delete(p);
    }
    for d in start {
        s.cluster.create_pod(d)?;
    }
    let mut job_pods = Vec::new();
    for j in &new_jobs {
        let def = objects::job_pod(j, 0)?;
        job_pods.push((
            j.metadata.name.clone().unwrap_or_default(),
            def.name.clone(),
        ));
        s.cluster.create_pod(def)?;
    }

    // The rolls, side by side, one pod at a time each.
    let mut synced = changed_sources.is_empty();
    let mut stuck = None;
    while stuck.is_none()
        && (!synced
            || rolls
                .iter()
                .any(|r| !r.queue.is_empty() || r.current.is_some()))
    {
        s.tick()?;
        if !synced && applied.elapsed() >= SYNC_DELAY {
            for (kind, name) in &changed_sources {
                s.cluster.refresh(kind, name)?;
            }
            synced = true;
        }
        for r in rolls.iter_mut() {
            if let Some((pod, created, since)) = r.current.take() {
                if s.cluster.kubelet.ready(&pod) {
                    let since = since.unwrap_or_else(Instant::now);
                    if since.elapsed() >= r.min_ready {
                        r.done.push(pod);
                    } else {
                        r.current = Some((pod, created, Some(since)));
                    }
                } else {
                    let exits = s.cluster.kubelet.pod(&pod).map_or(0, |p| {
                        p.containers
                            .iter()
                            .map(|c| c.exit_codes.len())
                            .max()
                            .unwrap_or(0)
                    });
                    if exits >= 3 {
                        stuck = Some(format!(
                            "{}: {pod} keeps exiting after it was replaced ({exits} exits)",
                            r.statefulset
                        ));
                    } else if created.elapsed() > POD_TIMEOUT {
                        stuck = Some(format!(
                            "{}: {pod} not ready {} s after it was replaced",
                            r.statefulset,
                            POD_TIMEOUT.as_secs()
                        ));
                    }
                    r.current = Some((pod, created, None));
                }
                continue;
            }
            // The controller replaces the next pod only when every pod of
            // the set is running and ready.
            let all_ready = s
                .cluster
                .live_pods()
                .filter(|p| p.def.owner == Owner::StatefulSet(r.statefulset.clone()))
                .all(|p| s.cluster.kubelet.ready(&p.def.name));
            if !all_ready || r.queue.is_empty() {
                continue;
            }
            let pod = r.queue.remove(0);
            if r.brokers && !r.done.is_empty() {
                r.moves += 1;
                match inside.call(&format!("lagging {bootstrap} {topic}")) {
                    Ok(a) => match field(&a, "lagging") {
                        Some("none") => {}
                        Some(l) => r.early.push(format!("{pod} (out of the ISR: {l})")),
                        None => r.unanswered += 1,
                    },
                    Err(_) => r.unanswered += 1,
                }
            }
            eprintln!("  {what}: {} replaces {pod}", r.statefulset);
            s.cluster.kubelet.delete(&pod);
            let def = defs.get(&pod).cloned().context("the new pod")?;
            s.cluster.create_pod(def)?;
            r.current = Some((pod, Instant::now(), None));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let took = applied.elapsed();
    if let Some(why) = &stuck {
        s.report.fail(format!("{what}: the roll is stuck: {why}"));
        // As a stuck rollout: nothing more happens until a person acts
        // (the clients, still waiting on the broker, stop with the run).
        return Ok(false);
    }
    for r in &rolls {
        if !r.done.is_empty() {
            s.report.pass(format!(
                "{what}: {} rolled {} in order, each ready for {} s (minReadySeconds) before the next",
                r.statefulset,
                r.done.join(", "),
                r.min_ready.as_secs()
            ));
        }
        in_sync_check(s, &what, r, &topic);
    }
    // Pods that started with the cluster: wait until every one is ready.
    let ready = s.tick_until(POD_TIMEOUT, |c| {
        c.live_pods()
            .filter(|p| !matches!(p.def.owner, Owner::Job(_)))
            .all(|p| c.kubelet.ready(&p.def.name))
    })?;
    for (job, pod) in &job_pods {
        jobs::job_run(s, job, pod, "its first run (a new Job of the apply)")?;
    }
    // kafkagen's metadata.version Job, by its component label.
    let raised = new_jobs.iter().any(|j| {
        j.metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("app.kubernetes.io/component"))
            .is_some_and(|c| c == "features")
    });
    metadata_version(s, inside, bootstrap, &what, raised);
    s.wait(Duration::from_secs(5))?;
    let load = inside.call("load-stop");
    load_checks(s, &what, load, brokers, took);

    // Every pod runs the new render.
    let mismatched: Vec<String> = s
        .cluster
        .live_pods()
        .filter(|p| !matches!(p.def.owner, Owner::Job(_)))
        .filter(|p| defs.get(&p.def.name).is_none_or(|d| !runs(&p.def, d)))
        .map(|p| p.def.name.clone())
        .collect();
    let missing: Vec<&String> = defs
        .keys()
        .filter(|n| s.cluster.kubelet.pod(n).is_none())
        .collect();
    s.report.check(
        ready && mismatched.is_empty() && missing.is_empty(),
        format!(
            "{what}: every workload pod runs the new render's template and is ready ({} pods{}{})",
            defs.len(),
            if mismatched.is_empty() {
                String::new()
            } else {
                format!("; old template: {}", mismatched.join(", "))
            },
            if missing.is_empty() {
                String::new()
            } else {
                format!("; missing: {missing:?}")
            }
        ),
    );
    // The checks of a fresh boot, on the new render: the inside client
    // logs in as the new render's internal listener demands.
    let internal = crate::security::demands(&s.cluster, "INTERNAL");
    if let Some(d) = internal.as_ref().filter(|d| d.tls || d.authenticated()) {
        match crate::security::login_as_demanded(s, inside, d) {
            Ok(said) => println!("note: {what}: the inside client logs in with {said}"),
            Err(e) => s.report.fail(format!("{what}: inside: INTERNAL: {e}")),
        }
    }
    checks::zookeeper(&s.cluster, &mut s.report);
    checks::kraft(&s.cluster, inside, bootstrap, &mut s.report);
    checks::brokers(&s.cluster, inside, bootstrap, &mut s.report);
    checks::topics(&s.cluster, inside, bootstrap, &mut s.report);
    checks::round_trip(
        inside,
        bootstrap,
        TOPIC,
        &format!("apply{nth}"),
        RECORDS,
        &format!("{what}: inside"),
        &mut s.report,
    );
    if let Some(home) = &internal {
        listeners::inside_refusals(s, inside, home, bootstrap);
        crate::security::acl_checks(
            s,
            inside,
            home,
            bootstrap,
            Some(home),
            TOPIC,
            "inside",
            RECORDS,
        );
    }
    listeners::outside(s)?;
    Ok(true)
}

/// Under KRaft, the finalized `metadata.version` after an apply, as a
/// figure; after kafkagen's metadata.version Job ran (`raised`), it must be
/// the newest level the brokers support.
fn metadata_version(
    s: &mut Session,
    inside: &mut Client,
    bootstrap: &str,
    what: &str,
    raised: bool,
) {
    if !kafka_nodes(&s.cluster).iter().any(|n| n.controller) {
        return;
    }
    let answer = inside.call(&format!("features {bootstrap}"));
    let levels = answer.as_ref().ok().and_then(|a| {
        let level = field(a, "metadata.version")?.parse::<u32>().ok()?;
        let max = field(a, "supported")?
            .rsplit_once('-')?
            .1
            .parse::<u32>()
            .ok()?;
        Some((level, max))
    });
    match (levels, raised) {
        (Some((level, max)), true) => s.report.check(
            level == max,
            format!(
                "{what}: after the metadata.version Job, metadata.version is at level {level}; the brokers support up to {max}"
            ),
        ),
        (Some((level, max)), false) => eprintln!(
            "  {what}: metadata.version at level {level}; the brokers support up to {max}"
        ),
        (None, true) => s.report.fail(format!(
            "{what}: after the metadata.version Job, the brokers do not say their metadata.version: {answer:?}"
        )),
        (None, false) => eprintln!("  {what}: metadata.version not read: {answer:?}"),
    }
}

/// The figures of the load through the roll, and the checks on them.
pub fn load_checks(
    s: &mut Session,
    what: &str,
    load: Result<String>,
    brokers: u32,
    took: Duration,
) {
    let answer = match load {
        Ok(a) => a,
        Err(e) => {
            s.report
                .fail(format!("{what}: the clients through the roll: {e:#}"));
            return;
        }
    };
    let num = |k: &str| {
        field(&answer, k)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let acked = num("acked");
    let unread = num("unread");
    s.report.check(
        acked > 0 && unread == 0 && field(&answer, "consumer_error").is_none(),
        if acked == 0 {
            format!("{what}: no record was acknowledged through the roll ({answer})")
        } else {
            format!(
                "{what}: every one of {acked} acknowledged records was read by the consumer ({} unread{}{})",
                unread,
                field(&answer, "first_unread").map(|f| format!(", first {f}")).unwrap_or_default(),
                field(&answer, "consumer_error").map(|e| format!("; the consumer failed: {e}")).unwrap_or_default()
            )
        },
    );
    let samples = num("samples");
    let offline = num("offline_samples");
    let unanswered = num("unanswered_samples");
    if brokers < 2 {
        s.report.skip(format!(
            "{what}: partitions online through the roll: one broker holds every partition, so restarting it takes them offline ({offline} of {samples} samples)"
        ));
    } else {
        s.report.check(
            samples > 0 && offline == 0 && unanswered < samples,
            format!(
                "{what}: no partition offline in {} of {samples} samples, one a second ({unanswered} unanswered{})",
                samples - unanswered,
                field(&answer, "first_offline").filter(|f| *f != "none").map(|f| format!("; first offline: partition {f}")).unwrap_or_default()
            ),
        );
    }
    // What readiness is for: the next broker stops only when the one
    // before is back in sync, so no partition goes below min ISR and
    // acks=all writes go on.
    let under = num("under_min_isr_samples");
    let refused = num("not_enough_replicas");
    let stall = num("stall_ms");
    if brokers < 3 {
        s.report.skip(format!(
            "{what}: writes through the roll: with {brokers} brokers a restart leaves a partition at or below min ISR"
        ));
    } else {
        s.report.check(
            under == 0 && refused == 0 && stall <= STALL_BOUND_MS,
            format!(
                "{what}: acks=all writes through the roll: a partition under min ISR in {under} of {samples} samples, NotEnoughReplicas for a producer without retries {refused} of {} sends, longest stall {stall} ms (passes with 0, 0 and at most {STALL_BOUND_MS} ms)",
                num("canary")
            ),
        );
    }
    println!(
        "figures {what}: roll {:.0} s; longest produce stall {} ms (from {} ms after the load began; first acknowledgement at {} ms; producer errors: {}); NotEnoughReplicas seen by a producer without retries: {} of {} sends (errors: {}); under min ISR in {} of {samples} samples",
        took.as_secs_f64(),
        num("stall_ms"),
        num("stall_from_ms"),
        num("first_ack_ms"),
        field(&answer, "producer_errors").unwrap_or("?"),
        num("not_enough_replicas"),
        num("canary"),
        field(&answer, "canary_errors").unwrap_or("?"),
        num("under_min_isr_samples"),
    );
}
