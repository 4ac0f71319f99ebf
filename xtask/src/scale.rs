//! `--scale SPEC`: render the spec with one broker more, start only the new
//! broker's pod, and check that it joins while no running pod's effective
//! configuration changes (or name each pod whose configuration does, and
//! what changed).

use crate::checks::{self, kafka_nodes};
use crate::client::Client;
use crate::cluster::services_of;
use crate::kubelet::{self, PodStatus};
use crate::listeners;
use crate::network::NODE_IP;
use crate::objects::{self, Objects, Owner, PodDef};
use crate::session::{RECORDS, Session, TOPIC};
use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

type Values = Vec<(String, Option<String>, String, Value)>;

/// What `kafkagen render SPEC --set ...` prints, as objects.
fn render(spec: &Path, sets: Vec<String>) -> Result<Values> {
    let opts = kafkagen::pipeline::Options {
        request: kafkagen::input::Request {
            spec: kafkagen::input::SpecSource::Path(spec.to_path_buf()),
            sets,
            ..Default::default()
        },
        templates: None,
    };
    let mut sources = kafkagen::source::Sources::default();
    match kafkagen::pipeline::run(&opts, &mut sources) {
        Ok(out) => Ok(out
            .manifests
            .into_iter()
            .map(|m| (m.kind, m.namespace, m.name, m.value))
            .collect()),
        Err(kafkagen::pipeline::Failure::Invalid(diags)) => {
            let text: Vec<String> = diags
                .iter()
                .filter(|d| d.is_error())
                .map(|d| d.message.clone())
                .collect();
            bail!("kafkagen render {}: {}", spec.display(), text.join("; "))
        }
        Err(e) => bail!("kafkagen render {}: {e}", spec.display()),
    }
}

/// Everything a running pod was started from, flattened: its template,
/// each container's environment as the kubelet builds it, and the files of
/// its ConfigMap and Secret volumes.
fn inputs(
    s: &Session,
    objects: &Objects,
    def: &PodDef,
    ip: &str,
) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let template = match &def.owner {
        Owner::StatefulSet(n) => objects
            .values
            .get(&("StatefulSet".into(), n.clone()))
            .map(|v| v["spec"]["template"].to_string()),
        Owner::Deployment(n) => objects
            .values
            .get(&("Deployment".into(), n.clone()))
            .map(|v| v["spec"]["template"].to_string()),
        Owner::Job(n) => objects
            .values
            .get(&("Job".into(), n.clone()))
            .map(|v| v["spec"]["template"].to_string()),
    };
    out.insert(
        "pod template".into(),
        template.unwrap_or_else(|| "(gone)".into()),
    );
    let services = services_of(objects, &s.cluster.services);
    let ips: BTreeMap<String, String> = services
        .iter()
        .filter_map(|s| Some((s.name.clone(), s.cluster_ip?.to_string())))
        .collect();
    let status = PodStatus {
        pod: def,
        namespace: &objects.namespace,
        uid: "scale".into(),
        pod_ip: ip.to_string(),
        host_ip: NODE_IP.to_string(),
        node_name: crate::cluster::NODE_NAME,
    };
    let links = def.spec.enable_service_links.unwrap_or(true);
    let service_env = kubelet::service_env(objects, &ips, links);
    for c in def
        .spec
        .init_containers
        .iter()
        .flatten()
        .chain(def.spec.containers.iter())
    {
        for (k, v) in kubelet::environment(objects, &status, c, &service_env)? {
            out.insert(format!("{} env {k}", c.name), v);
        }
    }
    for v in def.spec.volumes.iter().flatten() {
        let (kind, name) = if let Some(c) = &v.config_map {
            ("ConfigMap", c.name.clone())
        } else if let Some(sec) = &v.secret {
            ("Secret", sec.secret_name.clone().unwrap_or_default())
        } else {
            continue;
        };
        for (k, bytes) in kubelet::data_keys(objects, kind, &name).unwrap_or_default() {
            out.insert(
                format!("volume {} file {k}", v.name),
                String::from_utf8_lossy(&bytes).into_owned(),
            );
        }
    }
    Ok(out)
}

/// The pod of the same name under other objects.
fn same_pod(objects: &Objects, def: &PodDef) -> Result<Option<PodDef>> {
    let defs = match &def.owner {
        Owner::StatefulSet(n) => match objects
            .statefulsets
            .iter()
            .find(|x| x.metadata.name.as_deref() == Some(n))
        {
            Some(sts) => objects::statefulset_pods(sts, None)?,
            None => Vec::new(),
        },
        _ => return Ok(Some(def.clone())),
    };
    Ok(defs.into_iter().find(|d| d.name == def.name))
}

