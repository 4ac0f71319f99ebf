//! Readiness that means "in sync" (docs/production.md, "Readiness, and what a roll waits for").
//!
//! A StatefulSet rolls its next pod once the replaced one is ready, so the
//! readiness probe is the only wait a roll has. An open port says only that
//! the JVM listens; with the metrics exporter in the pod, the probe reads
//! Kafka's own gauges from it over loopback instead, with bash alone (no
//! JVM per probe run):
//! - a broker is ready when it is RUNNING (`BrokerState` 3), no partition
//!   it follows is behind its leader's high watermark
//!   (`ReplicaFetcherManager` `MaxLag` 0: a follower in the ISR is never
//!   behind the high watermark, which the ISR's slowest member sets), and
//!   it has been given its partitions: `ReplicaManager` `PartitionCount`
//!   above 0, or no partition's directory in its log directory. A broker
//!   with ZooKeeper is RUNNING before the controller sends it its
//!   partitions, seconds later; until then it follows nothing, so `MaxLag`
//!   is 0 (the live boot measured 8.5 s between the two on a roll, and
//!   the StatefulSet replaced the next broker before this one was back in
//!   the ISR);
//! - a controller when it knows the quorum's leader and its metadata log
//!   reaches the quorum's high watermark (`raft-metrics`).
//!
//! Two successes in a row and the workload's `minReadySeconds` give the
//! leaders time to take the replica back into the ISR before the next pod
//! of the roll stops.

use super::components::Role;

/// Seconds between two readiness checks.
pub const PERIOD_SECONDS: u32 = 5;
/// How long one check may take: the exporter walks every MBean of the
/// broker for each answer, which takes seconds on a broker with many
/// topics or a busy JVM, and more while Prometheus scrapes the same
/// exporter and the broker recovers from a restart: the live boot measured
/// answers over 10 s then, which turned every broker unready at once (and
/// left the bootstrap Service without endpoints) though all were in sync.
/// A slow answer is not a broker out of sync: the kubelet waits for it.
pub const TIMEOUT_SECONDS: u32 = 30;
/// Checks that must pass in a row.
pub const SUCCESSES: u32 = 2;
/// How long a replaced Kafka pod must stay ready before its StatefulSet
/// replaces the next one.
pub const MIN_READY_SECONDS: u32 = 10;

/// Java's `Double.toString` of a gauge as a whole number: the exporter
/// writes an offset of ten million or more as `1.2345678E7`.
const WHOLE: &str = r#"whole() {
  local m=$1 e=0 i f d
  case $m in *E*) e=${m#*E}; m=${m%E*} ;; esac
  i=${m%%.*}; f=${m#*.}; [ "$f" = "$m" ] && f=
  [ "${e#-}" = "$e" ] || { echo 0; return; }
  while [ "$e" -gt 0 ]; do d=${f:0:1}; i=$i${d:-0}; f=${f:1}; e=$((e - 1)); done
  echo "$i"
}"#;

/// What judges one node of `role` from its exporter's page: the metrics
/// read, the `case` arms that set the shell variables from them, and the
/// condition on those variables; `None` for ZooKeeper.
struct Reading {
    names: Vec<&'static str>,
    cases: String,
    condition: String,
}

fn reading(role: Role) -> Option<Reading> {
    let (broker, controller) = match role {
        Role::ZooKeeper => return None,
        Role::Broker => (true, false),
        Role::Controller => (false, true),
        Role::Combined => (true, true),
    };
    let mut names = Vec::new();
    let mut cases = String::new();
    let mut conditions = Vec::new();
    if broker {
        names.extend([
            "kafka_server_kafkaserver_brokerstate",
            "kafka_server_replicafetchermanager_maxlag",
        ]);
        cases += "    kafka_server_kafkaserver_brokerstate) state=$(whole \"$value\") ;;\n";
        // The label keeps the MBean key's case: clientId="Replica".
        cases += "    'kafka_server_replicafetchermanager_maxlag{'*'=\"Replica\"'*) lag=$(whole \"$value\") ;;\n";
        conditions.push("[ \"$state\" = 3 ] && [ \"$lag\" = 0 ]");
    }
    if controller {
        names.extend([
            "kafka_server_raftmetrics_current_leader",
            "kafka_server_raftmetrics_high_watermark",
            "kafka_server_raftmetrics_log_end_offset",
        ]);
        cases += "    kafka_server_raftmetrics_current_leader) leader=$(whole \"$value\") ;;\n";
        cases += "    kafka_server_raftmetrics_high_watermark) hw=$(whole \"$value\") ;;\n";
        cases += "    kafka_server_raftmetrics_log_end_offset) leo=$(whole \"$value\") ;;\n";
        conditions.push(
            "[ \"${leader:--1}\" -ge 0 ] && [ \"${hw:--1}\" -ge 0 ] && [ \"${leo:--1}\" -ge \"$hw\" ]",
        );
    }
    Some(Reading {
        names,
        cases,
        condition: conditions.join(" && "),
    })
}

/// A shell function that succeeds when `log_dir` holds no partition's
/// directory (`<topic>-<partition>`; not one being deleted, moved or found
/// stray, whose names end otherwise, nor the KRaft metadata log's).
fn holds_no_partition(log_dir: &str) -> String {
    format!(
        r#"holds_no_partition() {{
  local d n
  for d in {log_dir}/*; do
    n=${{d##*/}}
    case ${{n##*-}} in ''|*[!0-9]*) continue ;; esac
    [ "$n" = __cluster_metadata-0 ] || [ ! -d "$d" ] || return 1
  done
}}"#
    )
}

