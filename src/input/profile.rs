//! Built-in profiles (partial specs in `profiles/*.yaml`, embedded in the
//! binary) and their lookup: a `--profiles DIR` on disk first, then the
//! embedded copy; a name that looks like a path is read as a file.

use std::path::{Path, PathBuf};

pub const DEFAULT_PROFILE: &str = "minikube";

/// Name and text of every embedded profile, in the order `profiles` lists them.
pub const BUILTIN: &[(&str, &str)] = &[
    ("quickstart", include_str!("../../profiles/quickstart.yaml")),
    ("minikube", include_str!("../../profiles/minikube.yaml")),
    ("production", include_str!("../../profiles/production.yaml")),
    (
        "minikube-kraft",
        include_str!("../../profiles/minikube-kraft.yaml"),
    ),
    (
        "production-kraft",
        include_str!("../../profiles/production-kraft.yaml"),
    ),
];

#[derive(Debug)]
pub struct Profile {
    pub name: String,
    /// What diagnostics call it: a path, or `profiles/NAME.yaml (built in)`.
    pub origin: String,
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("unknown profile `{name}`")]
    Unknown {
        name: String,
        suggestion: Option<&'static str>,
    },
    #[error("cannot read profile `{}`: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl ProfileError {
    pub fn help(&self) -> String {
        match self {
            ProfileError::Unknown {
                suggestion: Some(s),
                ..
            } => format!("did you mean `{s}`?"),
            _ => format!(
                "built-in profiles: {} (or a path to a profile file)",
                BUILTIN
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// Finds a profile by name. `base` is the directory relative paths start from.
pub fn load(name: &str, dir: Option<&Path>, base: &Path) -> Result<Profile, ProfileError> {
    let read = |path: PathBuf| {
        std::fs::read_to_string(&path)
            .map(|text| Profile {
                name: name.to_string(),
                origin: path.display().to_string(),
                text,
            })
            .map_err(|source| ProfileError::Read { path, source })
    };
    if name.contains('/') || name.ends_with(".yaml") || name.ends_with(".yml") {
        return read(base.join(name));
    }
    if let Some(dir) = dir {
        let path = dir.join(format!("{name}.yaml"));
        if path.is_file() {
            return read(path);
        }
    }
    match BUILTIN.iter().find(|(n, _)| *n == name) {
        Some((n, text)) => Ok(Profile {
            name: n.to_string(),
            origin: format!("profiles/{n}.yaml (built in)"),
            text: text.to_string(),
        }),
        None => Err(ProfileError::Unknown {
            name: name.to_string(),
            suggestion: crate::suggest::suggest(name, BUILTIN.iter().map(|(n, _)| *n)),
        }),
    }
}

/// The one-line description: the profile's first comment line.
pub fn description(text: &str) -> &str {
    text.lines()
        .next()
        .and_then(|l| l.strip_prefix('#'))
        .map_or("", str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_has_a_description() {
        for (name, text) in BUILTIN {
            assert!(!description(text).is_empty(), "{name}");
        }
    }

    #[test]
    fn unknown_names_get_a_suggestion() {
        let e = load("prodution", None, Path::new(".")).unwrap_err();
        assert_eq!(e.help(), "did you mean `production`?");
    }
}
