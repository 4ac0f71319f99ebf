//! The binary as users run it: exit codes, streams, determinism, overrides,
//! and the checks that must stop a broken render.

use serde_json::Value;
use std::io::Read;
use std::process::{Command, Stdio};

mod common;
use common::*;

const LB_SPEC: &str = "\
name: prod
profile: production
kafka:
  exposure:
    mode: loadbalancer
    hostTemplate: \"b{id}.kafka.example.com\"
";

#[test]
fn output_is_identical_across_runs_set_and_key_order() {
    let dir = workdir(
        "determinism",
        &[
            (
                "a.yaml",
                "name: d\nprofile: production\nkafka:\n  brokers: 5\n  partitions: 7\n",
            ),
            (
                "b.yaml",
                "kafka:\n  partitions: 7\n  brokers: 5\nprofile: production\nname: d\n",
            ),
            (
                "c.yaml",
                "name: d\nprofile: production\nkafka:\n  partitions: 7\n",
            ),
        ],
    );
    let first = ok(&kafkagen(&dir, &["render", "a.yaml"]));
    assert_eq!(first, ok(&kafkagen(&dir, &["render", "a.yaml"])));
    assert_eq!(first, ok(&kafkagen(&dir, &["render", "b.yaml"])));
    assert_eq!(
        first,
        ok(&kafkagen(
            &dir,
            &["render", "c.yaml", "--set", "kafka.brokers=5"]
        ))
    );
    let piped = with_stdin(
        &dir,
        &["render", "-"],
        &std::fs::read(dir.join("a.yaml")).unwrap(),
    );
    assert_eq!(first, ok(&piped));
}

#[test]
fn production_loadbalancer_gives_every_pod_its_own_identity_and_address() {
    let dir = workdir("production-lb", &[("spec.yaml", LB_SPEC)]);
    let items = items(&ok(&kafkagen(&dir, &["render", "spec.yaml", "-o", "json"])));

    let zk = find(&items, "ConfigMap", "prod-zookeeper-pods");
    let sts = find(&items, "StatefulSet", "prod-zookeeper");
    let env = &sts["spec"]["template"]["spec"]["containers"][0]["env"];
    let servers = env
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "ZOOKEEPER_SERVERS")
        .unwrap()["value"]
        .as_str()
        .unwrap()
        .to_string();
    for i in 0..3 {
        let pod = format!("prod-zookeeper-{i}");
        assert_eq!(
            zk["data"][format!("{pod}.env")],
            format!("ZOOKEEPER_SERVER_ID={}\n", i + 1)
        );
        let entry = servers.split(';').nth(i).unwrap();
        assert_eq!(
            entry,
            format!("{pod}.prod-zookeeper-headless.kafka.svc.cluster.local:2888:3888")
        );
    }

    let brokers = find(&items, "ConfigMap", "prod-kafka-pods");
    for id in 0..3 {
        let pod = format!("prod-kafka-{id}");
        let settings = brokers["data"][format!("{pod}.env")].as_str().unwrap();
        assert_eq!(
            settings,
            format!(
                "KAFKA_BROKER_ID={id}\nKAFKA_ADVERTISED_LISTENERS=INTERNAL://{pod}.prod-kafka-headless.kafka.svc.cluster.local:9092,REPLICATION://{pod}.prod-kafka-headless.kafka.svc.cluster.local:9091,EXTERNAL://b{id}.kafka.example.com:9094\n"
            )
        );
        let svc = find(&items, "Service", &format!("prod-kafka-{id}-external"));
        assert_eq!(svc["spec"]["type"], "LoadBalancer");
        assert_eq!(
            svc["spec"]["selector"]["statefulset.kubernetes.io/pod-name"],
            pod
        );
        assert_eq!(svc["spec"]["ports"][0]["port"], 9094);
    }
    let lbs = items
        .iter()
        .filter(|i| i["kind"] == "Service" && i["spec"]["type"] == "LoadBalancer")
        .count();
    assert_eq!(lbs, 4, "three per-broker load balancers and one bootstrap");
}

