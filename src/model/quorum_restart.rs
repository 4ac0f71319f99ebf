//! Quorum certificates that renew without a person (docs/security.md,
//! "Renewal").
//!
//! A KRaft node builds the TLS settings of its quorum client once, when it
//! starts, and no reconfiguration reaches them; a dedicated controller's
//! own listener is not reloaded either. So with TLS on the quorum, a node
//! must restart to present a renewed certificate there. Each node that
//! must runs a watcher beside Kafka, started by its start script, with
//! bash alone:
//! - every [`CHECK_SECONDS`] it compares the keystore file with what it
//!   held when the container started; once the kubelet has put the renewed
//!   Secret there, the node waits for its turn;
//! - the nodes that restart take turns by the clock: one [`SLOT_SECONDS`]
//!   slot each, in the order of [`FILE`] (every KRaft node: the
//!   controllers, then the brokers), round and round; a node acts only
//!   inside its slot, away from its edges by [`GUARD_SECONDS`] (the nodes'
//!   clocks may differ by that much), so no two nodes act at once;
//! - in its slot, a node stops Kafka only when every node in [`FILE`]
//!   answers as ready as its readiness probe would, on two checks in a row:
//!   a node still restarting, for this or any other reason, holds the
//!   others back until a later turn;
//! - then it stops Kafka with SIGTERM (a controlled shutdown, as the
//!   kubelet's own stop), and the kubelet starts the container again by
//!   the pod's restart policy; the new JVM reads the renewed keystore, which
//!   its watcher then holds: each node restarts once.
//!
//! So the nodes restart one at a time, each only while the whole cluster
//! is in sync: the same promise as a roll. Nodes read each other's
//! exporters, which needs metrics on, and the NetworkPolicies let the
//! cluster's nodes reach the metrics port.

use super::Component;
use super::components::Role;
use super::readiness;
use crate::broker_properties::{COMBINED_FILE, TLS_DIR};
use crate::cluster::{Authentication, Cluster, Metadata};
use crate::model::logging::SETTINGS_DIR;

/// The settings file that lists the nodes in restart order, one per line:
/// `host role restarts|stays`.
pub const FILE: &str = "quorum-restart";

/// Seconds between two checks of the watcher.
const CHECK_SECONDS: u32 = 10;

/// Each restarting node's turn, in seconds of the clock.
const SLOT_SECONDS: u32 = 60;

/// Seconds at either edge of a turn in which its node does not act.
const GUARD_SECONDS: u32 = 10;

/// Whether nodes of `role` restart to present a renewed certificate on the
/// quorum: controllers (and combined nodes) when the quorum has TLS (their
/// listener), brokers too when it demands client certificates (their
/// client). Never without the metrics exporter the watcher reads.
pub fn restarts(c: &Cluster, role: Role) -> bool {
    if c.metrics.is_none() || !matches!(c.metadata, Metadata::Kraft(_)) {
        return false;
    }
    let quorum = c.quorum_security();
    match role {
        Role::Controller | Role::Combined => quorum.iter().any(|l| l.tls),
        Role::Broker => quorum
            .iter()
            .any(|l| l.tls && l.authentication == Authentication::Mtls),
        Role::ZooKeeper => false,
    }
}

/// Whether the cluster renders the ordered restart at all.
pub fn on(c: &Cluster) -> bool {
    restarts(c, Role::Controller)
}

/// The start script's lines that start the watcher in the background,
/// before the script hands over to the image's entrypoint, which execs
/// Kafka in the shell's process. The exporter is on `port`.
pub fn start_lines(port: u16) -> String {
    let body = format!(
        r#"set +eu
local keystore="{TLS_DIR}/{COMBINED_FILE}" order="{SETTINGS_DIR}/{FILE}"
local held current noticed= steady=
held=$(< "$keystore")
{in_sync}
# Whether this is this node's turn and every node is ready.
turn() {{
  local host role restarts mine= count=0 now
  while read -r host role restarts; do
    if [ "$restarts" = restarts ]; then
      [ "${{host%%.*}}" = "$HOSTNAME" ] && mine=$count
      count=$((count + 1))
    fi
  done < "$order"
  [ -n "$mine" ] || return 1
  printf -v now '%(%s)T' -1
  [ $((now / {SLOT_SECONDS} % count)) = "$mine" ] || return 1
  [ $((now % {SLOT_SECONDS})) -ge {GUARD_SECONDS} ] && [ $((now % {SLOT_SECONDS})) -lt {last} ] || return 1
  while read -r host role restarts; do
    [ -z "$host" ] || in_sync "$host" "$role" || return 1
  done < "$order"
}}
while sleep {CHECK_SECONDS}; do
  current=$(< "$keystore") || continue
  if [ "$current" = "$held" ]; then
    noticed= steady=
    continue
  fi
  if [ -z "$noticed" ]; then
    noticed=yes
    echo "kafkagen: $keystore was renewed; this node restarts to present it on the KRaft quorum, in its turn ($order) and while every node is ready"
  fi
  if ! turn; then
    steady=
  elif [ -z "$steady" ]; then
    steady=yes
  else
    echo "kafkagen: this node's turn, and every node is ready: stopping Kafka, to start again with the renewed certificate"
    kill -TERM "$kafka"
    return
  fi
done"#,
        in_sync = readiness::in_sync_function(port),
        last = SLOT_SECONDS - GUARD_SECONDS,
    );
    let mut lines = String::from("quorum_restart() {\n");
    for line in body.lines() {
        if !line.is_empty() {
            lines += "  ";
        }
        lines += line;
        lines += "\n";
    }
    // Kubernetes turns `$$` in a command into `$`: the shell's PID (the
    // one Kafka will have) comes from BASHPID.
    lines + "}\nkafka=$BASHPID\nquorum_restart &\n"
}

/// The nodes in restart order (the controllers, then the brokers; the
/// combined nodes by ordinal): the content of [`FILE`].
pub fn order(c: &Cluster, components: &[&Component]) -> String {
    let mut out = String::new();
    for component in components {
        let Some(role) = readiness::word(component.role) else {
            continue;
        };
        let restarts = if restarts(c, component.role) {
            "restarts"
        } else {
            "stays"
        };
        for p in &component.pods {
            out += &format!("{} {role} {restarts}\n", p.dns);
        }
    }
    out
}
