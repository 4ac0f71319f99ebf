//! TLS and authentication: the brokers' settings per listener, the
//! certificates cert-manager makes for them and for users, and what a
//! client of a listener needs (the topics and users Jobs, `describe`).
//!
//! Kafka reads PEM since 2.7, with keys in PKCS#8 only. cert-manager
//! writes `tls-combined.pem` (the key, then the certificate chain) when a
//! Certificate asks for the `CombinedPEM` output format, which Kafka takes
//! as a PEM keystore file, and `ca.crt`, its truststore. Listener names
//! never contain `SSL`, so the images' configure steps, which demand JKS
//! files and password files when an advertised listener says `SSL://`,
//! leave them alone.

use super::containers::{EnvVar, Mount, Volume, VolumeSource};
use super::listeners::Listener;
use super::names::Names;
use super::{Labels, labels, property_env};
use crate::validate::cluster::{Authentication, Cluster, Credential, IssuerKind};
use serde::Serialize;

/// Where brokers mount their certificate's Secret, and Jobs the CA.
pub const TLS_DIR: &str = "/opt/kafkagen/tls";
pub const TLS_VOLUME: &str = "tls";
/// cert-manager's Secret keys.
pub const CA_FILE: &str = "ca.crt";
pub const COMBINED_FILE: &str = "tls-combined.pem";
pub const SCRAM: &str = "SCRAM-SHA-512";
const SCRAM_LOGIN: &str = "org.apache.kafka.common.security.scram.ScramLoginModule";
/// A certificate whose subject is only `CN=<name>` is the principal
/// `User:<name>`; any other subject keeps its whole DN.
const PRINCIPAL_RULES: &str = "RULE:^CN=([^,]+)$/$1/,DEFAULT";

/// A cert-manager Issuer the render makes.
#[derive(Debug, Serialize)]
pub struct IssuerModel {
    pub name: String,
    pub labels: Labels,
    /// `None`: self-signed; `Some`: a CA issuer with the CA in this Secret.
    pub ca_secret: Option<String>,
}

/// A cert-manager Certificate.
#[derive(Debug, Serialize)]
pub struct CertificateModel {
    pub name: String,
    pub labels: Labels,
    pub secret: String,
    pub common_name: String,
    pub dns_names: Vec<String>,
    pub ip_addresses: Vec<String>,
    pub usages: Vec<String>,
    pub is_ca: bool,
    pub issuer_kind: String,
    pub issuer_name: String,
}

#[derive(Debug, Serialize)]
pub struct SecurityModel {
    pub issuers: Vec<IssuerModel>,
    pub certificates: Vec<CertificateModel>,
    /// The brokers' certificate Secret, when a listener uses TLS.
    pub broker_secret: Option<String>,
}

fn issuer_kind(k: IssuerKind) -> &'static str {
    match k {
        IssuerKind::Issuer => "Issuer",
        IssuerKind::ClusterIssuer => "ClusterIssuer",
    }
}

fn ca_name(names: &Names) -> String {
    format!("{}-ca", names.name)
}

pub fn broker_secret(names: &Names) -> String {
    format!("{}-tls", names.kafka())
}

pub fn user_secret(names: &Names, user: &str) -> String {
    format!("{}-user-{user}", names.name)
}

/// The issuers and certificates of a cluster with security on.
pub fn model(c: &Cluster, names: &Names, brokers: &[Listener]) -> Option<SecurityModel> {
    let s = c.security.as_ref()?;
    let cert_users: Vec<&str> = s
        .users
        .iter()
        .filter(|u| u.credential == Credential::Certificate)
        .map(|u| u.name.as_str())
        .collect();
    if !s.tls() && cert_users.is_empty() {
        return Some(SecurityModel {
            issuers: Vec::new(),
            certificates: Vec::new(),
            broker_secret: None,
        });
    }
    let mut issuers = Vec::new();
    let mut certificates = Vec::new();
    let cert_labels = labels("kafka", &c.name, "tls");
    let (kind, issuer) = match &s.issuer {
        Some((kind, name)) => (issuer_kind(*kind).to_string(), name.clone()),
        None => {
            // The cluster's own CA: a self-signed Issuer signs the CA
            // Certificate, and a CA Issuer signs with it.
            let selfsigned = format!("{}-selfsigned", names.name);
            let ca = ca_name(names);
            issuers.push(IssuerModel {
                labels: cert_labels.clone(),
                name: selfsigned.clone(),
                ca_secret: None,
            });
            certificates.push(CertificateModel {
                name: ca.clone(),
                labels: cert_labels.clone(),
                secret: ca.clone(),
                common_name: ca.clone(),
                dns_names: Vec::new(),
                ip_addresses: Vec::new(),
                usages: vec!["cert sign".into(), "crl sign".into()],
                is_ca: true,
                issuer_kind: "Issuer".into(),
                issuer_name: selfsigned,
            });
            issuers.push(IssuerModel {
                labels: cert_labels.clone(),
                name: ca.clone(),
                ca_secret: Some(ca.clone()),
            });
            ("Issuer".to_string(), ca)
        }
    };
    if s.tls() {
        let (dns_names, ip_addresses) = broker_names(names, brokers);
        certificates.push(CertificateModel {
            name: broker_secret(names),
            labels: cert_labels.clone(),
            secret: broker_secret(names),
            common_name: names.kafka(),
            dns_names,
            ip_addresses,
            // Client auth too: brokers present it to each other.
            usages: usages(&["server auth", "client auth"]),
            is_ca: false,
            issuer_kind: kind.clone(),
            issuer_name: issuer.clone(),
        });
    }
    for user in cert_users {
        certificates.push(CertificateModel {
            name: user_secret(names, user),
            labels: cert_labels.clone(),
            secret: user_secret(names, user),
            common_name: user.to_string(),
            dns_names: Vec::new(),
            ip_addresses: Vec::new(),
            usages: usages(&["client auth"]),
            is_ca: false,
            issuer_kind: kind.clone(),
            issuer_name: issuer.clone(),
        });
    }
    Some(SecurityModel {
        issuers,
        certificates,
        broker_secret: s.tls().then(|| broker_secret(names)),
    })
}

