//! The operator workflow: `render --out-dir`, `check --against` (and
//! `--update`), `init`, `schema`, `completions`, driven through the binary.

mod common;
use common::*;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

/// Three brokers by NodePort on a fixed host (golden/exposure-nodeport).
const SPEC: &str = "\
name: laptop
profile: minikube
kafka:
  brokers: 3
  replicationFactor: 3
  minInsyncReplicas: 2
  exposure:
    mode: nodeport
    nodePort: 31090
    advertisedHost: 192.168.49.2
";

/// Every file of a directory with its bytes, sorted by name.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn adding_a_broker_drifts_by_its_objects_and_the_replica_count_only() {
    let dir = workdir("check-brokers", &[("spec.yaml", SPEC)]);
    let committed = kafkagen(&dir, &["render", "spec.yaml", "--out-dir", "committed"]);
    ok(&committed);
    assert_eq!(
        text(&committed.stderr),
        "wrote 16 objects and kustomization.yaml to committed\n"
    );

    let same = kafkagen(&dir, &["check", "spec.yaml", "--against", "committed"]);
    assert_eq!(ok(&same), "");
    assert_eq!(text(&same.stderr), "no drift: 16 objects match committed\n");

    fs::write(
        dir.join("spec.yaml"),
        SPEC.replace("brokers: 3", "brokers: 4"),
    )
    .unwrap();
    let out = kafkagen(&dir, &["check", "spec.yaml", "--against", "committed"]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        text(&out.stdout),
        "\
drift against `committed`: 1 missing, 0 extra, 2 changed

missing (rendered, not in `committed`):
  + Service kafka/laptop-kafka-3-external

changed (committed -> rendered):
  ~ ConfigMap kafka/laptop-kafka-pods  (committed/configmap-laptop-kafka-pods.yaml)
      data[\"laptop-kafka-3.env\"]: added (text)
        | KAFKA_BROKER_ID=3
        | KAFKA_ADVERTISED_LISTENERS=INTERNAL://laptop-kafka-3.laptop-kafka-headless.kafka.svc.cluster.local:9092,EXTERNAL://192.168.49.2:31094
  ~ StatefulSet kafka/laptop-kafka  (committed/statefulset-laptop-kafka.yaml)
      spec.replicas: 3 -> 4

applying it:
  starts laptop-kafka-3 (StatefulSet kafka/laptop-kafka)

kubectl apply can take this change in one roll (exit 3)
"
    );
}

