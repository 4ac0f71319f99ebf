//! `check --against LIVE --steps DIR`: a change that is safe only as
//! ordered renders (exit 4, "needs steps"), rendered as those renders.
//! Each step is the target cluster with what it must keep from before
//! (`Transition`, or a broker setting), rendered through the same stages as
//! any spec; each must be safe in one roll from the one before, which
//! [`safety::assess`] checks before anything is written.

use super::committed::{Key, Object};
use super::drift::key_of;
use super::safety::{self, Severity, protocol, versions};
use crate::check::manifest::Manifest;
use crate::cluster::{Cluster, ListenerSecurity};
use crate::cluster_spec::Authentication;
use serde_json::Value;

/// One render of a change, in order.
pub struct Step {
    /// The step's directory name after its number: `add-replication-listener`.
    pub slug: String,
    /// What applying it does.
    pub what: String,
    /// What to verify before the next step.
    pub wait: String,
    pub cluster: Cluster,
}

/// The steps' renders, each with its manifests.
pub struct Rendered {
    pub step: Step,
    pub manifests: Vec<Manifest>,
}

/// What every roll of a step waits for before the next one starts.
fn rolled(c: &Cluster, then: &str) -> String {
    format!(
        "every pod of the rolled StatefulSets ready on the new render (kubectl -n {ns} rollout status statefulset), \
         and no under-replicated partition (kafka-topics.sh --describe --under-replicated-partitions prints nothing){then}",
        ns = c.namespace
    )
}

/// The brokers' workload of a set of objects: its listeners and version.
fn brokers<'a>(values: impl Iterator<Item = (&'a Key, &'a Value)>) -> Option<&'a Value> {
    values
        .filter(|(k, _)| k.kind == "StatefulSet" || k.kind == "Deployment")
        .map(|(_, v)| v)
        .find(|v| protocol::read(v).is_some_and(|l| l.broker))
}

/// A listener's security as the spec says it (`tls`, `authentication`).
fn spec_security(s: &protocol::Security) -> ListenerSecurity {
    ListenerSecurity {
        tls: s.protocol.ends_with("SSL"),
        authentication: if s.certificate {
            Authentication::Mtls
        } else if s.sasl.iter().any(|m| m == "SCRAM-SHA-512") {
            Authentication::ScramSha512
        } else {
            Authentication::None
        },
    }
}

/// A listener name the model renders, from a name read from env.
fn known_listener(name: &str) -> Option<&'static str> {
    use crate::listeners::{INTERNAL, REPLICATION};
    [INTERNAL.name, REPLICATION.name]
        .into_iter()
        .find(|n| *n == name)
}

