//! `storage` of brokers, ZooKeeper and controllers: a claim or an emptyDir.

use super::{Annotate, Validator, quantity};
use crate::cluster::Storage;
use crate::cluster_spec::StorageSpec;
use crate::dns::is_dns_subdomain;

impl Validator<'_> {
    pub(super) fn storage(&mut self, path: &str, s: &StorageSpec) -> Storage {
        let size_path = format!("{path}.size");
        match quantity::parse(&s.size.0) {
            Some(q) if q > 0.0 => {}
            _ => {
                self.error(
                    &size_path,
                    format!("`{size_path}` \"{}\" is not a positive quantity", s.size.0),
                )
                .with_help("write a size such as 10Gi or 500Mi");
            }
        }
        if let Some(class) = &s.class
            && !is_dns_subdomain(class)
        {
            let p = format!("{path}.class");
            self.error(
                &p,
                format!("`{p}` \"{class}\" is not a valid StorageClass name"),
            );
        }
        if s.ephemeral {
            if s.class.is_some() {
                let p = format!("{path}.class");
                self.warn(&p, format!("`{p}` has no effect with `ephemeral: true`"));
            }
            Storage::Ephemeral {
                size_limit: s.size.0.clone(),
            }
        } else {
            Storage::Persistent {
                size: s.size.0.clone(),
                class: s.class.clone(),
            }
        }
    }
}
