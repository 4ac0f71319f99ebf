//! Writing output to disk: the `--out-dir` layout (one file per object and a
//! `kustomization.yaml` listing them in apply order) and atomic replacement,
//! so that a failure leaves what was there before exactly as it was.

use crate::check::manifest::Manifest;
use crate::yaml::emit as yaml_emit;
use crate::yaml::{Value, parse_one};
use serde_json::json;
use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

pub const KUSTOMIZATION: &str = "kustomization.yaml";
/// The first line of a kustomization.yaml kafkagen wrote; only the files such
/// a kustomization lists are kafkagen's to replace.
const MARKER: &str = "# Written by kafkagen";

/// A file of the output directory: its name and its text.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    pub name: String,
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("`{}` exists and is not a directory", .0.display())]
    NotADirectory(PathBuf),
    #[error("refusing to replace `{}`: it is the working directory or one of its parents", .0.display())]
    Enclosing(PathBuf),
    #[error("cannot write `{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write `{}`: writing its new contents to `{}` failed: {source}", dir.display(), staging.display())]
    Staging {
        dir: PathBuf,
        staging: PathBuf,
        source: std::io::Error,
    },
    #[error("`{}` holds {} that kafkagen did not write: {}", dir.display(), plural(files.len(), "file"), list(files))]
    Foreign { dir: PathBuf, files: Vec<String> },
    #[error("`{}` is not empty: steps are written only into a new or empty directory", .0.display())]
    NotEmpty(PathBuf),
    #[error("{first} and {second} would both be written to `{file}`")]
    Collision {
        first: String,
        second: String,
        file: String,
    },
}

impl OutputError {
    pub fn help(&self) -> Option<&'static str> {
        match self {
            OutputError::Foreign { .. } => Some(
                "move them elsewhere, or pass --force to replace the whole directory (deleting them)",
            ),
            _ => None,
        }
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn list(files: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut text = files
        .iter()
        .take(SHOWN)
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if files.len() > SHOWN {
        text += &format!(" and {} more", files.len() - SHOWN);
    }
    text
}

/// The file an object is written to: `<kind>-<name>.yaml`, stable as long
/// as the object exists, whatever else is added or removed.
pub fn file_name(m: &Manifest) -> String {
    format!("{}-{}.yaml", m.kind.to_ascii_lowercase(), m.name)
}

/// The directory's files: one per object, then the kustomization listing
/// them in apply order (`sortOptions: fifo` keeps that order).
pub fn layout(manifests: &[Manifest]) -> Result<Vec<File>, OutputError> {
    let mut files: Vec<File> = Vec::with_capacity(manifests.len() + 1);
    let mut owner: Vec<(String, String)> = Vec::new();
    for m in manifests {
        let name = file_name(m);
        let object = format!("{} `{}`", m.kind, m.name);
        if let Some((_, first)) = owner.iter().find(|(f, _)| *f == name) {
            return Err(OutputError::Collision {
                first: first.clone(),
                second: object,
                file: name,
            });
        }
        owner.push((name.clone(), object));
        files.push(File {
            name,
            text: yaml_emit::document(&m.value),
        });
    }
    let resources: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    let kustomization = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "sortOptions": {"order": "fifo"},
        "resources": resources,
    });
    files.push(File {
        name: KUSTOMIZATION.into(),
        text: format!(
            "{MARKER}: `kafkagen render --out-dir` replaces this directory.\n\
             # Apply it with `kubectl apply -k <dir>`.\n{}",
            yaml_emit::document(&kustomization)
        ),
    });
    Ok(files)
}

/// The names of the files a kafkagen kustomization in `dir` lists, and the
/// kustomization itself; empty when there is none.
fn owned_files(dir: &Path) -> BTreeSet<String> {
    let mut owned = BTreeSet::new();
    let Ok(text) = fs::read_to_string(dir.join(KUSTOMIZATION)) else {
        return owned;
    };
    if !text.starts_with(MARKER) {
        return owned;
    }
    owned.insert(KUSTOMIZATION.to_string());
    if let Ok(node) = parse_one(&text, crate::source::SourceId(0))
        && let Some(resources) = node.get("resources")
        && let Value::Seq(items) = &resources.value
    {
        for item in items {
            if let Value::Str(name) = &item.value
                && !name.contains('/')
            {
                owned.insert(name.clone());
            }
        }
    }
    owned
}

