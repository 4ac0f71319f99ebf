//! `placement`: the node selector and tolerations; spread and zones pass as given.

use super::{Validator, is_qualified_name};
use crate::cluster::{Placement, Toleration};
use crate::cluster_spec::PlacementSpec;

impl Validator<'_> {
    pub(super) fn placement(&mut self, p: &PlacementSpec) -> Placement {
        let node_selector = self.labels("placement.nodeSelector", &p.node_selector);
        let mut tolerations = Vec::new();
        for (i, t) in p.tolerations.iter().enumerate() {
            let base = format!("placement.tolerations[{i}]");
            let operator = t.operator.clone().unwrap_or_else(|| "Equal".into());
            match operator.as_str() {
                "Equal" => {
                    if t.key.is_none() {
                        self.error(&base, format!("`{base}` with operator Equal needs a `key`"));
                    }
                }
                "Exists" => {
                    if t.value.is_some() {
                        let p = format!("{base}.value");
                        self.key_error(&p, format!("`{p}` must be empty with operator Exists"));
                    }
                }
                other => {
                    let p = format!("{base}.operator");
                    self.error(&p, format!("`{p}` \"{other}\" must be Equal or Exists"));
                }
            }
            if let Some(k) = &t.key
                && !is_qualified_name(k)
            {
                let p = format!("{base}.key");
                self.error(&p, format!("`{p}` \"{k}\" is not a valid taint key"));
            }
            if let Some(e) = &t.effect
                && !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(&e.as_str())
            {
                let p = format!("{base}.effect");
                self.error(
                    &p,
                    format!("`{p}` \"{e}\" must be NoSchedule, PreferNoSchedule or NoExecute"),
                );
            }
            if t.toleration_seconds.is_some() && t.effect.as_deref() != Some("NoExecute") {
                let p = format!("{base}.tolerationSeconds");
                self.key_error(&p, format!("`{p}` applies only to effect NoExecute"));
            }
            tolerations.push(Toleration {
                key: t.key.clone(),
                operator,
                value: t.value.clone(),
                effect: t.effect.clone(),
                seconds: t.toleration_seconds,
            });
        }
        Placement {
            spread: p.spread,
            zones: p.zones,
            node_selector,
            tolerations,
        }
    }
}
