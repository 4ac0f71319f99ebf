//! A ZooKeeper ensemble agrees on who is who.

use super::context::{Ctx, Pod, Resolved};
use super::{Finding, found, sorted};

/// ZooKeeper pods with their server list.
fn servers<'p, 'a>(cx: &'p Ctx<'a>) -> impl Iterator<Item = (&'p Pod<'a>, Vec<&'p str>)> {
    cx.pods.iter().filter_map(|pod| {
        let servers = pod.env.get("ZOOKEEPER_SERVERS")?;
        Some((pod, servers.split(';').collect()))
    })
}

fn host(entry: &str) -> &str {
    entry.split(':').next().unwrap_or_default()
}

pub fn ids(cx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    for (pod, list) in servers(cx) {
        let who = format!("ZooKeeper `{}`", pod.name);
        let id = pod
            .env
            .get("ZOOKEEPER_SERVER_ID")
            .and_then(|i| i.parse::<usize>().ok());
        let Some(id) = id.filter(|i| (1..=list.len()).contains(i)) else {
            out.push(found(
                vec![pod.id()],
                format!(
                    "{who}: ZOOKEEPER_SERVER_ID must be its 1-based position in ZOOKEEPER_SERVERS"
                ),
            ));
            continue;
        };
        let host = host(list[id - 1]);
        if !matches!(cx.resolve(host), Resolved::Pod(p) if p.name == pod.name) {
            out.push(found(
                vec![pod.id()],
                format!(
                    "{who} has server id {id}, but entry {id} of ZOOKEEPER_SERVERS (`{host}`) is not this pod's DNS name"
                ),
            ));
        }
    }
    sorted(out)
}

pub fn servers_resolve(cx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    for (pod, list) in servers(cx) {
        for entry in list {
            if !matches!(cx.resolve(host(entry)), Resolved::Pod(_)) {
                out.push(found(
                    vec![pod.id()],
                    format!(
                        "ZooKeeper `{}`: ZOOKEEPER_SERVERS entry `{entry}` is not a rendered pod's DNS name",
                        pod.name
                    ),
                ));
            }
        }
    }
    sorted(out)
}
