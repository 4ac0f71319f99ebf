//! What cert-manager and the user would have made before the pods start:
//! a Secret per rendered Certificate, issued as cert-manager issues it
//! (openssl, from the Certificate's own common name, DNS names, IP
//! addresses, usages, key algorithm and encoding, and the issuer it
//! names), and a Secret with a test password for every Secret key a pod
//! reads that the render does not hold.

use crate::objects::Objects;
use anyhow::{Context, Result, bail};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kafkagen::check::custom::{Certificate, Issuer};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The password the harness gives a Secret key it creates.
pub fn test_password(secret: &str, key: &str) -> String {
    format!("live-{secret}-{key}")
}

/// The files of an issued certificate, as its Secret holds them.
pub struct Issued {
    pub dir: PathBuf,
    pub common_name: String,
    pub client_only: bool,
}

impl Issued {
    pub fn file(&self, key: &str) -> PathBuf {
        self.dir.join(key)
    }
}

/// Issues every Certificate of the render whose Secret does not exist yet
/// and adds the Secrets to `objects` and `issued`; returns notes for the
/// summary.
pub fn prepare(
    objects: &mut Objects,
    work: &Path,
    issued: &mut BTreeMap<String, Issued>,
) -> Result<Vec<String>> {
    let mut notes = Vec::new();
    let typed = |kind: &str| -> Vec<serde_json::Value> {
        objects
            .values
            .iter()
            .filter(|((k, _), _)| k == kind)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let issuers: BTreeMap<String, Issuer> = typed("Issuer")
        .into_iter()
        .map(|v| {
            let i: Issuer = serde_json::from_value(v)?;
            Ok((i.metadata.name.clone().unwrap_or_default(), i))
        })
        .collect::<Result<_>>()?;
    let mut pending: Vec<Certificate> = typed("Certificate")
        .into_iter()
        .map(serde_json::from_value)
        .collect::<Result<_, _>>()?;
    pending.retain(|c| {
        !objects
            .secrets
            .iter()
            .any(|s| s.metadata.name.as_deref() == Some(c.spec.secret_name.as_str()))
    });
    let root = work.join("tls");
    // Secrets of the user's own: issued as the user would, from what the
    // workloads that mount them say they hold, with a CA of the harness's.
    let mut stated: BTreeMap<String, (Certificate, String)> = BTreeMap::new();
    for ((kind, name), v) in &objects.values {
        if let Some(c) = Certificate::stated(&v["metadata"]["annotations"]) {
            stated
                .entry(c.spec.secret_name.clone())
                .or_insert((c, format!("{kind} {name}")));
        }
    }
    for (secret, (cert, by)) in stated {
        if objects
            .secrets
            .iter()
            .any(|s| s.metadata.name.as_deref() == Some(secret.as_str()))
        {
            continue;
        }
        let signer = stand_in_ca(&root, "own-ca")?;
        let made = issue(&cert, &signer, &root)?;
        objects.secrets.push(secret_of(&secret, &made)?);
        issued.insert(secret.clone(), made);
        notes.push(format!(
            "Secret {secret} is the user's: the harness issued it as {by} says, with a CA of its own"
        ));
    }
    // With Secrets of the user's own, users' certificates are the user's
    // too: each user with ACLs and no SCRAM password gets one, subject
    // `CN=<user>`, from the same CA (no pod mounts it; clients use it).
    if root.join("stand-in-own-ca").exists() {
        let scram: Vec<String> = crate::security::scram_users(objects)
            .into_iter()
            .map(|(u, _)| u)
            .collect();
        for user in crate::security::declared_acls(objects).into_keys() {
            let secret = format!("own-user-{user}");
            if scram.contains(&user) || issued.contains_key(&secret) {
                continue;
            }
            let cert = Certificate::own(&secret, &user, &[]);
            let made = issue(&cert, &stand_in_ca(&root, "own-ca")?, &root)?;
            issued.insert(secret, made);
            notes.push(format!(
                "user {user} has ACLs and no SCRAM password: the harness issued its certificate (CN={user}) with the same CA"
            ));
        }
    }
    // Issue in dependency order: a CA issuer's Secret must exist first.
    while !pending.is_empty() {
        let before = pending.len();
        let mut rest = Vec::new();
        for cert in pending {
            let issuer_name = cert.spec.issuer_ref.name.clone().unwrap_or_default();
            let kind = cert.spec.issuer_ref.kind.as_deref().unwrap_or("Issuer");
            let signer = match issuers.get(&issuer_name).filter(|_| kind == "Issuer") {
                Some(i) if i.spec.self_signed.is_some() => Signer::SelfSigned,
                Some(i) => match &i.spec.ca {
                    Some(ca) => match issued.get(&ca.secret_name) {
                        Some(ca) => Signer::Ca(ca.file("tls.crt"), ca.file("tls.key")),
                        None => {
                            rest.push(cert);
                            continue;
                        }
                    },
                    None => bail!("Issuer {issuer_name}: neither selfSigned nor ca"),
                },
                None => {
                    // An issuer the user runs: the harness stands it in with a
                    // CA of its own.
                    let fresh = !root.join(format!("stand-in-{issuer_name}")).exists();
                    let signer = stand_in_ca(&root, &issuer_name)?;
                    if fresh {
                        notes.push(format!(
                            "{kind} {issuer_name} is not in the render: a CA of the harness's own stands in for it"
                        ));
                    }
                    signer
                }
            };
            let made = issue(&cert, &signer, &root)?;
            objects
                .secrets
                .push(secret_of(&cert.spec.secret_name, &made)?);
            issued.insert(cert.spec.secret_name.clone(), made);
        }
        if rest.len() == before {
            let names: Vec<&str> = rest
                .iter()
                .map(|c| c.metadata.name.as_deref().unwrap_or_default())
                .collect();
            bail!(
                "Certificates {} name CA issuers whose Secrets no Certificate makes",
                names.join(", ")
            );
        }
        pending = rest;
    }
    notes.extend(passwords(objects));
    Ok(notes)
}

/// The Secrets cert-manager and the user made stay when new manifests are
/// applied, except a Certificate's whose spec changed: cert-manager issues
/// it again.
pub fn carry_over(
    old: &Objects,
    new: &mut Objects,
    work: &Path,
    issued: &mut BTreeMap<String, Issued>,
) -> Result<Vec<String>> {
    let reissued: Vec<String> = new
        .values
        .iter()
        .filter(|((kind, _), v)| {
            kind == "Certificate"
                && old.values.get(&(
                    kind.clone(),
                    v["metadata"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                )) != Some(v)
        })
        .filter_map(|(_, v)| v["spec"]["secretName"].as_str().map(str::to_string))
        .collect();
    for secret in &old.secrets {
        let name = secret.metadata.name.clone().unwrap_or_default();
        let rendered = new
            .secrets
            .iter()
            .any(|s| s.metadata.name.as_deref() == Some(name.as_str()));
        if !rendered && !reissued.contains(&name) {
            new.secrets.push(secret.clone());
        }
    }
    prepare(new, work, issued)
}

/// cert-manager renewing a certificate: a new key and certificate (a new
/// serial) in the same Secret, from the same Certificate.
pub fn reissue(
    objects: &mut Objects,
    work: &Path,
    issued: &mut BTreeMap<String, Issued>,
    secret: &str,
) -> Result<()> {
    objects
        .secrets
        .retain(|s| s.metadata.name.as_deref() != Some(secret));
    prepare(objects, work, issued)?;
    Ok(())
}

/// A CA of the harness's own, `stand-in-<name>`, made on first use.
fn stand_in_ca(root: &Path, name: &str) -> Result<Signer> {
    let dir = root.join(format!("stand-in-{name}"));
    if !dir.exists() {
        std::fs::create_dir_all(&dir)?;
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "3650",
            "-subj",
            &format!("/CN={name}"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-keyout",
            &path(&dir.join("tls.key")),
            "-out",
            &path(&dir.join("tls.crt")),
        ])?;
    }
    Ok(Signer::Ca(dir.join("tls.crt"), dir.join("tls.key")))
}

enum Signer {
    SelfSigned,
    /// The CA's certificate and key files.
    Ca(PathBuf, PathBuf),
}

fn path(p: &Path) -> String {
    p.display().to_string()
}

fn openssl(args: &[&str]) -> Result<String> {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .context("cannot run openssl")?;
    if !out.status.success() {
        bail!(
            "openssl {}: {}",
            args.first().unwrap_or(&""),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// cert-manager's key usages as openssl names: (key usage, extended).
fn usage(u: &str) -> Result<(Option<&'static str>, Option<&'static str>)> {
    Ok(match u {
        "digital signature" => (Some("digitalSignature"), None),
        "key encipherment" => (Some("keyEncipherment"), None),
        "cert sign" => (Some("keyCertSign"), None),
        "crl sign" => (Some("cRLSign"), None),
        "server auth" => (None, Some("serverAuth")),
        "client auth" => (None, Some("clientAuth")),
        other => bail!("the harness does not issue usage `{other}`"),
    })
}

fn issue(cert: &Certificate, signer: &Signer, root: &Path) -> Result<Issued> {
    let spec = &cert.spec;
    let dir = root.join(&spec.secret_name);
    std::fs::create_dir_all(&dir)?;
    let key = dir.join("tls.key");
    let pk = spec.private_key.as_ref();
    let algorithm = pk
        .and_then(|k| k.algorithm.as_ref())
        .map(|a| format!("{a:?}"))
        .unwrap_or_else(|| "RSA".into());
    let size = pk.and_then(|k| k.size);
    let mut keygen = vec!["genpkey".to_string()];
    match algorithm.as_str() {
        "RSA" => keygen.extend([
            "-algorithm".into(),
            "RSA".into(),
            "-pkeyopt".into(),
            format!("rsa_keygen_bits:{}", size.unwrap_or(2048)),
        ]),
        "ECDSA" => keygen.extend([
            "-algorithm".into(),
            "EC".into(),
            "-pkeyopt".into(),
            format!(
                "ec_paramgen_curve:P-{}",
                match size.unwrap_or(256) {
                    384 => 384,
                    521 => 521,
                    _ => 256,
                }
            ),
        ]),
        other => bail!("the harness does not issue {other} keys"),
    }
    keygen.extend(["-out".into(), path(&key)]);
    openssl(&keygen.iter().map(String::as_str).collect::<Vec<_>>())?;
    // cert-manager's default encoding is PKCS#1, which Kafka cannot read:
    // written as cert-manager would write it.
    let pkcs8 = pk
        .and_then(|k| k.encoding.as_ref())
        .is_some_and(|e| format!("{e:?}") == "PKCS8");
    if !pkcs8 {
        let pkcs1 = dir.join("tls.key.pkcs1");
        openssl(&[
            "pkey",
            "-in",
            &path(&key),
            "-traditional",
            "-out",
            &path(&pkcs1),
        ])?;
        std::fs::rename(&pkcs1, &key)?;
    }
    let is_ca = spec.is_ca.unwrap_or(false);
    let usages = spec
        .usages
        .clone()
        .unwrap_or_else(|| vec!["digital signature".into(), "key encipherment".into()]);
    let mut ku = Vec::new();
    let mut eku = Vec::new();
    if is_ca {
        ku.push("keyCertSign");
    }
    for u in &usages {
        let (k, e) = usage(u)?;
        ku.extend(k.filter(|k| !ku.contains(k)));
        eku.extend(e);
    }
    let mut ext = String::from("[v3]\n");
    ext += if is_ca {
        "basicConstraints=critical,CA:TRUE\n"
    } else {
        "basicConstraints=critical,CA:FALSE\n"
    };
    if !ku.is_empty() {
        ext += &format!("keyUsage=critical,{}\n", ku.join(","));
    }
    if !eku.is_empty() {
        ext += &format!("extendedKeyUsage={}\n", eku.join(","));
    }
    let sans: Vec<String> = spec
        .dns_names
        .iter()
        .flatten()
        .map(|d| format!("DNS:{d}"))
        .chain(
            spec.ip_addresses
                .iter()
                .flatten()
                .map(|i| format!("IP:{i}")),
        )
        .collect();
    if !sans.is_empty() {
        ext += &format!("subjectAltName={}\n", sans.join(","));
    }
    let ext_file = dir.join("ext.cnf");
    std::fs::write(&ext_file, ext)?;
    let cn = spec.common_name.clone().unwrap_or_default();
    let crt = dir.join("tls.crt");
    let csr = dir.join("req.csr");
    openssl(&[
        "req",
        "-new",
        "-key",
        &path(&key),
        "-subj",
        &format!("/CN={cn}"),
        "-out",
        &path(&csr),
    ])?;
    let days = if is_ca { "3650" } else { "90" };
    // Issued again (a renewal), a certificate gets a new serial, as
    // cert-manager's do.
    let previous = std::fs::read_to_string(&crt).unwrap_or_default();
    let seed = format!("{}{previous}", spec.secret_name);
    // Positive and never 0, as X.509 wants.
    let serial = ((crate::objects::fnv(&seed) >> 2) | 1).to_string();
    let mut sign = vec![
        "x509",
        "-req",
        "-in",
        &path(&csr),
        "-days",
        days,
        "-set_serial",
        &serial,
        "-extfile",
        &path(&ext_file),
        "-extensions",
        "v3",
        "-out",
        &path(&crt),
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>();
    let ca_crt = match signer {
        Signer::SelfSigned => {
            sign.extend(["-signkey".into(), path(&key)]);
            crt.clone()
        }
        Signer::Ca(ca_crt, ca_key) => {
            sign.extend(["-CA".into(), path(ca_crt), "-CAkey".into(), path(ca_key)]);
            ca_crt.clone()
        }
    };
    openssl(&sign.iter().map(String::as_str).collect::<Vec<_>>())?;
    std::fs::copy(&ca_crt, dir.join("ca.crt"))?;
    if spec
        .additional_output_formats
        .iter()
        .flatten()
        .any(|f| format!("{:?}", f.kind) == "CombinedPEM")
    {
        // cert-manager: the key, a line break, the chain.
        let combined = [std::fs::read(&key)?, b"\n".to_vec(), std::fs::read(&crt)?].concat();
        std::fs::write(dir.join("tls-combined.pem"), combined)?;
    }
    for f in [csr, ext_file] {
        std::fs::remove_file(f)?;
    }
    Ok(Issued {
        dir,
        common_name: cn,
        client_only: !usages.iter().any(|u| u == "server auth") && !is_ca,
    })
}

fn secret_of(name: &str, issued: &Issued) -> Result<Secret> {
    let mut data = BTreeMap::new();
    for entry in std::fs::read_dir(&issued.dir)? {
        let entry = entry?;
        let key = entry.file_name().to_string_lossy().to_string();
        data.insert(key, ByteString(std::fs::read(entry.path())?));
    }
    Ok(Secret {
        metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
            name: Some(name.into()),
            ..Default::default()
        },
        data: Some(data),
        type_: Some("kubernetes.io/tls".into()),
        ..Default::default()
    })
}

/// Secrets with test passwords for every Secret key a pod reads (from env
/// or a projected volume) that the render does not hold: the user's
/// Secrets.
fn passwords(objects: &mut Objects) -> Vec<String> {
    let specs = objects.pod_specs();
    let mut wanted: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for spec in &specs {
        for v in spec.volumes.iter().flatten() {
            let projected = v.projected.iter().flat_map(|p| p.sources.iter().flatten());
            for secret in projected.filter_map(|s| s.secret.as_ref()) {
                for item in secret.items.iter().flatten() {
                    wanted
                        .entry(secret.name.clone())
                        .or_default()
                        .push(item.key.clone());
                }
            }
        }
        for c in spec
            .containers
            .iter()
            .chain(spec.init_containers.iter().flatten())
        {
            for e in c.env.iter().flatten() {
                if let Some(r) = e
                    .value_from
                    .as_ref()
                    .and_then(|v| v.secret_key_ref.as_ref())
                {
                    wanted
                        .entry(r.name.clone())
                        .or_default()
                        .push(r.key.clone());
                }
            }
        }
    }
    let mut notes = Vec::new();
    for (name, keys) in wanted {
        if objects
            .secrets
            .iter()
            .any(|s| s.metadata.name.as_deref() == Some(&name))
        {
            continue;
        }
        let data: BTreeMap<String, ByteString> = keys
            .iter()
            .map(|k| (k.clone(), ByteString(test_password(&name, k).into_bytes())))
            .collect();
        notes.push(format!(
            "Secret {name} is the user's: the harness made it with test passwords ({})",
            keys.join(", ")
        ));
        objects.secrets.push(Secret {
            metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                name: Some(name),
                ..Default::default()
            },
            data: Some(data),
            ..Default::default()
        });
    }
    notes
}
