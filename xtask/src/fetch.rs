//! The jars of each pinned Kafka line, fetched from Maven Central with
//! Maven into `<cache>/<version>/lib`, with their runtime dependencies.
//! A directory already complete is used as it is.

use crate::versions::{KAFKA_ARTIFACTS, KafkaLine};
use anyhow::{Context, Result, bail};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn pom(line: &KafkaLine) -> String {
    let mut deps = String::new();
    for a in KAFKA_ARTIFACTS {
        let _ = writeln!(
            deps,
            "    <dependency><groupId>org.apache.kafka</groupId><artifactId>{a}</artifactId><version>{}</version></dependency>",
            line.version
        );
    }
    for (g, a, v) in line.extra {
        let _ = writeln!(
            deps,
            "    <dependency><groupId>{g}</groupId><artifactId>{a}</artifactId><version>{v}</version></dependency>"
        );
    }
    format!(
        "<project xmlns=\"http://maven.apache.org/POM/4.0.0\">\n  <modelVersion>4.0.0</modelVersion>\n  <groupId>kafkagen.live</groupId><artifactId>kafka-{v}</artifactId><version>1</version><packaging>pom</packaging>\n  <dependencies>\n{deps}  </dependencies>\n</project>\n",
        v = line.version
    )
}

/// The directory of the line's jars, fetched if missing.
pub fn jars(cache: &Path, line: &KafkaLine) -> Result<PathBuf> {
    let dir = cache.join(line.version);
    let lib = dir.join("lib");
    let done = dir.join("complete");
    if done.exists() {
        return Ok(lib);
    }
    std::fs::create_dir_all(&dir)?;
    let _ = std::fs::remove_dir_all(&lib);
    std::fs::write(dir.join("pom.xml"), pom(line))?;
    eprintln!(
        "live: fetching Apache Kafka {} jars with Maven",
        line.version
    );
    let repo = cache.join("m2");
    let status = Command::new("mvn")
        .args(["-q", "-B", "-f"])
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
            "Maven could not fetch Apache Kafka {} (is it served by Maven Central?)",
            line.version
        );
    }
    let kafka_jar = lib.join(format!("kafka_2.13-{}.jar", line.version));
    if !kafka_jar.exists() {
        bail!("{} is missing after the fetch", kafka_jar.display());
    }
    std::fs::write(&done, "")?;
    Ok(lib)
}
