//! `kafkagen init`: a commented starter spec over a profile. Its values are
//! the profile's own, read from the validated cluster, so that it renders
//! as is, to exactly what the profile alone renders.

use crate::cluster::{Cluster, Exposure, Metadata, Storage};
use crate::yaml_emit;

/// One line `key: value  # comment`, indented, comments aligned.
fn line(out: &mut String, indent: usize, key: &str, value: &str, comment: &str) {
    let text = format!("{}{key}: {value}", "  ".repeat(indent));
    if comment.is_empty() {
        *out += &format!("{text}\n");
    } else {
        *out += &format!("{text:<30}# {comment}\n");
    }
}

/// A commented-out example line, comments aligned like [`line`]'s.
fn example(out: &mut String, indent: usize, text: &str, comment: &str) {
    let text = format!("{}# {text}", "  ".repeat(indent));
    *out += &format!("{text:<30}# {comment}\n");
}

/// A scalar as the YAML emitter writes it (quoted where YAML would misread it).
fn scalar(v: impl Into<serde_json::Value>) -> String {
    yaml_emit::document(&v.into()).trim_end().to_string()
}

pub fn starter(profile: &str, description: &str, c: &Cluster) -> String {
    let mut out = format!(
        "# A kafkagen cluster spec over the `{profile}` profile:\n\
         #   {description}\n\
         # Every key is optional; what is left out comes from the profile, and\n\
         # `kafkagen profiles` lists the others. Before applying anything:\n\
         #   kafkagen describe cluster.yaml       pods, addresses, storage, totals\n\
         #   kafkagen render cluster.yaml | kubectl apply -f -\n\
         # Editors validate and complete this file with the JSON Schema from\n\
         # `kafkagen schema > kafkagen.schema.json` and this first line:\n\
         #   # yaml-language-server: $schema=./kafkagen.schema.json\n"
    );
    line(&mut out, 0, "profile", &scalar(profile), "base profile");
    line(
        &mut out,
        0,
        "name",
        &scalar(c.name.as_str()),
        "prefix of every object name",
    );
    line(&mut out, 0, "namespace", &scalar(c.namespace.as_str()), "");
    let mode = match c.metadata {
        Metadata::ZooKeeper(_) => "zookeeper",
        Metadata::Kraft(_) => "kraft",
    };
    line(&mut out, 0, "mode", mode, "zookeeper | kraft");
    out += "kafka:\n";
    let k = &c.kafka;
    line(&mut out, 1, "brokers", &k.brokers.to_string(), "");
    line(
        &mut out,
        1,
        "partitions",
        &k.partitions.to_string(),
        "num.partitions of auto-created topics",
    );
    line(
        &mut out,
        1,
        "replicationFactor",
        &k.replication_factor.to_string(),
        "also the internal topics'",
    );
    line(
        &mut out,
        1,
        "minInsyncReplicas",
        &k.min_insync_replicas.to_string(),
        "",
    );
    storage(&mut out, 1, &k.storage);
    out += "  exposure:\n";
    let exposure = match &k.exposure {
        Exposure::Internal => "internal",
        Exposure::NodePort { .. } => "nodeport",
        Exposure::LoadBalancer { .. } => "loadbalancer",
    };
    line(
        &mut out,
        2,
        "mode",
        exposure,
        "internal | nodeport | loadbalancer",
    );
    match &k.exposure {
        Exposure::Internal => {}
        Exposure::NodePort {
            bootstrap_port,
            advertised_host,
        } => {
            line(
                &mut out,
                2,
                "nodePort",
                &bootstrap_port.to_string(),
                "bootstrap; broker i gets nodePort + 1 + i",
            );
            match advertised_host {
                Some(h) => line(&mut out, 2, "advertisedHost", &scalar(h.as_str()), ""),
                None => example(
                    &mut out,
                    2,
                    "advertisedHost: 192.168.49.2",
                    "default: each broker's node IP",
                ),
            }
        }
        Exposure::LoadBalancer {
            port,
            hosts,
            host_template,
            ..
        } => {
            line(&mut out, 2, "port", &port.to_string(), "");
            match host_template {
                Some(t) => line(
                    &mut out,
                    2,
                    "hostTemplate",
                    &scalar(t.as_str()),
                    "{id} is the broker id",
                ),
                None => {
                    out += "    hosts:                    # one per broker, in id order\n";
                    for h in hosts {
                        out += &format!("      - {}\n", scalar(h.as_str()));
                    }
                }
            }
        }
    }
    match &c.metadata {
        Metadata::ZooKeeper(z) => {
            out += "zookeeper:\n";
            line(
                &mut out,
                1,
                "replicas",
                &z.replicas.to_string(),
                "odd: 1, 3 or 5",
            );
            storage(&mut out, 1, &z.storage);
        }
        Metadata::Kraft(kraft) => {
            out += "kraft:\n";
            let controllers = kraft.controllers.as_ref().map_or(0, |c| c.replicas);
            line(
                &mut out,
                1,
                "controllers",
                &controllers.to_string(),
                "0: every broker is also a controller",
            );
            if let Some(ctrl) = &kraft.controllers {
                storage(&mut out, 1, &ctrl.storage);
            }
        }
    }
    let rf = k.replication_factor;
    example(&mut out, 0, "topics:", "created once the brokers are up");
    out += &format!(
        "#   - name: orders\n\
         #     partitions: {}\n\
         #     replicationFactor: {rf}\n\
         #     config:\n\
         #       retention.ms: 604800000\n",
        k.partitions
    );
    out
}

fn storage(out: &mut String, indent: usize, s: &Storage) {
    out.push_str(&format!("{}storage:\n", "  ".repeat(indent)));
    match s {
        Storage::Persistent { size, class } => {
            line(out, indent + 1, "size", &scalar(size.as_str()), "");
            match class {
                Some(class) => line(
                    out,
                    indent + 1,
                    "class",
                    &scalar(class.as_str()),
                    "StorageClass; leave out for the default",
                ),
                None => example(
                    out,
                    indent + 1,
                    "class: standard",
                    "StorageClass; default: the cluster's",
                ),
            }
        }
        Storage::Ephemeral { size_limit } => {
            line(out, indent + 1, "size", &scalar(size_limit.as_str()), "");
            line(
                out,
                indent + 1,
                "ephemeral",
                "true",
                "emptyDir: data is lost with the pod",
            );
        }
    }
}
