//! The typed round trip: every rendered document is read into its
//! k8s-openapi type and written back. k8s-openapi drops fields it does not
//! know, so any difference from the rendered value is an unknown or
//! misspelt field, or a value of the wrong type.

use super::custom::{Certificate, Issuer, PodMonitor, PrometheusRule, ServiceMonitor};
use crate::render::Document;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job, JobSpec};
use k8s_openapi::api::core::v1::{
    ConfigMap, Namespace, PersistentVolumeClaim, Secret, Service, ServiceAccount,
};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use serde_json::Value;

/// The kinds kafkagen renders, in the order they are applied.
pub const KIND_ORDER: &[&str] = &[
    "Namespace",
    "ServiceAccount",
    "ConfigMap",
    "Secret",
    "Issuer",
    "Certificate",
    "Service",
    "PodDisruptionBudget",
    "NetworkPolicy",
    "PersistentVolumeClaim",
    "StatefulSet",
    "Deployment",
    "Job",
    "CronJob",
    "ServiceMonitor",
    "PodMonitor",
    "PrometheusRule",
];

/// Boxed in [`Object`]: by far its largest variant.
type BoxedCronJob = Box<CronJob>;

#[derive(Debug, Clone)]
/// The typed reading of the kinds the cross-resource rules look into;
/// other kinds are checked by the round trip alone.
pub enum Object {
    ConfigMap(ConfigMap),
    Service(Service),
    PodDisruptionBudget(PodDisruptionBudget),
    NetworkPolicy(NetworkPolicy),
    StatefulSet(StatefulSet),
    Deployment(Deployment),
    Job(Job),
    CronJob(Box<CronJob>),
    Other,
}

/// A checked manifest: the rendered value and its typed reading.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    pub value: Value,
    pub object: Object,
}

impl Manifest {
    /// A Job's spec, or the spec of the Jobs a CronJob makes.
    pub fn job_spec(&self) -> Option<&JobSpec> {
        match &self.object {
            Object::Job(job) => job.spec.as_ref(),
            Object::CronJob(cron) => cron.spec.as_ref()?.job_template.spec.as_ref(),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("template `{template}` rendered a document without apiVersion and kind")]
    NoKind { template: String },
    #[error("template `{template}` rendered {api_version} {kind}, which kafkagen does not emit")]
    UnknownKind {
        template: String,
        api_version: String,
        kind: String,
    },
    /// `object` reads like "Service `x` (template `t`)".
    #[error("{object} does not fit its schema: {message}")]
    Invalid { object: String, message: String },
    #[error("{object}: field `{path}` is not part of the schema or has the wrong type ({detail})")]
    Drift {
        object: String,
        path: String,
        detail: String,
    },
}

// A stage of bench/profile.sh's table: kept out of line so that its
// samples are charged to it.
#[inline(never)]
pub fn check(doc: Document) -> Result<Manifest, ManifestError> {
    let v = &doc.value;
    let api_version = v.get("apiVersion").and_then(Value::as_str);
    let kind = v.get("kind").and_then(Value::as_str);
    let (Some(api_version), Some(kind)) = (api_version, kind) else {
        return Err(ManifestError::NoKind {
            template: doc.template.clone(),
        });
    };
    let name = v
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let namespace = v
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .map(str::to_string);

    macro_rules! typed {
        ($($api:literal $kind:literal => $ty:ident $(as $variant:ident)?),* $(,)?) => {
            match (api_version, kind) {
                $(($api, $kind) => {
                    let _typed: $ty = round_trip(&doc, kind, &name)?;
                    typed!(@keep _typed $($variant)?)
                })*
                _ => {
                    return Err(ManifestError::UnknownKind {
                        template: doc.template.clone(),
                        api_version: api_version.to_string(),
                        kind: kind.to_string(),
                    })
                }
            }
        };
        (@keep $v:ident $variant:ident) => { Object::$variant($v) };
        (@keep $v:ident) => { Object::Other };
    }
    let object = typed! {
        "v1" "Namespace" => Namespace,
        "v1" "ServiceAccount" => ServiceAccount,
        "v1" "ConfigMap" => ConfigMap as ConfigMap,
        "v1" "Secret" => Secret,
        "v1" "Service" => Service as Service,
        "policy/v1" "PodDisruptionBudget" => PodDisruptionBudget as PodDisruptionBudget,
        "networking.k8s.io/v1" "NetworkPolicy" => NetworkPolicy as NetworkPolicy,
        "v1" "PersistentVolumeClaim" => PersistentVolumeClaim,
        "apps/v1" "StatefulSet" => StatefulSet as StatefulSet,
        "apps/v1" "Deployment" => Deployment as Deployment,
        "batch/v1" "Job" => Job as Job,
        "batch/v1" "CronJob" => BoxedCronJob as CronJob,
        "cert-manager.io/v1" "Issuer" => Issuer,
        "cert-manager.io/v1" "Certificate" => Certificate,
        "monitoring.coreos.com/v1" "ServiceMonitor" => ServiceMonitor,
        "monitoring.coreos.com/v1" "PodMonitor" => PodMonitor,
        "monitoring.coreos.com/v1" "PrometheusRule" => PrometheusRule,
    };
    Ok(Manifest {
        kind: kind.to_string(),
        name,
        namespace,
        value: doc.value,
        object,
    })
}

fn round_trip<T>(doc: &Document, kind: &str, name: &str) -> Result<T, ManifestError>
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    let object = format!("{kind} `{name}` (template `{}`)", doc.template);
    let invalid = |message: String| ManifestError::Invalid {
        object: object.clone(),
        message,
    };
    let typed = T::deserialize(&doc.value).map_err(|e| invalid(e.to_string()))?;
    let back = serde_json::to_value(&typed).map_err(|e| invalid(e.to_string()))?;
    if back == doc.value {
        return Ok(typed);
    }
    if let Some((path, rendered, typed_value)) = first_difference(&doc.value, &back, String::new())
    {
        return Err(ManifestError::Drift {
            object,
            path,
            detail: format!("rendered {rendered}, the API reads {typed_value}"),
        });
    }
    Ok(typed)
}

