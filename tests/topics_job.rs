//! The topics, users and ACLs Jobs' scripts, run by bash as the container
//! runs them, against stand-ins for the image's tools that refuse what the
//! real ones refuse (an empty topic name, a partition count that is not a
//! number, an operation a resource type does not take). The live boot
//! (`cargo xtask live`) runs the same scripts against the real tools.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

mod common;
use common::*;

/// Stands in for `kafka-topics`: checks its arguments as TopicCommand does
/// and records every topic it was asked to create, one per line.
const FAKE_TOPICS: &str = r#"#!/bin/bash
set -u
topic=; partitions=; replicas=; create=; bootstrap=; configs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bootstrap-server) bootstrap="$2"; shift 2 ;;
    --command-config) [ -r "$2" ] || { echo "NoSuchFileException: $2" >&2; exit 1; }; shift 2 ;;
    --create) create=1; shift ;;
    --if-not-exists) shift ;;
    --topic) topic="$2"; shift 2 ;;
    --partitions) partitions="$2"; shift 2 ;;
    --replication-factor) replicas="$2"; shift 2 ;;
    --config) configs+=("$2"); shift 2 ;;
    *) echo "fake kafka-topics: unrecognized option $1" >&2; exit 1 ;;
  esac
done
[ -n "$bootstrap" ] || { echo "Missing required argument \"[bootstrap-server]\"" >&2; exit 1; }
[ -n "$create" ] || { echo "only --create is faked" >&2; exit 1; }
[ -n "$topic" ] || { echo "Topic name is illegal, it can't be empty" >&2; exit 1; }
[[ "$topic" =~ ^[a-zA-Z0-9._-]{1,249}$ ]] || { echo "Topic name \"$topic\" is illegal" >&2; exit 1; }
[[ "$partitions" =~ ^[1-9][0-9]*$ ]] || { echo "Cannot parse argument '$partitions' of option partitions" >&2; exit 1; }
[[ "$replicas" =~ ^[1-9][0-9]*$ ]] || { echo "Cannot parse argument '$replicas' of option replication-factor" >&2; exit 1; }
for kv in ${configs[@]+"${configs[@]}"}; do
  [[ "$kv" == ?*=?* ]] || { echo "Invalid topic config: $kv" >&2; exit 1; }
done
echo "$topic $partitions $replicas ${configs[*]+${configs[*]}}" >> "$FAKE_LOG"
"#;

/// Stands in for `kafka-broker-api-versions`: one `(id: N` line per broker.
const FAKE_API_VERSIONS: &str = r#"#!/bin/bash
[ "$3" = --command-config ] && [ -r "$4" ] || { echo "no readable --command-config" >&2; exit 1; }
for i in $(seq 0 $((FAKE_BROKERS - 1))); do
  echo "broker-$i:9092 (id: $i rack: null) -> ("
done
"#;

/// Stands in for `kafka-configs --entity-type users`: keeps the SCRAM
/// credentials in `$FAKE_SCRAM`, one `user|MECHANISM|iterations|password`
/// per line; checks its arguments as ConfigCommand does (a password without
/// ',', '[' or ']', at least 4096 iterations) and as the brokers do (a
/// credential deleted must exist, with the brokers' message); lists them as
/// `--describe` does; and records each change in `$FAKE_LOG`.
const FAKE_CONFIGS: &str = r#"#!/bin/bash
set -u
bootstrap=; action=; type=; name=; add=; delete=
while [ $# -gt 0 ]; do
  case "$1" in
    --bootstrap-server) bootstrap="$2"; shift 2 ;;
    --command-config) [ -r "$2" ] || { echo "NoSuchFileException: $2" >&2; exit 1; }; shift 2 ;;
    --alter|--describe) [ -z "$action" ] || { echo "Command must include exactly one action: --describe, --alter" >&2; exit 1; }; action=${1#--}; shift ;;
    --entity-type) type="$2"; shift 2 ;;
    --entity-name) name="$2"; shift 2 ;;
    --add-config) add="$2"; shift 2 ;;
    --delete-config) delete="$2"; shift 2 ;;
    *) echo "fake kafka-configs: unrecognized option $1" >&2; exit 1 ;;
  esac
