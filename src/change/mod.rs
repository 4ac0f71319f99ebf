//! What changes between the manifests already committed or applied and a
//! new render: reading them (`committed`), the difference (`drift`), what
//! applying it does (`safety`: Kubernetes' rules, listeners and
//! authorization, Kafka versions), and the steps that make an unsafe change
//! safe (`steps`).

pub mod committed;
pub mod drift;
pub mod safety;
pub mod steps;
