//! Pods as a kubelet runs them: init containers one after another, then the
//! containers, each started by `runtime/container.sh` in the pod's network
//! namespace and in PID, mount and UTS namespaces of its own; restarts by
//! the restart policy with the kubelet's back-off; startup, liveness and
//! readiness probes (exec, tcpSocket, httpGet) at their rendered periods.

use crate::objects::PodDef;
use crate::probes::{ProbeJob, ProbeKind, ProbeResult};
use anyhow::{Context, Result};
use k8s_openapi::api::core::v1::{Container, Probe};
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

/// Everything `container.sh` needs to start one container.
#[derive(Debug, Clone)]
pub struct Launch {
    pub container: Container,
    pub init: bool,
    pub env: BTreeMap<String, String>,
    pub argv: Vec<String>,
    pub hostname: String,
    pub uid: i64,
    pub gid: i64,
    pub groups: Vec<i64>,
    pub read_only_root: bool,
    pub no_new_privs: bool,
    pub drop_all_caps: bool,
    pub workdir: String,
    pub image_dir: PathBuf,
    /// The image's read-only binds: host source, path in the container.
    pub image_mounts: Vec<(PathBuf, String)>,
    /// Volume mounts: host source, path in the container, read-only.
    pub mounts: Vec<(PathBuf, String, bool)>,
}

#[derive(Debug, Default)]
struct ProbeState {
    due: Option<Instant>,
    running: bool,
    failures: i32,
    successes: i32,
}

/// One container of a pod and what the kubelet knows of it.
#[derive(Debug)]
pub struct ContainerRun {
    pub launch: Launch,
    pub process: Option<Child>,
    pub started_at: Option<Instant>,
    /// Starts so far; results of probes from an earlier start are dropped.
    pub starts: u32,
    pub exit_codes: Vec<Option<i32>>,
    pub started: bool,
    pub ready: bool,
    pub done: bool,
    backoff_until: Option<Instant>,
    /// A restart held back by the harness, beside the back-off.
    held_until: Option<Instant>,
    probes: [ProbeState; 3],
    pub log: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Pending,
    Running,
    Succeeded,
    Failed,
}

pub struct Pod {
    pub def: PodDef,
    pub ip: Ipv4Addr,
    pub netns: String,
    pub dir: PathBuf,
    pub restart_policy: String,
    pub init: Vec<ContainerRun>,
    pub containers: Vec<ContainerRun>,
    pub phase: Phase,
    pub deleted: bool,
}

/// What starting a container needs to know of its pod.
#[derive(Clone)]
struct PodCtx {
    name: String,
    netns: String,
    dir: PathBuf,
    ip: Ipv4Addr,
    restart_policy: String,
}

impl Pod {
    fn ctx(&self) -> PodCtx {
        PodCtx {
            name: self.def.name.clone(),
            netns: self.netns.clone(),
            dir: self.dir.clone(),
            ip: self.ip,
            restart_policy: self.restart_policy.clone(),
        }
    }
}

/// The kubelet: every pod on the node, and the probe results coming back.
pub struct Kubelet {
    pub pods: Vec<Pod>,
    tx: Sender<ProbeResult>,
    rx: Receiver<ProbeResult>,
    runtime: PathBuf,
    /// Printed as things happen (container starts, exits, readiness).
    pub events: Vec<String>,
}

impl ContainerRun {
    pub fn new(launch: Launch, log: PathBuf) -> Self {
        ContainerRun {
            launch,
            process: None,
            started_at: None,
            starts: 0,
            exit_codes: Vec::new(),
            started: false,
            ready: false,
            done: false,
            backoff_until: None,
            held_until: None,
            probes: Default::default(),
            log,
        }
    }

    pub fn name(&self) -> &str {
        &self.launch.container.name
    }

    fn probe(&self, kind: ProbeKind) -> Option<&Probe> {
        let c = &self.launch.container;
        match kind {
            ProbeKind::Startup => c.startup_probe.as_ref(),
            ProbeKind::Liveness => c.liveness_probe.as_ref(),
            ProbeKind::Readiness => c.readiness_probe.as_ref(),
        }
    }

