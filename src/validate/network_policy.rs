//! `networkPolicy`: whether NetworkPolicies are rendered, and the extra
//! peers they let reach the brokers.

use super::{Annotate, Validator};
use crate::cluster::Peer;
use crate::cluster_spec::NetworkPolicySpec;

impl Validator<'_> {
    pub(super) fn network_policy(&mut self, n: &NetworkPolicySpec) -> Option<Vec<Peer>> {
        let mut peers = Vec::new();
        for (i, peer) in n.allow_from.iter().enumerate() {
            let base = format!("networkPolicy.allowFrom[{i}]");
            if peer.namespace_selector.is_none() && peer.pod_selector.is_none() {
                self.error(
                    &base,
                    format!("`{base}` needs `namespaceSelector`, `podSelector` or both"),
                );
            }
            peers.push(Peer {
                namespace_selector: peer
                    .namespace_selector
                    .as_ref()
                    .map(|l| self.labels(&format!("{base}.namespaceSelector"), l)),
                pod_selector: peer
                    .pod_selector
                    .as_ref()
                    .map(|l| self.labels(&format!("{base}.podSelector"), l)),
            });
        }
        if !n.enabled && !n.allow_from.is_empty() {
            self.key_error(
                "networkPolicy.allowFrom",
                "`networkPolicy.allowFrom` has no effect while `networkPolicy.enabled` is false",
            )
            .with_help("set `networkPolicy.enabled: true`");
        }
        n.enabled.then_some(peers)
    }
}
