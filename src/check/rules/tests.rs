//! Every rule fires: each case renders a spec that passes every rule, breaks
//! one thing in the manifests, as a hand-edited or overridden template
//! would, and names exactly the rules that must then fire.

use super::{RULES, check};
use crate::check::manifest::{self, Manifest};
use crate::pipeline::{self, Options};
use crate::render::Document;
use crate::source::Sources;
use serde_json::{Value, json};
use std::collections::BTreeSet;

const ZOOKEEPER: &str = include_str!("../../../golden/placement-and-policy/spec.yaml");
const DEDICATED: &str = include_str!("../../../golden/kraft-dedicated-loadbalancer/spec.yaml");
const COMBINED: &str = include_str!("../../../golden/kraft-combined-nodeport/spec.yaml");
const DEPLOYMENTS: &str = include_str!("../../../golden/deployment-persistent/spec.yaml");
const SECURE: &str = include_str!("../../../golden/security-scram/spec.yaml");
const AUTHORIZED: &str = include_str!("../../../golden/security-acls/spec.yaml");
const OWN: &str = include_str!("../../../golden/security-kraft-combined/spec.yaml");

fn render(spec: &str) -> Vec<Manifest> {
    let opts = Options::for_bytes("spec.yaml", spec.as_bytes().to_vec());
    pipeline::run(&opts, &mut Sources::default())
        .expect("the spec renders and passes every rule")
        .manifests
}

fn checked(value: Value) -> Manifest {
    manifest::check(Document {
        template: "test".into(),
        value,
    })
    .expect("the edited object still fits its schema")
}

/// The manifests with every object `kind/name` edited.
fn edit(ms: &[Manifest], kind: &str, name: &str, f: &dyn Fn(&mut Value)) -> Vec<Manifest> {
    assert!(
        ms.iter().any(|m| m.kind == kind && m.name == name),
        "no {kind}/{name}"
    );
    ms.iter()
        .map(|m| {
            let mut value = m.value.clone();
            if m.kind == kind && m.name == name {
                f(&mut value);
            }
            checked(value)
        })
        .collect()
}

fn remove(ms: &[Manifest], kind: &str, name: &str) -> Vec<Manifest> {
    let before = ms.len();
    let out: Vec<Manifest> = ms
        .iter()
        .filter(|m| !(m.kind == kind && m.name == name))
        .cloned()
        .collect();
    assert_eq!(out.len() + 1, before, "no {kind}/{name}");
    out
}

fn add(ms: &[Manifest], value: Value) -> Vec<Manifest> {
    let mut out = ms.to_vec();
    out.push(checked(value));
    out
}

fn at<'v>(v: &'v mut Value, pointer: &str) -> &'v mut Value {
    v.pointer_mut(pointer)
        .unwrap_or_else(|| panic!("no {pointer}"))
}

/// The first container of a workload's pod template.
const MAIN: &str = "/spec/template/spec/containers/0";

/// Sets (or adds) an env var of the main container.
fn set_env(v: &mut Value, name: &str, value: &str) {
    let env = at(v, &format!("{MAIN}/env")).as_array_mut().unwrap();
    match env.iter_mut().find(|e| e["name"] == name) {
        Some(e) => *e = json!({ "name": name, "value": value }),
        None => env.push(json!({ "name": name, "value": value })),
    }
}

/// Rewrites one line of a per-pod settings file: `KEY=...` to `line`
/// (an empty `line` drops it).
fn set_setting(v: &mut Value, file: &str, key: &str, line: &str) {
    let text = at(v, &format!("/data/{file}"));
    let mut lines: Vec<String> = text
        .as_str()
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with(&format!("{key}=")))
        .map(str::to_string)
        .collect();
    if !line.is_empty() {
        lines.push(line.to_string());
    }
    *text = json!(lines.join("\n") + "\n");
}

/// The rules that fire.
fn fired(ms: &[Manifest]) -> BTreeSet<&'static str> {
    check(ms).into_iter().map(|v| v.rule).collect()
}

struct Case {
    name: &'static str,
    rules: &'static [&'static str],
    manifests: Vec<Manifest>,
}