    /// The PID of the container's first process (PID 1 in its namespace).
    pub fn init_pid(&self) -> Option<u32> {
        let unshare = self.process.as_ref()?.id();
        let children =
            fs::read_to_string(format!("/proc/{unshare}/task/{unshare}/children")).ok()?;
        children.split_whitespace().next()?.parse().ok()
    }
}

fn write_nul(path: &Path, items: impl IntoIterator<Item = String>) -> Result<()> {
    let mut bytes = Vec::new();
    for i in items {
        bytes.extend_from_slice(i.as_bytes());
        bytes.push(0);
    }
    fs::write(path, bytes)?;
    Ok(())
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

impl Kubelet {
    pub fn new(runtime: PathBuf) -> Self {
        let (tx, rx) = channel();
        Kubelet {
            pods: Vec::new(),
            tx,
            rx,
            runtime,
            events: Vec::new(),
        }
    }

    pub fn pod(&self, name: &str) -> Option<&Pod> {
        self.pods.iter().find(|p| p.def.name == name && !p.deleted)
    }

    pub fn pod_mut(&mut self, name: &str) -> Option<&mut Pod> {
        self.pods
            .iter_mut()
            .find(|p| p.def.name == name && !p.deleted)
    }

    fn event(&mut self, text: String) {
        self.events.push(text);
    }

    /// Starts one container process.
    fn start(runtime: &Path, pod: &PodCtx, c: &mut ContainerRun) -> Result<()> {
        let l = &c.launch;
        let run = pod.dir.join("run").join(&l.container.name);
        if run.join("root").exists() {
            // A root left by an earlier start: its mounts died with it.
            let _ = fs::remove_dir_all(run.join("root"));
        }
        fs::create_dir_all(&run)?;
        let settings = format!(
            "POD_HOSTNAME={}\nNETNS={}\nIMAGE_DIR={}\nRUN_UID={}\nRUN_GID={}\nRUN_GROUPS={}\nREAD_ONLY_ROOT={}\nNO_NEW_PRIVS={}\nDROP_ALL_CAPS={}\nWORKDIR={}\n",
            shell_quote(&l.hostname),
            shell_quote(&pod.netns),
            shell_quote(&l.image_dir.display().to_string()),
            l.uid,
            l.gid,
            shell_quote(
                &l.groups
                    .iter()
                    .map(|g| g.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            l.read_only_root,
            l.no_new_privs,
            l.drop_all_caps,
            shell_quote(&l.workdir),
        );
        fs::write(run.join("settings"), settings)?;
        write_nul(
            &run.join("env"),
            l.env.iter().map(|(k, v)| format!("{k}={v}")),
        )?;
        write_nul(&run.join("argv"), l.argv.iter().cloned())?;
        let lines = |m: &mut dyn Iterator<Item = String>| m.collect::<Vec<_>>().join("");
        fs::write(
            run.join("image-mounts"),
            lines(
                &mut l
                    .image_mounts
                    .iter()
                    .map(|(s, d)| format!("{} {d} ro\n", s.display())),
            ),
        )?;
        fs::write(
            run.join("mounts"),
            lines(&mut l.mounts.iter().map(|(s, d, ro)| {
                format!("{} {d} {}\n", s.display(), if *ro { "ro" } else { "rw" })
            })),
        )?;
        let mut log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&c.log)?;
        writeln!(
            log,
            "=== kafkagen live: start {} of {}/{}",
            c.starts + 1,
            pod.name,
            l.container.name
        )?;
        let child = Command::new("ip")
            .args([
                "netns", "exec", &pod.netns, "unshare", "--uts", "--mount", "--pid", "--fork",
            ])
            .args(["--kill-child=SIGKILL", "--propagation", "private", "--"])
            .arg("/bin/bash")
            .arg(runtime)
            .arg(&run)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("cannot start a container with ip netns exec and unshare")?;
        c.process = Some(child);
        c.started_at = Some(Instant::now());
        c.starts += 1;
        c.started = false;
        c.ready = false;
        c.probes = Default::default();
        Ok(())
    }

    /// Adds a pod and starts it on the next tick.
    pub fn add(&mut self, pod: Pod) {
        self.event(format!("pod {} scheduled ({})", pod.def.name, pod.ip));
        self.pods.push(pod);
    }

    /// One pass of the kubelet's sync loop.
    pub fn tick(&mut self) -> Result<()> {
        while let Ok(r) = self.rx.try_recv() {
            self.probe_result(r);
        }
        let runtime = self.runtime.clone();
        let tx = self.tx.clone();
        let mut events = Vec::new();
        for pod in self.pods.iter_mut().filter(|p| !p.deleted) {
            if matches!(pod.phase, Phase::Succeeded | Phase::Failed) {
                continue;
            }
            let ctx = pod.ctx();
            // Init containers, in order.
            if let Some(c) = pod.init.iter_mut().find(|c| !c.done) {
                if step_init(&runtime, &ctx, c, &mut events)? {
                    pod.phase = Phase::Failed;
                }
                continue;
            }
            pod.phase = Phase::Running;
            for (idx, c) in pod.containers.iter_mut().enumerate() {
                step_container(&runtime, &ctx, idx, c, &tx, &mut events)?;
            }
            if pod.restart_policy != "Always" && pod.containers.iter().all(|c| c.done) {
                let ok = pod
                    .containers
                    .iter()
                    .all(|c| c.exit_codes.last() == Some(&Some(0)));
                pod.phase = if ok { Phase::Succeeded } else { Phase::Failed };
                events.push(format!("pod {} {:?}", pod.def.name, pod.phase));
            }
        }
        self.events.extend(events);
        Ok(())
    }

    fn probe_result(&mut self, r: ProbeResult) {
        let Some(pod) = self
            .pods
            .iter_mut()
            .find(|p| p.def.name == r.pod && !p.deleted)
        else {
            return;
        };
        let Some(c) = pod.containers.get_mut(r.container) else {
            return;
        };
        if c.starts != r.start || c.process.is_none() {
            return;
        }
        let probe = c.probe(r.kind).cloned().unwrap_or_default();
        let period = Duration::from_secs(probe.period_seconds.unwrap_or(10).max(1) as u64);
        let st = &mut c.probes[r.kind as usize];
        st.running = false;
        st.due = Some(Instant::now() + period);
        if r.outcome.is_ok() {
            st.successes += 1;
            st.failures = 0;
        } else {
            st.failures += 1;
            st.successes = 0;
        }
        let success_threshold = probe.success_threshold.unwrap_or(1);
        let failure_threshold = probe.failure_threshold.unwrap_or(3);
        let (succ, fail) = (st.successes, st.failures);
        let name = c.name().to_string();
        match r.kind {
            ProbeKind::Startup => {
                if succ >= 1 && !c.started {
                    c.started = true;
                    self.events.push(format!(
                        "{}/{name} started (startup probe passed)",
                        pod.def.name
                    ));
                } else if fail >= failure_threshold && !c.started {
                    self.events.push(format!(
                        "{}/{name} failed its startup probe {fail} times: killed",
                        pod.def.name
                    ));
                    kill(c);
                }
            }
            ProbeKind::Liveness => {
                if fail >= failure_threshold {
                    self.events.push(format!(
                        "{}/{name} failed its liveness probe {fail} times ({}): killed",
                        pod.def.name,
                        r.outcome.as_ref().err().cloned().unwrap_or_default()
                    ));
                    kill(c);
                }
            }
            ProbeKind::Readiness => {
                if succ >= success_threshold && !c.ready {
                    c.ready = true;
                    self.events.push(format!("{}/{name} ready", pod.def.name));
                } else if fail >= failure_threshold && c.ready {
                    c.ready = false;
                    self.events.push(format!(
                        "{}/{name} not ready ({})",
                        pod.def.name,
                        r.outcome.err().unwrap_or_default()
                    ));
                } else if fail == failure_threshold {
                    // Failing while not ready: why, once per run of failures.
                    self.events.push(format!(
                        "{}/{name} readiness probe failing ({})",
                        pod.def.name,
                        r.outcome.err().unwrap_or_default()
                    ));
                }
            }
        }
    }

    /// Whether the pod counts as ready: running, every container ready.
    pub fn ready(&self, name: &str) -> bool {
        self.pod(name).is_some_and(|p| {
            p.phase == Phase::Running
                && !p.containers.is_empty()
                && p.containers.iter().all(|c| c.ready)
        })
    }

    /// Kills a container's processes at once (SIGKILL), as `kill -9` of its
    /// main process would; the kubelet restarts it by its restart policy.
    pub fn kill_container(&mut self, pod: &str, container: usize) {
        if let Some(p) = self.pod_mut(pod)
            && let Some(c) = p.containers.get_mut(container)
            && let Some(pid) = c.init_pid()
        {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    }

    /// Holds a container's restart back until `until`, as a node that
    /// cannot start it would (the harness's fault injection).
    pub fn hold(&mut self, pod: &str, container: usize, until: Instant) {
        if let Some(p) = self.pod_mut(pod)
            && let Some(c) = p.containers.get_mut(container)
        {
            c.held_until = Some(until);
        }
    }

    /// Deletes a pod: SIGTERM, then SIGKILL after the grace period.
    pub fn delete(&mut self, name: &str) {
        let Some(pod) = self.pod_mut(name) else {
            return;
        };
        let grace = pod
            .def
            .spec
            .termination_grace_period_seconds
            .unwrap_or(30)
            .max(0) as u64;
        stop_all(pod, Duration::from_secs(grace));
        pod.deleted = true;
        self.events.push(format!("pod {name} deleted"));
    }

    pub fn shutdown(&mut self) {
        for pod in self.pods.iter_mut().filter(|p| !p.deleted) {
            stop_all(pod, Duration::from_secs(0));
            pod.deleted = true;
        }
    }
}

fn stop_all(pod: &mut Pod, grace: Duration) {
    let mut running: Vec<&mut ContainerRun> = pod
        .init
        .iter_mut()
        .chain(pod.containers.iter_mut())
        .filter(|c| c.process.is_some())
        .collect();
    for c in running.iter_mut() {
        if let Some(pid) = c.init_pid() {
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
    }
    let deadline = Instant::now() + grace;
    for c in running.iter_mut() {
        if let Some(p) = c.process.as_mut() {
            while Instant::now() < deadline {
                if let Ok(Some(_)) = p.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        kill(c);
        if let Some(mut p) = c.process.take() {
            let _ = p.wait();
        }
        c.ready = false;
    }
}

fn kill(c: &mut ContainerRun) {
    // SIGKILL to the container's PID 1 ends every process of its PID
    // namespace. (`unshare --kill-child` alone does not reach it: the
    // parent-death signal is cleared when `setpriv` changes the user.)
    if let Some(pid) = c.init_pid() {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
    if let Some(p) = c.process.as_mut() {
        let _ = p.kill();
    }
}

/// The kubelet's restart back-off: 10 s, doubling, at most 5 minutes.
fn backoff(restarts: usize) -> Duration {
    Duration::from_secs((10u64 << restarts.min(5).saturating_sub(1)).min(300))
}

/// Returns whether the pod failed for good.
fn step_init(
    runtime: &Path,
    pod: &PodCtx,
    c: &mut ContainerRun,
    events: &mut Vec<String>,
) -> Result<bool> {
    if c.process.is_none() {
        if c.backoff_until.is_some_and(|t| Instant::now() < t) {
            return Ok(false);
        }
        Kubelet::start(runtime, pod, c)?;
        events.push(format!("{}/{} (init) started", pod.name, c.name()));
        return Ok(false);
    }
    if let Some(status) = c.process.as_mut().unwrap().try_wait()? {
        c.process = None;
        c.exit_codes.push(status.code());
        if status.code() == Some(0) {
            c.done = true;
            events.push(format!("{}/{} (init) completed", pod.name, c.name()));
        } else if pod.restart_policy == "Never" {
            events.push(format!(
                "{}/{} (init) failed: {:?}",
                pod.name,
                c.name(),
                status.code()
            ));
            return Ok(true);
        } else {
            c.backoff_until = Some(Instant::now() + backoff(c.exit_codes.len()));
            events.push(format!(
                "{}/{} (init) failed: {:?}; restarting",
                pod.name,
                c.name(),
                status.code()
            ));
        }
    }
    Ok(false)
}

fn step_container(
    runtime: &Path,
    pod: &PodCtx,
    idx: usize,
    c: &mut ContainerRun,
    tx: &Sender<ProbeResult>,
    events: &mut Vec<String>,
) -> Result<()> {
    if c.done {
        return Ok(());
    }
    if c.process.is_none() {
        let waiting = |t: Option<Instant>| t.is_some_and(|t| Instant::now() < t);
        if waiting(c.backoff_until) || waiting(c.held_until) {
            return Ok(());
        }
        Kubelet::start(runtime, pod, c)?;
        events.push(format!(
            "{}/{} started (start {})",
            pod.name,
            c.name(),
            c.starts
        ));
        return Ok(());
    }
    if let Some(status) = c.process.as_mut().unwrap().try_wait()? {
        c.process = None;
        c.ready = false;
        c.started = false;
        c.exit_codes.push(status.code());
        let code = status.code();
        let restart = match pod.restart_policy.as_str() {
            "Always" => true,
            "OnFailure" => code != Some(0),
            _ => false,
        };
        if restart {
            c.backoff_until = Some(Instant::now() + backoff(c.exit_codes.len()));
            events.push(format!(
                "{}/{} exited {:?}; restarting",
                pod.name,
                c.name(),
                code
            ));
        } else {
            c.done = true;
            events.push(format!("{}/{} exited {:?}", pod.name, c.name(), code));
        }
        return Ok(());
    }
    // Probes: startup first; liveness and readiness once it has passed.
    let now = Instant::now();
    let since = c.started_at.unwrap_or(now);
    let has_startup = c.probe(ProbeKind::Startup).is_some();
    if !has_startup && !c.started {
        c.started = true;
    }
    if c.probe(ProbeKind::Readiness).is_none() && c.started && !c.ready {
        c.ready = true;
        events.push(format!(
            "{}/{} ready (no readiness probe)",
            pod.name,
            c.name()
        ));
    }
    for kind in [
        ProbeKind::Startup,
        ProbeKind::Liveness,
        ProbeKind::Readiness,
    ] {
        let active = match kind {
            ProbeKind::Startup => !c.started,
            _ => c.started,
        };
        let Some(probe) = c.probe(kind).cloned() else {
            continue;
        };
        let st = &mut c.probes[kind as usize];
        if !active || st.running {
            continue;
        }
        let due = *st.due.get_or_insert(
            since + Duration::from_secs(probe.initial_delay_seconds.unwrap_or(0).max(0) as u64),
        );
        if now < due {
            continue;
        }
        st.running = true;
        let job = ProbeJob {
            pod: pod.name.clone(),
            container: idx,
            kind,
            start: c.starts,
            probe,
            ip: pod.ip,
            ports: c
                .launch
                .container
                .ports
                .clone()
                .unwrap_or_default()
                .iter()
                .filter_map(|p| Some((p.name.clone()?, p.container_port)))
                .collect(),
            init_pid: c.init_pid(),
            launch: c.launch.clone(),
        };
        let tx = tx.clone();
        std::thread::spawn(move || {
            let outcome = job.run();
            let _ = tx.send(ProbeResult {
                pod: job.pod,
                container: job.container,
                kind: job.kind,
                start: job.start,
                outcome,
            });
        });
    }
    Ok(())
}
