//! Brokers: unique ids, listeners that are bound where they are advertised,
//! every advertised address reaching its broker, and ZooKeeper reachable.

use super::context::{Ctx, NODE_IP, Pod, Resolved, container_port, parse_listener, target};
use super::{Finding, found};
use k8s_openapi::api::core::v1::ServicePort;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::{BTreeSet, HashMap};

/// Pods that advertise listeners, with what they advertise.
fn brokers<'p, 'a>(cx: &'p Ctx<'a>) -> impl Iterator<Item = (&'p Pod<'a>, &'p str)> {
    cx.pods.iter().filter_map(|pod| {
        pod.env
            .get("KAFKA_ADVERTISED_LISTENERS")
            .map(|a| (pod, a.as_str()))
    })
}

fn who(pod: &Pod) -> String {
    format!("broker `{}`", pod.name)
}

pub fn ids(cx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut ids: HashMap<&str, &Pod> = HashMap::new();
    for (pod, _) in brokers(cx) {
        match pod
            .env
            .get("KAFKA_BROKER_ID")
            .or(pod.env.get("KAFKA_NODE_ID"))
        {
            None => out.push(found(
                vec![pod.id()],
                format!("{} has no broker id", who(pod)),
            )),
            Some(id) => {
                if let Some(other) = ids.insert(id, pod) {
                    out.push(found(
                        vec![other.id(), pod.id()],
                        format!("brokers `{}` and `{}` share id {id}", other.name, pod.name),
                    ));
                }
            }
        }
    }
    out
}

/// The listeners a pod binds: name -> port.
fn bound<'p>(pod: &'p Pod) -> HashMap<&'p str, i32> {
    pod.env
        .get("KAFKA_LISTENERS")
        .map(|l| {
            l.split(',')
                .filter_map(parse_listener)
                .map(|(n, _, p)| (n, p))
                .collect()
        })
        .unwrap_or_default()
}

fn opens(pod: &Pod, port: i32) -> bool {
    pod.spec
        .containers
        .iter()
        .any(|c| container_port(c, &IntOrString::Int(port)).is_some())
}

pub fn listeners(cx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    for (pod, advertised) in brokers(cx) {
        let mut problem = |message: String| out.push(found(vec![pod.id()], message));
        let who = who(pod);
        let protocols: BTreeSet<&str> = pod
            .env
            .get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP")
            .map(|m| {
                m.split(',')
                    .filter_map(|e| e.split_once(':').map(|(n, _)| n))
                    .collect()
            })
            .unwrap_or_default();
        let listeners = bound(pod);
        if let Some(inter) = pod.env.get("KAFKA_INTER_BROKER_LISTENER_NAME")
            && !listeners.contains_key(inter.as_str())
        {
            problem(format!(
                "{who}: inter-broker listener {inter} is not among KAFKA_LISTENERS"
            ));
        }
        for entry in advertised.split(',') {
            let Some((name, _, _)) = parse_listener(entry) else {
                problem(format!(
                    "{who}: advertised listener `{entry}` is not NAME://host:port"
                ));
                continue;
            };
            if !protocols.contains(name) {
                problem(format!(
                    "{who}: listener {name} has no security protocol in KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"
                ));
            }
            match listeners.get(name) {
                None => problem(format!(
                    "{who}: advertised listener {name} is not among KAFKA_LISTENERS"
                )),
                Some(&port) if !opens(pod, port) => problem(format!(
                    "{who}: listener {name} port {port} is not a container port"
                )),
                Some(_) => {}
            }
        }
    }
    out.dedup();
    out
}

pub fn advertised_reachable(cx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    for (pod, advertised) in brokers(cx) {
        let listeners = bound(pod);
        for (name, host, port) in advertised.split(',').filter_map(parse_listener) {
            // An unbound or closed listener is rule `broker-listeners`.
            let Some(&listen_port) = listeners.get(name).filter(|&&p| opens(pod, p)) else {
                continue;
            };
            if let Some(problem) = unreachable(cx, pod, host, port, listen_port) {
                out.push(found(
                    vec![pod.id()],
                    format!(
                        "{} advertises {name}://{host}:{port}, but {problem}",
                        who(pod)
                    ),
                ));
            }
        }
    }
    out.dedup();
    out
}

/// Why a client could not reach `pod` at `host:port`, if it could not.
fn unreachable(cx: &Ctx, pod: &Pod, host: &str, port: i32, listen_port: i32) -> Option<String> {
    let own = cx
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
        return (!single("NodePort", &|p| p.node_port == Some(port)))
            .then(|| format!("no NodePort Service selecting only this pod has node port {port}"));
    }
    match cx.resolve(host) {
        Resolved::Pod(p) if p.name == pod.name => {
            (port != listen_port).then(|| format!("the listener is on port {listen_port}"))
        }
        Resolved::Pod(p) => Some(format!("that is the DNS name of pod `{}`", p.name)),
        Resolved::Service(_) => {
            Some("that is a Service shared by several pods, not this broker's own address".into())
        }
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

pub fn zookeeper_connect(cx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    for (pod, _) in brokers(cx) {
        let Some(connect) = pod.env.get("KAFKA_ZOOKEEPER_CONNECT") else {
            continue;
        };
        let hosts = connect.split('/').next().unwrap_or_default();
        for hp in hosts.split(',') {
            let ok = hp
                .rsplit_once(':')
                .and_then(|(h, p)| Some((h, p.parse::<i32>().ok()?)))
                .is_some_and(|(h, p)| cx.reaches(h, p));
            if !ok {
                out.push(found(
                    vec![pod.id()],
                    format!(
                        "{}: ZooKeeper address `{hp}` is not a rendered ZooKeeper pod or Service port",
                        who(pod)
                    ),
                ));
            }
        }
    }
    out.dedup();
    out
}
