//! TLS and SASL: every TLS listener's advertised host is in the
//! certificate the broker presents, every SASL listener can log clients
//! in, the inter-broker listener's credentials exist, every Job speaks
//! the protocol of the listener it talks to, and with an authorizer the
//! principals brokers, controllers and Jobs speak as are super users.

use super::context::{Ctx, Pod, parse_listener};
use super::{Finding, found};
use crate::check::custom::Certificate;
use crate::check::rules::context::object_id;
use crate::model::security;
use k8s_openapi::api::core::v1::{Container, PodSpec};
use std::collections::BTreeMap;

/// A pod's Kafka listeners: name -> security protocol.
fn protocols(pod: &Pod) -> BTreeMap<String, String> {
    pod.env
        .get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP")
        .map(|m| {
            m.split(',')
                .filter_map(|e| e.split_once(':'))
                .map(|(n, p)| (n.to_string(), p.to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn is_tls(protocol: &str) -> bool {
    protocol.ends_with("SSL")
}

/// The Secret mounted in `container` at the directory of `file`, and the
/// file's key in it.
fn secret_of(spec: &PodSpec, container: &Container, file: &str) -> Option<(String, String)> {
    let (dir, key) = file.rsplit_once('/')?;
    let mount = container
        .volume_mounts
        .iter()
        .flatten()
        .find(|m| m.mount_path.trim_end_matches('/') == dir)?;
    let volume = spec
        .volumes
        .iter()
        .flatten()
        .find(|v| v.name == mount.name)?;
    let secret = volume.secret.as_ref()?;
    // With `items`, the file is an item's path.
    let key = match &secret.items {
        Some(items) => items.iter().find(|i| i.path == key)?.key.clone(),
        None => key.to_string(),
    };
    Some((secret.secret_name.clone()?, key))
}

/// What the render says each certificate Secret holds, by Secret: its
/// Certificates, and, for a Secret of the user's own, the annotations of
/// the workloads that mount it (`kafkagen.io/certificate-*`), read as a
/// Certificate for server and client auth (for client auth only without
/// names).
fn certificates(cx: &Ctx) -> BTreeMap<String, Certificate> {
    let mut out = BTreeMap::new();
    for m in cx.manifests {
        if m.kind == "Certificate" {
            if let Ok(c) = serde_json::from_value::<Certificate>(m.value.clone()) {
                out.insert(c.spec.secret_name.clone(), c);
            }
            continue;
        }
        if let Some(c) = Certificate::stated(&m.value["metadata"]["annotations"]) {
            out.entry(c.spec.secret_name.clone()).or_insert(c);
        }
    }
    out
}

/// The object that says what `cert` holds: its Certificate, or the
/// first workload whose annotations describe the user's Secret.
fn certificate_id(cx: &Ctx, cert: &Certificate) -> String {
    let secret = cert.spec.secret_name.as_str();
    cx.manifests
        .iter()
        .find(|m| {
            (m.kind == "Certificate" && m.value["spec"]["secretName"] == secret)
                || m.value["metadata"]["annotations"][security::CERT_SECRET_ANNOTATION] == secret
        })
        .map(object_id)
        .unwrap_or_else(|| format!("Certificate/{secret}"))
}

/// Whether a certificate name (possibly `*.` one label) matches `host`.
fn names(pattern: &str, host: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(rest) => host
            .split_once('.')
            .is_some_and(|(first, tail)| !first.is_empty() && tail == rest),
        None => pattern == host,
    }
}

/// The certificate a broker presents, from its keystore setting.
fn keystore<'c>(
    pod: &Pod,
    certs: &'c BTreeMap<String, Certificate>,
) -> Result<Option<&'c Certificate>, String> {
    let Some(location) = pod.env.get("KAFKA_SSL_KEYSTORE_LOCATION") else {
        return Ok(None);
    };
    let main = &pod.spec.containers[0];
    let Some((secret, _)) = secret_of(pod.spec, main, location) else {
        return Err(format!(
            "its keystore {location} is not in a mounted Secret"
        ));
    };
    certs.get(&secret).map(Some).ok_or_else(|| {
        format!("its keystore Secret `{secret}` is filled by no rendered Certificate, and no workload's annotations say what it holds")
    })
}

pub fn tls_names(cx: &Ctx) -> Vec<Finding> {
    let certs = certificates(cx);
    let mut out = Vec::new();
    for pod in &cx.pods {
        let protocols = protocols(pod);
        let Some(advertised) = pod.env.get("KAFKA_ADVERTISED_LISTENERS") else {
            continue;
        };
        let tls: Vec<(&str, &str)> = advertised
            .split(',')
            .filter_map(parse_listener)
            .filter(|(name, ..)| protocols.get(*name).is_some_and(|p| is_tls(p)))
            .map(|(name, host, _)| (name, host))
            .collect();
        if tls.is_empty() {
            continue;
        }
        let who = format!("broker `{}`", pod.name);
        let cert = match keystore(pod, &certs) {
            Ok(Some(c)) => c,
            Ok(None) => {
                out.push(found(
                    vec![pod.id()],
                    format!("{who} has TLS listeners but no KAFKA_SSL_KEYSTORE_LOCATION"),
                ));
                continue;
            }
            Err(e) => {
                out.push(found(vec![pod.id()], format!("{who}: {e}")));
                continue;
            }
        };
        let sans: Vec<&String> = cert
            .spec
            .dns_names
            .iter()
            .flatten()
            .chain(cert.spec.ip_addresses.iter().flatten())
            .collect();
        for (listener, host) in tls {
            if !sans.iter().any(|s| names(s, host)) {
                out.push(found(
                    vec![pod.id(), certificate_id(cx, cert)],
                    format!(
                        "{who} advertises {listener} at {host}, which its certificate `{}` does not name",
                        cert.spec.secret_name
                    ),
                ));
            }
        }
    }
    out
}

pub fn sasl_login(cx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    for pod in &cx.pods {
        for (listener, protocol) in protocols(pod) {
            if !protocol.starts_with("SASL_") {
                continue;
            }
            let prefix = format!("KAFKA_LISTENER_NAME_{}", listener.to_uppercase());
            let Some(mechanisms) = pod.env.get(&format!("{prefix}_SASL_ENABLED_MECHANISMS")) else {
                out.push(found(
                    vec![pod.id()],
                    format!(
                        "`{}`: SASL listener {listener} has no {prefix}_SASL_ENABLED_MECHANISMS",
                        pod.name
                    ),
                ));
                continue;
            };
            for mechanism in mechanisms.split(',') {
                let jaas = format!(
                    "{prefix}_{}_SASL_JAAS_CONFIG",
                    mechanism.trim().replace('-', "___")
                );
                if !pod.env.contains_key(&jaas) {
                    out.push(found(
                        vec![pod.id()],
                        format!(
                            "`{}`: SASL listener {listener} enables {mechanism} but has no {jaas}",
                            pod.name
                        ),
                    ));
                }
            }
        }
    }
    out
}

pub fn inter_broker_credentials(cx: &Ctx) -> Vec<Finding> {
    let certs = certificates(cx);
    let mut out = Vec::new();
    for pod in &cx.pods {
        let Some(name) = pod.env.get("KAFKA_INTER_BROKER_LISTENER_NAME") else {
            continue;
        };
        let protocols = protocols(pod);
        let Some(protocol) = protocols.get(name) else {
            continue;
        };
        let who = format!("broker `{}`", pod.name);
        if protocol.starts_with("SASL_") {
            out.push(found(
                vec![pod.id()],
                format!("{who}: inter-broker listener {name} is {protocol}, but brokers have no SASL credential of their own"),
            ));
            continue;
        }
        if !is_tls(protocol) {
            continue;
        }
        if !pod.env.contains_key("KAFKA_SSL_TRUSTSTORE_LOCATION") {
            out.push(found(
                vec![pod.id()],
                format!("{who}: inter-broker listener {name} is {protocol}, but brokers trust no CA (KAFKA_SSL_TRUSTSTORE_LOCATION)"),
            ));
        }
        let client_auth = pod
            .env
            .get(&format!(
                "KAFKA_LISTENER_NAME_{}_SSL_CLIENT_AUTH",
                name.to_uppercase()
            ))
            .is_some_and(|v| v == "required");
        match keystore(pod, &certs) {
            Ok(Some(cert)) => {
                let usages = cert.spec.usages.clone().unwrap_or_default();
                if client_auth && !usages.iter().any(|u| u == "client auth") {
                    out.push(found(
                        vec![pod.id()],
                        format!("{who}: inter-broker listener {name} requires client certificates, but the brokers' certificate `{}` is not for client auth", cert.spec.secret_name),
                    ));
                }
            }
            Ok(None) => out.push(found(
                vec![pod.id()],
                format!("{who}: inter-broker listener {name} is {protocol}, but brokers have no keystore"),
            )),
            Err(e) => out.push(found(vec![pod.id()], format!("{who}: {e}"))),
        }
    }
    out
}

/// A Job container (or a CronJob's) that is a Kafka client: its pod
/// spec, and its environment and `CLIENT_PROPERTIES` as maps.
struct JobClient<'a> {
    /// `Job/<name>` or `CronJob/<name>`.
    id: String,
    /// "Job `<name>`" or "CronJob `<name>`".
    who: String,
    spec: &'a PodSpec,
    container: &'a Container,
    env: BTreeMap<&'a str, &'a str>,
    props: BTreeMap<&'a str, &'a str>,
    /// What its own annotations say a certificate Secret of the user's own
    /// holds: for its keystore, this wins over what other workloads say.
    stated: Option<Certificate>,
}

fn job_clients_of<'a>(cx: &'a Ctx) -> Vec<JobClient<'a>> {
    let mut out = Vec::new();
    for m in cx.manifests {
        let Some(spec) = m.job_spec().and_then(|s| s.template.spec.as_ref()) else {
            continue;
        };
        for c in &spec.containers {
            let env: BTreeMap<&str, &str> = c
                .env
                .iter()
                .flatten()
                .filter_map(|e| Some((e.name.as_str(), e.value.as_deref()?)))
                .collect();
            let Some(props) = env.get("CLIENT_PROPERTIES") else {
                continue;
            };
            let props = props.lines().filter_map(|l| l.split_once('=')).collect();
            out.push(JobClient {
                id: object_id(m),
                who: format!("{} `{}`", m.kind, m.name),
                spec,
                container: c,
                env,
                props,
                stated: Certificate::stated(&m.value["metadata"]["annotations"]),
            });
        }
    }
    out
}

