//! What the enforced NetworkPolicies (`policy`) let through and keep out,
//! tried as TCP connections from pods of the harness's own: one in a
//! namespace no policy names, and one for every namespace (and pod labels)
//! a policy's rule admits by its `namespaceSelector` (Prometheus',
//! `allowFrom`'s). Each connects to every TCP port of every pod a policy
//! isolates, by the pod's address and through every Service with a
//! ClusterIP; what the policies admit must connect, the rest must not.
//! The flows the cluster needs within its namespace (clients, replication,
//! the quorum, the Jobs) are proven by the rest of the boot, which runs
//! with the policies enforced.

use crate::policy::{self, Endpoint};
use crate::session::Session;
use anyhow::Result;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::process::{Child, Command, Stdio};

/// How long a connection may take: a policy drops packets, so what it
/// does not admit times out.
const CONNECT_SECS: &str = "3";

/// How long an admitted connection that timed out gets once more.
const RETRY_SECS: &str = "10";

/// A pod of the harness's own to make: host name, namespace, the
/// namespace's labels, the pod's labels.
type Guest = (String, String, Vec<(String, String)>, Vec<(String, String)>);

/// One connection to try.
struct Attempt {
    from: String,
    to: String,
    ip: Ipv4Addr,
    port: u16,
    admitted: bool,
}

/// The namespace a pod of the harness's own needs for `selector`'s
/// `matchLabels` (`kubernetes.io/metadata.name`, else a name of its own),
/// with the namespace's other labels; `None` for a selector with
/// `matchExpressions`, which the harness does not build a pod for.
fn namespace_for(
    selector: &k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector,
    n: usize,
) -> Option<(String, Vec<(String, String)>)> {
    if selector
        .match_expressions
        .as_ref()
        .is_some_and(|e| !e.is_empty())
    {
        return None;
    }
    let labels = selector.match_labels.clone().unwrap_or_default();
    let name = labels
        .get("kubernetes.io/metadata.name")
        .cloned()
        .unwrap_or_else(|| format!("kafkagen-live-peer-{n}"));
    let others = labels
        .into_iter()
        .filter(|(k, _)| k != "kubernetes.io/metadata.name")
        .collect();
    Some((name, others))
}

