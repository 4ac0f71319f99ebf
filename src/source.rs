//! Where text came from: the spec file, a profile, a `--set` argument.
//! Every parsed value carries a [`Span`] into one of these sources so that
//! diagnostics can print `file:line:col` and the offending line.

/// Index of a source in [`Sources`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourceId(pub usize);

/// A 1-based line and 1-based column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

/// A range of text in one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    pub source: SourceId,
    pub start: Pos,
    pub end: Pos,
}

#[derive(Debug)]
pub struct Source {
    /// What diagnostics print before `:line:col`.
    pub name: String,
    pub text: String,
}

/// All texts read in one run, in the order they were added.
#[derive(Debug, Default)]
pub struct Sources {
    list: Vec<Source>,
}

impl Sources {
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> SourceId {
        self.list.push(Source {
            name: name.into(),
            text: text.into(),
        });
        SourceId(self.list.len() - 1)
    }

    pub fn get(&self, id: SourceId) -> &Source {
        &self.list[id.0]
    }
}

impl Source {
    /// The text of a 1-based line, without its line break.
    pub fn line(&self, line: usize) -> &str {
        self.text
            .split('\n')
            .nth(line.saturating_sub(1))
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .unwrap_or("")
    }
}
