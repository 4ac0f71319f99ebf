//! The images a render names, as the live boot stands them in: a layer of
//! the image's own files (its entrypoint scripts from `xtask/images/`, the
//! tools at the paths and names the image has, its directories and user),
//! the real Kafka and ZooKeeper jars bound in read-only, and the image's
//! environment, command and working directory.

use crate::versions::{self, KafkaLine};
use anyhow::{Context, Result, bail};
use kafkagen::validate::image::{self, Flavor};
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{PermissionsExt, chown};
use std::path::{Path, PathBuf};

/// The uid and gid of `appuser` in every image the harness knows.
const APPUSER: u32 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    ConfluentKafka,
    ConfluentServer,
    ConfluentZooKeeper,
    /// confluentinc/cp-base-new: what the other Confluent images are built
    /// on; kafkagen copies the JMX exporter's agent from it.
    ConfluentBase,
    ApacheKafka,
}

/// One image as the harness runs it.
#[derive(Debug, Clone)]
pub struct Image {
    pub kind: Kind,
    pub line: &'static KafkaLine,
    /// The layer directory `container.sh` copies into the container's root.
    pub dir: PathBuf,
    /// Read-only binds: host directory, path in the container.
    pub binds: Vec<(PathBuf, String)>,
    /// The image's ENV.
    pub env: BTreeMap<String, String>,
    pub cmd: Vec<String>,
    pub workdir: String,
    /// Where the image's entrypoint writes the server's effective
    /// configuration (the file the server is started with).
    pub config_file: String,
}

/// Which image a reference is, and the Kafka line that runs it; a note
/// when that line is not the image's own version.
pub fn identify(reference: &str) -> Result<(Kind, &'static KafkaLine, Option<String>)> {
    let img = image::parse(reference)
        .with_context(|| format!("`{reference}` is not an image reference"))?;
    let path = reference.split(['@', ':']).next().unwrap_or_default();
    if path.ends_with("cp-base-new") {
        let (major, minor) = img
            .version
            .and_then(image::confluent_kafka)
            .with_context(|| format!("`{reference}`: no Confluent Platform version in its tag"))?;
        return Ok((Kind::ConfluentBase, versions::line_for(major, minor), None));
    }
    let kind = match img.flavor {
        Flavor::ConfluentKafka if path.ends_with("cp-server") => Kind::ConfluentServer,
        Flavor::ConfluentKafka => Kind::ConfluentKafka,
        Flavor::ConfluentZooKeeper => Kind::ConfluentZooKeeper,
        Flavor::ApacheKafka => Kind::ApacheKafka,
        _ => bail!(
            "`{reference}`: the harness runs cp-kafka, cp-server, cp-zookeeper and apache/kafka images"
        ),
    };
    let kafka = img.kafka_version();
    let (major, minor) = kafka.with_context(|| {
        format!(
            "`{reference}`: no version in its tag (a digest alone does not say which Kafka it runs)"
        )
    })?;
    let line = versions::line_for(major, minor);
    let exact = match kind {
        Kind::ApacheKafka => img.tag.as_deref() == Some(line.version),
        _ => line.version.starts_with(&format!("{major}.{minor}.")),
    };
    let note = (!exact).then(|| {
        format!(
            "{reference} runs on Apache Kafka {} (the nearest pinned version)",
            line.version
        )
    });
    if kind != Kind::ApacheKafka && line.log4j2 {
        bail!(
            "`{reference}`: the harness stands in Confluent images of Kafka 3.x (Confluent Platform 7.x) only"
        );
    }
    Ok((kind, line, note))
}

fn write(path: &Path, text: &str, mode: u32) -> Result<()> {
    fs::create_dir_all(path.parent().unwrap())?;
    fs::write(path, text).with_context(|| format!("write {}", path.display()))?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
    Ok(())
}

fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (k, v) in vars {
        out = out.replace(&format!("@{k}@"), v);
    }
    out
}

/// Copies a directory tree of the repository's image files.
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from).with_context(|| format!("read {}", from.display()))? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            fs::create_dir_all(&dest).with_context(|| format!("create {}", dest.display()))?;
            copy_tree(&entry.path(), &dest)?;
        } else {
            fs::copy(entry.path(), &dest).with_context(|| {
                format!("copy {} to {}", entry.path().display(), dest.display())
            })?;
        }
    }
    Ok(())
}

/// Directories the image creates, owned by appuser.
fn own_dirs(root: &Path, dirs: &[&str]) -> Result<()> {
    for d in dirs {
        let p = root.join(d.trim_start_matches('/'));
        fs::create_dir_all(&p)?;
        chown(&p, Some(APPUSER), Some(APPUSER))?;
        fs::set_permissions(&p, fs::Permissions::from_mode(0o775))?;
    }
    Ok(())
}

