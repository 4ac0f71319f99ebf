//! Messages about the user's input: an error or warning, the place in a
//! source it is about, and an optional hint. Rendered like rustc or just:
//! `error: ...`, `--> file:line:col`, the line, a `^^^` underline, `help:`.

use crate::source::{Sources, Span};
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub span: Option<Span>,
    /// Short text under the `^^^` marker.
    pub label: Option<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span: None,
            label: None,
            help: None,
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message)
        }
    }

    pub fn at(mut self, span: Option<Span>) -> Self {
        self.span = span;
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Renders diagnostics for a terminal (`color`) or plain text: errors before
/// warnings, each in the order they appear in the sources.
pub fn render(diagnostics: &[Diagnostic], sources: &Sources, color: bool) -> String {
    let mut diagnostics: Vec<&Diagnostic> = diagnostics.iter().collect();
    diagnostics.sort_by_key(|d| {
        (
            d.severity,
            d.span.is_none(),
            d.span.map(|s| (s.source, s.start.line, s.start.col)),
        )
    });
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for d in &diagnostics {
        out += &render_one(d, sources, &renderer);
        out.push('\n');
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    if errors > 1 {
        out += &format!("error: {errors} errors in the spec; nothing was rendered\n");
    }
    out
}

fn render_one(d: &Diagnostic, sources: &Sources, renderer: &Renderer) -> String {
    let level = match d.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let mut group = Group::with_title(level.primary_title(d.message.as_str()));
    let line_text;
    if let Some(span) = d.span {
        let source = sources.get(span.source);
        line_text = source.line(span.start.line).to_string();
        let range = byte_range(&line_text, span);
        let mut annotation = AnnotationKind::Primary.span(range);
        if let Some(label) = &d.label {
            annotation = annotation.label(label.as_str());
        }
        group = group.element(
            Snippet::source(line_text.as_str())
                .line_start(span.start.line)
                .path(source.name.as_str())
                .annotation(annotation),
        );
    }
    if let Some(help) = &d.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    renderer.render(&[group])
}

/// The byte range of `span` within its first line (at least one character
/// wide when the line has one to mark).
fn byte_range(line: &str, span: Span) -> std::ops::Range<usize> {
    let byte_at = |col: usize| {
        line.char_indices()
            .nth(col.saturating_sub(1))
            .map_or(line.len(), |(i, _)| i)
    };
    let start = byte_at(span.start.col);
    let mut end = if span.end.line == span.start.line {
        byte_at(span.end.col)
    } else {
        line.trim_end().len()
    };
    if end <= start {
        end = line[start..]
            .chars()
            .next()
            .map_or(start, |c| start + c.len_utf8());
    }
    start..end
}
