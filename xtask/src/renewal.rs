//! Certificate renewal (`--renewal`): cert-manager (or the user) issues
//! the brokers' certificate again (the harness, as at boot), the kubelet
//! puts the new Secret into the running pods, and the next run of the
//! reload CronJob, made as its schedule would make it, must exit 0 and
//! make every broker present the new certificate on every TLS listener,
//! where the old one was presented until then, without a restart.
//!
//! With TLS on the KRaft quorum, a restart is the only way to a renewed
//! quorum certificate, and the render says which nodes restart, and in
//! which order (the `quorum-restart` settings file). Then the renewal runs under the
//! continuous clients of `--apply`, and each node listed must restart
//! once, by itself, never two nodes unready at once, and the quorum's
//! listener must present the new certificate.

use crate::checks::{kafka_nodes, listeners};
use crate::client::Client;
use crate::network::OUTSIDE_NETNS;
use crate::objects;
use crate::session::Session;
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use kafkagen::model::QUORUM_RESTART_FILE as ORDER_FILE;

/// How long the ordered restart may take, every node included.
const RESTARTS_TIMEOUT: Duration = Duration::from_secs(1200);

/// One TLS listener of one broker, where the harness shakes hands with it.
struct Endpoint {
    pod: String,
    listener: String,
    host: String,
    port: u16,
    netns: String,
}

impl Endpoint {
    fn what(&self) -> String {
        format!(
            "{} {} ({}:{})",
            self.pod, self.listener, self.host, self.port
        )
    }
}

/// Renews the brokers' certificate under the running brokers; `netns` is
/// the network namespace of the in-cluster client `inside`.
pub fn run(s: &mut Session, netns: &str, inside: &mut Client, bootstrap: &str) -> Result<()> {
    // kafkagen's reload CronJob (`<name>-tls-reload`).
    let Some(reload) = s
        .cluster
        .objects
        .cron_jobs
        .iter()
        .find(|c| {
            c.metadata
                .name
                .as_deref()
                .is_some_and(|n| n.ends_with("-tls-reload"))
        })
        .cloned()
    else {
        s.report
            .fail("renewal: no CronJob makes the brokers reread a renewed certificate");
        return Ok(());
    };
    let Some((secret, ca)) = broker_certificate(s) else {
        s.report
            .fail("renewal: the brokers mount no certificate the harness issued");
        return Ok(());
    };
    let endpoints = endpoints(s, netns);
    if endpoints.is_empty() {
        s.report.fail(
            "renewal: no broker advertises a TLS listener, but the brokers mount a certificate",
        );
        return Ok(());
    }
    let starts_before = broker_starts(s);
    let old = serial_of(&s.issued[&secret].file("tls.crt"))?;
    presented(s, &endpoints, &ca, &secret, &old, "before the renewal");
    let order = restart_order(s);
    let quorum = quorum_endpoints(s, netns);
    if order.is_some() {
        presented(
            s,
            &quorum,
            &ca,
            &secret,
            &old,
            "before the renewal, on the quorum",
        );
        let what = "renewal";
        if !crate::apply::load_start(s, inside, bootstrap, what, "kafkagen-renewal", "renewal")? {
            return Ok(());
        }
    }

    // cert-manager renews: a new key and certificate in the same Secret.
    let work = s.cluster.work.clone();
    crate::tls::reissue(&mut s.cluster.objects, &work, &mut s.issued, &secret)?;
    let new = serial_of(&s.issued[&secret].file("tls.crt"))?;
    if new == old {
        bail!("the reissued certificate {secret} kept serial {old}");
    }
    let refreshed = s.cluster.refresh("Secret", &secret)?;
    let renewed = Instant::now();
    s.report.pass(format!(
        "renewal: {secret} issued again (serial {new}); the kubelet put it into {} running pods",
        refreshed.len()
    ));
    // Brokers do not reread it by themselves.
    presented(
        s,
        &endpoints,
        &ca,
        &secret,
        &old,
        "after the renewal, before the reload",
    );

    // The nodes restart for the quorum first (the reload's next run finds
    // them restarted).
    if let Some(order) = &order {
        ordered_restarts(
            s,
            inside,
            order,
            &starts_before,
            renewed,
            &quorum,
            &ca,
            &secret,
            &new,
        )?;
    }
    let name = reload.metadata.name.clone().unwrap_or_default();
    let pod = start(s, &reload, 1)?;
    crate::jobs::job_run(s, &name, &pod, "its run after the renewal (CronJob)")?;
    presented(s, &endpoints, &ca, &secret, &new, "after the reload");
    left_behind(s, &reload, inside, bootstrap);
    if order.is_some() {
        return Ok(());
    }
    let restarts: Vec<String> = broker_starts(s)
        .into_iter()
        .filter(|(c, n)| starts_before.get(c) != Some(n))
        .map(|(c, _)| c)
        .collect();
    s.report.check(
        restarts.is_empty(),
        format!(
            "renewal: no broker restarted to present it{}",
            if restarts.is_empty() {
                String::new()
            } else {
                format!(" (restarted: {})", restarts.join(", "))
            }
        ),
    );
    Ok(())
}