/// The host's users and groups, with uid and gid 1000 as the images have
/// them: `appuser`.
fn passwd(root: &Path) -> Result<()> {
    let keep = |text: String| -> String {
        text.lines()
            .filter(|l| l.split(':').nth(2) != Some("1000") && !l.starts_with("appuser:"))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    let passwd =
        keep(fs::read_to_string("/etc/passwd")?) + "appuser:x:1000:1000::/home/appuser:/bin/bash\n";
    let group = keep(fs::read_to_string("/etc/group")?) + "appuser:x:1000:\n";
    write(&root.join("etc/passwd"), &passwd, 0o644)?;
    write(&root.join("etc/group"), &group, 0o644)?;
    Ok(())
}

/// The JDK that stands in for the image's own (the images run Java 17 or 21).
pub fn host_jdk() -> Result<PathBuf> {
    let java = fs::canonicalize("/usr/bin/java").context("no java on this machine")?;
    // .../bin/java -> the JDK's home
    Ok(java
        .parent()
        .and_then(Path::parent)
        .context("java's home")?
        .to_path_buf())
}

/// Builds the layer of one image under `work`.
pub fn build(
    reference: &str,
    work: &Path,
    sources: &Path,
    jars: &Path,
    helper_jars: &Path,
) -> Result<Image> {
    let (kind, line, _) = identify(reference)?;
    let key = format!("{kind:?}-{}", line.version).to_lowercase();
    let dir = work.join("images").join(&key);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir)?;
    let common = sources.join("common");
    let run_class = fs::read_to_string(common.join("kafka-run-class.in"))?;
    let server_start = fs::read_to_string(common.join("server-start.in"))?;
    let tool = fs::read_to_string(common.join("tool.in"))?;
    passwd(&dir)?;
    own_dirs(&dir, &["/home/appuser"])?;
    let mut env = BTreeMap::new();
    let mut binds = Vec::new();
    let image = match kind {
        Kind::ApacheKafka => {
            copy_tree(&sources.join("apache"), &dir)?;
            let (log4j, tools_log4j, log4j_files) = if line.log4j2 {
                (
                    "-Dlog4j2.configurationFile=$base_dir/../config/log4j2.yaml",
                    "-Dlog4j2.configurationFile=/opt/kafka/bin/../config/tools-log4j2.yaml",
                    ["log4j2.yaml", "tools-log4j2.yaml"],
                )
            } else {
                (
                    "-Dlog4j.configuration=file:$base_dir/../config/log4j.properties",
                    "-Dlog4j.configuration=file:/opt/kafka/bin/../config/tools-log4j.properties",
                    ["log4j.properties", "tools-log4j.properties"],
                )
            };
            let bin = dir.join("opt/kafka/bin");
            write(
                &bin.join("kafka-run-class.sh"),
                &fill(
                    &run_class,
                    &[
                        ("CLASSPATH", "/opt/kafka/libs/*"),
                        ("LOG_DIR", "/opt/kafka/bin/../logs"),
                        ("TOOLS_LOG4J", tools_log4j),
                    ],
                ),
                0o755,
            )?;
            write(
                &bin.join("kafka-server-start.sh"),
                &fill(
                    &server_start,
                    &[
                        ("NAME", "kafkaServer"),
                        (
                            "USAGE",
                            "[-daemon] server.properties [--override property=value]*",
                        ),
                        ("HEAP", "-Xmx1G -Xms1G"),
                        ("RUN_CLASS", "kafka-run-class.sh"),
                        ("MAIN", "kafka.Kafka"),
                        ("LOG4J", log4j),
                    ],
                ),
                0o755,
            )?;
            for (name, main) in line.tools {
                write(
                    &bin.join(format!("{name}.sh")),
                    &fill(
                        &tool,
                        &[
                            ("TOOL", &format!("{name}.sh")),
                            ("MAIN", main),
                            ("RUN_CLASS", "kafka-run-class.sh"),
                        ],
                    ),
                    0o755,
                )?;
            }
            // The defaults the image keeps in /etc/kafka/docker, and the
            // distribution's config directory (seeded into the config emptyDir).
            let defaults = sources.join(if line.log4j2 {
                "apache-config-4"
            } else {
                "apache-config-3"
            });
            copy_tree(&defaults, &dir.join("etc/kafka/docker"))?;
            fs::create_dir_all(dir.join("opt/kafka/config"))?;
            for f in log4j_files.iter().chain(["server.properties"].iter()) {
                fs::copy(defaults.join(f), dir.join("opt/kafka/config").join(f))?;
            }
            own_dirs(
                &dir,
                &[
                    "/opt/kafka",
                    "/opt/kafka/config",
                    "/usr/logs",
                    "/mnt/shared/config",
                    "/var/lib/kafka/data",
                    "/etc/kafka/secrets",
                    "/etc/kafka",
                ],
            )?;
            fs::create_dir_all(dir.join("opt/kafka/libs"))?;
            fs::create_dir_all(dir.join("opt/java/openjdk"))?;
            binds.push((jars.to_path_buf(), "/opt/kafka/libs".to_string()));
            binds.push((host_jdk()?, "/opt/java/openjdk".to_string()));
            env.insert("JAVA_HOME".into(), "/opt/java/openjdk".into());
            env.insert("PATH".into(), "/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into());
            env.insert("LANG".into(), "en_US.UTF-8".into());
            Image {
                kind,
                line,
                dir: dir.clone(),
                binds,
                env,
                cmd: vec!["/etc/kafka/docker/run".into()],
                workdir: "/".into(),
                config_file: "/opt/kafka/config/server.properties".into(),
            }
        }
        Kind::ConfluentBase => {
            fs::create_dir_all(dir.join("usr/share/java/cp-base-new"))?;
            env.insert(
                "PATH".into(),
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into(),
            );
            Image {
                kind,
                line,
                dir: dir.clone(),
                binds: vec![(
                    helper_jars.to_path_buf(),
                    "/usr/share/java/cp-base-new".to_string(),
                )],
                env,
                cmd: Vec::new(),
                workdir: "/".into(),
                config_file: String::new(),
            }
        }
        _ => {
            copy_tree(&sources.join("confluent"), &dir)?;
            let zk = kind == Kind::ConfluentZooKeeper;
            if kind == Kind::ConfluentServer {
                write(&dir.join("etc/confluent/docker/cp-server"), "", 0o644)?;
            }
            let bin = dir.join("usr/bin");
            write(
                &bin.join("kafka-run-class"),
                &fill(
                    &run_class,
                    &[
                        ("CLASSPATH", "/usr/share/java/kafka/*"),
                        ("LOG_DIR", "/usr/logs"),
                        (
                            "TOOLS_LOG4J",
                            "-Dlog4j.configuration=file:/etc/kafka/tools-log4j.properties",
                        ),
                    ],
                ),
                0o755,
            )?;
            let log4j = "-Dlog4j.configuration=file:/etc/kafka/log4j.properties";
            write(
                &bin.join("kafka-server-start"),
                &fill(
                    &server_start,
                    &[
                        ("NAME", "kafkaServer"),
                        (
                            "USAGE",
                            "[-daemon] server.properties [--override property=value]*",
                        ),
                        ("HEAP", "-Xmx1G -Xms1G"),
                        ("RUN_CLASS", "kafka-run-class"),
                        ("MAIN", "kafka.Kafka"),
                        ("LOG4J", log4j),
                    ],
                ),
                0o755,
            )?;
            write(
                &bin.join("zookeeper-server-start"),
                &fill(
                    &server_start,
                    &[
                        ("NAME", "zookeeper"),
                        ("USAGE", "[-daemon] zookeeper.properties"),
                        ("HEAP", "-Xmx512M -Xms512M"),
                        ("RUN_CLASS", "kafka-run-class"),
                        ("MAIN", "org.apache.zookeeper.server.quorum.QuorumPeerMain"),
                        ("LOG4J", log4j),
                    ],
                ),
                0o755,
            )?;
            for (name, main) in line.tools {
                write(
                    &bin.join(name),
                    &fill(
                        &tool,
                        &[
                            ("TOOL", name),
                            ("MAIN", main),
                            ("RUN_CLASS", "kafka-run-class"),
                        ],
                    ),
                    0o755,
                )?;
            }
            copy_tree(&sources.join("confluent-config"), &dir.join("etc/kafka"))?;
            own_dirs(
                &dir,
                &[
                    "/etc/kafka",
                    "/etc/kafka/secrets",
                    "/var/lib/kafka/data",
                    "/var/lib/zookeeper/data",
                    "/var/lib/zookeeper/log",
                    "/var/log/kafka",
                    "/var/log/confluent",
                    "/usr/logs",
                ],
            )?;
            for f in fs::read_dir(dir.join("etc/kafka"))? {
                let p = f?.path();
                chown(&p, Some(APPUSER), Some(0))?;
            }
            fs::create_dir_all(dir.join("usr/share/java/kafka"))?;
            fs::create_dir_all(dir.join("usr/share/java/cp-base-new"))?;
            binds.push((jars.to_path_buf(), "/usr/share/java/kafka".to_string()));
            binds.push((
                helper_jars.to_path_buf(),
                "/usr/share/java/cp-base-new".to_string(),
            ));
            env.insert(
                "PATH".into(),
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into(),
            );
            env.insert("LANG".into(), "C.UTF-8".into());
            env.insert(
                "CUB_CLASSPATH".into(),
                "\"/usr/share/java/cp-base-new/*\"".into(),
            );
            env.insert(
                "COMPONENT".into(),
                if zk { "zookeeper" } else { "kafka" }.into(),
            );
            if !zk {
                for v in [
                    "KAFKA_ZOOKEEPER_CONNECT",
                    "KAFKA_ADVERTISED_LISTENERS",
                    "CLUSTER_ID",
                ] {
                    env.insert(v.into(), String::new());
                }
            }
            Image {
                kind,
                line,
                dir: dir.clone(),
                binds,
                env,
                cmd: vec!["/etc/confluent/docker/run".into()],
                workdir: "/home/appuser".into(),
                config_file: if zk {
                    "/etc/kafka/zookeeper.properties"
                } else {
                    "/etc/kafka/kafka.properties"
                }
                .into(),
            }
        }
    };
    Ok(image)
}
