//! The first stage: read the spec, its profile and the `--set` overrides,
//! merge them (profile < spec < --set) and decode the result into a typed
//! [`Spec`] with the location of every field.

pub mod merge;
pub mod overrides;
pub mod profile;

use crate::cluster_spec::Spec;
use crate::cluster_spec::decode::{Decoded, decode};
use crate::diagnostic::Diagnostic;
use crate::input::merge::{lookup, merge, remove};
use crate::source::Sources;
use crate::yaml::{Node, Value, parse_one};
use profile::DEFAULT_PROFILE;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Where the spec text comes from.
#[derive(Debug, Default, Clone)]
pub enum SpecSource {
    /// No spec: the profile alone.
    #[default]
    None,
    /// A file (`-` is stdin).
    Path(PathBuf),
    /// Text already in memory, with the name diagnostics print.
    Bytes { name: String, bytes: Vec<u8> },
}

impl SpecSource {
    /// The spec's directory, against which its `profile` path is resolved.
    fn dir(&self) -> PathBuf {
        match self {
            SpecSource::Path(p) if p.as_os_str() != "-" => {
                p.parent().unwrap_or(Path::new(".")).to_path_buf()
            }
            _ => PathBuf::from("."),
        }
    }
}

/// What the user asked to load.
#[derive(Debug, Default, Clone)]
pub struct Request {
    /// Where the spec comes from.
    pub spec: SpecSource,
    /// `--profile`: wins over the spec's `profile` key.
    pub profile: Option<String>,
    /// `--profiles DIR`: searched before the built-in profiles.
    pub profiles_dir: Option<PathBuf>,
    /// `--set PATH=VALUE`, in order.
    pub sets: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read spec `{}`: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid spec")]
    Invalid(Vec<Diagnostic>),
}

impl From<Diagnostic> for LoadError {
    fn from(d: Diagnostic) -> Self {
        LoadError::Invalid(vec![d])
    }
}

/// The merged spec; its diagnostics are unknown keys, which were skipped.
// A stage of bench/profile.sh's table: kept out of line so that its
// samples are charged to it.
#[inline(never)]
pub fn load(req: &Request, sources: &mut Sources) -> Result<Decoded<Spec>, LoadError> {
    let spec = read_spec(&req.spec, sources)?;
    let mut sets = Vec::new();
    let mut set_errors = Vec::new();
    for arg in &req.sets {
        match crate::input::overrides::parse(arg, sources) {
            Ok(n) => sets.push(n),
            Err(d) => set_errors.push(*d),
        }
    }
    if !set_errors.is_empty() {
        return Err(LoadError::Invalid(set_errors));
    }

    // `profile: null` is no profile, as for every other optional key.
    let spec_profile = spec
        .as_ref()
        .and_then(|s| s.get("profile"))
        .filter(|n| n.value != Value::Null);
    // A profile path is relative to where its name was written: the working
    // directory for --profile, the spec's directory for its `profile` key.
    let spec_dir = req.spec.dir();
    let (profile_name, profile_span, base_dir) = match (&req.profile, spec_profile) {
        (Some(name), _) => (name.clone(), None, PathBuf::from(".")),
        (None, Some(node)) => match &node.value {
            Value::Str(s) => (s.clone(), Some(node.span), spec_dir),
            _ => {
                return Err(Diagnostic::error(format!(
                    "`profile` must be a string, found {}",
                    node.kind()
                ))
                .at(Some(node.span))
                .into());
            }
        },
        (None, None) => (DEFAULT_PROFILE.to_string(), None, PathBuf::from(".")),
    };
    let profile =
        profile::load(&profile_name, req.profiles_dir.as_deref(), &base_dir).map_err(|e| {
            let label = if profile_span.is_some() {
                "in `profile`"
            } else {
                "from --profile"
            };
            Diagnostic::error(e.to_string())
                .at(profile_span)
                .label(label)
                .help(e.help())
        })?;
    let profile_id = sources.add(profile.origin.clone(), profile.text.clone());
    let mut base = parse_one(&profile.text, profile_id).map_err(|e| {
        Diagnostic::error(format!("profile `{}`: {}", profile.name, e.message)).at(Some(e.span))
    })?;
    expect_mapping(&base, &format!("profile `{}`", profile.name))?;
    if let Some(p) = base.get("profile") {
        return Err(Diagnostic::error("a profile cannot name another profile")
            .at(Some(p.span))
            .into());
    }

    // A profile's sections for another mode (or exposure mode) do not apply.
    let layers: Vec<&Node> = spec.iter().chain(sets.iter()).collect();
    let mode = last_string(&layers, &["mode"])
        .or_else(|| string_at(&base, &["mode"]))
        .unwrap_or_else(|| "zookeeper".into());
    for (section, section_mode) in [("zookeeper", "zookeeper"), ("kraft", "kraft")] {
        if mode != section_mode {
            remove(&mut base, section);
        }
    }
    let exposure = ["kafka", "exposure", "mode"];
    if let Some(m) = last_string(&layers, &exposure)
        && string_at(&base, &exposure).is_some_and(|b| b != m)
        && let Value::Map(entries) = &mut base.value
        && let Some(kafka) = entries.iter_mut().find(|e| e.key == "kafka")
    {
        remove(&mut kafka.value, "exposure");
    }

    let mut merged = base;
    for layer in spec.into_iter().chain(sets) {
        merged = merge(merged, layer);
    }
    decode::<Spec>(&merged).map_err(LoadError::Invalid)
}

