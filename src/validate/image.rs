//! Container image references: which distribution an image is (its
//! entrypoint conventions differ) and which version, to check it against
//! the mode.

pub use crate::cluster::Flavor;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub reference: String,
    pub flavor: Flavor,
    /// `(major, minor)` read from the tag, when the tag starts with one.
    pub version: Option<(u32, u32)>,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

/// Parses `[registry/]path[:tag][@sha256:hex]`; `None` when malformed.
pub fn parse(reference: &str) -> Option<Image> {
    if reference.is_empty()
        || reference
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return None;
    }
    let (rest, digest) = match reference.split_once('@') {
        Some((r, d)) => {
            let hex = d.strip_prefix("sha256:")?;
            if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            (r, Some(d.to_string()))
        }
        None => (reference, None),
    };
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (path, tag) = match rest[last_slash..].split_once(':') {
        Some((_, t)) => (&rest[..last_slash + rest[last_slash..].find(':')?], Some(t)),
        None => (rest, None),
    };
    let path_ok = path.split('/').all(|seg| {
        !seg.is_empty()
            && seg
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-:".contains(&b))
    });
    let tag_ok = tag.is_none_or(|t| {
        !t.is_empty()
            && t.len() <= 128
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    });
    if !path_ok || !tag_ok {
        return None;
    }
    let segments: Vec<&str> = path.split('/').collect();
    let name = segments[segments.len() - 1];
    let owner = segments.len().checked_sub(2).map(|i| segments[i]);
    let flavor = match (owner, name) {
        (_, "cp-kafka" | "cp-server") => Flavor::ConfluentKafka,
        (_, "cp-zookeeper") => Flavor::ConfluentZooKeeper,
        (Some("apache"), "kafka") => Flavor::ApacheKafka,
        (Some("apache"), "kafka-native") => Flavor::ApacheKafkaNative,
        _ => Flavor::Unknown,
    };
    let version = tag.and_then(|t| {
        let mut parts = t.split(['.', '-']);
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        Some((major, minor))
    });
    Some(Image {
        reference: reference.to_string(),
        flavor,
        version,
        tag: tag.map(str::to_string),
        digest,
    })
}

/// The Apache Kafka (major, minor) inside a Confluent Platform version:
/// 7.x is Kafka 3.x and 8.x Kafka 4.x, with the same minor version.
pub fn confluent_kafka((major, minor): (u32, u32)) -> Option<(u32, u32)> {
    Some((major.checked_sub(4)?, minor))
}

/// The nearest of `lines` to a Kafka `version`: the same major version
/// first, then the closest minor. `None` when `lines` is empty.
pub fn nearest_line(
    version: (u32, u32),
    lines: impl IntoIterator<Item = (u32, u32)>,
) -> Option<(u32, u32)> {
    lines.into_iter().min_by_key(|(major, minor)| {
        (
            *major != version.0,
            (major * 100 + minor).abs_diff(version.0 * 100 + version.1),
        )
    })
}

impl Image {
    /// The Apache Kafka (major, minor) the image runs: its own version for
    /// apache/kafka; for Confluent Platform, whose 7.x is Kafka 3.x and 8.x
    /// Kafka 4.x with the same minor version. `None` without a version tag.
    pub fn kafka_version(&self) -> Option<(u32, u32)> {
        let (major, minor) = self.version?;
        match self.flavor {
            Flavor::ApacheKafka | Flavor::ApacheKafkaNative => Some((major, minor)),
            Flavor::ConfluentKafka | Flavor::ConfluentZooKeeper => confluent_kafka((major, minor)),
            Flavor::Unknown => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_line_keeps_the_major_version_first() {
        let lines = [(3, 7), (3, 9), (4, 1)];
        assert_eq!(nearest_line((3, 8), lines), Some((3, 7)));
        assert_eq!(nearest_line((3, 9), lines), Some((3, 9)));
        // 4.0 is one minor from 4.1 and from 3.9 alike: the major wins.
        assert_eq!(nearest_line((4, 0), lines), Some((4, 1)));
        assert_eq!(nearest_line((4, 3), lines), Some((4, 1)));
        assert_eq!(nearest_line((3, 0), [(4, 1)]), Some((4, 1)));
        assert_eq!(nearest_line((3, 0), []), None);
    }

    #[test]
    fn knows_the_kafka_inside() {
        let v = |r: &str| parse(r).unwrap().kafka_version();
        assert_eq!(v("confluentinc/cp-kafka:7.9.1"), Some((3, 9)));
        assert_eq!(v("confluentinc/cp-server:8.0.0"), Some((4, 0)));
        assert_eq!(v("apache/kafka:4.1.0"), Some((4, 1)));
        assert_eq!(v(&format!("apache/kafka@sha256:{}", "a".repeat(64))), None);
    }

    #[test]
    fn reads_flavor_and_version() {
        let i = parse("confluentinc/cp-kafka:7.9.1").unwrap();
        assert_eq!(
            (i.flavor, i.version),
            (Flavor::ConfluentKafka, Some((7, 9)))
        );
        let i = parse("registry.local:5000/mirror/apache/kafka:4.1.0").unwrap();
        assert_eq!((i.flavor, i.version), (Flavor::ApacheKafka, Some((4, 1))));
        let i = parse("confluentinc/cp-zookeeper:7.6.0-1-ubi8").unwrap();
        assert_eq!(i.version, Some((7, 6)));
        let d = format!("confluentinc/cp-kafka@sha256:{}", "a".repeat(64));
        let i = parse(&d).unwrap();
        assert_eq!((i.tag, i.version), (None, None));
        assert!(i.digest.is_some());
    }

    #[test]
    fn rejects_malformed_references() {
        for bad in ["", "a b", "cp-kafka:", "x@sha256:12", "a//b:1", "x:\"1\""] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }
}
