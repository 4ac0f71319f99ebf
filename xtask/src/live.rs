//! `cargo xtask live MANIFESTS`: boot a render as a kubelet and kube-proxy
//! would, with the real Kafka and ZooKeeper, check that it works, and with
//! `--faults` and `--scale` that it survives failures and growth.

use crate::checks::{self, kafka_nodes};
use crate::cluster::Cluster;
use crate::network;
use crate::objects::{self, Objects, Owner};
use crate::repo;
use crate::session::{RECORDS, Session, TOPIC, log_tail};
use crate::{jobs, listeners, prepare};
use anyhow::{Context, Result, bail};
use kafkagen::job_input::TopicLine;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Options {
    pub manifests: PathBuf,
    pub faults: bool,
    pub scale: Option<PathBuf>,
    /// Renders applied in turn after the boot's checks (`--apply`).
    pub apply: Vec<PathBuf>,
    pub renewal: bool,
    /// `kafkagen describe --format json` of the booted spec (`--topology`).
    pub topology: Option<PathBuf>,
    pub heap_mib: Option<u32>,
    pub prometheus: bool,
    pub alert_for: Option<u64>,
    pub domain: String,
    pub boot_timeout: Duration,
}

fn workload_pods_ready(c: &Cluster) -> bool {
    c.live_pods()
        .filter(|p| !matches!(p.def.owner, Owner::Job(_)))
        .all(|p| c.kubelet.ready(&p.def.name))
}

/// A workload container that exited three times: the pod, the container
/// and the last lines of its log.
fn crash_looping(c: &Cluster) -> Option<(String, String, String)> {
    c.live_pods()
        .filter(|p| !matches!(p.def.owner, Owner::Job(_)))
        .flat_map(|p| {
            p.init
                .iter()
                .chain(p.containers.iter())
                .map(move |c| (p, c))
        })
        .find(|(_, c)| c.exit_codes.len() >= 3)
        .map(|(p, c)| {
            (
                p.def.name.clone(),
                c.name().to_string(),
                log_tail(&c.log, 25),
            )
        })
}

/// Where the outside client sits: inside the load balancers' source ranges
/// when they have any, so that it is allowed in.
fn outside_address(objects: &Objects) -> Ipv4Addr {
    for s in &objects.services {
        let ranges = s
            .spec
            .as_ref()
            .and_then(|s| s.load_balancer_source_ranges.clone())
            .unwrap_or_default();
        for r in ranges {
            if let Some((addr, bits)) = r.split_once('/')
                && let (Ok(a), Ok(b)) = (addr.parse::<Ipv4Addr>(), bits.parse::<u32>())
                && b <= 30
            {
                let base = u32::from(a) & (!0u32).checked_shl(32 - b).unwrap_or(0);
                return Ipv4Addr::from(base + 10);
            }
        }
    }
    Ipv4Addr::new(192, 168, 49, 100)
}

