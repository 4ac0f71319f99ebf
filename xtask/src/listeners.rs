//! What clients of the listeners meet: the names outside clients resolve,
//! the outside round trip, and what the listeners inside and outside the
//! cluster must refuse.

use crate::checks::{self, kafka_nodes};
use crate::client::{Client, field};
use crate::network;
use crate::session::{RECORDS, Session, TOPIC};
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// What the listeners inside the cluster must refuse: a TLS handshake at
/// an address the certificate does not name, and a client without the
/// certificate REPLICATION demands.
pub fn inside_refusals(
    s: &mut Session,
    inside: &mut Client,
    home: &crate::security::Demands,
    bootstrap: &str,
) {
    use crate::security::{self, Who};
    if home.tls {
        let port = bootstrap.rsplit(':').next().unwrap_or("9092");
        let nodes = kafka_nodes(&s.cluster);
        if let Some(n) = nodes.iter().find(|n| n.broker) {
            let address = format!("{}:{port}", n.pod.ip);
            security::host_name_checked(inside, home, &address, &mut s.report);
        }
    }
    if home.client_cert {
        security::refused(s, inside, home, Who::Anonymous, bootstrap, Some(home));
    }
    let Some(replication) = security::demands(&s.cluster, "REPLICATION") else {
        return;
    };
    let nodes = kafka_nodes(&s.cluster);
    let Some((broker, address, port)) = nodes.iter().find(|n| n.broker).and_then(|n| {
        checks::listeners(n.props.get("advertised.listeners")?)
            .into_iter()
            .find(|(name, ..)| name == "REPLICATION")
            .map(|(_, host, port)| (n.pod, format!("{host}:{port}"), port))
    }) else {
        s.report.fail("REPLICATION: no broker advertises it");
        return;
    };
    if !replication.authenticated() {
        return;
    }
    let (ip, netns) = (broker.ip, broker.netns.clone());
    if s.cluster.admitted(&inside.netns, ip, port) != Some(false) {
        security::refused(
            s,
            inside,
            &replication,
            Who::Anonymous,
            &address,
            Some(home),
        );
        return;
    }
    // The NetworkPolicies keep this client out; Kafka's own refusal is
    // tried from a broker's network namespace, which they let in.
    s.report.check(
        !crate::reach::connects(&inside.netns, ip, port),
        format!(
            "{}: REPLICATION: the NetworkPolicies keep the client out ({ip}:{port})",
            inside.name
        ),
    );
    match s.client("in-a-broker", &netns) {
        Ok(mut c) => security::refused(s, &mut c, &replication, Who::Anonymous, &address, None),
        Err(e) => s.report.fail(format!(
            "REPLICATION: no client in a broker's network namespace: {e:#}"
        )),
    }
}

/// What the external listener must refuse: a wrong password, a client
/// with no credential, a TLS handshake at the bootstrap's bare address.
fn outside_refusals(
    s: &mut Session,
    client: &mut Client,
    d: &crate::security::Demands,
    bootstrap: &str,
    frontend: std::net::SocketAddrV4,
    logged_in: bool,
) {
    use crate::security::{self, Who};
    // Back to the client's own login afterwards, when it has one.
    let home = logged_in.then_some(d);
    if d.sasl.is_some() && !security::scram_users(&s.cluster.objects).is_empty() {
        security::refused(s, client, d, Who::WrongPassword, bootstrap, home);
    }
    if d.authenticated() {
        security::refused(s, client, d, Who::Anonymous, bootstrap, home);
    }
    // The bare address, unless the certificate names it (IP hosts).
    let named = bootstrap
        .split(',')
        .any(|a| a.starts_with(&format!("{}:", frontend.ip())));
    if d.tls && !named {
        security::host_name_checked(client, d, &frontend.to_string(), &mut s.report);
    }
}

/// Where outside clients bootstrap: the bootstrap Service's frontend, or
/// with TLS the brokers' advertised addresses (names the certificate
/// holds).
fn external_bootstrap(
    cluster: &crate::cluster::Cluster,
    external: Option<&crate::security::Demands>,
    frontend: String,
) -> String {
    match external {
        Some(d) if d.tls => checks::advertised_external(cluster)
            .values()
            .map(|(h, p, _)| format!("{h}:{p}"))
            .collect::<Vec<_>>()
            .join(","),
        _ => frontend,
    }
}

/// A listener that takes SCRAM logins, for proofs of who may log in: the
/// internal one (from the inside client) or the external one (from a new
/// client outside, once `outside` has made its names resolve), with its
/// bootstrap; `None` when no listener takes them.
pub fn scram_listener(
    s: &mut Session,
    inside_bootstrap: &str,
) -> Result<Option<(crate::security::Demands, String, Option<Client>)>> {
    let scram = |d: &crate::security::Demands| {
        d.sasl.as_deref() == Some(kafkagen::broker_properties::SCRAM)
    };
    if let Some(d) = crate::security::demands(&s.cluster, "INTERNAL").filter(scram) {
        return Ok(Some((d, inside_bootstrap.to_string(), None)));
    }
    let Some(d) = crate::security::demands(&s.cluster, "EXTERNAL").filter(scram) else {
        return Ok(None);
    };
    let (bootstrap, _) = checks::external_services(&s.cluster);
    let Some((ip, port)) = bootstrap.and_then(checks::frontend) else {
        return Ok(None);
    };
    let ext = external_bootstrap(&s.cluster, Some(&d), format!("{ip}:{port}"));
    let client = s.client("outside-scram", network::OUTSIDE_NETNS)?;
    Ok(Some((d, ext, Some(client))))
}

