//! One booted cluster: the objects, the images, the pods the kubelet runs,
//! the Services' addresses and endpoints, and the names every pod resolves.

use crate::images::Image;
use crate::kubelet::{self, PodStatus};
use crate::network::{self, NODE_IP, ServiceRule};
use crate::objects::{Labels, Objects, PodDef, service_selects};
use crate::pods::{ContainerRun, Kubelet, Launch, Phase, Pod};
use crate::policy;
use anyhow::{Context, Result, bail};
use k8s_openapi::api::core::v1::{Container, Service, ServicePort, Volume};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::net::Ipv4Addr;
use std::os::unix::fs::{PermissionsExt, chown};
use std::path::{Path, PathBuf};

pub const NODE_NAME: &str = "kafkagen-live";

/// A Service as the cluster runs it.
#[derive(Debug, Clone)]
pub struct ServiceInfo {
    pub name: String,
    pub spec: Service,
    pub cluster_ip: Option<Ipv4Addr>,
    pub lb_ip: Option<Ipv4Addr>,
}

impl ServiceInfo {
    pub fn selector(&self) -> Labels {
        self.spec
            .spec
            .as_ref()
            .and_then(|s| s.selector.clone())
            .unwrap_or_default()
    }

    pub fn ports(&self) -> Vec<ServicePort> {
        self.spec
            .spec
            .as_ref()
            .and_then(|s| s.ports.clone())
            .unwrap_or_default()
    }

    pub fn service_type(&self) -> String {
        self.spec
            .spec
            .as_ref()
            .and_then(|s| s.type_.clone())
            .unwrap_or_else(|| "ClusterIP".into())
    }

    pub fn headless(&self) -> bool {
        self.cluster_ip.is_none()
    }

    fn publishes_not_ready(&self) -> bool {
        self.spec
            .spec
            .as_ref()
            .and_then(|s| s.publish_not_ready_addresses)
            .unwrap_or(false)
    }

    fn source_ranges(&self) -> Vec<String> {
        self.spec
            .spec
            .as_ref()
            .and_then(|s| s.load_balancer_source_ranges.clone())
            .unwrap_or_default()
    }
}

pub struct Cluster {
    pub objects: Objects,
    pub images: BTreeMap<String, Image>,
    pub kubelet: Kubelet,
    pub services: Vec<ServiceInfo>,
    pub domain: String,
    pub work: PathBuf,
    pub heap_mib: Option<u32>,
    /// Host names outside clients resolve (the DNS records a user makes
    /// for load-balanced brokers), name -> address.
    pub external_names: BTreeMap<String, Ipv4Addr>,
    next_index: usize,
    last_rules: String,
    last_hosts: BTreeMap<String, String>,
    /// Pods of the harness's own, which get the cluster's names and meet
    /// its NetworkPolicies: the inside client, Prometheus, clients in
    /// other namespaces. (host name, pod)
    pub guests: Vec<(String, policy::Endpoint)>,
    pub(crate) last_policies: BTreeMap<String, String>,
    /// Why the NetworkPolicies are not enforced, when the harness cannot
    /// translate one.
    pub policies_not_enforced: Option<String>,
}

fn port_of(container_ports: &[(String, i32)], target: &IntOrString) -> Option<u16> {
    match target {
        IntOrString::Int(n) => u16::try_from(*n).ok(),
        IntOrString::String(name) => container_ports
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, p)| u16::try_from(*p).ok()),
    }
}

/// The group that owns a pod's volumes, and whether the kubelet may skip
/// a volume whose top directory already has it (`fsGroupChangePolicy:
/// OnRootMismatch`; the default, `Always`, walks every file on every mount).
fn fs_group(def: &PodDef) -> Option<(u32, bool)> {
    let sc = def.spec.security_context.as_ref()?;
    let on_root_mismatch = sc.fs_group_change_policy.as_deref() == Some("OnRootMismatch");
    sc.fs_group.map(|g| (g as u32, on_root_mismatch))
}