pub fn run(s: &mut Session) -> Result<()> {
    if let Some(why) = &s.cluster.policies_not_enforced {
        s.report
            .skip(format!("networkpolicies: not enforced: {why}"));
        return Ok(());
    }
    let (policies, _) = s.cluster.policy_inputs()?;
    if policies.is_empty() {
        return Ok(());
    }
    // Pods of the harness's own: (host name, namespace, its labels, pod labels).
    let mut wanted: Vec<Guest> = vec![(
        "kafkagen-live-elsewhere".into(),
        "kafkagen-live-elsewhere".into(),
        Vec::new(),
        Vec::new(),
    )];
    for p in &policies {
        for rule in p.spec.iter().flat_map(|s| s.ingress.iter().flatten()) {
            for peer in rule.from.iter().flatten() {
                let Some(ns) = &peer.namespace_selector else {
                    continue;
                };
                let Some((namespace, ns_labels)) = namespace_for(ns, wanted.len()) else {
                    continue;
                };
                let pod_labels: Vec<(String, String)> = peer
                    .pod_selector
                    .as_ref()
                    .and_then(|p| p.match_labels.clone())
                    .unwrap_or_default()
                    .into_iter()
                    .collect();
                if !wanted
                    .iter()
                    .any(|(_, n, l, pl)| *n == namespace && *l == ns_labels && *pl == pod_labels)
                {
                    let name = format!("kafkagen-live-peer-{}", wanted.len());
                    wanted.push((name, namespace, ns_labels, pod_labels));
                }
            }
        }
    }
    let mut guests: Vec<(String, String, String)> = Vec::new();
    for (name, namespace, ns_labels, pod_labels) in &wanted {
        let ns_refs: Vec<(&str, &str)> = ns_labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let pod_refs: Vec<(&str, &str)> = pod_labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let (_, netns) = s.cluster.add_guest(name, namespace, &ns_refs, &pod_refs)?;
        let said = if pod_labels.is_empty() {
            format!("a pod in namespace {namespace}")
        } else {
            format!("a pod {pod_labels:?} in namespace {namespace}")
        };
        guests.push((netns, said, name.clone()));
    }
    let (policies, endpoints) = s.cluster.policy_inputs()?;
    let mut attempts: Vec<(usize, Attempt)> = Vec::new();
    for (g, (_, said, name)) in guests.iter().enumerate() {
        let from = endpoints
            .iter()
            .find(|e| {
                s.cluster
                    .guests
                    .iter()
                    .any(|(n, ge)| n == name && ge.ip == e.ip)
            })
            .map(|e| e.ip)
            .expect("the guest was just added");
        for pod in s.cluster.live_pods() {
            let Some(to) = endpoints.iter().find(|e| e.ip == pod.ip) else {
                continue;
            };
            for port in tcp_ports(pod) {
                let Some(admitted) = admits(&policies, &endpoints, to, from, port)? else {
                    continue;
                };
                attempts.push((
                    g,
                    Attempt {
                        from: said.clone(),
                        to: format!("{} {}:{port}", pod.def.name, pod.ip),
                        ip: pod.ip,
                        port,
                        admitted,
                    },
                ));
            }
        }
        // Through each Service: its frontend, decided for its endpoints.
        for svc in &s.cluster.services {
            let Some(vip) = svc.cluster_ip else { continue };
            let pods = s.cluster.selected(svc);
            for sp in svc.ports() {
                let target = sp.target_port.clone().unwrap_or(IntOrString::Int(sp.port));
                let mut verdicts = BTreeSet::new();
                for (pod, ready) in &pods {
                    let Some(to) = endpoints.iter().find(|e| e.ip == pod.ip) else {
                        continue;
                    };
                    let port = match &target {
                        IntOrString::Int(n) => u16::try_from(*n).ok(),
                        IntOrString::String(n) => {
                            to.ports.iter().find(|(p, _)| p == n).map(|(_, p)| *p)
                        }
                    };
                    if let (true, Some(port)) = (*ready, port) {
                        verdicts.insert(admits(&policies, &endpoints, to, from, port)?);
                    }
                }
                // Only where every endpoint gives the same answer.
                if let [Some(admitted)] = verdicts.into_iter().collect::<Vec<_>>()[..] {
                    attempts.push((
                        g,
                        Attempt {
                            from: said.clone(),
                            to: format!("Service {} {vip}:{}", svc.name, sp.port),
                            ip: vip,
                            port: sp.port as u16,
                            admitted,
                        },
                    ));
                }
            }
        }
    }
    // All at once: a refused one takes its whole timeout.
    let children: Vec<Option<Child>> = attempts
        .iter()
        .map(|(g, a)| connect(&guests[*g].0, a.ip, a.port))
        .collect();
    let mut wrong: Vec<Vec<String>> = vec![Vec::new(); guests.len()];
    let mut tried = String::new();
    let mut counts = vec![(0, 0); guests.len()];
    for ((g, a), child) in attempts.iter().zip(children) {
        let mut outcome = outcome(child);
        if a.admitted && outcome == Outcome::TimedOut {
            // Once more, given longer, before a busy machine counts as a
            // policy that drops.
            outcome = self::outcome(connect_within(&guests[*g].0, a.ip, a.port, RETRY_SECS));
        }
        let connected = outcome == Outcome::Connected;
        if a.admitted {
            counts[*g].0 += 1;
        } else {
            counts[*g].1 += 1;
        }
        let _ = writeln!(
            tried,
            "{}\t{}\t{}\t{}",
            a.from,
            a.to,
            if a.admitted {
                "admitted"
            } else {
                "not admitted"
            },
            match outcome {
                Outcome::Connected => "connected",
                Outcome::TimedOut => "timed out",
                Outcome::Refused => "refused",
            }
        );
        // What the policies do not admit is dropped, so the attempt times
        // out; a refusal came from the pod, past the policies.
        let right = if a.admitted {
            connected
        } else {
            outcome == Outcome::TimedOut
        };
        if !right {
            wrong[*g].push(format!(
                "{} {} {}, which the policies {}",
                a.from,
                match outcome {
                    Outcome::Connected => "reached",
                    Outcome::TimedOut => "timed out reaching",
                    Outcome::Refused => "was answered with a refusal (not dropped) by",
                },
                a.to,
                if a.admitted { "admit" } else { "do not admit" }
            ));
        }
    }
    std::fs::write(s.cluster.work.join("networkpolicies.tsv"), tried)?;
    for (g, (_, said, _)) in guests.iter().enumerate() {
        let (admitted, dropped) = counts[g];
        if admitted + dropped == 0 {
            continue;
        }
        s.report.check(
            wrong[g].is_empty(),
            if wrong[g].is_empty() {
                format!(
                    "networkpolicies: {said} makes the {admitted} connections the policies admit, and the other {dropped} time out, dropped"
                )
            } else {
                format!("networkpolicies: {}", wrong[g].join("; "))
            },
        );
    }
    Ok(())
}

