//! What a kubelet and container runtime give a container: its environment
//! (service links, `envFrom`, `env` in list order with `$(VAR)` expansion,
//! the downward API), its command line, and the files of its ConfigMap and
//! Secret volumes.

use crate::expand::expand;
use crate::objects::{Objects, PodDef};
use anyhow::{Context, Result, bail};
use k8s_openapi::api::core::v1::{Container, Service};
use std::collections::BTreeMap;

/// What the kubelet knows about a pod once it runs.
pub struct PodStatus<'a> {
    pub pod: &'a PodDef,
    pub namespace: &'a str,
    pub uid: String,
    pub pod_ip: String,
    pub host_ip: String,
    pub node_name: &'a str,
}

/// The API server's own Service, whose variables every container gets.
pub const KUBERNETES_SERVICE_IP: &str = "10.96.0.1";

/// Docker-link and `_SERVICE_` variables for the Services a pod sees:
/// the API server's always, and its namespace's when service links are on.
pub fn service_env(
    objects: &Objects,
    cluster_ips: &BTreeMap<String, String>,
    links: bool,
) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    let kubernetes = serde_json::from_value::<Service>(serde_json::json!({
        "metadata": {"name": "kubernetes"},
        "spec": {"ports": [{"name": "https", "port": 443}]}
    }))
    .expect("a valid Service");
    add_service_vars(&mut env, &kubernetes, KUBERNETES_SERVICE_IP);
    if links {
        for s in &objects.services {
            let name = s.metadata.name.clone().unwrap_or_default();
            if let Some(ip) = cluster_ips.get(&name) {
                add_service_vars(&mut env, s, ip);
            }
        }
    }
    env
}

fn env_name(s: &str) -> String {
    s.to_ascii_uppercase().replace('-', "_")
}

fn add_service_vars(env: &mut BTreeMap<String, String>, s: &Service, ip: &str) {
    let prefix = env_name(s.metadata.name.as_deref().unwrap_or_default());
    let ports = s
        .spec
        .as_ref()
        .and_then(|s| s.ports.clone())
        .unwrap_or_default();
    let Some(first) = ports.first() else { return };
    env.insert(format!("{prefix}_SERVICE_HOST"), ip.to_string());
    env.insert(format!("{prefix}_SERVICE_PORT"), first.port.to_string());
    for p in &ports {
        if let Some(n) = &p.name {
            env.insert(
                format!("{prefix}_SERVICE_PORT_{}", env_name(n)),
                p.port.to_string(),
            );
        }
    }
    for (i, p) in ports.iter().enumerate() {
        let proto = p.protocol.clone().unwrap_or_else(|| "TCP".into());
        let lower = proto.to_ascii_lowercase();
        let url = format!("{lower}://{ip}:{}", p.port);
        if i == 0 {
            env.insert(format!("{prefix}_PORT"), url.clone());
        }
        let pp = format!("{prefix}_PORT_{}_{}", p.port, proto.to_ascii_uppercase());
        env.insert(pp.clone(), url);
        env.insert(format!("{pp}_PROTO"), lower);
        env.insert(format!("{pp}_PORT"), p.port.to_string());
        env.insert(format!("{pp}_ADDR"), ip.to_string());
    }
}

/// A key of a ConfigMap or Secret, as text.
fn data_key(objects: &Objects, kind: &str, name: &str, key: &str) -> Option<String> {
    match kind {
        "ConfigMap" => objects
            .config_maps
            .iter()
            .find(|c| c.metadata.name.as_deref() == Some(name))
            .and_then(|c| c.data.as_ref()?.get(key).cloned()),
        _ => objects
            .secrets
            .iter()
            .find(|s| s.metadata.name.as_deref() == Some(name))
            .and_then(|s| {
                let from_data = s
                    .data
                    .as_ref()?
                    .get(key)
                    .map(|b| String::from_utf8_lossy(&b.0).into_owned());
                from_data.or_else(|| s.string_data.as_ref()?.get(key).cloned())
            }),
    }
}

