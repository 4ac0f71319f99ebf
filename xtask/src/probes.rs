//! Probes as a kubelet runs them: tcpSocket and httpGet from the node to
//! the pod's address, exec inside the container as its user with its
//! environment. `pods.rs` schedules them and reads their results.

use crate::pods::Launch;
use k8s_openapi::api::core::v1::Probe;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeKind {
    Startup,
    Liveness,
    Readiness,
}

/// A probe run's outcome, sent back to the kubelet.
pub struct ProbeResult {
    pub pod: String,
    pub container: usize,
    pub kind: ProbeKind,
    pub start: u32,
    /// `Err` with why the probe failed, which the pod's events say.
    pub outcome: Result<(), String>,
}

/// One probe run, with what it needs of its pod and container.
pub struct ProbeJob {
    pub pod: String,
    pub container: usize,
    pub kind: ProbeKind,
    pub start: u32,
    pub probe: Probe,
    pub ip: Ipv4Addr,
    pub ports: BTreeMap<String, i32>,
    pub init_pid: Option<u32>,
    pub launch: Launch,
}

impl ProbeJob {
    fn port(&self, p: &IntOrString) -> Option<u16> {
        match p {
            IntOrString::Int(n) => u16::try_from(*n).ok(),
            IntOrString::String(name) => self.ports.get(name).and_then(|n| u16::try_from(*n).ok()),
        }
    }

    /// Whether the probe succeeded, and if not, why.
    pub fn run(&self) -> Result<(), String> {
        let timeout = Duration::from_secs(self.probe.timeout_seconds.unwrap_or(1).max(1) as u64);
        if let Some(t) = &self.probe.tcp_socket {
            let Some(port) = self.port(&t.port) else {
                return Err("no such port".into());
            };
            return TcpStream::connect_timeout(&SocketAddr::from((self.ip, port)), timeout)
                .map(|_| ())
                .map_err(|e| format!("connect to port {port}: {e}"));
        }
        if let Some(h) = &self.probe.http_get {
            let Some(port) = self.port(&h.port) else {
                return Err("no such port".into());
            };
            return http_ok(self.ip, port, h.path.as_deref().unwrap_or("/"), timeout)
                .then_some(())
                .ok_or_else(|| format!("GET on port {port}: no 2xx or 3xx answer"));
        }
        if let Some(e) = &self.probe.exec {
            return self.exec(e.command.clone().unwrap_or_default(), timeout);
        }
        Err("no probe action".into())
    }

    /// Runs the command inside the container, as the container's user with
    /// its environment, as `kubectl exec` would.
    fn exec(&self, command: Vec<String>, timeout: Duration) -> Result<(), String> {
        let Some(pid) = self.init_pid else {
            return Err("the container has no process".into());
        };
        let l = &self.launch;
        let groups = l
            .groups
            .iter()
            .map(|g| g.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let mut cmd = Command::new("nsenter");
        cmd.args([
            "-t",
            &pid.to_string(),
            "-m",
            "-u",
            "-n",
            "-p",
            "-r",
            "-w",
            "--",
        ])
        .arg("/usr/bin/setpriv")
        .arg(format!("--reuid={}", l.uid))
        .arg(format!("--regid={}", l.gid))
        .arg(format!("--groups={groups}"))
        .arg("/usr/bin/env")
        .arg("-i")
        .arg("-C")
        .arg(&l.workdir);
        for (k, v) in &l.env {
            cmd.arg(format!("{k}={v}"));
        }
        let Ok(mut child) = cmd
            .args(command)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        else {
            return Err("nsenter did not start".into());
        };
        let start = Instant::now();
        loop {
            match child.try_wait() {
                Ok(Some(s)) if s.success() => return Ok(()),
                Ok(Some(s)) => {
                    return Err(format!(
                        "exec {s} after {:.1} s",
                        start.elapsed().as_secs_f64()
                    ));
                }
                Ok(None) if start.elapsed() < timeout => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!("exec timed out after {} s", timeout.as_secs()));
                }
            }
        }
    }
}

fn http_ok(ip: Ipv4Addr, port: u16, path: &str, timeout: Duration) -> bool {
    http_get(SocketAddr::from((ip, port)), path, timeout)
        .is_ok_and(|(code, _)| (200..400).contains(&code))
}

/// A plain HTTP/1.0 GET, as a probe or a scraper sends it: status and body.
pub fn http_get(addr: SocketAddr, path: &str, timeout: Duration) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, timeout)?;
    s.set_read_timeout(Some(timeout))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n")?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok((code, body.to_string()))
}
