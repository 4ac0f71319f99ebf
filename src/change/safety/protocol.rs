//! The listeners of a Kafka workload, as its pod template's container env
//! declares them (`KAFKA_LISTENERS`, `KAFKA_LISTENER_SECURITY_PROTOCOL_MAP`,
//! `KAFKA_INTER_BROKER_LISTENER_NAME`, `KAFKA_CONTROLLER_LISTENER_NAMES`,
//! `KAFKA_LISTENER_NAME_<L>_SSL_CLIENT_AUTH`,
//! `KAFKA_LISTENER_NAME_<L>_SASL_ENABLED_MECHANISMS`,
//! `KAFKA_AUTHORIZER_CLASS_NAME`), and what changing them in one roll does.
//! Changing `inter.broker.listener.name` or a listener's protocol in one
//! roll breaks replication mid-roll; Kafka's procedure adds the new
//! listener everywhere first, then switches to it in a second roll; the
//! same for the controller listener under KRaft.

use super::{Plan, env_of, once};
use crate::broker_properties::property_env;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// How one listener is secured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Security {
    /// PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL.
    pub protocol: String,
    /// `ssl.client.auth=required` on a TLS listener: clients present a
    /// certificate.
    pub certificate: bool,
    /// The SASL mechanisms of a SASL listener, sorted; empty otherwise.
    pub sasl: Vec<String>,
}

impl Security {
    fn tls(&self) -> bool {
        self.protocol.ends_with("SSL")
    }
}

impl fmt::Display for Security {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = vec![if self.tls() { "TLS" } else { "no TLS" }.to_string()];
        if self.certificate {
            parts.push("client certificates required".into());
        }
        if !self.sasl.is_empty() {
            parts.push(format!("{} logins", self.sasl.join("/")));
        }
        write!(f, "{} ({})", self.protocol, parts.join(", "))
    }
}

/// A Kafka workload's listeners and authorizer.
#[derive(Debug)]
pub struct Listeners {
    /// By upper-case name: its own and those it reaches the quorum by.
    pub by_name: BTreeMap<String, Security>,
    /// A broker (ZooKeeper mode, or `broker` in `KAFKA_PROCESS_ROLES`).
    pub broker: bool,
    /// Brokers: `inter.broker.listener.name`.
    pub inter_broker: Option<String>,
    /// KRaft: `controller.listener.names`, in order: nodes reach the
    /// quorum by the first.
    pub controller: Vec<String>,
    /// The names it binds (`KAFKA_LISTENERS`).
    pub bound: Vec<String>,
    /// `authorizer.class.name`.
    pub authorizer: Option<String>,
    /// `allow.everyone.if.no.acl.found=true`.
    pub allow_everyone: bool,
}

fn names(list: &str) -> Vec<String> {
    list.split(',')
        .map(|n| n.trim().to_ascii_uppercase())
        .filter(|n| !n.is_empty())
        .collect()
}

/// The model of a workload's Kafka container; `None` without
/// `KAFKA_LISTENERS` (not a Kafka node).
pub fn read(v: &Value) -> Option<Listeners> {
    let env = |name: &str| env_of(v, name).map(str::trim).filter(|s| !s.is_empty());
    let listeners = env("KAFKA_LISTENERS")?;
    let map: BTreeMap<String, String> = env("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP")
        .into_iter()
        .flat_map(|m| m.split(','))
        .filter_map(|pair| pair.split_once(':'))
        .map(|(n, p)| (n.trim().to_ascii_uppercase(), p.trim().to_ascii_uppercase()))
        .collect();
    let controller = env("KAFKA_CONTROLLER_LISTENER_NAMES")
        .map(names)
        .unwrap_or_default();
    let mut all: Vec<String> = listeners
        .split(',')
        .filter_map(|l| l.split_once("://"))
        .map(|(n, _)| n.trim().to_ascii_uppercase())
        .filter(|n| !n.is_empty())
        .collect();
    let bound = all.clone();
    // Brokers beside dedicated controllers reach the quorum by a listener
    // they do not open.
    all.extend(controller.iter().cloned());
    let by_name = all
        .into_iter()
        .map(|name| {
            // Without a map entry, Kafka's default map names each protocol
            // after itself.
            let protocol = map.get(&name).cloned().unwrap_or_else(|| name.clone());
            let own = |key: &str| {
                env(&property_env(&format!(
                    "listener.name.{}.{key}",
                    name.to_ascii_lowercase()
                )))
                .or_else(|| env(&property_env(key)))
            };
            let certificate = protocol.ends_with("SSL")
                && own("ssl.client.auth").is_some_and(|a| a.eq_ignore_ascii_case("required"));
            let mut sasl = if protocol.starts_with("SASL_") {
                names(own("sasl.enabled.mechanisms").unwrap_or("GSSAPI"))
            } else {
                Vec::new()
            };
            sasl.sort();
            let security = Security {
                protocol,
                certificate,
                sasl,
            };
            (name, security)
        })
        .collect();
    let broker = env("KAFKA_PROCESS_ROLES").is_none_or(|r| names(r).iter().any(|r| r == "BROKER"));
    let inter_broker = broker.then(|| {
        env("KAFKA_INTER_BROKER_LISTENER_NAME")
            .or_else(|| env("KAFKA_SECURITY_INTER_BROKER_PROTOCOL"))
            .unwrap_or("PLAINTEXT")
            .to_ascii_uppercase()
    });
    Some(Listeners {
        by_name,
        broker,
        inter_broker,
        controller,
        bound,
        authorizer: env("KAFKA_AUTHORIZER_CLASS_NAME").map(str::to_string),
        allow_everyone: env("KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND")
            .is_some_and(|a| a.eq_ignore_ascii_case("true")),
    })
}