done
[ -n "$bootstrap" ] && [ "$type" = users ] || { echo "fake kafka-configs: only users are faked" >&2; exit 1; }
touch "$FAKE_SCRAM"
if [ "$action" = describe ]; then
  # $FAKE_SCRAM.gone: credentials this listing still shows that are gone
  # before the next command, as when a run beside this one deleted them.
  listed=$(cat "$FAKE_SCRAM" "$FAKE_SCRAM.gone" 2>/dev/null || true)
  rm -f "$FAKE_SCRAM.gone"
  [ -n "$listed" ] || exit 0
  cut -d'|' -f1 <<< "$listed" | sort -u | while read -r user; do
    awk -F'|' -v u="$user" '$1 == u' <<< "$listed" | sort | awk -F'|' -v u="$user" '{ s = s (NR > 1 ? ", " : "") $2 "=iterations=" $3 } END { print "SCRAM credential configs for user-principal '\''" u "'\'' are " s }'
  done
  exit 0
fi
[ "$action" = alter ] && [ -n "$name" ] || { echo "An entity-name or default entity must be specified with --alter of users, clients, brokers or ips" >&2; exit 1; }
[ -n "$add$delete" ] || { echo "At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter" >&2; exit 1; }
if [ -n "$delete" ]; then
  case "$delete" in SCRAM-SHA-256|SCRAM-SHA-512) ;; *) echo "fake kafka-configs: only a SCRAM mechanism is deleted: $delete" >&2; exit 1 ;; esac
  grep -q "^$name|$delete|" "$FAKE_SCRAM" || { echo "ResourceNotFoundException: Attempt to delete a user credential that does not exist" >&2; exit 1; }
  grep -v "^$name|$delete|" "$FAKE_SCRAM" > "$FAKE_SCRAM.new" || true
  mv "$FAKE_SCRAM.new" "$FAKE_SCRAM"
  echo "delete $name $delete" >> "$FAKE_LOG"
fi
if [ -n "$add" ]; then
  [[ "$add" =~ ^(SCRAM-SHA-256|SCRAM-SHA-512)=\[(iterations=([0-9]+),)?password=([^],[]+)\]$ ]] || { echo "Invalid SCRAM config: $add" >&2; exit 1; }
  mechanism=${BASH_REMATCH[1]}; iterations=${BASH_REMATCH[3]:-4096}; password=${BASH_REMATCH[4]}
  [ "$iterations" -ge 4096 ] || { echo "Iterations $iterations is less than the minimum 4096 required for $mechanism" >&2; exit 1; }
  grep -v "^$name|$mechanism|" "$FAKE_SCRAM" > "$FAKE_SCRAM.new" || true
  echo "$name|$mechanism|$iterations|$password" >> "$FAKE_SCRAM.new"
  mv "$FAKE_SCRAM.new" "$FAKE_SCRAM"
  echo "set $name $mechanism $iterations $password" >> "$FAKE_LOG"
fi
"#;

