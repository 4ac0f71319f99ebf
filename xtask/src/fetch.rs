//! The jars of each pinned Kafka line, fetched from Maven Central with
//! Maven into `<cache>/<version>/lib`, with their runtime dependencies.
//! A directory already complete is used as it is.

use crate::versions::{KAFKA_ARTIFACTS, KafkaLine};
use anyhow::{Context, Result, bail};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Maven coordinates: group, artifact, version.
pub type Artifact = (String, String, String);

fn pom(key: &str, deps: &[Artifact]) -> String {
    let mut text = String::new();
    for (g, a, v) in deps {
        let _ = writeln!(
            text,
            "    <dependency><groupId>{g}</groupId><artifactId>{a}</artifactId><version>{v}</version></dependency>"
        );
    }
    format!(
        "<project xmlns=\"http://maven.apache.org/POM/4.0.0\">\n  <modelVersion>4.0.0</modelVersion>\n  <groupId>kafkagen.live</groupId><artifactId>{key}</artifactId><version>1</version><packaging>pom</packaging>\n  <dependencies>\n{text}  </dependencies>\n</project>\n"
    )
}

/// The directory of the line's jars, fetched if missing.
pub fn jars(cache: &Path, line: &KafkaLine) -> Result<PathBuf> {
    let mut deps: Vec<Artifact> = KAFKA_ARTIFACTS
        .iter()
        .map(|a| {
            (
                "org.apache.kafka".into(),
                a.to_string(),
                line.version.into(),
            )
        })
        .collect();
    deps.extend(
        line.extra
            .iter()
            .map(|(g, a, v)| (g.to_string(), a.to_string(), v.to_string())),
    );
    let lib = maven(cache, line.version, &deps)?;
    let kafka_jar = lib.join(format!("kafka_2.13-{}.jar", line.version));
    if !kafka_jar.exists() {
        bail!("{} is missing after the fetch", kafka_jar.display());
    }
    Ok(lib)
}

/// `deps` and their runtime dependencies in `<cache>/<key>/lib`, fetched
/// with Maven unless a complete directory is there.
pub fn maven(cache: &Path, key: &str, deps: &[Artifact]) -> Result<PathBuf> {
    let dir = cache.join(key);
    let lib = dir.join("lib");
    let done = dir.join("complete");
    if done.exists() {
        return Ok(lib);
    }
    std::fs::create_dir_all(&dir)?;
    let _ = std::fs::remove_dir_all(&lib);
    std::fs::write(dir.join("pom.xml"), pom(key, deps))?;
    let names: Vec<String> = deps.iter().map(|(_, a, v)| format!("{a} {v}")).collect();
    eprintln!("fetching with Maven: {}", names.join(", "));
    let repo = cache.join("m2");
    let status = Command::new("mvn")
        .args([
            "-q",
            "-B",
            "--no-transfer-progress",
            "-Dstyle.color=never",
            "-f",
        ])
        .arg(dir.join("pom.xml"))
        .arg(format!("-Dmaven.repo.local={}", repo.display()))
        .args(["dependency:copy-dependencies", "-DincludeScope=runtime"])
        // As the Kafka distribution: one logging binding (ZooKeeper would add logback).
        .arg("-DexcludeGroupIds=ch.qos.logback")
        .arg(format!("-DoutputDirectory={}", lib.display()))
        .status()
        .context("cannot run mvn (Maven is needed to fetch the Kafka jars)")?;
    if !status.success() {
        bail!(
            "Maven could not fetch {} (is it served by Maven Central?)",
            names.join(", ")
        );
    }
    std::fs::write(&done, "")?;
    Ok(lib)
}
