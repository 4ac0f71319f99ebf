//! Command-line parsing and what each command prints. Exit codes: 0 success,
//! 1 invalid spec or failed check, 2 usage (clap's own).

use crate::diagnostic::{self, Diagnostic};
use crate::emit::{self, Format};
use crate::input::Request;
use crate::pipeline::{self, Failure, Options};
use crate::profile;
use crate::source::Sources;
use clap::{Args, Parser, Subcommand};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

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
    /// Render manifests to stdout
    Render {
        #[command(flatten)]
        input: InputArgs,
        /// Output format: a YAML stream, or a JSON List
        #[arg(short = 'o', long = "output", value_enum, default_value = "yaml")]
        output: Format,
    },
    /// Run every check and print diagnostics only
    Validate {
        #[command(flatten)]
        input: InputArgs,
    },
    /// List the built-in profiles
    Profiles,
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
                spec: self.spec,
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
        Command::Render { input, output } => render(input.options(), Some(output)),
        Command::Validate { input } => render(input.options(), None),
        Command::Profiles => {
            let text: String = profile::BUILTIN
                .iter()
                .map(|(name, text)| format!("{name:<17} {}\n", profile::description(text)))
                .collect();
            write_stdout(&text)
        }
    }
}

fn color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Renders (or with no format, validates) and reports.
fn render(opts: Options, format: Option<Format>) -> i32 {
    let mut sources = Sources::default();
    match pipeline::run(&opts, &mut sources) {
        Ok(outcome) => {
            eprint!(
                "{}",
                diagnostic::render(&outcome.warnings, &sources, color())
            );
            match format {
                Some(f) => write_stdout(&emit::to_text(&outcome.manifests, f)),
                None => {
                    eprintln!("valid: {} objects", outcome.manifests.len());
                    0
                }
            }
        }
        Err(failure) => {
            eprint!("{}", report(&failure, &sources));
            1
        }
    }
}

fn report(failure: &Failure, sources: &Sources) -> String {
    let color = color();
    match failure {
        Failure::Invalid(diags) => diagnostic::render(diags, sources, color),
        Failure::Load(e) => diagnostic::render(&[Diagnostic::error(e.to_string())], sources, color),
        Failure::Render(e) => format!("error: {e}\n"),
        Failure::Schema(errors) => errors.iter().map(|e| format!("error: {e}\n")).collect(),
        Failure::Rules(errors) => errors.iter().map(|e| format!("error: {e}\n")).collect(),
    }
}

/// Writes all of stdout at once; a closed pipe ends quietly.
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