/// Stands in for `kafka-acls`: keeps the ACLs in `$FAKE_ACLS`, one
/// `principal|host|OPERATION|PERMISSION|TYPE|name|PATTERN` per line, checks
/// its arguments as AclCommand does, and lists them as Kafka 3.9's does
/// (the last ACL of a resource ends with a space).
const FAKE_ACLS: &str = r#"#!/bin/bash
set -u
action=; principal=; host=; perm=; ops=(); type=; name=; pattern=LITERAL; force=; bootstrap=
while [ $# -gt 0 ]; do
  case "$1" in
    --bootstrap-server) bootstrap="$2"; shift 2 ;;
    --command-config) [ -r "$2" ] || { echo "NoSuchFileException: $2" >&2; exit 1; }; shift 2 ;;
    --list|--add|--remove) [ -z "$action" ] || { echo "Command must include exactly one action: --list, --add, --remove." >&2; exit 1; }; action=${1#--}; shift ;;
    --force) force=1; shift ;;
    --allow-principal|--deny-principal) principal="$2"; perm=$([ "$1" = --allow-principal ] && echo ALLOW || echo DENY); shift 2 ;;
    --allow-host|--deny-host) host="$2"; shift 2 ;;
    --operation) ops+=("$2"); shift 2 ;;
    --topic) type=TOPIC; name="$2"; shift 2 ;;
    --group) type=GROUP; name="$2"; shift 2 ;;
    --cluster) type=CLUSTER; name=kafka-cluster; shift ;;
    --transactional-id) type=TRANSACTIONAL_ID; name="$2"; shift 2 ;;
    --resource-pattern-type) pattern="${2^^}"; shift 2 ;;
    *) echo "fake kafka-acls: unrecognized option $1" >&2; exit 1 ;;
  esac
done
[ -n "$bootstrap" ] || { echo "One of --bootstrap-server or --bootstrap-controller must be specified" >&2; exit 1; }
touch "$FAKE_ACLS"
# A broker or controller without the authorizer yet (a roll that turns it
# on): the next `$FAKE_ACLS.refuse` changes are refused.
if [ "$action" != list ] && [ -s "$FAKE_ACLS.refuse" ] && [ "$(cat "$FAKE_ACLS.refuse")" -gt 0 ]; then
  echo $(( $(cat "$FAKE_ACLS.refuse") - 1 )) > "$FAKE_ACLS.refuse"
  echo "Error while executing ACL command: org.apache.kafka.common.errors.SecurityDisabledException: No Authorizer is configured." >&2
  exit 1
fi
if [ "$action" = list ]; then
  [ -z "$principal" ] || { echo "Option "[list]" can't be used with option "[allow-principal]"" >&2; exit 1; }
  last=
  sort -t'|' -k5,7 "$FAKE_ACLS" | while IFS='|' read -r p h o m t n pt; do
    if [ "$t|$n|$pt" != "$last" ]; then
      [ -z "$last" ] || printf ' 

'
      printf 'Current ACLs for resource `ResourcePattern(resourceType=%s, name=%s, patternType=%s)`: 
 	' "$t" "$n" "$pt"
      last="$t|$n|$pt"
    else
      printf '
	'
    fi
    printf '(principal=%s, host=%s, operation=%s, permissionType=%s)' "$p" "$h" "$o" "$m"
  done
  [ ! -s "$FAKE_ACLS" ] || printf ' 

'
  exit 0
fi
[ -n "$type" ] || { echo "You must specify one of: --topic, --cluster, --group, --transactional-id" >&2; exit 1; }
[ "$action" = add ] || [ -n "$force" ] || { echo "Are you sure you want to remove ACLs (y/n)? no answer" >&2; exit 1; }
case "$pattern" in LITERAL|PREFIXED) ;; *) echo "Unknown resource-pattern-type: $pattern" >&2; exit 1 ;; esac
case "$type" in
  TOPIC) valid="READ WRITE CREATE DESCRIBE DELETE ALTER DESCRIBE_CONFIGS ALTER_CONFIGS" ;;
  GROUP) valid="READ DESCRIBE DELETE DESCRIBE_CONFIGS ALTER_CONFIGS" ;;
  CLUSTER) valid="CREATE CLUSTER_ACTION DESCRIBE_CONFIGS ALTER_CONFIGS IDEMPOTENT_WRITE ALTER DESCRIBE" ;;
  TRANSACTIONAL_ID) valid="DESCRIBE WRITE" ;;
