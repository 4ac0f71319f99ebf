//! `security`: TLS and authentication per listener, where certificates
//! come from, and the users the brokers know.

use super::{Annotate, Validator};
use crate::broker_properties::{self, AUTHORIZER, SUPER_USERS};
use crate::cluster::{
    Acl, Certificates, Credential, Exposure, ListenerSecurity, Metadata, Security, User,
};
use crate::cluster_spec::Scalar;
use crate::cluster_spec::{
    AclResourceType, AclSpec, Authentication, AuthorizationSpec, CertificateSecretsSpec,
    ListenerSecuritySpec, OpenExternal, PatternType, SecuritySpec, UserAuthentication,
};
use crate::dns::{is_dns_label, is_dns_subdomain};
use crate::listeners::{self, QuorumKind};
use crate::names::Names;
use indexmap::IndexMap;

impl Validator<'_> {
    pub(super) fn security(
        &mut self,
        s: &SecuritySpec,
        exposure: &Exposure,
        metadata: &Metadata,
        names: &Names,
    ) -> Option<Security> {
        let internal = self.listener_security("internal", &s.listeners.internal);
        let external = self.listener_security("external", &s.listeners.external);
        let inter_broker = self.listener_security("interBroker", &s.listeners.inter_broker);
        let controller = self.listener_security("controller", &s.listeners.controller);
        if internal.authentication == Authentication::ScramSha512 {
            self.error(
                "security.listeners.internal.authentication",
                "`security.listeners.internal.authentication` cannot be `scram-sha-512`: the topics and users Jobs reach the brokers on the internal listener before any SCRAM credential exists",
            )
            .with_help("use `mtls` (with `tls: true`): the Jobs log in with an admin certificate of their own");
        }
        for (name, l) in [("interBroker", inter_broker), ("controller", controller)] {
            if l.authentication == Authentication::ScramSha512 {
                self.error(
                    &format!("security.listeners.{name}.authentication"),
                    format!("`security.listeners.{name}.authentication` cannot be `scram-sha-512`: the brokers' own credential would have to exist before they start"),
                )
                .with_help("use `mtls`: brokers prove who they are with their certificate");
            }
        }
        let kraft = matches!(metadata, Metadata::Kraft(_));
        if !kraft && controller != ListenerSecurity::default() {
            self.error(
                "security.listeners.controller",
                "`security.listeners.controller` applies only to KRaft: with ZooKeeper there is no CONTROLLER listener",
            );
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
        let users = self.users(&s.users, [internal, external, inter_broker], names);
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
        let authorization = s
            .authorization
            .as_ref()
            .map(|a| self.authorization(a, internal, inter_broker, kraft.then_some(controller)));
        if authorization.is_some()
            && external_used
            && external.authentication == Authentication::None
        {
            let at = self.external_authentication_path();
            self.warn(
                at,
                "with authorization on, clients of the external listener, which has no logins, are User:ANONYMOUS, whom no ACL here names: the brokers refuse them everything",
            )
            .with_help("set `security.listeners.external.authentication` to `scram-sha-512` or `mtls`");
        }
        if let Some(supers) = &authorization {
            for (i, u) in s.users.iter().enumerate() {
                if !u.acls.is_empty() && supers.contains(&u.name) {
                    self.warn(
                        &format!("security.users[{i}].acls"),
                        format!("user `{}` is a super user: the authorizer lets it do anything, whatever its ACLs say", u.name),
                    )
                    .with_help("remove it from `security.authorization.superUsers` for its ACLs to hold");
                }
                let own = names.own_identities().iter().any(|(n, _)| *n == u.name);
                if u.acls.is_empty() && !supers.contains(&u.name) && !own {
                    self.warn(
                        &format!("security.users[{i}]"),
                        format!("user `{}` has no ACLs and is not a super user: unless ACLs made elsewhere name it, the authorizer refuses it everything", u.name),
                    )
                    .with_help("give it `acls`, or list it in `security.authorization.superUsers`");
                }
            }
        }
        if authorization.is_none() {
            for (i, u) in s.users.iter().enumerate() {
                if !u.acls.is_empty() {
                    self.error(
                        &format!("security.users[{i}].acls"),
                        format!("user `{}` has ACLs, but nothing enforces them: `security.authorization` is not set", u.name),
                    )
                    .with_help("set `security.authorization: {}` to turn on Kafka's standard authorizer");
                }
            }
        }
        let inter_broker = (inter_broker != plain).then_some(inter_broker);
        let controller = if kraft { controller } else { plain };
        let anything = internal != plain
            || external != plain
            || controller != plain
            || inter_broker.is_some()
            || !users.is_empty()
            || authorization.is_some();
        let mut security = Security {
            internal,
            external,
            inter_broker,
            controller,
            certificates: Certificates::CertManager(issuer),
            broker_secret: names.broker_secret(),
            admin_secret: names.admin_secret(),
            users,
            authorization,
        };
        if s.certificates.issuer.is_some() && !security.tls() {
            self.warn(
                "security.certificates.issuer",
                "`security.certificates.issuer` has no effect: no listener uses TLS and no user has a certificate",
            );
        }
        if let Some(own) = &s.certificates.secrets {
            self.own_secrets(own, s.certificates.issuer.is_some(), &mut security);
        }
        anything.then_some(security)
    }

    /// `security.certificates.secrets`: the user's Secrets stand in for
    /// cert-manager's, one for each certificate the render needs.
    fn own_secrets(&mut self, own: &CertificateSecretsSpec, issuer: bool, security: &mut Security) {
        let at = "security.certificates.secrets";
        if issuer {
            self.key_error(
                at,
                "`security.certificates.secrets` and `security.certificates.issuer` exclude each other: either cert-manager makes the Secrets or you do",
            )
            .with_help("remove one of them");
        }
        security.certificates = Certificates::Secrets;
        if !security.tls() {
            self.warn(
                at,
                "`security.certificates.secrets` has no effect: no listener uses TLS",
            );
            return;
        }
        let needed = [
            ("brokers", &own.brokers, true, "a listener has TLS"),
            (
                "admin",
                &own.admin,
                security.admin(),
                "the internal listener demands client certificates (the Jobs log in as kafkagen's admin)",
            ),
        ];
        for (field, name, wanted, why) in needed {
            let path = format!("{at}.{field}");
            match (name, wanted) {
                (Some(n), _) if !is_dns_subdomain(n) => {
                    self.error(
                        &path,
                        format!("`{path}` \"{n}\" is not a valid Kubernetes name"),
                    );
                }
                (Some(_), false) => {
                    self.warn(
                        &path,
                        format!("`{path}` has no effect: nothing mounts this certificate"),
                    );
                }
                (None, true) => {
                    self.key_error(at, format!("`{at}` names no `{field}` Secret, but {why}"))
                        .with_help(format!(
                            "add `{field}: <Secret name>`; `kafkagen describe` lists what it must hold"
                        ));
                }
                _ => {}
            }
        }
        if security.admin() && own.brokers.is_some() && own.brokers == own.admin {
            self.error(
                &format!("{at}.admin"),
                "`security.certificates.secrets.admin` names the brokers' Secret: the Jobs' certificate has a subject of its own (`CN=<name>-admin`), so it needs a Secret of its own",
            );
        }
        if let Some(brokers) = &own.brokers {
            security.broker_secret = brokers.clone();
        }
        if let Some(admin) = &own.admin {
            security.admin_secret = admin.clone();
        }
    }

    /// Kafka's standard authorizer: every principal the brokers and the
    /// Jobs speak as must be proven by a certificate, or it would be
    /// `User:ANONYMOUS`, whom a super user would let do anything.
    fn authorization(
        &mut self,
        a: &AuthorizationSpec,
        internal: ListenerSecurity,
        inter_broker: ListenerSecurity,
        controller: Option<ListenerSecurity>,
    ) -> Vec<String> {
        let path = "security.authorization";
        let mtls = |l: ListenerSecurity| l.authentication == Authentication::Mtls;
        if !mtls(internal) {
            self.key_error(
                path,
                "with authorization on, the internal listener must demand client certificates: the topics, users and ACLs Jobs log in there as kafkagen's admin",
            )
            .with_help("set `security.listeners.internal: {tls: true, authentication: mtls}`");
        }
        let replicates_apart = inter_broker != ListenerSecurity::default();
        if replicates_apart && !mtls(inter_broker) {
            self.key_error(
                path,
                "with authorization on, brokers must prove who they are to each other: the inter-broker listener must demand client certificates",
            )
            .with_help("set `security.listeners.interBroker: {tls: true, authentication: mtls}`");
        }
        if let Some(c) = controller
            && !mtls(c)
        {
            self.key_error(
                path,
                "with authorization on, brokers and controllers must prove who they are on the KRaft quorum: the controller listener must demand client certificates",
            )
            .with_help("set `security.listeners.controller: {tls: true, authentication: mtls}`");
        }
        let mut out: Vec<String> = Vec::new();
        for (i, name) in a.super_users.iter().enumerate() {
            let p = format!("{path}.superUsers[{i}]");
            if name.is_empty() || name.trim() != name || name.contains(';') {
                self.error(
                    &p,
                    format!("`{p}` \"{name}\" is not a principal name"),
                )
                .with_help("a user's name, or the subject of a certificate; without ';' or spaces at either end");
            } else if name.contains('*') {
                // Kafka's authorizers look the principal up in super.users
                // as it is: `User:*` is a user named `*`, not everyone.
                self.error(
                    &p,
                    format!("`{p}` \"{name}\" is not a wildcard: Kafka compares super users by their whole name, so this makes a super user of whoever presents a certificate whose subject is `CN={}`, and of no one else", name.strip_prefix("User:").unwrap_or(name)),
                )
                .with_help("name each super user; to let every client do something, give ACLs on the resource name `*`");
            } else if let Some(rest) = name.strip_prefix("User:") {
                self.error(
                    &p,
                    format!("`{p}` \"{name}\" starts with `User:`, which kafkagen adds: the brokers would look for `User:{name}`"),
                )
                .with_help(format!("write `{rest}`"));
            } else if !out.contains(name) {
                out.push(name.clone());
            }
        }
        out
    }

    /// A user's ACLs, with Kafka's names for their parts.
    fn acls(&mut self, base: &str, acls: &[AclSpec]) -> Vec<Acl> {
        let mut out = Vec::new();
        for (i, a) in acls.iter().enumerate() {
            let p = format!("{base}.acls[{i}]");
            let name = match (a.resource_type, a.name.as_deref()) {
                (AclResourceType::Cluster, None | Some(CLUSTER_NAME)) => CLUSTER_NAME.to_string(),
                (AclResourceType::Cluster, Some(other)) => {
                    self.error(
                        &format!("{p}.name"),
                        format!("`{p}.name` \"{other}\": the cluster resource is always named `{CLUSTER_NAME}`"),
                    );
                    other.to_string()
                }
                (_, None) => {
                    self.error(
                        &p,
                        format!(
                            "`{p}` needs a `name`: the resource's name, or `*` for all of them"
                        ),
                    );
                    String::new()
                }
                (_, Some(n)) => {
                    if n != "*" && !is_resource_name(n) {
                        self.error(
                            &format!("{p}.name"),
                            format!("`{p}.name` \"{n}\" is not a name ACLs can take here"),
                        )
                        .with_help("use letters, digits, '.', '_' and '-', or `*` for every resource of the type");
                    }
                    n.to_string()
                }
            };
            if a.pattern_type == PatternType::Prefixed
                && (name == "*" || a.resource_type == AclResourceType::Cluster)
            {
                self.error(
                    &format!("{p}.patternType"),
                    format!("`{p}.patternType` `prefixed` cannot go with the name \"{name}\""),
                );
            }
            if a.operations.is_empty() {
                self.error(
                    &p,
                    format!("`{p}.operations` is empty: name what the user may do"),
                );
            }
            let supported = supported_operations(a.resource_type);
            let mut operations = Vec::new();
            for (j, op) in a.operations.iter().enumerate() {
                let op_path = format!("{p}.operations[{j}]");
                match OPERATIONS.iter().find(|(n, _)| n.eq_ignore_ascii_case(op)) {
                    Some((n, kafka)) if *n == "All" || supported.contains(n) => {
                        if !operations.contains(kafka) {
                            operations.push(*kafka);
                        }
                    }
                    Some((n, _)) => {
                        self.error(
                            &op_path,
                            format!(
                                "`{op_path}` `{n}` does not apply to a {} resource",
                                type_name(a.resource_type)
                            ),
                        )
                        .with_help(format!(
                            "a {} takes {}, or All",
                            type_name(a.resource_type),
                            supported.join(", ")
                        ));
                    }
                    None => {
                        let d = self.error(
                            &op_path,
                            format!("`{op_path}` \"{op}\" is not a Kafka operation"),
                        );
                        match crate::suggest::suggest(op, OPERATIONS.iter().map(|(n, _)| *n)) {
                            Some(s) => d.with_help(format!("did you mean `{s}`?")),
                            None => d.with_help(format!(
                                "operations are {}",
                                OPERATIONS
                                    .iter()
                                    .map(|(n, _)| *n)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )),
                        };
                    }
                }
            }
            out.push(Acl {
                resource_type: a.resource_type,
                name,
                pattern_type: a.pattern_type,
                operations,
                permission: a.permission,
            });
        }
        out
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
        let listeners = listeners::brokers(exposure, QuorumKind::ZooKeeper, Some(s), &[]);
        let mut managed: Vec<String> = broker_properties::security(&listeners)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        if s.authorization.is_some() {
            managed.extend([AUTHORIZER.into(), SUPER_USERS.into()]);
        }
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

    /// Where an external listener without logins is reported: its
    /// `authentication` when the spec writes it, else the exposure mode.
    fn external_authentication_path(&self) -> &'static str {
        if self
            .loc
            .exact("security.listeners.external.authentication")
            .is_some()
        {
            "security.listeners.external.authentication"
        } else {
            "kafka.exposure.mode"
        }
    }

    /// An exposed external listener without authentication lets anyone who
    /// reaches it read and write every topic.
    fn open_external(&mut self, s: &SecuritySpec, exposure: &Exposure, ext: ListenerSecurity) {
        if matches!(exposure, Exposure::Internal) || ext.authentication != Authentication::None {
            return;
        }
        let path = self.external_authentication_path();
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
        users: &[crate::cluster_spec::UserSpec],
        listeners: [ListenerSecurity; 3],
        names: &Names,
    ) -> Vec<User> {
        let reserved = names.own_identities();
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
            } else if let Some((_, whose)) = reserved.iter().find(|(n, _)| *n == u.name) {
                self.error(
                    &format!("{base}.name"),
                    format!("`{base}.name` \"{}\" is kafkagen's own: `User:{}` is who {whose} prove to be, a super user; a user by this name, with a password or a certificate, could do anything", u.name, u.name),
                )
                .with_help(format!("choose another name: `{}` and `{}` are reserved in this cluster", reserved[0].0, reserved[1].0));
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
            let acls = self.acls(&base, &u.acls);
            out.push(User {
                name: u.name.clone(),
                credential,
                acls,
            });
        }
        out
    }
}