#[test]
fn check_lists_missing_extra_and_changed_objects_but_not_formatting() {
    let dir = workdir("check-edits", &[("spec.yaml", SPEC)]);
    ok(&kafkagen(&dir, &["render", "spec.yaml", "--out-dir", "c"]));
    let c = dir.join("c");
    fs::remove_file(c.join("service-laptop-kafka-external.yaml")).unwrap();
    let pdb = c.join("poddisruptionbudget-laptop-kafka.yaml");
    let text_of = |p: &Path| fs::read_to_string(p).unwrap();
    fs::write(
        &pdb,
        text_of(&pdb).replace("maxUnavailable: 1", "maxUnavailable: 2"),
    )
    .unwrap();
    let pods = c.join("configmap-laptop-kafka-pods.yaml");
    fs::write(
        &pods,
        text_of(&pods).replace("KAFKA_BROKER_ID=1", "KAFKA_BROKER_ID=7"),
    )
    .unwrap();
    fs::write(
        c.join("extra.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: notes, namespace: kafka}\n",
    )
    .unwrap();
    // Same object, other formatting: flow style, other key order, a comment.
    fs::write(
        c.join("namespace-kafka.yaml"),
        "# reformatted\n{kind: Namespace, metadata: {labels: {app.kubernetes.io/managed-by: kafkagen}, name: kafka}, apiVersion: v1}\n",
    )
    .unwrap();

    let out = kafkagen(&dir, &["check", "spec.yaml", "--against", "c"]);
    // A running pod's broker id would change: unsafe for Kafka.
    assert_eq!(out.status.code(), Some(6), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "\
drift against `c`: 1 missing, 1 extra, 2 changed

missing (rendered, not in `c`):
  + Service kafka/laptop-kafka-external

extra (in `c`, not rendered):
  - ConfigMap kafka/notes  (c/extra.yaml)

changed (committed -> rendered):
  ~ ConfigMap kafka/laptop-kafka-pods  (c/configmap-laptop-kafka-pods.yaml)
      data[\"laptop-kafka-1.env\"]:
        - KAFKA_BROKER_ID=7
        + KAFKA_BROKER_ID=1
  ~ PodDisruptionBudget kafka/laptop-kafka  (c/poddisruptionbudget-laptop-kafka.yaml)
      spec.maxUnavailable: 2 -> 1

unsafe for Kafka:
  ! ConfigMap kafka/laptop-kafka-pods: laptop-kafka-1.env changes KAFKA_BROKER_ID from 7 to 1
      a pod with data under one node id must not come back as another

this change is unsafe for Kafka (exit 6)
"
    );
}

#[test]
fn check_reads_a_yaml_stream_or_a_json_list_in_any_order() {
    let dir = workdir("check-file", &[("spec.yaml", SPEC)]);
    let yaml = ok(&kafkagen(&dir, &["render", "spec.yaml"]));
    // Documents in reverse order still match object by object.
    let mut docs: Vec<&str> = yaml.split("---\n").filter(|d| !d.is_empty()).collect();
    docs.reverse();
    fs::write(dir.join("all.yaml"), format!("---\n{}", docs.join("---\n"))).unwrap();
    let json = ok(&kafkagen(&dir, &["render", "spec.yaml", "-o", "json"]));
    fs::write(dir.join("all.json"), json).unwrap();
    for file in ["all.yaml", "all.json"] {
        let out = kafkagen(&dir, &["check", "spec.yaml", "--against", file]);
        assert_eq!(ok(&out), "", "{file}");
    }
}

#[test]
fn check_update_rewrites_the_committed_path_in_kafkagens_layout() {
    let dir = workdir("check-update", &[("spec.yaml", SPEC)]);
    ok(&kafkagen(
        &dir,
        &[
            "render",
            "spec.yaml",
            "--set",
            "kafka.brokers=4",
            "--out-dir",
            "m",
        ],
    ));
    // Removing a broker is unsafe: written only when asked.
    let out = kafkagen(&dir, &["check", "spec.yaml", "--against", "m", "--update"]);
    assert_eq!(out.status.code(), Some(6));
    let out = kafkagen(
        &dir,
        &[
            "check",
            "spec.yaml",
            "--against",
            "m",
            "--update",
            "--allow-unsafe",
        ],
    );
    assert_eq!(ok(&out), "");
    assert_eq!(
        text(&out.stderr),
        "updated m: 0 missing, 1 extra, 2 changed\n"
    );
    // The stale broker's file is gone: the directory is what --out-dir writes.
    ok(&kafkagen(
        &dir,
        &["render", "spec.yaml", "--out-dir", "fresh"],
    ));
    assert_eq!(snapshot(&dir.join("m")), snapshot(&dir.join("fresh")));

    // A path that does not exist yet: a file by its extension.
    ok(&kafkagen(
        &dir,
        &["check", "spec.yaml", "--against", "new.yaml", "--update"],
    ));
    let rendered = ok(&kafkagen(&dir, &["render", "spec.yaml"]));
    assert_eq!(fs::read_to_string(dir.join("new.yaml")).unwrap(), rendered);
    ok(&kafkagen(
        &dir,
        &["check", "spec.yaml", "--against", "new.yaml"],
    ));
}

#[test]
fn out_dir_keeps_foreign_files_and_the_old_directory_on_failure() {
    let dir = workdir("out-dir-safety", &[("spec.yaml", SPEC)]);
    ok(&kafkagen(&dir, &["render", "spec.yaml", "--out-dir", "m"]));
    let m = dir.join("m");
    fs::write(m.join("README.md"), "mine\n").unwrap();
    let before = snapshot(&m);

    let err = fails(&kafkagen(&dir, &["render", "spec.yaml", "--out-dir", "m"]));
    assert!(
        err.starts_with("error: `m` holds 1 file that kafkagen did not write: `README.md`"),
        "{err}"
    );
    assert!(err.contains("--force"), "{err}");
    assert_eq!(snapshot(&m), before);

    // A failing render leaves the directory exactly as it was.
    let err = fails(&kafkagen(
        &dir,
        &[
            "render",
            "spec.yaml",
            "--set",
            "kafka.brokers=0",
            "--out-dir",
            "m",
            "--force",
        ],
    ));
    assert!(err.contains("kafka.brokers"), "{err}");
    assert_eq!(snapshot(&m), before);

    // --force replaces it, foreign file included.
    ok(&kafkagen(
        &dir,
        &["render", "spec.yaml", "--out-dir", "m", "--force"],
    ));
    assert!(!m.join("README.md").exists());
    // Fewer brokers: their files go, as kafkagen wrote them.
    ok(&kafkagen(
        &dir,
        &[
            "render",
            "spec.yaml",
            "--set",
            "kafka.brokers=2",
            "--set",
            "kafka.replicationFactor=2",
            "--out-dir",
            "m",
        ],
    ));
    assert!(!m.join("service-laptop-kafka-2-external.yaml").exists());
    assert!(m.join("service-laptop-kafka-1-external.yaml").exists());
    // No temporary directories are left beside it.
    let leftovers: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("kafkagen"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Not a directory, or the working directory itself: refused.
    let err = fails(&kafkagen(
        &dir,
        &["render", "spec.yaml", "--out-dir", "spec.yaml"],
    ));
    assert_eq!(err, "error: `spec.yaml` exists and is not a directory\n");
    let err = fails(&kafkagen(
        &m,
        &["render", "../spec.yaml", "--out-dir", ".", "--force"],
    ));
    assert!(err.contains("working directory"), "{err}");
}

#[test]
fn committed_manifests_that_cannot_be_read_point_at_the_file() {
    let dir = workdir(
        "check-bad-committed",
        &[
            ("spec.yaml", SPEC),
            (
                "broken/a.yaml",
                "kind: Service\nmetadata:\n  name: [unclosed\n",
            ),
            ("nokind/a.yaml", "apiVersion: v1\nmetadata:\n  name: x\n"),
        ],
    );
    let err = fails(&kafkagen(
        &dir,
        &["check", "spec.yaml", "--against", "broken"],
    ));
    assert!(err.contains("broken/a.yaml:"), "{err}");
    let err = fails(&kafkagen(
        &dir,
        &["check", "spec.yaml", "--against", "nokind"],
    ));
    assert!(
        err.contains("needs `kind` and `metadata.name`") && err.contains("nokind/a.yaml:1:1"),
        "{err}"
    );
    let err = fails(&kafkagen(
        &dir,
        &["check", "spec.yaml", "--against", "absent"],
    ));
    assert!(err.contains("cannot read `absent`"), "{err}");
}

#[test]
fn init_renders_as_is_to_what_its_profile_renders() {
    let dir = workdir("init", &[]);
    for profile in [
        "quickstart",
        "minikube",
        "production",
        "minikube-kraft",
        "production-kraft",
    ] {
        let starter = ok(&kafkagen(&dir, &["init", "--profile", profile]));
        assert!(
            starter.starts_with("# A kafkagen cluster spec"),
            "{starter}"
        );
        let from_starter = ok(&with_stdin(&dir, &["render", "-"], starter.as_bytes()));
        let from_profile = ok(&kafkagen(&dir, &["render", "--profile", profile]));
        assert_eq!(from_starter, from_profile, "{profile}");
    }
    let err = fails(&kafkagen(&dir, &["init", "--profile", "prod"]));
    assert!(err.contains("production"), "{err}");
}

/// Every value `sub` holds, `whole` holds too (scalars compared as text).
fn holds(whole: &serde_json::Value, sub: &serde_json::Value, path: &str) -> Vec<String> {
    use serde_json::Value;
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match (whole, sub) {
        (Value::Object(w), Value::Object(s)) => s
            .iter()
            .flat_map(|(k, v)| match w.get(k) {
                Some(wv) => holds(wv, v, &format!("{path}.{k}")),
                None => vec![format!("{path}.{k} is missing")],
            })
            .collect(),
        (Value::Array(w), Value::Array(s)) if w.len() == s.len() => w
            .iter()
            .zip(s)
            .enumerate()
            .flat_map(|(i, (a, b))| holds(a, b, &format!("{path}[{i}]")))
            .collect(),
        (w, s) if text(w) == text(s) => Vec::new(),
        (w, s) => vec![format!("{path}: {} instead of {}", text(w), text(s))],
    }
}

#[test]
fn init_writes_out_every_value_its_profile_sets() {
    let dir = workdir("init-values", &[]);
    for profile in [
        "quickstart",
        "minikube",
        "production",
        "minikube-kraft",
        "production-kraft",
    ] {
        let starter = spec_json(&ok(&kafkagen(&dir, &["init", "--profile", profile])));
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("profiles/{profile}.yaml"));
        let set = spec_json(&std::fs::read_to_string(path).unwrap());
        let missing = holds(&starter, &set, "");
        assert!(missing.is_empty(), "init --profile {profile}: {missing:#?}");
    }
}

fn schema_validator(dir: &Path) -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(&ok(&kafkagen(dir, &["schema"]))).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("a valid JSON Schema")
}

fn spec_json(text: &str) -> serde_json::Value {
    kafkagen::yaml::parse_one(text, kafkagen::source::SourceId(0))
        .expect("spec parses")
        .to_json()
}

#[test]
fn schema_accepts_every_golden_spec_that_renders_and_rejects_bad_ones() {
    let dir = workdir("schema", &[]);
    let validator = schema_validator(&dir);
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden");
    let mut checked = 0;
    for case in fs::read_dir(&golden).unwrap() {
        let case = case.unwrap().path();
        let Ok(text) = fs::read_to_string(case.join("spec.yaml")) else {
            continue;
        };
        let reads_spec = fs::read_to_string(case.join("args"))
            .map_or(true, |args| args.lines().any(|a| a == "spec.yaml"));
        let renders = reads_spec
            && (case.join("expected.yaml").exists() || case.join("expected.stdout").exists());
        if renders {
            let spec = spec_json(&text);
            let errors: Vec<String> = validator
                .iter_errors(&spec)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{}: {errors:?}", case.display());
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} golden specs checked");

    for bad in [
        "kafka:\n  brokerz: 3\n",
        "kafka:\n  brokers: three\n",
        "mode: kraftt\n",
        "kafka:\n  exposure:\n    mode: ingress\n",
        "topics:\n  - name: a\n    partitions: -1\n",
        "placement: required\n",
    ] {
        assert!(!validator.is_valid(&spec_json(bad)), "accepted {bad:?}");
    }
}

#[test]
fn completions_and_version() {
    let dir = workdir("completions", &[]);
    for shell in ["bash", "zsh", "fish"] {
        let script = ok(&kafkagen(&dir, &["completions", shell]));
        for word in ["kafkagen", "describe", "against", "out-dir"] {
            assert!(script.contains(word), "{shell} lacks {word}");
        }
    }
    fails_with_usage(&kafkagen(&dir, &["completions", "tcsh"]));
    let version = ok(&kafkagen(&dir, &["--version"]));
    assert_eq!(version, format!("kafkagen {}\n", env!("CARGO_PKG_VERSION")));
}

/// Mounts a tmpfs at `dir` with `options`; false where mounting is not
/// allowed (not root, no CAP_SYS_ADMIN), and the caller says so.
fn mount_tmpfs(dir: &Path, options: &str) -> bool {
    let _ = Command::new("umount").arg(dir).output();
    fs::create_dir_all(dir).unwrap();
    Command::new("mount")
        .args(["-t", "tmpfs", "-o", options, "tmpfs"])
        .arg(dir)
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn write_errors_are_reported_and_leave_the_old_output() {
    let dir = workdir("write-errors", &[("spec.yaml", SPEC)]);

    // A full disk under stdout.
    let full = fs::File::create("/dev/full").map(Stdio::from);
    if let Ok(full) = full {
        let out = Command::new(env!("CARGO_BIN_EXE_kafkagen"))
            .args(["render", "spec.yaml"])
            .current_dir(&dir)
            .stdout(full)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(
            text(&out.stderr),
            "error: cannot write output: No space left on device (os error 28)\n"
        );
    }

    // A path through a file.
    let err = fails(&kafkagen(
        &dir,
        &["render", "spec.yaml", "--out-dir", "spec.yaml/m"],
    ));
    assert_eq!(
        err,
        "error: cannot write `spec.yaml/m`: Not a directory (os error 20)\n"
    );

    let small = dir.join("small");
    let readonly = dir.join("readonly");
    if !mount_tmpfs(&small, "size=256k") || !mount_tmpfs(&readonly, "ro,size=64k") {
        eprintln!("note: cannot mount tmpfs here; full and read-only file systems not tested");
        return;
    }
    // A full file system: the first render fits, a larger one does not.
    ok(&kafkagen(
        &dir,
        &["render", "spec.yaml", "--out-dir", "small/m"],
    ));
    let before = snapshot(&small.join("m"));
    let err = fails(&kafkagen(
        &dir,
        &[
            "render",
            "spec.yaml",
            "--set",
            "kafka.brokers=300",
            "--out-dir",
            "small/m",
        ],
    ));
    assert!(
        err.starts_with(
            "error: cannot write `small/m`: writing its new contents to `small/.m.kafkagen-new-"
        ) && err.ends_with("No space left on device (os error 28)\n"),
        "{err}"
    );
    assert_eq!(snapshot(&small.join("m")), before);
    let names: Vec<_> = fs::read_dir(&small)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["m"], "nothing but the old directory is left");

    // A read-only file system.
    let err = fails(&kafkagen(
        &dir,
        &["render", "spec.yaml", "--out-dir", "readonly/m"],
    ));
    assert!(err.contains("Read-only file system"), "{err}");
    let err = fails(&kafkagen(
        &dir,
        &[
            "check",
            "spec.yaml",
            "--against",
            "readonly/all.yaml",
            "--update",
        ],
    ));
    assert_eq!(
        err,
        "error: cannot write `readonly/all.yaml`: Read-only file system (os error 30)\n"
    );
    for m in [&small, &readonly] {
        let _ = Command::new("umount").arg(m).output();
    }
}
