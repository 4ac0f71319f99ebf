//! `zookeeper`: the ensemble's size and workload, and its image.

use super::{Annotate, Validator};
use crate::cluster::Flavor;
use crate::cluster::ZooKeeper;
use crate::cluster_spec::{Workload, ZooKeeperSpec};

const MAX_ZOOKEEPERS: u32 = 255;

impl Validator<'_> {
    pub(super) fn zookeeper(&mut self, z: &ZooKeeperSpec) -> ZooKeeper {
        let path = "zookeeper.replicas";
        if z.replicas == 0 || z.replicas > MAX_ZOOKEEPERS {
            self.error(
                path,
                format!(
                    "`{path}` must be from 1 to {MAX_ZOOKEEPERS}, found {}",
                    z.replicas
                ),
            );
        } else if z.replicas.is_multiple_of(2) {
            self.warn(
                path,
                format!(
                    "`{path}` is {}: an even ensemble tolerates no more failures than {} nodes",
                    z.replicas,
                    z.replicas - 1
                ),
            )
            .with_help(format!(
                "use {} or {} replicas",
                z.replicas - 1,
                z.replicas + 1
            ));
        }
        if z.workload == Workload::Deployment && z.replicas > 1 {
            self.error(
                "zookeeper.workload",
                format!(
                    "`zookeeper.workload: deployment` needs exactly one replica, found {}",
                    z.replicas
                ),
            )
            .with_help("an ensemble needs stable identities; use `workload: statefulset`");
        }
        let ipath = "zookeeper.image";
        match self.image_reference(ipath, &z.image, "confluentinc/cp-zookeeper:7.9.1") {
            None => {}
            Some(img) if self.pinned(ipath, &img) => match (img.flavor, img.version) {
                (Flavor::ConfluentZooKeeper, Some((major, _))) if major >= 8 => {
                    self.error(
                        ipath,
                        format!(
                            "`{ipath}` \"{}\": Confluent Platform {major} has no ZooKeeper",
                            z.image
                        ),
                    )
                    .with_help("use a confluentinc/cp-zookeeper 7.x image");
                }
                (Flavor::ConfluentZooKeeper, _) => {}
                _ => {
                    self.error(
                        ipath,
                        format!("`{ipath}` \"{}\" is not a ZooKeeper image kafkagen knows how to configure", z.image),
                    )
                    .with_help("use confluentinc/cp-zookeeper, under any registry");
                }
            },
            Some(_) => {}
        }
        let storage = self.storage("zookeeper.storage", &z.storage);
        let (resources, heap_mib) = self.resources("zookeeper", &z.resources, z.heap_percent);
        ZooKeeper {
            replicas: z.replicas,
            image: z.image.clone(),
            workload: z.workload,
            storage,
            resources,
            heap_mib,
        }
    }
}
