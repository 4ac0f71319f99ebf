//! The custom resources kafkagen may render, typed for the round trip like
//! the built-in kinds: cert-manager's `Issuer` and `Certificate`, and the
//! Prometheus Operator's `ServiceMonitor`, `PodMonitor` and
//! `PrometheusRule`. Each type holds the fields of its project's published
//! CRD that kafkagen writes and refuses any other (`deny_unknown_fields`);
//! CI checks objects of these types against the CRDs themselves in a real
//! API server (docs/live-boot.md, "The API server").
//!
//! Hand-written rather than taken from the generated crates
//! (`kcr_cert_manager_io`, `kcr_monitoring_coreos_com`): those depend on
//! `kube` 3.1, which pins k8s-openapi 0.27 beside their own 0.29, so the
//! binary would build two copies of the Kubernetes types.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

macro_rules! object {
    ($(#[$doc:meta])* $name:ident, $spec:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Serialize, Deserialize)]
        #[serde(deny_unknown_fields, rename_all = "camelCase")]
        pub struct $name {
            pub api_version: String,
            pub kind: String,
            pub metadata: ObjectMeta,
            pub spec: $spec,
        }
    };
}

/// The optional fields of a struct: camelCase, absent when `None`.
macro_rules! fields {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident: $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, Serialize, Deserialize)]
        #[serde(deny_unknown_fields, rename_all = "camelCase")]
        pub struct $name {
            $($(#[$fdoc])* #[serde(default, skip_serializing_if = "Option::is_none")] pub $field: Option<$ty>,)*
        }
    };
}

object!(
    /// cert-manager.io/v1 `Issuer`: a self-signed issuer, or a CA whose key
    /// pair is in a Secret.
    Issuer,
    IssuerSpec
);
fields!(IssuerSpec {
    self_signed: SelfSigned,
    ca: CaIssuer,
});
fields!(SelfSigned {});
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CaIssuer {
    pub secret_name: String,
}

object!(
    /// cert-manager.io/v1 `Certificate`.
    Certificate,
    CertificateSpec
);

impl Certificate {
    /// What a workload's annotations (`kafkagen.io/certificate-*`) say a
    /// certificate Secret of the user's own holds, read as the Certificate
    /// that would fill it.
    pub fn stated(annotations: &serde_json::Value) -> Option<Certificate> {
        use crate::model::security::{
            CERT_NAMES_ANNOTATION, CERT_SECRET_ANNOTATION, CERT_SUBJECT_ANNOTATION,
        };
        let secret = annotations[CERT_SECRET_ANNOTATION].as_str()?;
        let subject = annotations[CERT_SUBJECT_ANNOTATION].as_str()?;
        let names: Vec<&str> = annotations[CERT_NAMES_ANNOTATION]
            .as_str()
            .map(|n| n.split(',').collect())
            .unwrap_or_default();
        Some(Certificate::own(
            secret,
            subject.strip_prefix("CN=").unwrap_or(subject),
            &names,
        ))
    }