/// A leaf certificate's usages: signatures and key exchange, then `ext`.
fn usages(ext: &[&str]) -> Vec<String> {
    ["digital signature", "key encipherment"]
        .iter()
        .chain(ext)
        .map(|u| u.to_string())
        .collect()
}

/// Every name and address a broker is reached at on its TLS listeners:
/// any pod of the headless Service (one wildcard, so that adding brokers
/// does not change the certificate), the bootstrap Service in every form
/// a client may write, and each external host.
fn broker_names(names: &Names, brokers: &[Listener]) -> (Vec<String>, Vec<String>) {
    let mut dns = vec![format!(
        "*.{}",
        names
            .pod_dns("", &names.kafka_headless())
            .trim_start_matches('.')
    )];
    let service = names.kafka();
    let full = names.service_dns(&service);
    dns.push(service.clone());
    dns.push(format!("{service}.{}", names.namespace));
    dns.push(format!("{service}.{}.svc", names.namespace));
    dns.push(full);
    let mut ips = Vec::new();
    for l in brokers.iter().filter(|l| l.tls) {
        for host in l.hosts() {
            let list = if host.parse::<std::net::IpAddr>().is_ok() {
                &mut ips
            } else {
                &mut dns
            };
            if !list.contains(&host) {
                list.push(host);
            }
        }
    }
    (dns, ips)
}

/// The brokers' settings for TLS and authentication, per listener.
pub fn broker_env(listeners: &[Listener]) -> Vec<EnvVar> {
    broker_properties(listeners)
        .iter()
        .map(|(k, v)| EnvVar::value(&property_env(k), v))
        .collect()
}

/// The broker properties TLS and authentication set, per listener;
/// `kafka.config` may not set them too.
pub fn broker_properties(listeners: &[Listener]) -> Vec<(String, String)> {
    let mut props: Vec<(String, String)> = Vec::new();
    let mut set = |k: String, v: String| props.push((k, v));
    if listeners.iter().any(|l| l.tls) {
        set("ssl.keystore.type".into(), "PEM".into());
        set(
            "ssl.keystore.location".into(),
            format!("{TLS_DIR}/{COMBINED_FILE}"),
        );
        set("ssl.truststore.type".into(), "PEM".into());
        set(
            "ssl.truststore.location".into(),
            format!("{TLS_DIR}/{CA_FILE}"),
        );
        set("ssl.principal.mapping.rules".into(), PRINCIPAL_RULES.into());
    }
    for l in listeners {
        let prefix = format!("listener.name.{}.", l.name.to_lowercase());
        match l.authentication {
            Authentication::None => {}
            Authentication::Mtls => set(format!("{prefix}ssl.client.auth"), "required".into()),
            Authentication::ScramSha512 => {
                set(format!("{prefix}sasl.enabled.mechanisms"), SCRAM.into());
                set(
                    format!("{prefix}{}.sasl.jaas.config", SCRAM.to_lowercase()),
                    format!("{SCRAM_LOGIN} required;"),
                );
            }
        }
    }
    props
}

/// The brokers' certificate, mounted where their settings name it.
pub fn broker_volume(secret: &str) -> (Volume, Mount) {
    (
        Volume::new(
            TLS_VOLUME,
            VolumeSource::Secret {
                secret: secret.into(),
                items: Vec::new(),
            },
        ),
        Mount {
            read_only: true,
            ..Mount::new(TLS_VOLUME, TLS_DIR)
        },
    )
}

/// What a client of `l` needs besides the bootstrap address, as
/// `key=value` lines; the truststore at `ca`.
pub fn client_properties(l: &Listener, ca: &str) -> Vec<(String, String)> {
    let mut p = vec![(
        "security.protocol".to_string(),
        l.protocol.clone().unwrap_or_default(),
    )];
    if l.tls {
        p.push(("ssl.truststore.type".into(), "PEM".into()));
        p.push(("ssl.truststore.location".into(), ca.into()));
    }
    match l.authentication {
        Authentication::None => {}
        Authentication::ScramSha512 => {
            p.push(("sasl.mechanism".into(), SCRAM.into()));
            p.push((
                "sasl.jaas.config".into(),
                format!("{SCRAM_LOGIN} required username=\"<user>\" password=\"<password>\";"),
            ));
        }
        Authentication::Mtls => {
            p.push(("ssl.keystore.type".into(), "PEM".into()));
            p.push((
                "ssl.keystore.location".into(),
                format!("<the user's {COMBINED_FILE}>"),
            ));
        }
    }
    p
}
