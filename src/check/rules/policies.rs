//! NetworkPolicies and PodDisruptionBudgets select what they protect.

use super::context::{Ctx, Labels, labels_of, ns, object_id, selects};
use super::{Finding, found};
use crate::check::manifest::{Manifest, Object};

fn network_policies<'a>(cx: &Ctx<'a>) -> Vec<(&'a Manifest, Labels)> {
    cx.manifests
        .iter()
        .filter_map(|m| match &m.object {
            Object::NetworkPolicy(np) => Some((
                m,
                labels_of(
                    &np.spec
                        .as_ref()
                        .and_then(|s| s.pod_selector.as_ref()?.match_labels.clone()),
                ),
            )),
            _ => None,
        })
        .collect()
}

/// Pod template labels of the Jobs (and CronJobs) in a namespace.
fn job_pod_labels(cx: &Ctx, namespace: &str) -> Vec<Labels> {
    cx.manifests
        .iter()
        .filter(|m| ns(m) == namespace)
        .filter_map(|m| {
            Some(labels_of(
                &m.job_spec()?.template.metadata.as_ref()?.labels.clone(),
            ))
        })
        .collect()
}

pub fn policies_select(cx: &Ctx) -> Vec<Finding> {
    network_policies(cx)
        .into_iter()
        .filter(|(m, selector)| {
            cx.pods_selected(ns(m), selector).is_empty()
                && !job_pod_labels(cx, ns(m))
                    .iter()
                    .any(|l| selects(selector, l))
        })
        .map(|(m, _)| {
            found(
                vec![object_id(m)],
                format!("NetworkPolicy `{}` selects no rendered pod", m.name),
            )
        })
        .collect()
}

/// With any NetworkPolicy rendered, every pod has one.
pub fn pods_covered(cx: &Ctx) -> Vec<Finding> {
    let policies = network_policies(cx);
    if policies.is_empty() {
        return Vec::new();
    }
    cx.pods
        .iter()
        .filter(|pod| {
            !policies
                .iter()
                .any(|(m, sel)| ns(m) == pod.namespace && selects(sel, &pod.labels))
        })
        .map(|pod| {
            found(
                vec![pod.owner_id(), pod.id()],
                format!("{}: pod `{}` has no NetworkPolicy", pod.owner, pod.name),
            )
        })
        .collect()
}

pub fn budgets_select(cx: &Ctx) -> Vec<Finding> {
    cx.manifests
        .iter()
        .filter_map(|m| match &m.object {
            Object::PodDisruptionBudget(pdb) => Some((m, pdb)),
            _ => None,
        })
        .filter(|(m, pdb)| {
            let selector = labels_of(
                &pdb.spec
                    .as_ref()
                    .and_then(|s| s.selector.as_ref())
                    .and_then(|s| s.match_labels.clone()),
            );
            cx.pods_selected(ns(m), &selector).is_empty()
        })
        .map(|(m, _)| {
            found(
                vec![object_id(m)],
                format!("PodDisruptionBudget `{}` selects no rendered pod", m.name),
            )
        })
        .collect()
}
