//! `describe`: the cluster before it exists, read from the model. A text
//! report (pods with role, id and addresses; Services; storage; resource
//! totals) or a Mermaid graph of the topology.

use crate::broker_properties;
use crate::cluster::{Cluster, Metadata};
use crate::listeners::{INTERNAL, METRICS_PORT_NAME};
use crate::model::{Component, EXTERNAL, Labels, Model, NODE_IP_PLACEHOLDER, Pod, Port, Role};
use crate::model::{metrics, security};
use crate::validate::quantity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Tables for a terminal
    Text,
    /// A Mermaid flowchart of the topology
    Mermaid,
    /// The topology as JSON: components, listeners, pods and their
    /// addresses, the bootstraps
    Json,
}

pub fn describe(cluster: &Cluster, model: &Model, format: Format) -> String {
    match format {
        Format::Text => text(cluster, model),
        Format::Mermaid => mermaid(model),
        Format::Json => crate::commands::topology::json(cluster, model),
    }
}

pub const NODE_IP: &str = "<node IP>";

pub fn address(a: &str) -> String {
    a.replace(NODE_IP_PLACEHOLDER, NODE_IP)
}

/// Internal address: the first listener (client, INTERNAL or CONTROLLER).
fn internal(pod: &Pod) -> &str {
    pod.addresses.first().map_or("-", |a| a.address.as_str())
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn text(cluster: &Cluster, model: &Model) -> String {
    let brokers = model.brokers();
    let mut out = String::new();
    let metadata = match &cluster.metadata {
        Metadata::ZooKeeper(z) => format!(
            "ZooKeeper mode, {}",
            plural(z.replicas as usize, "ZooKeeper server", "ZooKeeper servers")
        ),
        Metadata::Kraft(k) => match &k.controllers {
            Some(c) => format!(
                "KRaft mode, {}, cluster id {}",
                plural(c.replicas as usize, "controller", "controllers"),
                k.cluster_id
            ),
            None => format!(
                "KRaft mode, brokers are also controllers, cluster id {}",
                k.cluster_id
            ),
        },
    };
    out += &format!(
        "Cluster {} in namespace {}: {}, {metadata}\n",
        cluster.name,
        cluster.namespace,
        plural(brokers.replicas as usize, "broker", "brokers"),
    );
    out += &format!("Image: {}\n", brokers.image);
    out += &format!("Bootstrap (in cluster): {}\n", model.bootstrap);
    if let Some(outside) = outside_bootstrap(model) {
        out += &format!("Bootstrap (outside): {outside}\n");
    }

    out += &clients(model, brokers);
    out += &own_certificates(model);
    out += &authorization(model);
    out += &pods(model);
    out += &services(model, brokers);
    out += &storage(model);
    out += &resources(model);
    out
}

/// Where clients outside the cluster bootstrap, when the brokers are exposed.
fn outside_bootstrap(model: &Model) -> Option<String> {
    let brokers = model.brokers();
    let ext = model.external.as_ref()?;
    Some(match ext.bootstrap.node_port {
        Some(port) => {
            let host = brokers
                .pods
                .first()
                .and_then(|p| p.address(EXTERNAL.name))
                .and_then(|a| a.rsplit_once(':'))
                .map_or(NODE_IP, |(h, _)| h);
            format!("{}:{port} (NodePort)", address(host))
        }
        None if brokers
            .listeners
            .iter()
            .any(|l| l.name == EXTERNAL.name && l.security.tls) =>
        {
            format!(
                "{} (LoadBalancer; with TLS, at the brokers' hosts: the certificate does not name load balancer {})",
                brokers.addresses(EXTERNAL.name).join(","),
                ext.bootstrap.name
            )
        }
        None => format!(
            "<address of load balancer {}>:{} (LoadBalancer)",
            ext.bootstrap.name, ext.bootstrap.port
        ),
    })
}

/// With security on: per listener clients use, the properties they need.
fn clients(model: &Model, brokers: &Component) -> String {
    let Some(sec) = &model.security else {
        return String::new();
    };
    let ca = match &sec.broker_secret {
        Some(secret) => format!("<ca.crt of Secret {secret}>"),
        None => String::new(),
    };
    let mut out = String::from("\nCLIENTS (properties per listener)\n");
    for l in &brokers.listeners {
        let bootstrap = if l.name == INTERNAL.name {
            model.bootstrap.clone()
        } else if l.name == EXTERNAL.name {
            // With TLS, the brokers' own external addresses: the load
            // balancer's address is not in their certificate.
            let hosts = brokers.addresses(EXTERNAL.name);
            match &model.external {
                Some(ext) if !l.security.tls && ext.bootstrap.node_port.is_none() => format!(
                    "<address of load balancer {}>:{}",
                    ext.bootstrap.name, ext.bootstrap.port
                ),
                _ => hosts.join(",").replace(NODE_IP_PLACEHOLDER, NODE_IP),
            }
        } else {
            continue;
        };
        out += &format!("{} bootstrap.servers={bootstrap}\n", l.name);
        for (k, v) in security::client_properties(
            l,
            &ca,
            &format!("<the user's {}>", broker_properties::COMBINED_FILE),
        ) {
            out += &format!("{} {k}={v}\n", l.name);
        }
    }
    out
}

/// With the user's own certificate Secrets: what each must hold.
fn own_certificates(model: &Model) -> String {
    let Some(sec) = model.security.as_ref().filter(|s| !s.own.is_empty()) else {
        return String::new();
    };
    let mut out = String::from(
        "\nYOUR CERTIFICATE SECRETS (keys ca.crt and tls-combined.pem: the PKCS#8 key, then the chain)\n",
    );
    let mut rows = vec![row(&["SECRET", "SUBJECT", "USAGES", "NAMES"])];
    for c in &sec.own {
        let (usages, names) = if c.names.is_empty() {
            ("client auth", "-".to_string())
        } else {
            ("server auth, client auth", c.names.join(", "))
        };
        rows.push(row(&[
            &c.secret,
            &format!("CN={}", c.common_name),
            usages,
            &names,
        ]));
    }
    out += &table(&rows);
    out += "ca.crt is the CA that signs them all, users' certificates too (subject CN=<user>).\n";
    out
}

/// With authorization on: the authorizer, the super users, and every ACL
/// the ACLs Job keeps.
fn authorization(model: &Model) -> String {
    let Some(a) = model
        .security
        .as_ref()
        .and_then(|s| s.authorization.as_ref())
    else {
        return String::new();
    };
    let mut out = String::from("\nAUTHORIZATION\n");
    for (k, v) in &a.properties {
        out += &format!("{k}={v}\n");
    }
    if a.acls.is_empty() {
        out += "No ACLs: only the super users may do anything.\n";
        return out;
    }
    let mut rows = vec![row(&[
        "PRINCIPAL",
        "PERMISSION",
        "OPERATION",
        "RESOURCE",
        "NAME",
        "PATTERN",
    ])];
    for e in &a.acls {
        rows.push(row(&[
            &e.principal,
            &e.permission,
            &e.operation,
            &e.resource_type,
            &e.name,
            &e.pattern_type,
        ]));
    }
    out += &table(&rows);
    out
}

/// Each pod: role, id, internal and external address.
fn pods(model: &Model) -> String {
    let mut out = String::new();
    out += "\nPODS\n";
    let metrics = model.monitoring.is_some();
    let mut header = vec!["NAME", "ROLE", "ID", "INTERNAL ADDRESS", "EXTERNAL ADDRESS"];
    if metrics {
        header.push("METRICS");
    }
    let mut rows = vec![row(&header)];
    for c in &model.components {
        for pod in &c.pods {
            // A Deployment's pod has a generated name; it is reached by
            // its hostname.
            let name = if c.statefulset {
                pod.name.clone()
            } else {
                format!("{} (hostname)", pod.name)
            };
            let mut cells = vec![
                name,
                c.role.to_string(),
                pod.id.to_string(),
                internal(pod).to_string(),
                pod.address(EXTERNAL.name).map_or("-".into(), address),
            ];
            if metrics {
                cells.push(
                    pod.address(METRICS_PORT_NAME)
                        .map_or("-".into(), |a| format!("http://{a}{}", metrics::PATH)),
                );
            }
            rows.push(cells);
        }
    }
    out += &table(&rows);

    out
}

/// Each Service, its type, ports and the pods it selects.
fn services(model: &Model, brokers: &Component) -> String {
    let mut out = String::new();
    out += "\nSERVICES\n";
    let mut rows = vec![row(&["NAME", "TYPE", "PORTS", "SELECTS"])];
    for c in &model.components {
        let all = format!("all {} pods", c.role);
        if let Some(name) = &c.client_service {
            rows.push(vec![
                name.clone(),
                "ClusterIP".into(),
                ports(&c.client_ports()),
                all.clone(),
            ]);
        }
        rows.push(vec![
            c.headless.clone(),
            "ClusterIP (headless)".into(),
            ports(&c.headless_ports()),
            all,
        ]);
    }
    if let Some(ext) = &model.external {
        let all = format!("all {} pods", brokers.role);
        let exposed = std::iter::once((&ext.bootstrap, all)).chain(
            ext.brokers
                .iter()
                .zip(&brokers.pods)
                .map(|(s, p)| (s, p.name.clone())),
        );
        for (svc, selects) in exposed {
            let port = match svc.node_port {
                Some(node) => format!("{}, node port {node}", svc.port),
                None => svc.port.to_string(),
            };
            rows.push(vec![
                svc.name.clone(),
                ext.service_type.clone(),
                port,
                selects,
            ]);
        }
    }
    out += &table(&rows);

    out
}

/// Each pod's data volume, and the totals.
fn storage(model: &Model) -> String {
    let mut out = String::new();
    out += "\nSTORAGE\n";
    let mut rows = vec![row(&["POD", "VOLUME", "SIZE", "CLASS"])];
    let (mut persistent, mut claims, mut scratch, mut scratch_pods) = (0.0, 0, 0.0, 0);
    for c in &model.components {
        let size = quantity::parse(&c.storage.size).unwrap_or(0.0);
        for pod in &c.pods {
            let volume = match c.claim_of(pod) {
                None => {
                    scratch += size;
                    scratch_pods += 1;
                    "emptyDir (lost with the pod)".to_string()
                }
                Some(claim) => {
                    persistent += size;
                    claims += 1;
                    format!("PersistentVolumeClaim {claim}")
                }
            };
            let class = match (&c.storage.class, c.storage.ephemeral) {
                (_, true) => "-".to_string(),
                (Some(class), false) => class.clone(),
                (None, false) => "(cluster default)".to_string(),
            };
            rows.push(vec![
                pod.name.clone(),
                volume,
                c.storage.size.clone(),
                class,
            ]);
        }
    }
    out += &table(&rows);
    out += &match claims {
        0 => "Total: no claims".to_string(),
        n => format!(
            "Total: {} in {}",
            bytes(persistent),
            plural(n, "claim", "claims")
        ),
    };
    if scratch_pods > 0 {
        out += &format!(
            "; up to {} of emptyDir in {}",
            bytes(scratch),
            plural(scratch_pods, "pod", "pods")
        );
    }
    out += "\n";

    out
}

/// Requests and limits per component and in total, and the topics Job's.
fn resources(model: &Model) -> String {
    let mut out = String::new();
    out += "\nRESOURCES (each pod's main container)\n";
    let mut rows = vec![row(&[
        "COMPONENT",
        "PODS",
        "CPU REQUEST",
        "CPU LIMIT",
        "MEMORY REQUEST",
        "MEMORY LIMIT",
    ])];
    let columns = [
        ("requests", "cpu"),
        ("limits", "cpu"),
        ("requests", "memory"),
        ("limits", "memory"),
    ];
    let mut totals: Vec<Option<f64>> = vec![Some(0.0); columns.len()];
    let mut pods = 0;
    for c in &model.components {
        pods += c.pods.len();
        let resources = &c.main().resources;
        let mut r = vec![c.role.to_string(), c.pods.len().to_string()];
        for (i, (list, resource)) in columns.iter().enumerate() {
            let map: &Labels = if *list == "requests" {
                &resources.requests
            } else {
                &resources.limits
            };
            let value = map.get(*resource);
            r.push(value.cloned().unwrap_or_else(|| "-".into()));
            totals[i] = match (totals[i], value.and_then(|v| quantity::parse(v))) {
                (Some(t), Some(v)) => Some(t + v * c.pods.len() as f64),
                _ => None,
            };
        }
        rows.push(r);
    }
    let mut total = vec!["TOTAL".to_string(), pods.to_string()];
    for (i, (_, resource)) in columns.iter().enumerate() {
        total.push(match (totals[i], *resource) {
            (None, _) => "-".into(),
            (Some(v), "cpu") => cpu(v),
            (Some(v), _) => bytes(v),
        });
    }
    rows.push(total);
    out += &table(&rows);
    let run = || "while it runs".to_string();
    let jobs = [
        model
            .topics_job
            .as_ref()
            .map(|j| ("The topics Job", &j.name, &j.resources, run())),
        model
            .users_job
            .as_ref()
            .map(|j| ("The users Job", &j.name, &j.resources, run())),
        model
            .acls_job
            .as_ref()
            .map(|j| ("The ACLs Job", &j.name, &j.resources, run())),
        model
            .features_job
            .as_ref()
            .map(|j| ("The metadata.version Job", &j.name, &j.resources, run())),
        model.reload_job.as_ref().map(|j| {
            (
                "The certificates reload CronJob",
                &j.name,
                &j.resources,
                format!("while a run lasts (schedule `{}`)", j.schedule),
            )
        }),
    ];
    for (what, name, resources, when) in jobs.into_iter().flatten() {
        let get = |m: &Labels, k: &str| m.get(k).cloned().unwrap_or_else(|| "-".into());
        out += &format!(
            "{what} {name} adds CPU {}/{} and memory {}/{} (request/limit) {when}.\n",
            get(&resources.requests, "cpu"),
            get(&resources.limits, "cpu"),
            get(&resources.requests, "memory"),
            get(&resources.limits, "memory"),
        );
    }
    out
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

fn ports(ports: &[Port]) -> String {
    ports
        .iter()
        .map(|p| format!("{}/{}", p.port, p.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Left-aligned columns two spaces apart, no trailing spaces.
fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    rows.iter()
        .map(|r| {
            let line: String = r
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c:<width$}  ", width = widths[i]))
                .collect();
            format!("{}\n", line.trim_end())
        })
        .collect()
}

/// Cores as Kubernetes writes them: whole cores, or millicores.
fn cpu(cores: f64) -> String {
    let milli = (cores * 1000.0).round() as u64;
    if milli.is_multiple_of(1000) {
        (milli / 1000).to_string()
    } else {
        format!("{milli}m")
    }
}

/// Bytes in the largest binary unit that shows them exactly with at most
/// two decimals (`4.5Gi`, `1536Mi`).
fn bytes(n: f64) -> String {
    let n = n.round() as u128;
    for (unit, shift) in [
        ("Ei", 60),
        ("Pi", 50),
        ("Ti", 40),
        ("Gi", 30),
        ("Mi", 20),
        ("Ki", 10),
    ] {
        let size = 1u128 << shift;
        if n >= size && (n * 100).is_multiple_of(size) {
            let hundredths = n * 100 / size;
            let text = format!("{}.{:02}", hundredths / 100, hundredths % 100);
            return format!("{}{unit}", text.trim_end_matches('0').trim_end_matches('.'));
        }
    }
    n.to_string()
}

/// A Mermaid id: names are DNS labels, so `-` -> `_` is one to one.
fn id(prefix: &str, name: &str) -> String {
    format!("{prefix}_{}", name.replace(['-', '.'], "_"))
}

fn mermaid(model: &Model) -> String {
    let mut out = String::from("flowchart LR\n");
    let ns = &model.namespace;
    let brokers = model.brokers();
    out += "  outside([\"clients outside the cluster\"])\n";
    out += "  inside([\"clients in the cluster\"])\n";
    out += &format!("  subgraph {}[\"namespace {ns}\"]\n", id("ns", ns));
    let mut edges = Vec::new();
    for c in &model.components {
        if let Some(name) = &c.client_service {
            let svc = id("svc", name);
            out += &format!(
                "    {svc}[\"Service {name}<br/>ClusterIP {}\"]\n",
                ports(&c.client_ports())
            );
            if c.role.is_broker() {
                edges.push(format!("  inside --> {svc}"));
            }
            for pod in &c.pods {
                edges.push(format!("  {svc} --> {}", id("pod", &pod.name)));
            }
        }
        let headless = id("svc", &c.headless);
        out += &format!(
            "    {headless}[\"Service {}<br/>headless {}\"]\n",
            c.headless,
            ports(&c.headless_ports())
        );
        for pod in &c.pods {
            let p = id("pod", &pod.name);
            out += &format!("    {p}[\"{}<br/>{} {}\"]\n", pod.name, c.role, pod.id);
            edges.push(format!("  {headless} -.- {p}"));
            let size = &c.storage.size;
            let v = match c.claim_of(pod) {
                None => {
                    let v = id("vol", &pod.name);
                    out += &format!("    {v}[(\"emptyDir<br/>up to {size}\")]\n");
                    v
                }
                Some(claim) => {
                    let v = id("pvc", &claim);
                    let class = c.storage.class.as_deref().unwrap_or("default class");
                    out += &format!("    {v}[(\"{claim}<br/>{size}, {class}\")]\n");
                    v
                }
            };
            edges.push(format!("  {p} --- {v}"));
        }
    }
    if let Some(ext) = &model.external {
        let services = std::iter::once((&ext.bootstrap, None))
            .chain(ext.brokers.iter().zip(brokers.pods.iter().map(Some)));
        for (svc, pod) in services {
            let s = id("svc", &svc.name);
            let port = match svc.node_port {
                Some(n) => format!("node port {n}"),
                None => format!("port {}", svc.port),
            };
            out += &format!(
                "    {s}{{{{\"{} {}<br/>{port}\"}}}}\n",
                ext.service_type, svc.name
            );
            edges.push(format!("  outside --> {s}"));
            match pod {
                Some(p) => edges.push(format!("  {s} --> {}", id("pod", &p.name))),
                None => {
                    for p in &brokers.pods {
                        edges.push(format!("  {s} --> {}", id("pod", &p.name)));
                    }
                }
            }
        }
    }
    // Brokers reach the metadata store through its Services.
    if let Some(store) = model.metadata_store() {
        let target = store.client_service.as_ref().unwrap_or(&store.headless);
        let label = if store.role == Role::ZooKeeper {
            "metadata"
        } else {
            "quorum"
        };
        for p in &brokers.pods {
            edges.push(format!(
                "  {} -->|{label}| {}",
                id("pod", &p.name),
                id("svc", target)
            ));
        }
    }
    out += "  end\n";
    for e in edges {
        out += &e;
        out += "\n";
    }
    out
}