#[test]
fn json_and_yaml_hold_the_same_objects_in_the_same_order() {
    let dir = workdir("formats", &[("spec.yaml", LB_SPEC)]);
    let yaml = ok(&kafkagen(&dir, &["render", "spec.yaml"]));
    let json = items(&ok(&kafkagen(&dir, &["render", "spec.yaml", "-o", "json"])));
    let yaml_kinds: Vec<&str> = yaml
        .lines()
        .filter_map(|l| l.strip_prefix("kind: "))
        .collect();
    let json_kinds: Vec<&str> = json.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!(yaml_kinds, json_kinds);
    assert_eq!(yaml.matches("\n---\n").count() + 1, json.len());
}

#[test]
fn no_spec_renders_the_default_profile_and_validate_prints_nothing_on_stdout() {
    let dir = workdir("defaults", &[]);
    let yaml = ok(&kafkagen(&dir, &["render"]));
    assert!(
        yaml.contains("type: NodePort"),
        "minikube exposes brokers by NodePort"
    );
    let out = kafkagen(&dir, &["validate"]);
    assert_eq!(ok(&out), "");
    assert!(
        text(&out.stderr).starts_with("valid: "),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn profiles_lists_each_builtin_with_a_description() {
    let dir = workdir("profiles", &[]);
    let out = ok(&kafkagen(&dir, &["profiles"]));
    let names: Vec<&str> = out
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "quickstart",
            "minikube",
            "production",
            "minikube-kraft",
            "production-kraft"
        ]
    );
    assert!(out.lines().all(|l| l.split_whitespace().count() > 3));
}

#[test]
fn profiles_on_disk_override_the_builtin_ones() {
    let dir = workdir(
        "profile-dir",
        &[
            (
                "mine/production.yaml",
                "kafka:\n  brokers: 2\n  replicationFactor: 2\n",
            ),
            ("spec.yaml", "name: x\nprofile: production\n"),
        ],
    );
    let json = items(&ok(&kafkagen(
        &dir,
        &["render", "spec.yaml", "--profiles", "mine", "-o", "json"],
    )));
    assert_eq!(find(&json, "StatefulSet", "x-kafka")["spec"]["replicas"], 2);
}

#[test]
fn usage_errors_exit_2() {
    let dir = workdir("usage", &[]);
    fails_with_usage(&kafkagen(&dir, &["render", "--no-such-flag"]));
    fails_with_usage(&kafkagen(&dir, &["render", "-o", "xml"]));
    fails_with_usage(&kafkagen(&dir, &["render", "--out-dir", "m", "-o", "json"]));
}

#[test]
fn unreadable_and_malformed_specs_fail_cleanly() {
    let dir = workdir(
        "bad-files",
        &[("empty.yaml", ""), ("list.yaml", "- a\n- b\n")],
    );
    std::fs::write(dir.join("latin1.yaml"), b"name: caf\xe9\n").unwrap();
    assert!(
        fails(&kafkagen(&dir, &["render", "missing.yaml"]))
            .contains("cannot read spec `missing.yaml`")
    );
    assert!(fails(&kafkagen(&dir, &["render", "empty.yaml"])).contains("the spec is empty"));
    assert!(fails(&kafkagen(&dir, &["render", "latin1.yaml"])).contains("not UTF-8"));
    assert!(fails(&kafkagen(&dir, &["render", "list.yaml"])).contains("must be a mapping"));
    let err = fails(&kafkagen(&dir, &["render", "--set", "kafka.brokers"]));
    assert!(err.contains("has no `=`"), "{err}");
    let err = fails(&kafkagen(&dir, &["render", "--set", "kafka.brokers=many"]));
    assert!(err.contains("--set:1:15"), "{err}");
}

