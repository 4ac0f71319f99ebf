//! Volumes mount what is rendered.

use super::context::{Ctx, ns};
use super::{Finding, found};

pub fn sources_rendered(cx: &Ctx) -> Vec<Finding> {
    let rendered = |kind: &str, namespace: &str, name: &str| {
        cx.manifests
            .iter()
            .any(|m| m.kind == kind && ns(m) == namespace && m.name == name)
    };
    let mut out = Vec::new();
    for pod in &cx.pods {
        for v in pod.spec.volumes.as_deref().unwrap_or_default() {
            let sources = [
                ("ConfigMap", v.config_map.as_ref().map(|c| &c.name)),
                (
                    "PersistentVolumeClaim",
                    v.persistent_volume_claim.as_ref().map(|c| &c.claim_name),
                ),
            ];
            for (kind, name) in sources {
                if let Some(name) = name
                    && !rendered(kind, &pod.namespace, name)
                {
                    out.push(found(
                        vec![pod.owner_id(), format!("{kind}/{name}")],
                        format!(
                            "{}: volume `{}` names {kind} `{name}`, which is not rendered",
                            pod.owner, v.name
                        ),
                    ));
                }
            }
        }
    }
    out.dedup();
    out
}