/// One ConfigMap or Secret a volume is filled from: kind, name, items,
/// file mode, optional.
type Source = (
    &'static str,
    String,
    Option<Vec<k8s_openapi::api::core::v1::KeyToPath>>,
    Option<i32>,
    Option<bool>,
);

impl Cluster {
    pub fn new(
        objects: Objects,
        images: BTreeMap<String, Image>,
        domain: String,
        work: PathBuf,
        heap_mib: Option<u32>,
        runtime: PathBuf,
    ) -> Self {
        let services = services_of(&objects, &[]);
        Cluster {
            objects,
            images,
            kubelet: Kubelet::new(runtime),
            services,
            domain,
            work,
            heap_mib,
            external_names: BTreeMap::new(),
            next_index: 0,
            last_rules: String::new(),
            last_hosts: BTreeMap::new(),
            guests: Vec::new(),
            last_policies: BTreeMap::new(),
            policies_not_enforced: None,
        }
    }

    pub fn namespace(&self) -> &str {
        &self.objects.namespace
    }

    /// A pod's DNS name under its headless Service (its `subdomain`).
    pub fn pod_dns(&self, def: &crate::objects::PodDef) -> String {
        format!(
            "{}.{}.{}.svc.{}",
            def.hostname,
            def.subdomain.clone().unwrap_or_default(),
            self.namespace(),
            self.domain
        )
    }

    /// `name`, `name.ns`, `name.ns.svc`, `name.ns.svc.domain`.
    fn forms(&self, name: &str) -> Vec<String> {
        let ns = self.namespace();
        vec![
            name.to_string(),
            format!("{name}.{ns}"),
            format!("{name}.{ns}.svc"),
            format!("{name}.{ns}.svc.{}", self.domain),
        ]
    }

    /// A new pod's network namespace, address and index.
    pub fn allocate(&mut self) -> Result<(usize, Ipv4Addr, String)> {
        let index = self.next_index;
        self.next_index += 1;
        let ip = network::pod_ip(index);
        let netns = format!("{}{index}", network::NETNS_PREFIX);
        network::add_pod(&netns, index, ip)?;
        no_dns(&netns)?;
        Ok((index, ip, netns))
    }

