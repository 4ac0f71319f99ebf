//! Names Kubernetes accepts, each once.

use super::context::{Ctx, MAX_PORT_NAME, is_port_name, ns, object_id};
use super::{Finding, found, sorted};
use crate::dns::is_dns_label;
use std::collections::BTreeSet;

pub fn unique(cx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for m in cx.manifests {
        if m.name.is_empty() {
            out.push(found(
                vec![m.kind.clone()],
                format!("a {} has no metadata.name", m.kind),
            ));
        } else if !seen.insert((m.kind.as_str(), ns(m), m.name.as_str())) {
            out.push(found(
                vec![object_id(m)],
                format!("{} `{}` is rendered twice", m.kind, m.name),
            ));
        }
    }
    out
}

fn bad_port_name(name: &str) -> String {
    format!(
        "`{name}` is not a valid port name (at most {MAX_PORT_NAME} lowercase letters, digits and '-', with a letter)"
    )
}

pub fn ports(cx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    for (m, svc) in cx.services() {
        let ports = svc.spec.as_ref().and_then(|s| s.ports.as_deref());
        for name in ports
            .unwrap_or_default()
            .iter()
            .filter_map(|p| p.name.as_ref())
        {
            if !is_port_name(name) {
                out.push(found(
                    vec![object_id(m)],
                    format!("Service `{}`: port name {}", m.name, bad_port_name(name)),
                ));
            }
        }
    }
    for pod in &cx.pods {
        let init = pod.spec.init_containers.as_deref().unwrap_or_default();
        for c in pod.spec.containers.iter().chain(init) {
            for name in c.ports.iter().flatten().filter_map(|p| p.name.as_ref()) {
                if !is_port_name(name) {
                    out.push(found(
                        vec![pod.owner_id()],
                        format!("{}: container port name {}", pod.owner, bad_port_name(name)),
                    ));
                }
            }
        }
    }
    sorted(out)
}

pub fn containers_and_volumes(cx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    for pod in &cx.pods {
        let init = pod.spec.init_containers.as_deref().unwrap_or_default();
        for c in pod.spec.containers.iter().chain(init) {
            if !is_dns_label(&c.name) {
                out.push(found(
                    vec![pod.owner_id()],
                    format!(
                        "{}: container name `{}` is not a DNS-1123 label",
                        pod.owner, c.name
                    ),
                ));
            }
        }
        for v in pod.spec.volumes.as_deref().unwrap_or_default() {
            if !is_dns_label(&v.name) {
                out.push(found(
                    vec![pod.owner_id()],
                    format!(
                        "{}: volume name `{}` is not a DNS-1123 label",
                        pod.owner, v.name
                    ),
                ));
            }
        }
    }
    sorted(out)
}
