//! Rules across rendered objects (docs/spec.md, "What is checked"). They read only
//! the checked manifests, never the model, so they also hold for overridden
//! templates: every Service reaches a pod, every StatefulSet has its
//! headless Service, and every broker is reachable at what it advertises.
//!
//! [`RULES`] is the whole list: one entry per rule, each a function of the
//! [`Ctx`] built once from the manifests, grouped in one file per area.

mod brokers;
mod context;
mod hardening;
mod kraft;
mod names;
mod policies;
mod security;
mod services;
mod volumes;
mod zookeeper;

#[cfg(test)]
mod tests;

use crate::check::manifest::Manifest;
pub use context::Ctx;
use std::fmt;

/// One rule: an id for messages and docs/spec.md, what it guarantees, and the
/// function that finds where the manifests break it.
pub struct Rule {
    pub id: &'static str,
    pub guarantees: &'static str,
    pub check: fn(&Ctx) -> Vec<Finding>,
}

/// Where a rule is broken: the objects involved and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// `Kind/name` of each object involved (`Pod/name` for a pod the
    /// workload will create).
    pub objects: Vec<String>,
    pub message: String,
}

/// A finding with the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub rule: &'static str,
    pub objects: Vec<String>,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A finding about `objects`.
pub fn found(objects: Vec<String>, message: String) -> Finding {
    Finding { objects, message }
}

/// Findings in a stable order, each once.
fn sorted(mut findings: Vec<Finding>) -> Vec<Finding> {
    findings.sort_by(|a, b| a.message.cmp(&b.message));
    findings.dedup();
    findings
}