/// The steps from the committed objects to `target`, whose render is
/// `rendered`; an error says why kafkagen renders none for this change.
/// `keep_inter_broker` validates the target's spec with the brokers' own
/// listener (REPLICATION) secured as given: the way back keeps it a roll
/// longer.
pub fn plan(
    committed: &[Object],
    target: &Cluster,
    rendered: &[Manifest],
    keep_inter_broker: &dyn Fn(ListenerSecurity) -> Result<Cluster, String>,
) -> Result<Vec<Step>, String> {
    let old = brokers(committed.iter().map(|o| (&o.key, &o.value)))
        .ok_or("the committed manifests hold no brokers")?;
    let keys: Vec<(Key, &Value)> = rendered.iter().map(|m| (key_of(m), &m.value)).collect();
    let new = brokers(keys.iter().map(|(k, v)| (k, *v))).ok_or("the render holds no brokers")?;
    let (o, n) = (
        protocol::read(old).ok_or("the committed brokers have no listeners")?,
        protocol::read(new).ok_or("the rendered brokers have no listeners")?,
    );
    let (vo, vn) = (versions::read(old), versions::read(new));
    let mut kinds = Vec::new();

    let mut steps = Vec::new();
    // The inter-broker listener: add the new one, then switch to it; or
    // switch back, then remove it.
    if let (Some(x), Some(y)) = (&o.inter_broker, &n.inter_broker)
        && (x != y || o.by_name.get(x) != n.by_name.get(x))
    {
        kinds.push("the inter-broker listener");
        if x == y {
            return Err(format!(
                "the inter-broker listener {x} changes in place; kafkagen renders steps that move replication to another listener, not this"
            ));
        }
        let kept_x = o.by_name.contains_key(x) && o.by_name.get(x) == n.by_name.get(x);
        let kept_y = o.by_name.contains_key(y) && o.by_name.get(y) == n.by_name.get(y);
        if kept_x && !kept_y {
            // Y is new (or changes): every broker gets it first, still
            // replicating on X.
            let mut first = target.clone();
            first.transition.inter_broker = Some(known_listener(x).ok_or_else(|| {
                format!("the committed inter-broker listener {x} is not one kafkagen renders")
            })?);
            steps.push(Step {
                slug: format!("add-{}-listener", y.to_lowercase()),
                what: format!(
                    "every broker gets the {y} listener ({}), replicating on {x} as before",
                    n.by_name[y]
                ),
                wait: rolled(target, ""),
                cluster: first,
            });
            steps.push(Step {
                slug: format!("replicate-on-{}", y.to_lowercase()),
                what: format!("brokers replicate on {y}; {x} stays as it is"),
                wait: rolled(target, ""),
                cluster: target.clone(),
            });
        } else if kept_y && !n.by_name.contains_key(x) {
            // The way back: Y was there before X came; switch to Y while X
            // stays, then remove X.
            let security = spec_security(&o.by_name[x]);
            let mut first = keep_inter_broker(security).map_err(|why| {
                format!("the {x} listener as it was does not render beside this spec: {why}")
            })?;
            first.transition.inter_broker = Some(known_listener(y).ok_or_else(|| {
                format!("the inter-broker listener {y} is not one kafkagen renders")
            })?);
            steps.push(Step {
                slug: format!("replicate-on-{}", y.to_lowercase()),
                what: format!("brokers replicate on {y}; {x} stays as it is"),
                wait: rolled(target, ""),
                cluster: first,
            });
            steps.push(Step {
                slug: format!("remove-{}-listener", x.to_lowercase()),
                what: format!("the {x} listener goes"),
                wait: rolled(target, ""),
                cluster: target.clone(),
            });
        } else {
            return Err(format!(
                "inter.broker.listener.name {x} -> {y} with both listeners changing; change one at a time"
            ));
        }
    }
    // The quorum's listener: add the new one beside it, reach the quorum
    // by the new one, then remove the old one.
    if let (Some(a), Some(b)) = (o.controller.first(), n.controller.first())
        && (a != b || o.by_name.get(a) != n.by_name.get(b))
    {
        kinds.push("the quorum's listener");
        let (Some(was), Some(will)) = (o.by_name.get(a), n.by_name.get(b)) else {
            return Err(format!(
                "the quorum's listeners {a} and {b} have no security protocol"
            ));
        };
        let (old, new) = (spec_security(was), spec_security(will));
        if old.tls == new.tls {
            return Err(format!(
                "the quorum's listener {a} changes in place ({was} -> {will}); kafkagen renders steps that move the quorum between a plain and a TLS listener, not this"
            ));
        }
        if old.tls && !target.security.as_ref().is_some_and(|s| s.tls()) {
            return Err(format!(
                "the way back from {a} keeps a TLS listener two rolls longer, but this render has no certificates for it: keep TLS on another listener until the quorum has moved"
            ));
        }
        let mut both = target.clone();
        both.transition.quorum = Some([old, new]);
        let mut moved = target.clone();
        moved.transition.quorum = Some([new, old]);
        let quorum_wait = rolled(
            target,
            ", and the quorum has a leader and every voter caught up (kafka-metadata-quorum.sh describe --status)",
        );
        steps.push(Step {
            slug: format!("add-{}-listener", b.to_lowercase()),
            what: format!(
                "every controller gets the {b} listener ({will}); nodes reach the quorum by {a} as before"
            ),
            wait: quorum_wait.clone(),
            cluster: both,
        });
        steps.push(Step {
            slug: format!("reach-quorum-on-{}-listener", b.to_lowercase()),
            what: format!(
                "every node reaches the quorum by {b}, the voters at its port; {a} stays for nodes not yet rolled"
            ),
            wait: quorum_wait.clone(),
            cluster: moved,
        });
        steps.push(Step {
            slug: format!("remove-{}-listener", a.to_lowercase()),
            what: format!("the {a} listener goes"),
            wait: quorum_wait.clone(),
            cluster: target.clone(),
        });
    }
    // Authorization: first with everyone allowed where no ACL is, then not.
    if o.broker && o.authorizer.is_none() && n.authorizer.is_some() && !n.allow_everyone {
        kinds.push("authorization");
        let mut first = target.clone();
        first
            .kafka
            .config
            .push(("allow.everyone.if.no.acl.found".into(), "true".into()));
        steps.push(Step {
            slug: "authorizer-allowing-everyone".into(),
            what: "the authorizer turns on, resources without ACLs still open to everyone; the ACLs Job applies the declared ACLs".into(),
            wait: rolled(
                target,
                ", the ACLs Job completed, and every client's principal has the ACLs it needs (kafka-acls.sh --list)",
            ),
            cluster: first,
        });
        steps.push(Step {
            slug: "authorizer".into(),
            what: "resources without ACLs are refused".into(),
            wait: rolled(target, ""),
            cluster: target.clone(),
        });
    }
    // A newer Kafka line in ZooKeeper mode: the protocol pinned, then raised.
    if let (Some(a), Some(b)) = (vo.line, vn.line)
        && b > a
        && !vn.kraft
        && vn.ibp.is_none_or(|p| p > a)
    {
        kinds.push("the Kafka version");
        let line = versions::show(a);
        let mut first = target.clone();
        first
            .kafka
            .config
            .retain(|(k, _)| k != "inter.broker.protocol.version");
        first
            .kafka
            .config
            .push(("inter.broker.protocol.version".into(), line.clone()));
        steps.push(Step {
            slug: "new-image-protocol-pinned".into(),
            what: format!(
                "every broker runs {}, speaking the {line} inter-broker protocol",
                vn.image.as_deref().unwrap_or("the new image")
            ),
            wait: rolled(target, ""),
            cluster: first,
        });
        steps.push(Step {
            slug: "protocol-raised".into(),
            what: format!(
                "the inter-broker protocol is raised to {}: from here there is no way back to {line}",
                versions::show(b)
            ),
            wait: rolled(target, ""),
            cluster: target.clone(),
        });
    }
    // A newer Kafka line under KRaft: the new binaries, then the
    // metadata.version raised by a Job.
    if let (Some(a), Some(b)) = (vo.line, vn.line)
        && b > a
        && vn.kraft
    {
        kinds.push("the Kafka version");
        let (va, vb) = (versions::show(a), versions::show(b));
        steps.push(Step {
            slug: "new-image".into(),
            what: format!(
                "every node runs {}; metadata.version stays at {va}, so this step can still be rolled back",
                vn.image.as_deref().unwrap_or("the new image")
            ),
            wait: rolled(target, ""),
            cluster: target.clone(),
        });
        let mut raised = target.clone();
        raised.transition.metadata_version = Some(vb.clone());
        steps.push(Step {
            slug: "metadata-version-raised".into(),
            what: format!(
                "a Job raises metadata.version to {vb} (kafka-features upgrade --metadata {vb}): from here there is no way back to {va}"
            ),
            wait: format!(
                "the metadata.version Job completed (kubectl -n {} wait --for=condition=complete job -l app.kubernetes.io/instance={},app.kubernetes.io/component=features); \
                 kafka-features.sh describe shows metadata.version {vb}",
                target.namespace, target.name
            ),
            cluster: raised,
        });
    }
    if kinds.len() > 1 {
        return Err(format!(
            "{} each need steps: render the steps of one change at a time",
            kinds.join(" and ")
        ));
    }
    if steps.is_empty() {
        return Err(
            "kafkagen renders no steps for this change yet; the plan above lists them".into(),
        );
    }
    Ok(steps)
}