/// The first path where `a` and `b` differ, with both values (`absent` when missing).
fn first_difference(a: &Value, b: &Value, path: String) -> Option<(String, String, String)> {
    let show = |v: Option<&Value>| v.map_or("absent".to_string(), Value::to_string);
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                let p = join(&path, k);
                match y.get(k) {
                    Some(vb) => {
                        if let Some(d) = first_difference(va, vb, p) {
                            return Some(d);
                        }
                    }
                    None => return Some((p, show(Some(va)), show(None))),
                }
            }
            y.iter()
                .find(|(k, _)| !x.contains_key(*k))
                .map(|(k, vb)| (join(&path, k), show(None), show(Some(vb))))
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (va, vb))| first_difference(va, vb, format!("{path}[{i}]"))),
        _ if a == b => None,
        _ => Some((path, show(Some(a)), show(Some(b)))),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(value: Value) -> Document {
        Document {
            template: "t".into(),
            value,
        }
    }

    #[test]
    fn accepts_a_valid_service() {
        let m = check(doc(json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "s", "namespace": "n"},
            "spec": {"ports": [{"name": "x", "port": 9092, "targetPort": "x"}]}
        })))
        .unwrap();
        assert_eq!((m.kind.as_str(), m.name.as_str()), ("Service", "s"));
    }

    #[test]
    fn catches_a_misspelt_field() {
        let e = check(doc(json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "s"},
            "spec": {"portz": []}
        })))
        .unwrap_err();
        assert!(e.to_string().contains("field `spec.portz`"), "{e}");
    }

    #[test]
    fn catches_a_wrong_type() {
        let e = check(doc(json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "s"},
            "spec": {"ports": [{"port": "9092"}]}
        })))
        .unwrap_err();
        assert!(e.to_string().contains("does not fit its schema"), "{e}");
    }

    #[test]
    fn refuses_unknown_kinds() {
        let e = check(doc(
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}),
        ))
        .unwrap_err();
        assert!(matches!(e, ManifestError::UnknownKind { .. }));
    }
}