pub fn run(opts: Options) -> Result<bool> {
    if effective_uid() != 0 {
        bail!("the live boot needs root: it makes network namespaces, mounts and iptables rules");
    }
    if let Some(path) = &opts.topology {
        crate::topology::read(path)?;
    }
    let mut objects = objects::load(&opts.manifests)?;
    let stem = opts
        .manifests
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "cluster".into());
    let stem = if stem == "expected" {
        opts.manifests
            .parent()
            .and_then(|p| p.file_name())
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or(stem)
    } else {
        stem
    };
    let work = repo().join("target/live").join(&stem);
    let lock_path = repo().join("target/live/.lock");
    std::fs::create_dir_all(lock_path.parent().unwrap())?;
    let lock = std::fs::File::create(&lock_path)?;
    lock.try_lock()
        .map_err(|_| anyhow::anyhow!("another live boot is running on this machine"))?;
    network::teardown();
    if work.exists() {
        let _ = Command::new("umount").arg("-R").arg(&work).output();
        std::fs::remove_dir_all(&work)
            .with_context(|| format!("cannot clear {}", work.display()))?;
    }
    std::fs::create_dir_all(&work)?;
    // What cert-manager and the user make before the pods can start.
    let mut issued = BTreeMap::new();
    let tls_notes = crate::tls::prepare(&mut objects, &work, &mut issued)?;
    let cache = std::env::var_os("KAFKAGEN_LIVE_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/live-cache"));

    println!(
        "live: {} (namespace {})",
        opts.manifests.display(),
        objects.namespace
    );
    let mut notes = tls_notes;
    let (helpers, imgs) = prepare::images(&objects, &opts.apply, &cache, &work, &mut notes)?;
    let outside = outside_address(&objects);
    network::setup_node(outside)?;
    let runtime = repo().join("xtask/runtime/container.sh");
    let cluster = Cluster::new(
        objects,
        imgs,
        opts.domain.clone(),
        work.clone(),
        opts.heap_mib,
        runtime,
    );
    let mut s = Session::new(cluster, helpers, issued, notes);
    let result = boot(&mut s, &opts);
    s.cluster.kubelet.shutdown();
    network::teardown();
    if let Err(e) = result {
        s.report.fail(format!("the harness stopped: {e:#}"));
    }
    for n in &s.notes {
        println!("note: {n}");
    }
    let heap = match opts.heap_mib {
        Some(m) => format!(" (JVM heaps lowered to {m} MiB by --heap)"),
        None => " (JVM heaps as rendered)".into(),
    };
    let heap = if opts.apply.is_empty() {
        heap
    } else {
        format!(
            "{heap}; mounted files change {} s after an apply",
            crate::apply::SYNC_DELAY.as_secs()
        )
    };
    println!(
        "live: {} passed, {} failed, {} skipped in {:.0} s{heap}; logs in {}",
        s.report.passed(),
        s.report.failed(),
        s.report.skipped(),
        s.started.elapsed().as_secs_f64(),
        work.display()
    );
    Ok(s.report.failed() == 0)
}

fn effective_uid() -> u32 {
    // No libc dependency: the effective uid from /proc.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2)?.parse().ok())
        })
        .unwrap_or(u32::MAX)
}

fn start_workloads(s: &mut Session) -> Result<()> {
    let mut defs = Vec::new();
    for st in &s.cluster.objects.statefulsets {
        defs.extend(objects::statefulset_pods(st, None)?);
    }
    for d in &s.cluster.objects.deployments {
        defs.extend(objects::deployment_pods(d)?);
    }
    // Jobs start with everything else, as `kubectl apply` makes them; they
    // wait for the brokers themselves.
    for j in &s.cluster.objects.jobs {
        defs.push(objects::job_pod(j, 0)?);
    }
    for d in defs {
        s.cluster.create_pod(d)?;
    }
    Ok(())
}

