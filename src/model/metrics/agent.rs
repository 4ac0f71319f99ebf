//! The JMX exporter's java agent in a component's JVM: where the image
//! keeps it (or where an init container copies it to), and the start
//! script's lines that load it.

use crate::cluster::Flavor;
use crate::cluster::Metrics;
use crate::model::containers::{Container, Mount, Volume, VolumeSource, copy_resources};
use crate::model::logging::SETTINGS_DIR;

use super::exporter;

/// Where the Confluent images keep the agent, as
/// `jmx_prometheus_javaagent-<version>.jar`; `metrics.agentImage` must
/// hold it there too.
pub const CONFLUENT_AGENT_DIR: &str = "/usr/share/java/cp-base-new";
/// Where apache/kafka pods get the agent: an emptyDir the `metrics-agent`
/// init container copies it into.
const COPIED_AGENT_DIR: &str = "/opt/kafkagen/metrics-agent";
const AGENT_VOLUME: &str = "metrics-agent";
/// Where the init container mounts that emptyDir.
const COPY_TO: &str = "/agent";
pub const AGENT_JAR: &str = "jmx_prometheus_javaagent-*.jar";

fn agent_dir(flavor: Flavor) -> &'static str {
    match flavor {
        Flavor::ApacheKafka => COPIED_AGENT_DIR,
        _ => CONFLUENT_AGENT_DIR,
    }
}

/// The start script's lines that add the agent to the JVM the image's
/// entrypoint starts. `KAFKA_OPTS` is exported here and not set on the
/// container, so that tools run with `kubectl exec` do not start a second
/// agent on the same port; the image's own short-lived JVMs before the
/// server (ZooKeeper wait, apache/kafka's configuration step) run it in
/// turn and exit.
pub fn start_lines(flavor: Flavor, m: &Metrics) -> String {
    let dir = agent_dir(flavor);
    format!(
        r#"agent=$(ls {dir}/{AGENT_JAR} 2>/dev/null | head -n 1)
if [ -z "$agent" ]; then
  echo "kafkagen: no JMX exporter agent {dir}/{AGENT_JAR} in this image; metrics need it" >&2
  exit 1
fi
export KAFKA_OPTS="${{KAFKA_OPTS:+$KAFKA_OPTS }}-javaagent:$agent={port}:{SETTINGS_DIR}/{file}"
"#,
        port = m.port,
        file = exporter::FILE,
    )
}

/// apache/kafka pods, whose image has no agent: an init container copies
/// it from `metrics.agentImage` into an emptyDir the main container reads.
pub fn add(
    flavor: Flavor,
    m: &Metrics,
    init: &mut Vec<Container>,
    main: &mut Container,
    volumes: &mut Vec<Volume>,
) {
    if flavor != Flavor::ApacheKafka {
        return;
    }
    init.push(Container {
        name: AGENT_VOLUME.into(),
        image: m.agent_image.clone(),
        command: vec![
            "/bin/sh".into(),
            "-c".into(),
            format!(
                "cp {CONFLUENT_AGENT_DIR}/{AGENT_JAR} {COPY_TO}/ || {{ echo \"kafkagen: metrics.agentImage {image} has no {CONFLUENT_AGENT_DIR}/{AGENT_JAR}\" >&2; exit 1; }}",
                image = m.agent_image
            ),
        ],
        ports: Vec::new(),
        env: Vec::new(),
        probes: None,
        resources: copy_resources(),
        mounts: vec![Mount::new(AGENT_VOLUME, COPY_TO)],
    });
    main.mounts.push(Mount {
        read_only: true,
        ..Mount::new(AGENT_VOLUME, COPIED_AGENT_DIR)
    });
    volumes.push(Volume::new(
        AGENT_VOLUME,
        VolumeSource::EmptyDir { size_limit: None },
    ));
}
