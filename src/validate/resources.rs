//! `resources` and `heapPercent` of brokers, ZooKeeper and controllers:
//! requests, limits, and the JVM heap sized from the memory limit.

use super::{Annotate, Validator, quantity};
use crate::cluster::Resources;
use crate::cluster_spec::{ResourcesSpec, Scalar};

const MIN_HEAP_MIB: u64 = 128;

impl Validator<'_> {
    pub(super) fn resources(
        &mut self,
        section: &str,
        r: &ResourcesSpec,
        heap_percent: u32,
    ) -> (Resources, u64) {
        let mut q = |kind: &str, res: &str, value: &Option<Scalar>| -> Option<f64> {
            let v = value.as_ref()?;
            let p = format!("{section}.resources.{kind}.{res}");
            match quantity::parse(&v.0) {
                Some(x) if x >= 0.0 => Some(x),
                _ => {
                    self.error(
                        &p,
                        format!("`{p}` \"{}\" is not a Kubernetes quantity", v.0),
                    )
                    .with_help(if res == "cpu" {
                        "write CPU as cores or millicores, such as 1 or 500m"
                    } else {
                        "write memory with a unit, such as 2Gi or 512Mi"
                    });
                    None
                }
            }
        };
        let req_cpu = q("requests", "cpu", &r.requests.cpu);
        let req_mem = q("requests", "memory", &r.requests.memory);
        let lim_cpu = q("limits", "cpu", &r.limits.cpu);
        let lim_mem = q("limits", "memory", &r.limits.memory);
        for (res, req, lim) in [("cpu", req_cpu, lim_cpu), ("memory", req_mem, lim_mem)] {
            if let (Some(a), Some(b)) = (req, lim)
                && a > b
            {
                let p = format!("{section}.resources.requests.{res}");
                self.error(
                    &p,
                    format!("`{p}` is above `{section}.resources.limits.{res}`"),
                );
            }
        }
        for (res, value) in [("cpu", &r.requests.cpu), ("memory", &r.requests.memory)] {
            if value.is_none() {
                let p = format!("{section}.resources.requests");
                self.error(
                    &p,
                    format!("`{p}.{res}` is required: the scheduler places pods by their requests"),
                )
                .with_help(if res == "cpu" {
                    "add `cpu: 500m` (for example)"
                } else {
                    "add `memory: 2Gi` (for example)"
                });
            }
        }
        let hp = format!("{section}.heapPercent");
        let mut heap_mib = 0;
        if heap_percent == 0 || heap_percent >= 100 {
            self.error(
                &hp,
                format!("`{hp}` must be from 1 to 99, found {heap_percent}: the heap must stay below the memory limit"),
            )
            .with_help("about 50 leaves the rest to the page cache Kafka relies on");
        } else if r.limits.memory.is_none() {
            let p = format!("{section}.resources.limits");
            self.error(
                &p,
                format!(
                    "`{section}.resources.limits.memory` is required: the JVM heap is sized from it"
                ),
            )
            .with_help("add `memory: 2Gi` (for example) under limits");
        } else if let Some(limit) = lim_mem {
            heap_mib = (limit * f64::from(heap_percent) / 100.0 / 1048576.0).floor() as u64;
            if heap_mib < MIN_HEAP_MIB {
                let p = format!("{section}.resources.limits.memory");
                self.error(
                    &p,
                    format!(
                        "the JVM heap would be {heap_mib} MiB ({heap_percent}% of `{p}`), below the {MIN_HEAP_MIB} MiB it needs"
                    ),
                )
                .with_help("raise the memory limit or heapPercent");
            } else if heap_percent > 80 {
                self.warn(
                    &hp,
                    format!("`{hp}` is {heap_percent}: little memory is left for the page cache and JVM overhead"),
                )
                .with_help("about 50 is the usual choice");
            }
        }
        let text = |s: &Option<Scalar>| s.as_ref().map(|v| v.0.clone());
        (
            Resources {
                requests_cpu: text(&r.requests.cpu),
                requests_memory: text(&r.requests.memory),
                limits_cpu: text(&r.limits.cpu),
                limits_memory: text(&r.limits.memory),
            },
            heap_mib,
        )
    }
}
