//! A live boot's session: the cluster as the kubelet and kube-proxy run
//! it, the report its checks write, and what the steps of the boot share
//! (the harness's topic, the records a check sends, a log's last lines).

use crate::checks::Report;
use crate::client::Client;
use crate::cluster::Cluster;
use crate::images::{self, Image};
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Records per produce-and-consume check.
pub const RECORDS: u32 = 200;
/// The topic the harness writes to, beside the declared ones.
pub const TOPIC: &str = "kafkagen-live";

/// Helper jar and Kafka jars per Kafka version.
pub type Helpers = BTreeMap<String, (PathBuf, PathBuf)>;

pub struct Session {
    pub cluster: Cluster,
    pub report: Report,
    pub started: Instant,
    printed: usize,
    /// Helper jar and Kafka jars per Kafka version.
    helpers: Helpers,
    /// The certificates the harness issued, by Secret name.
    pub issued: BTreeMap<String, crate::tls::Issued>,
    pub notes: Vec<String>,
}

impl Session {
    /// A session of `cluster`, its clock started now.
    pub fn new(
        cluster: Cluster,
        helpers: Helpers,
        issued: BTreeMap<String, crate::tls::Issued>,
        notes: Vec<String>,
    ) -> Session {
        Session {
            cluster,
            report: Report::default(),
            started: Instant::now(),
            printed: 0,
            helpers,
            issued,
            notes,
        }
    }

    pub fn tick_until(
        &mut self,
        timeout: Duration,
        mut done: impl FnMut(&Cluster) -> bool,
    ) -> Result<bool> {
        let deadline = Instant::now() + timeout;
        loop {
            self.tick()?;
            if done(&self.cluster) {
                return Ok(true);
            }
            if Instant::now() >= deadline {
                return Ok(false);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// One pass of the kubelet's loop and kube-proxy's sync.
    pub fn tick(&mut self) -> Result<()> {
        self.cluster.kubelet.tick()?;
        self.cluster.sync()?;
        self.print_events();
        Ok(())
    }

    pub fn wait(&mut self, d: Duration) -> Result<()> {
        self.tick_until(d, |_| false).map(|_| ())
    }

    fn print_events(&mut self) {
        let events = &self.cluster.kubelet.events;
        for e in &events[self.printed..] {
            eprintln!("  {:>5.1}s {e}", self.started.elapsed().as_secs_f64());
        }
        self.printed = events.len();
    }

    /// The Kafka line of the brokers' image, for clients.
    fn kafka_image(&self) -> Option<&Image> {
        self.cluster.images.values().find(|i| {
            !matches!(
                i.kind,
                images::Kind::ConfluentZooKeeper | images::Kind::ConfluentBase
            )
        })
    }

    /// Logs `client` in as listener `d` demands, with the right credential.
    pub fn client(&mut self, name: &str, netns: &str) -> Result<Client> {
        let image = self.kafka_image().context("no Kafka image in the render")?;
        let (helper, jars) = self
            .helpers
            .get(image.line.version)
            .cloned()
            .context("no helper jar")?;
        let log = self.cluster.work.join(format!("client-{name}.log"));
        Client::start(name, netns, &jars, &helper, &log)
    }
}

/// The last lines of a container's log, for a failure's report line.
pub fn log_tail(path: &Path, lines: usize) -> String {
    let log = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = log.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