    /// A certificate of the user's own, as the Certificate that would fill
    /// its Secret: the common name, the names (IP addresses apart), a
    /// PKCS#8 key with the combined PEM output, for server and client auth
    /// (client auth only without names).
    pub fn own(secret: &str, common_name: &str, names: &[&str]) -> Certificate {
        let (ips, dns): (Vec<&str>, Vec<&str>) = names
            .iter()
            .partition(|n| n.parse::<std::net::IpAddr>().is_ok());
        let mut usages = vec!["digital signature", "key encipherment", "client auth"];
        if !names.is_empty() {
            usages.push("server auth");
        }
        serde_json::from_value(serde_json::json!({
            "apiVersion": "cert-manager.io/v1",
            "kind": "Certificate",
            "metadata": {"name": secret},
            "spec": {
                "secretName": secret,
                "issuerRef": {},
                "commonName": common_name,
                "dnsNames": dns,
                "ipAddresses": ips,
                "usages": usages,
                "privateKey": {"algorithm": "RSA", "size": 2048, "encoding": "PKCS8"},
                "additionalOutputFormats": [{"type": "CombinedPEM"}],
            },
        }))
        .expect("a Certificate of known fields")
    }
}
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CertificateSpec {
    pub secret_name: String,
    pub issuer_ref: IssuerRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub common_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_names: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_addresses: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renew_before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usages: Option<Vec<String>>,
    #[serde(default, rename = "isCA", skip_serializing_if = "Option::is_none")]
    pub is_ca: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key: Option<PrivateKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keystores: Option<Keystores>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_template: Option<SecretTemplate>,
    /// `CombinedPEM` adds `tls-combined.pem` (the key, then the chain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_output_formats: Option<Vec<OutputFormat>>,
}
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputFormat {
    #[serde(rename = "type")]
    pub kind: OutputFormatType,
}
fields!(IssuerRef {
    name: String,
    kind: String,
    group: String,
});
fields!(PrivateKey {
    algorithm: KeyAlgorithm,
    /// `PKCS8`, the only key encoding Kafka reads from PEM.
    encoding: KeyEncoding,
    size: i32,
    rotation_policy: RotationPolicy,
});

/// The values the CRD's enums allow, so that the round trip refuses what
/// the API server refuses.
macro_rules! one_of {
    ($name:ident { $($variant:ident),* $(,)? }) => {
        #[derive(Debug, Clone, Serialize, Deserialize)]
        pub enum $name { $($variant),* }
    };
}
one_of!(KeyAlgorithm {
    RSA,
    ECDSA,
    Ed25519
});
one_of!(KeyEncoding { PKCS1, PKCS8 });
one_of!(OutputFormatType { DER, CombinedPEM });
one_of!(RotationPolicy { Never, Always });
one_of!(Pkcs12Profile {
    LegacyRC2,
    LegacyDES,
    Modern2023,
    Modern2026
});
fields!(Keystores {
    pkcs12: Keystore,
    jks: Keystore,
});
fields!(Keystore {
    create: bool,
    password_secret_ref: SecretKeySelector,
    profile: Pkcs12Profile,
    alias: String,
});
fields!(SecretKeySelector {
    name: String,
    key: String,
});
fields!(SecretTemplate {
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
});

object!(
    /// monitoring.coreos.com/v1 `ServiceMonitor`.
    ServiceMonitor,
    ServiceMonitorSpec
);
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServiceMonitorSpec {
    pub selector: LabelSelector,
    pub endpoints: Vec<Endpoint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<NamespaceSelector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_labels: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_target_labels: Option<Vec<String>>,
}

object!(
    /// monitoring.coreos.com/v1 `PodMonitor`.
    PodMonitor,
    PodMonitorSpec
);
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PodMonitorSpec {
    pub selector: LabelSelector,
    pub pod_metrics_endpoints: Vec<Endpoint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<NamespaceSelector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_target_labels: Option<Vec<String>>,
}

fields!(
    /// A scrape endpoint of a ServiceMonitor or PodMonitor.
    Endpoint {
        port: String,
        path: String,
        scheme: String,
        interval: String,
        scrape_timeout: String,
        honor_labels: bool,
        relabelings: Vec<RelabelConfig>,
        metric_relabelings: Vec<RelabelConfig>,
    }
);
fields!(NamespaceSelector {
    any: bool,
    match_names: Vec<String>,
});
fields!(RelabelConfig {
    source_labels: Vec<String>,
    separator: String,
    target_label: String,
    regex: String,
    replacement: String,
    action: String,
});

object!(
    /// monitoring.coreos.com/v1 `PrometheusRule`.
    PrometheusRule,
    PrometheusRuleSpec
);
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrometheusRuleSpec {
    pub groups: Vec<RuleGroup>,
}
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleGroup {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    pub rules: Vec<PrometheusRuleEntry>,
}
/// An alerting or recording rule; the field names are Prometheus' own.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrometheusRuleEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    pub expr: IntOrString,
    #[serde(default, rename = "for", skip_serializing_if = "Option::is_none")]
    pub for_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_firing_for: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}