pub fn job_clients(cx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    // The brokers' protocol per port.
    let mut by_port: BTreeMap<i32, String> = BTreeMap::new();
    for pod in &cx.pods {
        let protocols = protocols(pod);
        for entry in pod
            .env
            .get("KAFKA_LISTENERS")
            .map(|l| l.split(',').filter_map(parse_listener).collect::<Vec<_>>())
            .unwrap_or_default()
        {
            if let Some(p) = protocols.get(entry.0) {
                by_port.insert(entry.2, p.clone());
            }
        }
    }
    for j in job_clients_of(cx) {
        let Some(bootstrap) = j.env.get("BOOTSTRAP") else {
            continue;
        };
        let who = &j.who;
        let port = bootstrap.rsplit_once(':').and_then(|(_, p)| p.parse().ok());
        let Some(listener) = port.and_then(|p| by_port.get(&p)) else {
            continue;
        };
        let protocol = j
            .props
            .get("security.protocol")
            .copied()
            .unwrap_or("PLAINTEXT");
        if protocol != listener {
            out.push(found(
                vec![j.id.clone()],
                format!(
                    "{who} connects to {bootstrap} with {protocol}, but that listener is {listener}"
                ),
            ));
            continue;
        }
        if is_tls(protocol) {
            let trusted = j
                .props
                .get("ssl.truststore.location")
                .and_then(|f| secret_of(j.spec, j.container, f))
                .is_some_and(|(_, key)| key == "ca.crt");
            if !trusted {
                out.push(found(
                    vec![j.id.clone()],
                    format!("{who} connects with {protocol}, but its truststore is not a CA (`ca.crt`) from a mounted Secret"),
                ));
            }
        }
    }
    out
}