#[test]
fn values_cannot_inject_keys_or_documents() {
    let hostile = "x\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: stolen}\n{{ 7 * 7 }}";
    let spec = format!(
        "name: inj\nkafka:\n  exposure:\n    mode: loadbalancer\n    hosts: [b0.example.com]\n    annotations:\n      example.com/note: {}\n",
        serde_json::to_string(hostile).unwrap()
    );
    let dir = workdir("injection", &[("spec.yaml", &spec)]);
    let json = items(&ok(&kafkagen(&dir, &["render", "spec.yaml", "-o", "json"])));
    assert!(json.iter().all(|i| i["kind"] != "Secret"));
    let svc = find(&json, "Service", "inj-kafka-0-external");
    assert_eq!(svc["metadata"]["annotations"]["example.com/note"], hostile);
    // In YAML the value becomes an indented literal block: its `---` and
    // `kind:` lines are text, not a document marker or a key.
    let yaml = ok(&kafkagen(&dir, &["render", "spec.yaml"]));
    assert!(yaml.lines().all(|l| l != "kind: Secret"));
    assert_eq!(yaml.lines().filter(|l| *l == "---").count(), json.len());

    for (field, value) in [
        ("name", "\"a\\n---\\nkind: Secret\""),
        ("namespace", "\"{{ 7 * 7 }}\""),
    ] {
        let dir = workdir(
            "injection-field",
            &[("spec.yaml", &format!("{field}: {value}\n"))],
        );
        let err = fails(&kafkagen(&dir, &["render", "spec.yaml"]));
        assert!(err.contains(&format!("`{field}`")), "{err}");
    }
    let dir = workdir(
        "injection-config",
        &[(
            "spec.yaml",
            "name: c\nkafka:\n  config:\n    log.cleaner.enable: \"true\\nKAFKA_PORT=1\"\n",
        )],
    );
    assert!(fails(&kafkagen(&dir, &["render", "spec.yaml"])).contains("control character"));
}

#[test]
fn overridden_templates_are_checked_like_the_builtin_ones() {
    // A misspelt field in a replacement template: caught by the typed round trip.
    let services = include_str!("../templates/component/services.yaml.j2")
        .replace("publishNotReadyAddresses", "publishNotReadyAdresses");
    let dir = workdir(
        "templates-typo",
        &[("t/component/services.yaml.j2", &services)],
    );
    let err = fails(&kafkagen(&dir, &["render", "--templates", "t"]));
    assert!(
        err.contains("field `spec.publishNotReadyAdresses` is not part of the schema"),
        "{err}"
    );

    // An undefined variable is an error, never a blank.
    let dir = workdir(
        "templates-undefined",
        &[(
            "t/namespace.yaml.j2",
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {{ nmespace }}\n",
        )],
    );
    let err = fails(&kafkagen(&dir, &["render", "--templates", "t"]));
    assert!(
        err.contains("namespace.yaml.j2") && err.contains("undefined"),
        "{err}"
    );

    // Names Kubernetes would refuse, which the schema does not check.
    let workload = include_str!("../templates/component/workload.yaml.j2")
        .replace("- name: {{ k.name }}", "- name: Seed_Config");
    let dir = workdir(
        "templates-names",
        &[("t/component/workload.yaml.j2", &workload)],
    );
    let err = fails(&kafkagen(&dir, &["render", "--templates", "t"]));
    assert!(
        err.contains("container name `Seed_Config` is not a DNS-1123 label"),
        "{err}"
    );

    // Per-broker Services that select every broker: a client sent to broker 1's
    // address could land on broker 0. The reachability rule refuses it.
    let external = include_str!("../templates/kafka/external-services.yaml.j2").replace(
        "selector: {{ s.selector }}",
        "selector: {{ external.bootstrap.selector }}",
    );
    let dir = workdir(
        "templates-selector",
        &[
            ("t/kafka/external-services.yaml.j2", &external),
            ("spec.yaml", LB_SPEC),
        ],
    );
    let err = fails(&kafkagen(
        &dir,
        &["render", "spec.yaml", "--templates", "t"],
    ));
    assert!(err.contains("error[broker-advertised-reachable]: broker `prod-kafka-1` advertises EXTERNAL://b1.kafka.example.com:9094, but no LoadBalancer"), "{err}");
}

