//! `kraft`: the quorum's size, the cluster id, and the voters' storage.

use super::{Annotate, Validator};
use crate::cluster::{Controllers, Kraft, Storage};
use crate::cluster_spec::KraftSpec;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use base64::{Engine, alphabet};

const MAX_CONTROLLERS: u32 = 9;

impl Validator<'_> {
    pub(super) fn kraft(
        &mut self,
        k: &KraftSpec,
        namespace: &str,
        name: &str,
        brokers: u32,
    ) -> Kraft {
        let path = "kraft.controllers";
        let voters = if k.controllers == 0 {
            brokers
        } else {
            k.controllers
        };
        if k.controllers > MAX_CONTROLLERS {
            self.error(
                path,
                format!("`{path}` is {}: a quorum of more than {MAX_CONTROLLERS} controllers slows every metadata write", k.controllers),
            )
            .with_help("3 or 5 controllers suit nearly every cluster");
        } else if k.controllers == 0 && voters > MAX_CONTROLLERS {
            self.error(
                path,
                format!("`{path}: 0` makes all {voters} brokers controllers; a quorum above {MAX_CONTROLLERS} slows every metadata write"),
            )
            .with_help("use dedicated controllers: `controllers: 3`");
        } else if voters == 1 {
            let which = if k.controllers == 0 {
                "the one broker is also the only controller"
            } else {
                "a single controller"
            };
            self.warn(
                path,
                format!("{which}: a single point of failure for the whole cluster"),
            )
            .with_help("use 3 controllers where the cluster must survive a node loss");
        } else if voters.is_multiple_of(2) {
            self.warn(
                path,
                format!(
                    "a quorum of {voters} controllers tolerates no more failures than {}",
                    voters - 1
                ),
            )
            .with_help(format!("use {} or {} controllers", voters - 1, voters + 1));
        }
        let cluster_id = match &k.cluster_id {
            Some(id) => {
                // Java's decoder, which Kafka uses, ignores the 4 spare bits
                // of the last character (Confluent's example id sets them).
                let lenient = GeneralPurpose::new(
                    &alphabet::URL_SAFE,
                    GeneralPurposeConfig::new()
                        .with_decode_allow_trailing_bits(true)
                        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
                );
                let ok = id.len() == 22
                    && !id.starts_with('-')
                    && lenient
                        .decode(id)
                        .is_ok_and(|b| b.len() == 16 && b.iter().any(|x| *x != 0));
                if !ok {
                    self.error(
                        "kraft.clusterId",
                        format!("`kraft.clusterId` \"{id}\" is not a Kafka cluster id"),
                    )
                    .with_help("a cluster id is 16 bytes in base64url, 22 characters not starting with '-' (as `kafka-storage random-uuid` prints); leave it out to derive one from namespace and name");
                }
                id.clone()
            }
            None => derive_cluster_id(namespace, name),
        };
        let controllers = (k.controllers > 0).then(|| {
            let storage = self.storage("kraft.storage", &k.storage);
            let (resources, heap_mib) = self.resources("kraft", &k.resources, k.heap_percent);
            Controllers {
                replicas: k.controllers,
                storage,
                resources,
                heap_mib,
            }
        });
        Kraft {
            cluster_id,
            controllers,
        }
    }

    /// A KRaft voter keeps the metadata log on its data volume. An emptyDir
    /// loses it with the pod, and the image formats a new, empty one on the
    /// next start: with other voters, the node then votes with nothing.
    pub(super) fn voter_storage(&mut self, path: &str, storage: &Storage, voters: u32) {
        if !matches!(storage, Storage::Ephemeral { .. }) {
            return;
        }
        if voters > 1 {
            self.error(
                path,
                format!("KRaft voters on ephemeral storage: a replaced pod starts with an empty metadata log and votes with it, so the quorum can elect a leader without committed metadata and lose it (`{path}`)"),
            )
            .with_label("voters need persistent storage")
            .with_help("remove `ephemeral: true` so that every voter keeps its metadata log on a claim");
        } else {
            self.warn(
                path,
                format!("the only KRaft voter is on ephemeral storage (`{path}`): every replacement of its pod starts an empty cluster, without topics or data"),
            )
            .with_help("remove `ephemeral: true` to keep the cluster across pod replacements");
        }
    }
}

/// A cluster id from namespace and name: the first 16 bytes of their
/// SHA-256 in base64url, the form Kafka's own ids take. Stable across
/// renders, different for every cluster.
/// Like Kafka's own `Uuid.randomUuid()`, it never starts with `-`, which
/// command-line tools would take for an option.
pub fn derive_cluster_id(namespace: &str, name: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut seed = format!("kafkagen/{namespace}/{name}");
    loop {
        let hash = Sha256::digest(seed.as_bytes());
        let id = URL_SAFE_NO_PAD.encode(&hash[..16]);
        if !id.starts_with('-') {
            return id;
        }
        seed.push('/');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_cluster_ids_are_kafka_uuids_unique_per_cluster() {
        let a = derive_cluster_id("kafka", "demo");
        assert_eq!(a, derive_cluster_id("kafka", "demo"));
        assert_ne!(a, derive_cluster_id("kafka", "demo2"));
        assert_ne!(a, derive_cluster_id("other", "demo"));
        assert_eq!(a.len(), 22);
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).unwrap().len(), 16);
        for i in 0..2000 {
            assert!(!derive_cluster_id("ns", &format!("c{i}")).starts_with('-'));
        }
    }
}
