//! What a pod runs and mounts: containers (the main one and the init
//! containers that seed its writable directories), their environment and
//! the pod's volumes. One template macro prints every container.

use super::Resources;
use crate::cluster::Flavor;
use crate::listeners::{Listener, NODE_IP_PLACEHOLDER};
use crate::model::logging::{LOG_DIR, SETTINGS_DIR};
use serde::Serialize;

/// The pod's volume of per-pod settings (the settings ConfigMap).
pub const SETTINGS_VOLUME: &str = "pods-config";
/// The pod's data volume: a claim, or an emptyDir.
pub const DATA_VOLUME: &str = "data";
/// Where a seed container mounts the emptyDir it fills.
const SEED_PATH: &str = "/seed";

#[derive(Debug, Serialize)]
pub struct Container {
    pub name: String,
    pub image: String,
    pub command: Vec<String>,
    pub ports: Vec<Port>,
    pub env: Vec<EnvVar>,
    pub probes: Option<Probes>,
    pub resources: Resources,
    pub mounts: Vec<Mount>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Port {
    pub name: String,
    pub port: u16,
}

impl Port {
    /// The listener's container or Service port.
    pub fn of(l: &Listener) -> Port {
        Port {
            name: l.port_name.clone(),
            port: l.port,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Mount {
    pub volume: String,
    pub path: String,
    pub read_only: bool,
}

impl Mount {
    pub fn new(volume: &str, path: &str) -> Self {
        Mount {
            volume: volume.into(),
            path: path.into(),
            read_only: false,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct EnvVar {
    pub name: String,
    #[serde(flatten)]
    pub source: EnvSource,
}

/// Where an environment variable's value comes from; `from` tells the
/// templates which.
#[derive(Debug, Serialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum EnvSource {
    /// A literal, as the kubelet reads it (see [`env_literal`]).
    Value {
        value: String,
    },
    /// A Downward API field, e.g. `status.hostIP`.
    Field {
        field_path: String,
    },
    ConfigMapKey {
        config_map: String,
        key: String,
    },
    SecretKey {
        secret: String,
        key: String,
    },
}

impl EnvVar {
    /// A literal value, passed through unchanged.
    pub fn value(name: &str, value: impl ToString) -> Self {
        EnvVar {
            name: name.into(),
            source: EnvSource::Value {
                value: env_literal(&value.to_string()),
            },
        }
    }

    pub fn field(name: &str, field_path: &str) -> Self {
        EnvVar {
            name: name.into(),
            source: EnvSource::Field {
                field_path: field_path.into(),
            },
        }
    }
}

/// A text as an env value that the kubelet hands over unchanged: it reads
/// `$(NAME)` as a reference and `$$` as a `$`, so every `$` is doubled.
pub fn env_literal(text: &str) -> String {
    text.replace('$', "$$")
}

#[derive(Debug, Serialize)]
pub struct Volume {
    pub name: String,
    #[serde(flatten)]
    pub source: VolumeSource,
}

/// What backs a volume; `kind` tells the templates which.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum VolumeSource {
    EmptyDir {
        size_limit: Option<String>,
    },
    ConfigMap {
        config_map: String,
    },
    Secret {
        secret: String,
        /// Only these keys, when not empty.
        items: Vec<String>,
    },
    /// ConfigMaps and Secrets in one directory.
    Projected {
        sources: Vec<Projection>,
    },
    PersistentClaim {
        claim: String,
    },
}

#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Projection {
    ConfigMap { config_map: String },
    Secret { secret: String },
}

impl Volume {
    pub fn new(name: &str, source: VolumeSource) -> Self {
        Volume {
            name: name.into(),
            source,
        }
    }
}

/// How the kubelet tells that a container started, is ready, and lives.
#[derive(Debug, Serialize)]
pub struct Probes {
    /// The named port the probes connect to.
    pub port: String,
    /// A readiness check stronger than an open port, when the image allows one.
    pub ready_command: Option<Vec<String>>,
    /// Seconds between readiness checks, how long one may take, and how
    /// many must pass in a row.
    pub ready_period: u32,
    pub ready_timeout: u32,
    pub ready_successes: u32,
    /// Startup checks, 10 s apart, before the container counts as failed to
    /// start: log recovery after a crash can take many minutes.
    pub startup_attempts: u32,
}

/// The directories an image writes at start-up and while running, beside
/// its data volume, as (volume, path): where its entrypoint renders
/// configuration (seeded with what the image ships there: the Confluent
/// `configure` writes /etc/kafka, apache/kafka's launch writes
/// /opt/kafka/config), `LOG_DIR` for GC logs, and /tmp for the JVM and the
/// compression codecs' native libraries. The first is seeded.
fn scratch_dirs(flavor: Flavor) -> [(&'static str, &'static str); 3] {
    let config = match flavor {
        Flavor::ApacheKafka => "/opt/kafka/config",
        _ => "/etc/kafka",
    };
    [("config", config), ("logs", LOG_DIR), ("tmp", "/tmp")]
}

/// The start script: exports the pod's own settings (filling in the node's
/// IP), makes `make_dirs`, runs `before_start`, and hands over to the
/// image's entrypoint.
fn start_script(make_dirs: &[&str], before_start: &str, entrypoint: &str) -> String {
    let mut script = format!(
        r#"set -eu
settings="{SETTINGS_DIR}/${{HOSTNAME}}.env"
if [ ! -f "$settings" ]; then
  echo "kafkagen: no settings for pod ${{HOSTNAME}} in {SETTINGS_DIR}; render the manifests again for this number of replicas" >&2
  exit 1
fi
while IFS='=' read -r key value; do
  if [ -n "$key" ]; then
    export "$key=${{value//'{NODE_IP_PLACEHOLDER}'/${{NODE_IP:-}}}}"
  fi
done < "$settings"
"#
    );
    for dir in make_dirs {
        script += &format!("mkdir -p \"{dir}\"\n");
    }
    script + before_start + &format!("exec \"{entrypoint}\"\n")
}

/// What a component's pods run, beside their listeners and environment.
pub struct PodSpec<'a> {
    pub container: &'a str,
    pub image: &'a str,
    pub flavor: Flavor,
    pub entrypoint: &'a str,
    /// Where the data volume is mounted.
    pub data_path: &'a str,
    /// Directories the start script creates on the data volume.
    pub make_dirs: &'a [&'a str],
    /// Shell lines the start script runs before the entrypoint.
    pub before_start: String,
    pub ports: Vec<Port>,
    pub env: Vec<EnvVar>,
    pub probes: Probes,
    pub resources: Resources,
    /// The settings ConfigMap.
    pub pods_config: &'a str,
    /// The data volume's source; `None` when a volumeClaimTemplate makes it.
    pub data: Option<VolumeSource>,
}

/// The init containers, the main container and the volumes of a pod.
pub fn pod(spec: PodSpec) -> (Vec<Container>, Container, Vec<Volume>) {
    let scratch = scratch_dirs(spec.flavor);
    let [(seeded, seeded_path), ..] = scratch;
    let seed = Container {
        name: format!("seed-{seeded}"),
        image: spec.image.into(),
        command: vec![
            "cp".into(),
            "-R".into(),
            format!("{seeded_path}/."),
            SEED_PATH.into(),
        ],
        ports: Vec::new(),
        env: Vec::new(),
        probes: None,
        resources: copy_resources(),
        mounts: vec![Mount::new(seeded, SEED_PATH)],
    };
    let mut mounts = vec![Mount::new(DATA_VOLUME, spec.data_path)];
    mounts.extend(scratch.iter().map(|(v, p)| Mount::new(v, p)));
    mounts.push(Mount {
        read_only: true,
        ..Mount::new(SETTINGS_VOLUME, SETTINGS_DIR)
    });
    let main = Container {
        name: spec.container.into(),
        image: spec.image.into(),
        command: vec![
            "/bin/bash".into(),
            "-c".into(),
            start_script(spec.make_dirs, &spec.before_start, spec.entrypoint),
        ],
        ports: spec.ports,
        env: spec.env,
        probes: Some(spec.probes),
        resources: spec.resources,
        mounts,
    };
    let mut volumes = vec![Volume::new(
        SETTINGS_VOLUME,
        VolumeSource::ConfigMap {
            config_map: spec.pods_config.into(),
        },
    )];
    volumes.extend(
        scratch
            .iter()
            .map(|(v, _)| Volume::new(v, VolumeSource::EmptyDir { size_limit: None })),
    );
    if let Some(data) = spec.data {
        volumes.push(Volume::new(DATA_VOLUME, data));
    }
    (vec![seed], main, volumes)
}

/// A container that copies files once (seeds, the metrics agent): little
/// CPU and memory.
pub fn copy_resources() -> Resources {
    let list = |cpu: &str, memory: &str| {
        [("cpu", cpu), ("memory", memory)]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    Resources {
        requests: list("50m", "32Mi"),
        limits: list("100m", "64Mi"),
    }
}
