//! Metrics, when the render has them. Every pod's exporter answers; with
//! `--prometheus`, a real Prometheus (Debian's `prometheus`) scrapes the pods with the labels the
//! rendered PodMonitor (or the scrape annotations) gives them and evaluates
//! the rendered PrometheusRule; every metric an alert or a dashboard panel
//! queries is scraped, with the labels the query selects by; nothing fires
//! on the healthy cluster; and with `--faults`, a broker killed and held
//! down fires KafkaUnderReplicatedPartitions, which resolves once it is
//! back. `--alert-for SECONDS` shortens every alert's `for` so that this
//! takes seconds, not minutes.

use crate::objects::{Labels, Objects, matches_labels};
use crate::pods::Pod;
use crate::probes::http_get;
use crate::session::Session;
use anyhow::{Context, Result, bail};
use kafkagen::check::custom::PodMonitor;
use kafkagen::listeners::METRICS_PORT_NAME;
use kafkagen::model::metrics::{PATH, target_label};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where the harness's Prometheus listens, on the node.
/// Where Prometheus listens in its pod.
const PROMETHEUS_PORT: u16 = 19090;
/// Scrape and rule evaluation interval, and the scrape timeout: a JVM
/// with a small heap on a busy machine takes seconds to walk its MBeans.
const INTERVAL_SECS: u64 = 5;
/// Metrics that come from elsewhere than the pods' exporters: the
/// kubelet's and cert-manager's controller's, neither of which runs here.
const ELSEWHERE: [&str; 2] = ["kubelet_", "certmanager_"];

pub struct Prometheus {
    child: Child,
    /// Its pod's address and port, which the harness asks from the node.
    addr: SocketAddr,
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
    path: String,
    labels: BTreeMap<String, String>,
}

/// How the render asks Prometheus to scrape its pods.
enum Scrape {
    /// A PodMonitor, as the Prometheus Operator turns it into targets: the
    /// pods its selector matches, on its endpoint's named port and path,
    /// with `namespace`, `pod`, `container`, `endpoint` and its
    /// `podTargetLabels`; the job is `<namespace>/<name>`.
    PodMonitor {
        job: String,
        selector: Labels,
        port: String,
        path: String,
        target_labels: Vec<String>,
    },
    /// `prometheus.io/scrape`, `port` and `path` annotations, as the usual
    /// `kubernetes-pods` job reads them: every pod label mapped onto the
    /// target, with `namespace` and `pod`.
    Annotations,
}

fn job(scrape: &Scrape) -> String {
    match scrape {
        Scrape::PodMonitor { job, .. } => job.clone(),
        Scrape::Annotations => "kubernetes-pods".into(),
    }
}

/// The container with a port of this name, and the port.
fn named_port(p: &Pod, name: &str) -> Option<(String, u16)> {
    p.def.spec.containers.iter().find_map(|c| {
        let port = c
            .ports
            .iter()
            .flatten()
            .find(|q| q.name.as_deref() == Some(name))?;
        Some((c.name.clone(), u16::try_from(port.container_port).ok()?))
    })
}

/// The pods with a metrics port: (pod, address).
fn exporters(s: &Session) -> Vec<(String, SocketAddr)> {
    s.cluster
        .live_pods()
        .filter_map(|p| {
            let (_, port) = named_port(p, METRICS_PORT_NAME)?;
            Some((p.def.name.clone(), SocketAddr::from((p.ip, port))))
        })
        .collect()
}

fn targets(s: &Session, scrape: &Scrape) -> Vec<Target> {
    let namespace = s.cluster.namespace().to_string();
    let job = job(scrape);
    s.cluster
        .live_pods()
        .filter_map(|p| {
            let mut labels = BTreeMap::from([
                ("job".to_string(), job.clone()),
                ("namespace".to_string(), namespace.clone()),
                ("pod".to_string(), p.def.name.clone()),
            ]);
            let (port, path) = match scrape {
                Scrape::PodMonitor {
                    selector,
                    port,
                    path,
                    target_labels,
                    ..
                } => {
                    if !matches_labels(selector, &p.def.labels) {
                        return None;
                    }
                    let (container, number) = named_port(p, port)?;
                    labels.insert("container".into(), container);
                    labels.insert("endpoint".into(), port.clone());
                    for key in target_labels {
                        if let Some(v) = p.def.labels.get(key) {
                            labels.insert(target_label(key), v.clone());
                        }
                    }
                    (number, path.clone())
                }
                Scrape::Annotations => {
                    let a = &p.def.annotations;
                    if a.get("prometheus.io/scrape").map(String::as_str) != Some("true") {
                        return None;
                    }
                    let port = a.get("prometheus.io/port")?.parse().ok()?;
                    for (k, v) in &p.def.labels {
                        labels.insert(target_label(k), v.clone());
                    }
                    let path = a
                        .get("prometheus.io/path")
                        .cloned()
                        .unwrap_or_else(|| "/metrics".into());
                    (port, path)
                }
            };
            Some(Target {
                pod: p.def.name.clone(),
                address: SocketAddr::from((p.ip, port)),
                path,
                labels,
            })
        })
        .collect()
}

