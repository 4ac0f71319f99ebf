//! `--faults`: a broker killed with SIGKILL while a producer writes with
//! acks=all loses no acknowledged record and comes back with its id and
//! data; killing the ZooKeeper leader or the active KRaft controller elects
//! another, and clients go on.

use crate::checks::{self, kafka_nodes, zk_mode, zookeepers};
use crate::client::{Client, field};
use crate::session::{RECORDS, Session, TOPIC};
use anyhow::Result;
use std::time::Duration;

const FAULT_TOPIC: &str = "kafkagen-live-faults";

pub fn run(s: &mut Session, client: &mut Client, bootstrap: &str) -> Result<()> {
    broker(s, client, bootstrap)?;
    zookeeper(s, client, bootstrap)?;
    controller(s, client, bootstrap)?;
    Ok(())
}

/// The data directory identity of a broker: its meta.properties.
fn meta(s: &Session, pod: &str) -> Option<String> {
    let nodes = kafka_nodes(&s.cluster);
    let n = nodes.iter().find(|n| n.pod.def.name == pod)?;
    let dir = n
        .props
        .get("log.dirs")
        .or_else(|| n.props.get("log.dir"))?
        .split(',')
        .next()?
        .to_string();
    s.cluster
        .read_in_pod(n.pod, 0, &format!("{dir}/meta.properties"))
}

fn broker(s: &mut Session, client: &mut Client, bootstrap: &str) -> Result<()> {
    let brokers: Vec<(u32, String)> = kafka_nodes(&s.cluster)
        .iter()
        .filter(|n| n.broker)
        .map(|n| (n.id, n.pod.def.name.clone()))
        .collect();
    if brokers.len() < 3 {
        s.report.fail(format!("faults: a broker kill needs 3 brokers (replication factor 3, min ISR 2); the render has {}", brokers.len()));
        return Ok(());
    }
    let (victim_id, victim) = brokers[1].clone();
    if let Err(e) = client.call(&format!("create {bootstrap} {FAULT_TOPIC} 6 3")) {
        s.report
            .fail(format!("faults: create {FAULT_TOPIC}: {e:#}"));
        return Ok(());
    }
    let before = meta(s, &victim);
    client.call(&format!("produce-start {bootstrap} {FAULT_TOPIC} faults"))?;
    s.wait(Duration::from_secs(5))?;
    let starts = s
        .cluster
        .kubelet
        .pod(&victim)
        .map(|p| p.containers[0].starts)
        .unwrap_or(0);
    eprintln!("  faults: kill -9 broker {victim_id} ({victim}) while producing");
    s.cluster.kubelet.kill_container(&victim, 0);
    let back = s.tick_until(Duration::from_secs(300), |c| {
        c.kubelet
            .pod(&victim)
            .is_some_and(|p| p.containers[0].starts > starts)
            && c.kubelet.ready(&victim)
    })?;
    s.wait(Duration::from_secs(5))?;
    let stopped = client.call("produce-stop");
    s.report.check(
        back,
        format!(
            "faults: broker {victim_id} ({victim}) killed with SIGKILL, restarted and ready again"
        ),
    );
    match stopped.and_then(|p| {
        Ok((
            p,
            client.call(&format!("verify {bootstrap} {FAULT_TOPIC} faults"))?,
        ))
    }) {
        Ok((p, v)) => s.report.check(
            field(&p, "acked").is_some_and(|a| a != "0"),
            format!("faults: no acknowledged record lost across the kill ({p}; {v})"),
        ),
        Err(e) => s
            .report
            .fail(format!("faults: records across the kill: {e:#}")),
    }
    let after = meta(s, &victim);
    s.report.check(
        before.is_some() && before == after,
        format!("faults: broker {victim_id} kept its data directory (meta.properties unchanged)"),
    );
    // It rejoins: back in every partition's in-sync replicas.
    let mut isr;
    let rejoined = {
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        loop {
            isr = client
                .call(&format!("leaders {bootstrap} {FAULT_TOPIC}"))
                .unwrap_or_default();
            let all = !isr.is_empty()
                && isr.split(',').all(|p| {
                    p.split("isr:")
                        .nth(1)
                        .is_some_and(|l| l.split('+').any(|id| id == victim_id.to_string()))
                });
            if all || std::time::Instant::now() > deadline {
                break all;
            }
            s.wait(Duration::from_secs(2))?;
        }
    };
    s.report.check(rejoined, format!("faults: broker {victim_id} rejoined with its id and is in sync on every partition ({isr})"));
    checks::brokers(&s.cluster, client, bootstrap, &mut s.report);
    Ok(())
}