/// Every rule, in the order their findings are reported.
pub const RULES: &[Rule] = &[
    Rule {
        id: "unique-names",
        guarantees: "every object has a name, and no kind, namespace and name is rendered twice",
        check: names::unique,
    },
    Rule {
        id: "workload-pods",
        guarantees: "every workload has a pod template whose labels its selector matches, a container, and its per-pod settings file for every replica",
        check: |cx| cx.workload_errors.clone(),
    },
    Rule {
        id: "service-selects-pods",
        guarantees: "every Service selects a rendered pod",
        check: services::selects_pods,
    },
    Rule {
        id: "service-target-ports",
        guarantees: "every Service port's target is a port of every pod it selects",
        check: services::target_ports,
    },
    Rule {
        id: "port-names",
        guarantees: "Service and container port names are IANA service names",
        check: names::ports,
    },
    Rule {
        id: "dns-label-names",
        guarantees: "container and volume names are DNS-1123 labels",
        check: names::containers_and_volumes,
    },
    Rule {
        id: "statefulset-headless",
        guarantees: "every StatefulSet names a rendered headless Service that selects its pods",
        check: services::statefulset_headless,
    },
    Rule {
        id: "headless-not-ready",
        guarantees: "a StatefulSet's headless Service publishes not-ready addresses, so peers find each other while starting",
        check: services::publishes_not_ready,
    },
    Rule {
        id: "policy-selects-pods",
        guarantees: "every NetworkPolicy selects a rendered pod or Job pod",
        check: policies::policies_select,
    },
    Rule {
        id: "pod-has-policy",
        guarantees: "with NetworkPolicies rendered, every pod is covered by one",
        check: policies::pods_covered,
    },
    Rule {
        id: "budget-selects-pods",
        guarantees: "every PodDisruptionBudget selects a rendered pod",
        check: policies::budgets_select,
    },
    Rule {
        id: "volume-sources",
        guarantees: "every ConfigMap and PersistentVolumeClaim a pod mounts is rendered",
        check: volumes::sources_rendered,
    },
    Rule {
        id: "broker-ids",
        guarantees: "every broker has an id, and no two share one",
        check: brokers::ids,
    },
    Rule {
        id: "broker-listeners",
        guarantees: "every advertised listener is NAME://host:port, has a security protocol, is bound, and its port is a container port; the inter-broker listener is bound",
        check: brokers::listeners,
    },
    Rule {
        id: "broker-advertised-reachable",
        guarantees: "every broker is reachable at every address it advertises: its own DNS name, or a NodePort or LoadBalancer Service that selects only it",
        check: brokers::advertised_reachable,
    },
    Rule {
        id: "broker-zookeeper",
        guarantees: "every ZooKeeper address a broker connects to is a rendered ZooKeeper pod or Service port",
        check: brokers::zookeeper_connect,
    },
    Rule {
        id: "tls-names",
        guarantees: "every TLS listener's advertised host is named by the rendered Certificate whose Secret is the broker's keystore",
        check: security::tls_names,
    },
    Rule {
        id: "sasl-login",
        guarantees: "every SASL listener enables its mechanisms and has a login module for each",
        check: security::sasl_login,
    },
    Rule {
        id: "inter-broker-credentials",
        guarantees: "with TLS between brokers, they trust a CA and present a certificate (for client auth when the listener requires it); brokers never replicate over SASL, for which they have no credential",
        check: security::inter_broker_credentials,
    },
    Rule {
        id: "job-client-settings",
        guarantees: "every Job's client settings use the security protocol of the listener it connects to, and with TLS trust the `ca.crt` of a mounted Secret",
        check: security::job_clients,
    },
    Rule {
        id: "super-users",
        guarantees: "with an authorizer, the principals brokers and controllers reach each other as, and every Job's, are super users",
        check: security::super_users,
    },
    Rule {
        id: "zookeeper-ids",
        guarantees: "every ZooKeeper server's id is its 1-based position in the server list, at its own DNS name",
        check: zookeeper::ids,
    },
    Rule {
        id: "zookeeper-servers",
        guarantees: "every ZooKeeper server list entry is a rendered pod's DNS name",
        check: zookeeper::servers_resolve,
    },
    Rule {
        id: "kraft-agreement",
        guarantees: "every KRaft node has the same cluster id and voter list",
        check: kraft::agreement,
    },
    Rule {
        id: "kraft-node-ids",
        guarantees: "every KRaft node has a node id, and no two share one",
        check: kraft::node_ids,
    },
    Rule {
        id: "kraft-controller-protocol",
        guarantees: "every KRaft node maps the controller listener to a security protocol",
        check: kraft::controller_protocol,
    },
    Rule {
        id: "kraft-controllers-internal",
        guarantees: "controller-only nodes advertise nothing and no NodePort or LoadBalancer Service selects them",
        check: kraft::controllers_internal,
    },
    Rule {
        id: "kraft-voters",
        guarantees: "every quorum voter is id@host:port naming a controller pod with that node id and a controller listener on that port",
        check: kraft::voters,
    },
    Rule {
        id: "kraft-controllers-vote",
        guarantees: "every controller is among the quorum voters",
        check: kraft::controllers_vote,
    },
    Rule {
        id: "pod-budget",
        guarantees: "every pod has a PodDisruptionBudget",
        check: hardening::budgets,
    },
    Rule {
        id: "restricted-pod",
        guarantees: "every pod and Job runs as non-root with the RuntimeDefault seccomp profile and no service account token",
        check: hardening::restricted_pods,
    },
    Rule {
        id: "restricted-containers",
        guarantees: "every container forbids privilege escalation, drops all capabilities and has a read-only root filesystem",
        check: hardening::restricted_containers,
    },
    Rule {
        id: "container-resources",
        guarantees: "every container requests cpu and memory and limits memory",
        check: hardening::resources,
    },
    Rule {
        id: "probes",
        guarantees: "every workload container has readiness and liveness probes",
        check: hardening::probes,
    },
];

/// Every rule violation, rule by rule in [`RULES`] order.
// A stage of bench/profile.sh's table: kept out of line so that its
// samples are charged to it.
#[inline(never)]
pub fn check(manifests: &[Manifest]) -> Vec<Violation> {
    let cx = Ctx::new(manifests);
    RULES
        .iter()
        .flat_map(|rule| {
            (rule.check)(&cx).into_iter().map(|f| Violation {
                rule: rule.id,
                objects: f.objects,
                message: f.message,
            })
        })
        .collect()
}