/// A GET from the node, with the harness's scrape timeout.
fn get(addr: SocketAddr, path: &str) -> Result<(u16, String)> {
    Ok(http_get(addr, path, Duration::from_secs(10))?)
}

/// The namespace the render lets reach the pods' metrics port (its
/// NetworkPolicies' `kubernetes.io/metadata.name` for that port), where
/// the harness runs Prometheus; `monitoring`, kafkagen's default, when no
/// policy names one.
fn prometheus_namespace(s: &Session) -> String {
    let ports: BTreeSet<i32> = s
        .cluster
        .live_pods()
        .filter_map(|p| named_port(p, METRICS_PORT_NAME))
        .map(|(_, port)| i32::from(port))
        .collect();
    for ((kind, _), v) in &s.cluster.objects.values {
        if kind != "NetworkPolicy" {
            continue;
        }
        for rule in v["spec"]["ingress"].as_array().into_iter().flatten() {
            let metrics = rule["ports"].as_array().into_iter().flatten().any(|p| {
                p["port"]
                    .as_i64()
                    .is_some_and(|n| ports.contains(&(n as i32)))
            });
            if !metrics {
                continue;
            }
            for peer in rule["from"].as_array().into_iter().flatten() {
                if let Some(ns) =
                    peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"].as_str()
                {
                    return ns.to_string();
                }
            }
        }
    }
    "monitoring".into()
}