pub fn run(s: &mut Session, client: &mut Client, bootstrap: &str, spec: &Path) -> Result<()> {
    let now = render(spec, Vec::new())?;
    let same = now.len() == s.cluster.objects.values.len()
        && now
            .iter()
            .all(|(k, _, n, v)| s.cluster.objects.values.get(&(k.clone(), n.clone())) == Some(v));
    s.report.check(
        same,
        format!(
            "scale: {} renders the booted manifests ({} objects)",
            spec.display(),
            now.len()
        ),
    );
    if !same {
        return Ok(());
    }
    let nodes = kafka_nodes(&s.cluster);
    let Some(owner) = nodes
        .iter()
        .find(|n| n.broker)
        .map(|n| n.pod.def.owner.clone())
    else {
        bail!("no broker pods");
    };
    let Owner::StatefulSet(sts_name) = &owner else {
        s.report
            .fail("scale: the brokers are not a StatefulSet (a Deployment runs one broker)");
        return Ok(());
    };
    let brokers = nodes.iter().filter(|n| n.pod.def.owner == owner).count();
    drop(nodes);
    let grown = render(spec, vec![format!("kafka.brokers={}", brokers + 1)])?;
    let mut new_objects = objects::from_values(grown)?;
    let work = s.cluster.work.clone();
    for note in crate::tls::carry_over(&s.cluster.objects, &mut new_objects, &work, &mut s.issued)?
    {
        println!("note: scale: {note}");
    }

    // What each running pod was started from, before and after.
    let running: Vec<(PodDef, String)> = s
        .cluster
        .live_pods()
        .filter(|p| !matches!(p.def.owner, Owner::Job(_)))
        .map(|p| (p.def.clone(), p.ip.to_string()))
        .collect();
    let mut changed = Vec::new();
    let mut added = std::collections::BTreeSet::new();
    for (def, ip) in &running {
        let before = inputs(s, &s.cluster.objects, def, ip)?;
        let after = match same_pod(&new_objects, def)? {
            Some(d) => inputs(s, &new_objects, &d, ip)?,
            None => BTreeMap::from([("pod".to_string(), "deleted".to_string())]),
        };
        // A file added to a mounted ConfigMap changes nothing a running
        // process has read; a changed or removed one, or any other input, does.
        let mut keys = Vec::new();
        for k in before
            .keys()
            .chain(after.keys())
            .collect::<std::collections::BTreeSet<_>>()
        {
            match (before.get(k), after.get(k)) {
                (a, b) if a == b => {}
                (None, Some(_)) if k.starts_with("volume ") => {
                    added.insert(k.clone());
                }
                _ => keys.push(k.clone()),
            }
        }
        if !keys.is_empty() {
            changed.push(format!("{} ({})", def.name, keys.join(", ")));
        }
    }
    s.report.check(
        changed.is_empty(),
        if changed.is_empty() {
            format!(
                "scale: {} to {} brokers changes no running pod's configuration ({} pods compared{})",
                brokers,
                brokers + 1,
                running.len(),
                if added.is_empty() {
                    String::new()
                } else {
                    format!("; their volumes gain {}", added.into_iter().collect::<Vec<_>>().join(", "))
                }
            )
        } else {
            format!("scale: {} to {} brokers changes running pods: {}", brokers, brokers + 1, changed.join("; "))
        },
    );

    // Apply: the new objects, and only the new broker's pod.
    let services = services_of(&new_objects, &s.cluster.services);
    s.cluster.objects = new_objects;
    s.cluster.services = services;
    let sts = s
        .cluster
        .objects
        .statefulsets
        .iter()
        .find(|x| x.metadata.name.as_deref() == Some(sts_name))
        .context("the brokers' StatefulSet after scaling")?
        .clone();
    let existing: Vec<String> = running.iter().map(|(d, _)| d.name.clone()).collect();
    let new_pods: Vec<PodDef> = objects::statefulset_pods(&sts, None)?
        .into_iter()
        .filter(|d| !existing.contains(&d.name))
        .collect();
    let names: Vec<String> = new_pods.iter().map(|d| d.name.clone()).collect();
    for d in new_pods {
        s.cluster.create_pod(d)?;
    }
    let ready = s.tick_until(Duration::from_secs(600), |c| {
        names.iter().all(|n| c.kubelet.ready(n))
    })?;
    s.report
        .check(ready, format!("scale: new pod {} ready", names.join(", ")));
    if !ready {
        return Ok(());
    }
    s.wait(Duration::from_secs(3))?;
    checks::brokers(&s.cluster, client, bootstrap, &mut s.report);
    checks::round_trip(
        client,
        bootstrap,
        TOPIC,
        "after-scale",
        RECORDS,
        "scale: inside",
        &mut s.report,
    );
    listeners::outside(s)?;
    Ok(())
}
