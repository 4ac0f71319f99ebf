//! Kafka's own configuration model: the broker and topic keys of each Kafka
//! line with their types and validators, as Kafka's ConfigDefs declare them
//! in the released jars (`src/validate/kafka_config/kafka-<line>.tsv`, written by
//! `cargo xtask config-model`). `kafka.config` and topic configs are checked
//! against the line of the image that runs them.

use std::collections::HashMap;
use std::sync::OnceLock;

/// The lines kafkagen knows, (major, minor) -> their definitions.
const LINES: &[((u32, u32), &str)] = &[
    ((3, 7), include_str!("kafka_config/kafka-3.7.tsv")),
    ((3, 8), include_str!("kafka_config/kafka-3.8.tsv")),
    ((3, 9), include_str!("kafka_config/kafka-3.9.tsv")),
    ((4, 0), include_str!("kafka_config/kafka-4.0.tsv")),
    ((4, 1), include_str!("kafka_config/kafka-4.1.tsv")),
    ((4, 2), include_str!("kafka_config/kafka-4.2.tsv")),
    ((4, 3), include_str!("kafka_config/kafka-4.3.tsv")),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Broker,
    Topic,
}

/// What a value must be, besides its type.
#[derive(Debug, Clone, PartialEq)]
enum Check {
    None,
    /// Inclusive bounds.
    Range(Option<f64>, Option<f64>),
    /// One of these; case-insensitively when the flag is set.
    OneOf(Vec<&'static str>, bool),
    /// A list whose every item is one of these.
    EachOneOf(Vec<&'static str>),
    NonEmpty,
}

#[derive(Debug, Clone)]
pub struct Def {
    ty: &'static str,
    check: Check,
}

/// One Kafka line's definitions.
pub struct Model {
    /// `major.minor`.
    pub line: String,
    broker: HashMap<&'static str, Def>,
    topic: HashMap<&'static str, Def>,
}

/// `[a,...,b]`, `[a,...]`, `[...,b]`: a Range validator's description.
fn range(text: &str) -> Option<Check> {
    let inner = text.strip_prefix('[')?.strip_suffix(']')?;
    let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
    let num = |s: &str| s.parse::<f64>().ok();
    match parts.as_slice() {
        [a, "..."] => Some(Check::Range(num(a), None)),
        ["...", b] => Some(Check::Range(None, num(b))),
        [a, "...", b] => Some(Check::Range(num(a), num(b))),
        _ => None,
    }
}

/// `[a, b, c]`: the choices of a ValidString or ValidList validator.
fn choices(text: &'static str) -> Vec<&'static str> {
    text.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// (broker keys, topic keys)
type Keys = (HashMap<&'static str, Def>, HashMap<&'static str, Def>);

fn parse_line(text: &'static str) -> Keys {
    let mut keys: Keys = (HashMap::new(), HashMap::new());
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&'static str> = line.split('\t').collect();
        if f.len() < 5 {
            continue;
        }
        let check = match f[3] {
            "Range" => range(f[4]).unwrap_or(Check::None),
            "ValidString" => Check::OneOf(choices(f[4]), false),
            "CaseInsensitiveValidString" => Check::OneOf(choices(f[4]), true),
            "ValidList" => Check::EachOneOf(choices(f[4])),
            "NonEmptyString" => Check::NonEmpty,
            _ => Check::None,
        };
        let def = Def { ty: f[2], check };
        match f[0] {
            "broker" => keys.0.insert(f[1], def),
            _ => keys.1.insert(f[1], def),
        };
    }
    keys
}

/// The model of the nearest line to `version`: the same major version
/// first, then the closest minor. Each line is read once per process.
pub fn model(version: (u32, u32)) -> &'static Model {
    static MODELS: [OnceLock<Model>; LINES.len()] = [const { OnceLock::new() }; LINES.len()];
    let (major, minor) = super::image::nearest_line(version, LINES.iter().map(|(v, _)| *v))
        .expect("at least one line");
    let i = LINES
        .iter()
        .position(|(v, _)| *v == (major, minor))
        .expect("a line of LINES");
    MODELS[i].get_or_init(|| {
        let (broker, topic) = parse_line(LINES[i].1);
        Model {
            line: format!("{major}.{minor}"),
            broker,
            topic,
        }
    })
}

/// Whether the newest 3.x line has a broker key (for "removed in 4.0").
pub fn in_kafka_3(name: &str) -> bool {
    model((3, 9)).broker.contains_key(name)
}

impl Model {
    fn keys(&self, scope: Scope) -> &HashMap<&'static str, Def> {
        match scope {
            Scope::Broker => &self.broker,
            Scope::Topic => &self.topic,
        }
    }

    pub fn get(&self, scope: Scope, name: &str) -> Option<&Def> {
        self.keys(scope).get(name)
    }

    /// Every key, sorted (so that suggestions do not depend on hashing).
    pub fn names(&self, scope: Scope) -> impl Iterator<Item = &'static str> + '_ {
        let mut names: Vec<&'static str> = self.keys(scope).keys().copied().collect();
        names.sort_unstable();
        names.into_iter()
    }
}

/// A SASL mechanism as listener-prefixed keys name it
/// (`listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config`).
fn is_mechanism(s: &str) -> bool {
    matches!(
        s,
        "plain" | "scram-sha-256" | "scram-sha-512" | "gssapi" | "oauthbearer"
    )
}

/// The broker key a listener-prefixed key configures, if it is one:
/// `listener.name.<listener>.[<mechanism>.]<key>`.
pub fn listener_key(name: &str) -> Option<&str> {
    let rest = name.strip_prefix("listener.name.")?;
    let (_, key) = rest.split_once('.')?;
    match key.split_once('.') {
        Some((m, k)) if is_mechanism(m) => Some(k),
        _ => Some(key),
    }
}

fn number(ty: &str, v: &str) -> Option<f64> {
    let v = v.trim();
    match ty {
        "INT" => v.parse::<i32>().ok().map(f64::from),
        "SHORT" => v.parse::<i16>().ok().map(f64::from),
        "LONG" => v.parse::<i64>().ok().map(|n| n as f64),
        "DOUBLE" => v.parse::<f64>().ok(),
        _ => None,
    }
}

fn show(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e18 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// Why `value` is not a value of `def`, as Kafka's ConfigDef would refuse
/// it; `None` when it is one. Values using config providers (`${...}`) are
/// resolved only by the broker and pass.
pub fn refuse(def: &Def, value: &str) -> Option<String> {
    if value.contains("${") {
        return None;
    }
    let ty = def.ty;
    let n = match ty {
        "BOOLEAN"
            if !value.trim().eq_ignore_ascii_case("true")
                && !value.trim().eq_ignore_ascii_case("false") =>
        {
            return Some("must be true or false".into());
        }
        "INT" | "SHORT" | "LONG" | "DOUBLE" => match number(ty, value) {
            Some(n) => Some(n),
            None => {
                let what = match ty {
                    "INT" => "a whole number from -2147483648 to 2147483647",
                    "SHORT" => "a whole number from -32768 to 32767",
                    "LONG" => "a whole number (64 bits)",
                    _ => "a number",
                };
                return Some(format!("must be {what}"));
            }
        },
        _ => None,
    };
    match &def.check {
        Check::Range(min, max) => {
            let n = n?;
            let below = min.is_some_and(|m| n < m);
            let above = max.is_some_and(|m| n > m);
            if below || above {
                return Some(match (min, max) {
                    (Some(a), Some(b)) => format!("must be from {} to {}", show(*a), show(*b)),
                    (Some(a), None) => format!("must be at least {}", show(*a)),
                    (None, Some(b)) => format!("must be at most {}", show(*b)),
                    (None, None) => unreachable!(),
                });
            }
        }
        Check::OneOf(allowed, insensitive) => {
            let v = value.trim();
            let ok = allowed.iter().any(|a| {
                if *insensitive {
                    a.eq_ignore_ascii_case(v)
                } else {
                    *a == v
                }
            });
            if !ok {
                return Some(format!("must be one of {}", allowed.join(", ")));
            }
        }
        Check::EachOneOf(allowed) => {
            for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                if !allowed.contains(&item) {
                    return Some(format!(
                        "lists `{item}`; each item must be one of {}",
                        allowed.join(", ")
                    ));
                }
            }
        }
        Check::NonEmpty if value.trim().is_empty() => return Some("must not be empty".into()),
        _ => {}
    }
    None
}

/// Broker properties the standard authorizers read (StandardAuthorizer
/// under KRaft, AclAuthorizer with ZooKeeper), which Kafka's broker
/// configuration does not define.
pub const AUTHORIZER_PROPERTIES: &[&str] = &["super.users", "allow.everyone.if.no.acl.found"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_is_read_with_its_validators() {
        for ((major, minor), _) in LINES {
            let m = model((*major, *minor));
            assert_eq!(m.line, format!("{major}.{minor}"));
            let isr = m
                .get(Scope::Topic, "min.insync.replicas")
                .expect("min.insync.replicas");
            assert_eq!(isr.check, Check::Range(Some(1.0), None));
            let policy = m
                .get(Scope::Topic, "cleanup.policy")
                .expect("cleanup.policy");
            assert!(matches!(&policy.check, Check::EachOneOf(v) if v.contains(&"compact")));
            assert!(m.names(Scope::Broker).count() > 200);
        }
        assert!(
            model((3, 9))
                .get(Scope::Broker, "zookeeper.connect")
                .is_some()
        );
        assert!(
            model((4, 1))
                .get(Scope::Broker, "zookeeper.connect")
                .is_none()
        );
        assert!(in_kafka_3("zookeeper.connect"));
        assert_eq!(model((4, 9)).line, "4.3");
        assert_eq!(model((3, 0)).line, "3.7");
    }

    #[test]
    fn values_are_refused_as_the_config_def_refuses_them() {
        let m = model((4, 1));
        let topic = |k: &str| m.get(Scope::Topic, k).unwrap();
        assert_eq!(
            refuse(topic("min.insync.replicas"), "0").as_deref(),
            Some("must be at least 1")
        );
        assert_eq!(refuse(topic("min.insync.replicas"), "2"), None);
        assert!(
            refuse(topic("retention.ms"), "a week")
                .unwrap()
                .contains("whole number")
        );
        assert!(
            refuse(topic("cleanup.policy"), "compact,trash")
                .unwrap()
                .contains("`trash`")
        );
        assert_eq!(refuse(topic("cleanup.policy"), "compact, delete"), None);
        assert!(
            refuse(topic("compression.type"), "brotli")
                .unwrap()
                .contains("zstd")
        );
        assert!(
            refuse(topic("unclean.leader.election.enable"), "yes")
                .unwrap()
                .contains("true or false")
        );
        assert_eq!(refuse(topic("retention.ms"), "${file:/x:y}"), None);
        assert_eq!(
            listener_key("listener.name.ext.ssl.keystore.location"),
            Some("ssl.keystore.location")
        );
        assert_eq!(
            listener_key("listener.name.ext.scram-sha-512.sasl.jaas.config"),
            Some("sasl.jaas.config")
        );
        assert_eq!(listener_key("ssl.keystore.location"), None);
    }
}
