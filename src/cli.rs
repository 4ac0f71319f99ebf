//! Command-line parsing and what each command prints. Exit codes: 0 success
//! (`check`: in sync), 1 invalid spec, failed check or error, 2 usage
//! (clap's own); `check` on drift: 3 safe in one roll, 4 needs steps,
//! 5 refused by Kubernetes, 6 unsafe for Kafka (`safety::Severity`).

use crate::change::safety::{self, Severity};
use crate::change::{committed, drift};
use crate::check::manifest::Manifest;
use crate::commands::{describe, init, schema, steps};
use crate::diagnostic::{self, Diagnostic};
use crate::emit::out_dir::{self, OutputError};
use crate::emit::{self, Format};
use crate::input::profile;
use crate::input::{Request, SpecSource};
use crate::pipeline::{self, Failure, Options, Outcome};
use crate::source::Sources;
use clap::{Args, CommandFactory, Parser, Subcommand};
use clap_complete::Shell;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(
    name = "kafkagen",
    version,
    about = "Validated Kubernetes manifests for Apache Kafka from a short cluster spec"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Render manifests to stdout, or to a directory with --out-dir
    Render {
        #[command(flatten)]
        input: InputArgs,
        /// Output format: a YAML stream, or a JSON List
        #[arg(
            short = 'o',
            long = "output",
            value_enum,
            default_value = "yaml",
            conflicts_with = "out_dir"
        )]
        output: Format,
        /// Write one file per object and a kustomization.yaml to DIR instead
        /// (replaced atomically; only files kafkagen wrote are replaced)
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
        /// With --out-dir: replace DIR even if it holds files kafkagen did not
        /// write (they are deleted)
        #[arg(long, requires = "out_dir")]
        force: bool,
    },
    /// Run every check and print diagnostics only
    Validate {
        #[command(flatten)]
        input: InputArgs,
    },
    /// Compare the render with committed manifests; exit 0 in sync, 3-6 on drift
    ///
    /// Prints the drift and what applying it does. Exit 0 in sync, 1 error,
    /// 3 drift safe in one roll, 4 needs steps, 5 refused by Kubernetes,
    /// 6 unsafe for Kafka.
    Check {
        #[command(flatten)]
        input: InputArgs,
        /// Committed manifests: a multi-document file or a directory of them
        #[arg(long, value_name = "PATH")]
        against: PathBuf,
        /// Rewrite PATH with the render, in kafkagen's layout (a directory as
        /// with --out-dir, a file as one YAML stream or, for .json, a List)
        #[arg(long)]
        update: bool,
        /// With --update: replace a directory even if it holds files kafkagen
        /// did not write (they are deleted)
        #[arg(long, requires = "update")]
        force: bool,
        /// With --update: write changes that need steps, that Kubernetes
        /// refuses or that are unsafe for Kafka (exit 4, 5 or 6 without it,
        /// nothing written)
        #[arg(long, requires = "update")]
        allow_unsafe: bool,
        /// Write the change as ordered renders, one --out-dir each
        /// (DIR/1-..., DIR/2-...), each safe in one roll from the one
        /// before, and DIR/README.md saying what to wait for between them
        #[arg(long, value_name = "DIR", conflicts_with = "update")]
        steps: Option<PathBuf>,
    },
    /// Show the cluster before it exists: pods, ids, addresses, storage, totals
    Describe {
        #[command(flatten)]
        input: InputArgs,
        /// Tables, a Mermaid flowchart of the topology, or the topology as JSON
        #[arg(long, value_enum, default_value = "text")]
        format: describe::Format,
    },
    /// Print a commented starter spec that renders as is
    Init {
        /// The profile it starts from: a built-in name or a path
        #[arg(long, default_value = profile::DEFAULT_PROFILE)]
        profile: String,
        /// Directory searched for NAME.yaml profiles before the built-in ones
        #[arg(long, value_name = "DIR")]
        profiles: Option<PathBuf>,
    },
    /// List the built-in profiles
    Profiles,
    /// Print the JSON Schema of the spec, for editors
    Schema,
    /// Print a shell completion script
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
}

#[derive(Args)]
struct InputArgs {
    /// Spec file, or `-` for stdin; without one the default profile is rendered
    spec: Option<PathBuf>,
    /// Base profile: a built-in name or a path; wins over the spec's `profile`
    #[arg(long)]
    profile: Option<String>,
    /// Directory searched for NAME.yaml profiles before the built-in ones
    #[arg(long, value_name = "DIR")]
    profiles: Option<PathBuf>,
    /// Set one spec path, e.g. --set kafka.brokers=5 (repeatable)
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<String>,
    /// Directory of templates that replace the built-in ones file by file
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
}