/// After the reload, no broker's dynamic configuration may keep a setting
/// the CronJob made (`KEYS`, on every broker of `NODE_IDS`): it would
/// silently override what later manifests say.
fn left_behind(
    s: &mut Session,
    reload: &k8s_openapi::api::batch::v1::CronJob,
    inside: &mut Client,
    bootstrap: &str,
) {
    // Its environment as the Jobs it makes have it.
    let job = objects::cron_job_run(reload, 1).ok();
    let env = |name: &str| job.as_ref().and_then(|j| objects::job_env(j, name));
    let (Some(ids), Some(keys)) = (env("NODE_IDS"), env("KEYS")) else {
        s.report.fail(
            "renewal: the reload CronJob names no NODE_IDS and KEYS, so what it leaves behind cannot be read",
        );
        return;
    };
    let keys: Vec<&str> = keys.split(',').collect();
    let mut kept = Vec::new();
    for id in ids.split_whitespace() {
        match inside.call(&format!("dynamic {bootstrap} {id}")) {
            Ok(a) => {
                let left: Vec<&str> = crate::client::field(&a, "dynamic")
                    .unwrap_or("none")
                    .split(',')
                    .filter(|k| keys.contains(k))
                    .collect();
                if !left.is_empty() {
                    kept.push(format!("broker {id} keeps {}", left.join(", ")));
                }
            }
            Err(e) => kept.push(format!("broker {id} did not say ({e})")),
        }
    }
    s.report.check(
        kept.is_empty(),
        if kept.is_empty() {
            format!(
                "renewal: after the reload, no broker keeps a setting of the CronJob in its dynamic configuration (brokers {} asked)",
                ids.split_whitespace().collect::<Vec<_>>().join(", ")
            )
        } else {
            format!(
                "renewal: after the reload, a setting of the CronJob stays in the brokers' dynamic configuration and overrides the manifests: {}",
                kept.join("; ")
            )
        },
    );
}

/// The pods the render restarts for a renewed quorum certificate, in
/// order, each with whether it restarts (`None` without TLS on the quorum,
/// or without metrics, where nothing restarts by itself).
fn restart_order(s: &Session) -> Option<Vec<(String, bool)>> {
    let text = s
        .cluster
        .objects
        .config_maps
        .iter()
        .find_map(|c| c.data.as_ref()?.get(ORDER_FILE).cloned())?;
    Some(
        text.lines()
            .filter_map(|l| {
                let mut words = l.split_whitespace();
                let host = words.next()?;
                let pod = host.split('.').next()?.to_string();
                Some((pod, words.nth(1) == Some("restarts")))
            })
            .collect(),
    )
}