fn case(name: &'static str, rules: &'static [&'static str], manifests: Vec<Manifest>) -> Case {
    Case {
        name,
        rules,
        manifests,
    }
}

fn cases() -> Vec<Case> {
    let zk = render(ZOOKEEPER);
    let job = zk.iter().find(|m| m.kind == "Job").unwrap().name.clone();
    let dedicated = render(DEDICATED);
    let combined = render(COMBINED);
    let deployments = render(DEPLOYMENTS);
    let secure = render(SECURE);
    let secure_job = secure
        .iter()
        .find(|m| m.kind == "Job" && m.name.starts_with("vault-topics-"))
        .unwrap()
        .name
        .clone();
    let authorized = render(AUTHORIZED);
    let own = render(OWN);
    let authorized_job = authorized
        .iter()
        .find(|m| m.kind == "Job" && m.name.starts_with("ledger-acls-"))
        .unwrap()
        .name
        .clone();
    let drop_env = |name: &'static str| {
        move |v: &mut Value| {
            at(v, &format!("{MAIN}/env"))
                .as_array_mut()
                .unwrap()
                .retain(|e| e["name"] != name)
        }
    };
    let kafka = |ms: &[Manifest], f: &dyn Fn(&mut Value)| edit(ms, "StatefulSet", "zoned-kafka", f);
    let kafka_pods =
        |ms: &[Manifest], f: &dyn Fn(&mut Value)| edit(ms, "ConfigMap", "zoned-kafka-pods", f);
    let zk_pods = |f: &dyn Fn(&mut Value)| edit(&zk, "ConfigMap", "zoned-zookeeper-pods", f);
    let controllers =
        |f: &dyn Fn(&mut Value)| edit(&dedicated, "StatefulSet", "payments-controller", f);
    let controller_pods =
        |f: &dyn Fn(&mut Value)| edit(&dedicated, "ConfigMap", "payments-controller-pods", f);
    let both_kraft = |f: &dyn Fn(&mut Value)| {
        let ms = edit(&dedicated, "StatefulSet", "payments-controller", f);
        edit(&ms, "StatefulSet", "payments-kafka", f)
    };
    let voters = |list: &str| {
        let list = list.to_string();
        both_kraft(&move |v| set_env(v, "KAFKA_CONTROLLER_QUORUM_VOTERS", &list))
    };
    let dns = |pod: &str| format!("{pod}.zoned-kafka-headless.kafka.svc.cluster.local");
    let controller_dns = |i: u32| {
        format!("payments-controller-{i}.payments-controller-headless.payments.svc.cluster.local")
    };
    let config_map = |name: &str| {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": name, "namespace": "kafka"}, "data": {}})
    };
    vec![
        case("an object twice", &["unique-names"], {
            let twice = zk
                .iter()
                .find(|m| m.kind == "Service")
                .unwrap()
                .value
                .clone();
            add(&zk, twice)
        }),
        case(
            "an object without a name",
            &["unique-names"],
            add(&zk, config_map("")),
        ),
        case(
            "a selector its template's labels do not match",
            &["workload-pods"],
            kafka(&zk, &|v| {
                at(v, "/spec/selector/matchLabels")["tier"] = json!("none");
            }),
        ),
        case(
            "a pod without its settings file",
            &["workload-pods"],
            kafka_pods(&zk, &|v| {
                at(v, "/data")
                    .as_object_mut()
                    .unwrap()
                    .remove("zoned-kafka-2.env");
            }),
        ),
        case(
            "a settings line that is not NAME=value",
            &["workload-pods"],
            kafka_pods(&zk, &|v| {
                set_setting(v, "zoned-kafka-1.env", "X", "garbage")
            }),
        ),
        case(
            "settings not mounted from a ConfigMap",
            &["workload-pods"],
            kafka(&zk, &|v| {
                let volumes = at(v, "/spec/template/spec/volumes").as_array_mut().unwrap();
                let settings = volumes
                    .iter_mut()
                    .find(|v| v["name"] == "pods-config")
                    .unwrap();
                *settings = json!({"name": "pods-config", "emptyDir": {}});
            }),
        ),
        case(
            "a workload without containers",
            &["workload-pods", "service-target-ports", "broker-zookeeper"],
            edit(&zk, "StatefulSet", "zoned-zookeeper", &|v| {
                *at(v, "/spec/template/spec/containers") = json!([]);
            }),
        ),
        case(
            "a Service that selects nothing",
            &["service-selects-pods"],
            edit(&zk, "Service", "zoned-zookeeper", &|v| {
                *at(v, "/spec/selector") = json!({"app": "none"});
            }),
        ),
        case(
            "a Service whose target port the pods lack",
            &["service-target-ports"],
            edit(&zk, "Service", "zoned-kafka", &|v| {
                *at(v, "/spec/ports/0/targetPort") = json!("nope");
            }),
        ),
        case(
            "a Service port name that is not an IANA service name",
            &["port-names"],
            edit(&zk, "Service", "zoned-kafka", &|v| {
                *at(v, "/spec/ports/0/name") = json!("internal-listener");
            }),
        ),
        case(
            "a container port name that is not an IANA service name",
            &["port-names"],
            kafka(&zk, &|v| {
                at(v, &format!("{MAIN}/ports"))
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"name": "Jmx", "containerPort": 7071}));
            }),
        ),
        case(
            "a container name that is not a DNS label",
            &["dns-label-names"],
            kafka(&zk, &|v| *at(v, &format!("{MAIN}/name")) = json!("Kafka")),
        ),
        case(
            "a volume name that is not a DNS label",
            &["dns-label-names"],
            kafka(&zk, &|v| {
                *at(v, "/spec/template/spec/volumes/1/name") = json!("scratch_dir");
            }),
        ),
        case(
            "a StatefulSet without serviceName",
            &["statefulset-headless", "broker-advertised-reachable"],
            kafka(&zk, &|v| {
                at(v, "/spec")
                    .as_object_mut()
                    .unwrap()
                    .remove("serviceName");
            }),
        ),
        case(
            "a StatefulSet whose serviceName is not headless",
            &["statefulset-headless", "broker-advertised-reachable"],
            kafka(&zk, &|v| *at(v, "/spec/serviceName") = json!("zoned-kafka")),
        ),
        case(
            "a headless Service that selects other pods",
            &[
                "service-selects-pods",
                "statefulset-headless",
                "broker-advertised-reachable",
            ],
            edit(&zk, "Service", "zoned-kafka-headless", &|v| {
                at(v, "/spec/selector")["app.kubernetes.io/component"] = json!("zookeeper");
                *at(v, "/spec/ports") =
                    json!([{"name": "client", "port": 2181, "targetPort": "client"}]);
            }),
        ),
        case(
            "a headless Service that hides starting pods",
            &["headless-not-ready"],
            edit(&zk, "Service", "zoned-kafka-headless", &|v| {
                *at(v, "/spec/publishNotReadyAddresses") = json!(false);
            }),
        ),
        case(
            "a NetworkPolicy that selects nothing",
            &["policy-selects-pods", "pod-has-policy"],
            edit(&zk, "NetworkPolicy", "zoned-kafka", &|v| {
                *at(v, "/spec/podSelector/matchLabels") = json!({"app": "none"});
            }),
        ),
        case(
            "a Job's NetworkPolicy in another namespace",
            &["policy-selects-pods"],
            edit(&zk, "NetworkPolicy", &job, &|v| {
                *at(v, "/metadata/namespace") = json!("elsewhere");
            }),
        ),
        case(
            "pods without a NetworkPolicy",
            &["pod-has-policy"],
            remove(&zk, "NetworkPolicy", "zoned-zookeeper"),
        ),
        case(
            "a PodDisruptionBudget that selects nothing",
            &["budget-selects-pods", "pod-budget"],
            edit(&zk, "PodDisruptionBudget", "zoned-kafka", &|v| {
                *at(v, "/spec/selector/matchLabels") = json!({"app": "none"});
            }),
        ),
        case(
            "pods without a budget",
            &["pod-budget"],
            remove(&zk, "PodDisruptionBudget", "zoned-kafka"),
        ),
        case(
            "a claim that is not rendered",
            &["volume-sources"],
            remove(&deployments, "PersistentVolumeClaim", "solo-kafka-data"),
        ),
        case(
            "a ConfigMap volume that is not rendered",
            &["volume-sources"],
            kafka(&zk, &|v| {
                at(v, "/spec/template/spec/volumes")
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"name": "extra", "configMap": {"name": "missing"}}));
            }),
        ),
        case(
            "two brokers with one id",
            &["broker-ids"],
            kafka_pods(&zk, &|v| {
                set_setting(
                    v,
                    "zoned-kafka-1.env",
                    "KAFKA_BROKER_ID",
                    "KAFKA_BROKER_ID=0",
                )
            }),
        ),
        case(
            "a broker without an id",
            &["broker-ids"],
            kafka_pods(&zk, &|v| {
                set_setting(v, "zoned-kafka-1.env", "KAFKA_BROKER_ID", "")
            }),
        ),
        case(
            "an inter-broker listener that is not bound",
            &["broker-listeners"],
            kafka(&zk, &|v| {
                set_env(v, "KAFKA_INTER_BROKER_LISTENER_NAME", "UNBOUND")
            }),
        ),
        case(
            "an advertised listener without a security protocol",
            &["broker-listeners"],
            kafka(&zk, &|v| {
                set_env(v, "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "OTHER:PLAINTEXT")
            }),
        ),
        case(
            "an advertised listener that is not NAME://host:port",
            &["broker-listeners"],
            kafka_pods(&zk, &|v| {
                let line = format!(
                    "KAFKA_ADVERTISED_LISTENERS=INTERNAL://{}",
                    dns("zoned-kafka-1")
                );
                set_setting(v, "zoned-kafka-1.env", "KAFKA_ADVERTISED_LISTENERS", &line)
            }),
        ),
        case(
            "an advertised listener that is not bound",
            &["broker-listeners"],
            kafka(&zk, &|v| {
                set_env(v, "KAFKA_LISTENERS", "OTHER://0.0.0.0:9092")
            }),
        ),
        case(
            "a listener on a port the container does not open",
            &["broker-listeners"],
            kafka(&zk, &|v| {
                set_env(v, "KAFKA_LISTENERS", "INTERNAL://0.0.0.0:9095")
            }),
        ),
        case(
            "a broker advertising another broker's name",
            &["broker-advertised-reachable"],
            kafka_pods(&zk, &|v| {
                let line = format!(
                    "KAFKA_ADVERTISED_LISTENERS=INTERNAL://{}:9092",
                    dns("zoned-kafka-0")
                );
                set_setting(v, "zoned-kafka-1.env", "KAFKA_ADVERTISED_LISTENERS", &line)
            }),
        ),
        case(
            "a broker advertising the wrong port",
            &["broker-advertised-reachable"],
            kafka_pods(&zk, &|v| {
                let line = format!(
                    "KAFKA_ADVERTISED_LISTENERS=INTERNAL://{}:9999",
                    dns("zoned-kafka-1")
                );
                set_setting(v, "zoned-kafka-1.env", "KAFKA_ADVERTISED_LISTENERS", &line)
            }),
        ),
        case(
            "a broker advertising a shared Service",
            &["broker-advertised-reachable"],
            kafka_pods(&zk, &|v| {
                let line = "KAFKA_ADVERTISED_LISTENERS=INTERNAL://zoned-kafka.kafka.svc.cluster.local:9092";
                set_setting(v, "zoned-kafka-1.env", "KAFKA_ADVERTISED_LISTENERS", line)
            }),
        ),
        case(
            "a broker advertising a name no pod has",
            &["broker-advertised-reachable"],
            kafka_pods(&zk, &|v| {
                let line = format!(
                    "KAFKA_ADVERTISED_LISTENERS=INTERNAL://{}:9092",
                    dns("zoned-kafka-7")
                );
                set_setting(v, "zoned-kafka-1.env", "KAFKA_ADVERTISED_LISTENERS", &line)
            }),
        ),
        case(
            "a load-balanced broker without its load balancer",
            &["broker-advertised-reachable"],
            remove(&dedicated, "Service", "payments-kafka-1-external"),
        ),
        case(
            "a load balancer on another port",
            &["broker-advertised-reachable"],
            edit(&dedicated, "Service", "payments-kafka-1-external", &|v| {
                *at(v, "/spec/ports/0/port") = json!(19999);
            }),
        ),
        case(
            "a load balancer that forwards to another listener",
            &["broker-advertised-reachable"],
            edit(&dedicated, "Service", "payments-kafka-1-external", &|v| {
                *at(v, "/spec/ports/0/targetPort") = json!("internal");
            }),
        ),
        case(
            "a node port Service on another node port",
            &["broker-advertised-reachable"],
            edit(&combined, "Service", "trio-kafka-2-external", &|v| {
                *at(v, "/spec/ports/0/nodePort") = json!(31999);
            }),
        ),
        case(
            "a node IP that is not the node's",
            &["broker-advertised-reachable"],
            edit(&combined, "StatefulSet", "trio-kafka", &|v| {
                set_env(v, "NODE_IP", "10.0.0.1")
            }),
        ),
        case(
            "a ZooKeeper address that is not rendered",
            &["broker-zookeeper"],
            kafka(&zk, &|v| {
                set_env(
                    v,
                    "KAFKA_ZOOKEEPER_CONNECT",
                    "zk.kafka.svc.cluster.local:2181",
                )
            }),
        ),
        case(
            "a ZooKeeper address without a port",
            &["broker-zookeeper"],
            kafka(&zk, &|v| {
                set_env(v, "KAFKA_ZOOKEEPER_CONNECT", "zoned-zookeeper")
            }),
        ),
        case(
            "brokers that reach ZooKeeper through its client Service",
            &[],
            kafka(&zk, &|v| {
                set_env(
                    v,
                    "KAFKA_ZOOKEEPER_CONNECT",
                    "zoned-zookeeper.kafka.svc.cluster.local:2181",
                )
            }),
        ),
        case(
            "a ZooKeeper Service port that is not served",
            &["broker-zookeeper"],
            kafka(&zk, &|v| {
                set_env(
                    v,
                    "KAFKA_ZOOKEEPER_CONNECT",
                    "zoned-zookeeper.kafka.svc.cluster.local:2182",
                )
            }),
        ),
        case(
            "a ZooKeeper server id out of range",
            &["zookeeper-ids"],
            zk_pods(&|v| {
                set_setting(
                    v,
                    "zoned-zookeeper-0.env",
                    "ZOOKEEPER_SERVER_ID",
                    "ZOOKEEPER_SERVER_ID=4",
                )
            }),
        ),
        case(
            "a ZooKeeper server id of another server",
            &["zookeeper-ids"],
            zk_pods(&|v| {
                set_setting(
                    v,
                    "zoned-zookeeper-0.env",
                    "ZOOKEEPER_SERVER_ID",
                    "ZOOKEEPER_SERVER_ID=2",
                )
            }),
        ),
        case(
            "a ZooKeeper server list entry that is not a pod",
            &["zookeeper-servers", "zookeeper-ids"],
            edit(&zk, "StatefulSet", "zoned-zookeeper", &|v| {
                let servers = "zoned-zookeeper-0.zoned-zookeeper-headless.kafka.svc.cluster.local:2888:3888;zoned-zookeeper-1.zoned-zookeeper-headless.kafka.svc.cluster.local:2888:3888;zk.example.com:2888:3888";
                set_env(v, "ZOOKEEPER_SERVERS", servers)
            }),
        ),
        case(
            "KRaft nodes with two cluster ids",
            &["kraft-agreement"],
            controllers(&|v| set_env(v, "CLUSTER_ID", "AAAAAAAAAAAAAAAAAAAAAA")),
        ),
        case(
            "KRaft nodes without a cluster id",
            &["kraft-agreement"],
            both_kraft(&|v| set_env(v, "CLUSTER_ID", "")),
        ),
        case(
            "KRaft nodes with two voter lists",
            &["kraft-agreement"],
            controllers(&|v| {
                let voters = format!(
                    "9000@{}:9093,9001@{}:9093,9002@{}:9093,",
                    controller_dns(0),
                    controller_dns(1),
                    controller_dns(2)
                );
                set_env(v, "KAFKA_CONTROLLER_QUORUM_VOTERS", &voters)
            }),
        ),
        case(
            "two KRaft nodes with one node id",
            &["kraft-node-ids", "broker-ids"],
            edit(&dedicated, "ConfigMap", "payments-kafka-pods", &|v| {
                set_setting(
                    v,
                    "payments-kafka-1.env",
                    "KAFKA_NODE_ID",
                    "KAFKA_NODE_ID=0",
                )
            }),
        ),
        case(
            "a KRaft node without a node id",
            &["kraft-node-ids", "kraft-voters"],
            controller_pods(&|v| set_setting(v, "payments-controller-2.env", "KAFKA_NODE_ID", "")),
        ),
        case(
            "a controller listener without a security protocol",
            &["kraft-controller-protocol"],
            controllers(&|v| set_env(v, "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "OTHER:PLAINTEXT")),
        ),
        case(
            "a controller that advertises",
            &["kraft-controllers-internal", "broker-advertised-reachable"],
            controllers(&|v| {
                set_env(
                    v,
                    "KAFKA_ADVERTISED_LISTENERS",
                    "CONTROLLER://$(HOSTNAME).payments-controller-headless.payments.svc.cluster.local:9093",
                )
            }),
        ),
        case(
            "a controller behind a load balancer",
            &["kraft-controllers-internal", "broker-advertised-reachable"],
            edit(&dedicated, "Service", "payments-kafka-0-external", &|v| {
                *at(v, "/spec/selector") =
                    json!({"statefulset.kubernetes.io/pod-name": "payments-controller-0"});
                *at(v, "/spec/ports/0/targetPort") = json!(9093);
            }),
        ),
        case(
            "a voter that is not id@host:port",
            &["kraft-voters", "kraft-controllers-vote"],
            voters("9000-controller"),
        ),
        case(
            "a voter that is no pod",
            &["kraft-voters", "kraft-controllers-vote"],
            voters("9000@controller.example.com:9093"),
        ),
        case(
            "a voter that is a broker",
            &["kraft-voters", "kraft-controllers-vote"],
            voters("0@payments-kafka-0.payments-kafka-headless.payments.svc.cluster.local:9092"),
        ),
        case("a voter with another node id", &["kraft-voters"], {
            let list = format!(
                "9000@{0}:9093,9001@{1}:9093,9005@{2}:9093",
                controller_dns(0),
                controller_dns(1),
                controller_dns(2)
            );
            voters(&list)
        }),
        case("a voter on another port", &["kraft-voters"], {
            let list = format!(
                "9000@{0}:9093,9001@{1}:9093,9002@{2}:9094",
                controller_dns(0),
                controller_dns(1),
                controller_dns(2)
            );
            voters(&list)
        }),
        case(
            "a controller that does not vote",
            &["kraft-controllers-vote"],
            {
                let list = format!(
                    "9000@{0}:9093,9001@{1}:9093",
                    controller_dns(0),
                    controller_dns(1)
                );
                voters(&list)
            },
        ),
        case(
            "a pod that may run as root",
            &["restricted-pod"],
            kafka(&zk, &|v| {
                *at(v, "/spec/template/spec/securityContext/runAsNonRoot") = json!(false);
            }),
        ),
        case(
            "a pod without the RuntimeDefault seccomp profile",
            &["restricted-pod"],
            kafka(&zk, &|v| {
                *at(v, "/spec/template/spec/securityContext/seccompProfile/type") =
                    json!("Unconfined");
            }),
        ),
        case(
            "a Job that mounts a service account token",
            &["restricted-pod"],
            edit(&zk, "Job", &job, &|v| {
                *at(v, "/spec/template/spec/automountServiceAccountToken") = json!(true);
            }),
        ),
        case(
            "a container that may escalate",
            &["restricted-containers"],
            kafka(&zk, &|v| {
                *at(
                    v,
                    &format!("{MAIN}/securityContext/allowPrivilegeEscalation"),
                ) = json!(true);
            }),
        ),
        case(
            "a privileged init container",
            &["restricted-containers"],
            kafka(&zk, &|v| {
                at(v, "/spec/template/spec/initContainers/0/securityContext")["privileged"] =
                    json!(true);
            }),
        ),
        case(
            "a container with a writable root filesystem",
            &["restricted-containers"],
            kafka(&zk, &|v| {
                *at(v, &format!("{MAIN}/securityContext/readOnlyRootFilesystem")) = json!(false);
            }),
        ),
        case(
            "a container that keeps its capabilities",
            &["restricted-containers"],
            edit(&zk, "Job", &job, &|v| {
                *at(v, &format!("{MAIN}/securityContext/capabilities/drop")) = json!(["NET_RAW"]);
            }),
        ),
        case(
            "a container without a memory limit",
            &["container-resources"],
            kafka(&zk, &|v| {
                at(v, "/spec/template/spec/initContainers/0/resources")
                    .as_object_mut()
                    .unwrap()
                    .remove("limits");
            }),
        ),
        case(
            "a Job container without a cpu request",
            &["container-resources"],
            edit(&zk, "Job", &job, &|v| {
                at(v, &format!("{MAIN}/resources/requests"))
                    .as_object_mut()
                    .unwrap()
                    .remove("cpu");
            }),
        ),
        case(
            "a container without a memory request",
            &["container-resources"],
            kafka(&zk, &|v| {
                at(v, &format!("{MAIN}/resources/requests"))
                    .as_object_mut()
                    .unwrap()
                    .remove("memory");
            }),
        ),
        case(
            "a container without a readiness probe",
            &["probes"],
            kafka(&zk, &|v| {
                at(v, MAIN)
                    .as_object_mut()
                    .unwrap()
                    .remove("readinessProbe");
            }),
        ),
        case(
            "a TLS listener advertised at a host its certificate does not name",
            &["tls-names"],
            edit(&secure, "Certificate", "vault-kafka-tls", &|v| {
                at(v, "/spec/dnsNames")
                    .as_array_mut()
                    .unwrap()
                    .retain(|n| n != "kafka-1.vault.example.com");
            }),
        ),
        case(
            "a SASL listener without its login module",
            &["sasl-login"],
            edit(
                &secure,
                "StatefulSet",
                "vault-kafka",
                &drop_env("KAFKA_LISTENER_NAME_EXTERNAL_SCRAM___SHA___512_SASL_JAAS_CONFIG"),
            ),
        ),
        case(
            "brokers requiring client certificates of each other without one for client auth",
            &["inter-broker-credentials"],
            edit(&secure, "Certificate", "vault-kafka-tls", &|v| {
                at(v, "/spec/usages")
                    .as_array_mut()
                    .unwrap()
                    .retain(|u| u != "client auth");
            }),
        ),
        case(
            "brokers replicating over TLS without a truststore",
            &["inter-broker-credentials"],
            edit(
                &secure,
                "StatefulSet",
                "vault-kafka",
                &drop_env("KAFKA_SSL_TRUSTSTORE_LOCATION"),
            ),
        ),
        case(
            "a Job speaking PLAINTEXT to a TLS listener",
            &["job-client-settings"],
            edit(&secure, "Job", &secure_job, &|v| {
                set_env(v, "CLIENT_PROPERTIES", "security.protocol=PLAINTEXT\n")
            }),
        ),
        case(
            "brokers replicating as a principal that is not a super user",
            &["super-users"],
            edit(&authorized, "StatefulSet", "ledger-kafka", &|v| {
                set_env(v, "KAFKA_SUPER_USERS", "User:ledger-admin;User:ops-oncall")
            }),
        ),
        case(
            "a Job logging in with a user's certificate under an authorizer",
            &["super-users"],
            edit(&authorized, "Job", &authorized_job, &|v| {
                let volumes = at(v, "/spec/template/spec/volumes").as_array_mut().unwrap();
                for vol in volumes.iter_mut().filter(|vol| vol["name"] == "tls") {
                    vol["secret"]["secretName"] = json!("ledger-user-auditor");
                }
            }),
        ),
        case(
            "a certificate of the user's own whose stated names miss the brokers' pod names",
            &["tls-names"],
            edit(&own, "StatefulSet", "combo-kafka", &|v| {
                let names = at(v, "/metadata/annotations/kafkagen.io~1certificate-names");
                let kept: Vec<&str> = names
                    .as_str()
                    .unwrap()
                    .split(',')
                    .filter(|n| !n.starts_with("*."))
                    .collect();
                *names = json!(kept.join(","));
            }),
        ),
        case(
            "a certificate Secret of the user's own that nothing describes",
            &["tls-names", "inter-broker-credentials"],
            edit(&own, "StatefulSet", "combo-kafka", &|v| {
                at(v, "/metadata")
                    .as_object_mut()
                    .unwrap()
                    .remove("annotations");
            }),
        ),
        case(
            "an admin certificate of the user's own with another subject under an authorizer",
            &["super-users"],
            edit(&own, "CronJob", "combo-tls-reload", &|v| {
                *at(v, "/metadata/annotations/kafkagen.io~1certificate-subject") =
                    json!("CN=someone-else");
            }),
        ),
        case(
            "a CronJob logging in with a user's certificate under an authorizer",
            &["super-users"],
            edit(&authorized, "CronJob", "ledger-tls-reload", &|v| {
                let volumes = at(v, "/spec/jobTemplate/spec/template/spec/volumes")
                    .as_array_mut()
                    .unwrap();
                for vol in volumes.iter_mut().filter(|vol| vol["name"] == "tls") {
                    vol["secret"]["secretName"] = json!("ledger-user-auditor");
                }
            }),
        ),
        case(
            "a CronJob's pods that mount a service account token",
            &["restricted-pod"],
            edit(&secure, "CronJob", "vault-tls-reload", &|v| {
                at(v, "/spec/jobTemplate/spec/template/spec")["automountServiceAccountToken"] =
                    json!(true);
            }),
        ),
        case(
            "a container without a liveness probe",
            &["probes"],
            edit(&deployments, "Deployment", "solo-kafka", &|v| {
                at(v, MAIN).as_object_mut().unwrap().remove("livenessProbe");
            }),
        ),
    ]
}

#[test]
fn the_rendered_fixtures_pass_every_rule() {
    for spec in [
        ZOOKEEPER,
        DEDICATED,
        COMBINED,
        DEPLOYMENTS,
        SECURE,
        AUTHORIZED,
    ] {
        assert_eq!(check(&render(spec)), vec![]);
    }
}

#[test]
fn each_case_fires_exactly_its_rules() {
    let mut failures = Vec::new();
    for c in cases() {
        let expected: BTreeSet<&str> = c.rules.iter().copied().collect();
        let got = fired(&c.manifests);
        if got != expected {
            failures.push(format!(
                "{}: expected {expected:?}, fired {got:?}: {:#?}",
                c.name,
                check(&c.manifests)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_rule_has_a_case_that_fires_it() {
    let cases = cases();
    let tested: BTreeSet<&str> = cases.iter().flat_map(|c| c.rules.iter().copied()).collect();
    let untested: Vec<&str> = RULES
        .iter()
        .map(|r| r.id)
        .filter(|id| !tested.contains(id))
        .collect();
    assert!(untested.is_empty(), "rules no case fires: {untested:?}");
    let ids: BTreeSet<&str> = RULES.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), RULES.len(), "rule ids are unique");
}

#[test]
fn violations_name_the_objects_involved() {
    let ms = remove(
        &render(DEPLOYMENTS),
        "PersistentVolumeClaim",
        "solo-kafka-data",
    );
    let v = check(&ms);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].rule, "volume-sources");
    assert_eq!(
        v[0].objects,
        [
            "Deployment/solo-kafka",
            "PersistentVolumeClaim/solo-kafka-data"
        ]
    );
    assert_eq!(
        v[0].to_string(),
        "Deployment `solo-kafka`: volume `data` names PersistentVolumeClaim `solo-kafka-data`, which is not rendered"
    );
}

#[test]
fn the_reference_lists_every_rule() {
    let readme = include_str!("../../../docs/spec.md");
    for rule in RULES {
        let row = format!("| `{}` | {} |", rule.id, rule.guarantees);
        assert!(readme.contains(&row), "docs/spec.md lacks the row {row}");
    }
}

/// What each case reports, word for word, as a user reads it: reviewed in
/// `src/check/rules/cases.txt` (`UPDATE_GOLDEN=1 cargo test` rewrites it).
#[test]
fn each_case_reports_what_the_golden_file_says() {
    let mut text = String::new();
    for c in cases() {
        text += &format!("## {}\n", c.name);
        for v in check(&c.manifests) {
            text += &format!("error[{}] ({}) {v}\n", v.rule, v.objects.join(" "));
        }
        text += "\n";
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/check/rules/cases.txt");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &text).expect("writes the golden file");
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        expected == text,
        "src/check/rules/cases.txt differs from what the cases report; review with UPDATE_GOLDEN=1 cargo test and git diff"
    );
}