esac
for op in "${ops[@]}"; do
  canonical=
  for known in ALL READ WRITE CREATE DELETE ALTER DESCRIBE CLUSTER_ACTION DESCRIBE_CONFIGS ALTER_CONFIGS IDEMPOTENT_WRITE; do
    [ "${known//_/}" = "${op^^}" ] && canonical=$known
  done
  [ -n "$canonical" ] || { echo "Unknown operation: $op" >&2; exit 1; }
  [ "$canonical" = ALL ] || [[ " $valid " == *" $canonical "* ]] || { echo "ResourceType $type only supports operations $valid" >&2; exit 1; }
  line="$principal|$host|$canonical|$perm|$type|$name|$pattern"
  if [ "$action" = add ]; then
    grep -Fxq "$line" "$FAKE_ACLS" || echo "$line" >> "$FAKE_ACLS"
  else
    grep -Fxv "$line" "$FAKE_ACLS" > "$FAKE_ACLS.new" || true
    mv "$FAKE_ACLS.new" "$FAKE_ACLS"
  fi
  echo "$action $line" >> "$FAKE_LOG"
done
"#;

fn job<'a>(items: &'a [Value], component: &str) -> &'a Value {
    items
        .iter()
        .find(|i| {
            i["kind"] == "Job"
                && i["metadata"]["labels"]["app.kubernetes.io/component"] == component
        })
        .unwrap_or_else(|| panic!("a {component} Job is rendered"))
}