fn boot(s: &mut Session, opts: &Options) -> Result<()> {
    start_workloads(s)?;
    let workloads = s
        .cluster
        .live_pods()
        .filter(|p| !matches!(p.def.owner, Owner::Job(_)))
        .count();
    let t0 = Instant::now();
    let ready = s.tick_until(opts.boot_timeout, |c| {
        workload_pods_ready(c) || crash_looping(c).is_some()
    })? && crash_looping(&s.cluster).is_none();
    if let Some((pod, container, log)) = crash_looping(&s.cluster) {
        s.report.fail(format!(
            "pods: {pod}/{container} keeps exiting; the end of its log:\n{log}"
        ));
    }
    let not_ready: Vec<String> = s
        .cluster
        .live_pods()
        .filter(|p| !matches!(p.def.owner, Owner::Job(_)) && !s.cluster.kubelet.ready(&p.def.name))
        .map(|p| p.def.name.clone())
        .collect();
    s.report.check(
        ready,
        if ready {
            format!(
                "pods: all {workloads} workload pods ready in {:.0} s",
                t0.elapsed().as_secs_f64()
            )
        } else {
            format!(
                "pods: not ready after {:.0} s: {}",
                t0.elapsed().as_secs_f64(),
                not_ready.join(", ")
            )
        },
    );
    if !ready {
        return Ok(());
    }
    let restarts: Vec<String> = s
        .cluster
        .live_pods()
        .flat_map(|p| p.containers.iter().map(move |c| (p, c)))
        .filter(|(p, c)| c.starts > 1 && !matches!(p.def.owner, Owner::Job(_)))
        .map(|(p, c)| format!("{}/{} started {} times", p.def.name, c.name(), c.starts))
        .collect();
    s.report.check(
        restarts.is_empty(),
        format!(
            "pods: no container restarted while booting{}",
            if restarts.is_empty() {
                String::new()
            } else {
                format!(" ({})", restarts.join(", "))
            }
        ),
    );

    // The inside client: a pod of the namespace, resolving the cluster's names.
    let namespace = s.cluster.namespace().to_string();
    let (_, netns) = s.cluster.add_guest(
        "kafkagen-live-client",
        &namespace,
        &[],
        &[("app.kubernetes.io/name", "kafkagen-live-client")],
    )?;
    let mut inside = s.client("inside", &netns)?;
    let internal = crate::security::demands(&s.cluster, "INTERNAL");
    if let Some(d) = internal.as_ref().filter(|d| d.tls || d.authenticated()) {
        match crate::security::login_as_demanded(s, &mut inside, d) {
            // Settings only: the round trips below prove the connection.
            Ok(said) => println!("note: inside: INTERNAL clients log in with {said}"),
            Err(e) => s.report.fail(format!("inside: INTERNAL: {e}")),
        }
    }
    checks::zookeeper(&s.cluster, &mut s.report);
    let Some(bootstrap) = checks::inside_bootstrap(&s.cluster) else {
        s.report
            .fail("no ClusterIP Service selects exactly the broker pods: no bootstrap for clients");
        return Ok(());
    };
    checks::kraft(&s.cluster, &mut inside, &bootstrap, &mut s.report);
    checks::brokers(&s.cluster, &mut inside, &bootstrap, &mut s.report);
    if let Some(path) = &opts.topology {
        let t = crate::topology::read(path)?;
        crate::topology::check(&s.cluster, &t, &mut s.report);
    }

    jobs::run(s)?;
    jobs::acl_convergence(s, &mut inside, &bootstrap)?;
    checks::topics(&s.cluster, &mut inside, &bootstrap, &mut s.report);

    let brokers = kafka_nodes(&s.cluster).iter().filter(|n| n.broker).count() as u32;
    let rf = brokers.min(3);
    match inside.call(&format!("create {bootstrap} {TOPIC} {} {rf}", brokers * 2)) {
        Ok(_) => s.report.pass(format!(
            "{TOPIC}: created with {} partitions, replication factor {rf}",
            brokers * 2
        )),
        Err(e) => s.report.fail(format!("{TOPIC}: create: {e:#}")),
    }
    checks::round_trip(
        &mut inside,
        &bootstrap,
        TOPIC,
        "inside",
        RECORDS,
        "inside",
        &mut s.report,
    );
    for TopicLine { name, .. } in checks::declared_topics(&s.cluster) {
        checks::round_trip(
            &mut inside,
            &bootstrap,
            &name,
            "inside",
            RECORDS,
            "inside",
            &mut s.report,
        );
    }
    if let Some(home) = &internal {
        listeners::inside_refusals(s, &mut inside, home, &bootstrap);
        crate::security::acl_checks(
            s,
            &mut inside,
            home,
            &bootstrap,
            Some(home),
            TOPIC,
            "inside",
            RECORDS,
        );
    }
    listeners::outside(s)?;
    jobs::scram_convergence(s, &mut inside, &bootstrap)?;
    crate::reach::run(s)?;
    if opts.renewal {
        crate::renewal::run(s, &netns, &mut inside, &bootstrap)?;
    }
    checks::log_dirs(&s.cluster, &mut s.report);
    let work = s.cluster.work.clone();
    let prometheus = crate::metrics::start(s, &work, opts.prometheus, opts.alert_for)?;
    if let Some(p) = &prometheus {
        crate::metrics::healthy(s, p)?;
    }
    if opts.faults {
        crate::faults::run(s, &mut inside, &bootstrap)?;
        let victim = kafka_nodes(&s.cluster)
            .iter()
            .rfind(|n| n.broker)
            .map(|n| n.pod.def.name.clone());
        if let (Some(p), Some(victim)) = (&prometheus, victim) {
            crate::metrics::broker_down(s, p, &victim)?;
        }
    }
    if let Some(spec) = &opts.scale {
        crate::scale::run(s, &mut inside, &bootstrap, spec)?;
    }
    for (i, render) in opts.apply.iter().enumerate() {
        if !crate::apply::run(s, &mut inside, &bootstrap, render, i + 1)? {
            for later in &opts.apply[i + 1..] {
                s.report.skip(format!(
                    "apply {}: not applied after the one before failed",
                    later.display()
                ));
            }
            break;
        }
    }
    Ok(())
}
