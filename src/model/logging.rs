//! Where the JVMs of every image log, so that nothing grows without bound
//! in the pod's `LOG_DIR` emptyDir (which the node evicts the pod for):
//! - the GC log, which `kafka-run-class` writes to `LOG_DIR` (a JVM that
//!   cannot open it does not start), rotates over a few small files;
//! - apache/kafka's own logging configuration also writes rolling files
//!   into `LOG_DIR` and never deletes them: its brokers and controllers log
//!   to the console alone, with a configuration kafkagen mounts. The
//!   Confluent images already log to the console only.

use crate::cluster::Flavor;

/// Where `kafka-run-class` writes the GC log (`LOG_DIR`); an emptyDir.
pub const LOG_DIR: &str = "/var/log/kafka";
/// Where the settings ConfigMap, which carries the logging file, is mounted.
pub const SETTINGS_DIR: &str = "/etc/kafkagen";

const LOG4J2_YAML: &str = "\
# Broker and controller logging from kafkagen: the console only.
Configuration:
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: \"[%d] %p %m (%c)%n\"
  Loggers:
    Root:
      level: INFO
      AppenderRef:
        - ref: STDOUT
    Logger:
      - name: kafka.request.logger
        level: WARN
";

const LOG4J_PROPERTIES: &str = "\
# Broker and controller logging from kafkagen: the console only.
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
";

pub struct Logging {
    /// Environment variables, in order.
    pub env: Vec<(&'static str, String)>,
    /// Files of the settings ConfigMap: name, content.
    pub files: Vec<(&'static str, &'static str)>,
}

/// The logging of a JVM in an image of this flavor and (major, minor)
/// Kafka or Confluent Platform version.
pub fn of(flavor: Flavor, version: Option<(u32, u32)>) -> Logging {
    let mut env = vec![
        ("LOG_DIR", LOG_DIR.to_string()),
        (
            "KAFKA_GC_LOG_OPTS",
            format!("-Xlog:gc*:file={LOG_DIR}/gc.log:time,tags:filecount=4,filesize=10M"),
        ),
    ];
    let mut files = Vec::new();
    if flavor == Flavor::ApacheKafka {
        // Kafka 4.0 moved to log4j 2.
        let (file, text, option) = if version.is_none_or(|v| v >= (4, 0)) {
            ("log4j2.yaml", LOG4J2_YAML, "-Dlog4j2.configurationFile=")
        } else {
            (
                "log4j.properties",
                LOG4J_PROPERTIES,
                "-Dlog4j.configuration=file:",
            )
        };
        env.push(("KAFKA_LOG4J_OPTS", format!("{option}{SETTINGS_DIR}/{file}")));
        files.push((file, text));
    }
    Logging { env, files }
}
