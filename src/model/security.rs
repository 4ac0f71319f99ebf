//! TLS and authentication: the brokers' settings per listener (the
//! properties themselves are `broker_properties.rs`'s), the certificates
//! cert-manager makes for them and for users, and what a client of a
//! listener needs (the topics and users Jobs, `describe`).
//!
//! Listener names never contain `SSL`, so the images' configure steps,
//! which demand JKS files and password files when an advertised listener
//! says `SSL://`, leave them alone.

use super::containers::{EnvVar, Mount, Volume, VolumeSource};
use super::{Labels, labels};
use crate::broker_properties::{
    self, AUTHORIZER, CA_FILE, COMBINED_FILE, SCRAM, SCRAM_LOGIN, SUPER_USERS, TLS_DIR,
    property_env,
};
use crate::cluster::{
    AclPermission, AclResourceType, Authentication, Certificates, Cluster, Credential, IssuerKind,
    Metadata, PatternType, Security,
};
use crate::listeners::Listener;
use crate::names::Names;
use serde::Serialize;

pub const TLS_VOLUME: &str = "tls";
const STANDARD_AUTHORIZER: &str = "org.apache.kafka.metadata.authorizer.StandardAuthorizer";
const ACL_AUTHORIZER: &str = "kafka.security.authorizer.AclAuthorizer";

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
    /// With the user's own Secrets: what each must hold.
    pub own: Vec<OwnCertificate>,
    /// The brokers' certificate Secret, when a listener uses TLS.
    pub broker_secret: Option<String>,
    /// With authorization on: the authorizer's settings and the ACLs.
    pub authorization: Option<AuthorizationModel>,
}

#[derive(Debug, Serialize)]
pub struct AuthorizationModel {
    /// `authorizer.class.name` and `super.users`.
    pub properties: Vec<(String, String)>,
    pub acls: Vec<AclEntry>,
}

pub use crate::job_input::AclEntry;

/// The resource of the ACLs Job's marker: no client uses a transactional
/// id with a name of kafkagen's.
pub const ACL_MARKER: &str = "kafkagen.acls-owner";

/// The iteration count of the SCRAM credentials the users Job makes, by
/// which it knows them as its own: Kafka's minimum and `kafka-configs`'
/// default is 4096, so no credential made without kafkagen has it unless
/// someone chose it.
pub const SCRAM_ITERATIONS: u32 = 4097;

/// Every declared ACL, and for each user with ACLs the ACLs Job's marker
/// (`Describe` on the transactional id [`ACL_MARKER`]), sorted.
pub fn acl_entries(s: &Security) -> Vec<AclEntry> {
    let mut out = Vec::new();
    for u in s.users.iter().filter(|u| !u.acls.is_empty()) {
        let principal = format!("User:{}", u.name);
        let entry =
            |operation: &str, permission: &str, kind: &str, name: &str, pattern: &str| AclEntry {
                principal: principal.clone(),
                host: "*".into(),
                operation: operation.into(),
                permission: permission.into(),
                resource_type: kind.into(),
                name: name.into(),
                pattern_type: pattern.into(),
            };
        out.push(entry(
            "DESCRIBE",
            "ALLOW",
            "TRANSACTIONAL_ID",
            ACL_MARKER,
            "LITERAL",
        ));
        for a in &u.acls {
            let kind = match a.resource_type {
                AclResourceType::Topic => "TOPIC",
                AclResourceType::Group => "GROUP",
                AclResourceType::Cluster => "CLUSTER",
                AclResourceType::TransactionalId => "TRANSACTIONAL_ID",
            };
            let permission = match a.permission {
                AclPermission::Allow => "ALLOW",
                AclPermission::Deny => "DENY",
            };
            let pattern = match a.pattern_type {
                PatternType::Literal => "LITERAL",
                PatternType::Prefixed => "PREFIXED",
            };
            for op in &a.operations {
                out.push(entry(op, permission, kind, &a.name, pattern));
            }
        }
    }
    out.sort();
    out.dedup();
    out
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

/// Annotations of a workload that mounts a certificate Secret of the
/// user's own: what the certificate must be, for the user (and the rules,
/// which read them where no Certificate says it).
pub const CERT_SECRET_ANNOTATION: &str = "kafkagen.io/certificate-secret";
pub const CERT_SUBJECT_ANNOTATION: &str = "kafkagen.io/certificate-subject";
pub const CERT_NAMES_ANNOTATION: &str = "kafkagen.io/certificate-names";

/// A certificate the user's own Secret must hold.
#[derive(Debug, Clone, Serialize)]
pub struct OwnCertificate {
    pub secret: String,
    pub common_name: String,
    /// DNS names and IP addresses (none for a client's certificate).
    pub names: Vec<String>,
}

/// The annotations of a workload whose keystores are in `secrets`: what
/// the first of them that is the user's own must hold (none otherwise).
pub fn statement<'a>(own: &[OwnCertificate], secrets: impl IntoIterator<Item = &'a str>) -> Labels {
    secrets
        .into_iter()
        .find_map(|s| own.iter().find(|o| o.secret == s))
        .map(OwnCertificate::annotations)
        .unwrap_or_default()
}