fn read_spec(source: &SpecSource, sources: &mut Sources) -> Result<Option<Node>, LoadError> {
    let (name, bytes) = match source {
        SpecSource::None => return Ok(None),
        SpecSource::Bytes { name, bytes } => (name.clone(), bytes.clone()),
        SpecSource::Path(path) => read_path(path)?,
    };
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = good.iter().filter(|b| **b == b'\n').count() + 1;
            return Err(Diagnostic::error(format!(
                "{name}: the spec is not UTF-8 text (invalid byte on line {line})"
            ))
            .into());
        }
    };
    let id = sources.add(name.clone(), text);
    let node = parse_one(&sources.get(id).text, id)
        .map_err(|e| Diagnostic::error(format!("invalid YAML: {}", e.message)).at(Some(e.span)))?;
    if node.value == Value::Null {
        return Err(Diagnostic::error(format!("{name}: the spec is empty"))
            .help("write at least `name: my-cluster`; `kafkagen init` prints a starter spec")
            .into());
    }
    expect_mapping(&node, "the spec")?;
    Ok(Some(node))
}

/// A spec file's name for diagnostics and its bytes; `-` is stdin.
fn read_path(path: &Path) -> Result<(String, Vec<u8>), LoadError> {
    let read_error = |source| LoadError::Read {
        path: path.into(),
        source,
    };
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf).map_err(read_error)?;
        Ok(("<stdin>".to_string(), buf))
    } else {
        let bytes = std::fs::read(path).map_err(read_error)?;
        Ok((path.display().to_string(), bytes))
    }
}

fn expect_mapping(node: &Node, what: &str) -> Result<(), LoadError> {
    match node.value {
        Value::Map(_) | Value::Null => Ok(()),
        _ => Err(
            Diagnostic::error(format!("{what} must be a mapping, found {}", node.kind()))
                .at(Some(node.span))
                .into(),
        ),
    }
}

fn string_at(node: &Node, path: &[&str]) -> Option<String> {
    match &lookup(node, path)?.value {
        Value::Str(s) => Some(s.clone()),
        _ => None,
    }
}

fn last_string(layers: &[&Node], path: &[&str]) -> Option<String> {
    layers.iter().rev().find_map(|n| string_at(n, path))
}