impl InputArgs {
    fn options(self) -> Options {
        Options {
            request: Request {
                spec: self.spec.map_or(SpecSource::None, SpecSource::Path),
                profile: self.profile,
                profiles_dir: self.profiles,
                sets: self.sets,
            },
            templates: self.templates,
        }
    }
}

pub fn run() -> i32 {
    let cli = Cli::parse();
    match cli.command {
        Command::Render {
            input,
            output,
            out_dir: None,
            ..
        } => run_pipeline(input.options(), |outcome| {
            write_stdout(&emit::to_text(&outcome.manifests, output))
        }),
        Command::Render {
            input,
            out_dir: Some(dir),
            force,
            ..
        } => run_pipeline(input.options(), |outcome| {
            write_dir(&dir, &outcome.manifests, force)
        }),
        Command::Validate { input } => run_pipeline(input.options(), |outcome| {
            eprintln!("valid: {} objects", outcome.manifests.len());
            0
        }),
        Command::Check {
            input,
            against,
            steps: Some(dir),
            ..
        } => {
            let templates = input.templates.clone();
            run_pipeline(input.options(), |outcome| {
                check_steps(outcome, &against, &dir, templates.as_deref())
            })
        }
        Command::Check {
            input,
            against,
            update,
            force,
            allow_unsafe,
            steps: None,
        } => run_pipeline(input.options(), |outcome| {
            check(&outcome.manifests, &against, update, force, allow_unsafe)
        }),
        Command::Describe { input, format } => run_pipeline(input.options(), |outcome| {
            write_stdout(&describe::describe(
                &outcome.cluster,
                &outcome.model,
                format,
            ))
        }),
        Command::Init { profile, profiles } => init(profile, profiles),
        Command::Profiles => {
            let text: String = profile::BUILTIN
                .iter()
                .map(|(name, text)| format!("{name:<17} {}\n", profile::description(text)))
                .collect();
            write_stdout(&text)
        }
        Command::Schema => write_stdout(&schema::json_schema()),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "kafkagen", &mut out);
            write_stdout(&String::from_utf8_lossy(&out))
        }
    }
}

fn color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Runs the pipeline; on success prints the warnings and hands the outcome
/// to `then`, on failure prints the diagnostics and exits 1.
fn run_pipeline(opts: Options, then: impl FnOnce(&Outcome) -> i32) -> i32 {
    let mut sources = Sources::default();
    match pipeline::run(&opts, &mut sources) {
        Ok(outcome) => {
            eprint!(
                "{}",
                diagnostic::render(&outcome.warnings, &sources, color())
            );
            let code = then(&outcome);
            // The process ends next: freeing thousands of objects one by one
            // would only cost time (a tenth of a large render's).
            std::mem::forget(outcome);
            code
        }
        Err(failure) => {
            eprint!("{}", report(&failure, &sources, color()));
            1
        }
    }
}

fn output_error(e: &OutputError) -> i32 {
    let mut d = Diagnostic::error(e.to_string());
    if let Some(help) = e.help() {
        d = d.help(help);
    }
    eprint!("{}", diagnostic::render(&[d], &Sources::default(), color()));
    1
}

fn write_dir(dir: &Path, manifests: &[Manifest], force: bool) -> i32 {
    match out_dir::layout(manifests).and_then(|files| out_dir::write_dir(dir, &files, force)) {
        Ok(()) => {
            eprintln!(
                "wrote {} objects and {} to {}",
                manifests.len(),
                out_dir::KUSTOMIZATION,
                dir.display()
            );
            0
        }
        Err(e) => output_error(&e),
    }
}

