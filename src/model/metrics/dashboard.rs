//! The Grafana dashboard: one row of cluster health, then traffic,
//! latency, replication, storage and JVMs, each panel one query of the
//! metrics the exporter's rules produce (or the kubelet's volume stats).

use super::{Component, selector};
use crate::model::{Role, digest};
use serde_json::{Value, json};

struct Panel {
    title: &'static str,
    kind: &'static str,
    unit: &'static str,
    /// Queries and their legends.
    targets: Vec<(String, String)>,
}

fn stat(title: &'static str, expr: String) -> Panel {
    Panel {
        title,
        kind: "stat",
        unit: "none",
        targets: vec![(expr, String::new())],
    }
}

fn series(title: &'static str, unit: &'static str, expr: String, legend: &str) -> Panel {
    Panel {
        title,
        kind: "timeseries",
        unit,
        targets: vec![(expr, legend.to_string())],
    }
}

fn panels(namespace: &str, components: &[Component], cluster: &str) -> Vec<Panel> {
    let brokers = components
        .iter()
        .find(|c| c.role.is_broker())
        .expect("brokers are always rendered");
    let b = selector(namespace, brokers);
    let claims: Vec<String> = components
        .iter()
        .flat_map(|c| c.pods.iter().filter_map(|p| c.claim_of(p)))
        .collect();
    let claims = claims.join("|");
    let mut p = vec![
        stat("Brokers up", format!("count(up{{{b}}} == 1)")),
        stat(
            "Active controllers",
            format!("sum(kafka_controller_kafkacontroller_activecontrollercount{{{cluster}}})"),
        ),
        // Every KRaft controller counts the same partitions.
        stat(
            "Offline partitions",
            format!("max(kafka_controller_kafkacontroller_offlinepartitionscount{{{cluster}}})"),
        ),
    ];
    p.extend([
        stat(
            "Under-replicated partitions",
            format!("sum(kafka_server_replicamanager_underreplicatedpartitions{{{b}}})"),
        ),
        stat(
            "Partitions under min ISR",
            format!("sum(kafka_server_replicamanager_underminisrpartitioncount{{{b}}})"),
        ),
        series(
            "Bytes in per broker",
            "Bps",
            format!("sum by (pod) (rate(kafka_server_brokertopicmetrics_bytesin_total{{{b},topic=\"\"}}[5m]))"),
            "{{pod}}",
        ),
        series(
            "Bytes out per broker",
            "Bps",
            format!("sum by (pod) (rate(kafka_server_brokertopicmetrics_bytesout_total{{{b},topic=\"\"}}[5m]))"),
            "{{pod}}",
        ),
        series(
            "Messages in per topic",
            "short",
            format!("sum by (topic) (rate(kafka_server_brokertopicmetrics_messagesin_total{{{b},topic!=\"\"}}[5m]))"),
            "{{topic}}",
        ),
        series(
            "Requests per second",
            "reqps",
            format!("sum by (request) (rate(kafka_network_requestmetrics_requests_total{{{b}}}[5m]))"),
            "{{request}}",
        ),
        series(
            "Request latency, 99th percentile",
            "ms",
            format!("max by (request) (kafka_network_requestmetrics_totaltimems{{{b},quantile=\"0.99\",request=~\"Produce|FetchConsumer|FetchFollower\"}})"),
            "{{request}}",
        ),
        Panel {
            title: "ISR shrinks and expands",
            kind: "timeseries",
            unit: "short",
            targets: vec![
                (
                    format!("sum by (pod) (rate(kafka_server_replicamanager_isrshrinks_total{{{b}}}[5m]))"),
                    "shrinks {{pod}}".into(),
                ),
                (
                    format!("sum by (pod) (rate(kafka_server_replicamanager_isrexpands_total{{{b}}}[5m]))"),
                    "expands {{pod}}".into(),
                ),
            ],
        },
        series(
            "Log flushes per second",
            "short",
            format!("sum by (pod) (rate(kafka_log_logflushstats_logflushrateandtimems_count{{{b}}}[5m]))"),
            "{{pod}}",
        ),
        series(
            "JVM heap used",
            "bytes",
            format!("sum by (pod) (jvm_memory_bytes_used{{{cluster},area=\"heap\"}})"),
            "{{pod}}",
        ),
    ]);
    if !claims.is_empty() {
        p.push(series(
            "Volume space available",
            "bytes",
            format!("kubelet_volume_stats_available_bytes{{namespace=\"{namespace}\",persistentvolumeclaim=~\"{claims}\"}}"),
            "{{persistentvolumeclaim}}",
        ));
    }
    for c in components {
        let s = selector(namespace, c);
        match c.role {
            Role::ZooKeeper => p.extend([
                series(
                    "ZooKeeper request latency",
                    "ms",
                    format!("max by (pod) (zookeeper_avgrequestlatency{{{s}}})"),
                    "{{pod}}",
                ),
                series(
                    "ZooKeeper connections",
                    "short",
                    format!("sum by (pod) (zookeeper_numaliveconnections{{{s}}})"),
                    "{{pod}}",
                ),
            ]),
            Role::Controller | Role::Combined => p.push(series(
                "KRaft quorum leader, as each node sees it",
                "none",
                format!("max by (pod) (kafka_server_raftmetrics_current_leader{{{s}}})"),
                "{{pod}}",
            )),
            Role::Broker => {}
        }
    }
    p
}

/// The dashboard's JSON model, with a data source variable.
pub fn json(name: &str, namespace: &str, components: &[Component], cluster: &str) -> String {
    let datasource = json!({ "type": "prometheus", "uid": "${datasource}" });
    let mut y = 0;
    let mut x = 0;
    let panels: Vec<Value> = panels(namespace, components, cluster)
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let (w, h) = if p.kind == "stat" { (4, 4) } else { (12, 8) };
            if x + w > 24 {
                x = 0;
                y += 8;
            }
            let pos = json!({ "x": x, "y": y, "w": w, "h": h });
            x += w;
            json!({
                "id": i + 1,
                "type": p.kind,
                "title": p.title,
                "datasource": datasource,
                "gridPos": pos,
                "fieldConfig": { "defaults": { "unit": p.unit }, "overrides": [] },
                "targets": p.targets.iter().enumerate().map(|(t, (expr, legend))| json!({
                    "refId": ((b'A' + t as u8) as char).to_string(),
                    "datasource": datasource,
                    "expr": expr,
                    "legendFormat": legend,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let dashboard = json!({
        "title": format!("Kafka {name} ({namespace})"),
        // Grafana's uids have at most 40 characters.
        "uid": format!("kafkagen-{}", digest(&format!("{namespace}/{name}"), 16)),
        "tags": ["kafka", "kafkagen"],
        "schemaVersion": 39,
        "editable": true,
        "time": { "from": "now-3h", "to": "now" },
        "refresh": "30s",
        "templating": { "list": [{
            "name": "datasource",
            "label": "Data source",
            "type": "datasource",
            "query": "prometheus",
        }]},
        "panels": panels,
    });
    serde_json::to_string_pretty(&dashboard).expect("a JSON value serializes")
}
