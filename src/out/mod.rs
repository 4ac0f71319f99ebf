//! Where checked manifests go: printed (`emit`), written to a directory
//! (`out_dir`), or compared with manifests already committed (`committed`,
//! `drift`, and what applying the difference does, `safety`).

pub mod committed;
pub mod drift;
pub mod emit;
pub mod out_dir;
pub mod safety;
pub mod steps;