/// Templates are read back by a fast reader of what the built-in ones print;
/// an override that writes YAML any other way goes to the full parser.
#[test]
fn overridden_templates_may_use_any_yaml() {
    let namespace = "{% if create_namespace %}\n\
        apiVersion: 'v1'\n\
        kind: !!str Namespace\n\
        metadata: &m\n  name: {{ namespace }}\n  labels:\n\
        \x20   app.kubernetes.io/managed-by: >-\n      kafkagen\n\
        {% endif %}\n";
    let dir = workdir("templates-any-yaml", &[("t/namespace.yaml.j2", namespace)]);
    let built_in = ok(&kafkagen(&dir, &["render"]));
    assert!(built_in.contains("kind: Namespace\n"), "{built_in}");
    assert_eq!(
        ok(&kafkagen(&dir, &["render", "--templates", "t"])),
        built_in
    );

    // Output that is not YAML: the template and the line are named.
    let dir = workdir(
        "templates-bad-yaml",
        &[(
            "t/namespace.yaml.j2",
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {{ namespace }}\n   labels: {}\n",
        )],
    );
    let err = fails(&kafkagen(&dir, &["render", "--templates", "t"]));
    assert!(
        err.contains("template `namespace.yaml.j2` produced invalid YAML at line 5"),
        "{err}"
    );
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let dir = workdir("pipe", &[]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_kafkagen"))
        .args([
            "render",
            "--profile",
            "production",
            "--set",
            "kafka.brokers=300",
        ])
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

/// Every `NAME=value` of a pod: its container env, then its settings file.
fn pod_env(items: &[Value], workload: &str, settings: &str, pod: &str) -> Vec<(String, String)> {
    let sts = find(items, "StatefulSet", workload);
    let mut env: Vec<(String, String)> = sts["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| {
            Some((
                e["name"].as_str()?.to_string(),
                e["value"].as_str()?.to_string(),
            ))
        })
        .collect();
    let file = find(items, "ConfigMap", settings)["data"][format!("{pod}.env")]
        .as_str()
        .unwrap_or_else(|| panic!("no settings for {pod}"))
        .to_string();
    for line in file.lines() {
        let (k, v) = line.split_once('=').unwrap();
        env.push((k.to_string(), v.to_string()));
    }
    env
}

fn get<'a>(env: &'a [(String, String)], key: &str) -> Option<&'a str> {
    env.iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

const KRAFT_SPEC: &str = "name: kr\nmode: kraft\nkraft:\n  controllers: 3\nkafka:\n  brokers: 5\n  replicationFactor: 3\n";

#[test]
fn kraft_nodes_share_one_quorum_and_cluster_id_with_distinct_ids() {
    let dir = workdir("kraft", &[("spec.yaml", KRAFT_SPEC)]);
    let out = ok(&kafkagen(&dir, &["render", "spec.yaml", "-o", "json"]));
    assert_eq!(
        out,
        ok(&kafkagen(&dir, &["render", "spec.yaml", "-o", "json"]))
    );
    let all = items(&out);
    let mut pods = Vec::new();
    for i in 0..3 {
        pods.push(pod_env(
            &all,
            "kr-controller",
            "kr-controller-pods",
            &format!("kr-controller-{i}"),
        ));
    }
    for i in 0..5 {
        pods.push(pod_env(
            &all,
            "kr-kafka",
            "kr-kafka-pods",
            &format!("kr-kafka-{i}"),
        ));
    }
    assert_eq!(pods.len(), 8);
    let ids: std::collections::BTreeSet<&str> = pods
        .iter()
        .map(|e| get(e, "KAFKA_NODE_ID").unwrap())
        .collect();
    assert_eq!(ids.len(), 8, "{ids:?}");
    let voters = get(&pods[0], "KAFKA_CONTROLLER_QUORUM_VOTERS").unwrap();
    assert_eq!(
        voters,
        (0..3)
            .map(|i| format!(
                "{}@kr-controller-{i}.kr-controller-headless.kafka.svc.cluster.local:9093",
                9000 + i
            ))
            .collect::<Vec<_>>()
            .join(",")
    );
    let cluster_id = get(&pods[0], "CLUSTER_ID").unwrap();
    assert_eq!(cluster_id.len(), 22);
    for env in &pods {
        assert_eq!(get(env, "KAFKA_CONTROLLER_QUORUM_VOTERS"), Some(voters));
        assert_eq!(get(env, "CLUSTER_ID"), Some(cluster_id));
    }
    for env in &pods[..3] {
        assert_eq!(get(env, "KAFKA_PROCESS_ROLES"), Some("controller"));
        assert_eq!(get(env, "KAFKA_ADVERTISED_LISTENERS"), None);
    }

    // Only the name changes: the derived cluster id changes with it.
    let renamed = workdir(
        "kraft-renamed",
        &[("spec.yaml", &KRAFT_SPEC.replace("name: kr", "name: kr2"))],
    );
    let items2 = items(&ok(&kafkagen(
        &renamed,
        &["render", "spec.yaml", "-o", "json"],
    )));
    let env2 = pod_env(
        &items2,
        "kr2-controller",
        "kr2-controller-pods",
        "kr2-controller-0",
    );
    assert_ne!(get(&env2, "CLUSTER_ID"), Some(cluster_id));
}

