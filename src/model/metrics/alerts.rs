//! The alerts: one PrometheusRule group per cluster. Counts of pods come
//! from the spec (kafkagen knows how many brokers, controllers and
//! ZooKeeper servers there should be), every query selects the cluster's
//! own series, and every alert carries the cluster's namespace and name as
//! labels, so that two clusters' alerts never merge.

use super::{Component, INSTANCE, selector, target_label};
use crate::model::Role;
use serde_json::{Value, json};

struct Alert {
    name: &'static str,
    expr: String,
    for_: &'static str,
    severity: &'static str,
    summary: String,
    description: String,
}

/// cert-manager renews a certificate a third of its lifetime before it
/// expires (30 of its default 90 days): 21 days left means renewal has
/// failed for 9 days, with 3 weeks to mend it.
const CERTIFICATE_DAYS_LEFT: u32 = 21;

pub fn groups(
    name: &str,
    namespace: &str,
    components: &[Component],
    cluster: &str,
    certificates: &[&str],
) -> Value {
    let mut alerts = Vec::new();
    let instance = &components[0].selector[INSTANCE];
    for c in components {
        let sel = selector(namespace, c);
        let n = c.replicas;
        let who = match c.role {
            Role::ZooKeeper => "ZooKeeper servers",
            Role::Controller => "controllers",
            Role::Broker | Role::Combined => "brokers",
        };
        let (down, what) = match c.role {
            Role::ZooKeeper => ("ZooKeeperServersDown", "ZooKeeper server"),
            Role::Controller => ("KafkaControllersDown", "controller"),
            Role::Broker | Role::Combined => ("KafkaBrokersDown", "broker"),
        };
        alerts.push(Alert {
            name: down,
            expr: format!("(count(up{{{sel}}} == 1) or vector(0)) < {n}"),
            for_: "1m",
            severity: "critical",
            summary: format!("A {what} of {name} is down"),
            description: format!(
                "{{{{ $value }}}} of {n} {who} of {name} in {namespace} answer on their metrics port."
            ),
        });
        if c.role.is_broker() {
            alerts.extend(broker_alerts(name, namespace, &sel));
        }
        if c.role == Role::ZooKeeper {
            let majority = n / 2 + 1;
            alerts.push(Alert {
                name: "ZooKeeperQuorumLost",
                expr: format!(
                    "(count(zookeeper_avgrequestlatency{{{sel}}}) or vector(0)) < {majority}"
                ),
                for_: "1m",
                severity: "critical",
                summary: format!("ZooKeeper of {name} has no quorum"),
                description: format!(
                    "{{{{ $value }}}} of {n} ZooKeeper servers of {name} in {namespace} serve; a quorum needs {majority}."
                ),
            });
        }
        if matches!(c.role, Role::Controller | Role::Combined) {
            alerts.push(Alert {
                name: "KafkaControllerQuorumWithoutLeader",
                expr: format!("max by (pod) (kafka_server_raftmetrics_current_leader{{{sel}}}) < 0"),
                for_: "1m",
                severity: "critical",
                summary: format!("A KRaft controller of {name} knows no quorum leader"),
                description: format!(
                    "{{{{ $labels.pod }}}} in {namespace} has known no leader of the metadata quorum for a minute."
                ),
            });
        }
        if let Some(claims) = claims(c) {
            alerts.extend(disk_alerts(name, namespace, c.role, what, &claims));
        }
    }
    alerts.push(Alert {
        name: "KafkaActiveControllers",
        expr: format!(
            "(sum(kafka_controller_kafkacontroller_activecontrollercount{{{cluster}}}) or vector(0)) != 1"
        ),
        for_: "1m",
        severity: "critical",
        summary: format!("{name} does not have exactly one active controller"),
        description: format!(
            "{{{{ $value }}}} nodes of {name} in {namespace} say they are the active controller; exactly one should."
        ),
    });
    alerts.push(Alert {
        name: "KafkaOfflinePartitions",
        // Every KRaft controller counts the same partitions: the most
        // any node reports, not their sum.
        expr: format!(
            "max(kafka_controller_kafkacontroller_offlinepartitionscount{{{cluster}}}) > 0"
        ),
        for_: "1m",
        severity: "critical",
        summary: format!("Partitions of {name} have no leader"),
        description: format!(
            "{{{{ $value }}}} partitions of {name} in {namespace} are offline: they can be neither read nor written."
        ),
    });
    if !certificates.is_empty() {
        // cert-manager's own metric, from its controller: the Certificate's
        // namespace is `namespace`, or `exported_namespace` when the scrape
        // gives the target's namespace precedence.
        let names = certificates.join("|");
        let metric = "certmanager_certificate_expiration_timestamp_seconds";
        alerts.push(Alert {
            name: "KafkaCertificateExpiring",
            expr: format!(
                "min by (name) ({metric}{{namespace=\"{namespace}\",name=~\"{names}\"}} or {metric}{{exported_namespace=\"{namespace}\",name=~\"{names}\"}}) - time() < {}",
                CERTIFICATE_DAYS_LEFT * 24 * 3600
            ),
            for_: "1h",
            severity: "warning",
            summary: format!("A certificate of {name} expires in less than {CERTIFICATE_DAYS_LEFT} days"),
            description: format!(
                "The certificate {{{{ $labels.name }}}} of {name} in {namespace} expires in {{{{ $value | humanizeDuration }}}}: cert-manager should have renewed it 30 days before. Once it expires, clients and brokers refuse the TLS listeners that present it."
            ),
        });
    }
    let rules: Vec<Value> = alerts
        .into_iter()
        .map(|a| {
            json!({
                "alert": a.name,
                "expr": a.expr,
                "for": a.for_,
                "labels": {
                    "severity": a.severity,
                    "namespace": namespace,
                    target_label(INSTANCE): instance,
                },
                "annotations": { "summary": a.summary, "description": a.description },
            })
        })
        .collect();
    json!([{ "name": format!("kafkagen-{name}"), "rules": rules }])
}