    /// Creates a pod as its controller would, and hands it to the kubelet.
    pub fn create_pod(&mut self, def: PodDef) -> Result<()> {
        let (index, ip, netns) = self.allocate()?;
        let dir = self.work.join("pods").join(&def.name);
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("logs"))?;
        let status = PodStatus {
            pod: &def,
            namespace: &self.objects.namespace,
            uid: format!("{:08x}-live-{index}", index),
            pod_ip: ip.to_string(),
            host_ip: NODE_IP.to_string(),
            node_name: NODE_NAME,
        };
        let cluster_ips: BTreeMap<String, String> = self
            .services
            .iter()
            .filter_map(|s| Some((s.name.clone(), s.cluster_ip?.to_string())))
            .collect();
        let links = def.spec.enable_service_links.unwrap_or(true);
        let service_env = kubelet::service_env(&self.objects, &cluster_ips, links);
        let volumes = self.volumes(&def, &dir)?;
        let mut launches = Vec::new();
        for (init, c) in def
            .spec
            .init_containers
            .iter()
            .flatten()
            .map(|c| (true, c))
            .chain(def.spec.containers.iter().map(|c| (false, c)))
        {
            launches.push(self.launch(&def, &status, c, init, &service_env, &volumes)?);
        }
        let restart_policy = def
            .spec
            .restart_policy
            .clone()
            .unwrap_or_else(|| "Always".into());
        let (init, containers): (Vec<_>, Vec<_>) = launches.into_iter().partition(|l| l.init);
        let mk = |l: Launch| {
            let log = dir.join("logs").join(format!("{}.log", l.container.name));
            ContainerRun::new(l, log)
        };
        let pod = Pod {
            ip,
            netns,
            dir: dir.clone(),
            restart_policy,
            init: init.into_iter().map(mk).collect(),
            containers: containers.into_iter().map(mk).collect(),
            phase: Phase::Pending,
            deleted: false,
            def,
        };
        let _ = index;
        self.kubelet.add(pod);
        self.sync()?;
        Ok(())
    }

    /// What the kubelet does when a Secret or ConfigMap (`kind`) changes:
    /// the volumes of the running pods that mount it get its new files (a
    /// `subPath` mount of a file keeps the old one, as with the kubelet).
    /// Returns those pods.
    pub fn refresh(&mut self, kind: &str, source: &str) -> Result<Vec<String>> {
        let pods: Vec<(PodDef, PathBuf)> = self
            .live_pods()
            .map(|p| (p.def.clone(), p.dir.clone()))
            .collect();
        let mut out = Vec::new();
        for (def, dir) in pods {
            for v in def.spec.volumes.iter().flatten() {
                let direct = match kind {
                    "Secret" => v
                        .secret
                        .as_ref()
                        .is_some_and(|s| s.secret_name.as_deref() == Some(source)),
                    _ => v.config_map.as_ref().is_some_and(|c| c.name == source),
                };
                let projected = v.projected.as_ref().is_some_and(|p| {
                    p.sources.iter().flatten().any(|s| match kind {
                        "Secret" => s.secret.as_ref().is_some_and(|s| s.name == source),
                        _ => s.config_map.as_ref().is_some_and(|c| c.name == source),
                    })
                });
                if direct || projected {
                    self.volume(&def, &dir, v, fs_group(&def))?;
                    out.push(def.name.clone());
                }
            }
        }
        Ok(out)
    }

    /// Volume name -> (host directory, read-only).
    fn volumes(&self, def: &PodDef, dir: &Path) -> Result<BTreeMap<String, (PathBuf, bool)>> {
        let fs_group = fs_group(def);
        let mut out = BTreeMap::new();
        for v in def.spec.volumes.iter().flatten() {
            let (path, ro) = self.volume(def, dir, v, fs_group)?;
            out.insert(v.name.clone(), (path, ro));
        }
        // Claims from volumeClaimTemplates, mounted under the template's name.
        for name in def.claims.keys() {
            if !out.contains_key(name) {
                let v = Volume {
                    name: name.clone(),
                    ..Default::default()
                };
                out.insert(name.clone(), self.volume(def, dir, &v, fs_group)?);
            }
        }
        Ok(out)
    }

    fn volume(
        &self,
        def: &PodDef,
        dir: &Path,
        v: &Volume,
        fs_group: Option<(u32, bool)>,
    ) -> Result<(PathBuf, bool)> {
        if v.empty_dir.is_some() {
            let p = dir.join("volumes").join(&v.name);
            fs::create_dir_all(&p)?;
            fs::set_permissions(&p, fs::Permissions::from_mode(0o777))?;
            own_by_group(&p, fs_group)?;
            return Ok((p, false));
        }
        if let Some(claim) = def.claims.get(&v.name) {
            // A claim outlives its pod: one directory per claim for the run,
            // like a fresh ext4 volume (root-owned, with lost+found).
            let p = self.work.join("claims").join(claim);
            if !p.exists() {
                fs::create_dir_all(p.join("lost+found"))?;
                fs::set_permissions(p.join("lost+found"), fs::Permissions::from_mode(0o700))?;
                fs::set_permissions(&p, fs::Permissions::from_mode(0o755))?;
            }
            own_by_group(&p, fs_group)?;
            return Ok((p, false));
        }
        // ConfigMap and Secret volumes are one source; a projected volume
        // writes each of its sources into one directory.
        let sources: Vec<Source> = if let Some(c) = &v.config_map {
            vec![(
                "ConfigMap",
                c.name.clone(),
                c.items.clone(),
                c.default_mode,
                c.optional,
            )]
        } else if let Some(s) = &v.secret {
            vec![(
                "Secret",
                s.secret_name.clone().unwrap_or_default(),
                s.items.clone(),
                s.default_mode,
                s.optional,
            )]
        } else if let Some(p) = &v.projected {
            let mut out: Vec<Source> = Vec::new();
            for source in p.sources.iter().flatten() {
                if let Some(c) = &source.config_map {
                    out.push((
                        "ConfigMap",
                        c.name.clone(),
                        c.items.clone(),
                        p.default_mode,
                        c.optional,
                    ));
                } else if let Some(s) = &source.secret {
                    out.push((
                        "Secret",
                        s.name.clone(),
                        s.items.clone(),
                        p.default_mode,
                        s.optional,
                    ));
                } else {
                    bail!(
                        "pod {}: projected volume `{}` has a source the harness does not provide",
                        def.name,
                        v.name
                    );
                }
            }
            out
        } else {
            bail!(
                "pod {}: volume `{}` is of a type the harness does not provide",
                def.name,
                v.name
            );
        };
        let p = dir.join("volumes").join(&v.name);
        fs::create_dir_all(&p)?;
        for (kind, name, items, mode, optional) in sources {
            match kubelet::data_keys(&self.objects, kind, &name) {
                Some(data) => {
                    let chosen: Vec<(String, String)> = match items {
                        Some(items) => items
                            .iter()
                            .map(|i| (i.key.clone(), i.path.clone()))
                            .collect(),
                        None => data.keys().map(|k| (k.clone(), k.clone())).collect(),
                    };
                    for (key, path) in chosen {
                        let bytes = data
                            .get(&key)
                            .with_context(|| format!("{kind} {name} has no key {key}"))?;
                        let f = p.join(&path);
                        fs::create_dir_all(f.parent().unwrap())?;
                        // Written whole, then renamed into place: a process
                        // reading the file sees the old or the new one, as
                        // the kubelet's swap of its `..data` link shows it.
                        let tmp = f.with_file_name(format!(
                            ".{}.tmp",
                            f.file_name().unwrap_or_default().to_string_lossy()
                        ));
                        fs::write(&tmp, bytes)?;
                        fs::set_permissions(
                            &tmp,
                            fs::Permissions::from_mode(mode.unwrap_or(0o644) as u32),
                        )?;
                        if let Some((g, _)) = fs_group {
                            chown(&tmp, Some(0), Some(g))?;
                        }
                        fs::rename(&tmp, &f)?;
                    }
                }
                None if optional == Some(true) => {}
                None => bail!(
                    "pod {}: {kind} `{name}` of volume `{}` does not exist (the pod would not start)",
                    def.name,
                    v.name
                ),
            }
        }
        Ok((p, true))
    }

    fn launch(
        &self,
        def: &PodDef,
        status: &PodStatus,
        c: &Container,
        init: bool,
        service_env: &BTreeMap<String, String>,
        volumes: &BTreeMap<String, (PathBuf, bool)>,
    ) -> Result<Launch> {
        let image = self
            .images
            .get(&c.image.clone().unwrap_or_default())
            .with_context(|| format!("container {} has no image the harness prepared", c.name))?;
        let built = kubelet::environment(&self.objects, status, c, service_env)
            .with_context(|| format!("pod {} container {}", def.name, c.name))?;
        let mut env = image.env.clone();
        env.insert("HOSTNAME".into(), def.hostname.clone());
        env.extend(built);
        if let (Some(mib), Some(_)) = (self.heap_mib, env.get("KAFKA_HEAP_OPTS")) {
            env.insert("KAFKA_HEAP_OPTS".into(), format!("-Xms{mib}m -Xmx{mib}m"));
        }
        let argv = kubelet::argv(c, &env, &[], &image.cmd);
        let pod_sc = def.spec.security_context.clone().unwrap_or_default();
        let sc = c.security_context.clone().unwrap_or_default();
        let uid = sc.run_as_user.or(pod_sc.run_as_user).unwrap_or(1000);
        let gid = sc.run_as_group.or(pod_sc.run_as_group).unwrap_or(1000);
        if sc.run_as_non_root.or(pod_sc.run_as_non_root) == Some(true) && uid == 0 {
            bail!(
                "pod {} container {}: runAsNonRoot with user 0 (the kubelet refuses to start it)",
                def.name,
                c.name
            );
        }
        let mut groups = vec![gid];
        groups.extend(pod_sc.fs_group);
        groups.extend(pod_sc.supplemental_groups.iter().flatten());
        let home = if uid == 0 { "/root" } else { "/home/appuser" };
        env.entry("HOME".into()).or_insert_with(|| home.into());
        let mut mounts = Vec::new();
        for m in c.volume_mounts.iter().flatten() {
            let (src, vol_ro) = volumes.get(&m.name).with_context(|| {
                format!(
                    "container {} mounts `{}`, which is not a volume of the pod",
                    c.name, m.name
                )
            })?;
            let src = match &m.sub_path {
                Some(sp) if !sp.is_empty() => {
                    let p = src.join(sp);
                    if !p.exists() {
                        fs::create_dir_all(&p)?;
                    }
                    p
                }
                _ => src.clone(),
            };
            mounts.push((
                src,
                m.mount_path.clone(),
                *vol_ro || m.read_only == Some(true),
            ));
        }
        let caps = sc.capabilities.clone().unwrap_or_default();
        Ok(Launch {
            container: c.clone(),
            init,
            env,
            argv,
            hostname: def.hostname.clone(),
            uid,
            gid,
            groups,
            read_only_root: sc.read_only_root_filesystem == Some(true),
            no_new_privs: sc.allow_privilege_escalation == Some(false),
            drop_all_caps: caps.drop.iter().flatten().any(|d| d == "ALL"),
            workdir: c
                .working_dir
                .clone()
                .unwrap_or_else(|| image.workdir.clone()),
            image_dir: image.dir.clone(),
            image_mounts: image.binds.clone(),
            mounts,
        })
    }

    /// Live pods (not deleted) with their labels and addresses.
    pub fn live_pods(&self) -> impl Iterator<Item = &Pod> {
        self.kubelet.pods.iter().filter(|p| !p.deleted)
    }

    /// The pods a Service selects, with whether each is ready.
    pub fn selected(&self, s: &ServiceInfo) -> Vec<(&Pod, bool)> {
        let sel = s.selector();
        self.live_pods()
            .filter(|p| service_selects(&sel, &p.def.labels) && p.phase == Phase::Running)
            .map(|p| (p, self.kubelet.ready(&p.def.name)))
            .collect()
    }

    pub(crate) fn container_ports(p: &Pod) -> Vec<(String, i32)> {
        p.def
            .spec
            .containers
            .iter()
            .flat_map(|c| c.ports.iter().flatten())
            .filter_map(|p| Some((p.name.clone()?, p.container_port)))
            .collect()
    }

    /// kube-proxy's rules and every pod's hosts file, rewritten when they change.
    pub fn sync(&mut self) -> Result<()> {
        let mut rules = Vec::new();
        for s in &self.services {
            if s.headless() {
                continue;
            }
            let pods = self.selected(s);
            for port in s.ports() {
                let target = port
                    .target_port
                    .clone()
                    .unwrap_or(IntOrString::Int(port.port));
                let endpoints: Vec<(Ipv4Addr, u16)> = pods
                    .iter()
                    .filter(|(_, ready)| *ready)
                    .filter_map(|(p, _)| Some((p.ip, port_of(&Self::container_ports(p), &target)?)))
                    .collect();
                let mut frontends = vec![(s.cluster_ip.unwrap(), port.port as u16)];
                if let Some(np) = port.node_port {
                    frontends.push((NODE_IP, np as u16));
                }
                if let Some(lb) = s.lb_ip {
                    frontends.push((lb, port.port as u16));
                }
                rules.push(ServiceRule {
                    frontends,
                    endpoints,
                    lb: s.lb_ip,
                    source_ranges: if s.lb_ip.is_some() {
                        s.source_ranges()
                    } else {
                        Vec::new()
                    },
                });
            }
        }
        let text = format!("{rules:?}");
        if text != self.last_rules {
            network::sync_services(&rules)?;
            self.last_rules = text;
        }
        let frontends: BTreeSet<String> = rules
            .iter()
            .flat_map(|r| r.frontends.iter().map(|(ip, _)| format!("{ip}/32")))
            .collect();
        self.sync_policies(&frontends)?;
        let records = self.records();
        let mut files: Vec<(String, String)> = Vec::new();
        for p in self.live_pods() {
            let mut h = String::from(
                "# Kubernetes-managed hosts file (kafkagen live boot).\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n",
            );
            match &p.def.subdomain {
                Some(sub) if !sub.is_empty() => {
                    let _ = writeln!(
                        h,
                        "{}\t{}.{sub}.{}.svc.{}\t{}",
                        p.ip,
                        p.def.hostname,
                        self.namespace(),
                        self.domain,
                        p.def.hostname
                    );
                }
                _ => {
                    let _ = writeln!(h, "{}\t{}", p.ip, p.def.hostname);
                }
            }
            h.push_str(&records);
            files.push((p.netns.clone(), h));
        }
        // Clients run with the machine's hostname, which must resolve.
        let host = fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        let host = host.trim();
        for (name, g) in &self.guests {
            let h = format!("127.0.0.1\tlocalhost {host}\n{}\t{name}\n{records}", g.ip);
            files.push((g.netns.clone(), h));
        }
        let mut outside = format!("127.0.0.1\tlocalhost {host}\n");
        for (name, ip) in &self.external_names {
            let _ = writeln!(outside, "{ip}\t{name}");
        }
        files.push((network::OUTSIDE_NETNS.to_string(), outside));
        for (netns, text) in files {
            if self.last_hosts.get(&netns) != Some(&text) {
                let path = format!("/etc/netns/{netns}/hosts");
                fs::create_dir_all(format!("/etc/netns/{netns}"))?;
                // In place: the file is bind-mounted into running containers.
                fs::write(&path, &text)?;
                self.last_hosts.insert(netns, text);
            }
        }
        Ok(())
    }

    /// The cluster DNS as hosts-file lines: Services with a ClusterIP by
    /// that address; headless Services by their pods' addresses (ready
    /// ones, or all with publishNotReadyAddresses); a pod's own name under
    /// the headless Service its `subdomain` names.
    fn records(&self) -> String {
        let mut out = String::new();
        let mut seen = BTreeSet::new();
        for s in &self.services {
            if let Some(ip) = s.cluster_ip {
                for f in self.forms(&s.name) {
                    let _ = writeln!(out, "{ip}\t{f}");
                }
                continue;
            }
            let all = s.publishes_not_ready();
            for (p, ready) in self.selected(s) {
                if !(ready || all) {
                    continue;
                }
                for f in self.forms(&s.name) {
                    let _ = writeln!(out, "{}\t{f}", p.ip);
                }
                if p.def.subdomain.as_deref() == Some(&s.name) && seen.insert(p.def.name.clone()) {
                    for f in self.forms(&format!("{}.{}", p.def.hostname, s.name)) {
                        let _ = writeln!(out, "{}\t{f}", p.ip);
                    }
                }
            }
        }
        out
    }

    /// A file in a pod's container filesystem, found through its mounts.
    pub fn read_in_pod(&self, pod: &Pod, container: usize, path: &str) -> Option<String> {
        let c = pod.containers.get(container)?;
        let mut best: Option<(&PathBuf, &str)> = None;
        for (src, dest, _) in &c.launch.mounts {
            if let Some(rest) = path.strip_prefix(dest.as_str())
                && (rest.is_empty() || rest.starts_with('/'))
                && best.is_none_or(|(_, d)| dest.len() > d.len())
            {
                best = Some((src, dest));
            }
        }
        let (src, dest) = best?;
        fs::read_to_string(src.join(path[dest.len()..].trim_start_matches('/'))).ok()
    }
}