/// `check`: the drift report and what applying it does on stdout, and
/// exit 3 (safe in one roll), 4 (needs steps), 5 (Kubernetes refuses part
/// of it) or 6 (unsafe for Kafka); or with `update`, the committed path
/// rewritten (with changes above safe only when `allow_unsafe`).
fn check(
    manifests: &[Manifest],
    against: &Path,
    update: bool,
    force: bool,
    allow_unsafe: bool,
) -> i32 {
    let mut sources = Sources::default();
    let committed = match committed::read(against, &mut sources) {
        Ok(objects) => objects,
        Err(_) if update && !against.exists() => Vec::new(),
        Err(diags) => {
            eprint!("{}", diagnostic::render(&diags, &sources, color()));
            return 1;
        }
    };
    let drift = drift::compare(manifests, &committed);
    let plan = safety::assess(&committed, manifests);
    let severity = plan.severity();
    let name = against.display().to_string();
    if !update {
        if drift.is_empty() {
            eprintln!("no drift: {} objects match {name}", drift.same);
            return 0;
        }
        let text = drift::report(&drift, &name) + &plan.report();
        // A write error is an error (1), whatever the plan says.
        return match write_stdout(&text) {
            0 => severity.exit_code(),
            failed => failed,
        };
    }
    if severity > Severity::Safe && !allow_unsafe {
        eprint!("{}", plan.report().trim_start_matches('\n'));
        eprintln!(
            "error: not updating {name}: {}; --allow-unsafe writes it anyway",
            match severity {
                Severity::Unsafe => "the change is unsafe for Kafka",
                Severity::Refused => "Kubernetes refuses part of the change",
                _ => "the change needs steps, one render each",
            }
        );
        return severity.exit_code();
    }
    let is_file = against.is_file()
        || (!against.exists()
            && matches!(
                against.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "json")
            ));
    let written = if is_file {
        let format = match against.extension().and_then(|e| e.to_str()) {
            Some("json") => Format::Json,
            _ => Format::Yaml,
        };
        out_dir::write_file(against, &emit::to_text(manifests, format))
    } else {
        out_dir::layout(manifests).and_then(|files| out_dir::write_dir(against, &files, force))
    };
    match written {
        Ok(()) if drift.is_empty() => {
            eprintln!("no drift: {} objects match {name}; rewrote it", drift.same);
            0
        }
        Ok(()) => {
            eprintln!("updated {name}: {}", drift.summary());
            0
        }
        Err(e) => output_error(&e),
    }
}

/// `check --steps DIR`: the plan on stderr, the steps under DIR; exit 0
/// when written (or in sync), else the plan's code or 1.
fn check_steps(outcome: &Outcome, against: &Path, dir: &Path, templates: Option<&Path>) -> i32 {
    let mut sources = Sources::default();
    let committed = match committed::read(against, &mut sources) {
        Ok(objects) => objects,
        Err(diags) => {
            eprint!("{}", diagnostic::render(&diags, &sources, color()));
            return 1;
        }
    };
    let name = against.display().to_string();
    let drift = drift::compare(&outcome.manifests, &committed);
    if drift.is_empty() {
        eprintln!(
            "no drift: {} objects match {name}; no steps to write",
            drift.same
        );
        return 0;
    }
    let plan = safety::assess(&committed, &outcome.manifests);
    eprint!("{}", plan.report().trim_start_matches('\n'));
    let rendered = match steps::render(outcome, &committed, plan.severity(), templates) {
        Ok(r) => r,
        Err(refusal) => {
            eprintln!("error: {}", refusal.message);
            return refusal.code;
        }
    };
    match steps::write(dir, against, &rendered) {
        Ok(()) => {
            eprint!(
                "wrote {} steps to {}:\n{}",
                rendered.len(),
                dir.display(),
                steps::readme(against, &rendered)
                    .lines()
                    .skip(6)
                    .map(|l| format!("  {l}\n"))
                    .collect::<String>()
            );
            0
        }
        Err(e) => output_error(&e),
    }
}

fn init(profile_name: String, profiles: Option<PathBuf>) -> i32 {
    let opts = Options {
        request: Request {
            spec: SpecSource::None,
            profile: Some(profile_name.clone()),
            profiles_dir: profiles.clone(),
            sets: Vec::new(),
        },
        templates: None,
    };
    let description = profile::load(&profile_name, profiles.as_deref(), Path::new("."))
        .map(|p| profile::description(&p.text).to_string())
        .unwrap_or_default();
    run_pipeline(opts, |outcome| {
        write_stdout(&init::starter(&profile_name, &description, &outcome.spec))
    })
}

/// The diagnostics for a failed run, as stderr shows them.
pub fn report(failure: &Failure, sources: &Sources, color: bool) -> String {
    match failure {
        Failure::Invalid(diags) => diagnostic::render(diags, sources, color),
        Failure::Load(e) => diagnostic::render(&[Diagnostic::error(e.to_string())], sources, color),
        Failure::Render(e) => format!("error: {e}\n"),
        Failure::Schema(errors) => errors.iter().map(|e| format!("error: {e}\n")).collect(),
        Failure::Rules(errors) => errors
            .iter()
            .map(|v| format!("error[{}]: {v}\n", v.rule))
            .collect(),
    }
}

/// Writes all of stdout at once; a closed pipe ends quietly.
// A stage of bench/profile.sh's table: kept out of line so that its
// samples are charged to it.
#[inline(never)]
fn write_stdout(text: &str) -> i32 {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => 0,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!("error: cannot write output: {e}");
            1
        }
    }
}
