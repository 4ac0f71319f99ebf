//! Certificate renewal without a restart (`--renewal`): cert-manager (or
//! the user) issues the brokers' certificate again (the harness, as at
//! boot), the kubelet puts the new Secret into the running pods, and the
//! next run of the reload CronJob, made as its schedule would make it,
//! must exit 0 and make every broker present the new certificate on every
//! TLS listener, where the old one was presented until then.

use crate::checks::{kafka_nodes, listeners};
use crate::network::OUTSIDE_NETNS;
use crate::objects;
use crate::session::Session;
use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::Command;

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

/// Renews the brokers' certificate under the running brokers; `inside` is
/// the network namespace of the in-cluster client.
pub fn run(s: &mut Session, inside: &str) -> Result<()> {
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
    let endpoints = endpoints(s, inside);
    if endpoints.is_empty() {
        s.report.fail(
            "renewal: no broker advertises a TLS listener, but the brokers mount a certificate",
        );
        return Ok(());
    }
    let starts_before = broker_starts(s);
    let old = serial_of(&s.issued[&secret].file("tls.crt"))?;
    presented(s, &endpoints, &ca, &secret, &old, "before the renewal");

    // cert-manager renews: a new key and certificate in the same Secret.
    let work = s.cluster.work.clone();
    crate::tls::reissue(&mut s.cluster.objects, &work, &mut s.issued, &secret)?;
    let new = serial_of(&s.issued[&secret].file("tls.crt"))?;
    if new == old {
        bail!("the reissued certificate {secret} kept serial {old}");
    }
    let refreshed = s.cluster.refresh("Secret", &secret)?;
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

    let name = reload.metadata.name.clone().unwrap_or_default();
    let pod = start(s, &reload, 1)?;
    crate::jobs::job_run(s, &name, &pod, "its run after the renewal (CronJob)")?;
    presented(s, &endpoints, &ca, &secret, &new, "after the reload");
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

/// How many times each Kafka container has started, by `pod/container`.
fn broker_starts(s: &Session) -> std::collections::BTreeMap<String, u32> {
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
/// cluster, the others from the in-cluster client's namespace.
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
                inside.to_string()
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
                "renewal: {when}, all {} TLS listeners of the brokers present serial {serial}, and their host names verify",
                endpoints.len()
            )
        } else {
            format!(
                "renewal: {when}, not every broker listener presents serial {serial}: {}",
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