/// The policies' answer for a connection, as `policy::admits` gives it;
/// what the harness cannot translate was said at boot and stops nothing.
fn admits(
    policies: &[k8s_openapi::api::networking::v1::NetworkPolicy],
    endpoints: &[Endpoint],
    to: &Endpoint,
    from: Ipv4Addr,
    port: u16,
) -> Result<Option<bool>> {
    policy::admits(policies, endpoints, to, from, port).map_err(anyhow::Error::msg)
}

/// Every TCP port a pod's containers declare.
fn tcp_ports(pod: &crate::pods::Pod) -> Vec<u16> {
    pod.def
        .spec
        .containers
        .iter()
        .flat_map(|c| c.ports.iter().flatten())
        .filter(|p| p.protocol.as_deref().unwrap_or("TCP") == "TCP")
        .filter_map(|p| u16::try_from(p.container_port).ok())
        .collect()
}

/// Whether a TCP connection from `netns` to `ip:port` is established
/// within `CONNECT_SECS`.
pub fn connects(netns: &str, ip: Ipv4Addr, port: u16) -> bool {
    outcome(connect(netns, ip, port)) == Outcome::Connected
}

/// How a connection attempt ended.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Outcome {
    Connected,
    /// No answer: dropped on the way.
    TimedOut,
    /// Refused or unreachable: an answer came back.
    Refused,
}

/// The outcome of an attempt `connect` started (`timeout` exits 124 when
/// the time ran out).
fn outcome(child: Option<Child>) -> Outcome {
    match child
        .and_then(|c| c.wait_with_output().ok())
        .map(|o| o.status.code())
    {
        Some(Some(0)) => Outcome::Connected,
        Some(Some(124)) => Outcome::TimedOut,
        _ => Outcome::Refused,
    }
}

/// A TCP connection from `netns` to `ip:port`, as bash opens one; exits 0
/// when it is established within `CONNECT_SECS`.
fn connect(netns: &str, ip: Ipv4Addr, port: u16) -> Option<Child> {
    connect_within(netns, ip, port, CONNECT_SECS)
}

/// The same, within `secs` seconds.
fn connect_within(netns: &str, ip: Ipv4Addr, port: u16, secs: &str) -> Option<Child> {
    Command::new("ip")
        .args([
            "netns",
            "exec",
            netns,
            "timeout",
            secs,
            "bash",
            "-c",
            &format!("exec 3<>/dev/tcp/{ip}/{port}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()
}