/// After the renewal under the continuous clients: waits until every node
/// that restarts has, then checks that each did once, by itself, never
/// two nodes unready at once, that nothing was lost,
/// and that the quorum's listener presents the new certificate.
#[allow(clippy::too_many_arguments)]
fn ordered_restarts(
    s: &mut Session,
    inside: &mut Client,
    order: &[(String, bool)],
    starts_before: &BTreeMap<String, u32>,
    renewed: Instant,
    quorum: &[Endpoint],
    ca: &Path,
    secret: &str,
    serial: &str,
) -> Result<()> {
    let what = "renewal";
    let restarting: Vec<&str> = order
        .iter()
        .filter(|(_, r)| *r)
        .map(|(p, _)| p.as_str())
        .collect();
    let nodes: Vec<String> = order.iter().map(|(p, _)| p.clone()).collect();
    let restarted = |s: &Session, pod: &str| {
        broker_starts(s)
            .iter()
            .filter(|(c, _)| c.split('/').next() == Some(pod))
            .any(|(c, n)| starts_before.get(c).is_some_and(|b| n > b))
    };
    let mut first_restart: BTreeMap<String, Duration> = BTreeMap::new();
    let mut most_unready = 0;
    let mut unready_at_once = Vec::new();
    let deadline = renewed + RESTARTS_TIMEOUT;
    loop {
        s.tick()?;
        let unready: Vec<&String> = nodes
            .iter()
            .filter(|p| !s.cluster.kubelet.ready(p))
            .collect();
        if unready.len() > most_unready {
            most_unready = unready.len();
            unready_at_once = unready.iter().map(|p| p.to_string()).collect();
        }
        for pod in &nodes {
            if !first_restart.contains_key(pod) && restarted(s, pod) {
                eprintln!(
                    "  {what}: {pod} restarted ({:.0} s after the renewal)",
                    renewed.elapsed().as_secs_f64()
                );
                first_restart.insert(pod.clone(), renewed.elapsed());
            }
        }
        let done = restarting.iter().all(|p| first_restart.contains_key(*p)) && unready.is_empty();
        if done || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let took = renewed.elapsed();
    s.wait(Duration::from_secs(5))?;
    let load = inside.call("load-stop");
    let brokers = kafka_nodes(&s.cluster).iter().filter(|n| n.broker).count() as u32;
    crate::apply::load_checks(s, what, load, brokers, took);

    let missing: Vec<&str> = restarting
        .iter()
        .filter(|p| !first_restart.contains_key(**p))
        .copied()
        .collect();
    let unexpected: Vec<&String> = first_restart
        .keys()
        .filter(|p| !restarting.contains(&p.as_str()))
        .collect();
    let twice: Vec<String> = broker_starts(s)
        .into_iter()
        .filter(|(c, n)| starts_before.get(c).is_some_and(|b| *n > b + 1))
        .map(|(c, n)| format!("{c} ({} starts)", n - starts_before[&c]))
        .collect();
    s.report.check(
        missing.is_empty() && unexpected.is_empty() && twice.is_empty(),
        format!(
            "{what}: each node the render restarts for a renewed quorum certificate restarted once, by itself, within {} s ({} of {}{}{}{})",
            RESTARTS_TIMEOUT.as_secs(),
            restarting.len() - missing.len(),
            restarting.len(),
            if missing.is_empty() { String::new() } else { format!("; never restarted: {}", missing.join(", ")) },
            if unexpected.is_empty() { String::new() } else { format!("; restarted though it stays: {unexpected:?}") },
            if twice.is_empty() { String::new() } else { format!("; more than once: {}", twice.join(", ")) },
        ),
    );
    let mut by_time: Vec<(&Duration, &String)> =
        first_restart.iter().map(|(p, t)| (t, p)).collect();
    by_time.sort();
    println!(
        "note: {what}: restarts, after the renewal: {}",
        by_time
            .iter()
            .map(|(t, p)| format!("{p} at {:.0} s", t.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    s.report.check(
        most_unready <= 1,
        format!(
            "{what}: never two KRaft nodes unready at once (at most {most_unready}{})",
            if most_unready > 1 {
                format!(": {}", unready_at_once.join(", "))
            } else {
                String::new()
            }
        ),
    );
    presented(
        s,
        quorum,
        ca,
        secret,
        serial,
        "after the ordered restart, on the quorum",
    );
    println!(
        "figures {what}: ordered restart of {} nodes in {:.0} s",
        restarting.len(),
        took.as_secs_f64()
    );
    Ok(())
}

/// Every controller's quorum listener (the first of
/// `controller.listener.names`), reached at its pod's DNS name from the
/// in-cluster client's namespace (`reach_from`).
fn quorum_endpoints(s: &Session, netns: &str) -> Vec<Endpoint> {
    let mut out = Vec::new();
    for n in kafka_nodes(&s.cluster).iter().filter(|n| n.controller) {
        let Some(name) = n
            .props
            .get("controller.listener.names")
            .and_then(|l| l.split(',').next())
        else {
            continue;
        };
        let Some(port) = n.props.get("listeners").and_then(|l| {
            listeners(l)
                .into_iter()
                .find(|(listener, ..)| listener == name)
                .map(|(.., port)| port)
        }) else {
            continue;
        };
        out.push(Endpoint {
            pod: n.pod.def.name.clone(),
            listener: name.to_string(),
            host: s.cluster.pod_dns(&n.pod.def),
            port,
            netns: reach_from(s, netns, n.pod, port),
        });
    }
    out
}

/// Where a listener of `pod` at `port` is reached from inside the
/// cluster: the in-cluster client's namespace `inside`, or the pod's own
/// where the NetworkPolicies keep that client out (REPLICATION, the
/// quorum's listener).
fn reach_from(s: &Session, inside: &str, pod: &crate::pods::Pod, port: u16) -> String {
    if s.cluster.admitted(inside, pod.ip, port) == Some(false) {
        pod.netns.clone()
    } else {
        inside.to_string()
    }
}

/// How many times each Kafka container has started, by `pod/container`.
fn broker_starts(s: &Session) -> BTreeMap<String, u32> {
    kafka_nodes(&s.cluster)
        .iter()
        .flat_map(|n| {
            n.pod
                .containers
                .iter()
                .map(move |c| (format!("{}/{}", n.pod.def.name, c.name()), c.starts))
        })
        .collect()
}

/// Starts the pod of the Job a CronJob makes for run `run`; its name.
fn start(s: &mut Session, cron: &k8s_openapi::api::batch::v1::CronJob, run: u32) -> Result<String> {
    let pod = objects::job_pod(&objects::cron_job_run(cron, run)?, 0)?;
    let name = pod.name.clone();
    s.cluster.create_pod(pod)?;
    Ok(name)
}

/// The Secret of the certificate the brokers present (one the harness
/// issued for servers, mounted by a broker pod), and its CA file.
fn broker_certificate(s: &Session) -> Option<(String, std::path::PathBuf)> {
    let nodes = kafka_nodes(&s.cluster);
    let pod = nodes.iter().find(|n| n.broker)?.pod;
    pod.def
        .spec
        .volumes
        .iter()
        .flatten()
        .filter_map(|v| v.secret.as_ref()?.secret_name.clone())
        .find(|name| s.issued.get(name).is_some_and(|i| !i.client_only))
        .map(|name| {
            let ca = s.issued[&name].file("ca.crt");
            (name, ca)
        })
}

/// Every broker's advertised TLS listeners: EXTERNAL from outside the
/// cluster, the others from the in-cluster client's namespace
/// (`reach_from`).
fn endpoints(s: &Session, inside: &str) -> Vec<Endpoint> {
    let mut out = Vec::new();
    for n in kafka_nodes(&s.cluster).iter().filter(|n| n.broker) {
        let advertised = n
            .props
            .get("advertised.listeners")
            .map(String::as_str)
            .unwrap_or("");
        for (listener, host, port) in listeners(advertised) {
            if !crate::security::demands(&s.cluster, &listener).is_some_and(|d| d.tls) {
                continue;
            }
            let netns = if listener == kafkagen::model::EXTERNAL.name {
                OUTSIDE_NETNS.to_string()
            } else {
                reach_from(s, inside, n.pod, port)
            };
            out.push(Endpoint {
                pod: n.pod.def.name.clone(),
                listener,
                host,
                port,
                netns,
            });
        }
    }
    out
}

/// Checks that every endpoint presents the certificate with `serial`, and
/// that the handshake verifies the host name against it.
fn presented(
    s: &mut Session,
    endpoints: &[Endpoint],
    ca: &Path,
    secret: &str,
    serial: &str,
    when: &str,
) {
    // The brokers' own certificate, for listeners that demand one.
    let keystore = s.issued[secret].file("tls-combined.pem");
    let mut wrong = Vec::new();
    for e in endpoints {
        match handshake(e, ca, &keystore) {
            Ok(got) if got == serial => {}
            Ok(got) => wrong.push(format!("{} presents serial {got}", e.what())),
            Err(err) => wrong.push(format!("{}: {err:#}", e.what())),
        }
    }
    s.report.check(
        wrong.is_empty(),
        if wrong.is_empty() {
            format!(
                "renewal: {when}, all {} TLS listeners present serial {serial}, and their host names verify",
                endpoints.len()
            )
        } else {
            format!(
                "renewal: {when}, not every listener presents serial {serial}: {}",
                wrong.join("; ")
            )
        },
    );
}

/// A TLS handshake with `e` that verifies the chain and the host name;
/// the serial of the certificate it presented.
fn handshake(e: &Endpoint, ca: &Path, keystore: &Path) -> Result<String> {
    let script = r#"openssl s_client -connect "$1:$2" -servername "$1" -verify_hostname "$1" \
  -verify_return_error -CAfile "$3" -cert "$4" -key "$4" < /dev/null 2> /dev/null \
  | openssl x509 -noout -serial"#;
    let out = Command::new("ip")
        .args([
            "netns", "exec", &e.netns, "timeout", "30", "sh", "-c", script, "sh",
        ])
        .arg(&e.host)
        .arg(e.port.to_string())
        .arg(ca)
        .arg(keystore)
        .output()
        .context("cannot run openssl s_client")?;
    let text = String::from_utf8_lossy(&out.stdout);
    match text.trim().strip_prefix("serial=") {
        Some(serial) if out.status.success() => Ok(serial.to_string()),
        _ => bail!("no verified handshake"),
    }
}

/// A certificate file's serial, as `openssl x509 -serial` prints it.
fn serial_of(cert: &Path) -> Result<String> {
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-serial", "-in"])
        .arg(cert)
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .strip_prefix("serial=")
        .map(str::to_string)
        .with_context(|| format!("no serial in {}", cert.display()))
}
