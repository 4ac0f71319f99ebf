//! The Jobs that talk to the brokers once they are up, as any client
//! does (with the internal listener's TLS settings, and kafkagen's admin
//! certificate when it demands one): the topics Job creates the spec's
//! topics, the users Job sets the SCRAM users' credentials, the ACLs Job
//! converges the users' ACLs, and the reload CronJob makes the brokers
//! reread renewed certificates.

use super::components::commands;
use super::containers::env_literal;
use super::security;
use super::{IMAGE_USER, Labels, Resources, digest, labels, resources};
use crate::broker_properties::{COMBINED_FILE, SCRAM, TLS_DIR};
use crate::cluster::{Authentication, Cluster, Credential, Flavor};
use crate::job_input::{self, AclEntry, TopicLine};
use crate::listeners::Listener;
use crate::names::Names;
use serde::Serialize;

/// What a Job needs to reach the brokers.
#[derive(Debug, Serialize)]
pub struct JobClient {
    pub bootstrap: String,
    /// How many brokers must answer before the Job goes on.
    pub brokers: String,
    /// The image's `kafka-broker-api-versions` command.
    pub api_versions_tool: String,
    /// The client's `--command-config` file, as `key=value` lines.
    pub properties: String,
    /// The Secret whose `ca.crt` the Job trusts (the brokers'), or that
    /// also holds its own certificate (kafkagen's admin).
    pub ca_secret: Option<String>,
    pub ca_dir: String,
    /// The Secret's keys the Job mounts.
    pub tls_files: Vec<String>,
    /// With the user's own admin certificate: what it must hold (set by
    /// the model with the other workloads').
    pub annotations: Labels,
}

#[derive(Debug, Serialize)]
pub struct TopicsJob {
    pub name: String,
    pub image: String,
    pub labels: Labels,
    pub client: JobClient,
    /// The image's `kafka-topics` command.
    pub topics_tool: String,
    /// One topic per line: `name partitions replication-factor [key=value]...`
    pub topics: String,
    pub resources: Resources,
    pub user: u32,
}

/// A SCRAM user: its name, and the Secret key of its password (a file
/// named after the user in the Job).
#[derive(Debug, Serialize)]
pub struct ScramUser {
    pub name: String,
    pub secret: String,
    pub key: String,
}

/// Where the users Job mounts the passwords.
const PASSWORDS_DIR: &str = "/opt/kafkagen/passwords";

#[derive(Debug, Serialize)]
pub struct UsersJob {
    pub name: String,
    pub image: String,
    pub labels: Labels,
    pub client: JobClient,
    /// The image's `kafka-configs` command.
    pub configs_tool: String,
    pub mechanism: String,
    /// The iteration count that marks the credentials the Job made
    /// (`security::SCRAM_ITERATIONS`).
    pub iterations: String,
    /// One user per line.
    pub users: String,
    pub scram_users: Vec<ScramUser>,
    pub passwords_dir: String,
    pub resources: Resources,
    pub user: u32,
}

/// The image's command of one of Kafka's tools (`kafka-configs`): a
/// script under `/opt/kafka/bin` in apache/kafka, on the `PATH` in
/// Confluent's images.
fn tool(flavor: Flavor, name: &str) -> String {
    match flavor {
        Flavor::ApacheKafka => format!("/opt/kafka/bin/{name}.sh"),
        _ => name.to_string(),
    }
}

/// The client settings of a Job on `internal`, the brokers' internal listener.
fn client(c: &Cluster, bootstrap: &str, internal: &Listener, brokers: u32) -> JobClient {
    let tls = security::job_tls(c, internal);
    let properties: String = tls
        .properties
        .iter()
        .map(|(k, v)| format!("{k}={v}\n"))
        .collect();
    JobClient {
        bootstrap: bootstrap.to_string(),
        brokers: brokers.to_string(),
        api_versions_tool: commands(c.kafka.flavor).2.into(),
        properties: env_literal(&properties),
        ca_secret: tls.secret,
        ca_dir: TLS_DIR.into(),
        tls_files: tls.files,
        annotations: Labels::new(),
    }
}

/// A Job's pod template cannot change once created: new input (the image,
/// the bootstrap, the Job's `list`, the client settings), or a new script
/// in the built-in templates, gets a new Job name, so `kubectl apply`
/// never hits an immutable field.
fn job_hash(template: &str, c: &Cluster, client: &JobClient, list: &str) -> String {
    let script = [
        template,
        "kafka/client-job.yaml.j2",
        "container-security.yaml.j2",
    ]
    .map(|t| crate::templates::builtin(t).unwrap_or_default())
    .concat();
    let input = format!(
        "{}\n{}\n{list}\n{}",
        c.kafka.image, client.bootstrap, client.properties
    );
    digest(&format!("{input}\n{script}"), 8)
}

