//! KRaft: one cluster id and one voter list everywhere, unique node ids,
//! every voter a controller pod listening where the list says, and
//! controller-only pods neither advertised nor exposed.

use super::context::{Ctx, Pod, Resolved, container_port, labels_of, ns, parse_listener};
use super::{Finding, found, sorted};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::{BTreeSet, HashMap};

const VOTERS: &str = "KAFKA_CONTROLLER_QUORUM_VOTERS";

fn nodes<'p, 'a>(cx: &'p Ctx<'a>) -> Vec<&'p Pod<'a>> {
    cx.pods
        .iter()
        .filter(|p| p.env.contains_key("KAFKA_PROCESS_ROLES"))
        .collect()
}

fn is_controller(p: &Pod) -> bool {
    p.env
        .get("KAFKA_PROCESS_ROLES")
        .is_some_and(|r| r.split(',').any(|r| r == "controller"))
}

pub fn agreement(cx: &Ctx) -> Vec<Finding> {
    let nodes = nodes(cx);
    let Some(first) = nodes.first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for key in ["CLUSTER_ID", VOTERS] {
        let expected = first.env.get(key);
        if expected.is_none_or(String::is_empty) {
            out.push(found(
                vec![first.id()],
                format!("KRaft node `{}` has no {key}", first.name),
            ));
        }
        for p in &nodes {
            if p.env.get(key) != expected {
                out.push(found(
                    vec![first.id(), p.id()],
                    format!(
                        "KRaft nodes `{}` and `{}` disagree on {key}",
                        first.name, p.name
                    ),
                ));
            }
        }
    }
    sorted(out)
}

pub fn node_ids(cx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut ids: HashMap<&str, &Pod> = HashMap::new();
    for p in nodes(cx) {
        match p.env.get("KAFKA_NODE_ID") {
            None => out.push(found(
                vec![p.id()],
                format!("KRaft node `{}` has no KAFKA_NODE_ID", p.name),
            )),
            Some(id) => {
                if let Some(other) = ids.insert(id, p) {
                    out.push(found(
                        vec![other.id(), p.id()],
                        format!(
                            "KRaft nodes `{}` and `{}` share node id {id}",
                            other.name, p.name
                        ),
                    ));
                }
            }
        }
    }
    sorted(out)
}

pub fn controller_protocol(cx: &Ctx) -> Vec<Finding> {
    nodes(cx)
        .into_iter()
        .filter_map(|p| {
            let names = p.env.get("KAFKA_CONTROLLER_LISTENER_NAMES");
            let map = p.env.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP");
            let unmapped: Vec<&str> = names
                .into_iter()
                .flat_map(|n| n.split(','))
                .filter(|name| {
                    !map.is_some_and(|m| m.split(',').any(|e| e.split(':').next() == Some(name)))
                })
                .collect();
            (names.is_none() || !unmapped.is_empty()).then(|| {
                found(
                    vec![p.id()],
                    format!(
                        "KRaft node `{}`: the controller listener {} has no security protocol",
                        p.name,
                        if names.is_none() {
                            "(KAFKA_CONTROLLER_LISTENER_NAMES is not set)".to_string()
                        } else {
                            unmapped.join(", ")
                        }
                    ),
                )
            })
        })
        .collect()
}

pub fn controllers_internal(cx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    let controllers = nodes(cx)
        .into_iter()
        .filter(|p| p.env.get("KAFKA_PROCESS_ROLES").map(String::as_str) == Some("controller"));
    for p in controllers {
        if p.env.contains_key("KAFKA_ADVERTISED_LISTENERS") {
            out.push(found(
                vec![p.id()],
                format!("controller `{}` must not set advertised listeners", p.name),
            ));
        }
        let exposing = cx.services().find(|(m, s)| {
            let spec = s.spec.clone().unwrap_or_default();
            matches!(spec.type_.as_deref(), Some("NodePort" | "LoadBalancer"))
                && cx
                    .pods_selected(ns(m), &labels_of(&spec.selector))
                    .iter()
                    .any(|q| q.name == p.name)
        });
        if let Some((m, _)) = exposing {
            out.push(found(
                vec![p.id(), format!("Service/{}", m.name)],
                format!("controller `{}` is exposed outside the cluster", p.name),
            ));
        }
    }
    out
}

/// The voter list of the first KRaft node (rule `kraft-agreement` sees
/// that every node has the same).
fn voter_list<'p>(cx: &'p Ctx) -> Vec<&'p str> {
    nodes(cx)
        .first()
        .and_then(|p| p.env.get(VOTERS))
        .map(|v| v.split(',').filter(|v| !v.is_empty()).collect())
        .unwrap_or_default()
}

pub fn voters(cx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    for voter in voter_list(cx) {
        let mut problem = |objects: Vec<String>, message: String| {
            out.push(found(objects, format!("quorum voter `{voter}`{message}")))
        };
        let parsed = voter.split_once('@').and_then(|(id, addr)| {
            let (host, port) = addr.rsplit_once(':')?;
            Some((id, host, port.parse::<i32>().ok()?))
        });
        let Some((id, host, port)) = parsed else {
            problem(vec![], " is not id@host:port".into());
            continue;
        };
        let Resolved::Pod(pod) = cx.resolve(host) else {
            problem(
                vec![],
                format!(": `{host}` is not a rendered pod's DNS name"),
            );
            continue;
        };
        if !is_controller(pod) {
            problem(
                vec![pod.id()],
                format!(" names `{}`, which is not a controller", pod.name),
            );
        }
        if pod.env.get("KAFKA_NODE_ID").map(String::as_str) != Some(id) {
            problem(
                vec![pod.id()],
                format!(" names `{}`, whose node id is not {id}", pod.name),
            );
        }
        let listens = pod
            .env
            .get("KAFKA_CONTROLLER_LISTENER_NAMES")
            .zip(pod.env.get("KAFKA_LISTENERS"))
            .is_some_and(|(names, listeners)| {
                listeners
                    .split(',')
                    .filter_map(parse_listener)
                    .any(|(n, _, p)| names.split(',').any(|name| n == name) && p == port)
            });
        let open = pod
            .spec
            .containers
            .iter()
            .any(|c| container_port(c, &IntOrString::Int(port)).is_some());
        if !listens || !open {
            problem(
                vec![pod.id()],
                format!(": `{}` has no controller listener on port {port}", pod.name),
            );
        }
    }
    sorted(out)
}

pub fn controllers_vote(cx: &Ctx) -> Vec<Finding> {
    let voting: BTreeSet<String> = voter_list(cx)
        .into_iter()
        .filter_map(|v| {
            let host = v.split_once('@')?.1.rsplit_once(':')?.0;
            match cx.resolve(host) {
                Resolved::Pod(p) => Some(p.name.clone()),
                _ => None,
            }
        })
        .collect();
    nodes(cx)
        .into_iter()
        .filter(|p| is_controller(p) && !voting.contains(&p.name))
        .map(|p| {
            found(
                vec![p.id()],
                format!("controller `{}` is not among the quorum voters", p.name),
            )
        })
        .collect()
}