/// The principal a client with `cert` is on a pod with these mapping
/// rules: kafkagen's rule maps a subject of only `CN=<name>` to `<name>`;
/// Kafka's default keeps the whole subject.
fn cert_principal(cert: &Certificate, rules: Option<&str>) -> String {
    let cn = cert.spec.common_name.clone().unwrap_or_default();
    // Kubernetes turns `$$` in an env value into `$`.
    if rules.is_some_and(|r| r.replace("$$", "$").starts_with("RULE:^CN=([^,]+)$/$1/")) {
        format!("User:{cn}")
    } else {
        format!("User:CN={cn}")
    }
}

/// With an authorizer, whom brokers and controllers reach each other as
/// (the inter-broker and controller listeners), and whom every Job logs
/// in as, must be a super user: the authorizer refuses them otherwise.
pub fn super_users(cx: &Ctx) -> Vec<Finding> {
    let certs = certificates(cx);
    let mut out = Vec::new();
    let mut any_authorizer = None;
    for pod in &cx.pods {
        if !pod.env.contains_key("KAFKA_AUTHORIZER_CLASS_NAME") {
            continue;
        }
        let supers: Vec<&str> = pod
            .env
            .get("KAFKA_SUPER_USERS")
            .map(|s| s.split(';').map(str::trim).collect())
            .unwrap_or_default();
        any_authorizer.get_or_insert((
            supers.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            pod.env.get("KAFKA_SSL_PRINCIPAL_MAPPING_RULES").cloned(),
        ));
        let protocols = protocols(pod);
        let mut inter: Vec<&str> = pod
            .env
            .get("KAFKA_INTER_BROKER_LISTENER_NAME")
            .into_iter()
            .map(String::as_str)
            .collect();
        inter.extend(
            pod.env
                .get("KAFKA_CONTROLLER_LISTENER_NAMES")
                .into_iter()
                .flat_map(|l| l.split(',')),
        );
        for name in inter {
            let protocol = protocols
                .get(name)
                .map(String::as_str)
                .unwrap_or("PLAINTEXT");
            let client_auth = pod
                .env
                .get(&format!(
                    "KAFKA_LISTENER_NAME_{}_SSL_CLIENT_AUTH",
                    name.to_uppercase()
                ))
                .is_some_and(|v| v == "required");
            let principal = if is_tls(protocol) && !protocol.starts_with("SASL_") && client_auth {
                match keystore(pod, &certs) {
                    Ok(Some(cert)) => cert_principal(
                        cert,
                        pod.env
                            .get("KAFKA_SSL_PRINCIPAL_MAPPING_RULES")
                            .map(String::as_str),
                    ),
                    _ => continue, // inter-broker-credentials says why
                }
            } else {
                "User:ANONYMOUS".to_string()
            };
            if !supers.contains(&principal.as_str()) {
                out.push(found(
                    vec![pod.id()],
                    format!(
                        "`{}` has an authorizer, but reaches other nodes on {name} ({protocol}) as {principal}, which is not among its super users ({})",
                        pod.name,
                        supers.join(";")
                    ),
                ));
            }
        }
    }
    let Some((supers, rules)) = any_authorizer else {
        return out;
    };
    for j in job_clients_of(cx) {
        let job = j.id.clone();
        let principal = match j.props.get("ssl.keystore.location") {
            Some(file) => {
                let secret = secret_of(j.spec, j.container, file).map(|(s, _)| s);
                let own = j
                    .stated
                    .as_ref()
                    .filter(|c| secret.as_ref() == Some(&c.spec.secret_name));
                match own.or_else(|| secret.and_then(|s| certs.get(&s))) {
                    Some(cert) => cert_principal(cert, rules.as_deref()),
                    None => {
                        out.push(found(
                        vec![job],
                        format!("{}: its keystore {file} is in no Secret a rendered Certificate fills or a workload's annotations describe", j.who),
                    ));
                        continue;
                    }
                }
            }
            None => "User:ANONYMOUS".to_string(),
        };
        if !supers.contains(&principal) {
            out.push(found(
                vec![job],
                format!(
                    "{} logs in as {principal}, which is not among the brokers' super users ({})",
                    j.who,
                    supers.join(";")
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::names;

    #[test]
    fn wildcards_name_one_label() {
        assert!(names("*.h.ns.svc", "p-0.h.ns.svc"));
        assert!(!names("*.h.ns.svc", "a.p-0.h.ns.svc"));
        assert!(!names("*.h.ns.svc", "h.ns.svc"));
        assert!(names("b0.example.com", "b0.example.com"));
    }
}