fn zookeeper(s: &mut Session, client: &mut Client, bootstrap: &str) -> Result<()> {
    let servers: Vec<(String, std::net::Ipv4Addr, u16)> = zookeepers(&s.cluster)
        .iter()
        .map(|(p, port, _)| (p.def.name.clone(), p.ip, *port))
        .collect();
    if servers.len() < 3 {
        return Ok(());
    }
    let Some((leader, ..)) = servers
        .iter()
        .find(|(_, ip, port)| zk_mode(*ip, *port).as_deref() == Some("leader"))
        .cloned()
    else {
        s.report.fail("faults: no ZooKeeper leader to kill");
        return Ok(());
    };
    let starts = s
        .cluster
        .kubelet
        .pod(&leader)
        .map(|p| p.containers[0].starts)
        .unwrap_or(0);
    eprintln!("  faults: kill -9 the ZooKeeper leader {leader}");
    s.cluster.kubelet.kill_container(&leader, 0);
    let others: Vec<_> = servers
        .iter()
        .filter(|(n, ..)| *n != leader)
        .cloned()
        .collect();
    let elected = s.tick_until(Duration::from_secs(120), |_| {
        others
            .iter()
            .any(|(_, ip, port)| zk_mode(*ip, *port).as_deref() == Some("leader"))
    })?;
    let new = others
        .iter()
        .find(|(_, ip, port)| zk_mode(*ip, *port).as_deref() == Some("leader"))
        .map(|(n, ..)| n.clone());
    s.report.check(
        elected,
        format!(
            "faults: ZooKeeper leader {leader} killed; {} elected",
            new.unwrap_or_else(|| "no server".into())
        ),
    );
    checks::round_trip(
        client,
        bootstrap,
        TOPIC,
        "after-zk-leader",
        RECORDS,
        "faults: clients go on",
        &mut s.report,
    );
    let back = s.tick_until(Duration::from_secs(300), |c| {
        c.kubelet
            .pod(&leader)
            .is_some_and(|p| p.containers[0].starts > starts)
            && c.kubelet.ready(&leader)
    })?;
    s.report
        .check(back, format!("faults: {leader} restarted and serves again"));
    checks::zookeeper(&s.cluster, &mut s.report);
    Ok(())
}

fn controller(s: &mut Session, client: &mut Client, bootstrap: &str) -> Result<()> {
    let kraft = kafka_nodes(&s.cluster).iter().any(|n| n.controller);
    let q = match client.call(&format!("quorum {bootstrap}")) {
        Ok(q) => q,
        // ZooKeeper mode: no quorum to ask, no controller to kill.
        Err(_) if !kraft => return Ok(()),
        Err(e) => {
            s.report.fail(format!(
                "faults: no active controller to kill: the quorum does not answer ({e:#})"
            ));
            return Ok(());
        }
    };
    let leader: u32 = field(&q, "leader")
        .and_then(|l| l.parse().ok())
        .unwrap_or(u32::MAX);
    let Some(pod) = kafka_nodes(&s.cluster)
        .iter()
        .find(|n| n.controller && n.id == leader)
        .map(|n| n.pod.def.name.clone())
    else {
        s.report.fail(format!(
            "faults: the active controller {leader} is no pod's node id"
        ));
        return Ok(());
    };
    let starts = s
        .cluster
        .kubelet
        .pod(&pod)
        .map(|p| p.containers[0].starts)
        .unwrap_or(0);
    eprintln!("  faults: kill -9 the active controller {leader} ({pod})");
    s.cluster.kubelet.kill_container(&pod, 0);
    let mut new = String::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let elected = loop {
        if let Ok(q) = client.call(&format!("quorum {bootstrap}")) {
            new = field(&q, "leader").unwrap_or("-1").to_string();
            if new != "-1" && new != leader.to_string() {
                break true;
            }
        }
        if std::time::Instant::now() > deadline {
            break false;
        }
        s.wait(Duration::from_secs(1))?;
    };
    s.report.check(
        elected,
        format!("faults: active controller {leader} ({pod}) killed; controller {new} elected"),
    );
    checks::round_trip(
        client,
        bootstrap,
        TOPIC,
        "after-controller",
        RECORDS,
        "faults: clients go on",
        &mut s.report,
    );
    let back = s.tick_until(Duration::from_secs(300), |c| {
        c.kubelet
            .pod(&pod)
            .is_some_and(|p| p.containers[0].starts > starts)
            && c.kubelet.ready(&pod)
    })?;
    s.report
        .check(back, format!("faults: {pod} restarted and ready again"));
    checks::kraft(&s.cluster, client, bootstrap, &mut s.report);
    Ok(())
}