impl OwnCertificate {
    fn annotations(&self) -> Labels {
        let mut a = Labels::new();
        a.insert(CERT_SECRET_ANNOTATION.into(), self.secret.clone());
        a.insert(
            CERT_SUBJECT_ANNOTATION.into(),
            format!("CN={}", self.common_name),
        );
        if !self.names.is_empty() {
            a.insert(CERT_NAMES_ANNOTATION.into(), self.names.join(","));
        }
        a
    }
}

/// The brokers' certificate: its Secret, common name, DNS names and
/// addresses.
fn broker_certificate(
    c: &Cluster,
    s: &Security,
    names: &Names,
    brokers: &[Listener],
) -> (String, String, Vec<String>, Vec<String>) {
    let (mut dns_names, ip_addresses) = broker_names(names, brokers);
    // Dedicated controllers present the same certificate on the quorum.
    if c.quorum_security().iter().any(|q| q.tls)
        && let Metadata::Kraft(k) = &c.metadata
        && k.controllers.is_some()
    {
        dns_names.push(wildcard(names, &names.controller_headless()));
    }
    (
        s.broker_secret.clone(),
        names.kafka(),
        dns_names,
        ip_addresses,
    )
}

/// With the user's own Secrets: the brokers' certificate (when a listener
/// has TLS) and the Jobs' (with `mtls` on `internal`).
fn own_certificates(
    c: &Cluster,
    names: &Names,
    brokers: &[Listener],
) -> (Option<OwnCertificate>, Option<OwnCertificate>) {
    let Some(s) = c
        .security
        .as_ref()
        .filter(|s| s.certificates == Certificates::Secrets)
    else {
        return (None, None);
    };
    let broker = s.tls().then(|| {
        let (secret, common_name, dns, ips) = broker_certificate(c, s, names, brokers);
        OwnCertificate {
            secret,
            common_name,
            names: dns.into_iter().chain(ips).collect(),
        }
    });
    let admin = s.admin().then(|| OwnCertificate {
        secret: s.admin_secret.clone(),
        common_name: names.admin(),
        names: Vec::new(),
    });
    (broker, admin)
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
    let (broker_own, admin_own) = own_certificates(c, names, brokers);
    let own: Vec<OwnCertificate> = broker_own.into_iter().chain(admin_own).collect();
    let issuer = match &s.certificates {
        Certificates::CertManager(issuer) if s.tls() || !cert_users.is_empty() || s.admin() => {
            issuer.clone()
        }
        _ => {
            return Some(SecurityModel {
                issuers: Vec::new(),
                certificates: Vec::new(),
                own,
                broker_secret: s.tls().then(|| s.broker_secret.clone()),
                authorization: authorization(c, names),
            });
        }
    };
    let mut issuers = Vec::new();
    let mut certificates = Vec::new();
    let cert_labels = labels("kafka", &c.name, "tls");
    let (kind, issuer) = match issuer {
        Some((kind, name)) => (issuer_kind(kind).to_string(), name),
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
        let (secret, common_name, dns_names, ip_addresses) =
            broker_certificate(c, s, names, brokers);
        certificates.push(CertificateModel {
            name: secret.clone(),
            labels: cert_labels.clone(),
            secret,
            common_name,
            dns_names,
            ip_addresses,
            // Client auth too: brokers present it to each other.
            usages: usages(&["server auth", "client auth"]),
            is_ca: false,
            issuer_kind: kind.clone(),
            issuer_name: issuer.clone(),
        });
    }
    let admin = s.admin().then(|| (s.admin_secret.clone(), names.admin()));
    for (secret, user) in admin.into_iter().chain(
        cert_users
            .iter()
            .map(|u| (names.user_secret(u), u.to_string())),
    ) {
        certificates.push(CertificateModel {
            name: secret.clone(),
            labels: cert_labels.clone(),
            secret,
            common_name: user,
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
        own,
        broker_secret: s.tls().then(|| s.broker_secret.clone()),
        authorization: authorization(c, names),
    })
}

fn authorization(c: &Cluster, names: &Names) -> Option<AuthorizationModel> {
    let s = c.security.as_ref()?;
    s.authorization.as_ref()?;
    Some(AuthorizationModel {
        properties: authorizer_properties(s, &c.metadata, names),
        acls: acl_entries(s),
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
    let mut dns = vec![wildcard(names, &names.kafka_headless())];
    let service = names.kafka();
    let full = names.service_dns(&service);
    dns.push(service.clone());
    dns.push(format!("{service}.{}", names.namespace));
    dns.push(format!("{service}.{}.svc", names.namespace));
    dns.push(full);
    let mut ips = Vec::new();
    for l in brokers.iter().filter(|l| l.security.tls) {
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

/// Every pod of a headless Service, as one certificate name.
fn wildcard(names: &Names, headless: &str) -> String {
    format!("*.{}", names.pod_dns("", headless).trim_start_matches('.'))
}

/// What a broker or a controller needs for TLS, authentication and
/// authorization: its settings, per listener and for the authorizer, and
/// the certificate Secret mounted where those settings name it, when one
/// of its listeners has TLS (brokers reach the controllers' TLS quorum as
/// clients of it, with the same truststore).
pub struct NodeSecurity {
    pub env: Vec<EnvVar>,
    /// Secrets mounted where the settings name them.
    pub volumes: Vec<(Volume, Mount)>,
}

/// The security of a node with `listeners` (all it binds and reaches).
pub fn node(c: &Cluster, names: &Names, listeners: &[Listener]) -> NodeSecurity {
    let Some(s) = c.security.as_ref() else {
        return NodeSecurity {
            env: broker_env(&[], listeners),
            volumes: Vec::new(),
        };
    };
    let authorizer = authorizer_properties(s, &c.metadata, names);
    NodeSecurity {
        env: broker_env(&authorizer, listeners),
        volumes: listeners
            .iter()
            .any(|l| l.security.tls)
            .then(|| secret_volume(TLS_VOLUME, &s.broker_secret, TLS_DIR))
            .into_iter()
            .collect(),
    }
}

fn broker_env(authorizer: &[(String, String)], listeners: &[Listener]) -> Vec<EnvVar> {
    broker_properties::security(listeners)
        .iter()
        .chain(authorizer)
        .map(|(k, v)| EnvVar::value(&property_env(k), v))
        .collect()
}

/// The brokers' and the Jobs' principals, from their certificates'
/// common names (`PRINCIPAL_RULES` in `broker_properties.rs`).
pub fn broker_principal(names: &Names) -> String {
    format!("User:{}", names.kafka())
}

pub fn admin_principal(names: &Names) -> String {
    format!("User:{}", names.admin())
}

/// Kafka's standard authorizer for the metadata store, and who may do
/// anything: the brokers, the Jobs' admin, the spec's super users.
pub fn authorizer_properties(
    s: &Security,
    metadata: &Metadata,
    names: &Names,
) -> Vec<(String, String)> {
    let Some(extra) = &s.authorization else {
        return Vec::new();
    };
    let class = match metadata {
        Metadata::Kraft(_) => STANDARD_AUTHORIZER,
        Metadata::ZooKeeper(_) => ACL_AUTHORIZER,
    };
    let supers: Vec<String> = [broker_principal(names), admin_principal(names)]
        .into_iter()
        .chain(extra.iter().map(|n| format!("User:{n}")))
        .collect();
    vec![
        (AUTHORIZER.into(), class.into()),
        (SUPER_USERS.into(), supers.join(";")),
    ]
}

/// The brokers' listeners whose keystore a running broker can reread:
/// those with TLS, but the KRaft quorum's, which are not broker listeners
/// that per-broker settings reach.
pub fn reloadable_listeners(brokers: &[Listener]) -> impl Iterator<Item = &Listener> {
    brokers.iter().filter(|l| l.security.tls && !l.quorum)
}

/// The per-broker setting that names a listener's keystore.
pub fn listener_keystore_key(l: &Listener) -> String {
    format!(
        "listener.name.{}.ssl.keystore.location",
        l.name.to_lowercase()
    )
}

/// A Secret as a volume, mounted read-only at `dir`.
fn secret_volume(volume: &str, secret: &str, dir: &str) -> (Volume, Mount) {
    (
        Volume::new(
            volume,
            VolumeSource::Secret {
                secret: secret.into(),
                items: Vec::new(),
            },
        ),
        Mount {
            read_only: true,
            ..Mount::new(volume, dir)
        },
    )
}

/// What a client of `l` needs besides the bootstrap address, as
/// `key=value` lines; the truststore at `ca`, the client's certificate at
/// `keystore` when the listener demands one.
pub fn client_properties(l: &Listener, ca: &str, keystore: &str) -> Vec<(String, String)> {
    let mut p = vec![(
        "security.protocol".to_string(),
        l.protocol.clone().unwrap_or_default(),
    )];
    if l.security.tls {
        p.push(("ssl.truststore.type".into(), "PEM".into()));
        p.push(("ssl.truststore.location".into(), ca.into()));
    }
    match l.security.authentication {
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
            p.push(("ssl.keystore.location".into(), keystore.into()));
        }
    }
    p
}

/// What a Job needs to reach the brokers on `internal`: the Secret it
/// mounts at [`TLS_DIR`] and the files it takes from it (the CA, and with
/// `mtls` the admin's keystore), and its client settings.
pub struct JobTls {
    pub secret: Option<String>,
    pub files: Vec<String>,
    pub properties: Vec<(String, String)>,
}

pub fn job_tls(c: &Cluster, internal: &Listener) -> JobTls {
    let ca = format!("{TLS_DIR}/{CA_FILE}");
    let keystore = format!("{TLS_DIR}/{COMBINED_FILE}");
    let (secret, files) = match c.security.as_ref().filter(|_| internal.security.tls) {
        None => (None, Vec::new()),
        Some(s) if !s.admin() => (Some(s.broker_secret.clone()), vec![CA_FILE.into()]),
        Some(s) => (
            Some(s.admin_secret.clone()),
            vec![CA_FILE.into(), COMBINED_FILE.into()],
        ),
    };
    JobTls {
        secret,
        files,
        properties: client_properties(internal, &ca, &keystore),
    }
}
