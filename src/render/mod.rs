//! Model to YAML documents through the minijinja templates in `templates/`,
//! embedded in the binary and overridable file by file with `--templates DIR`.
//! Templates are `.yaml.j2`, so every value is JSON-escaped (valid YAML that
//! can never add keys or documents), and an undefined variable is an error.
//! Each template's output is read back by `readback` when it can, and by the
//! full YAML parser otherwise.

use crate::model::Model;
use crate::source::SourceId;
use crate::templates::builtin;
use crate::yaml;
use crate::yaml::readback;
use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{Environment, UndefinedBehavior, Value, context};
use std::path::{Path, PathBuf};

const COMPONENT_TEMPLATES: &[&str] = &[
    "component/pods-config.yaml.j2",
    "component/services.yaml.j2",
    "component/disruption-budget.yaml.j2",
    "component/volume-claim.yaml.j2",
    "component/workload.yaml.j2",
];

/// One rendered document and the template it came from.
#[derive(Debug, Clone)]
pub struct Document {
    pub template: String,
    pub value: serde_json::Value,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("template `{template}`: {source:#}")]
    Template {
        template: String,
        source: minijinja::Error,
    },
    #[error("template `{template}` produced invalid YAML at line {line}: {message}\n  | {text}")]
    Yaml {
        template: String,
        line: usize,
        message: String,
        text: String,
    },
    #[error("template `{template}` produced a document that is not a mapping")]
    NotAMapping { template: String },
}

pub fn render(model: &Model, templates_dir: Option<&Path>) -> Result<Vec<Document>, RenderError> {
    let mut docs = Vec::new();
    each_output(model, templates_dir, |template, text| {
        let values = match readback::documents(&text) {
            Some(values) => values,
            None => full_parse(template, &text)?,
        };
        for value in values {
            if !value.is_object() {
                return Err(RenderError::NotAMapping {
                    template: template.to_string(),
                });
            }
            docs.push(Document {
                template: template.to_string(),
                value,
            });
        }
        Ok(())
    })?;
    Ok(docs)
}

/// Renders every template in apply order and hands each one's text, with
/// the template's name, to `read`.
// A stage of bench/profile.sh's table: kept out of line so that its
// samples are charged to it.
#[inline(never)]
pub fn each_output(
    model: &Model,
    templates_dir: Option<&Path>,
    mut read: impl FnMut(&str, String) -> Result<(), RenderError>,
) -> Result<(), RenderError> {
    let env = environment(templates_dir.map(Path::to_path_buf));
    let whole = Value::from(Serde(model));
    let mut plan: Vec<(&str, Value)> = vec![
        ("namespace.yaml.j2", whole.clone()),
        ("service-account.yaml.j2", whole.clone()),
        ("security.yaml.j2", whole.clone()),
    ];
    for component in &model.components {
        let ctx = context! {
            namespace => &model.namespace,
            service_account => &model.service_account,
            placement => Value::from(Serde(&model.placement)),
            c => Value::from(Serde(component)),
        };
        plan.extend(COMPONENT_TEMPLATES.iter().map(|t| (*t, ctx.clone())));
    }
    plan.push(("network-policies.yaml.j2", whole.clone()));
    plan.push(("kafka/external-services.yaml.j2", whole.clone()));
    plan.push(("kafka/topics-job.yaml.j2", whole.clone()));
    plan.push(("kafka/users-job.yaml.j2", whole.clone()));
    plan.push(("kafka/acls-job.yaml.j2", whole.clone()));
    plan.push(("kafka/tls-reload-job.yaml.j2", whole.clone()));
    plan.push(("kafka/features-job.yaml.j2", whole.clone()));
    plan.push(("metrics.yaml.j2", whole));

    for (name, ctx) in plan {
        let text = env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|source| RenderError::Template {
                template: name.to_string(),
                source,
            })?;
        read(name, text)?;
    }
    Ok(())
}

/// The documents of a template's output that are not empty or null, read
/// by the full YAML parser, which reports where the output is not YAML.
fn full_parse(template: &str, text: &str) -> Result<Vec<serde_json::Value>, RenderError> {
    yaml::json_documents(text, SourceId(0)).map_err(|e| RenderError::Yaml {
        template: template.to_string(),
        line: e.span.start.line,
        message: e.message,
        text: text
            .lines()
            .nth(e.span.start.line.saturating_sub(1))
            .unwrap_or("")
            .to_string(),
    })
}

fn environment(dir: Option<PathBuf>) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_syntax(
        SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .expect("the default delimiters are valid"),
    );
    env.set_loader(move |name| {
        if let Some(dir) = &dir {
            let path = dir.join(name);
            if path.is_file() {
                return std::fs::read_to_string(&path).map(Some).map_err(|e| {
                    minijinja::Error::new(
                        minijinja::ErrorKind::InvalidOperation,
                        format!("cannot read {}: {e}", path.display()),
                    )
                });
            }
        }
        Ok(builtin(name).map(str::to_string))
    });
    env
}
