//! What the live boot prepares before any pod starts: each image the
//! renders name, stood in for with its Kafka line's jars (`images.rs`),
//! and the harness's Java helpers compiled against those jars.

use crate::images::{self, Image};
use crate::objects::{self, Objects};
use crate::repo;
use crate::session::Helpers;
use crate::{fetch, versions};
use anyhow::{Context, Result, bail};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The stand-in of each image the render and the renders to apply name,
/// by reference, with the helper jar and Kafka jars per Kafka version; an
/// image's note goes to `notes`.
pub fn images(
    objects: &Objects,
    apply: &[PathBuf],
    cache: &Path,
    work: &Path,
    notes: &mut Vec<String>,
) -> Result<(Helpers, BTreeMap<String, Image>)> {
    let mut refs = BTreeSet::new();
    // The images of the renders to apply too: an upgrade brings its own.
    let mut templates = objects.pod_specs();
    for p in apply {
        templates.extend(objects::load(p)?.pod_specs());
    }
    for spec in templates {
        for c in spec
            .init_containers
            .iter()
            .flatten()
            .chain(spec.containers.iter())
        {
            refs.insert(c.image.clone().unwrap_or_default());
        }
    }
    let mut helpers = BTreeMap::new();
    let mut imgs = BTreeMap::new();
    for r in &refs {
        let (_, line, note) = images::identify(r)?;
        if let Some(n) = note {
            notes.push(n);
        }
        if !helpers.contains_key(line.version) {
            let jars = fetch::jars(cache, line)?;
            let agent = fetch::maven(
                cache,
                &format!("jmx-agent-{}", versions::JMX_AGENT),
                &[(
                    "io.prometheus.jmx".into(),
                    "jmx_prometheus_javaagent".into(),
                    versions::JMX_AGENT.into(),
                )],
            )?;
            let helper = helper_jar(work, &jars, &agent, line)?;
            helpers.insert(line.version.to_string(), (helper, jars));
        }
        let (helper, jars) = &helpers[line.version];
        let image = images::build(r, work, &repo().join("xtask/images"), jars, helper)?;
        imgs.insert(r.clone(), image);
    }
    for r in &refs {
        let i = &imgs[r];
        println!(
            "live: {r} stands in with Apache Kafka {} jars ({:?})",
            i.line.version, i.kind
        );
    }
    Ok((helpers, imgs))
}

/// Compiles the harness's Java helpers against a Kafka line's jars.
fn helper_jar(
    work: &Path,
    jars: &Path,
    agent: &Path,
    line: &versions::KafkaLine,
) -> Result<PathBuf> {
    let dir = work.join("helpers").join(line.version);
    let classes = dir.join("classes");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&classes)?;
    let java = repo().join("xtask/java");
    let mut sources = vec![java.join("client/LiveClient.java")];
    if line.extra.iter().any(|(_, a, _)| *a == "zookeeper") {
        sources.push(java.join("zk/ZkReady.java"));
    }
    let ok = Command::new("javac")
        .args(["-nowarn", "-d"])
        .arg(&classes)
        .arg("-cp")
        .arg(format!("{}/*", jars.display()))
        .args(&sources)
        .status()
        .context("cannot run javac")?
        .success();
    if !ok {
        bail!("javac failed on the harness's Java helpers");
    }
    let jar = dir.join("lib").join("kafkagen-live.jar");
    std::fs::create_dir_all(jar.parent().unwrap())?;
    // The Confluent images' cp-base-new holds its own ZooKeeper client and
    // logging beside the utility belt: the same jars, from this line.
    for entry in std::fs::read_dir(jars)? {
        let path = entry?.path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let wanted = ["zookeeper-", "slf4j-", "reload4j-", "audience-annotations-"];
        if wanted.iter().any(|w| name.starts_with(w)) {
            std::fs::copy(&path, dir.join("lib").join(&name))?;
        }
    }
    // cp-base-new also holds the Prometheus JMX exporter's java agent.
    for entry in std::fs::read_dir(agent)? {
        let path = entry?.path();
        std::fs::copy(&path, dir.join("lib").join(path.file_name().unwrap()))?;
    }
    let ok = Command::new("jar")
        .arg("cf")
        .arg(&jar)
        .arg("-C")
        .arg(&classes)
        .arg(".")
        .status()?
        .success();
    if !ok {
        bail!("jar failed");
    }
    Ok(dir.join("lib"))
}
