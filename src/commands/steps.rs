//! `check --against LIVE --steps DIR`: the change from the committed
//! manifests to the render, as ordered renders (`change::steps`), each an
//! `--out-dir` directory `DIR/N-what`, with `DIR/README.md` saying what
//! each does and what to verify before the next. Every step is rendered and
//! checked before anything is written; nothing is written on any error.

use crate::change::committed::Object;
use crate::change::safety::Severity;
use crate::change::steps::{self, Rendered, Step};
use crate::cluster::{Cluster, ListenerSecurity};
use crate::cluster_spec::ListenerSecuritySpec;
use crate::cluster_spec::decode::Locations;
use crate::emit::out_dir;
use crate::pipeline::{self, Outcome};
use crate::validate;
use std::path::Path;

/// Why no steps were written, and the exit code.
pub struct Refusal {
    pub message: String,
    pub code: i32,
}

fn refuse(message: impl Into<String>, code: i32) -> Refusal {
    Refusal {
        message: message.into(),
        code,
    }
}

/// The steps, rendered: one step of the render itself when it is safe in
/// one roll.
pub fn render(
    outcome: &Outcome,
    committed: &[Object],
    severity: Severity,
    templates: Option<&Path>,
) -> Result<Vec<Rendered>, Refusal> {
    let steps = match severity {
        Severity::Safe => vec![Step {
            slug: "apply".into(),
            what: "the render, safe in one roll".into(),
            wait: "every pod of the rolled workloads ready on the new render".into(),
            cluster: outcome.cluster.clone(),
        }],
        Severity::Steps => {
            let keep = |l: ListenerSecurity| -> Result<Cluster, String> {
                let mut spec = outcome.spec.clone();
                spec.security.listeners.inter_broker = ListenerSecuritySpec {
                    tls: l.tls,
                    authentication: l.authentication,
                };
                validate::validate(&spec, &Locations::default())
                    .map(|(c, _)| c)
                    .map_err(|diags| {
                        diags
                            .iter()
                            .filter(|d| d.is_error())
                            .map(|d| d.message.clone())
                            .collect::<Vec<_>>()
                            .join("; ")
                    })
            };
            steps::plan(committed, &outcome.cluster, &outcome.manifests, &keep)
                .map_err(|why| refuse(format!("no steps written: {why}"), severity.exit_code()))?
        }
        Severity::Refused | Severity::Unsafe => {
            return Err(refuse(
                format!(
                    "no steps written: {}",
                    match severity {
                        Severity::Refused =>
                            "Kubernetes refuses part of the change; take the steps the plan prints",
                        _ => "the change is unsafe for Kafka, and no steps make it safe",
                    }
                ),
                severity.exit_code(),
            ));
        }
    };
    let mut rendered = Vec::with_capacity(steps.len());
    for step in steps {
        let (_, manifests) = pipeline::render_cluster(&step.cluster, templates).map_err(|e| {
            let why: String = match &e {
                pipeline::Failure::Rules(broken) => broken
                    .iter()
                    .map(|v| format!("\n  error[{}] {v}", v.rule))
                    .collect(),
                pipeline::Failure::Schema(errors) => {
                    errors.iter().map(|e| format!("\n  {e}")).collect()
                }
                _ => String::new(),
            };
            refuse(
                format!(
                    "no steps written: step `{}` does not render (a kafkagen bug): {e}{why}",
                    step.slug
                ),
                1,
            )
        })?;
        rendered.push(Rendered { step, manifests });
    }
    // The last step is the render itself, apart from the metadata.version
    // Job (and its NetworkPolicy) that raises the level once the new Kafka
    // runs everywhere: a Job runs once, and the next apply of the render
    // without it leaves it be.
    let values = |m: &[crate::check::manifest::Manifest]| -> Vec<serde_json::Value> {
        m.iter()
            .map(|m| m.value.clone())
            .filter(|v| v["metadata"]["labels"]["app.kubernetes.io/component"] != "features")
            .collect()
    };
    if rendered.last().map(|r| values(&r.manifests)) != Some(values(&outcome.manifests)) {
        return Err(refuse(
            "no steps written: the last step is not the render (a kafkagen bug)",
            1,
        ));
    }
    if let Some((n, report)) = steps::unsafe_step(committed, &rendered) {
        return Err(refuse(
            format!(
                "no steps written: step {n} is not safe in one roll from the one before (a kafkagen bug):{report}"
            ),
            1,
        ));
    }
    Ok(rendered)
}

/// `DIR/README.md`: the steps in order.
pub fn readme(against: &Path, rendered: &[Rendered]) -> String {
    let mut out = format!(
        "# Steps from {} to this render\n\n\
         Apply them in order, each only after the one before has finished;\n\
         each is safe in one roll from the one before (`kafkagen check` on\n\
         each against the one before says exit 3, or exit 4 for a roll that\n\
         a later step here finishes).\n\n",
        against.display()
    );
    for (i, r) in rendered.iter().enumerate() {
        out += &format!(
            "{}. `{}`: {}. Before the next: {}.\n",
            i + 1,
            dir_name(i, &r.step),
            r.step.what,
            r.step.wait
        );
    }
    out
}

pub fn dir_name(i: usize, step: &Step) -> String {
    format!("{}-{}", i + 1, step.slug)
}

/// Writes the steps under `dir`, which must not exist or be empty.
pub fn write(
    dir: &Path,
    against: &Path,
    rendered: &[Rendered],
) -> Result<(), out_dir::OutputError> {
    if dir.read_dir().is_ok_and(|mut d| d.next().is_some()) {
        return Err(out_dir::OutputError::NotEmpty(dir.to_path_buf()));
    }
    let mut layouts = Vec::with_capacity(rendered.len());
    for r in rendered {
        layouts.push(out_dir::layout(&r.manifests)?);
    }
    for (i, (r, files)) in rendered.iter().zip(&layouts).enumerate() {
        out_dir::write_dir(&dir.join(dir_name(i, &r.step)), files, false)?;
    }
    out_dir::write_file(&dir.join("README.md"), &readme(against, rendered))
}