/// A namespace's resolver with no server: a client outside a container
/// (where `ip netns exec` binds these files) resolves names by its hosts
/// file alone, and fails at once for any other name.
pub fn no_dns(netns: &str) -> Result<()> {
    let dir = format!("/etc/netns/{netns}");
    fs::create_dir_all(&dir)?;
    fs::write(format!("{dir}/hosts"), "127.0.0.1\tlocalhost\n")?;
    fs::write(
        format!("{dir}/resolv.conf"),
        "options timeout:1 attempts:1\n",
    )?;
    Ok(())
}

/// The Services of `objects`, keeping the addresses of those in `old`
/// (as the API server keeps a Service's ClusterIP across updates).
pub fn services_of(objects: &Objects, old: &[ServiceInfo]) -> Vec<ServiceInfo> {
    let mut used_vip: BTreeSet<Ipv4Addr> = old.iter().filter_map(|s| s.cluster_ip).collect();
    let mut used_lb: BTreeSet<Ipv4Addr> = old.iter().filter_map(|s| s.lb_ip).collect();
    let mut services = Vec::new();
    for s in &objects.services {
        let name = s.metadata.name.clone().unwrap_or_default();
        let spec = s.spec.clone().unwrap_or_default();
        let previous = old.iter().find(|o| o.name == name);
        let headless = spec.cluster_ip.as_deref() == Some("None");
        let cluster_ip = (!headless).then(|| {
            previous.and_then(|p| p.cluster_ip).unwrap_or_else(|| {
                let ip = (11..=250u8)
                    .map(|i| Ipv4Addr::new(10, 96, 0, i))
                    .find(|ip| !used_vip.contains(ip))
                    .expect("a free ClusterIP");
                used_vip.insert(ip);
                ip
            })
        });
        let lb_ip = (spec.type_.as_deref() == Some("LoadBalancer")).then(|| {
            match spec
                .load_balancer_ip
                .as_deref()
                .and_then(|ip| ip.parse().ok())
            {
                Some(ip) => ip,
                None => previous.and_then(|p| p.lb_ip).unwrap_or_else(|| {
                    let ip = (11..=250u8)
                        .map(|i| Ipv4Addr::new(172, 18, 0, i))
                        .find(|ip| !used_lb.contains(ip))
                        .expect("a free load-balancer address");
                    used_lb.insert(ip);
                    ip
                }),
            }
        });
        services.push(ServiceInfo {
            name,
            spec: s.clone(),
            cluster_ip,
            lb_ip,
        });
    }
    services
}

