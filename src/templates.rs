//! The built-in templates' text, embedded in the binary: what `render`
//! prints through, and what a Job's name hashes (`model/jobs.rs`), so a new
//! script gets a new Job. Data only, below both.

/// Every embedded template by name.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "namespace.yaml.j2",
        include_str!("../templates/namespace.yaml.j2"),
    ),
    (
        "service-account.yaml.j2",
        include_str!("../templates/service-account.yaml.j2"),
    ),
    (
        "network-policies.yaml.j2",
        include_str!("../templates/network-policies.yaml.j2"),
    ),
    (
        "component/pods-config.yaml.j2",
        include_str!("../templates/component/pods-config.yaml.j2"),
    ),
    (
        "component/services.yaml.j2",
        include_str!("../templates/component/services.yaml.j2"),
    ),
    (
        "component/disruption-budget.yaml.j2",
        include_str!("../templates/component/disruption-budget.yaml.j2"),
    ),
    (
        "component/volume-claim.yaml.j2",
        include_str!("../templates/component/volume-claim.yaml.j2"),
    ),
    (
        "component/workload.yaml.j2",
        include_str!("../templates/component/workload.yaml.j2"),
    ),
    (
        "kafka/external-services.yaml.j2",
        include_str!("../templates/kafka/external-services.yaml.j2"),
    ),
    (
        "kafka/topics-job.yaml.j2",
        include_str!("../templates/kafka/topics-job.yaml.j2"),
    ),
    (
        "kafka/users-job.yaml.j2",
        include_str!("../templates/kafka/users-job.yaml.j2"),
    ),
    (
        "kafka/acls-job.yaml.j2",
        include_str!("../templates/kafka/acls-job.yaml.j2"),
    ),
    (
        "kafka/tls-reload-job.yaml.j2",
        include_str!("../templates/kafka/tls-reload-job.yaml.j2"),
    ),
    (
        "kafka/features-job.yaml.j2",
        include_str!("../templates/kafka/features-job.yaml.j2"),
    ),
    (
        "kafka/client-job.yaml.j2",
        include_str!("../templates/kafka/client-job.yaml.j2"),
    ),
    (
        "metrics.yaml.j2",
        include_str!("../templates/metrics.yaml.j2"),
    ),
    (
        "security.yaml.j2",
        include_str!("../templates/security.yaml.j2"),
    ),
    // Included by the others, not rendered on its own.
    (
        "container-security.yaml.j2",
        include_str!("../templates/container-security.yaml.j2"),
    ),
];

/// The text of a built-in template.
pub fn builtin(name: &str) -> Option<&'static str> {
    TEMPLATES.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}