/// The cluster resource's only name.
pub const CLUSTER_NAME: &str = "kafka-cluster";

/// Kafka's ACL operations: as `kafka-acls` takes them, and as Kafka names
/// them (`AclOperation`).
const OPERATIONS: &[(&str, &str)] = &[
    ("All", "ALL"),
    ("Read", "READ"),
    ("Write", "WRITE"),
    ("Create", "CREATE"),
    ("Delete", "DELETE"),
    ("Alter", "ALTER"),
    ("Describe", "DESCRIBE"),
    ("ClusterAction", "CLUSTER_ACTION"),
    ("DescribeConfigs", "DESCRIBE_CONFIGS"),
    ("AlterConfigs", "ALTER_CONFIGS"),
    ("IdempotentWrite", "IDEMPOTENT_WRITE"),
];

/// What each resource type takes besides All, as Kafka's `AclEntry`
/// lists it (`kafka-acls` refuses the rest).
fn supported_operations(t: AclResourceType) -> &'static [&'static str] {
    match t {
        AclResourceType::Topic => &[
            "Read",
            "Write",
            "Create",
            "Describe",
            "Delete",
            "Alter",
            "DescribeConfigs",
            "AlterConfigs",
        ],
        AclResourceType::Group => &[
            "Read",
            "Describe",
            "Delete",
            "DescribeConfigs",
            "AlterConfigs",
        ],
        AclResourceType::Cluster => &[
            "Create",
            "ClusterAction",
            "DescribeConfigs",
            "AlterConfigs",
            "IdempotentWrite",
            "Alter",
            "Describe",
        ],
        AclResourceType::TransactionalId => &["Describe", "Write"],
    }
}

fn type_name(t: AclResourceType) -> &'static str {
    match t {
        AclResourceType::Topic => "topic",
        AclResourceType::Group => "group",
        AclResourceType::Cluster => "cluster",
        AclResourceType::TransactionalId => "transactionalId",
    }
}

/// A name the ACLs Job can carry on one line: a topic's characters.
fn is_resource_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 249
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// A Secret's data key: letters, digits, '-', '_' and '.'.
fn is_secret_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 253
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}