/// Runs the Job's container command with its rendered environment, the
/// tools replaced by the fakes; returns the exit code and the topics created.
fn run_job(dir: &Path, job: &Value, secrets: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let container = &job["spec"]["template"]["spec"]["containers"][0];
    let command: Vec<String> = container["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(command[..2], ["/bin/bash", "-c"]);
    for (name, text) in [
        ("kafka-topics", FAKE_TOPICS),
        ("kafka-broker-api-versions", FAKE_API_VERSIONS),
        ("kafka-configs", FAKE_CONFIGS),
        ("kafka-acls", FAKE_ACLS),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let log = dir.join("created");
    let _ = std::fs::remove_file(&log);
    // Each pod has its own /tmp; tests that run at the same time share the
    // host's, so the script's /tmp is a folder of the test's own.
    let tmp = dir.join("tmp");
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let script = command[2].replace("/tmp/", &format!("{}/", tmp.display()));
    let mut cmd = Command::new("bash");
    cmd.arg("-c").arg(&script).env_clear();
    for e in container["env"].as_array().unwrap() {
        cmd.env(e["name"].as_str().unwrap(), e["value"].as_str().unwrap());
    }
    // The projected Secret files, as the kubelet would write them, from
    // `secrets` (Secret name -> the value of its one key).
    let passwords = dir.join("passwords");
    let _ = std::fs::remove_dir_all(&passwords);
    std::fs::create_dir_all(&passwords).unwrap();
    for v in job["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .unwrap()
    {
        for source in v["projected"]["sources"].as_array().into_iter().flatten() {
            let secret = source["secret"]["name"].as_str().unwrap();
            let value = secrets
                .iter()
                .find(|(s, _)| *s == secret)
                .map(|(_, v)| *v)
                .unwrap_or_else(|| panic!("no Secret {secret} in the test"));
            for item in source["secret"]["items"].as_array().unwrap() {
                std::fs::write(passwords.join(item["path"].as_str().unwrap()), value).unwrap();
            }
        }
    }
    // The passwords' directory, where the Job names one (as the kubelet
    // mounts it); a Job without it runs without the variable, as it would.
    if container["env"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["name"] == "PASSWORDS")
    {
        cmd.env("PASSWORDS", &passwords);
    }
    let out = cmd
        .env("PATH", format!("{}:/usr/bin:/bin", dir.display()))
        .env("TOPICS_TOOL", dir.join("kafka-topics"))
        .env("API_VERSIONS", dir.join("kafka-broker-api-versions"))
        .env("CONFIGS_TOOL", dir.join("kafka-configs"))
        .env("ACLS_TOOL", dir.join("kafka-acls"))
        .env("FAKE_ACLS", dir.join("acls"))
        .env("FAKE_SCRAM", dir.join("scram"))
        .env("FAKE_LOG", &log)
        .env("FAKE_BROKERS", "3")
        .output()
        .unwrap();
    (
        out.status.code(),
        std::fs::read_to_string(&log).unwrap_or_default(),
        text(&out.stderr),
    )
}

/// The ACLs the fake `kafka-acls` holds after a run, sorted.
fn acls_kept(dir: &Path) -> Vec<String> {
    let mut acls: Vec<String> = std::fs::read_to_string(dir.join("acls"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    acls.sort();
    acls
}

#[test]
fn topics_job_creates_each_declared_topic_once_and_exits_0() {
    for (case, image) in [
        ("confluent", "confluentinc/cp-kafka:7.9.1"),
        ("apache", "apache/kafka:4.1.0"),
    ] {
        let mode = if case == "apache" {
            "kraft"
        } else {
            "zookeeper"
        };
        let spec = format!(
            "name: t\nprofile: production\nmode: {mode}\nkafka:\n  image: {image}\ntopics:\n  - name: orders\n    partitions: 12\n    config:\n      cleanup.policy: compact\n      retention.ms: 1000\n  - name: audit.log\n"
        );
        let dir = workdir(&format!("topics-job-{case}"), &[("spec.yaml", &spec)]);
        let items = items(&ok(&kafkagen(&dir, &["render", "spec.yaml", "-o", "json"])));
        let (code, created, stderr) = run_job(&dir, job(&items, "topics"), &[]);
        assert_eq!(code, Some(0), "{case}: the Job failed:\n{stderr}");
        assert_eq!(
            created, "orders 12 3 cleanup.policy=compact retention.ms=1000\naudit.log 6 3 \n",
            "{case}"
        );
    }
}

#[test]
fn users_job_sets_each_scram_credential_and_deletes_those_it_made_and_no_longer_declares() {
    let spec = "name: t\nmode: kraft\nsecurity:\n  listeners:\n    internal: { tls: true }\n  users:\n    - name: alice\n      passwordSecret: { name: alice-pw, key: password }\n    - name: bob\n      passwordSecret: { name: bob-pw, key: password }\n    - name: carol\n      authentication: tls\n";
    let dir = workdir("users-job", &[("spec.yaml", spec)]);
    let items = items(&ok(&kafkagen(&dir, &["render", "spec.yaml", "-o", "json"])));
    let users = job(&items, "users");
    // What the cluster holds before the run: a user a former spec declared
    // (the Job's iteration count), alice's other mechanism (the Job's too),
    // one set by hand (the default count), and carol's from the days she
    // had a password.
    // And one whose name no spec can declare, with the Job's count: not
    // the Job's.
    std::fs::write(
        dir.join("scram"),
        "former|SCRAM-SHA-512|4097|old\nalice|SCRAM-SHA-256|4097|old\nby-hand|SCRAM-SHA-512|4096|mine\ncarol|SCRAM-SHA-512|4097|old\nOps.Team|SCRAM-SHA-512|4097|theirs\n",
    )
    .unwrap();
    let (code, log, stderr) = run_job(
        &dir,
        users,
        &[("alice-pw", "s3cret"), ("bob-pw", "two-words")],
    );
    assert_eq!(code, Some(0), "the Job failed:\n{stderr}");
    // carol has a certificate now, not a password: hers goes too.
    // The deletions first: a password the Job cannot set keeps no one in.
    assert_eq!(
        log,
        "delete alice SCRAM-SHA-256\ndelete carol SCRAM-SHA-512\ndelete former SCRAM-SHA-512\n\
         set alice SCRAM-SHA-512 4097 s3cret\nset bob SCRAM-SHA-512 4097 two-words\n"
    );
    let mut kept: Vec<String> = std::fs::read_to_string(dir.join("scram"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    kept.sort();
    assert_eq!(
        kept,
        [
            "Ops.Team|SCRAM-SHA-512|4097|theirs",
            "alice|SCRAM-SHA-512|4097|s3cret",
            "bob|SCRAM-SHA-512|4097|two-words",
            "by-hand|SCRAM-SHA-512|4096|mine",
        ]
    );
    // Again: the same credentials, nothing to delete.
    let (code, log, stderr) = run_job(
        &dir,
        users,
        &[("alice-pw", "s3cret"), ("bob-pw", "two-words")],
    );
    assert_eq!(code, Some(0), "the second run failed:\n{stderr}");
    assert_eq!(
        log,
        "set alice SCRAM-SHA-512 4097 s3cret\nset bob SCRAM-SHA-512 4097 two-words\n"
    );
    // A credential the listing shows but another run deleted meanwhile:
    // the brokers refuse deleting it, and the Job goes on.
    std::fs::write(dir.join("scram.gone"), "dave|SCRAM-SHA-512|4097|old\n").unwrap();
    let (code, log, stderr) = run_job(
        &dir,
        users,
        &[("alice-pw", "s3cret"), ("bob-pw", "two-words")],
    );
    assert_eq!(
        code,
        Some(0),
        "the run failed on a credential gone:\n{stderr}"
    );
    assert_eq!(
        log,
        "set alice SCRAM-SHA-512 4097 s3cret\nset bob SCRAM-SHA-512 4097 two-words\n"
    );
    // A password kafka-configs cannot take: the Job says whose, and fails,
    // but only after it deleted what the spec no longer declares.
    let store = dir.join("scram");
    let before = std::fs::read_to_string(&store).unwrap();
    std::fs::write(&store, format!("{before}former|SCRAM-SHA-512|4097|old\n")).unwrap();
    let (code, _, stderr) = run_job(&dir, users, &[("alice-pw", "s3cret"), ("bob-pw", "a,b")]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("the password of user bob"), "{stderr}");
    assert!(
        !std::fs::read_to_string(&store).unwrap().contains("former|"),
        "the former user kept its credential"
    );
}

#[test]
fn users_job_without_users_deletes_the_last_users_credential() {
    // SCRAM logins outside and no user left: the Job is still rendered,
    // with no passwords to mount, and deletes what the last user had.
    let spec = "name: t\nkafka:\n  exposure:\n    mode: nodeport\n    advertisedHost: kafka.example.com\nsecurity:\n  listeners:\n    external: { tls: true, authentication: scram-sha-512 }\n";
    let dir = workdir("users-job-none", &[("spec.yaml", spec)]);
    let items = items(&ok(&kafkagen(&dir, &["render", "spec.yaml", "-o", "json"])));
    let users = job(&items, "users");
    let pod = &users["spec"]["template"]["spec"];
    assert!(
        pod["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["name"] != "passwords"),
        "a passwords volume with no user: {pod}"
    );
    std::fs::write(dir.join("scram"), "last|SCRAM-SHA-512|4097|old\n").unwrap();
    let (code, log, stderr) = run_job(&dir, users, &[]);
    assert_eq!(code, Some(0), "the Job failed:\n{stderr}");
    assert_eq!(log, "delete last SCRAM-SHA-512\n");
}

#[test]
fn acls_job_adds_what_is_declared_and_removes_what_it_owns_and_no_longer_declares() {
    let spec = "name: t\nmode: kraft\nsecurity:\n  listeners:\n    internal: { tls: true, authentication: mtls }\n    controller: { tls: true, authentication: mtls }\n  authorization: {}\n  users:\n    - name: alice\n      authentication: tls\n      acls:\n        - { type: topic, name: orders, operations: [Read, DescribeConfigs] }\n        - { type: cluster, operations: [IdempotentWrite] }\n        - { type: group, name: alice-, patternType: prefixed, operations: [Read] }\n        - { type: topic, name: orders, operations: [Write], permission: deny }\n";
    let dir = workdir("acls-job", &[("spec.yaml", spec)]);
    let items = items(&ok(&kafkagen(&dir, &["render", "spec.yaml", "-o", "json"])));
    let acls = job(&items, "acls");
    let marker = "DESCRIBE|ALLOW|TRANSACTIONAL_ID|kafkagen.acls-owner|LITERAL";
    // Before: an undeclared ACL of alice, whom the Job owns; bob, owned by
    // an earlier run (its marker) and no longer declared; carol, whose ACL
    // was made by hand.
    std::fs::write(
        dir.join("acls"),
        format!(
            "User:alice|*|ALTER|ALLOW|TOPIC|orders|LITERAL\nUser:bob|*|{marker}\nUser:bob|*|READ|ALLOW|TOPIC|orders|LITERAL\nUser:carol|*|READ|ALLOW|TOPIC|orders|LITERAL\n"
        ),
    )
    .unwrap();
    let (code, log, stderr) = run_job(&dir, acls, &[]);
    assert_eq!(code, Some(0), "the Job failed:\n{stderr}");
    let after = acls_kept(&dir);
    assert_eq!(
        after,
        [
            "User:alice|*|DESCRIBE_CONFIGS|ALLOW|TOPIC|orders|LITERAL".into(),
            format!("User:alice|*|{marker}"),
            "User:alice|*|IDEMPOTENT_WRITE|ALLOW|CLUSTER|kafka-cluster|LITERAL".into(),
            "User:alice|*|READ|ALLOW|GROUP|alice-|PREFIXED".into(),
            "User:alice|*|READ|ALLOW|TOPIC|orders|LITERAL".into(),
            "User:alice|*|WRITE|DENY|TOPIC|orders|LITERAL".into(),
            "User:carol|*|READ|ALLOW|TOPIC|orders|LITERAL".into(),
        ]
    );
    // bob's marker goes last, so that a run cut short is finished by the next.
    let removed: Vec<&str> = log.lines().filter(|l| l.starts_with("remove ")).collect();
    assert_eq!(
        removed,
        [
            "remove User:alice|*|ALTER|ALLOW|TOPIC|orders|LITERAL",
            "remove User:bob|*|READ|ALLOW|TOPIC|orders|LITERAL",
            &format!("remove User:bob|*|{marker}"),
        ]
    );
    // Again: nothing to add, nothing to remove.
    let (code, log, stderr) = run_job(&dir, acls, &[]);
    assert_eq!(code, Some(0), "the second run failed:\n{stderr}");
    assert_eq!(log, "", "the second run changed ACLs");
}

#[test]
fn acls_job_converges_again_when_an_acl_request_is_refused() {
    let spec = "name: t\nmode: kraft\nsecurity:\n  listeners:\n    internal: { tls: true, authentication: mtls }\n    controller: { tls: true, authentication: mtls }\n  authorization: {}\n  users:\n    - name: alice\n      authentication: tls\n      acls:\n        - { type: topic, name: orders, operations: [Read] }\n";
    let dir = workdir("acls-job-refused", &[("spec.yaml", spec)]);
    let items = items(&ok(&kafkagen(&dir, &["render", "spec.yaml", "-o", "json"])));
    // The first change is refused, as by a controller not yet rolled.
    std::fs::write(dir.join("acls.refuse"), "1").unwrap();
    let (code, log, stderr) = run_job(&dir, job(&items, "acls"), &[]);
    assert_eq!(code, Some(0), "the Job failed:\n{stderr}");
    assert!(stderr.contains("SecurityDisabledException"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.join("acls.refuse"))
            .unwrap()
            .trim(),
        "0"
    );
    let after = acls_kept(&dir);
    assert_eq!(
        after,
        [
            "User:alice|*|DESCRIBE|ALLOW|TRANSACTIONAL_ID|kafkagen.acls-owner|LITERAL",
            "User:alice|*|READ|ALLOW|TOPIC|orders|LITERAL",
        ]
    );
    assert_eq!(
        log.lines().filter(|l| l.starts_with("add ")).count(),
        2,
        "{log}"
    );
}