/// Every key of a ConfigMap or Secret, for `envFrom` and volumes.
pub fn data_keys(objects: &Objects, kind: &str, name: &str) -> Option<BTreeMap<String, Vec<u8>>> {
    match kind {
        "ConfigMap" => objects
            .config_maps
            .iter()
            .find(|c| c.metadata.name.as_deref() == Some(name))
            .map(|c| {
                let mut out: BTreeMap<String, Vec<u8>> = c
                    .data
                    .clone()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k, v.into_bytes()))
                    .collect();
                for (k, v) in c.binary_data.clone().unwrap_or_default() {
                    out.insert(k, v.0);
                }
                out
            }),
        _ => objects
            .secrets
            .iter()
            .find(|s| s.metadata.name.as_deref() == Some(name))
            .map(|s| {
                let mut out: BTreeMap<String, Vec<u8>> = s
                    .data
                    .clone()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k, v.0))
                    .collect();
                for (k, v) in s.string_data.clone().unwrap_or_default() {
                    out.insert(k, v.into_bytes());
                }
                out
            }),
    }
}

/// The value of a downward API field, as the kubelet resolves it for env.
pub fn field(status: &PodStatus, path: &str) -> Result<String> {
    let pod = status.pod;
    let quoted = |prefix: &str| -> Option<String> {
        let rest = path.strip_prefix(prefix)?.strip_suffix("']")?;
        Some(rest.to_string())
    };
    if let Some(key) = quoted("metadata.labels['") {
        return Ok(pod.labels.get(&key).cloned().unwrap_or_default());
    }
    if let Some(key) = quoted("metadata.annotations['") {
        return Ok(pod.annotations.get(&key).cloned().unwrap_or_default());
    }
    Ok(match path {
        "metadata.name" => pod.name.clone(),
        "metadata.namespace" => status.namespace.to_string(),
        "metadata.uid" => status.uid.clone(),
        "spec.nodeName" => status.node_name.to_string(),
        "spec.serviceAccountName" => pod
            .spec
            .service_account_name
            .clone()
            .unwrap_or_else(|| "default".into()),
        "status.hostIP" | "status.hostIPs" => status.host_ip.clone(),
        "status.podIP" | "status.podIPs" => status.pod_ip.clone(),
        other => bail!("fieldRef `{other}` is not a field the kubelet gives to env"),
    })
}

/// `limits.memory` and the like, divided by the divisor and rounded up.
fn resource_field(
    pod: &PodDef,
    own: &Container,
    r: &k8s_openapi::api::core::v1::ResourceFieldSelector,
) -> Result<String> {
    let container = match &r.container_name {
        Some(n) if !n.is_empty() => pod
            .spec
            .containers
            .iter()
            .find(|c| &c.name == n)
            .with_context(|| format!("resourceFieldRef names no container `{n}`"))?,
        _ => own,
    };
    let (which, res) = r
        .resource
        .split_once('.')
        .with_context(|| format!("resourceFieldRef `{}`", r.resource))?;
    let resources = container.resources.clone().unwrap_or_default();
    let list = match which {
        "limits" => resources.limits,
        "requests" => resources.requests,
        other => bail!("resourceFieldRef `{other}.{res}`"),
    }
    .unwrap_or_default();
    // Without a limit, the kubelet gives the node's allocatable amount;
    // the harness's node has the machine's.
    let value = match list.get(res) {
        Some(q) => kafkagen::validate::quantity::parse(&q.0)
            .with_context(|| format!("quantity {}", q.0))?,
        None if res == "cpu" => std::thread::available_parallelism().map_or(1, |n| n.get()) as f64,
        None => 0.0,
    };
    let divisor = match &r.divisor {
        Some(d) => {
            kafkagen::validate::quantity::parse(&d.0).with_context(|| format!("divisor {}", d.0))?
        }
        None => 1.0,
    };
    Ok(((value / divisor).ceil() as i64).to_string())
}

