//! What the topics, users and ACLs Jobs read: documents of one item per
//! line that kafkagen writes into each Job's environment and the Job's
//! script reads with `read`. Their lines are typed here, once: the model
//! writes them and the live boot (`cargo xtask live`) reads them back with
//! the same definitions, so the two cannot drift apart.

use serde::Serialize;

/// The environment variable that holds the topics Job's document.
pub const TOPICS: &str = "TOPICS";
/// The environment variable that holds the users Job's document.
pub const USERS: &str = "USERS";
/// The environment variable that holds the iteration count of the SCRAM
/// credentials the users Job makes, which marks them as its own.
pub const ITERATIONS: &str = "ITERATIONS";
/// The environment variable that holds the ACLs Job's document.
pub const ACLS: &str = "ACLS";
/// The environment variable that holds the ACLs Job's marker resource.
pub const MARKER: &str = "MARKER";

/// A topic of the topics Job: `name partitions replicas [key=value ...]`.
/// Names, keys and values hold no spaces (validation refuses them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicLine {
    pub name: String,
    pub partitions: u32,
    pub replicas: u32,
    /// `key=value`, in the spec's order.
    pub configs: Vec<String>,
}

impl TopicLine {
    pub fn line(&self) -> String {
        let mut line = format!("{} {} {}", self.name, self.partitions, self.replicas);
        for kv in &self.configs {
            line.push(' ');
            line.push_str(kv);
        }
        line
    }

    /// A line as the Job's `read -r name partitions replicas configs`
    /// takes it; `None` for an empty line or counts that are not numbers.
    pub fn parse(line: &str) -> Option<TopicLine> {
        let mut words = line.split_whitespace();
        Some(TopicLine {
            name: words.next()?.to_string(),
            partitions: words.next()?.parse().ok()?,
            replicas: words.next()?.parse().ok()?,
            configs: words.map(str::to_string).collect(),
        })
    }
}

/// One ACL, with Kafka's names for its parts (as `kafka-acls --list`
/// prints them).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct AclEntry {
    pub principal: String,
    pub host: String,
    pub operation: String,
    pub permission: String,
    pub resource_type: String,
    pub name: String,
    pub pattern_type: String,
}

impl AclEntry {
    /// `principal|host|OPERATION|PERMISSION|TYPE|name|PATTERN`: a line of
    /// the ACLs Job, which it compares with the lines it makes of
    /// `kafka-acls --list`.
    pub fn line(&self) -> String {
        [
            &self.principal,
            &self.host,
            &self.operation,
            &self.permission,
            &self.resource_type,
            &self.name,
            &self.pattern_type,
        ]
        .map(String::as_str)
        .join("|")
    }

    /// A line of [`AclEntry::line`]'s form; `None` for any other.
    pub fn parse(line: &str) -> Option<AclEntry> {
        let f: Vec<&str> = line.split('|').collect();
        let [
            principal,
            host,
            operation,
            permission,
            resource_type,
            name,
            pattern_type,
        ] = f[..]
        else {
            return None;
        };
        Some(AclEntry {
            principal: principal.into(),
            host: host.into(),
            operation: operation.into(),
            permission: permission.into(),
            resource_type: resource_type.into(),
            name: name.into(),
            pattern_type: pattern_type.into(),
        })
    }
}

/// A document of `lines`, each ended by a line break (the Jobs' scripts
/// skip the empty line that `<<<` adds).
pub fn document<I: IntoIterator<Item = String>>(lines: I) -> String {
    lines.into_iter().map(|l| l + "\n").collect()
}

/// The topics of a topics Job's document.
pub fn topics(document: &str) -> Vec<TopicLine> {
    document.lines().filter_map(TopicLine::parse).collect()
}

/// The ACLs of an ACLs Job's document.
pub fn acls(document: &str) -> Vec<AclEntry> {
    document.lines().filter_map(AclEntry::parse).collect()
}

/// The user names of a users Job's document, one per line.
pub fn users(document: &str) -> Vec<String> {
    document.split_whitespace().map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_topic_line_reads_back_as_written() {
        let t = TopicLine {
            name: "orders".into(),
            partitions: 6,
            replicas: 3,
            configs: vec!["cleanup.policy=compact".into(), "retention.ms=1000".into()],
        };
        assert_eq!(
            t.line(),
            "orders 6 3 cleanup.policy=compact retention.ms=1000"
        );
        assert_eq!(TopicLine::parse(&t.line()), Some(t.clone()));
        assert_eq!(topics(&document([t.line(), String::new()])), [t]);
        assert_eq!(TopicLine::parse("orders six 3"), None);
        assert_eq!(TopicLine::parse(""), None);
    }

    #[test]
    fn an_acl_line_reads_back_as_written() {
        let a = AclEntry::parse("User:alice|*|READ|ALLOW|TOPIC|orders|PREFIXED").unwrap();
        assert_eq!(a.principal, "User:alice");
        assert_eq!(a.resource_type, "TOPIC");
        assert_eq!(a.pattern_type, "PREFIXED");
        assert_eq!(a.line(), "User:alice|*|READ|ALLOW|TOPIC|orders|PREFIXED");
        assert_eq!(
            AclEntry::parse("User:alice|*|READ|ALLOW|TOPIC|orders"),
            None
        );
        assert_eq!(acls(&document([a.line()])), [a]);
    }

    #[test]
    fn the_templates_read_the_variables_named_here() {
        for (template, names) in [
            ("kafka/topics-job.yaml.j2", &[TOPICS][..]),
            ("kafka/users-job.yaml.j2", &[USERS, ITERATIONS]),
            ("kafka/acls-job.yaml.j2", &[ACLS, MARKER]),
        ] {
            let text = crate::templates::builtin(template).unwrap();
            for name in names {
                assert!(
                    text.contains(&format!("- name: {name}\n"))
                        && text.contains(&format!("${name}")),
                    "{template} does not set and read {name}"
                );
            }
        }
    }
}
