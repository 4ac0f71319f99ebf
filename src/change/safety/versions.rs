//! The Kafka version the brokers run, read from their image
//! (`validate::image`), the mode (`KAFKA_PROCESS_ROLES`: KRaft; else
//! ZooKeeper) and a pinned `inter.broker.protocol.version`
//! (`KAFKA_INTER_BROKER_PROTOCOL_VERSION`), and what moving between lines
//! in one roll does. In ZooKeeper mode pin
//! `inter.broker.protocol.version` to the old line, roll, then raise it and
//! roll again; under KRaft roll the new binaries, then raise
//! `metadata.version` (`--release-version` also raises `kraft.version` on
//! 4.x); storage formatted at a newer `metadata.version` does not start on
//! an older Kafka.

use super::{Plan, env_of, once};
use crate::validate::image;
use serde_json::Value;

type Line = (u32, u32);

/// The brokers' Kafka, as far as their workload tells.
#[derive(Debug)]
pub struct Version {
    /// The Kafka container's image reference.
    pub image: Option<String>,
    /// The Kafka line it runs, when the tag tells.
    pub line: Option<Line>,
    pub kraft: bool,
    /// `inter.broker.protocol.version`, as a line.
    pub ibp: Option<Line>,
}

/// `3.8`, `3.8-IV0`, `3.8.1`: the line.
fn line_of(text: &str) -> Option<Line> {
    let mut parts = text.trim().split(['.', '-']);
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// A line as Kafka writes it: `3.9`.
pub fn show((major, minor): Line) -> String {
    format!("{major}.{minor}")
}

pub fn read(v: &Value) -> Version {
    let containers = v["spec"]["template"]["spec"]["containers"].as_array();
    let kafka = containers.and_then(|cs| {
        cs.iter()
            .find(|c| {
                c["env"]
                    .as_array()
                    .is_some_and(|e| e.iter().any(|e| e["name"] == "KAFKA_LISTENERS"))
            })
            .or_else(|| cs.first())
    });
    let image = kafka.and_then(|c| c["image"].as_str()).map(str::to_string);
    Version {
        line: image
            .as_deref()
            .and_then(image::parse)
            .and_then(|i| i.kafka_version()),
        image,
        kraft: env_of(v, "KAFKA_PROCESS_ROLES").is_some(),
        ibp: env_of(v, "KAFKA_INTER_BROKER_PROTOCOL_VERSION").and_then(line_of),
    }
}

/// What moving the brokers from `o` to `n` does.
pub fn compare(plan: &mut Plan, o: &Version, n: &Version) {
    if o.image == n.image {
        return;
    }
    let (from, to) = (
        o.image.as_deref().unwrap_or("no image"),
        n.image.as_deref().unwrap_or("no image"),
    );
    let (Some(a), Some(b)) = (o.line, n.line) else {
        once(
            &mut plan.notes,
            format!(
                "version unknown: the Kafka version of {from} -> {to} cannot be read from the tags; kafkagen cannot tell whether this is an upgrade or a downgrade that needs steps"
            ),
        );
        return;
    };
    let (va, vb) = (show(a), show(b));
    if a == b {
        once(
            &mut plan.notes,
            format!("{from} -> {to}: the same Kafka line {va}, one roll"),
        );
    } else if b > a && n.kraft {
        once(
            &mut plan.then,
            (
                format!("Kafka {va} -> {vb} under KRaft ({from} -> {to})"),
                format!(
                    "the roll is safe, but the new image alone leaves metadata.version at {va}. In order:\n\
                     1. roll the new image (this render); metadata.version stays at {va}, and {va} can still come back\n\
                     2. once every node runs {vb}, raise it: kafka-features.sh --bootstrap-server <broker> upgrade --metadata {vb}\n   \
                     (check --steps renders a Job for it; not --release-version: on 4.x it raises kraft.version too, which cannot be lowered)"
                ),
            ),
        );
    } else if b > a {
        match n.ibp {
            Some(p) if p <= a => once(
                &mut plan.notes,
                format!(
                    "Kafka {va} -> {vb} with inter.broker.protocol.version pinned at {}: raise it to {vb} in a later render (one more roll)",
                    show(p)
                ),
            ),
            _ => once(
                &mut plan.steps,
                (
                    format!(
                        "Kafka {va} -> {vb} in ZooKeeper mode ({from} -> {to}) without inter.broker.protocol.version pinned at {va}"
                    ),
                    format!(
                        "rolled brokers would speak {vb}'s inter-broker protocol to brokers still on {va}, and a rollback would no longer be possible. In order, one render each:\n\
                         1. the new image with kafka.config inter.broker.protocol.version: \"{va}\" (roll)\n\
                         2. raise inter.broker.protocol.version to \"{vb}\", or remove it (roll)"
                    ),
                ),
            ),
        }
    } else if o.kraft || n.kraft {
        once(
            &mut plan.unsafe_changes,
            (
                format!("Kafka {va} -> {vb} under KRaft is a downgrade ({from} -> {to})"),
                format!(
                    "storage formatted or upgraded by Kafka {va} carries a metadata.version Kafka {vb} cannot read: rolled nodes do not start. \
                     It would need metadata.version at or below {vb} first (kafka-features.sh downgrade --metadata {vb}, where Kafka allows it), \
                     or a new cluster on {vb} and the topics moved over"
                ),
            ),
        );
    } else {
        match o.ibp {
            Some(p) if p <= b => once(
                &mut plan.notes,
                format!(
                    "Kafka {va} -> {vb}: the committed render pinned inter.broker.protocol.version at {}, which {vb} speaks",
                    show(p)
                ),
            ),
            _ => once(
                &mut plan.unsafe_changes,
                (
                    format!("Kafka {va} -> {vb} in ZooKeeper mode is a downgrade ({from} -> {to})"),
                    format!(
                        "the committed render does not pin inter.broker.protocol.version at or below {vb}, so the brokers speak {va}'s protocol and may have written data {vb} cannot read. \
                         It would need a render on {va} with inter.broker.protocol.version pinned at {vb} from the start; a raised protocol version cannot be lowered"
                    ),
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_protocol_versions_as_lines() {
        assert_eq!(line_of("3.8"), Some((3, 8)));
        assert_eq!(line_of("3.8-IV0"), Some((3, 8)));
        assert_eq!(line_of(" 3.9.1 "), Some((3, 9)));
        assert_eq!(line_of("latest"), None);
    }
}
