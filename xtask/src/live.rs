//! `cargo xtask live MANIFESTS`: boot a render as a kubelet and kube-proxy
//! would, with the real Kafka and ZooKeeper, check that it works, and with
//! `--faults` and `--scale` that it survives failures and growth.

use crate::checks::{self, Report, kafka_nodes};
use crate::client::{Client, field};
use crate::cluster::Cluster;
use crate::images::{self, Image};
use crate::network;
use crate::objects::{self, Objects, Owner};
use crate::{fetch, versions};
use anyhow::{Context, Result, bail};
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Options {
    pub manifests: PathBuf,
    pub faults: bool,
    pub scale: Option<PathBuf>,
    /// Renders applied in turn after the boot's checks (`--apply`).
    pub apply: Vec<PathBuf>,
    pub renewal: bool,
    pub heap_mib: Option<u32>,
    pub prometheus: bool,
    pub alert_for: Option<u64>,
    pub domain: String,
    pub boot_timeout: Duration,
}

/// The repository root (xtask's parent).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Records per produce-and-consume check.
pub const RECORDS: u32 = 200;
/// The topic the harness writes to, beside the declared ones.
pub const TOPIC: &str = "kafkagen-live";

pub struct Session {
    pub cluster: Cluster,
    pub report: Report,
    started: Instant,
    printed: usize,
    /// Helper jar and Kafka jars per Kafka version.
    helpers: BTreeMap<String, (PathBuf, PathBuf)>,
    /// The certificates the harness issued, by Secret name.
    pub issued: BTreeMap<String, crate::tls::Issued>,
    pub notes: Vec<String>,
}