/// The exec command of a Kafka pod's readiness probe, reading the exporter
/// on `port`, with its log directory at `log_dir`; `None` for ZooKeeper,
/// whose probe asks the server itself.
pub fn command(role: Role, port: u16, log_dir: &str) -> Option<Vec<String>> {
    let Reading {
        mut names,
        mut cases,
        mut condition,
    } = reading(role)?;
    // Only the pod itself sees its disk: `in_sync` below judges other
    // nodes without this, as KRaft nodes, which load their partitions
    // before they are RUNNING.
    let mut functions = WHOLE.to_string();
    if matches!(role, Role::Broker | Role::Combined) {
        functions += "\n";
        functions += &holds_no_partition(log_dir);
        names.push("kafka_server_replicamanager_partitioncount");
        cases += "    kafka_server_replicamanager_partitioncount) parts=$(whole \"$value\") ;;\n";
        condition += " && { [ \"${parts:-0}\" -gt 0 ] || holds_no_partition; }";
    }
    // The exporter answers with every metric (about 400 KB on a broker);
    // grep keeps the few lines read here.
    let script = format!(
        r#"{functions}
state= lag= parts= leader= hw= leo=
exec 3<>/dev/tcp/127.0.0.1/{port} || exit 1
printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3
while IFS=' ' read -r name value _; do
  case $name in
{cases}  esac
done < <(grep -E '^({names})[{{ ]' <&3)
{condition}
"#,
        names = names.join("|"),
    );
    Some(vec!["/bin/bash".into(), "-c".into(), script])
}

/// How [`in_sync_function`] names a Kafka node's role (one word, for a
/// shell script); `None` for ZooKeeper.
pub fn word(role: Role) -> Option<&'static str> {
    match role {
        Role::Broker => Some("broker"),
        Role::Controller => Some("controller"),
        Role::Combined => Some("combined"),
        Role::ZooKeeper => None,
    }
}

