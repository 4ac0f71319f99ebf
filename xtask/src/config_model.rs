//! `cargo xtask config-model [--check]`: Kafka's own broker and topic
//! configuration definitions, read from the ConfigDefs in the released jars
//! of every Kafka line kafkagen supports (`java/model/ConfigModel.java`),
//! written to `src/validate/kafka_config/kafka-<line>.tsv`, which the kafkagen binary
//! embeds to validate `kafka.config` and topic configs. `--check` fails when
//! a committed file differs from what the jars say.

use crate::fetch;
use crate::repo;
use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::Command;

/// The newest release of each line, the version its model is read from.
pub const MODEL_VERSIONS: &[&str] = &[
    "3.7.2", "3.8.1", "3.9.1", "4.0.1", "4.1.1", "4.2.1", "4.3.1",
];

pub fn run(check: bool) -> Result<bool> {
    let cache = std::env::var_os("KAFKAGEN_LIVE_CACHE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| repo().join("target/live-cache"));
    let out_dir = repo().join("src/validate/kafka_config");
    std::fs::create_dir_all(&out_dir)?;
    let mut same = true;
    for version in MODEL_VERSIONS {
        let deps = ["kafka_2.13", "kafka-storage"]
            .iter()
            .map(|a| {
                (
                    "org.apache.kafka".to_string(),
                    a.to_string(),
                    version.to_string(),
                )
            })
            .collect::<Vec<_>>();
        let jars = fetch::maven(&cache, &format!("model-{version}"), &deps)?;
        let text = generate(&cache, &jars, version)?;
        let line = version.rsplit_once('.').map_or(*version, |(l, _)| l);
        let path = out_dir.join(format!("kafka-{line}.tsv"));
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        if check {
            if old != text {
                eprintln!(
                    "{} differs from what Apache Kafka {version}'s jars say",
                    path.display()
                );
                same = false;
            }
        } else {
            std::fs::write(&path, &text)?;
        }
        let keys = text.lines().filter(|l| !l.starts_with('#')).count();
        println!(
            "Apache Kafka {version}: {keys} broker and topic keys -> {}",
            path.display()
        );
    }
    Ok(same)
}

fn generate(cache: &Path, jars: &Path, version: &str) -> Result<String> {
    let classes = cache.join(format!("model-{version}/classes"));
    let _ = std::fs::remove_dir_all(&classes);
    std::fs::create_dir_all(&classes)?;
    let cp = format!("{}/*", jars.display());
    let ok = Command::new("javac")
        .args(["-nowarn", "-d"])
        .arg(&classes)
        .args(["-cp", &cp])
        .arg(repo().join("xtask/java/model/ConfigModel.java"))
        .status()
        .context("cannot run javac")?
        .success();
    if !ok {
        bail!("javac failed on ConfigModel.java against Kafka {version}");
    }
    let out = Command::new("java")
        .arg("-cp")
        .arg(format!("{}:{cp}", classes.display()))
        .arg("io.kafkagen.model.ConfigModel")
        .output()
        .context("cannot run java")?;
    if !out.status.success() {
        bail!(
            "ConfigModel failed on Kafka {version}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(format!(
        "# Apache Kafka {version}: kafka.server.KafkaConfig.configDef() (broker) and\n\
         # LogConfig.configKeys() (topic), written by `cargo xtask config-model`.\n\
         # scope\tname\ttype\tvalidator class\tvalidator\n{}",
        String::from_utf8(out.stdout)?
    ))
}