/// A short-lived JVM client's resources.
fn job_resources() -> Resources {
    resources(&crate::cluster::Resources {
        requests_cpu: Some("100m".into()),
        requests_memory: Some("384Mi".into()),
        limits_cpu: Some("500m".into()),
        limits_memory: Some("384Mi".into()),
    })
}

pub fn topics_job(
    c: &Cluster,
    names: &Names,
    bootstrap: &str,
    internal: &Listener,
) -> Option<TopicsJob> {
    if c.topics.is_empty() {
        return None;
    }
    let topics = job_input::document(c.topics.iter().map(|t| {
        TopicLine {
            name: t.name.clone(),
            partitions: t.partitions,
            replicas: t.replication_factor,
            configs: t.config.iter().map(|(k, v)| format!("{k}={v}")).collect(),
        }
        .line()
    }));
    // Not the cluster size, so that adding brokers leaves the Job as it is.
    let wanted = c
        .topics
        .iter()
        .map(|t| t.replication_factor)
        .max()
        .unwrap_or(1);
    let client = client(c, bootstrap, internal, wanted);
    let (_, topics_tool, _) = commands(c.kafka.flavor);
    let hash = job_hash("kafka/topics-job.yaml.j2", c, &client, &topics);
    Some(TopicsJob {
        name: names.topics_job(&hash),
        image: c.kafka.image.clone(),
        labels: labels("kafka", &c.name, "topics"),
        client,
        topics_tool: topics_tool.into(),
        topics: env_literal(&topics),
        resources: job_resources(),
        user: IMAGE_USER,
    })
}

/// The users Job: rendered whenever a listener of the brokers takes SCRAM
/// logins, with no SCRAM user too, so that removing the last user removes
/// its credential.
pub fn users_job(
    c: &Cluster,
    names: &Names,
    bootstrap: &str,
    listeners: &[Listener],
) -> Option<UsersJob> {
    let s = c.security.as_ref()?;
    let internal = listeners.first()?;
    let scram_users: Vec<ScramUser> = s
        .users
        .iter()
        .filter_map(|u| match &u.credential {
            Credential::Scram { secret, key } => Some((u, secret, key)),
            Credential::Certificate => None,
        })
        .map(|(u, secret, key)| ScramUser {
            name: u.name.clone(),
            secret: secret.clone(),
            key: key.clone(),
        })
        .collect();
    let logins = listeners
        .iter()
        .any(|l| l.security.authentication == Authentication::ScramSha512);
    if scram_users.is_empty() && !logins {
        return None;
    }
    let users = job_input::document(scram_users.iter().map(|u| u.name.clone()));
    let refs: String = scram_users
        .iter()
        .map(|u| format!("{} {} {}\n", u.name, u.secret, u.key))
        .collect();
    let client = client(c, bootstrap, internal, 1);
    let hash = job_hash("kafka/users-job.yaml.j2", c, &client, &refs);
    Some(UsersJob {
        name: names.users_job(&hash),
        image: c.kafka.image.clone(),
        labels: labels("kafka", &c.name, "users"),
        client,
        configs_tool: tool(c.kafka.flavor, "kafka-configs"),
        mechanism: SCRAM.into(),
        iterations: security::SCRAM_ITERATIONS.to_string(),
        users: env_literal(&users),
        scram_users,
        passwords_dir: PASSWORDS_DIR.into(),
        resources: job_resources(),
        user: IMAGE_USER,
    })
}

/// The ACLs Job: adds the users' declared ACLs, and removes the ACLs of
/// the principals it owns that the spec no longer declares. It owns the
/// principals of users with ACLs, and records each with a marker ACL
/// (`security::ACL_MARKER`), so that a user removed from the spec loses
/// its ACLs on the next run.
#[derive(Debug, Serialize)]
pub struct AclsJob {
    pub name: String,
    pub image: String,
    pub labels: Labels,
    pub client: JobClient,
    /// The image's `kafka-acls` command.
    pub acls_tool: String,
    /// One ACL per line, as the Job reads `kafka-acls --list`:
    /// `principal|host|OPERATION|PERMISSION|TYPE|name|PATTERN`.
    pub acls: String,
    pub marker: String,
    pub resources: Resources,
    pub user: u32,
}