impl Session {
    pub fn tick_until(
        &mut self,
        timeout: Duration,
        mut done: impl FnMut(&Cluster) -> bool,
    ) -> Result<bool> {
        let deadline = Instant::now() + timeout;
        loop {
            self.tick()?;
            if done(&self.cluster) {
                return Ok(true);
            }
            if Instant::now() >= deadline {
                return Ok(false);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// One pass of the kubelet's loop and kube-proxy's sync.
    pub fn tick(&mut self) -> Result<()> {
        self.cluster.kubelet.tick()?;
        self.cluster.sync()?;
        self.print_events();
        Ok(())
    }

    pub fn wait(&mut self, d: Duration) -> Result<()> {
        self.tick_until(d, |_| false).map(|_| ())
    }

    fn print_events(&mut self) {
        let events = &self.cluster.kubelet.events;
        for e in &events[self.printed..] {
            eprintln!("  {:>5.1}s {e}", self.started.elapsed().as_secs_f64());
        }
        self.printed = events.len();
    }

    /// The Kafka line of the brokers' image, for clients.
    fn kafka_image(&self) -> Option<&Image> {
        self.cluster.images.values().find(|i| {
            !matches!(
                i.kind,
                images::Kind::ConfluentZooKeeper | images::Kind::ConfluentBase
            )
        })
    }

    /// Logs `client` in as listener `d` demands, with the right credential.
    pub fn login(
        &self,
        client: &mut Client,
        d: &crate::security::Demands,
    ) -> Result<String, String> {
        crate::security::login(
            &self.cluster,
            &self.issued,
            client,
            d,
            &crate::security::Who::Right,
        )
    }

    fn client(&mut self, name: &str, netns: &str) -> Result<Client> {
        let image = self.kafka_image().context("no Kafka image in the render")?;
        let (helper, jars) = self
            .helpers
            .get(image.line.version)
            .cloned()
            .context("no helper jar")?;
        let log = self.cluster.work.join(format!("client-{name}.log"));
        Client::start(name, netns, &jars, &helper, &log)
    }
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

/// Compiles the harness's Java helpers against a Kafka line's jars.
fn helper_jar(
    work: &Path,
    jars: &Path,
    agent: &Path,
    line: &versions::KafkaLine,
) -> Result<PathBuf> {
    let dir = work.join("helpers").join(line.version);
    let classes = dir.join("classes");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&classes)?;
    let java = repo().join("xtask/java");
    let mut sources = vec![java.join("client/LiveClient.java")];
    if line.extra.iter().any(|(_, a, _)| *a == "zookeeper") {
        sources.push(java.join("zk/ZkReady.java"));
    }
    let ok = Command::new("javac")
        .args(["-nowarn", "-d"])
        .arg(&classes)
        .arg("-cp")
        .arg(format!("{}/*", jars.display()))
        .args(&sources)
        .status()
        .context("cannot run javac")?
        .success();
    if !ok {
        bail!("javac failed on the harness's Java helpers");
    }
    let jar = dir.join("lib").join("kafkagen-live.jar");
    std::fs::create_dir_all(jar.parent().unwrap())?;
    // The Confluent images' cp-base-new holds its own ZooKeeper client and
    // logging beside the utility belt: the same jars, from this line.
    for entry in std::fs::read_dir(jars)? {
        let path = entry?.path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let wanted = ["zookeeper-", "slf4j-", "reload4j-", "audience-annotations-"];
        if wanted.iter().any(|w| name.starts_with(w)) {
            std::fs::copy(&path, dir.join("lib").join(&name))?;
        }
    }
    // cp-base-new also holds the Prometheus JMX exporter's java agent.
    for entry in std::fs::read_dir(agent)? {
        let path = entry?.path();
        std::fs::copy(&path, dir.join("lib").join(path.file_name().unwrap()))?;
    }
    let ok = Command::new("jar")
        .arg("cf")
        .arg(&jar)
        .arg("-C")
        .arg(&classes)
        .arg(".")
        .status()?
        .success();
    if !ok {
        bail!("jar failed");
    }
    Ok(dir.join("lib"))
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
    if unsafe_geteuid() != 0 {
        bail!("the live boot needs root: it makes network namespaces, mounts and iptables rules");
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
    let mut refs = BTreeSet::new();
    // The images of the renders to apply too: an upgrade brings its own.
    let mut templates = objects.pod_specs();
    for p in &opts.apply {
        templates.extend(objects::load(p)?.pod_specs());
    }
    for spec in templates {
        for c in spec
            .init_containers
            .iter()
            .flatten()
            .chain(spec.containers.iter())
        {
            refs.insert(c.image.clone().unwrap_or_default());
        }
    }
    let mut helpers = BTreeMap::new();
    let mut imgs = BTreeMap::new();
    for r in &refs {
        let (_, line, note) = images::identify(r)?;
        if let Some(n) = note {
            notes.push(n);
        }
        if !helpers.contains_key(line.version) {
            let jars = fetch::jars(&cache, line)?;
            let agent = fetch::maven(
                &cache,
                &format!("jmx-agent-{}", versions::JMX_AGENT),
                &[(
                    "io.prometheus.jmx".into(),
                    "jmx_prometheus_javaagent".into(),
                    versions::JMX_AGENT.into(),
                )],
            )?;
            let helper = helper_jar(&work, &jars, &agent, line)?;
            helpers.insert(line.version.to_string(), (helper, jars));
        }
        let (helper, jars) = &helpers[line.version];
        let image = images::build(r, &work, &repo().join("xtask/images"), jars, helper)?;
        imgs.insert(r.clone(), image);
    }
    for r in &refs {
        let i = &imgs[r];
        println!(
            "live: {r} stands in with Apache Kafka {} jars ({:?})",
            i.line.version, i.kind
        );
    }
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
    let mut s = Session {
        cluster,
        report: Report::default(),
        started: Instant::now(),
        printed: 0,
        helpers,
        issued,
        notes,
    };
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

fn unsafe_geteuid() -> u32 {
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
    let (_, ip, netns) = s.cluster.allocate()?;
    s.cluster
        .client_netns
        .push((netns.clone(), ip, "kafkagen-live-client".into()));
    s.cluster.sync()?;
    let mut inside = s.client("inside", &netns)?;
    let internal = crate::security::demands(&s.cluster, "INTERNAL");
    if let Some(d) = internal.as_ref().filter(|d| d.tls || d.authenticated()) {
        match s.login(&mut inside, d) {
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

    jobs(s)?;
    acl_convergence(s, &mut inside, &bootstrap)?;
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
    for (name, ..) in checks::declared_topics(&s.cluster) {
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
        inside_refusals(s, &mut inside, home, &bootstrap);
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
    outside(s)?;
    if opts.renewal {
        crate::renewal::run(s, &netns)?;
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

/// The last lines of a container's log, for a failure's report line.
fn log_tail(path: &Path, lines: usize) -> String {
    let log = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = log.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Runs a Job's pod until its first container exits (a Job retries a
/// failure, but the first run must succeed); reports the exit and, on a
/// failure, the end of the log.
pub fn job_run(s: &mut Session, job: &str, name: &str, what: &str) -> Result<()> {
    let exited = s.tick_until(Duration::from_secs(600), |c| {
        c.kubelet
            .pod(name)
            .is_some_and(|p| !p.containers[0].exit_codes.is_empty())
    })?;
    let pod = s.cluster.kubelet.pod(name).context("the Job's pod")?;
    let code = pod.containers[0].exit_codes.first().copied().flatten();
    let log = pod.containers[0].log.clone();
    if exited && code == Some(0) {
        s.report.pass(format!("job {job}: {what} exited 0"));
    } else {
        s.report.fail(format!(
            "job {job}: {what} exited {}; the end of its log:\n{}",
            code.map_or("(not yet)".to_string(), |c| c.to_string()),
            log_tail(&log, 15)
        ));
    }
    s.cluster.kubelet.delete(name);
    Ok(())
}

fn jobs(s: &mut Session) -> Result<()> {
    let jobs = s.cluster.objects.jobs.clone();
    for job in &jobs {
        let name = job.metadata.name.clone().unwrap_or_default();
        let first = objects::job_pod(job, 0)?.name;
        job_run(s, &name, &first, "its first run (started with the cluster)")?;
        // Again, as after `kubectl delete job` and the same apply.
        let def = objects::job_pod(job, 1)?;
        let second = def.name.clone();
        s.cluster.create_pod(def)?;
        job_run(s, &name, &second, "a second run")?;
    }
    Ok(())
}

/// The ACLs Job converges: after ACLs are added by hand, a third run
/// removes those of the principals it owns (a declared user's undeclared
/// ACL; every ACL of a user a former spec declared, marker included) and
/// leaves those of others, and every declared ACL is still there.
fn acl_convergence(s: &mut Session, inside: &mut Client, bootstrap: &str) -> Result<()> {
    let Some(job) = s
        .cluster
        .objects
        .jobs
        .iter()
        .find(|j| objects::job_env(j, "ACLS").is_some())
        .cloned()
    else {
        return Ok(());
    };
    let declared: Vec<String> = objects::job_env(&job, "ACLS")
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    let marker = objects::job_env(&job, "MARKER").context("the ACLs Job's MARKER")?;
    let mut strays = vec![
        format!("User:kafkagen-live-former|*|DESCRIBE|ALLOW|TRANSACTIONAL_ID|{marker}|LITERAL"),
        format!("User:kafkagen-live-former|*|READ|ALLOW|TOPIC|{TOPIC}|LITERAL"),
    ];
    if let Some(owned) = declared.first().and_then(|l| l.split('|').next()) {
        strays.push(format!("{owned}|*|ALTER|ALLOW|TOPIC|{TOPIC}|LITERAL"));
    }
    let by_hand = format!("User:kafkagen-live-by-hand|*|READ|ALLOW|TOPIC|{TOPIC}|LITERAL");
    for acl in strays.iter().chain([&by_hand]) {
        if let Err(e) = inside.call(&format!("acl-add {bootstrap} {acl}")) {
            s.report
                .fail(format!("acls: cannot add {acl} by hand: {e:#}"));
            return Ok(());
        }
    }
    let name = job.metadata.name.clone().unwrap_or_default();
    let def = objects::job_pod(&job, 2)?;
    let third = def.name.clone();
    s.cluster.create_pod(def)?;
    job_run(
        s,
        &name,
        &third,
        "a third run, after ACLs were added by hand",
    )?;
    let listed = match inside.call(&format!("acls {bootstrap}")) {
        Ok(a) => field(&a, "acls").unwrap_or("").to_string(),
        Err(e) => {
            s.report.fail(format!("acls: cannot list them: {e:#}"));
            return Ok(());
        }
    };
    let have: BTreeSet<&str> = listed.split(';').filter(|l| !l.is_empty()).collect();
    let missing: Vec<&String> = declared
        .iter()
        .filter(|d| !have.contains(d.as_str()))
        .collect();
    s.report.check(
        missing.is_empty(),
        format!(
            "acls: all {} declared ACLs are in place{}",
            declared.len(),
            if missing.is_empty() {
                String::new()
            } else {
                format!("; missing: {missing:?}")
            }
        ),
    );
    let left: Vec<&String> = strays
        .iter()
        .filter(|a| have.contains(a.as_str()))
        .collect();
    s.report.check(
        left.is_empty(),
        format!(
            "acls: the Job removed the {} ACLs of principals it owns that the spec does not declare{}",
            strays.len(),
            if left.is_empty() {
                String::new()
            } else {
                format!("; still there: {left:?}")
            }
        ),
    );
    s.report.check(
        have.contains(by_hand.as_str()),
        format!("acls: the Job left alone an ACL of a principal it does not own ({by_hand})"),
    );
    Ok(())
}

/// What the listeners inside the cluster must refuse: a TLS handshake at
/// an address the certificate does not name, and a client without the
/// certificate REPLICATION demands.
pub fn inside_refusals(
    s: &mut Session,
    inside: &mut Client,
    home: &crate::security::Demands,
    bootstrap: &str,
) {
    use crate::security::{self, Who};
    if home.tls {
        let port = bootstrap.rsplit(':').next().unwrap_or("9092");
        let nodes = kafka_nodes(&s.cluster);
        if let Some(n) = nodes.iter().find(|n| n.broker) {
            let address = format!("{}:{port}", n.pod.ip);
            security::host_name_checked(inside, home, &address, &mut s.report);
        }
    }
    if home.client_cert {
        security::refused(s, inside, home, Who::Anonymous, bootstrap, Some(home));
    }
    let Some(replication) = security::demands(&s.cluster, "REPLICATION") else {
        return;
    };
    let nodes = kafka_nodes(&s.cluster);
    let Some(address) = nodes.iter().find(|n| n.broker).and_then(|n| {
        checks::listeners(n.props.get("advertised.listeners")?)
            .into_iter()
            .find(|(name, ..)| name == "REPLICATION")
            .map(|(_, host, port)| format!("{host}:{port}"))
    }) else {
        s.report.fail("REPLICATION: no broker advertises it");
        return;
    };
    if replication.authenticated() {
        security::refused(
            s,
            inside,
            &replication,
            Who::Anonymous,
            &address,
            Some(home),
        );
    }
}

/// What the external listener must refuse: a wrong password, a client
/// with no credential, a TLS handshake at the bootstrap's bare address.
fn outside_refusals(
    s: &mut Session,
    client: &mut Client,
    d: &crate::security::Demands,
    bootstrap: &str,
    frontend: std::net::SocketAddrV4,
    logged_in: bool,
) {
    use crate::security::{self, Who};
    // Back to the client's own login afterwards, when it has one.
    let home = logged_in.then_some(d);
    if d.sasl.is_some() && !security::scram_users(&s.cluster.objects).is_empty() {
        security::refused(s, client, d, Who::WrongPassword, bootstrap, home);
    }
    if d.authenticated() {
        security::refused(s, client, d, Who::Anonymous, bootstrap, home);
    }
    // The bare address, unless the certificate names it (IP hosts).
    let named = bootstrap
        .split(',')
        .any(|a| a.starts_with(&format!("{}:", frontend.ip())));
    if d.tls && !named {
        security::host_name_checked(client, d, &frontend.to_string(), &mut s.report);
    }
}

/// Names outside clients resolve, and the outside checks.
pub fn outside(s: &mut Session) -> Result<()> {
    let (bootstrap, per) = checks::external_services(&s.cluster);
    let Some(boot) = bootstrap.cloned() else {
        return Ok(());
    };
    let per = per.len();
    let advertised = checks::advertised_external(&s.cluster);
    for (host, _, ip) in advertised.values() {
        if host.parse::<Ipv4Addr>().is_err() {
            s.cluster.external_names.insert(host.clone(), *ip);
        }
    }
    s.cluster.sync()?;
    let (ip, port) = checks::frontend(&boot).context("bootstrap frontend")?;
    let ext = format!("{ip}:{port}");
    let brokers = kafka_nodes(&s.cluster).iter().filter(|n| n.broker).count();
    s.report.check(
        per == brokers && advertised.len() == brokers,
        format!(
            "outside: {} of {brokers} brokers have their own {} Service and advertise its port",
            advertised.len(),
            boot.service_type()
        ),
    );
    let mut client = s.client("outside", network::OUTSIDE_NETNS)?;
    let external = crate::security::demands(&s.cluster, "EXTERNAL");
    // With TLS, clients bootstrap at names the certificate holds: the
    // brokers' advertised addresses.
    let ext = match &external {
        Some(d) if d.tls => advertised
            .values()
            .map(|(h, p, _)| format!("{h}:{p}"))
            .collect::<Vec<_>>()
            .join(","),
        _ => ext,
    };
    let mut logged_in = true;
    if let Some(d) = external.as_ref().filter(|d| d.tls || d.authenticated()) {
        match s.login(&mut client, d) {
            Ok(said) => println!("note: outside: EXTERNAL clients log in with {said}"),
            Err(e) => {
                s.report
                    .skip(format!("outside: EXTERNAL: no round trip: {e}"));
                logged_in = false;
            }
        }
    }
    if let Some(d) = &external {
        outside_refusals(
            s,
            &mut client,
            d,
            &ext,
            std::net::SocketAddrV4::new(ip, port),
            logged_in,
        );
    }
    if !logged_in {
        return Ok(());
    }
    match client.call(&format!("cluster {ext}")) {
        Ok(c) => {
            let seen: BTreeMap<u32, String> = field(&c, "brokers")
                .unwrap_or("")
                .split(',')
                .filter_map(|b| {
                    let (id, addr) = b.split_once('@')?;
                    Some((id.parse().ok()?, addr.to_string()))
                })
                .collect();
            let want: BTreeMap<u32, String> = advertised
                .iter()
                .map(|(id, (h, p, _))| (*id, format!("{h}:{p}")))
                .collect();
            s.report.check(
                seen == want,
                format!("outside: the brokers the client is sent to are their advertised external addresses ({})", want.values().cloned().collect::<Vec<_>>().join(", ")),
            );
        }
        Err(e) => {
            // Records could not go through brokers the client cannot
            // describe: the round trip would only wait for its timeouts.
            s.report
                .fail(format!("outside: describe cluster via {ext}: {e:#}"));
            return Ok(());
        }
    }
    // Under an authorizer, a listener without logins serves User:ANONYMOUS,
    // whom no ACL of the render names: it must refuse the round trip.
    let anonymous = external.as_ref().is_some_and(|d| !d.authenticated())
        && kafka_nodes(&s.cluster)
            .iter()
            .any(|n| n.props.contains_key("authorizer.class.name"));
    if anonymous {
        match client.call(&format!("produce {ext} {TOPIC} 10 anonymous")) {
            Ok(a) => s.report.fail(format!(
                "outside: an anonymous client wrote {TOPIC} under the authorizer: {a}"
            )),
            Err(e) => s.report.check(
                format!("{e:#}").contains("AuthorizationException"),
                format!(
                    "outside: the authorizer refuses the anonymous clients of EXTERNAL ({e:#})"
                ),
            ),
        }
        return Ok(());
    }
    // Under an authorizer, a declared user writes and reads where its
    // ACLs allow, not the harness's own topic.
    let authorizer = kafka_nodes(&s.cluster)
        .iter()
        .any(|n| n.props.contains_key("authorizer.class.name"));
    let user = external
        .as_ref()
        .and_then(|d| crate::security::right_user(&s.cluster, &s.issued, d));
    let topic = match user.as_deref().filter(|_| authorizer) {
        None => TOPIC.to_string(),
        Some(u) => match crate::security::topic_for(&s.cluster, u) {
            Ok(t) => t.unwrap_or_else(|| TOPIC.to_string()),
            Err(why) => {
                s.report
                    .skip(format!("outside: EXTERNAL: no round trip: {why}"));
                return Ok(());
            }
        },
    };
    checks::round_trip(
        &mut client,
        &ext,
        &topic,
        "outside",
        RECORDS,
        "outside",
        &mut s.report,
    );
    if let Some(d) = &external {
        crate::security::acl_checks(s, &mut client, d, &ext, Some(d), TOPIC, "inside", RECORDS);
    }
    Ok(())
}