/// Replaces `dir` with exactly `files`. Everything is written to a new
/// directory beside it first; only then is it swapped in. Files in an
/// existing `dir` that kafkagen did not write stop it, unless `force`.
pub fn write_dir(dir: &Path, files: &[File], force: bool) -> Result<(), OutputError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| OutputError::Io { path, source }
    };
    let existing = match fs::symlink_metadata(dir) {
        Ok(_) => {
            let real = fs::canonicalize(dir).map_err(io(dir))?;
            if !real.is_dir() {
                return Err(OutputError::NotADirectory(dir.to_path_buf()));
            }
            Some(real)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(dir)(e)),
    };
    let target = match &existing {
        Some(real) => {
            let cwd = std::env::current_dir().map_err(io(dir))?;
            if real.parent().is_none() || cwd.starts_with(real) {
                return Err(OutputError::Enclosing(dir.to_path_buf()));
            }
            if !force {
                let owned = owned_files(real);
                let mut foreign: Vec<String> = fs::read_dir(real)
                    .map_err(io(dir))?
                    .filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|name| !owned.contains(name))
                    .collect();
                if !foreign.is_empty() {
                    foreign.sort();
                    return Err(OutputError::Foreign {
                        dir: dir.to_path_buf(),
                        files: foreign,
                    });
                }
            }
            real.clone()
        }
        None => dir.to_path_buf(),
    };

    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if existing.is_none() {
        fs::create_dir_all(&parent).map_err(io(&parent))?;
    }
    let base = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let pid = std::process::id();
    let fresh = parent.join(format!(".{base}.kafkagen-new-{pid}"));
    let old = parent.join(format!(".{base}.kafkagen-old-{pid}"));

    let _ = fs::remove_dir_all(&fresh);
    if let Err(source) = fill(&fresh, files, existing.as_deref()) {
        let _ = fs::remove_dir_all(&fresh);
        // Named as the user wrote `dir`, not by its canonical path.
        let staging = match (dir.file_name(), fresh.file_name()) {
            (Some(_), Some(name)) => dir.with_file_name(name),
            _ => fresh,
        };
        return Err(OutputError::Staging {
            dir: dir.to_path_buf(),
            staging,
            source,
        });
    }
    if existing.is_some() {
        let _ = fs::remove_dir_all(&old);
        if let Err(e) = fs::rename(&target, &old) {
            let _ = fs::remove_dir_all(&fresh);
            return Err(io(dir)(e));
        }
        if let Err(e) = fs::rename(&fresh, &target) {
            let _ = fs::rename(&old, &target);
            let _ = fs::remove_dir_all(&fresh);
            return Err(io(dir)(e));
        }
        fs::remove_dir_all(&old).map_err(io(&old))?;
    } else {
        fs::rename(&fresh, &target).map_err(|e| {
            let _ = fs::remove_dir_all(&fresh);
            io(dir)(e)
        })?;
    }
    sync_dir(&parent);
    Ok(())
}

/// Creates `fresh` holding `files`, each flushed to disk, with the
/// permissions of the directory it replaces.
fn fill(fresh: &Path, files: &[File], replaces: Option<&Path>) -> std::io::Result<()> {
    fs::create_dir(fresh)?;
    for f in files {
        let mut out = fs::File::create(fresh.join(&f.name))?;
        out.write_all(f.text.as_bytes())?;
        out.sync_all()?;
    }
    if let Some(old) = replaces {
        fs::set_permissions(fresh, fs::metadata(old)?.permissions())?;
    }
    sync_dir(fresh);
    Ok(())
}

/// Replaces the file at `path` with `text`: written beside it, flushed, then
/// renamed over it, so that readers see the old file or the new, never half.
pub fn write_file(path: &Path, text: &str) -> Result<(), OutputError> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| OutputError::Io { path: p, source }
    };
    if path.is_dir() {
        return Err(OutputError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::IsADirectory, "is a directory"),
        });
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let base = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = parent.join(format!(".{base}.kafkagen-{}", std::process::id()));
    let result = fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(text.as_bytes())?;
        f.sync_all()
    });
    if let Err(e) = result.and_then(|()| fs::rename(&tmp, path)) {
        let _ = fs::remove_file(&tmp);
        return Err(io(path)(e));
    }
    sync_dir(&parent);
    Ok(())
}

/// Flushes a directory's entries (best effort: not every file system can).
fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}