pub fn acls_job(
    c: &Cluster,
    names: &Names,
    bootstrap: &str,
    internal: &Listener,
) -> Option<AclsJob> {
    let s = c.security.as_ref()?;
    s.authorization.as_ref()?;
    let acls = job_input::document(security::acl_entries(s).iter().map(AclEntry::line));
    let client = client(c, bootstrap, internal, 1);
    let hash = job_hash("kafka/acls-job.yaml.j2", c, &client, &acls);
    Some(AclsJob {
        name: names.acls_job(&hash),
        image: c.kafka.image.clone(),
        labels: labels("kafka", &c.name, "acls"),
        client,
        acls_tool: tool(c.kafka.flavor, "kafka-acls"),
        acls: env_literal(&acls),
        marker: security::ACL_MARKER.into(),
        resources: job_resources(),
        user: IMAGE_USER,
    })
}

/// The `metadata.version` Job: once every node of a KRaft cluster runs a
/// newer Kafka, raises the finalized `metadata.version` to the new line
/// (`kafka-features upgrade --metadata`). The controllers refuse a level
/// that a registered node does not support, so an early run fails and is
/// retried. Only `--metadata`: `--release-version` would also raise
/// `kraft.version`, which cannot be lowered.
#[derive(Debug, Serialize)]
pub struct FeaturesJob {
    pub name: String,
    pub image: String,
    pub labels: Labels,
    pub client: JobClient,
    /// The image's `kafka-features` command.
    pub features_tool: String,
    /// The level, as `kafka-features` takes it: `4.1`.
    pub metadata: String,
    pub resources: Resources,
    pub user: u32,
}

pub fn features_job(
    c: &Cluster,
    names: &Names,
    bootstrap: &str,
    internal: &Listener,
) -> Option<FeaturesJob> {
    let metadata = c.transition.metadata_version.clone()?;
    // Every broker answers: the level is raised on a whole cluster.
    let client = client(c, bootstrap, internal, c.kafka.brokers);
    let hash = job_hash("kafka/features-job.yaml.j2", c, &client, &metadata);
    Some(FeaturesJob {
        name: names.features_job(&hash),
        image: c.kafka.image.clone(),
        labels: labels("kafka", &c.name, "features"),
        client,
        features_tool: tool(c.kafka.flavor, "kafka-features"),
        metadata,
        resources: job_resources(),
        user: IMAGE_USER,
    })
}

/// When the reload CronJob runs: cert-manager renews a certificate well
/// before it expires (a third of its lifetime, by default), so an hour
/// is soon enough and costs a short JVM an hour.
const RELOAD_SCHEDULE: &str = "0 * * * *";

/// The certificates reload CronJob. Brokers read their keystore when they
/// start, and again only when a per-broker setting changes: Kafka then
/// rereads every listener's keystore and truststore whose file changed
/// since it last read them, even when the setting's value is the same.
/// The kubelet updates the mounted Secret when cert-manager renews it; on
/// each run this Job sets, on every broker, each TLS listener's keystore
/// location to the file it already names.
#[derive(Debug, Serialize)]
pub struct ReloadJob {
    pub name: String,
    pub image: String,
    pub labels: Labels,
    pub client: JobClient,
    pub schedule: String,
    /// The image's `kafka-configs` command.
    pub configs_tool: String,
    /// The brokers' ids, separated by spaces.
    pub node_ids: String,
    /// `kafka-configs --add-config`: every TLS listener's keystore.
    pub keystores: String,
    /// `kafka-configs --delete-config`: the same settings' keys, which the
    /// run takes away again once each broker has applied them.
    pub keys: String,
    pub resources: Resources,
    pub user: u32,
}

pub fn reload_job(
    c: &Cluster,
    names: &Names,
    bootstrap: &str,
    brokers: &[Listener],
) -> Option<ReloadJob> {
    let keystore = format!("{TLS_DIR}/{COMBINED_FILE}");
    let keys: Vec<String> = security::reloadable_listeners(brokers)
        .map(security::listener_keystore_key)
        .collect();
    let keystores: Vec<String> = keys.iter().map(|k| format!("{k}={keystore}")).collect();
    if keystores.is_empty() {
        return None;
    }
    let node_ids: Vec<String> = (0..c.kafka.brokers).map(|i| i.to_string()).collect();
    Some(ReloadJob {
        name: names.tls_reload(),
        image: c.kafka.image.clone(),
        labels: labels("kafka", &c.name, "tls-reload"),
        client: client(c, bootstrap, &brokers[0], 1),
        schedule: RELOAD_SCHEDULE.into(),
        configs_tool: tool(c.kafka.flavor, "kafka-configs"),
        node_ids: node_ids.join(" "),
        keystores: keystores.join(","),
        keys: keys.join(","),
        resources: job_resources(),
        user: IMAGE_USER,
    })
}
