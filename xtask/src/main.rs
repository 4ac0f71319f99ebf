//! Project tasks, run with `cargo xtask ...` (the cargo-xtask convention).
//!
//!   cargo xtask live MANIFESTS [--faults] [--scale SPEC] [--heap MIB]
//!       [--prometheus [--alert-for SECONDS]] [--renewal] [--apply RENDER]...
//!       [--topology FILE]
//!       boot a kafkagen render with the real Kafka and ZooKeeper
//!   cargo xtask fetch
//!       fetch the pinned Kafka jars (what `live` does when they are missing)
//!   cargo xtask config-model [--check]
//!       Kafka's configuration definitions for src/validate/kafka_config/
//!   cargo xtask speed-ratio --kafkagen CMD --helm CMD [--runs N] [--at-least X]
//!       how many times faster kafkagen renders than helm template

mod apply;
mod checks;
mod client;
mod cluster;
mod config_model;
mod expand;
mod faults;
mod fetch;
mod images;
mod jobs;
mod kubelet;
mod listeners;
mod live;
mod metrics;
mod network;
mod objects;
mod pods;
mod policy;
mod prepare;
mod probes;
mod reach;
mod renewal;
mod scale;
mod security;
mod session;
mod speed;
mod tls;
mod topology;
mod versions;

use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// The repository root (xtask's parent).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

#[derive(Parser)]
#[command(name = "cargo xtask", about = "kafkagen's project tasks")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Boot a rendered cluster (a YAML stream, a JSON List or a directory)
    /// as a kubelet and kube-proxy would, with the real Kafka and ZooKeeper,
    /// and check that it works. Needs root. Exit 0 only if every check passed.
    Live {
        manifests: PathBuf,
        /// Also kill a broker while producing, the ZooKeeper leader and the
        /// active controller, and check that nothing acknowledged is lost.
        #[arg(long)]
        faults: bool,
        /// The spec the manifests were rendered from: render it with one
        /// broker more, start only the new pod, check that it joins and
        /// that no running pod's configuration changes.
        #[arg(long, value_name = "SPEC")]
        scale: Option<PathBuf>,
        /// After the checks, apply this render (a YAML stream, a JSON List
        /// or an --out-dir directory) as kubectl apply and the controllers
        /// would, under continuous clients, and check the cluster again.
        /// Repeat it to apply renders in turn (the steps of a change).
        #[arg(long, value_name = "RENDER")]
        apply: Vec<PathBuf>,
        /// Run every CronJob once; then renew the brokers' certificate and
        /// check that the reload CronJob puts it into use without a restart.
        #[arg(long)]
        renewal: bool,
        /// `kafkagen describe --format json` of the spec the manifests were
        /// rendered from: check that every pod, id and address it gives is
        /// the running cluster's.
        #[arg(long, value_name = "FILE")]
        topology: Option<PathBuf>,
        /// Run every JVM whose container sets KAFKA_HEAP_OPTS with this heap
        /// (MiB) instead of the rendered one; the summary says so.
        #[arg(long, value_name = "MIB")]
        heap: Option<u32>,
        /// With metrics: also scrape the pods with a real Prometheus
        /// (Debian's `prometheus`) and evaluate the rendered alerts.
        #[arg(long)]
        prometheus: bool,
        /// With --prometheus: every alert's `for` shortened to this many seconds
        /// in the harness's Prometheus, so that a fault fires its alert in
        /// seconds (the rendered rules wait minutes).
        #[arg(long, value_name = "SECONDS")]
        alert_for: Option<u64>,
        /// The cluster's DNS domain.
        #[arg(long, default_value = "cluster.local")]
        cluster_domain: String,
        /// Seconds to wait for every workload pod to be ready.
        #[arg(long, default_value_t = 600)]
        boot_timeout: u64,
    },
    /// Fetch the jars of every pinned Kafka line with Maven.
    Fetch,
    /// Time kafkagen and helm template in turn, one sample of each after
    /// the other, and fail when kafkagen's median is not at least
    /// --at-least times faster than helm's.
    SpeedRatio {
        /// kafkagen's command line (split at spaces).
        #[arg(long)]
        kafkagen: String,
        /// helm's command line (split at spaces).
        #[arg(long)]
        helm: String,
        #[arg(long, default_value_t = 40)]
        runs: usize,
        #[arg(long, default_value_t = 15.0)]
        at_least: f64,
    },
    /// Write src/validate/kafka_config/ from the ConfigDefs of every supported Kafka
    /// line (with --check, fail where a committed file differs).
    ConfigModel {
        #[arg(long)]
        check: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.task {
        Task::Live {
            manifests,
            faults,
            scale,
            apply,
            renewal,
            topology,
            heap,
            prometheus,
            alert_for,
            cluster_domain,
            boot_timeout,
        } => live::run(live::Options {
            manifests,
            faults,
            scale,
            apply,
            renewal,
            topology,
            heap_mib: heap,
            prometheus,
            alert_for,
            domain: cluster_domain,
            boot_timeout: Duration::from_secs(boot_timeout),
        }),
        Task::ConfigModel { check } => config_model::run(check),
        Task::SpeedRatio {
            kafkagen,
            helm,
            runs,
            at_least,
        } => speed::run(speed::Options {
            kafkagen,
            helm,
            runs,
            at_least,
        }),
        Task::Fetch => {
            let cache = std::env::var_os("KAFKAGEN_LIVE_CACHE")
                .map(PathBuf::from)
                .unwrap_or_else(|| repo().join("target/live-cache"));
            versions::LINES
                .iter()
                .try_for_each(|l| {
                    fetch::jars(&cache, l).map(|p| println!("{}: {}", l.version, p.display()))
                })
                .map(|_| true)
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
