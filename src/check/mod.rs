//! The rendered manifests checked before anything is emitted: each read
//! into its Kubernetes type and written back (`manifest`), then the rules
//! across objects (`rules`).

pub mod custom;
pub mod manifest;
pub mod rules;
