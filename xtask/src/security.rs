//! Clients of secured listeners, and what those listeners must refuse.
//! What a listener demands is read from the brokers' effective
//! configuration (the protocol map, `ssl.client.auth`, the SASL
//! mechanisms), never from the spec; credentials come from what the
//! harness issued (`tls`) and from the users Job's environment.

use crate::checks::{Report, kafka_nodes};
use crate::client::Client;
use crate::cluster::Cluster;
use crate::objects::Objects;
use crate::session::Session;
use crate::tls::{Issued, test_password};
use kafkagen::job_input;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// What a listener asks of its clients, read from a broker's effective
/// configuration.
#[derive(Debug, Clone)]
pub struct Demands {
    pub listener: String,
    pub protocol: String,
    pub tls: bool,
    pub sasl: Option<String>,
    pub client_cert: bool,
}

impl Demands {
    pub fn authenticated(&self) -> bool {
        self.sasl.is_some() || self.client_cert
    }
}

pub fn demands(cluster: &Cluster, listener: &str) -> Option<Demands> {
    let nodes = kafka_nodes(cluster);
    let n = nodes.iter().find(|n| n.broker)?;
    let map = n.props.get("listener.security.protocol.map")?;
    let protocol = map.split(',').find_map(|e| {
        let (name, p) = e.trim().split_once(':')?;
        (name == listener).then(|| p.to_string())
    })?;
    let prefix = format!("listener.name.{}.", listener.to_lowercase());
    let get = |k: &str| {
        n.props
            .get(&format!("{prefix}{k}"))
            .or_else(|| n.props.get(k))
            .cloned()
    };
    Some(Demands {
        listener: listener.into(),
        tls: protocol.ends_with("SSL"),
        sasl: protocol
            .starts_with("SASL")
            .then(|| get("sasl.enabled.mechanisms").unwrap_or_else(|| "GSSAPI".into())),
        client_cert: protocol.ends_with("SSL")
            && get("ssl.client.auth").is_some_and(|v| v == "required"),
        protocol,
    })
}

/// A credential the harness can present.
#[derive(Debug, Clone)]
pub enum Who {
    /// As the listener demands: a SCRAM user, a user's certificate.
    AsDemanded,
    /// A SCRAM user with a wrong password.
    WrongPassword,
    /// No credential at all (TLS still on where the listener has it).
    Anonymous,
    /// This user: its SCRAM password or its certificate.
    User(String),
    /// A SCRAM login the render does not declare: (user, password).
    Password(String, String),
}