/// Names outside clients resolve, and the outside checks.
pub fn outside(s: &mut Session) -> Result<()> {
    let (bootstrap, per) = checks::external_services(&s.cluster);
    let Some(boot) = bootstrap.cloned() else {
        return Ok(());
    };
    let per = per.len();
    let advertised = checks::advertised_external(&s.cluster);
    for (host, _, ip) in advertised.values() {
        if host.parse::<Ipv4Addr>().is_err() {
            s.cluster.external_names.insert(host.clone(), *ip);
        }
    }
    s.cluster.sync()?;
    let (ip, port) = checks::frontend(&boot).context("bootstrap frontend")?;
    let ext = format!("{ip}:{port}");
    let brokers = kafka_nodes(&s.cluster).iter().filter(|n| n.broker).count();
    s.report.check(
        per == brokers && advertised.len() == brokers,
        format!(
            "outside: {} of {brokers} brokers have their own {} Service and advertise its port",
            advertised.len(),
            boot.service_type()
        ),
    );
    let mut client = s.client("outside", network::OUTSIDE_NETNS)?;
    let external = crate::security::demands(&s.cluster, "EXTERNAL");
    let ext = external_bootstrap(&s.cluster, external.as_ref(), ext);
    let mut logged_in = true;
    if let Some(d) = external.as_ref().filter(|d| d.tls || d.authenticated()) {
        match crate::security::login_as_demanded(s, &mut client, d) {
            Ok(said) => println!("note: outside: EXTERNAL clients log in with {said}"),
            Err(e) => {
                s.report
                    .skip(format!("outside: EXTERNAL: no round trip: {e}"));
                logged_in = false;
            }
        }
    }
    if let Some(d) = &external {
        outside_refusals(
            s,
            &mut client,
            d,
            &ext,
            std::net::SocketAddrV4::new(ip, port),
            logged_in,
        );
    }
    if !logged_in {
        return Ok(());
    }
    match client.call(&format!("cluster {ext}")) {
        Ok(c) => {
            let seen: BTreeMap<u32, String> = field(&c, "brokers")
                .unwrap_or("")
                .split(',')
                .filter_map(|b| {
                    let (id, addr) = b.split_once('@')?;
                    Some((id.parse().ok()?, addr.to_string()))
                })
                .collect();
            let want: BTreeMap<u32, String> = advertised
                .iter()
                .map(|(id, (h, p, _))| (*id, format!("{h}:{p}")))
                .collect();
            s.report.check(
                seen == want,
                format!("outside: the brokers the client is sent to are their advertised external addresses ({})", want.values().cloned().collect::<Vec<_>>().join(", ")),
            );
        }
        Err(e) => {
            // Records could not go through brokers the client cannot
            // describe: the round trip would only wait for its timeouts.
            s.report
                .fail(format!("outside: describe cluster via {ext}: {e:#}"));
            return Ok(());
        }
    }
    // Under an authorizer, a listener without logins serves User:ANONYMOUS,
    // whom no ACL of the render names: it must refuse the round trip.
    let anonymous = external.as_ref().is_some_and(|d| !d.authenticated())
        && kafka_nodes(&s.cluster)
            .iter()
            .any(|n| n.props.contains_key("authorizer.class.name"));
    if anonymous {
        match client.call(&format!("produce {ext} {TOPIC} 10 anonymous")) {
            Ok(a) => s.report.fail(format!(
                "outside: an anonymous client wrote {TOPIC} under the authorizer: {a}"
            )),
            Err(e) => s.report.check(
                format!("{e:#}").contains("AuthorizationException"),
                format!(
                    "outside: the authorizer refuses the anonymous clients of EXTERNAL ({e:#})"
                ),
            ),
        }
        return Ok(());
    }
    // Under an authorizer, a declared user writes and reads where its
    // ACLs allow, not the harness's own topic.
    let authorizer = kafka_nodes(&s.cluster)
        .iter()
        .any(|n| n.props.contains_key("authorizer.class.name"));
    let user = external
        .as_ref()
        .and_then(|d| crate::security::right_user(&s.cluster, &s.issued, d));
    let topic = match user.as_deref().filter(|_| authorizer) {
        None => TOPIC.to_string(),
        Some(u) => match crate::security::topic_for(&s.cluster, u) {
            Ok(t) => t.unwrap_or_else(|| TOPIC.to_string()),
            Err(why) => {
                s.report
                    .skip(format!("outside: EXTERNAL: no round trip: {why}"));
                return Ok(());
            }
        },
    };
    checks::round_trip(
        &mut client,
        &ext,
        &topic,
        "outside",
        RECORDS,
        "outside",
        &mut s.report,
    );
    if let Some(d) = &external {
        crate::security::acl_checks(s, &mut client, d, &ext, Some(d), TOPIC, "inside", RECORDS);
    }
    Ok(())
}
