//! Every object and DNS name derived from the cluster name, in one place.
//! Validation uses it to check lengths and to name the certificate Secrets
//! of the validated cluster; the model uses it to name things.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    pub name: String,
    pub namespace: String,
    pub domain: String,
}

/// Longest object name Kubernetes accepts for names that are DNS labels.
pub const MAX_LABEL: usize = 63;
/// A StatefulSet's pods carry `controller-revision-hash: <sts>-<10 chars>`,
/// a label value of at most 63 characters.
pub const REVISION_HASH_SUFFIX: usize = 11;

impl Names {
    /// The cluster's ServiceAccount, used by every pod.
    pub fn service_account(&self) -> String {
        self.name.clone()
    }
    pub fn kafka(&self) -> String {
        format!("{}-kafka", self.name)
    }
    pub fn kafka_headless(&self) -> String {
        format!("{}-kafka-headless", self.name)
    }
    pub fn kafka_external(&self) -> String {
        format!("{}-kafka-external", self.name)
    }
    pub fn kafka_pod(&self, ordinal: u32) -> String {
        format!("{}-kafka-{ordinal}", self.name)
    }
    pub fn kafka_pod_external(&self, ordinal: u32) -> String {
        format!("{}-kafka-{ordinal}-external", self.name)
    }
    pub fn kafka_pods_config(&self) -> String {
        format!("{}-kafka-pods", self.name)
    }
    pub fn kafka_data(&self) -> String {
        format!("{}-kafka-data", self.name)
    }
    pub fn topics_job(&self, hash: &str) -> String {
        format!("{}-topics-{hash}", self.name)
    }
    pub fn users_job(&self, hash: &str) -> String {
        format!("{}-users-{hash}", self.name)
    }
    pub fn acls_job(&self, hash: &str) -> String {
        format!("{}-acls-{hash}", self.name)
    }
    pub fn features_job(&self, hash: &str) -> String {
        format!("{}-features-{hash}", self.name)
    }
    /// A CronJob, whose name stays: its Jobs' template may change.
    pub fn tls_reload(&self) -> String {
        format!("{}-tls-reload", self.name)
    }
    pub fn zookeeper(&self) -> String {
        format!("{}-zookeeper", self.name)
    }
    pub fn zookeeper_headless(&self) -> String {
        format!("{}-zookeeper-headless", self.name)
    }
    pub fn zookeeper_pod(&self, ordinal: u32) -> String {
        format!("{}-zookeeper-{ordinal}", self.name)
    }
    pub fn zookeeper_pods_config(&self) -> String {
        format!("{}-zookeeper-pods", self.name)
    }
    pub fn zookeeper_data(&self) -> String {
        format!("{}-zookeeper-data", self.name)
    }

    pub fn controller(&self) -> String {
        format!("{}-controller", self.name)
    }
    pub fn controller_headless(&self) -> String {
        format!("{}-controller-headless", self.name)
    }
    pub fn controller_pod(&self, ordinal: u32) -> String {
        format!("{}-controller-{ordinal}", self.name)
    }
    pub fn controller_pods_config(&self) -> String {
        format!("{}-controller-pods", self.name)
    }

    /// The brokers' certificate Secret, cert-manager's or the user's own.
    pub fn broker_secret(&self) -> String {
        format!("{}-tls", self.kafka())
    }
    /// A user's client certificate Secret.
    pub fn user_secret(&self, user: &str) -> String {
        format!("{}-user-{user}", self.name)
    }
    /// The certificate the Jobs log in with when the internal listener
    /// demands one, as cert-manager's Secret.
    pub fn admin_secret(&self) -> String {
        self.admin()
    }
    /// The Jobs' certificate's common name: the principal's name.
    pub fn admin(&self) -> String {
        format!("{}-admin", self.name)
    }

    /// The user names kafkagen's own certificates prove, with whose they
    /// are: each is a super user with authorization on, so no declared
    /// user may take one.
    pub fn own_identities(&self) -> [(String, &'static str); 2] {
        [
            (self.kafka(), "the brokers and controllers"),
            (self.admin(), "the Jobs"),
        ]
    }

    /// `<pod>.<headless>.<ns>.svc.<domain>`
    pub fn pod_dns(&self, pod: &str, headless: &str) -> String {
        format!("{pod}.{headless}.{}.svc.{}", self.namespace, self.domain)
    }

    /// `<service>.<ns>.svc.<domain>`
    pub fn service_dns(&self, service: &str) -> String {
        format!("{service}.{}.svc.{}", self.namespace, self.domain)
    }

    /// The longest name derived for a cluster of this size, with the limit
    /// it must fit: `(derived, limit)`.
    /// `zookeepers` and `controllers` are 0 when there are none.
    pub fn longest(&self, brokers: u32, zookeepers: u32, controllers: u32) -> Vec<(String, usize)> {
        let last_broker = brokers.saturating_sub(1);
        let last_zk = zookeepers.saturating_sub(1);
        let mut names = vec![
            (self.kafka_headless(), MAX_LABEL),
            (self.kafka_external(), MAX_LABEL),
            (self.kafka_pod_external(last_broker), MAX_LABEL),
            (self.kafka_pod(last_broker), MAX_LABEL),
            (self.kafka_pods_config(), MAX_LABEL),
            (self.topics_job("00000000"), MAX_LABEL),
            (self.kafka(), MAX_LABEL - REVISION_HASH_SUFFIX),
        ];
        if zookeepers > 0 {
            names.extend([
                (self.zookeeper_headless(), MAX_LABEL),
                (self.zookeeper_pod(last_zk), MAX_LABEL),
                (self.zookeeper_pods_config(), MAX_LABEL),
                (self.zookeeper(), MAX_LABEL - REVISION_HASH_SUFFIX),
            ]);
        }
        if controllers > 0 {
            names.extend([
                (self.controller_headless(), MAX_LABEL),
                (self.controller_pod(controllers - 1), MAX_LABEL),
                (self.controller_pods_config(), MAX_LABEL),
                (self.controller(), MAX_LABEL - REVISION_HASH_SUFFIX),
            ]);
        }
        names
    }
}