fn broker_alerts(name: &str, namespace: &str, sel: &str) -> Vec<Alert> {
    vec![
        Alert {
            name: "KafkaUnderReplicatedPartitions",
            expr: format!(
                "sum by (pod) (kafka_server_replicamanager_underreplicatedpartitions{{{sel}}}) > 0"
            ),
            for_: "2m",
            severity: "warning",
            summary: format!("A broker of {name} leads under-replicated partitions"),
            description: format!(
                "{{{{ $labels.pod }}}} in {namespace} leads {{{{ $value }}}} partitions with fewer in-sync replicas than replicas."
            ),
        },
        Alert {
            name: "KafkaUnderMinIsrPartitions",
            expr: format!(
                "sum by (pod) (kafka_server_replicamanager_underminisrpartitioncount{{{sel}}}) > 0"
            ),
            for_: "1m",
            severity: "critical",
            summary: format!("A broker of {name} leads partitions below min.insync.replicas"),
            description: format!(
                "{{{{ $labels.pod }}}} in {namespace} leads {{{{ $value }}}} partitions that refuse acks=all writes."
            ),
        },
        Alert {
            name: "KafkaOfflineLogDirectories",
            expr: format!(
                "sum by (pod) (kafka_log_logmanager_offlinelogdirectorycount{{{sel}}}) > 0"
            ),
            for_: "1m",
            severity: "critical",
            summary: format!("A broker of {name} has an offline log directory"),
            description: format!(
                "{{{{ $labels.pod }}}} in {namespace} has {{{{ $value }}}} log directories offline."
            ),
        },
    ]
}

/// The claims of a component's data volumes as a regular expression, when
/// its data is on claims.
fn claims(c: &Component) -> Option<String> {
    let claims: Vec<String> = c.pods.iter().filter_map(|p| c.claim_of(p)).collect();
    (!claims.is_empty()).then(|| claims.join("|"))
}

fn disk_alerts(name: &str, namespace: &str, role: Role, what: &str, claims: &str) -> Vec<Alert> {
    let vol = format!("namespace=\"{namespace}\",persistentvolumeclaim=~\"{claims}\"");
    let zookeeper = role == Role::ZooKeeper;
    let share = format!(
        "kubelet_volume_stats_available_bytes{{{vol}}} / kubelet_volume_stats_capacity_bytes{{{vol}}}"
    );
    vec![
        Alert {
            name: if zookeeper {
                "ZooKeeperDiskFillingUp"
            } else {
                "KafkaDiskFillingUp"
            },
            // A volume filling toward its retention limit is not filling
            // up: only with less than 15% left.
            expr: format!(
                "{share} < 0.15 and predict_linear(kubelet_volume_stats_available_bytes{{{vol}}}[6h], 4 * 24 * 3600) < 0"
            ),
            for_: "1h",
            severity: "warning",
            summary: format!("A {what}'s volume of {name} will be full within 4 days"),
            description: format!(
                "{{{{ $labels.persistentvolumeclaim }}}} in {namespace} has less than 15% left and, at the rate of the last 6 hours, fills up within 4 days."
            ),
        },
        Alert {
            name: if zookeeper {
                "ZooKeeperDiskAlmostFull"
            } else {
                "KafkaDiskAlmostFull"
            },
            expr: format!("{share} < 0.1"),
            for_: "5m",
            severity: "critical",
            summary: format!("A {what}'s volume of {name} is almost full"),
            description: format!(
                "{{{{ $labels.persistentvolumeclaim }}}} in {namespace} has {{{{ $value | humanizePercentage }}}} of its space left."
            ),
        },
    ]
}