/// Volume ownership as the kubelet applies `fsGroup`: the group owns the
/// volume and can write it; new files inherit the group (setgid).
fn own_by_group(p: &Path, fs_group: Option<(u32, bool)>) -> Result<()> {
    let Some((g, on_root_mismatch)) = fs_group else {
        return Ok(());
    };
    let owned = |m: &fs::Metadata| {
        use std::os::unix::fs::MetadataExt;
        m.gid() == g && m.mode() & 0o2070 == 0o2070
    };
    if on_root_mismatch && owned(&fs::metadata(p)?) {
        return Ok(());
    }
    // As the kubelet sets a volume's ownership: every file and directory
    // gets the group, read and write for it, directories setgid.
    let mut stack = vec![p.to_path_buf()];
    while let Some(path) = stack.pop() {
        let m = fs::symlink_metadata(&path)?;
        if m.file_type().is_symlink() {
            continue;
        }
        chown(&path, None, Some(g))?;
        let mode = m.permissions().mode();
        let add = if m.is_dir() { 0o2070 } else { 0o060 };
        if mode & add != add {
            fs::set_permissions(&path, fs::Permissions::from_mode(mode | add))?;
        }
        if m.is_dir() {
            for e in fs::read_dir(&path)? {
                stack.push(e?.path());
            }
        }
    }
    Ok(())
}
