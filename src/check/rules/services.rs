//! Services reach pods: every Service selects pods that have its target
//! ports, and every StatefulSet has the headless Service its pods' DNS
//! names come from.

use super::context::{Ctx, container_port, labels_of, ns, object_id, selects, target};
use super::{Finding, found, sorted};
use crate::check::manifest::Object;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

pub fn selects_pods(cx: &Ctx) -> Vec<Finding> {
    cx.services()
        .filter(|(m, svc)| {
            let selector = labels_of(&svc.spec.as_ref().and_then(|s| s.selector.clone()));
            cx.pods_selected(ns(m), &selector).is_empty()
        })
        .map(|(m, _)| {
            found(
                vec![object_id(m)],
                format!("Service `{}` selects no rendered pod", m.name),
            )
        })
        .collect()
}

pub fn target_ports(cx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    for (m, svc) in cx.services() {
        let spec = svc.spec.clone().unwrap_or_default();
        let pods = cx.pods_selected(ns(m), &labels_of(&spec.selector));
        for port in spec.ports.as_deref().unwrap_or_default() {
            let t = target(port);
            let shown = match &t {
                IntOrString::Int(n) => n.to_string(),
                IntOrString::String(name) => name.clone(),
            };
            for pod in &pods {
                if !pod
                    .spec
                    .containers
                    .iter()
                    .any(|c| container_port(c, &t).is_some())
                {
                    out.push(found(
                        vec![object_id(m), pod.id()],
                        format!(
                            "Service `{}`: target port `{shown}` of port {} is not a port of pod `{}`",
                            m.name, port.port, pod.name
                        ),
                    ));
                }
            }
        }
    }
    sorted(out)
}

/// StatefulSets with their `serviceName`, when it is a rendered headless
/// Service; a finding for each that has none.
fn headless_services<'a>(
    cx: &Ctx<'a>,
    out: &mut Vec<Finding>,
) -> Vec<(
    &'a crate::check::manifest::Manifest,
    String,
    &'a k8s_openapi::api::core::v1::Service,
)> {
    let mut found_services = Vec::new();
    for m in cx.manifests {
        let Object::StatefulSet(sts) = &m.object else {
            continue;
        };
        let Some(service) = sts.spec.as_ref().and_then(|s| s.service_name.clone()) else {
            out.push(found(
                vec![object_id(m)],
                format!("StatefulSet `{}` has no serviceName", m.name),
            ));
            continue;
        };
        match cx.headless(ns(m), &service) {
            None => out.push(found(
                vec![object_id(m)],
                format!(
                    "StatefulSet `{}`: serviceName `{service}` is not a rendered headless Service",
                    m.name
                ),
            )),
            Some(svc) => found_services.push((m, service, svc)),
        }
    }
    found_services
}

pub fn statefulset_headless(cx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    for (m, service, svc) in headless_services(cx, &mut out) {
        let selector = labels_of(&svc.spec.as_ref().and_then(|s| s.selector.clone()));
        let owner = format!("StatefulSet `{}`", m.name);
        if cx
            .pods
            .iter()
            .filter(|p| p.owner == owner)
            .any(|p| !selects(&selector, &p.labels))
        {
            out.push(found(
                vec![object_id(m), format!("Service/{service}")],
                format!(
                    "StatefulSet `{}`: headless Service `{service}` does not select its pods",
                    m.name
                ),
            ));
        }
    }
    out
}

pub fn publishes_not_ready(cx: &Ctx) -> Vec<Finding> {
    let mut ignored = Vec::new();
    headless_services(cx, &mut ignored)
        .into_iter()
        .filter(|(_, _, svc)| {
            svc.spec
                .as_ref()
                .and_then(|s| s.publish_not_ready_addresses)
                != Some(true)
        })
        .map(|(_, service, _)| {
            found(
                vec![format!("Service/{service}")],
                format!(
                    "headless Service `{service}` must publish not-ready addresses so that peers find each other while starting"
                ),
            )
        })
        .collect()
}
