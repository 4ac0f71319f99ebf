//! `security`: TLS and authentication per listener, where certificates
//! come from, and the users the brokers know.

use super::{Note, Validator};
use crate::dns::{is_dns_label, is_dns_subdomain};
use crate::model::listeners::{self, QuorumKind};
use crate::model::security;
use crate::spec::Scalar;
use crate::spec::{
    Authentication, ListenerSecuritySpec, OpenExternal, SecuritySpec, UserAuthentication,
};
use crate::validate::cluster::{Credential, Exposure, ListenerSecurity, Security, User};
use indexmap::IndexMap;

impl Validator<'_> {
    pub(super) fn security(&mut self, s: &SecuritySpec, exposure: &Exposure) -> Option<Security> {
        let internal = self.listener_security("internal", &s.listeners.internal);
        let external = self.listener_security("external", &s.listeners.external);
        let inter_broker = self.listener_security("interBroker", &s.listeners.inter_broker);
        if internal.authentication != Authentication::None {
            self.error(
                "security.listeners.internal.authentication",
                "`security.listeners.internal.authentication` must be `none`: the topics and users Jobs reach the brokers on the internal listener before any credential exists",
            )
            .with_help("authenticate clients on the external listener; inside the cluster, `networkPolicy` limits who reaches the brokers");
        }
        if inter_broker.authentication == Authentication::ScramSha512 {
            self.error(
                "security.listeners.interBroker.authentication",
                "`security.listeners.interBroker.authentication` cannot be `scram-sha-512`: the brokers' own credential would have to exist before they start",
            )
            .with_help("use `mtls`: brokers prove who they are with their certificate");
        }
        self.open_external(s, exposure, external);
        if external.tls
            && let Exposure::NodePort {
                advertised_host: None,
                ..
            } = exposure
        {
            self.error(
                "security.listeners.external.tls",
                "external TLS needs a host the certificate can name, but each broker advertises its node's IP, which is not known when rendering",
            )
            .with_help("set `kafka.exposure.advertisedHost` to a DNS name or address that reaches the nodes");
        }
        let plain = ListenerSecurity::default();
        let external_used = !matches!(exposure, Exposure::Internal);
        let external = if external_used { external } else { plain };
        let users = self.users(&s.users, [internal, external, inter_broker]);
        self.external_logins(external, &users);
        let issuer = s.certificates.issuer.as_ref().map(|i| {
            if !is_dns_subdomain(&i.name) {
                self.error(
                    "security.certificates.issuer.name",
                    format!(
                        "`security.certificates.issuer.name` \"{}\" is not a valid Kubernetes name",
                        i.name
                    ),
                );
            }
            (i.kind, i.name.clone())
        });
        let inter_broker = (inter_broker != plain).then_some(inter_broker);
        let anything =
            internal != plain || external != plain || inter_broker.is_some() || !users.is_empty();
        let security = Security {
            internal,
            external,
            inter_broker,
            issuer,
            users,
        };
        if s.certificates.issuer.is_some() && !security.tls() {
            self.warn(
                "security.certificates.issuer",
                "`security.certificates.issuer` has no effect: no listener uses TLS and no user has a certificate",
            );
        }
        anything.then_some(security)
    }

    /// An exposed listener that demands logins: they travel in clear
    /// without TLS, and nobody can log in without a declared user.
    fn external_logins(&mut self, ext: ListenerSecurity, users: &[User]) {
        let path = "security.listeners.external";
        if ext.authentication == Authentication::ScramSha512 && !ext.tls {
            self.warn(
                path,
                "the external listener has SCRAM logins without TLS: records travel unencrypted outside the cluster",
            )
            .with_help("set `security.listeners.external.tls: true` (with node ports, `kafka.exposure.advertisedHost` names the certificate's host)");
        }
        let can_log_in = match ext.authentication {
            Authentication::None => return,
            Authentication::ScramSha512 => users
                .iter()
                .any(|u| matches!(u.credential, Credential::Scram { .. })),
            Authentication::Mtls => users
                .iter()
                .any(|u| u.credential == Credential::Certificate),
        };
        if !can_log_in {
            let kind = match ext.authentication {
                Authentication::Mtls => "authentication: tls",
                _ => "a passwordSecret",
            };
            let at = if self.loc.exact("security.users").is_some() {
                "security.users"
            } else {
                "kafka.exposure.mode"
            };
            self.warn(at, "no declared user can log in on the external listener")
                .with_label("exposed to clients that must log in")
                .with_help(format!(
                    "declare the clients outside the cluster under `security.users`, with {kind}"
                ));
        }
    }

    /// `kafka.config` keys that `security` sets for the brokers.
    pub(super) fn security_config(
        &mut self,
        config: &IndexMap<String, Scalar>,
        s: &Security,
        exposure: &Exposure,
    ) {
        let listeners = listeners::brokers(exposure, QuorumKind::ZooKeeper, Some(s));
        let managed: Vec<String> = security::broker_properties(&listeners)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        for key in config.keys().filter(|k| managed.contains(k)) {
            self.key_error(
                &format!("kafka.config.{key}"),
                format!("`{key}` is set by kafkagen from `security` and cannot be overridden in `kafka.config`"),
            )
            .with_label("managed by kafkagen");
        }
    }

    fn listener_security(&mut self, name: &str, l: &ListenerSecuritySpec) -> ListenerSecurity {
        if l.authentication == Authentication::Mtls && !l.tls {
            let p = format!("security.listeners.{name}.authentication");
            self.error(
                &p,
                format!("`{p}` `mtls` needs `security.listeners.{name}.tls: true`"),
            )
            .with_help("client certificates are only presented in a TLS handshake");
        }
        ListenerSecurity {
            tls: l.tls,
            authentication: l.authentication,
        }
    }

    /// An exposed external listener without authentication lets anyone who
    /// reaches it read and write every topic.
    fn open_external(&mut self, s: &SecuritySpec, exposure: &Exposure, ext: ListenerSecurity) {
        if matches!(exposure, Exposure::Internal) || ext.authentication != Authentication::None {
            return;
        }
        let path = if self
            .loc
            .exact("security.listeners.external.authentication")
            .is_some()
        {
            "security.listeners.external.authentication"
        } else {
            "kafka.exposure.mode"
        };
        let message = "the brokers are exposed outside the cluster with no authentication: whoever reaches the external listener can read and write every topic";
        let help = "set `security.listeners.external.authentication: scram-sha-512` (or `mtls` with `tls: true`); if an open listener is intended, set `security.openExternal: allow`";
        match s.open_external {
            OpenExternal::Allow => {}
            OpenExternal::Warn => {
                self.warn(path, message)
                    .with_label("no authentication")
                    .with_help(help);
            }
            OpenExternal::Error => {
                self.error(path, message)
                    .with_label("no authentication")
                    .with_help(format!(
                        "{help} (`security.openExternal` is `error`, as in the production profiles)"
                    ));
            }
        }
    }

    fn users(
        &mut self,
        users: &[crate::spec::UserSpec],
        listeners: [ListenerSecurity; 3],
    ) -> Vec<User> {
        let accepts = |a: Authentication| listeners.iter().any(|l| l.authentication == a);
        let mut out: Vec<User> = Vec::new();
        for (i, u) in users.iter().enumerate() {
            let base = format!("security.users[{i}]");
            if !is_dns_label(&u.name) {
                self.error(
                    &format!("{base}.name"),
                    format!("`{base}.name` \"{}\" is not a valid user name", u.name),
                )
                .with_help("use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit: the name is also the certificate's and Secret's");
            } else if out.iter().any(|o| o.name == u.name) {
                self.error(
                    &format!("{base}.name"),
                    format!("`{base}.name` \"{}\" is declared twice", u.name),
                );
            }
            let credential = match u.authentication {
                UserAuthentication::ScramSha512 => {
                    if !accepts(Authentication::ScramSha512) {
                        self.warn(
                            &format!("{base}.authentication"),
                            format!(
                                "user `{}` has a SCRAM credential, but no listener accepts `scram-sha-512`",
                                u.name
                            ),
                        );
                    }
                    match &u.password_secret {
                        Some(p) => {
                            let path = format!("{base}.passwordSecret");
                            if !is_dns_subdomain(&p.name) {
                                self.error(
                                    &format!("{path}.name"),
                                    format!(
                                        "`{path}.name` \"{}\" is not a valid Secret name",
                                        p.name
                                    ),
                                );
                            }
                            if !is_secret_key(&p.key) {
                                self.error(
                                    &format!("{path}.key"),
                                    format!("`{path}.key` \"{}\" is not a valid Secret key", p.key),
                                )
                                .with_help("keys are letters, digits, '-', '_' and '.'");
                            }
                            Credential::Scram {
                                secret: p.name.clone(),
                                key: p.key.clone(),
                            }
                        }
                        None => {
                            self.error(
                                &base,
                                format!(
                                    "`{base}` (`{}`) needs a `passwordSecret`: the Secret key that holds its password",
                                    u.name
                                ),
                            )
                            .with_help("kafkagen never writes passwords: create the Secret, then name it with `passwordSecret: {name: ..., key: ...}`");
                            Credential::Scram {
                                secret: String::new(),
                                key: String::new(),
                            }
                        }
                    }
                }
                UserAuthentication::Tls => {
                    if u.password_secret.is_some() {
                        self.key_error(
                            &format!("{base}.passwordSecret"),
                            format!("`{base}.passwordSecret` applies only to `authentication: scram-sha-512`"),
                        );
                    }
                    if !accepts(Authentication::Mtls) {
                        self.warn(
                            &format!("{base}.authentication"),
                            format!(
                                "user `{}` has a client certificate, but no listener accepts `mtls`",
                                u.name
                            ),
                        );
                    }
                    Credential::Certificate
                }
            };
            out.push(User {
                name: u.name.clone(),
                credential,
            });
        }
        out
    }
}

/// A Secret's data key: letters, digits, '-', '_' and '.'.
fn is_secret_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 253
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}
