//! What the live boot checks on a running cluster, each a line of the
//! report: ZooKeeper's ensemble, the KRaft quorum, the registered brokers,
//! topics, records produced and consumed inside and outside the cluster.
//! Expectations come from what the pods run (their effective configuration
//! files) and what the manifests declare, never from kafkagen's model.

use crate::client::{Client, field};
use crate::cluster::{Cluster, ServiceInfo};
use crate::images::Kind;
use crate::network::NODE_IP;
use crate::objects::Owner;
use crate::pods::Pod;
use kafkagen::job_input::{self, TopicLine};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

/// What became of a check: passed, failed, or could not run (a skip,
/// with its reason, counted apart and never as a pass).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail,
    Skip,
}

#[derive(Default)]
pub struct Report {
    pub lines: Vec<(Outcome, String)>,
}

impl Report {
    pub fn pass(&mut self, text: impl Into<String>) {
        self.add(Outcome::Pass, text.into());
    }

    pub fn fail(&mut self, text: impl Into<String>) {
        self.add(Outcome::Fail, text.into());
    }

    /// A check that could not run for this render, and why.
    pub fn skip(&mut self, text: impl Into<String>) {
        self.add(Outcome::Skip, text.into());
    }

    fn add(&mut self, outcome: Outcome, t: String) {
        let word = match outcome {
            Outcome::Pass => "ok  ",
            Outcome::Fail => "FAIL",
            Outcome::Skip => "skip",
        };
        println!("{word}  {t}");
        self.lines.push((outcome, t));
    }

    pub fn check(&mut self, ok: bool, text: impl Into<String>) {
        if ok { self.pass(text) } else { self.fail(text) }
    }

    fn count(&self, outcome: Outcome) -> usize {
        self.lines.iter().filter(|(o, _)| *o == outcome).count()
    }

    pub fn failed(&self) -> usize {
        self.count(Outcome::Fail)
    }

    pub fn passed(&self) -> usize {
        self.count(Outcome::Pass)
    }

    pub fn skipped(&self) -> usize {
        self.count(Outcome::Skip)
    }
}

pub type Props = BTreeMap<String, String>;

pub fn parse_props(text: &str) -> Props {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// What kind of image a pod's first container runs.
pub fn kind_of(cluster: &Cluster, pod: &Pod) -> Option<Kind> {
    let image = pod.def.spec.containers.first()?.image.clone()?;
    cluster.images.get(&image).map(|i| i.kind)
}

/// The server configuration a pod's entrypoint wrote and its server runs
/// with, read from the running container's filesystem.
pub fn effective_config(cluster: &Cluster, pod: &Pod) -> Option<Props> {
    let image = pod.def.spec.containers.first()?.image.clone()?;
    let path = &cluster.images.get(&image)?.config_file;
    let c = pod.containers.first()?;
    let text = c
        .init_pid()
        .and_then(|pid| std::fs::read_to_string(format!("/proc/{pid}/root{path}")).ok())
        .or_else(|| cluster.read_in_pod(pod, 0, path))?;
    Some(parse_props(&text))
}

/// A Kafka node (broker, controller or both) as it runs.
pub struct Node<'a> {
    pub pod: &'a Pod,
    pub id: u32,
    pub broker: bool,
    pub controller: bool,
    pub props: Props,
}

pub fn kafka_nodes(cluster: &Cluster) -> Vec<Node<'_>> {
    let mut nodes = Vec::new();
    for pod in cluster.live_pods() {
        if matches!(pod.def.owner, Owner::Job(_)) {
            continue;
        }
        if !matches!(
            kind_of(cluster, pod),
            Some(Kind::ConfluentKafka | Kind::ConfluentServer | Kind::ApacheKafka)
        ) {
            continue;
        }
        let Some(props) = effective_config(cluster, pod) else {
            continue;
        };
        let id = props
            .get("node.id")
            .or_else(|| props.get("broker.id"))
            .and_then(|v| v.parse().ok())
            .unwrap_or(u32::MAX);
        let roles = props
            .get("process.roles")
            .cloned()
            .unwrap_or_else(|| "broker".into());
        nodes.push(Node {
            pod,
            id,
            broker: roles.split(',').any(|r| r.trim() == "broker"),
            controller: roles.split(',').any(|r| r.trim() == "controller"),
            props,
        });
    }
    nodes.sort_by_key(|n| n.id);
    nodes
}