/// Each rendered step against the one before it (the committed objects
/// for the first): the first that is not safe in one roll, with its plan.
pub fn unsafe_step(committed: &[Object], rendered: &[Rendered]) -> Option<(usize, String)> {
    let mut before: Vec<Object> = committed.to_vec();
    for (i, r) in rendered.iter().enumerate() {
        let plan = safety::assess(&before, &r.manifests);
        // A roll that a later step finishes (the new Kafka, then its
        // metadata.version) is safe, but not as the last step.
        let finished_later = plan.safe_but_unfinished() && i + 1 < rendered.len();
        if plan.severity() > Severity::Safe && !finished_later {
            return Some((i + 1, plan.report()));
        }
        before = r
            .manifests
            .iter()
            .map(|m| Object {
                key: key_of(m),
                value: m.value.clone(),
                file: String::new(),
            })
            .collect();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{self, Options};
    use crate::source::Sources;

    fn render(spec: &str) -> pipeline::Outcome {
        pipeline::run(
            &Options::for_bytes("spec.yaml", spec.as_bytes().to_vec()),
            &mut Sources::default(),
        )
        .unwrap()
    }

    fn objects(m: &[Manifest]) -> Vec<Object> {
        m.iter()
            .map(|m| Object {
                key: key_of(m),
                value: m.value.clone(),
                file: String::new(),
            })
            .collect()
    }

    /// The committed objects of `before`'s render, and the steps to
    /// `after`, each rendered.
    fn planned(before: &str, after: &str) -> (Vec<Object>, Vec<Rendered>) {
        let (before, after) = (render(before), render(after));
        let committed = objects(&before.manifests);
        let no_keep = |_: ListenerSecurity| -> Result<Cluster, String> { Err("unused".into()) };
        let steps = plan(&committed, &after.cluster, &after.manifests, &no_keep).unwrap();
        let rendered = steps
            .into_iter()
            .map(|step| {
                let (_, manifests) = pipeline::render_cluster(&step.cluster, None).unwrap();
                Rendered { step, manifests }
            })
            .collect();
        (committed, rendered)
    }

    const OPEN: &str = "name: p\nprofile: production\nsecurity:\n  listeners:\n    interBroker: {tls: false, authentication: none}\n";
    const CLOSED: &str = "name: p\nprofile: production\n";

    #[test]
    fn a_step_that_skips_its_step_before_is_caught() {
        let (committed, rendered) = planned(OPEN, CLOSED);
        assert_eq!(unsafe_step(&committed, &rendered), None);
        // The switch alone, without the listener added first.
        let skipped: Vec<Rendered> = rendered.into_iter().skip(1).collect();
        let (n, report) = unsafe_step(&committed, &skipped).expect("caught");
        assert_eq!(n, 1);
        assert!(
            report.contains("inter.broker.listener.name changes from INTERNAL to REPLICATION"),
            "{report}"
        );
    }

    #[test]
    fn a_kraft_upgrade_without_its_raise_is_not_a_last_step() {
        let old = "name: q\nmode: kraft\nkafka:\n  image: apache/kafka:3.9.1\n";
        let new = "name: q\nmode: kraft\n";
        let (committed, rendered) = planned(old, new);
        assert_eq!(rendered.len(), 2);
        assert_eq!(unsafe_step(&committed, &rendered), None);
        // The new image alone, as the last step: metadata.version is left.
        let alone: Vec<Rendered> = rendered.into_iter().take(1).collect();
        let (n, report) = unsafe_step(&committed, &alone).expect("caught");
        assert_eq!(n, 1);
        assert!(report.contains("needs a step after this roll"), "{report}");
    }
}
