//! Metrics, when the render has them. Every pod's exporter answers; with
//! `--prometheus`, a real Prometheus (Debian's `prometheus`) scrapes the pods with the labels the
//! rendered PodMonitor (or the scrape annotations) gives them and evaluates
//! the rendered PrometheusRule; every metric an alert or a dashboard panel
//! queries is scraped, with the labels the query selects by; nothing fires
//! on the healthy cluster; and with `--faults`, a broker killed and held
//! down fires KafkaUnderReplicatedPartitions, which resolves once it is
//! back. `--alert-for SECONDS` shortens every alert's `for` so that this
//! takes seconds, not minutes.

use crate::live::Session;
use crate::objects::Objects;
use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The container port name the exporter serves on.
const PORT_NAME: &str = "metrics";
/// Where the harness's Prometheus listens, on the node.
const PROMETHEUS: &str = "127.0.0.1:19090";
/// Scrape and rule evaluation interval, and the scrape timeout: a JVM
/// with a small heap on a busy machine takes seconds to walk its MBeans.
const INTERVAL_SECS: u64 = 5;
/// Metrics that come from the kubelet, not from the pods' exporters.
const FROM_KUBELET: &str = "kubelet_";

pub struct Prometheus {
    child: Child,
    /// Every query of an alert or a panel, with where it comes from.
    queries: Vec<(String, String)>,
    alert_for: Option<u64>,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One scrape target as Prometheus would find it.
struct Target {
    pod: String,
    address: SocketAddr,
    labels: BTreeMap<String, String>,
}

fn targets(s: &Session, job: &str) -> Vec<Target> {
    let namespace = s.cluster.namespace().to_string();
    s.cluster
        .live_pods()
        .filter_map(|p| {
            let (container, port) = p.def.spec.containers.iter().find_map(|c| {
                let port = c
                    .ports
                    .iter()
                    .flatten()
                    .find(|port| port.name.as_deref() == Some(PORT_NAME))?;
                Some((c.name.clone(), port.container_port as u16))
            })?;
            let mut labels = BTreeMap::from([
                ("job".to_string(), job.to_string()),
                ("namespace".to_string(), namespace.clone()),
                ("pod".to_string(), p.def.name.clone()),
                ("container".to_string(), container),
                ("endpoint".to_string(), PORT_NAME.to_string()),
            ]);
            for key in ["app.kubernetes.io/instance", "app.kubernetes.io/component"] {
                if let Some(v) = p.def.labels.get(key) {
                    labels.insert(key.replace(['.', '/'], "_"), v.clone());
                }
            }
            Some(Target {
                pod: p.def.name.clone(),
                address: SocketAddr::from((p.ip, port)),
                labels,
            })
        })
        .collect()
}

/// A plain HTTP GET: status and body.
fn get(addr: SocketAddr, path: &str) -> Result<(u16, String)> {
    let mut conn = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        conn,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\nAccept: */*\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok((status, body.to_string()))
}

fn prometheus_addr() -> SocketAddr {
    PROMETHEUS.parse().expect("a socket address")
}

/// A Prometheus HTTP API call: the `data` of a success.
fn api(path: &str) -> Result<Value> {
    let (status, body) = get(prometheus_addr(), path)?;
    let v: Value = serde_json::from_str(&body)
        .with_context(|| format!("Prometheus answered {status} to {path}: {body}"))?;
    if v["status"] != "success" {
        bail!("Prometheus refused {path}: {body}");
    }
    Ok(v["data"].clone())
}

fn encode(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The rendered objects that read metrics: the PodMonitor's name (the
/// scrape job), the PrometheusRule's groups, the dashboards' queries.
fn rendered(objects: &Objects) -> (Option<String>, Option<Value>, Vec<(String, String)>) {
    let mut monitor = None;
    let mut groups = None;
    let mut queries = Vec::new();
    for ((kind, name), v) in &objects.values {
        match kind.as_str() {
            "PodMonitor" => monitor = Some(format!("{}/{name}", objects.namespace)),
            "PrometheusRule" => {
                groups = Some(v["spec"]["groups"].clone());
                for g in v["spec"]["groups"].as_array().into_iter().flatten() {
                    for r in g["rules"].as_array().into_iter().flatten() {
                        queries.push((
                            format!("alert {}", r["alert"].as_str().unwrap_or("?")),
                            r["expr"].as_str().unwrap_or_default().to_string(),
                        ));
                    }
                }
            }
            "ConfigMap" if v["metadata"]["labels"]["grafana_dashboard"] == "1" => {
                for text in v["data"].as_object().into_iter().flatten().map(|(_, t)| t) {
                    let d: Value =
                        serde_json::from_str(text.as_str().unwrap_or("{}")).unwrap_or_default();
                    for p in d["panels"].as_array().into_iter().flatten() {
                        for t in p["targets"].as_array().into_iter().flatten() {
                            queries.push((
                                format!("panel \"{}\"", p["title"].as_str().unwrap_or("?")),
                                t["expr"].as_str().unwrap_or_default().to_string(),
                            ));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    (monitor, groups, queries)
}

/// `for` of every rule set to `secs`, when given.
fn shortened(groups: &Value, secs: Option<u64>) -> Value {
    let mut groups = groups.clone();
    if let Some(secs) = secs {
        for g in groups.as_array_mut().into_iter().flatten() {
            g["interval"] = json!(format!("{INTERVAL_SECS}s"));
            for r in g["rules"].as_array_mut().into_iter().flatten() {
                if r.get("for").is_some() {
                    r["for"] = json!(format!("{secs}s"));
                }
            }
        }
    }
    groups
}

/// Checks every pod's exporter, then (with `--prometheus`) starts
/// Prometheus on the render's scrape configuration and rules; `None` when
/// it does not run.
pub fn start(
    s: &mut Session,
    work: &Path,
    prometheus: bool,
    alert_for: Option<u64>,
) -> Result<Option<Prometheus>> {
    let (monitor, groups, queries) = rendered(&s.cluster.objects);
    let job = monitor.clone().unwrap_or_else(|| "kubernetes-pods".into());
    let targets = targets(s, &job);
    if targets.is_empty() {
        return Ok(None);
    }
    let mut failed = Vec::new();
    let mut fewest = usize::MAX;
    for t in &targets {
        match get(t.address, "/metrics") {
            Ok((200, body)) => {
                fewest = fewest.min(body.lines().filter(|l| !l.starts_with('#')).count())
            }
            Ok((status, _)) => failed.push(format!("{} answered {status}", t.pod)),
            Err(e) => failed.push(format!("{}: {e}", t.pod)),
        }
    }
    s.report.check(
        failed.is_empty(),
        if failed.is_empty() {
            format!(
                "metrics: every pod's exporter answers on its metrics port ({} pods, at least {fewest} samples each)",
                targets.len()
            )
        } else {
            format!("metrics: exporters do not answer: {}", failed.join("; "))
        },
    );
    if !prometheus {
        return Ok(None);
    }
    let dir = work.join("prometheus");
    std::fs::create_dir_all(&dir)?;
    let static_configs: Vec<Value> = targets
        .iter()
        .map(|t| json!({ "targets": [t.address.to_string()], "labels": t.labels }))
        .collect();
    let config = json!({
        "global": {
            "scrape_interval": format!("{INTERVAL_SECS}s"),
            "evaluation_interval": format!("{INTERVAL_SECS}s"),
        },
        "rule_files": [dir.join("rules.yaml")],
        "scrape_configs": [{
            "job_name": job,
            "metrics_path": "/metrics",
            "static_configs": static_configs,
        }],
    });
    // JSON is YAML: Prometheus reads both files as they are.
    std::fs::write(
        dir.join("prometheus.yaml"),
        serde_json::to_string_pretty(&config)?,
    )?;
    let rules = json!({ "groups": shortened(&groups.clone().unwrap_or(json!([])), alert_for) });
    std::fs::write(
        dir.join("rules.yaml"),
        serde_json::to_string_pretty(&rules)?,
    )?;
    let log = std::fs::File::create(dir.join("prometheus.log"))?;
    let child = Command::new("prometheus")
        .arg(format!(
            "--config.file={}",
            dir.join("prometheus.yaml").display()
        ))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address={PROMETHEUS}"))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .context("cannot run prometheus (Debian's `prometheus` package)")?;
    let prom = Prometheus {
        child,
        queries,
        alert_for,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while !matches!(get(prometheus_addr(), "/-/ready"), Ok((200, _))) {
        if Instant::now() > deadline {
            bail!(
                "Prometheus did not become ready; see {}",
                dir.join("prometheus.log").display()
            );
        }
        s.wait(Duration::from_secs(1))?;
    }
    println!(
        "live: Prometheus {} scrapes {} targets as job {job}{}",
        PROMETHEUS,
        targets.len(),
        match alert_for {
            Some(secs) => format!("; alerts' `for` shortened to {secs} s by --alert-for"),
            None => String::new(),
        }
    );
    // Two scrapes of every target.
    s.wait(Duration::from_secs(3 * INTERVAL_SECS))?;
    let up = api(&format!(
        "/api/v1/query?query={}",
        encode(&format!("up{{job=\"{job}\"}} == 1"))
    ))?;
    let scraped = up["result"].as_array().map_or(0, Vec::len);
    s.report.check(
        scraped == targets.len(),
        format!(
            "metrics: Prometheus scrapes {scraped} of {} pods with the rendered scrape labels",
            targets.len()
        ),
    );
    used_metrics(s, &prom)?;
    Ok(Some(prom))
}

/// The metric names and label names a PromQL expression selects by: every
/// identifier that is not a function, keyword or label, with the labels of
/// its matchers and of `by (...)` clauses.
pub fn selectors(expr: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    const WORDS: &[&str] = &[
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "and",
        "or",
        "unless",
        "bool",
        "offset",
    ];
    let mut metrics = BTreeSet::new();
    let mut labels = BTreeSet::new();
    let b = expr.as_bytes();
    let mut i = 0;
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b':';
    while i < b.len() {
        let c = b[i];
        if c == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c == b'[' {
            while i < b.len() && b[i] != b']' {
                i += 1;
            }
        } else if c == b'{' {
            // Label matchers: the names before =, !=, =~, !~.
            i += 1;
            while i < b.len() && b[i] != b'}' {
                let start = i;
                while i < b.len() && ident(b[i]) {
                    i += 1;
                }
                if i > start {
                    labels.insert(expr[start..i].to_string());
                }
                while i < b.len() && b[i] != b'"' && b[i] != b'}' {
                    i += 1;
                }
                if i < b.len() && b[i] == b'"' {
                    i += 1;
                    while i < b.len() && b[i] != b'"' {
                        i += if b[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                }
                while i < b.len() && (b[i] == b',' || b[i] == b' ') {
                    i += 1;
                }
            }
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && ident(b[i]) {
                i += 1;
            }
            let word = &expr[start..i];
            let mut j = i;
            while j < b.len() && b[j] == b' ' {
                j += 1;
            }
            let rest = &expr[j..];
            // A function call, or an aggregation with its grouping first.
            let call = rest.starts_with('(')
                || ((rest.starts_with("by") || rest.starts_with("without"))
                    && !WORDS.contains(&word));
            if (word == "by" || word == "without") && call {
                let end = expr[j..].find(')').map_or(b.len(), |e| j + e);
                for l in expr[j + 1..end].split(',') {
                    labels.insert(l.trim().to_string());
                }
                i = end + 1;
            } else if !call && !WORDS.contains(&word) {
                metrics.insert(word.to_string());
            }
        } else {
            i += 1;
        }
    }
    labels.retain(|l| !l.is_empty());
    (metrics, labels)
}

/// Every metric the alerts and panels query is scraped, with every label
/// their queries name (kubelet metrics are not scraped here).
fn used_metrics(s: &mut Session, prom: &Prometheus) -> Result<()> {
    let mut missing = Vec::new();
    let mut checked = BTreeSet::new();
    let mut kubelet = BTreeSet::new();
    for (what, expr) in &prom.queries {
        let (metrics, labels) = selectors(expr);
        for m in metrics {
            if m.starts_with(FROM_KUBELET) {
                kubelet.insert(m);
                continue;
            }
            let series = api(&format!("/api/v1/series?match[]={}", encode(&m)))?;
            let series = series.as_array().cloned().unwrap_or_default();
            if series.is_empty() {
                missing.push(format!("{what}: {m} is not scraped"));
                continue;
            }
            for l in &labels {
                // A label the query names must be on the metric, unless
                // another metric of the query carries it.
                if !series.iter().any(|v| v.get(l).is_some()) {
                    missing.push(format!("{what}: {m} has no label {l}"));
                }
            }
            checked.insert(m);
        }
    }
    s.report.check(
        missing.is_empty(),
        if missing.is_empty() {
            format!(
                "metrics: the {} metrics that {} alerts and panels query are scraped with the labels they select by ({} from the kubelet are not scraped here: {})",
                checked.len(),
                prom.queries.len(),
                kubelet.len(),
                kubelet.into_iter().collect::<Vec<_>>().join(", ")
            )
        } else {
            format!("metrics: {}", missing.join("; "))
        },
    );
    Ok(())
}

/// The alerts firing now, by name.
fn firing() -> Result<Vec<String>> {
    let alerts = api("/api/v1/alerts")?;
    Ok(alerts["alerts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["state"] == "firing")
        .map(|a| {
            format!(
                "{}{}",
                a["labels"]["alertname"].as_str().unwrap_or("?"),
                a["labels"]["pod"]
                    .as_str()
                    .map(|p| format!(" ({p})"))
                    .unwrap_or_default()
            )
        })
        .collect())
}

/// Nothing fires on the healthy cluster, over longer than every alert's `for`.
pub fn healthy(s: &mut Session, prom: &Prometheus) -> Result<()> {
    let window = prom.alert_for.unwrap_or(60) + 3 * INTERVAL_SECS;
    s.wait(Duration::from_secs(window))?;
    let now = firing()?;
    s.report.check(
        now.is_empty(),
        if now.is_empty() {
            format!("metrics: no alert fires on the healthy cluster ({window} s of evaluations)")
        } else {
            format!(
                "metrics: alerts fire on the healthy cluster: {}",
                now.join(", ")
            )
        },
    );
    Ok(())
}

/// A broker killed and held down fires KafkaUnderReplicatedPartitions; it
/// resolves once the broker is back.
pub fn broker_down(s: &mut Session, prom: &Prometheus, victim: &str) -> Result<()> {
    let alert = "KafkaUnderReplicatedPartitions";
    if !prom
        .queries
        .iter()
        .any(|(w, _)| w == &format!("alert {alert}"))
    {
        return Ok(());
    }
    let hold = Duration::from_secs(300);
    eprintln!("  metrics: kill -9 {victim} and hold it down until {alert} fires");
    s.cluster.kubelet.kill_container(victim, 0);
    s.cluster.kubelet.hold(victim, 0, Instant::now() + hold);
    let t0 = Instant::now();
    let limit = Duration::from_secs(prom.alert_for.unwrap_or(120) + 90);
    let mut fired = false;
    while t0.elapsed() < limit {
        if firing()?.iter().any(|a| a.starts_with(alert)) {
            fired = true;
            break;
        }
        s.wait(Duration::from_secs(INTERVAL_SECS))?;
    }
    s.report.check(
        fired,
        format!(
            "metrics: {alert} fired {:.0} s after {victim} was killed",
            t0.elapsed().as_secs_f64()
        ),
    );
    s.cluster.kubelet.hold(victim, 0, Instant::now());
    let back = s.tick_until(Duration::from_secs(300), |c| c.kubelet.ready(victim))?;
    let t1 = Instant::now();
    let mut resolved = false;
    while back && t1.elapsed() < Duration::from_secs(180) {
        if !firing()?.iter().any(|a| a.starts_with(alert)) {
            resolved = true;
            break;
        }
        s.wait(Duration::from_secs(INTERVAL_SECS))?;
    }
    s.report.check(
        resolved,
        format!(
            "metrics: {alert} resolved {:.0} s after {victim} was ready again",
            t1.elapsed().as_secs_f64()
        ),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::selectors;

    #[test]
    fn reads_metrics_and_labels_out_of_queries() {
        let (m, l) =
            selectors("(count(up{namespace=\"a\",pod=~\"x-[0-9]+\"} == 1) or vector(0)) < 3");
        assert_eq!(m.into_iter().collect::<Vec<_>>(), ["up"]);
        assert_eq!(l.into_iter().collect::<Vec<_>>(), ["namespace", "pod"]);
        let (m, l) = selectors(
            "sum by (pod) (rate(kafka_server_brokertopicmetrics_bytesin_total{namespace=\"a\",topic=\"\"}[5m])) - sum by (topic) (x_total{a=\"}\"})",
        );
        assert_eq!(
            m.into_iter().collect::<Vec<_>>(),
            ["kafka_server_brokertopicmetrics_bytesin_total", "x_total"]
        );
        assert_eq!(
            l.into_iter().collect::<Vec<_>>(),
            ["a", "namespace", "pod", "topic"]
        );
        let (m, _) = selectors(
            "predict_linear(kubelet_volume_stats_available_bytes{namespace=\"n\"}[6h], 4 * 24 * 3600) < 0",
        );
        assert_eq!(
            m.into_iter().collect::<Vec<_>>(),
            ["kubelet_volume_stats_available_bytes"]
        );
    }
}