/// Shell functions for a script that judges other nodes as their
/// readiness probes do: `in_sync HOST ROLE` reads the exporter on
/// `HOST:port` and answers whether a node of ROLE (`broker`, `controller`
/// or `combined`) is ready.
pub fn in_sync_function(port: u16) -> String {
    let mut names = Vec::new();
    let mut cases = String::new();
    let mut roles = String::new();
    for role in [Role::Broker, Role::Controller, Role::Combined] {
        let (Some(word), Some(r)) = (word(role), reading(role)) else {
            continue;
        };
        for (name, case) in r.names.iter().zip(r.cases.lines()) {
            if !names.contains(name) {
                names.push(name);
                cases += &format!("  {case}\n");
            }
        }
        roles += &format!("    {word}) {} ;;\n", r.condition);
    }
    format!(
        r#"{WHOLE}
in_sync() {{
  local name value state= lag= leader= hw= leo=
  {{ exec 4<>"/dev/tcp/$1/{port}"; }} 2> /dev/null || return 1
  printf 'GET /metrics HTTP/1.0\r\n\r\n' >&4
  while IFS=' ' read -r name value _; do
    case $name in
{cases}    esac
  done < <(grep -E '^({names})[{{ ]' <&4)
  exec 4<&-
  case $2 in
{roles}    *) return 1 ;;
  esac
}}"#,
        names = names.join("|"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::process::Command;

    /// Runs the probe of `role` against an exporter that answers `page`
    /// once, with an empty log directory; whether it says ready.
    fn ready(role: Role, page: &str) -> bool {
        ready_holding(role, page, &[])
    }

    /// As [`ready`], with a log directory holding `dirs`.
    fn ready_holding(role: Role, page: &str, dirs: &[&str]) -> bool {
        let log_dir = std::env::temp_dir().join(format!(
            "kafkagen-readiness-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&log_dir).unwrap();
        for d in dirs {
            std::fs::create_dir(log_dir.join(d)).unwrap();
        }
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let body = page.to_string();
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut request = [0u8; 1024];
            let _ = conn.read(&mut request);
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n\r\n{body}"
            );
        });
        let command = command(role, port, log_dir.to_str().unwrap()).unwrap();
        let ok = Command::new(&command[0])
            .args(&command[1..])
            .status()
            .unwrap()
            .success();
        server.join().unwrap();
        std::fs::remove_dir_all(&log_dir).unwrap();
        ok
    }

    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

    fn broker(state: &str, lag: &str) -> String {
        format!(
            "# HELP kafka_server_kafkaserver_brokerstate Attribute exposed for management\n\
             # TYPE kafka_server_kafkaserver_brokerstate gauge\n\
             kafka_server_kafkaserver_brokerstate {state}\n\
             kafka_server_replicaalterlogdirsmanager_maxlag{{clientId=\"ReplicaAlterLogDirs\",}} 7.0\n\
             kafka_server_replicafetchermanager_maxlag{{clientId=\"Replica\",}} {lag}\n\
             kafka_server_replicafetchermanager_minfetchrate{{clientId=\"Replica\",}} 9.0\n"
        )
    }

    fn controller(leader: &str, hw: &str, leo: &str) -> String {
        format!(
            "kafka_server_raftmetrics_current_leader {leader}\n\
             kafka_server_raftmetrics_high_watermark {hw}\n\
             kafka_server_raftmetrics_log_end_offset {leo}\n\
             kafka_server_raftmetrics_current_epoch 4.0\n"
        )
    }

    #[test]
    fn a_broker_is_ready_only_running_and_caught_up() {
        assert!(ready(Role::Broker, &broker("3.0", "0.0")));
        // Behind a leader's high watermark: out of the ISR.
        assert!(!ready(Role::Broker, &broker("3.0", "12.0")));
        assert!(!ready(Role::Broker, &broker("3.0", "1.2345678E7")));
        // RECOVERY (2), PENDING_CONTROLLED_SHUTDOWN (6).
        assert!(!ready(Role::Broker, &broker("2.0", "0.0")));
        assert!(!ready(Role::Broker, &broker("6.0", "0.0")));
        // Another manager's lag is not the fetchers'.
        assert!(!ready(
            Role::Broker,
            "kafka_server_kafkaserver_brokerstate 3.0\n\
             kafka_server_replicaalterlogdirsmanager_maxlag{clientId=\"ReplicaAlterLogDirs\",} 0.0\n"
        ));
        // An exporter that answers nothing Kafka.
        assert!(!ready(Role::Broker, "up 1.0\n"));
    }

    #[test]
    fn a_broker_with_partitions_on_disk_waits_until_it_is_given_them() {
        let with = |parts: &str| {
            format!(
                "{}kafka_server_replicamanager_partitioncount {parts}\n",
                broker("3.0", "0.0")
            )
        };
        let disk = ["orders-0", "orders-1", "__consumer_offsets-12"];
        // RUNNING, following nothing yet: the controller has not sent it
        // its partitions.
        assert!(!ready_holding(Role::Broker, &with("0.0"), &disk));
        assert!(!ready_holding(
            Role::Combined,
            &format!("{}{}", with("0.0"), controller("1.0", "5.0", "5.0")),
            &disk
        ));
        assert!(ready_holding(Role::Broker, &with("24.0"), &disk));
        // A broker that holds no partition yet is ready without any.
        assert!(ready_holding(Role::Broker, &with("0.0"), &[]));
        // Directories that are not a partition's: being deleted, moved,
        // stray, and the KRaft metadata log.
        let not_partitions = [
            "orders-0.0a1b2c3d4e5f-delete",
            "orders-1.0a1b2c3d4e5f-future",
            "orders-2.0a1b2c3d4e5f-stray",
            "__cluster_metadata-0",
            "notes",
        ];
        assert!(ready_holding(Role::Broker, &with("0.0"), &not_partitions));
        // A controller's probe does not look at the disk.
        assert!(ready_holding(
            Role::Controller,
            &controller("1.0", "5.0", "5.0"),
            &disk
        ));
    }

    #[test]
    fn a_controller_is_ready_only_with_a_leader_and_caught_up() {
        assert!(ready(
            Role::Controller,
            &controller("1.0", "1.2345678E7", "1.2345679E7")
        ));
        assert!(ready(
            Role::Controller,
            &controller("0.0", "120.0", "120.0")
        ));
        assert!(!ready(
            Role::Controller,
            &controller("-1.0", "120.0", "120.0")
        ));
        assert!(!ready(
            Role::Controller,
            &controller("2.0", "1.2345679E7", "1.2345678E7")
        ));
        assert!(!ready(Role::Controller, &controller("2.0", "-1.0", "5.0")));
    }

    #[test]
    fn a_combined_node_needs_both() {
        let page = |b: &str, c: &str| format!("{b}{c}");
        assert!(ready(
            Role::Combined,
            &page(&broker("3.0", "0.0"), &controller("1.0", "50.0", "50.0"))
        ));
        assert!(!ready(
            Role::Combined,
            &page(&broker("3.0", "0.0"), &controller("1.0", "50.0", "49.0"))
        ));
        assert!(!ready(
            Role::Combined,
            &page(&broker("3.0", "3.0"), &controller("1.0", "50.0", "50.0"))
        ));
    }

    /// Runs `in_sync 127.0.0.1 ROLE` against an exporter that answers
    /// `page` once; whether it says ready.
    fn peer_in_sync(role: &str, page: &str) -> bool {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let body = page.to_string();
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut request = [0u8; 1024];
            let _ = conn.read(&mut request);
            let _ = write!(conn, "HTTP/1.1 200 OK\r\n\r\n{body}");
        });
        let script = format!("{}\nin_sync 127.0.0.1 {role}", in_sync_function(port));
        let ok = Command::new("/bin/bash")
            .args(["-c", &script])
            .status()
            .unwrap()
            .success();
        server.join().unwrap();
        ok
    }

    #[test]
    fn another_node_is_judged_as_its_probe_judges_it() {
        assert!(peer_in_sync("broker", &broker("3.0", "0.0")));
        assert!(!peer_in_sync("broker", &broker("3.0", "4.0")));
        assert!(!peer_in_sync("broker", &broker("6.0", "0.0")));
        let controller = controller("1.0", "9.0", "9.0");
        assert!(peer_in_sync("controller", &controller));
        // A controller's page does not make a combined node.
        assert!(!peer_in_sync("combined", &controller));
        let combined = |leo: &str| {
            format!(
                "{}{}",
                broker("3.0", "0.0"),
                self::controller("1.0", "9.0", leo)
            )
        };
        assert!(peer_in_sync("combined", &combined("9.0")));
        assert!(!peer_in_sync("combined", &combined("8.0")));
        assert!(!peer_in_sync("zookeeper", &broker("3.0", "0.0")));
    }

    #[test]
    fn a_node_that_does_not_answer_is_not_in_sync() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let out = Command::new("/bin/bash")
            .args([
                "-c",
                &format!("{}\nin_sync 127.0.0.1 broker", in_sync_function(port)),
            ])
            .output()
            .unwrap();
        assert!(!out.status.success());
        // Quietly: the watcher's log is the container's.
        assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    }

    #[test]
    fn zookeeper_keeps_its_own_probe() {
        assert!(command(Role::ZooKeeper, 9404, "/var/lib/kafka/data/logs").is_none());
    }
}
