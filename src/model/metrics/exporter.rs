//! The JMX exporter's rules: which MBeans become which Prometheus metrics.
//! Names follow the exporter's usual Kafka conventions (lower case, the
//! MBean's domain, type and name joined by `_`), so that
//! `kafka.server:type=ReplicaManager,name=UnderReplicatedPartitions` is
//! `kafka_server_replicamanager_underreplicatedpartitions`. The agent the
//! images carry is a 0.x release (cp-base-new 7.9.1 ships 0.18.0): its
//! counters keep the names written here, `_total` included.

use crate::model::Role;

/// The rules file's name in the settings ConfigMap.
pub const FILE: &str = "jmx-exporter.yaml";

const KAFKA: &str = r#"# The Prometheus JMX exporter's rules for Kafka brokers and controllers (kafkagen).
lowercaseOutputName: true
# Per-partition MBeans (log sizes and offsets, partition states) are about
# ten series per partition replica: too many to scrape on a large broker.
blacklistObjectNames:
  - "kafka.log:type=Log,*"
  - "kafka.cluster:type=Partition,*"
rules:
  # Rates, as the cumulative counts of Kafka's meters: bytes, messages,
  # requests, ISR shrinks and expands, e.g.
  # kafka_server_brokertopicmetrics_bytesin_total{topic="payments"}.
  - pattern: 'kafka.(\w+)<type=([^,]+), name=([^,]+)PerSec\w*, ([^,]+)=([^,]+), ([^,]+)=([^,]+)><>Count'
    name: kafka_$1_$2_$3_total
    type: COUNTER
    labels:
      "$4": "$5"
      "$6": "$7"
  - pattern: 'kafka.(\w+)<type=([^,]+), name=([^,]+)PerSec\w*, ([^,]+)=([^,]+)><>Count'
    name: kafka_$1_$2_$3_total
    type: COUNTER
    labels:
      "$4": "$5"
  - pattern: 'kafka.(\w+)<type=([^,]+), name=([^,]+)PerSec\w*><>Count'
    name: kafka_$1_$2_$3_total
    type: COUNTER
  # Gauges: partition states, controller state, log directories, e.g.
  # kafka_server_replicamanager_underreplicatedpartitions.
  - pattern: 'kafka.(\w+)<type=([^,]+), name=([^,]+), ([^,]+)=([^,]+), ([^,]+)=([^,]+)><>Value'
    name: kafka_$1_$2_$3
    type: GAUGE
    labels:
      "$4": "$5"
      "$6": "$7"
  - pattern: 'kafka.(\w+)<type=([^,]+), name=([^,]+), ([^,]+)=([^,]+)><>Value'
    name: kafka_$1_$2_$3
    type: GAUGE
    labels:
      "$4": "$5"
  - pattern: 'kafka.(\w+)<type=([^,]+), name=([^,]+)><>Value'
    name: kafka_$1_$2_$3
    type: GAUGE
  # Latencies: the percentiles of Kafka's histograms, e.g.
  # kafka_network_requestmetrics_totaltimems{request="Produce",quantile="0.99"},
  # and how many values they hold (log flushes, requests).
  - pattern: 'kafka.(\w+)<type=([^,]+), name=([^,]+), ([^,]+)=([^,]+)><>(\d+)thPercentile'
    name: kafka_$1_$2_$3
    type: GAUGE
    labels:
      "$4": "$5"
      quantile: "0.$6"
  - pattern: 'kafka.(\w+)<type=([^,]+), name=([^,]+)><>(\d+)thPercentile'
    name: kafka_$1_$2_$3
    type: GAUGE
    labels:
      quantile: "0.$4"
  - pattern: 'kafka.(\w+)<type=([^,]+), name=([^,]+), ([^,]+)=([^,]+)><>Count'
    name: kafka_$1_$2_$3_count
    type: COUNTER
    labels:
      "$4": "$5"
  - pattern: 'kafka.(\w+)<type=([^,]+), name=([^,]+)><>Count'
    name: kafka_$1_$2_$3_count
    type: COUNTER
  # The KRaft quorum, on every node, e.g. kafka_server_raftmetrics_current_leader
  # (-1 while the node knows no leader).
  - pattern: 'kafka.server<type=raft-metrics><>([a-z-]+-total)'
    name: kafka_server_raftmetrics_$1
    type: COUNTER
  - pattern: 'kafka.server<type=raft-metrics><>([a-z-]+)'
    name: kafka_server_raftmetrics_$1
    type: GAUGE
"#;

const ZOOKEEPER: &str = r#"# The Prometheus JMX exporter's rules for ZooKeeper (kafkagen).
lowercaseOutputName: true
rules:
  # A member of an ensemble: the ensemble's size, and the server's own
  # figures while it serves as Leader or Follower.
  - pattern: 'org.apache.ZooKeeperService<name0=ReplicatedServer_id(\d+)><>(\w+)'
    name: zookeeper_$2
    type: GAUGE
  - pattern: 'org.apache.ZooKeeperService<name0=ReplicatedServer_id(\d+), name1=replica.(\d+), name2=(Leader|Follower)><>(Packets\w+)'
    name: zookeeper_$4
    type: COUNTER
    labels:
      memberType: "$3"
  - pattern: 'org.apache.ZooKeeperService<name0=ReplicatedServer_id(\d+), name1=replica.(\d+), name2=(Leader|Follower)><>(\w+)'
    name: zookeeper_$4
    type: GAUGE
    labels:
      memberType: "$3"
  # A server on its own: zookeeper_avgrequestlatency, zookeeper_numaliveconnections, ...
  - pattern: 'org.apache.ZooKeeperService<name0=StandaloneServer_port(\d+)><>(Packets\w+)'
    name: zookeeper_$2
    type: COUNTER
    labels:
      memberType: Standalone
  - pattern: 'org.apache.ZooKeeperService<name0=StandaloneServer_port(\d+)><>(\w+)'
    name: zookeeper_$2
    type: GAUGE
    labels:
      memberType: Standalone
"#;

/// The rules file for a component's JVMs.
pub fn rules(role: Role) -> &'static str {
    match role {
        Role::ZooKeeper => ZOOKEEPER,
        _ => KAFKA,
    }
}