fn ids(it: impl IntoIterator<Item = u32>) -> String {
    let set: BTreeSet<u32> = it.into_iter().collect();
    set.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// `srvr` on a ZooKeeper server's client port: its `Mode:`.
pub fn zk_mode(ip: Ipv4Addr, port: u16) -> Option<String> {
    let mut s =
        TcpStream::connect_timeout(&SocketAddr::from((ip, port)), Duration::from_secs(5)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(b"srvr").ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    out.lines()
        .find_map(|l| l.strip_prefix("Mode: ").map(str::to_string))
}

/// The ZooKeeper pods with their client port.
pub fn zookeepers(cluster: &Cluster) -> Vec<(&Pod, u16, Props)> {
    cluster
        .live_pods()
        .filter(|p| kind_of(cluster, p) == Some(Kind::ConfluentZooKeeper))
        .filter_map(|p| {
            let props = effective_config(cluster, p)?;
            let port = props.get("clientPort")?.parse().ok()?;
            Some((p, port, props))
        })
        .collect()
}

pub fn zookeeper(cluster: &Cluster, report: &mut Report) {
    let servers = zookeepers(cluster);
    if servers.is_empty() {
        return;
    }
    let mut modes = BTreeMap::new();
    for (pod, port, props) in &servers {
        let mode = zk_mode(pod.ip, *port).unwrap_or_else(|| "no answer".into());
        modes.insert(pod.def.name.clone(), mode);
        let own = cluster.pod_dns(&pod.def);
        let listed: Vec<(String, String)> = props
            .iter()
            .filter_map(|(k, v)| {
                Some((
                    k.strip_prefix("server.")?.to_string(),
                    v.split(':').next()?.to_string(),
                ))
            })
            .collect();
        let data_dir = props.get("dataDir").cloned().unwrap_or_default();
        let myid = pod.containers[0]
            .init_pid()
            .and_then(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/root{data_dir}/myid")).ok()
            })
            .map(|s| s.trim().to_string());
        if listed.is_empty() {
            continue;
        }
        let position = listed
            .iter()
            .find(|(_, host)| host == &own)
            .map(|(n, _)| n.clone());
        report.check(
            myid.is_some() && myid == position,
            format!(
                "zookeeper: {} runs as server {} and is server.{} ({own}) of the ensemble",
                pod.def.name,
                myid.clone().unwrap_or_else(|| "?".into()),
                position.unwrap_or_else(|| "? (its own name is not listed)".into())
            ),
        );
    }
    let leaders = modes.values().filter(|m| *m == "leader").count();
    let followers = modes.values().filter(|m| *m == "follower").count();
    let standalone = modes.values().filter(|m| *m == "standalone").count();
    let text = modes
        .iter()
        .map(|(p, m)| format!("{p}={m}"))
        .collect::<Vec<_>>()
        .join(" ");
    if servers.len() == 1 {
        report.check(
            standalone == 1 || leaders == 1,
            format!("zookeeper: one server serving ({text})"),
        );
    } else {
        report.check(
            leaders == 1 && followers == servers.len() - 1,
            format!(
                "zookeeper: one leader, {} followers ({text})",
                servers.len() - 1
            ),
        );
    }
}

/// The bootstrap address clients in the cluster use: a ClusterIP Service
/// selecting the brokers, by its DNS name.
pub fn inside_bootstrap(cluster: &Cluster) -> Option<String> {
    let brokers: Vec<String> = kafka_nodes(cluster)
        .iter()
        .filter(|n| n.broker)
        .map(|n| n.pod.def.name.clone())
        .collect();
    cluster
        .services
        .iter()
        .filter(|s| s.service_type() == "ClusterIP" && !s.headless())
        .find(|s| {
            let sel: Vec<String> = cluster
                .selected(s)
                .iter()
                .map(|(p, _)| p.def.name.clone())
                .collect();
            !sel.is_empty() && sel.iter().all(|p| brokers.contains(p)) && sel.len() == brokers.len()
        })
        .map(|s| {
            format!(
                "{}.{}.svc.{}:{}",
                s.name,
                cluster.namespace(),
                cluster.domain,
                s.ports()[0].port
            )
        })
}

/// Where an outside client reaches a Service: node address and node port,
/// or load-balancer address and port.
pub fn frontend(s: &ServiceInfo) -> Option<(Ipv4Addr, u16)> {
    let port = s.ports().into_iter().next()?;
    match s.service_type().as_str() {
        "NodePort" => Some((NODE_IP, port.node_port? as u16)),
        "LoadBalancer" => Some((s.lb_ip?, port.port as u16)),
        _ => None,
    }
}

/// External Services of the brokers: (the shared bootstrap, per-broker
/// Services by pod name).
pub fn external_services(
    cluster: &Cluster,
) -> (Option<&ServiceInfo>, BTreeMap<String, &ServiceInfo>) {
    let brokers: BTreeSet<String> = kafka_nodes(cluster)
        .iter()
        .filter(|n| n.broker)
        .map(|n| n.pod.def.name.clone())
        .collect();
    let mut bootstrap = None;
    let mut per = BTreeMap::new();
    for s in cluster.services.iter().filter(|s| frontend(s).is_some()) {
        let sel: BTreeSet<String> = cluster
            .selected(s)
            .iter()
            .map(|(p, _)| p.def.name.clone())
            .collect();
        if sel.is_empty() || !sel.is_subset(&brokers) {
            continue;
        }
        let pins_pod = s
            .selector()
            .contains_key("statefulset.kubernetes.io/pod-name");
        if sel == brokers && !pins_pod {
            bootstrap = Some(s);
        } else if sel.len() == 1 {
            per.insert(sel.into_iter().next().unwrap(), s);
        }
    }
    (bootstrap, per)
}

/// `NAME://host:port` entries of a listener list.
pub fn listeners(value: &str) -> Vec<(String, String, u16)> {
    value
        .split(',')
        .filter_map(|l| {
            let (name, rest) = l.trim().split_once("://")?;
            let (host, port) = rest.rsplit_once(':')?;
            Some((name.to_string(), host.to_string(), port.parse().ok()?))
        })
        .collect()
}

/// The address each broker advertises to the outside: the listener on the
/// port its own external Service serves.
pub fn advertised_external(cluster: &Cluster) -> BTreeMap<u32, (String, u16, Ipv4Addr)> {
    let (_, per) = external_services(cluster);
    let mut out = BTreeMap::new();
    for n in kafka_nodes(cluster).iter().filter(|n| n.broker) {
        let Some(s) = per.get(&n.pod.def.name) else {
            continue;
        };
        let Some((ip, port)) = frontend(s) else {
            continue;
        };
        let adv = listeners(
            n.props
                .get("advertised.listeners")
                .map(String::as_str)
                .unwrap_or(""),
        );
        if let Some((_, host, p)) = adv.into_iter().find(|(_, _, p)| *p == port) {
            out.insert(n.id, (host, p, ip));
        }
    }
    out
}

pub fn kraft(cluster: &Cluster, client: &mut Client, bootstrap: &str, report: &mut Report) {
    let nodes = kafka_nodes(cluster);
    let voters_cfg: BTreeSet<String> = nodes
        .iter()
        .filter_map(|n| n.props.get("controller.quorum.voters").cloned())
        .collect();
    if voters_cfg.is_empty() && !nodes.iter().any(|n| n.props.contains_key("process.roles")) {
        return;
    }
    report.check(
        voters_cfg.len() == 1,
        format!(
            "kraft: every node runs with the same controller.quorum.voters ({} distinct)",
            voters_cfg.len()
        ),
    );
    let controllers = ids(nodes.iter().filter(|n| n.controller).map(|n| n.id));
    let configured = voters_cfg
        .iter()
        .next()
        .map(|v| {
            ids(v
                .split(',')
                .filter_map(|e| e.split('@').next()?.parse().ok()))
        })
        .unwrap_or_default();
    report.check(
        configured == controllers,
        format!(
            "kraft: the voters ({configured}) are the controller pods' node ids ({controllers})"
        ),
    );
    match client.call(&format!("quorum {bootstrap}")) {
        Ok(q) => {
            let leader = field(&q, "leader").unwrap_or("-1").to_string();
            let voters = field(&q, "voters").unwrap_or("").to_string();
            report.check(
                voters == controllers && voters.split(',').any(|v| v == leader),
                format!("kraft: the quorum has leader {leader} and voters {voters}"),
            );
        }
        Err(e) => report.fail(format!("kraft: describe quorum: {e:#}")),
    }
}

pub fn brokers(cluster: &Cluster, client: &mut Client, bootstrap: &str, report: &mut Report) {
    let nodes = kafka_nodes(cluster);
    let want = ids(nodes.iter().filter(|n| n.broker).map(|n| n.id));
    match client.call(&format!("cluster {bootstrap}")) {
        Ok(c) => {
            let got = ids(field(&c, "brokers")
                .unwrap_or("")
                .split(',')
                .filter_map(|b| b.split('@').next()?.parse().ok()));
            report.check(
                got == want,
                format!("brokers: registered {got}, the broker pods run {want} (via {bootstrap})"),
            );
        }
        Err(e) => report.fail(format!("brokers: describe cluster via {bootstrap}: {e:#}")),
    }
}

/// The topics the topics Job declares.
pub fn declared_topics(cluster: &Cluster) -> Vec<TopicLine> {
    cluster
        .objects
        .jobs
        .iter()
        .filter_map(|job| crate::objects::job_env(job, job_input::TOPICS))
        .flat_map(|doc| job_input::topics(&doc))
        .collect()
}

pub fn topics(cluster: &Cluster, client: &mut Client, bootstrap: &str, report: &mut Report) {
    for TopicLine {
        name,
        partitions,
        replicas: rf,
        configs,
    } in declared_topics(cluster)
    {
        match client.call(&format!("topic {bootstrap} {name}")) {
            Ok(t) => {
                let got_cfg: BTreeSet<&str> = field(&t, "configs")
                    .unwrap_or("")
                    .split(';')
                    .filter(|s| !s.is_empty())
                    .collect();
                let want_cfg: BTreeSet<&str> = configs.iter().map(String::as_str).collect();
                let ok = field(&t, "partitions") == Some(&partitions.to_string())
                    && field(&t, "rf") == Some(&rf.to_string())
                    && want_cfg.is_subset(&got_cfg);
                report.check(
                    ok,
                    format!(
                        "topic {name}: {t} (declared partitions={partitions} rf={rf} configs={})",
                        configs.join(";")
                    ),
                );
            }
            Err(e) => report.fail(format!("topic {name}: {e:#}")),
        }
    }
}

/// Produces `n` records with acks=all and reads them back.
pub fn round_trip(
    client: &mut Client,
    bootstrap: &str,
    topic: &str,
    tag: &str,
    n: u32,
    who: &str,
    report: &mut Report,
) {
    let r = client
        .call(&format!("produce {bootstrap} {topic} {n} {tag}"))
        .and_then(|p| {
            Ok((
                p,
                client.call(&format!("consume {bootstrap} {topic} {tag} {n}"))?,
            ))
        });
    match r {
        Ok((p, c)) => report.pass(format!(
            "{who}: {topic}: produced with acks=all ({p}) and consumed back ({c}) via {bootstrap}"
        )),
        Err(e) => report.fail(format!("{who}: {topic} via {bootstrap}: {e:#}")),
    }
}

/// Files in every workload container's `LOG_DIR` (an emptyDir that the
/// node evicts the pod for when it grows): only the rotated GC log may be
/// there; rolling server logs that nothing deletes may not.
pub fn log_dirs(cluster: &Cluster, report: &mut Report) {
    let mut files = 0;
    let mut bytes = 0u64;
    let mut unbounded = Vec::new();
    for pod in cluster
        .live_pods()
        .filter(|p| !matches!(p.def.owner, Owner::Job(_)))
    {
        for c in &pod.containers {
            let Some(dir) = c.launch.env.get("LOG_DIR") else {
                continue;
            };
            let Some((src, _, _)) = c.launch.mounts.iter().find(|(_, dest, _)| dest == dir) else {
                continue;
            };
            for e in std::fs::read_dir(src).into_iter().flatten().flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                files += 1;
                bytes += e.metadata().map(|m| m.len()).unwrap_or(0);
                if !name.contains("gc.log") {
                    unbounded.push(format!("{}/{}:{dir}/{name}", pod.def.name, c.name()));
                }
            }
        }
    }
    report.check(
        unbounded.is_empty(),
        if unbounded.is_empty() {
            format!(
                "logs: LOG_DIR holds only the rotated GC logs ({files} files, {} KiB)",
                bytes / 1024
            )
        } else {
            format!(
                "logs: files nothing deletes grow in LOG_DIR: {}",
                unbounded.join(", ")
            )
        },
    );
}
