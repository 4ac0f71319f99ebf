//! Production hardening of every pod and Job: a disruption budget, the
//! restricted Pod Security Standard, requests and limits, and probes.

use super::context::{Ctx, Labels, labels_of, ns, object_id, selects};
use super::{Finding, found, sorted};
use crate::check::manifest::Object;
use k8s_openapi::api::core::v1::{Container, PodSpec};

/// Every pod template that runs: the workloads' pods (one per workload is
/// enough, they share the template) and the Jobs'. `(object, who, spec)`.
fn templates<'a>(cx: &Ctx<'a>) -> Vec<(String, String, &'a PodSpec)> {
    let mut out: Vec<(String, String, &PodSpec)> = cx
        .pods
        .iter()
        .map(|p| {
            (
                p.owner_id(),
                format!("{} (pod `{}`)", p.owner, p.name),
                p.spec,
            )
        })
        .collect();
    for m in cx.manifests {
        if let Some(spec) = m.job_spec().and_then(|s| s.template.spec.as_ref()) {
            out.push((object_id(m), format!("{} `{}`", m.kind, m.name), spec));
        }
    }
    out
}

fn containers(spec: &PodSpec) -> impl Iterator<Item = &Container> {
    let init = spec.init_containers.as_deref().unwrap_or_default();
    spec.containers.iter().chain(init)
}

pub fn budgets(cx: &Ctx) -> Vec<Finding> {
    let budgets: Vec<(&str, Labels)> = cx
        .manifests
        .iter()
        .filter_map(|m| match &m.object {
            Object::PodDisruptionBudget(p) => Some((
                ns(m),
                labels_of(&p.spec.as_ref()?.selector.as_ref()?.match_labels.clone()),
            )),
            _ => None,
        })
        .collect();
    let out = cx
        .pods
        .iter()
        .filter(|pod| {
            !budgets
                .iter()
                .any(|(namespace, sel)| *namespace == pod.namespace && selects(sel, &pod.labels))
        })
        .map(|pod| {
            found(
                vec![pod.owner_id(), pod.id()],
                format!(
                    "{} (pod `{}`) has no PodDisruptionBudget",
                    pod.owner, pod.name
                ),
            )
        })
        .collect();
    sorted(out)
}

/// Non-root, RuntimeDefault seccomp, no service account token.
pub fn restricted_pods(cx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    for (id, who, spec) in templates(cx) {
        let psc = spec.security_context.clone().unwrap_or_default();
        let mut problem = |what: &str| out.push(found(vec![id.clone()], format!("{who} {what}")));
        if psc.run_as_non_root != Some(true) {
            problem("does not set runAsNonRoot");
        }
        if psc.seccomp_profile.as_ref().map(|p| p.type_.as_str()) != Some("RuntimeDefault") {
            problem("has no RuntimeDefault seccomp profile");
        }
        if spec.automount_service_account_token != Some(false) {
            problem("mounts a service account token");
        }
    }
    sorted(out)
}

pub fn restricted_containers(cx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    for (id, who, spec) in templates(cx) {
        for c in containers(spec) {
            let sc = c.security_context.clone().unwrap_or_default();
            let drops_all = sc
                .capabilities
                .as_ref()
                .and_then(|c| c.drop.as_ref())
                .is_some_and(|d| d.iter().any(|x| x == "ALL"));
            if sc.allow_privilege_escalation != Some(false)
                || sc.read_only_root_filesystem != Some(true)
                || !drops_all
                || sc.privileged == Some(true)
            {
                out.push(found(vec![id.clone()], format!("{who}, container `{}`: the security context must forbid privilege escalation, drop all capabilities and make the root filesystem read-only", c.name)));
            }
        }
    }
    sorted(out)
}

pub fn resources(cx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    for (id, who, spec) in templates(cx) {
        for c in containers(spec) {
            let r = c.resources.clone().unwrap_or_default();
            let requests = r.requests.unwrap_or_default();
            let limits = r.limits.unwrap_or_default();
            if !(requests.contains_key("cpu")
                && requests.contains_key("memory")
                && limits.contains_key("memory"))
            {
                out.push(found(
                    vec![id.clone()],
                    format!(
                        "{who}, container `{}` needs cpu and memory requests and a memory limit",
                        c.name
                    ),
                ));
            }
        }
    }
    sorted(out)
}

pub fn probes(cx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    for (id, who, spec) in templates(cx) {
        if id.starts_with("Job/") || id.starts_with("CronJob/") {
            continue;
        }
        for c in &spec.containers {
            if c.readiness_probe.is_none() || c.liveness_probe.is_none() {
                out.push(found(
                    vec![id.clone()],
                    format!(
                        "{who}, container `{}` needs readiness and liveness probes",
                        c.name
                    ),
                ));
            }
        }
    }
    sorted(out)
}