/// The principals' names the brokers' `super.users` allow everything.
pub fn super_users(cluster: &Cluster) -> Vec<String> {
    let nodes = kafka_nodes(cluster);
    let Some(n) = nodes.iter().find(|n| n.broker) else {
        return Vec::new();
    };
    n.props
        .get("super.users")
        .map(|v| {
            v.split(';')
                .filter_map(|p| p.trim().strip_prefix("User:"))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Picks whom a client logs in as among `names`: the one `who` names, or
/// for `AsDemanded` a super user if any can log in (the harness's own topic
/// and round trips need one when ACLs decide), else the first.
fn pick(names: Vec<String>, who: &Who, supers: &[String]) -> Option<String> {
    match who {
        Who::User(u) => names.into_iter().find(|n| n == u),
        _ => {
            let first = names.first().cloned();
            names.into_iter().find(|n| supers.contains(n)).or(first)
        }
    }
}

/// The user `Who::AsDemanded` logs in as at `d`, when the listener tells users
/// apart (SCRAM before a certificate, as `props` sets them).
pub fn right_user(
    cluster: &Cluster,
    issued: &BTreeMap<String, Issued>,
    d: &Demands,
) -> Option<String> {
    let supers = super_users(cluster);
    if d.sasl.is_some() {
        let users = scram_users(&cluster.objects);
        return pick(
            users.into_iter().map(|(u, _)| u).collect(),
            &Who::AsDemanded,
            &supers,
        );
    }
    if d.client_cert {
        let names = issued
            .values()
            .filter(|i| i.client_only && i.file("tls-combined.pem").exists())
            .map(|i| i.common_name.clone())
            .collect();
        return pick(names, &Who::AsDemanded, &supers);
    }
    None
}

/// A declared topic `user` may both write and read by its ACLs; `None`
/// for a super user, who may everything.
pub fn topic_for(cluster: &Cluster, user: &str) -> Result<Option<String>, String> {
    if super_users(cluster).iter().any(|s| s == user) {
        return Ok(None);
    }
    let acls = declared_acls(&cluster.objects);
    let mine = acls.get(user).map(Vec::as_slice).unwrap_or_default();
    crate::checks::declared_topics(cluster)
        .into_iter()
        .map(|t| t.name)
        .find(|t| may(mine, "WRITE", t) && may(mine, "READ", t))
        .map(Some)
        .ok_or_else(|| format!("{user} may not both write and read any declared topic"))
}

/// The SCRAM users the users Job sets, with the passwords the harness gave
/// their Secrets: (name, password). Each password is a file named after
/// its user, projected from a Secret key.
pub fn scram_users(objects: &Objects) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for job in &objects.jobs {
        let Some(spec) = job.spec.as_ref().and_then(|s| s.template.spec.as_ref()) else {
            continue;
        };
        let mut files = BTreeMap::new();
        for v in spec.volumes.iter().flatten() {
            for source in v.projected.iter().flat_map(|p| p.sources.iter().flatten()) {
                let Some(secret) = &source.secret else {
                    continue;
                };
                for item in secret.items.iter().flatten() {
                    files.insert(item.path.clone(), test_password(&secret.name, &item.key));
                }
            }
        }
        if let Some(users) = crate::objects::job_env(job, job_input::USERS) {
            for name in job_input::users(&users) {
                if let Some(p) = files.get(&name) {
                    out.push((name, p.clone()));
                }
            }
        }
    }
    out
}

/// The client properties file for `d` as `who`; `None` with the reason
/// when the harness has no such credential.
pub fn props(
    cluster: &Cluster,
    issued: &BTreeMap<String, Issued>,
    d: &Demands,
    who: &Who,
    tag: &str,
) -> Result<(PathBuf, String), String> {
    // An anonymous client speaks the listener's protocol without SASL.
    let protocol = match who {
        Who::Anonymous => d.protocol.trim_start_matches("SASL_").to_string(),
        _ => d.protocol.clone(),
    };
    let mut lines = vec![format!("security.protocol={protocol}")];
    let mut said = vec![protocol.clone()];
    if !matches!(who, Who::AsDemanded) {
        // Refusals must not wait out the default timeouts.
        lines.push("request.timeout.ms=10000".into());
        lines.push("default.api.timeout.ms=20000".into());
    }
    if d.tls {
        let ca = ca_file(cluster).ok_or("no broker trusts a CA file the harness can read")?;
        lines.push("ssl.truststore.type=PEM".into());
        lines.push(format!("ssl.truststore.location={}", ca.display()));
        said.push("the brokers' CA, host names verified".into());
    }
    if d.sasl.is_some() && matches!(who, Who::Anonymous) {
        said.push("no SASL login".into());
    }
    let supers = super_users(cluster);
    if let Who::User(u) = who
        && !d.authenticated()
    {
        return Err(format!(
            "{} does not tell users apart, so not {u}",
            d.listener
        ));
    }
    if let Some(mech) = d.sasl.as_ref().filter(|_| !matches!(who, Who::Anonymous)) {
        let (u, p) = match who {
            Who::Password(u, p) => (u.clone(), p.clone()),
            _ => {
                let users = scram_users(&cluster.objects);
                let name = pick(users.iter().map(|(u, _)| u.clone()).collect(), who, &supers)
                    .ok_or("the render declares no such SCRAM user to connect as")?;
                let (u, p) = users.into_iter().find(|(u, _)| *u == name).expect("picked");
                match who {
                    Who::WrongPassword => (u, format!("{p}-wrong")),
                    _ => (u, p),
                }
            }
        };
        {
            lines.push(format!("sasl.mechanism={mech}"));
            lines.push(format!(
                "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"{u}\" password=\"{p}\";"
            ));
            said.push(format!(
                "{mech} as {u}{}",
                if matches!(who, Who::WrongPassword) {
                    " with a wrong password"
                } else {
                    ""
                }
            ));
        }
    }
    if d.client_cert {
        match who {
            Who::Anonymous => said.push("no client certificate".into()),
            _ => {
                let users: Vec<&Issued> = issued
                    .values()
                    .filter(|i| i.client_only && i.file("tls-combined.pem").exists())
                    .collect();
                let name = pick(
                    users.iter().map(|i| i.common_name.clone()).collect(),
                    who,
                    &supers,
                )
                .ok_or("the render has no such user certificate to connect with")?;
                let user = users
                    .into_iter()
                    .find(|i| i.common_name == name)
                    .expect("picked");
                lines.push("ssl.keystore.type=PEM".into());
                lines.push(format!(
                    "ssl.keystore.location={}",
                    user.file("tls-combined.pem").display()
                ));
                said.push(format!("the certificate of {}", user.common_name));
            }
        }
    }
    let path = cluster.work.join(format!("client-{tag}.properties"));
    std::fs::write(&path, lines.join("\n") + "\n").map_err(|e| e.to_string())?;
    Ok((path, said.join(", ")))
}

/// The CA the brokers trust, copied out of a broker pod.
fn ca_file(cluster: &Cluster) -> Option<PathBuf> {
    let nodes = kafka_nodes(cluster);
    let n = nodes.iter().find(|n| n.broker)?;
    let location = n.props.get("ssl.truststore.location")?;
    let text = cluster.read_in_pod(n.pod, 0, location)?;
    let path = cluster.work.join("client-ca.pem");
    std::fs::write(&path, text).ok()?;
    Some(path)
}

/// Logs `client` in as the session's cluster demands of a client on a
/// listener (`Who::AsDemanded`); the description on success.
pub fn login_as_demanded(s: &Session, client: &mut Client, d: &Demands) -> Result<String, String> {
    login(&s.cluster, &s.issued, client, d, &Who::AsDemanded)
}

/// Loads `who`'s properties into the client; the description on success.
pub fn login(
    cluster: &Cluster,
    issued: &BTreeMap<String, Issued>,
    client: &mut Client,
    d: &Demands,
    who: &Who,
) -> Result<String, String> {
    let (path, said) = props(cluster, issued, d, who, &client.name)?;
    client
        .call(&format!("props {}", path.display()))
        .map_err(|e| format!("{e:#}"))?;
    Ok(said)
}

/// The listener must refuse `who` at `bootstrap`; the client's own
/// properties (as `home` demands) are restored after, if it has any.
pub fn refused(
    s: &mut Session,
    client: &mut Client,
    d: &Demands,
    who: Who,
    bootstrap: &str,
    home: Option<&Demands>,
) {
    let (cluster, issued, report) = (&s.cluster, &s.issued, &mut s.report);
    let what = format!("{}: {} ", client.name, d.listener);
    // The refusal Kafka makes of this client: an exception naming it, or,
    // for a client that does not start a SASL handshake at all, the
    // broker closing the connection (the client only times out) and
    // logging why.
    let expected = match who {
        Who::WrongPassword | Who::Password(..) => Some("SaslAuthenticationException"),
        Who::Anonymous if d.sasl.is_some() => None,
        _ if d.client_cert => Some("SslAuthenticationException"),
        _ => Some("AuthenticationException"),
    };
    let logged_before = logged(cluster, NO_SASL_HANDSHAKE);
    match login(cluster, issued, client, d, &who) {
        Ok(said) => match client.call(&format!("cluster {bootstrap}")) {
            Ok(answer) => report.fail(format!(
                "{what}accepted a client with {said} at {bootstrap}: {answer}"
            )),
            Err(e) => {
                let e = short(&format!("{e:#}"));
                let refusals = logged(cluster, NO_SASL_HANDSHAKE) - logged_before;
                let (ok, because) = match expected {
                    Some(x) => (e.contains(x), format!("{e}; Kafka's refusal is {x}")),
                    None => (
                        refusals > 0,
                        format!(
                            "{e}; the brokers closed {refusals} connections for requests sent without a SASL handshake meanwhile"
                        ),
                    ),
                };
                report.check(
                    ok,
                    format!("{what}refuses a client with {said} ({because})"),
                );
            }
        },
        Err(e) => report.fail(format!("{what}cannot set up the client: {e}")),
    }
    if let Some(home) = home
        && let Err(e) = login(cluster, issued, client, home, &Who::AsDemanded)
    {
        report.fail(format!("{what}cannot restore the client: {e}"));
    }
}

/// What the brokers log when a client sends requests on a SASL listener
/// without a SASL handshake, before they close its connection (Kafka 3.9:
/// an authentication failure; 4.x: an invalid request).
const NO_SASL_HANDSHAKE: &str = "during SASL handshake";

/// How many times the brokers have logged `what` so far.
fn logged(cluster: &Cluster, what: &str) -> usize {
    kafka_nodes(cluster)
        .iter()
        .filter(|n| n.broker)
        .filter_map(|n| std::fs::read_to_string(&n.pod.containers[0].log).ok())
        .map(|log| log.matches(what).count())
        .sum()
}

/// One ACL line of the ACLs Job (`principal|host|OPERATION|PERMISSION|TYPE|name|PATTERN`).
#[derive(Debug, Clone)]
pub struct AclLine {
    pub operation: String,
    pub allow: bool,
    pub kind: String,
    pub name: String,
    pub prefixed: bool,
}

impl AclLine {
    fn covers(&self, kind: &str, name: &str) -> bool {
        self.kind == kind
            && (self.name == "*"
                || self.name == name
                || (self.prefixed && name.starts_with(&self.name)))
    }
}

/// The ACLs the ACLs Job declares, per user, from its environment.
pub fn declared_acls(objects: &Objects) -> BTreeMap<String, Vec<AclLine>> {
    let mut out: BTreeMap<String, Vec<AclLine>> = BTreeMap::new();
    for job in &objects.jobs {
        let Some(acls) = crate::objects::job_env(job, job_input::ACLS) else {
            continue;
        };
        for a in job_input::acls(&acls) {
            let Some(user) = a.principal.strip_prefix("User:") else {
                continue;
            };
            out.entry(user.to_string()).or_default().push(AclLine {
                allow: a.permission == "ALLOW",
                prefixed: a.pattern_type == "PREFIXED",
                operation: a.operation,
                kind: a.resource_type,
                name: a.name,
            });
        }
    }
    out
}

/// Whether `acls` let their user do `op` on a topic: an allow and no deny
/// (`ALL` covers every operation).
fn may(acls: &[AclLine], op: &str, topic: &str) -> bool {
    let matching = |allow: bool| {
        acls.iter().any(|a| {
            a.allow == allow
                && a.covers("TOPIC", topic)
                && (a.operation == op || a.operation == "ALL")
        })
    };
    matching(true) && !matching(false)
}

/// ACLs allow and deny as declared: each user the client can log in as at
/// `d` writes and reads the declared topics its ACLs name, is refused
/// what they deny, and is refused the harness's own topic when no ACL
/// covers it (written instead when the brokers run with
/// `allow.everyone.if.no.acl.found=true` and no ACL of anyone names it). Reads expect the `records` the inside round trip wrote with
/// tag `tag`. The client's own login (as `home`) is restored after.
#[allow(clippy::too_many_arguments)]
pub fn acl_checks(
    s: &mut Session,
    client: &mut Client,
    d: &Demands,
    bootstrap: &str,
    home: Option<&Demands>,
    own_topic: &str,
    tag: &str,
    records: u32,
) {
    let supers = super_users(&s.cluster);
    let declared: Vec<String> = crate::checks::declared_topics(&s.cluster)
        .into_iter()
        .map(|t| t.name)
        .collect();
    let every_acl = declared_acls(&s.cluster.objects);
    // With allow.everyone.if.no.acl.found=true (a step that turns
    // authorization on), a topic no ACL of anyone names is open to all.
    let open_everyone = crate::checks::kafka_nodes(&s.cluster)
        .iter()
        .filter(|n| n.broker)
        .any(|n| {
            n.props
                .get("allow.everyone.if.no.acl.found")
                .is_some_and(|v| v == "true")
        });
    let open = |topic: &str| {
        open_everyone
            && !every_acl
                .values()
                .flatten()
                .any(|a| a.covers("TOPIC", topic))
    };
    for (user, acls) in every_acl.clone() {
        if supers.contains(&user) {
            continue;
        }
        let (cluster, issued, report) = (&s.cluster, &s.issued, &mut s.report);
        let said = match login(cluster, issued, client, d, &Who::User(user.clone())) {
            Ok(said) => said,
            Err(why) => {
                report.skip(format!(
                    "{}: {}: the ACLs of {user}: cannot log in as them ({why})",
                    client.name, d.listener
                ));
                continue;
            }
        };
        let what = format!("{}: {} as {user} ({said})", client.name, d.listener);
        for topic in declared.iter().map(String::as_str).chain([own_topic]) {
            let by_acls = may(&acls, "WRITE", topic);
            let allowed_write = by_acls || open(topic);
            // Refused for the topic, not for something else. An idempotent
            // producer needs Write on some topic to start at all: a user
            // with none that may describe the topic is refused the cluster.
            let writes_somewhere = acls.iter().any(|a| {
                a.allow && a.kind == "TOPIC" && matches!(a.operation.as_str(), "WRITE" | "ALL")
            });
            let refusals: &[&str] = if writes_somewhere {
                &["TopicAuthorizationException"]
            } else {
                &[
                    "TopicAuthorizationException",
                    "ClusterAuthorizationException",
                ]
            };
            let denied_write = acls.iter().any(|a| {
                !a.allow
                    && a.covers("TOPIC", topic)
                    && matches!(a.operation.as_str(), "WRITE" | "ALL")
            });
            let named = acls.iter().any(|a| a.covers("TOPIC", topic));
            if allowed_write || denied_write || topic == own_topic {
                let r = client.call(&format!("produce {bootstrap} {topic} 10 acl-{user}"));
                match (allowed_write, r) {
                    (true, Ok(a)) => report.pass(format!(
                        "{what}: writes {topic}, as {} ({a})",
                        if by_acls {
                            "its ACLs allow"
                        } else {
                            "allow.everyone.if.no.acl.found allows for a topic no ACL names"
                        }
                    )),
                    (true, Err(e)) => report.fail(format!(
                        "{what}: cannot write {topic}, which {}: {}",
                        if by_acls {
                            "its ACLs allow"
                        } else {
                            "allow.everyone.if.no.acl.found allows"
                        },
                        short(&format!("{e:#}"))
                    )),
                    (false, Ok(a)) => report.fail(format!(
                        "{what}: wrote {topic}, which {}: {a}",
                        if named {
                            "its ACLs deny"
                        } else {
                            "no ACL allows"
                        }
                    )),
                    (false, Err(e)) => {
                        let e = short(&format!("{e:#}"));
                        report.check(
                            refusals.iter().any(|r| e.contains(r)),
                            format!(
                                "{what}: refused writing {topic}, which {} ({e})",
                                if named {
                                    "its ACLs deny"
                                } else {
                                    "no ACL allows"
                                }
                            ),
                        )
                    }
                }
            }
            if may(&acls, "READ", topic) && topic != own_topic {
                match client.call(&format!("consume {bootstrap} {topic} {tag} {records}")) {
                    Ok(a) => report.pass(format!("{what}: reads {topic}, as its ACLs allow ({a})")),
                    Err(e) => report.fail(format!(
                        "{what}: cannot read {topic}, which its ACLs allow: {}",
                        short(&format!("{e:#}"))
                    )),
                }
            }
        }
    }
    if let Some(home) = home
        && let Err(e) = login(&s.cluster, &s.issued, client, home, &Who::AsDemanded)
    {
        s.report
            .fail(format!("{}: cannot restore the client: {e}", client.name));
    }
}

/// The first sentence of a client's error, for a report line.
fn short(e: &str) -> String {
    let first = e.split(". ").next().unwrap_or(e);
    first.chars().take(160).collect()
}

/// A TLS listener must refuse a client that reaches a broker at an address
/// its certificate does not name (a pod IP, a load balancer's address).
pub fn host_name_checked(client: &mut Client, d: &Demands, address: &str, report: &mut Report) {
    let what = format!("{}: {} ", client.name, d.listener);
    match client.call(&format!("cluster {address}")) {
        Ok(answer) => report.fail(format!(
            "{what}completed a TLS handshake at {address}, an address its certificate does not name: {answer}"
        )),
        Err(e) => report.pass(format!(
            "{what}at {address}, which the certificate does not name, fails host name verification ({})",
            short(&format!("{e:#}"))
        )),
    }
}