#[test]
fn a_profiles_sections_for_the_other_mode_do_not_apply() {
    // production sets a zookeeper section; over it, mode kraft is fine...
    let dir = workdir(
        "mode-over-profile",
        &[("spec.yaml", "name: m\nprofile: production\nmode: kraft\n")],
    );
    let json = items(&ok(&kafkagen(&dir, &["render", "spec.yaml", "-o", "json"])));
    assert!(json.iter().all(|i| i["metadata"]["name"] != "m-zookeeper"));
    assert!(json.iter().any(|i| i["metadata"]["name"] == "m-controller"));
    // ...and so is its opposite, whatever the spec's own sections say.
    let dir = workdir("mode-over-profile-2", &[]);
    ok(&kafkagen(
        &dir,
        &[
            "render",
            "--profile",
            "production-kraft",
            "--set",
            "mode=zookeeper",
        ],
    ));
    // But a zookeeper section of the user's own in a kraft spec is an error.
    let err = fails(&kafkagen(
        &dir,
        &[
            "render",
            "--profile",
            "production-kraft",
            "--set",
            "zookeeper.replicas=3",
        ],
    ));
    assert!(
        err.contains("`zookeeper` applies only to `mode: zookeeper`"),
        "{err}"
    );
}

#[test]
fn a_broken_quorum_is_refused() {
    // Voters that point at a port no controller listens on.
    let workload = include_str!("../templates/component/workload.yaml.j2").replace(
        "value: {{ e.value }}",
        "value: {{ e.value | replace(\":9093,\", \":9999,\") }}",
    );
    let dir = workdir(
        "kraft-broken",
        &[
            ("t/component/workload.yaml.j2", &workload),
            ("spec.yaml", KRAFT_SPEC),
        ],
    );
    let err = fails(&kafkagen(
        &dir,
        &["render", "spec.yaml", "--templates", "t"],
    ));
    assert!(
        err.contains("has no controller listener on port 9999"),
        "{err}"
    );
}

#[test]
fn adding_a_broker_adds_its_objects_and_restarts_no_one() {
    let spec = |brokers: u32| {
        format!(
            "name: grow\nprofile: production\nkafka:\n  brokers: {brokers}\n  exposure:\n    mode: loadbalancer\n    hostTemplate: \"b{{id}}.example.com\"\ntopics:\n  - name: t\n"
        )
    };
    let dir = workdir("grow", &[("three.yaml", &spec(3)), ("four.yaml", &spec(4))]);
    let key = |i: &Value| {
        format!(
            "{} {}",
            i["kind"].as_str().unwrap(),
            i["metadata"]["name"].as_str().unwrap()
        )
    };
    let three = items(&ok(&kafkagen(
        &dir,
        &["render", "three.yaml", "-o", "json"],
    )));
    let four = items(&ok(&kafkagen(&dir, &["render", "four.yaml", "-o", "json"])));
    let before: std::collections::BTreeMap<String, &Value> =
        three.iter().map(|i| (key(i), i)).collect();
    let mut changed = Vec::new();
    for item in &four {
        match before.get(&key(item)) {
            None => changed.push(format!("new {}", key(item))),
            Some(old) if *old != item => changed.push(format!("changed {}", key(item))),
            Some(_) => {}
        }
    }
    assert_eq!(three.len() + 1, four.len(), "nothing disappears");
    assert_eq!(
        changed,
        [
            "changed ConfigMap grow-kafka-pods",
            // The dashboard's volume panel lists every claim.
            "changed ConfigMap grow-dashboard",
            // The brokers' certificate names the new broker's external host.
            "changed Certificate grow-kafka-tls",
            "new Service grow-kafka-3-external",
            "changed StatefulSet grow-kafka",
            // The certificates reload CronJob reaches every broker.
            "changed CronJob grow-tls-reload",
            // Alerts count the brokers and watch each one's volume.
            "changed PrometheusRule grow",
        ]
    );
    // The StatefulSet differs in its replica count only: no rolling restart.
    let sts = |items: &[Value]| {
        let mut s = find(items, "StatefulSet", "grow-kafka").clone();
        s["spec"]["replicas"] = Value::Null;
        s
    };
    assert_eq!(sts(&three), sts(&four));
}