/// Numbered steps, one line each.
fn numbered(why: &str, steps: &[String]) -> String {
    let mut out = format!("{why}. In order, one render each:");
    for (i, s) in steps.iter().enumerate() {
        out += &format!("\n{}. {s}", i + 1);
    }
    out
}

/// The KRaft quorum's listeners that the nodes of one render bind, by
/// name: what a node can reach the quorum by.
#[derive(Debug, Default)]
pub struct Quorum(BTreeMap<String, Security>);

impl Quorum {
    /// Every Kafka workload's bound controller listeners.
    pub fn of<'a>(workloads: impl Iterator<Item = &'a Value>) -> Quorum {
        let mut bound = BTreeMap::new();
        for l in workloads.filter_map(read) {
            for name in l.controller.iter().filter(|n| l.bound.contains(n)) {
                if let Some(s) = l.by_name.get(name) {
                    bound.insert(name.clone(), s.clone());
                }
            }
        }
        Quorum(bound)
    }
}

/// What changing one workload's listeners or authorizer does; `quorum`:
/// what the nodes of the committed and of the new render bind.
pub fn compare(plan: &mut Plan, o: &Listeners, n: &Listeners, quorum: (&Quorum, &Quorum)) {
    inter_broker(plan, o, n);
    controller(plan, o, n, quorum);
    clients(plan, o, n);
    authorization(plan, o, n);
}

/// The listener brokers replicate on.
fn inter_broker(plan: &mut Plan, o: &Listeners, n: &Listeners) {
    let (Some(x), Some(y)) = (&o.inter_broker, &n.inter_broker) else {
        return;
    };
    let (before, after) = (&o.by_name, &n.by_name);
    let why = "brokers rolled and brokers not yet rolled cannot replicate from each other, so partitions fall out of sync mid-roll";
    if x == y {
        if let (Some(a), Some(b)) = (before.get(x), after.get(x))
            && a != b
        {
            once(
                &mut plan.steps,
                (
                    format!("the inter-broker listener {x} changes in place: {a} -> {b}"),
                    numbered(
                        why,
                        &[
                            format!(
                                "add a new listener with {b} on every broker, inter.broker.listener.name staying {x} (roll)"
                            ),
                            "switch inter.broker.listener.name to it (roll)".into(),
                            format!("then {x} may change or go (roll)"),
                        ],
                    ),
                ),
            );
        }
        return;
    }
    let Some(target) = after.get(y) else { return };
    // Step 2 of the procedure: Y was there as it is now, X stays as it was.
    let ready = before.get(y) == Some(target);
    let kept = before.get(x).is_some() && after.get(x) == before.get(x);
    if ready && kept {
        return;
    }
    let mut steps = Vec::new();
    if !ready {
        let verb = if before.contains_key(y) {
            format!("give the {y} listener {target}")
        } else {
            format!("add the {y} listener with {target}")
        };
        steps.push(format!(
            "{verb} on every broker, inter.broker.listener.name staying {x} (roll)"
        ));
    }
    steps.push(format!(
        "switch inter.broker.listener.name to {y}, {x} staying as it is (roll)"
    ));
    if !kept {
        steps.push(match after.get(x) {
            None => format!("remove the {x} listener (roll)"),
            Some(s) => format!("change the {x} listener to {s} (roll)"),
        });
    }
    once(
        &mut plan.steps,
        (
            format!("inter.broker.listener.name changes from {x} to {y}"),
            numbered(why, &steps),
        ),
    );
}

