//! The pod network, as a CNI plugin and kube-proxy would make it on one
//! node: a network namespace per pod on a bridge, a node address that an
//! outside client reaches over its own link, and iptables DNAT for
//! ClusterIP, NodePort and load-balancer addresses to ready pods.

use anyhow::{Context, Result, bail};
use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::process::Command;

pub const BRIDGE: &str = "kgbr0";
pub const GATEWAY: Ipv4Addr = Ipv4Addr::new(10, 244, 0, 1);
pub const POD_CIDR: &str = "10.244.0.0/16";
/// The node's address: `status.hostIP` of every pod, where node ports answer.
pub const NODE_IP: Ipv4Addr = Ipv4Addr::new(192, 168, 49, 2);
const NODE_LINK: &str = "kgnode0";
pub const NETNS_PREFIX: &str = "kg-";
pub const OUTSIDE_NETNS: &str = "kg-outside";

pub fn run(cmd: &str, args: &[&str]) -> Result<String> {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .with_context(|| format!("cannot run {cmd}"))?;
    if !out.status.success() {
        bail!(
            "{cmd} {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn quiet(cmd: &str, args: &[&str]) {
    let _ = Command::new(cmd).args(args).output();
}

/// Removes everything a run made: namespaces, links, chains.
pub fn teardown() {
    if let Ok(list) = run("ip", &["netns", "list"]) {
        for line in list.lines() {
            let name = line.split_whitespace().next().unwrap_or("");
            if name.starts_with(NETNS_PREFIX) {
                // Processes left by an interrupted run go with their namespace.
                if let Ok(pids) = run("ip", &["netns", "pids", name]) {
                    for pid in pids.split_whitespace() {
                        quiet("kill", &["-KILL", pid]);
                    }
                }
                quiet("ip", &["netns", "del", name]);
            }
        }
    }
    if let Ok(links) = run("ip", &["-o", "link", "show"]) {
        for l in links.lines() {
            let name = l
                .split(':')
                .nth(1)
                .unwrap_or("")
                .trim()
                .split('@')
                .next()
                .unwrap_or("");
            if name.starts_with("kgv") || name.starts_with("kgp") || name.starts_with("kgout") {
                quiet("ip", &["link", "del", name]);
            }
        }
    }
    quiet("ip", &["link", "del", BRIDGE]);
    quiet("ip", &["link", "del", NODE_LINK]);
    for (table, hook, chain) in HOOKS {
        while Command::new("iptables")
            .args(["-w", "-t", table, "-D", hook, "-j", chain])
            .output()
            .is_ok_and(|o| o.status.success())
        {}
    }
    for table in ["nat", "filter"] {
        if let Ok(rules) = run("iptables", &["-w", "-t", table, "-S"]) {
            let chains: Vec<&str> = rules
                .lines()
                .filter_map(|l| l.strip_prefix("-N "))
                .filter(|c| c.starts_with("KG-"))
                .collect();
            for c in &chains {
                quiet("iptables", &["-w", "-t", table, "-F", c]);
            }
            for c in &chains {
                quiet("iptables", &["-w", "-t", table, "-X", c]);
            }
        }
    }
    let _ = std::fs::remove_dir_all("/etc/netns/kg-outside");
    if let Ok(dir) = std::fs::read_dir("/etc/netns") {
        for e in dir.flatten() {
            if e.file_name().to_string_lossy().starts_with(NETNS_PREFIX) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

const HOOKS: &[(&str, &str, &str)] = &[
    ("nat", "PREROUTING", "KG-SERVICES"),
    ("nat", "OUTPUT", "KG-SERVICES"),
    ("nat", "POSTROUTING", "KG-POSTROUTING"),
    ("filter", "FORWARD", "KG-FORWARD"),
    ("filter", "FORWARD", "KG-POLICY"),
];

/// The bridge, the node link, forwarding and the hooks of our chains.
pub fn setup_node(outside_client: Ipv4Addr) -> Result<()> {
    teardown();
    std::fs::write("/proc/sys/net/ipv4/ip_forward", "1").context("enable IP forwarding")?;
    run("ip", &["link", "add", BRIDGE, "type", "bridge"])?;
    run(
        "ip",
        &["addr", "add", &format!("{GATEWAY}/16"), "dev", BRIDGE],
    )?;
    run("ip", &["link", "set", BRIDGE, "up"])?;
    // The outside world: one link from the node to a client's namespace.
    run("ip", &["netns", "add", OUTSIDE_NETNS])?;
    // A resolver that answers at once, as the outside client's machine
    // has: a SASL client looks up the name of an address it connects to.
    crate::cluster::no_dns(OUTSIDE_NETNS)?;
    run(
        "ip",
        &[
            "link", "add", NODE_LINK, "type", "veth", "peer", "name", "kgout0",
        ],
    )?;
    run("ip", &["link", "set", "kgout0", "netns", OUTSIDE_NETNS])?;
    run(
        "ip",
        &["addr", "add", &format!("{NODE_IP}/32"), "dev", NODE_LINK],
    )?;
    run("ip", &["link", "set", NODE_LINK, "up"])?;
    run(
        "ip",
        &[
            "route",
            "add",
            &format!("{outside_client}/32"),
            "dev",
            NODE_LINK,
        ],
    )?;
    let ns = |args: &[&str]| -> Result<String> {
        let mut a = vec!["netns", "exec", OUTSIDE_NETNS];
        a.extend_from_slice(args);
        run("ip", &a)
    };
    ns(&["ip", "link", "set", "lo", "up"])?;
    ns(&["ip", "link", "set", "kgout0", "name", "eth0"])?;
    ns(&[
        "ip",
        "addr",
        "add",
        &format!("{outside_client}/32"),
        "dev",
        "eth0",
    ])?;
    ns(&["ip", "link", "set", "eth0", "up"])?;
    ns(&["ip", "route", "add", &NODE_IP.to_string(), "dev", "eth0"])?;
    ns(&[
        "ip",
        "route",
        "add",
        "default",
        "via",
        &NODE_IP.to_string(),
        "dev",
        "eth0",
    ])?;
    let mut rules = String::from(
        "*nat\n:KG-SERVICES - [0:0]\n:KG-POSTROUTING - [0:0]\nCOMMIT\n*filter\n:KG-FORWARD - [0:0]\n:KG-POLICY - [0:0]\nCOMMIT\n",
    );
    restore(&mut rules)?;
    for (table, hook, chain) in HOOKS {
        run("iptables", &["-w", "-t", table, "-I", hook, "-j", chain])?;
    }
    Ok(())
}

fn restore(rules: &mut String) -> Result<()> {
    restore_with("iptables-restore", &["-w", "--noflush"], rules)
}

/// NetworkPolicies on the node: what reaches a pod through a Service
/// (`policy::rules`), checked before the masquerade hides its source.
pub fn sync_policies(chains: &str, rules: &str) -> Result<()> {
    let mut all = format!(
        "*filter\n:KG-POLICY - [0:0]\n{chains}-A KG-POLICY -m conntrack ! --ctstate DNAT -j RETURN\n-A KG-POLICY -m conntrack ! --ctstate NEW -j RETURN\n{rules}COMMIT\n"
    );
    restore(&mut all)
}

/// A pod's own filter table, replaced whole (nothing else writes it).
pub fn restore_in_pod(netns: &str, table: &str) -> Result<()> {
    restore_with(
        "ip",
        &["netns", "exec", netns, "iptables-restore", "-w"],
        &mut table.to_string(),
    )
}

fn restore_with(cmd: &str, args: &[&str], rules: &mut String) -> Result<()> {
    use std::io::Write;
    let mut child = Command::new(cmd)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .context("cannot run iptables-restore (Debian package iptables)")?;
    child.stdin.take().unwrap().write_all(rules.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!(
            "iptables-restore failed: {}\n{rules}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// A pod's network namespace with its address on the bridge.
pub fn add_pod(netns: &str, index: usize, ip: Ipv4Addr) -> Result<()> {
    let host_if = format!("kgv{index}");
    run("ip", &["netns", "add", netns])?;
    run(
        "ip",
        &[
            "link", "add", &host_if, "type", "veth", "peer", "name", "kgp0",
        ],
    )?;
    run("ip", &["link", "set", &host_if, "master", BRIDGE])?;
    run("ip", &["link", "set", &host_if, "up"])?;
    run("ip", &["link", "set", "kgp0", "netns", netns])?;
    let ns = |args: &[&str]| -> Result<String> {
        let mut a = vec!["netns", "exec", netns];
        a.extend_from_slice(args);
        run("ip", &a)
    };
    ns(&["ip", "link", "set", "lo", "up"])?;
    ns(&["ip", "link", "set", "kgp0", "name", "eth0"])?;
    ns(&["ip", "addr", "add", &format!("{ip}/16"), "dev", "eth0"])?;
    ns(&["ip", "link", "set", "eth0", "up"])?;
    ns(&["ip", "route", "add", "default", "via", &GATEWAY.to_string()])?;
    Ok(())
}

/// The address of the pod with a given index on the bridge.
pub fn pod_ip(index: usize) -> Ipv4Addr {
    let n = 10 + index as u32;
    Ipv4Addr::new(10, 244, (n >> 8) as u8, (n & 0xff) as u8)
}

/// One Service port as kube-proxy programs it.
#[derive(Debug, Clone)]
pub struct ServiceRule {
    /// Where clients send: the ClusterIP, a load-balancer address, or the
    /// node address with the node port.
    pub frontends: Vec<(Ipv4Addr, u16)>,
    /// Ready endpoints: pod address and target port.
    pub endpoints: Vec<(Ipv4Addr, u16)>,
    /// The load-balancer address among `frontends`, if any.
    pub lb: Option<Ipv4Addr>,
    /// Load-balancer source ranges; empty means anyone. As kube-proxy
    /// does, they filter what comes to `lb` only: the ClusterIP and the
    /// node port take anyone.
    pub source_ranges: Vec<String>,
}

/// Rewrites every Service chain at once, as kube-proxy's sync does.
pub fn sync_services(rules: &[ServiceRule]) -> Result<()> {
    restore(&mut service_tables(rules))
}

/// The nat and filter tables of `rules`, for iptables-restore.
fn service_tables(rules: &[ServiceRule]) -> String {
    let mut nat_chains = String::from(":KG-SERVICES - [0:0]\n:KG-POSTROUTING - [0:0]\n");
    let mut filter_chains = String::from(":KG-FORWARD - [0:0]\n");
    let mut nat = String::new();
    let mut filter = String::new();
    // Pods reaching a Service that leads back into the pod network are
    // masqueraded, so that replies return through the node and are un-NATed.
    let _ = writeln!(
        nat,
        "-A KG-POSTROUTING -s {POD_CIDR} -d {POD_CIDR} -m conntrack --ctstate DNAT -j MASQUERADE"
    );
    // The outside reaches pods only through DNAT (node ports, load balancers).
    let _ = writeln!(
        filter,
        "-A KG-FORWARD -i {NODE_LINK} -o {BRIDGE} -m conntrack ! --ctstate DNAT -j DROP"
    );
    for (i, r) in rules.iter().enumerate() {
        let chain = format!("KG-SVC-{i}");
        let _ = writeln!(nat_chains, ":{chain} - [0:0]");
        let n = r.endpoints.len();
        for (k, (ip, port)) in r.endpoints.iter().enumerate() {
            let pick = if k + 1 < n {
                format!(
                    "-m statistic --mode random --probability {:.5} ",
                    1.0 / (n - k) as f64
                )
            } else {
                String::new()
            };
            let _ = writeln!(
                nat,
                "-A {chain} -p tcp {pick}-j DNAT --to-destination {ip}:{port}"
            );
        }
        if !r.source_ranges.is_empty() {
            let fw = format!("KG-FW-{i}");
            let _ = writeln!(filter_chains, ":{fw} - [0:0]");
            for range in &r.source_ranges {
                let _ = writeln!(filter, "-A {fw} -s {range} -j RETURN");
            }
            let _ = writeln!(filter, "-A {fw} -j DROP");
        }
        for (ip, port) in &r.frontends {
            let _ = writeln!(
                nat,
                "-A KG-SERVICES -d {ip}/32 -p tcp --dport {port} -j {chain}"
            );
            if n == 0 {
                // kube-proxy rejects connections to a Service without endpoints.
                let _ = writeln!(
                    filter,
                    "-A KG-FORWARD -d {ip}/32 -p tcp --dport {port} -j REJECT --reject-with tcp-reset"
                );
            }
            if !r.source_ranges.is_empty() && r.lb == Some(*ip) {
                let _ = writeln!(
                    filter,
                    "-A KG-FORWARD -p tcp -m conntrack --ctstate DNAT --ctdir ORIGINAL --ctorigdst {ip} --ctorigdstport {port} -j KG-FW-{i}"
                );
            }
        }
    }
    format!("*nat\n{nat_chains}{nat}COMMIT\n*filter\n{filter_chains}{filter}COMMIT\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_ranges_filter_only_what_comes_to_the_load_balancer() {
        let lb = Ipv4Addr::new(172, 18, 0, 10);
        let cluster_ip = Ipv4Addr::new(10, 96, 0, 10);
        let tables = service_tables(&[ServiceRule {
            frontends: vec![(cluster_ip, 9094), (NODE_IP, 30094), (lb, 9094)],
            endpoints: vec![(pod_ip(0), 9094)],
            lb: Some(lb),
            source_ranges: vec!["192.0.2.0/24".into()],
        }]);
        let jumps: Vec<&str> = tables
            .lines()
            .filter(|l| l.ends_with("-j KG-FW-0"))
            .collect();
        assert_eq!(
            jumps,
            [format!(
                "-A KG-FORWARD -p tcp -m conntrack --ctstate DNAT --ctdir ORIGINAL --ctorigdst {lb} --ctorigdstport 9094 -j KG-FW-0"
            )],
            "{tables}"
        );
        assert!(tables.contains("-A KG-FW-0 -s 192.0.2.0/24 -j RETURN\n-A KG-FW-0 -j DROP\n"));
    }
}