/// A Prometheus HTTP API call: the `data` of a success.
fn api(addr: SocketAddr, path: &str) -> Result<Value> {
    let (status, body) = get(addr, path)?;
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
fn rendered(objects: &Objects) -> (Scrape, Option<Value>, Vec<(String, String)>) {
    let mut monitor = Scrape::Annotations;
    let mut groups = None;
    let mut queries = Vec::new();
    for ((kind, name), v) in &objects.values {
        match kind.as_str() {
            "PodMonitor" => {
                // Read with kafkagen's own typed PodMonitor (src/check/custom.rs).
                if let Ok(pm) = serde_json::from_value::<PodMonitor>(v.clone()) {
                    let endpoint = pm.spec.pod_metrics_endpoints.first();
                    monitor = Scrape::PodMonitor {
                        job: format!("{}/{name}", objects.namespace),
                        selector: pm.spec.selector.match_labels.unwrap_or_default(),
                        port: endpoint.and_then(|e| e.port.clone()).unwrap_or_default(),
                        path: endpoint
                            .and_then(|e| e.path.clone())
                            .unwrap_or_else(|| PATH.into()),
                        target_labels: pm.spec.pod_target_labels.unwrap_or_default(),
                    };
                }
            }
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
    let (scrape, groups, queries) = rendered(&s.cluster.objects);
    let exporters = exporters(s);
    if exporters.is_empty() {
        let annotated = s
            .cluster
            .live_pods()
            .any(|p| p.def.annotations.contains_key("prometheus.io/scrape"));
        if let Scrape::PodMonitor { port, .. } = &scrape {
            s.report.fail(format!(
                "metrics: the rendered PodMonitor scrapes the port named `{port}`, but no pod has a port named `{METRICS_PORT_NAME}`"
            ));
        } else if annotated {
            s.report.skip(format!(
                "metrics: the pods carry scrape annotations, but none has a port named `{METRICS_PORT_NAME}`, which the exporter checks read"
            ));
        } else if prometheus {
            s.report
                .skip("metrics: --prometheus on a render without metrics: nothing to scrape");
        }
        return Ok(None);
    }
    let mut failed = Vec::new();
    let mut fewest = usize::MAX;
    for (pod, address) in &exporters {
        match get(*address, PATH) {
            Ok((200, body)) => {
                fewest = fewest.min(body.lines().filter(|l| !l.starts_with('#')).count())
            }
            Ok((status, _)) => failed.push(format!("{pod} answered {status}")),
            Err(e) => failed.push(format!("{pod}: {e}")),
        }
    }
    s.report.check(
        failed.is_empty(),
        if failed.is_empty() {
            format!(
                "metrics: every pod's exporter answers on its metrics port ({} pods, at least {fewest} samples each)",
                exporters.len()
            )
        } else {
            format!("metrics: exporters do not answer: {}", failed.join("; "))
        },
    );
    if !prometheus {
        return Ok(None);
    }
    let job = job(&scrape);
    let targets = targets(s, &scrape);
    let dir = work.join("prometheus");
    std::fs::create_dir_all(&dir)?;
    let static_configs: Vec<Value> = targets
        .iter()
        .map(|t| {
            let mut labels = t.labels.clone();
            labels.insert("__metrics_path__".into(), t.path.clone());
            json!({ "targets": [t.address.to_string()], "labels": labels })
        })
        .collect();
    let config = json!({
        "global": {
            "scrape_interval": format!("{INTERVAL_SECS}s"),
            "evaluation_interval": format!("{INTERVAL_SECS}s"),
        },
        "rule_files": [dir.join("rules.yaml")],
        "scrape_configs": [{
            "job_name": job,
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
    // A pod in Prometheus' namespace, which the NetworkPolicies must let in.
    let namespace = prometheus_namespace(s);
    let (ip, netns) = s.cluster.add_guest(
        "kafkagen-live-prometheus",
        &namespace,
        &[],
        &[("app.kubernetes.io/name", "prometheus")],
    )?;
    let addr = SocketAddr::from((ip, PROMETHEUS_PORT));
    let child = Command::new("ip")
        .args(["netns", "exec", &netns, "prometheus"])
        .arg(format!(
            "--config.file={}",
            dir.join("prometheus.yaml").display()
        ))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address={addr}"))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .context("cannot run prometheus (Debian's `prometheus` package)")?;
    let prom = Prometheus {
        child,
        addr,
        queries,
        alert_for,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while !matches!(get(addr, "/-/ready"), Ok((200, _))) {
        if Instant::now() > deadline {
            bail!(
                "Prometheus did not become ready; see {}",
                dir.join("prometheus.log").display()
            );
        }
        s.wait(Duration::from_secs(1))?;
    }
    println!(
        "live: Prometheus at {addr} (a pod in namespace {namespace}) scrapes {} targets as job {job}{}",
        targets.len(),
        match alert_for {
            Some(secs) => format!("; alerts' `for` shortened to {secs} s by --alert-for"),
            None => String::new(),
        }
    );
    // Every pod with a metrics port, found by the rendered configuration
    // and scraped whole at least once. On a busy machine a broker's
    // exporter can take longer than one scrape's timeout to walk its
    // MBeans, so a miss is retried for up to a minute of scrapes.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut missed: Vec<String>;
    loop {
        s.wait(Duration::from_secs(3 * INTERVAL_SECS))?;
        let answer = api(
            prom.addr,
            &format!(
                "/api/v1/query?query={}",
                encode(&format!("max_over_time(up{{job=\"{job}\"}}[2m]) == 1"))
            ),
        )?;
        let up: BTreeSet<String> = answer["result"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["metric"]["pod"].as_str().map(str::to_string))
            .collect();
        missed = exporters
            .iter()
            .map(|(pod, _)| pod.clone())
            .filter(|pod| !targets.iter().any(|t| t.pod == *pod && up.contains(pod)))
            .collect();
        if missed.is_empty() || Instant::now() > deadline {
            break;
        }
    }
    s.report.check(
        missed.is_empty(),
        if missed.is_empty() {
            format!(
                "metrics: Prometheus scrapes all {} pods as the rendered {} says",
                exporters.len(),
                match scrape {
                    Scrape::PodMonitor { .. } => "PodMonitor",
                    Scrape::Annotations => "scrape annotations",
                }
            )
        } else {
            format!(
                "metrics: the rendered scrape configuration does not reach {}",
                missed.join(", ")
            )
        },
    );
    used_metrics(s, &prom)?;
    Ok(Some(prom))
}

/// What a PromQL expression reads: each vector selector as written
/// (`name{matchers}`), and the labels its `by (...)` clauses group by.
pub fn selectors(expr: &str) -> (Vec<String>, BTreeSet<String>) {
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
    let mut found = Vec::new();
    let mut grouping = BTreeSet::new();
    let b = expr.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b':';
    // The end of a quoted string opening at `i`, past escapes.
    let quoted_end = |mut i: usize| {
        i += 1;
        while i < b.len() && b[i] != b'"' {
            i += if b[i] == b'\\' { 2 } else { 1 };
        }
        (i + 1).min(b.len())
    };
    // The end of a `{...}` at `i`, past quoted values.
    let matchers_end = |mut i: usize| {
        while i < b.len() && b[i] != b'}' {
            i = if b[i] == b'"' { quoted_end(i) } else { i + 1 };
        }
        (i + 1).min(b.len())
    };
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'"' {
            i = quoted_end(i);
        } else if c == b'[' {
            while i < b.len() && b[i] != b']' {
                i += 1;
            }
        } else if c == b'{' {
            i = matchers_end(i);
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && ident(b[i]) {
                i += 1;
            }
            let word = &expr[start..i];
            let rest = expr[i..].trim_start();
            let j = b.len() - rest.len();
            if (word == "by" || word == "without") && rest.starts_with('(') {
                let end = expr[j..].find(')').map_or(b.len(), |e| j + e);
                for l in expr[j + 1..end].split(',') {
                    grouping.insert(l.trim().to_string());
                }
                i = end + 1;
            } else if rest.starts_with('(')
                || rest.starts_with("by")
                || rest.starts_with("without")
                || WORDS.contains(&word)
            {
                // A function, an aggregation, or a keyword.
            } else if rest.starts_with('{') {
                let end = matchers_end(j);
                found.push(format!("{word}{}", &expr[j..end]));
                i = end;
            } else {
                found.push(word.to_string());
            }
        } else {
            i += 1;
        }
    }
    grouping.retain(|l| !l.is_empty());
    (found, grouping)
}

/// Every vector selector the alerts and panels query returns series, as
/// written, and each query's grouping labels are on them (the kubelet's
/// and cert-manager's metrics are not scraped here).
fn used_metrics(s: &mut Session, prom: &Prometheus) -> Result<()> {
    let mut missing = Vec::new();
    let mut checked = BTreeSet::new();
    let mut kubelet = BTreeSet::new();
    for (what, expr) in &prom.queries {
        let (found, grouping) = selectors(expr);
        let mut series = Vec::new();
        for sel in found {
            if ELSEWHERE.iter().any(|p| sel.starts_with(p)) {
                kubelet.insert(sel.split('{').next().unwrap_or_default().to_string());
                continue;
            }
            let got = api(
                prom.addr,
                &format!("/api/v1/series?match[]={}", encode(&sel)),
            )?;
            let got = got.as_array().cloned().unwrap_or_default();
            if got.is_empty() {
                missing.push(format!("{what}: no series for {sel}"));
            }
            series.extend(got);
            checked.insert(sel);
        }
        for l in &grouping {
            if !series.is_empty() && !series.iter().any(|v| v.get(l).is_some()) {
                missing.push(format!("{what}: no series it reads has the label {l}"));
            }
        }
    }
    s.report.check(
        missing.is_empty(),
        if missing.is_empty() {
            format!(
                "metrics: all {} selectors of {} alerts and panels return series, with the labels they group by ({} are not scraped here: the kubelet and cert-manager do not run here)",
                checked.len(),
                prom.queries.len(),
                kubelet.into_iter().collect::<Vec<_>>().join(", ")
            )
        } else {
            format!("metrics: {}", missing.join("; "))
        },
    );
    Ok(())
}

/// The alerts firing now, by name.
fn firing(prom: &Prometheus) -> Result<Vec<String>> {
    let alerts = api(prom.addr, "/api/v1/alerts")?;
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

/// Nothing fires on the healthy cluster: over longer than every alert's
/// `for` with `--alert-for`; without it, over a minute (the rendered `for`s
/// are longer, so this shows only that nothing is pending and firing).
pub fn healthy(s: &mut Session, prom: &Prometheus) -> Result<()> {
    let window = prom.alert_for.unwrap_or(60) + 3 * INTERVAL_SECS;
    s.wait(Duration::from_secs(window))?;
    let now = firing(prom)?;
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
        if firing(prom)?.iter().any(|a| a.starts_with(alert)) {
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
        if !firing(prom)?.iter().any(|a| a.starts_with(alert)) {
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
    fn reads_selectors_and_grouping_out_of_queries() {
        let (sel, by) =
            selectors("(count(up{namespace=\"a\",pod=~\"x-[0-9]+\"} == 1) or vector(0)) < 3");
        assert_eq!(sel, ["up{namespace=\"a\",pod=~\"x-[0-9]+\"}"]);
        assert!(by.is_empty());
        let (sel, by) = selectors(
            "sum by (pod) (rate(kafka_server_brokertopicmetrics_bytesin_total{namespace=\"a\",topic=\"\"}[5m])) - sum by (topic) (x_total{a=\"}\"})",
        );
        assert_eq!(
            sel,
            [
                "kafka_server_brokertopicmetrics_bytesin_total{namespace=\"a\",topic=\"\"}",
                "x_total{a=\"}\"}"
            ]
        );
        assert_eq!(by.into_iter().collect::<Vec<_>>(), ["pod", "topic"]);
        let (sel, _) = selectors(
            "a_b{n=\"x\"} / c_d < 0.15 and predict_linear(e_f{n=\"x\"}[6h], 4 * 24 * 3600) < 0",
        );
        assert_eq!(sel, ["a_b{n=\"x\"}", "c_d", "e_f{n=\"x\"}"]);
    }
}
