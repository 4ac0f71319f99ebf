//! spec -> profile merge -> validate -> model -> render -> check -> emit,
//! in one direction. Nothing is emitted unless every stage succeeded.

use crate::check::manifest::{self, Manifest, ManifestError};
use crate::check::rules;
use crate::cluster::Cluster;
use crate::diagnostic::Diagnostic;
use crate::emit;
use crate::input::{self, LoadError, Request};
use crate::model::Model;
use crate::render::{self, RenderError};
use crate::source::Sources;
use crate::{model, validate};
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Clone)]
pub struct Options {
    pub request: Request,
    pub templates: Option<PathBuf>,
}

impl Options {
    /// A spec already in memory, over its own `profile` (or the default),
    /// with the built-in templates: what benches, fuzzing and tests render.
    pub fn for_bytes(name: &str, bytes: Vec<u8>) -> Self {
        Options {
            request: Request {
                spec: crate::input::SpecSource::Bytes {
                    name: name.into(),
                    bytes,
                },
                ..Request::default()
            },
            templates: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error(transparent)]
    Load(LoadError),
    #[error("invalid spec")]
    Invalid(Vec<Diagnostic>),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("rendered manifests failed the schema check")]
    Schema(Vec<ManifestError>),
    #[error("rendered manifests failed the cross-resource checks")]
    Rules(Vec<rules::Violation>),
}

impl From<LoadError> for Failure {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::Invalid(d) => Failure::Invalid(d),
            other => Failure::Load(other),
        }
    }
}

/// Checked manifests in apply order, the spec and the validated cluster
/// they came from, the model (for `describe`), and the spec's warnings.
#[derive(Debug)]
pub struct Outcome {
    pub manifests: Vec<Manifest>,
    /// The spec as decoded: profile, spec and `--set`s merged (for `init`).
    pub spec: crate::cluster_spec::Spec,
    pub model: Model,
    pub cluster: Cluster,
    pub warnings: Vec<Diagnostic>,
}

pub fn run(opts: &Options, sources: &mut Sources) -> Result<Outcome, Failure> {
    let (spec, locations, unknown_keys) = input::load(&opts.request, sources)?;
    let (cluster, warnings) = match validate::validate(&spec, &locations) {
        Ok(ok) if unknown_keys.is_empty() => ok,
        Ok((_, warnings)) => return Err(Failure::Invalid([unknown_keys, warnings].concat())),
        Err(diags) => return Err(Failure::Invalid([unknown_keys, diags].concat())),
    };
    let (model, manifests) = render_cluster(&cluster, opts.templates.as_deref())?;
    Ok(Outcome {
        manifests,
        spec,
        model,
        cluster,
        warnings,
    })
}

/// The stages after validation: model, render, check, in apply order.
/// `check --steps` renders its steps' clusters through here too.
pub fn render_cluster(
    cluster: &Cluster,
    templates: Option<&Path>,
) -> Result<(Model, Vec<Manifest>), Failure> {
    let model = model::build(cluster);
    let docs = render::render(&model, templates)?;
    let mut manifests = Vec::with_capacity(docs.len());
    let mut errors = Vec::new();
    for doc in docs {
        match manifest::check(doc) {
            Ok(m) => manifests.push(m),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(Failure::Schema(errors));
    }
    let broken = rules::check(&manifests);
    if !broken.is_empty() {
        return Err(Failure::Rules(broken));
    }
    emit::order(&mut manifests);
    Ok((model, manifests))
}