/// KRaft: the listeners of the quorum. Nodes reach it by the first of
/// `controller.listener.names`, at the voters' port. Moving it to another
/// listener in one roll is safe when every node of the committed render
/// already binds the new one as it will be, and every node of the new
/// render still binds the old one as it was: rolled and unrolled nodes
/// then reach each other either way. Otherwise the quorum splits mid-roll.
fn controller(plan: &mut Plan, o: &Listeners, n: &Listeners, (before, after): (&Quorum, &Quorum)) {
    let (Some(a), Some(b)) = (o.controller.first(), n.controller.first()) else {
        return;
    };
    let why = "nodes rolled to the new listener and nodes not yet rolled cannot reach each other, so the quorum splits mid-roll";
    let (was, will) = (o.by_name.get(a), n.by_name.get(b));
    if a != b || was != will {
        let ready = will.is_some() && before.0.get(b) == will;
        let kept = was.is_some() && after.0.get(a) == was;
        if !(ready && kept) && a != b {
            let show = |s: Option<&Security>| s.map_or("?".to_string(), |s| s.to_string());
            once(
                &mut plan.steps,
                (
                    format!(
                        "the quorum's listener changes from {a}, {} to {b}, {}",
                        show(was),
                        show(will)
                    ),
                    numbered(
                        why,
                        &[
                            format!(
                                "add {b} to every controller, {a} staying first in controller.listener.names (roll)"
                            ),
                            format!(
                                "put {b} first, {a} staying, with the voters at {b}'s port (roll)"
                            ),
                            format!("remove {a} (roll)"),
                        ],
                    ) + "\n(check --steps renders them)",
                ),
            );
        } else if a == b {
            once(
                &mut plan.steps,
                (
                    format!(
                        "the controller listener {a} changes in place: {} -> {}",
                        was.map_or("?".to_string(), |s| s.to_string()),
                        will.map_or("?".to_string(), |s| s.to_string())
                    ),
                    numbered(
                        why,
                        &[
                            format!(
                                "add a controller listener with the new settings beside {a} on every controller, {a} staying first (roll)"
                            ),
                            "put the new listener first (roll)".into(),
                            format!("remove {a} (roll)"),
                        ],
                    ),
                ),
            );
        }
    }
}

/// What clients of a listener must change to keep connecting, from `a` to
/// `b`; relaxations (no certificate needed any more) ask nothing.
fn must(a: &Security, b: &Security) -> Vec<String> {
    let mut out = Vec::new();
    match (a.tls(), b.tls()) {
        (false, true) => out.push("must connect with TLS, trusting the cluster's CA".to_string()),
        (true, false) => out.push("must connect without TLS".into()),
        _ => {}
    }
    if b.certificate && !a.certificate {
        out.push("must present a certificate the cluster's CA signed".into());
    }
    if a.sasl != b.sasl {
        if b.sasl.is_empty() {
            out.push("must connect without a SASL login".into());
        } else if a.sasl.is_empty() || a.sasl.iter().any(|m| !b.sasl.contains(m)) {
            out.push(format!("must log in with {}", b.sasl.join(" or ")));
        }
    }
    out
}

/// Client listeners (neither inter-broker nor controller): Kafka does not
/// mind, their clients do.
fn clients(plan: &mut Plan, o: &Listeners, n: &Listeners) {
    if !(o.broker && n.broker) {
        return;
    }
    let special = |name: &String| {
        [&o.inter_broker, &n.inter_broker]
            .into_iter()
            .any(|l| l.as_ref() == Some(name))
            || o.controller.contains(name)
            || n.controller.contains(name)
    };
    for (name, a) in o.by_name.iter().filter(|(name, _)| !special(name)) {
        match n.by_name.get(name) {
            None => once(
                &mut plan.breaks_clients,
                (
                    format!("clients of listener {name}"),
                    format!("{name} goes away: they must connect through another listener"),
                ),
            ),
            Some(b) if a != b => {
                let asks = must(a, b);
                if asks.is_empty() {
                    once(
                        &mut plan.notes,
                        format!("listener {name}: {a} -> {b}; its clients need change nothing"),
                    );
                } else {
                    once(
                        &mut plan.breaks_clients,
                        (
                            format!("clients of listener {name} ({a} -> {b})"),
                            asks.join("\n"),
                        ),
                    );
                }
            }
            Some(_) => {}
        }
    }
}

/// Turning the authorizer on refuses every client without ACLs at once.
fn authorization(plan: &mut Plan, o: &Listeners, n: &Listeners) {
    if !(o.broker && n.broker) || o.authorizer.is_some() {
        return;
    }
    let Some(class) = &n.authorizer else { return };
    if n.allow_everyone {
        once(
            &mut plan.notes,
            "authorization turns on with allow.everyone.if.no.acl.found=true: resources without ACLs stay open; remove it in a later render once every client has its ACLs".into(),
        );
        return;
    }
    once(
        &mut plan.steps,
        (
            format!("authorization turns on ({class})"),
            numbered(
                "clients without ACLs are refused the moment a broker rolls",
                &[
                    "turn the authorizer on with kafka.config allow.everyone.if.no.acl.found: \"true\", and apply the ACLs every client needs (roll)".into(),
                    "remove allow.everyone.if.no.acl.found (roll)".into(),
                ],
            ),
        ),
    );
}