/// The container's environment in the order the kubelet builds it:
/// `envFrom`, then `env` (each value expanded against the variables
/// before it and the service variables), then service variables not
/// already set. Returns name -> value.
pub fn environment(
    objects: &Objects,
    status: &PodStatus,
    container: &Container,
    service_env: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>> {
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    for from in container.env_from.iter().flatten() {
        let prefix = from.prefix.clone().unwrap_or_default();
        let (kind, name, optional) = if let Some(c) = &from.config_map_ref {
            ("ConfigMap", c.name.clone(), c.optional.unwrap_or(false))
        } else if let Some(s) = &from.secret_ref {
            ("Secret", s.name.clone(), s.optional.unwrap_or(false))
        } else {
            continue;
        };
        match data_keys(objects, kind, &name) {
            Some(keys) => {
                for (k, v) in keys {
                    env.insert(
                        format!("{prefix}{k}"),
                        String::from_utf8_lossy(&v).into_owned(),
                    );
                }
            }
            None if optional => {}
            None => bail!(
                "envFrom: {kind} `{name}` does not exist (the kubelet keeps the container from starting)"
            ),
        }
    }
    for var in container.env.iter().flatten() {
        let value = match (&var.value, &var.value_from) {
            (Some(v), _) if !v.is_empty() => {
                expand(v, |n| env.get(n).or_else(|| service_env.get(n)).cloned())
            }
            (_, Some(from)) => {
                if let Some(f) = &from.field_ref {
                    field(status, &f.field_path)?
                } else if let Some(r) = &from.resource_field_ref {
                    resource_field(status.pod, container, r)?
                } else if let Some(k) = &from.config_map_key_ref {
                    match data_key(objects, "ConfigMap", &k.name, &k.key) {
                        Some(v) => v,
                        None if k.optional == Some(true) => continue,
                        None => bail!(
                            "env {}: ConfigMap `{}` has no key `{}`",
                            var.name,
                            k.name,
                            k.key
                        ),
                    }
                } else if let Some(k) = &from.secret_key_ref {
                    match data_key(objects, "Secret", &k.name, &k.key) {
                        Some(v) => v,
                        None if k.optional == Some(true) => continue,
                        None => bail!(
                            "env {}: Secret `{}` has no key `{}`",
                            var.name,
                            k.name,
                            k.key
                        ),
                    }
                } else {
                    bail!("env {}: a valueFrom the harness does not know", var.name)
                }
            }
            _ => String::new(),
        };
        env.insert(var.name.clone(), value);
    }
    for (k, v) in service_env {
        env.entry(k.clone()).or_insert_with(|| v.clone());
    }
    Ok(env)
}

/// The command line: `command` and `args` expanded against the final
/// environment; the image's entrypoint and cmd where they are not given.
pub fn argv(
    container: &Container,
    env: &BTreeMap<String, String>,
    image_entrypoint: &[String],
    image_cmd: &[String],
) -> Vec<String> {
    let x = |s: &String| expand(s, |n| env.get(n).cloned());
    let (command, args): (Vec<String>, Vec<String>) = match (&container.command, &container.args) {
        (Some(c), Some(a)) => (c.iter().map(x).collect(), a.iter().map(x).collect()),
        (Some(c), None) => (c.iter().map(x).collect(), Vec::new()),
        (None, Some(a)) => (image_entrypoint.to_vec(), a.iter().map(x).collect()),
        (None, None) => (image_entrypoint.to_vec(), image_cmd.to_vec()),
    };
    command.into_iter().chain(args).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::{from_values, statefulset_pods};
    use serde_json::json;

    fn objects() -> Objects {
        let v = |kind: &str, name: &str, value: serde_json::Value| {
            (
                kind.to_string(),
                Some("ns".to_string()),
                name.to_string(),
                value,
            )
        };
        from_values(vec![
            v("Service", "kafka", json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "kafka", "namespace": "ns"},
                "spec": {"ports": [{"name": "client", "port": 9092}]}})),
            v("ConfigMap", "cm", json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "ns"},
                "data": {"a": "from-configmap"}})),
            v("StatefulSet", "web", json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web", "namespace": "ns"},
                "spec": {"replicas": 2, "serviceName": "web", "selector": {"matchLabels": {"app": "web"}},
                  "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "i",
                    "resources": {"limits": {"memory": "1Gi"}}}]}}}})),
        ])
        .unwrap()
    }

    fn container(env: serde_json::Value) -> Container {
        serde_json::from_value(json!({"name": "c", "image": "i", "env": env, "resources": {"limits": {"memory": "1Gi"}}})).unwrap()
    }

    #[test]
    fn env_is_built_in_list_order_with_the_downward_api() {
        let o = objects();
        let pods = statefulset_pods(&o.statefulsets[0], None).unwrap();
        let pod = &pods[1];
        let status = PodStatus {
            pod,
            namespace: "ns",
            uid: "u".into(),
            pod_ip: "10.0.0.2".into(),
            host_ip: "192.0.2.1".into(),
            node_name: "n",
        };
        let c = container(json!([
            {"name": "BEFORE", "value": "$(ORDINAL)-x"},
            {"name": "ORDINAL", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['apps.kubernetes.io/pod-index']"}}},
            {"name": "AFTER", "value": "$(ORDINAL)-x $$(ORDINAL) $(UNSET)"},
            {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}},
            {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "MEM", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}}},
            {"name": "CM", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "a"}}}
        ]));
        let env = environment(&o, &status, &c, &BTreeMap::new()).unwrap();
        assert_eq!(
            env["BEFORE"], "$(ORDINAL)-x",
            "only earlier variables expand"
        );
        assert_eq!(env["ORDINAL"], "1");
        assert_eq!(env["AFTER"], "1-x $(ORDINAL) $(UNSET)");
        assert_eq!(env["NODE"], "192.0.2.1");
        assert_eq!(env["POD"], "web-1");
        assert_eq!(env["MEM"], "1024");
        assert_eq!(env["CM"], "from-configmap");
        let missing = container(
            json!([{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "nope"}}}]),
        );
        assert!(environment(&o, &status, &missing, &BTreeMap::new()).is_err());
    }

    #[test]
    fn service_links_inject_docker_variables_unless_disabled() {
        let o = objects();
        let ips = BTreeMap::from([("kafka".to_string(), "10.96.0.5".to_string())]);
        let on = service_env(&o, &ips, true);
        // The variable that makes cp-kafka exit.
        assert_eq!(on["KAFKA_PORT"], "tcp://10.96.0.5:9092");
        assert_eq!(on["KAFKA_SERVICE_PORT_CLIENT"], "9092");
        assert_eq!(on["KAFKA_PORT_9092_TCP_ADDR"], "10.96.0.5");
        let off = service_env(&o, &ips, false);
        assert!(!off.contains_key("KAFKA_PORT"));
        assert_eq!(off["KUBERNETES_SERVICE_HOST"], KUBERNETES_SERVICE_IP);
    }

    #[test]
    fn command_and_args_expand_against_the_final_environment() {
        let c: Container = serde_json::from_value(
            json!({"name": "c", "command": ["sh", "-c", "echo $(A) $$HOME"], "args": ["$(B)"]}),
        )
        .unwrap();
        let env = BTreeMap::from([
            ("A".to_string(), "a".to_string()),
            ("B".to_string(), "b".to_string()),
        ]);
        assert_eq!(
            argv(&c, &env, &[], &["cmd".into()]),
            ["sh", "-c", "echo a $HOME", "b"]
        );
        let none: Container = serde_json::from_value(json!({"name": "c"})).unwrap();
        assert_eq!(argv(&none, &env, &[], &["/run".into()]), ["/run"]);
    }
}
