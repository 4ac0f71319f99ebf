//! Reads back the YAML that templates print, straight into JSON values.
//!
//! Templates print block YAML whose leaves are plain words, JSON (every
//! `{{ }}` is JSON-escaped) and literal block scalars (`|`, `|-`). This reads
//! that subset in one pass over the lines, several times faster than the full
//! parser, which reads a character at a time through tokens and events.
//!
//! The full parser (`yaml::parse_stream`) stays the reference. [`documents`]
//! returns `None` for anything outside the subset or anything it is unsure
//! of: non-ASCII text, tabs, anchors, tags, quoted keys other than JSON,
//! multi-line scalars, duplicate keys, values the core schema cannot hold.
//! The caller then parses the text with the full parser, which also reports
//! every error. For any text this accepts, both give the same documents
//! (tested in `tests/readback.rs` and by the `readback` fuzz target).

use crate::yaml::{self, MAX_DEPTH};
use serde_json::{Map, Value as J};

/// YAML limits an implicit key to 1024 characters; longer ones, and those
/// near the limit, go to the full parser.
const MAX_KEY: usize = 1000;

/// The documents of `text`, each a mapping or a list, empty ones left out;
/// or `None` when the full parser must read it.
// A stage of bench/profile.sh's table: kept out of line so that its
// samples are charged to it.
#[inline(never)]
pub fn documents(text: &str) -> Option<Vec<J>> {
    // Control characters, tabs, CR and everything past ASCII have rules of
    // their own in YAML; leave them to the full parser.
    if text.bytes().any(|b| b >= 0x7f || (b < 0x20 && b != b'\n')) {
        return None;
    }
    let mut docs = Vec::new();
    let mut lines = Vec::new();
    for line in text.split('\n') {
        if line.starts_with("---") || line.starts_with("...") || line.starts_with('%') {
            if line.trim_end_matches(' ') != "---" {
                return None;
            }
            document(std::mem::take(&mut lines), false, &mut docs)?;
        } else {
            lines.push(line);
        }
    }
    document(lines, !text.ends_with('\n'), &mut docs)?;
    Some(docs)
}

/// Reads one document's lines; `unterminated` when the last has no line
/// break (template output usually ends so).
fn document(lines: Vec<&str>, unterminated: bool, docs: &mut Vec<J>) -> Option<()> {
    let mut r = Reader {
        lines,
        at: 0,
        depth: 0,
        unterminated,
    };
    let Some((indent, _)) = r.peek() else {
        return Some(());
    };
    let value = r.node(indent, None)?;
    // A scalar document is never a manifest; the full parser reports it.
    if r.peek().is_some() || !(value.is_object() || value.is_array()) {
        return None;
    }
    docs.push(value);
    Some(())
}

struct Reader<'a> {
    lines: Vec<&'a str>,
    /// The line being read.
    at: usize,
    /// Block nodes open around the current line.
    depth: usize,
    /// The last line ends the text without a line break.
    unterminated: bool,
}

impl<'a> Reader<'a> {
    /// The next line that holds a node, and its indentation; blank and
    /// comment lines are skipped.
    fn peek(&mut self) -> Option<(usize, &'a str)> {
        while let Some(line) = self.lines.get(self.at) {
            let rest = line.trim_start_matches(' ');
            if !rest.is_empty() && !rest.starts_with('#') {
                return Some((line.len() - rest.len(), line));
            }
            self.at += 1;
        }
        None
    }

    /// The node that starts at column `col` of the current line, inside a
    /// collection indented by `parent` (`None`: a literal block scalar is
    /// left to the full parser).
    fn node(&mut self, col: usize, parent: Option<usize>) -> Option<J> {
        // Counts every node, scalars too: never more nesting than the full
        // parser allows, sometimes less.
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let rest = &self.lines[self.at][col..];
        let value = if is_item(rest) {
            self.sequence(col)
        } else if let Some(first) = key(rest) {
            self.mapping(col, first)
        } else {
            self.inline(parent, rest)
        };
        self.depth -= 1;
        value
    }

    /// A block sequence whose `-` indicators are at column `col`.
    fn sequence(&mut self, col: usize) -> Option<J> {
        let mut items = Vec::new();
        loop {
            let after = &self.lines[self.at][col + 1..];
            let value = if end_of_line(after).is_some() {
                self.below(col, false)?
            } else {
                let rest = after.trim_start_matches(' ');
                self.node(col + 1 + after.len() - rest.len(), Some(col))?
            };
            items.push(value);
            match self.peek() {
                Some((indent, line)) if indent == col && is_item(&line[col..]) => {}
                Some((indent, _)) if indent > col => return None,
                _ => return Some(J::Array(items)),
            }
        }
    }

    /// A block mapping whose keys start at column `col`; its first key,
    /// and where that key's `:` ends, are `first`.
    fn mapping(&mut self, col: usize, first: (String, usize)) -> Option<J> {
        let mut map = Map::new();
        let (mut name, mut end) = first;
        loop {
            let line = self.lines[self.at];
            let after = &line[col + end..];
            let value = if end_of_line(after).is_some() {
                self.below(col, true)?
            } else {
                let rest = after.trim_start_matches(' ');
                self.inline(Some(col), rest)?
            };
            if map.insert(name, value).is_some() {
                return None;
            }
            match self.peek() {
                Some((indent, line)) if indent == col && !is_item(&line[col..]) => {
                    (name, end) = key(&line[col..])?;
                }
                Some((indent, _)) if indent >= col => return None,
                _ => return Some(J::Object(map)),
            }
        }
    }

    /// The value of a key or item at column `col` with nothing after its
    /// indicator: the node on the lines below, or null.
    fn below(&mut self, col: usize, in_mapping: bool) -> Option<J> {
        self.at += 1;
        match self.peek() {
            Some((indent, _)) if indent > col => self.node(indent, None),
            // A sequence may sit at its key's own indentation.
            Some((indent, line)) if in_mapping && indent == col && is_item(&line[col..]) => {
                self.node(col, None)
            }
            _ => Some(J::Null),
        }
    }

    /// A value that starts with `rest` and ends on its line, or a literal
    /// block scalar whose lines follow, inside a collection indented by
    /// `parent`.
    fn inline(&mut self, parent: Option<usize>, rest: &str) -> Option<J> {
        let value = match rest.as_bytes()[0] {
            b'|' => return self.literal(parent?, &rest[1..]),
            b'"' | b'[' | b'{' => {
                let mut pos = 0;
                let value = flow(rest.as_bytes(), &mut pos, self.depth)?;
                end_of_line(&rest[pos..])?;
                value
            }
            _ => plain(rest)?,
        };
        self.at += 1;
        Some(value)
    }

    /// A literal block scalar inside a collection indented by `indent`, whose
    /// header (after the `|`) is `header`. Its content is indented further.
    fn literal(&mut self, indent: usize, header: &str) -> Option<J> {
        let strip = header.starts_with('-');
        end_of_line(header.strip_prefix('-').unwrap_or(header))?;
        self.at += 1;
        let mut content: Option<usize> = None;
        let mut text = String::new();
        let mut blank = 0;
        while let Some(line) = self.lines.get(self.at) {
            let spaces = line.len() - line.trim_start_matches(' ').len();
            if spaces == line.len() {
                // A line of spaces only: more than the content's indentation
                // would be content, and blank lines before the first content
                // line set rules of their own.
                if content.is_none_or(|c| spaces > c) {
                    return None;
                }
                blank += 1;
            } else {
                let c = *content.get_or_insert(spaces);
                if spaces < c || c <= indent {
                    break;
                }
                if !text.is_empty() {
                    text.push('\n');
                }
                for _ in 0..blank {
                    text.push('\n');
                }
                blank = 0;
                text.push_str(&line[c..]);
            }
            self.at += 1;
        }
        // A block scalar that runs into the end of the text without a line
        // break has chomping rules of its own.
        if content.is_none_or(|c| c <= indent) || (self.unterminated && self.at == self.lines.len())
        {
            return None;
        }
        if !strip {
            text.push('\n');
        }
        Some(J::String(text))
    }
}

/// Whether a node starting with `rest` is a block sequence item.
fn is_item(rest: &str) -> bool {
    rest == "-" || rest.starts_with("- ")
}

/// The key of a mapping entry starting with `rest`, and where its `:` ends:
/// a JSON string or a plain word of letters, digits and `_.-/`.
fn key(rest: &str) -> Option<(String, usize)> {
    let bytes = rest.as_bytes();
    let (key, end) = if bytes[0] == b'"' {
        let mut pos = 0;
        (string(bytes, &mut pos)?, pos)
    } else {
        if !(bytes[0].is_ascii_alphanumeric() || bytes[0] == b'_') {
            return None;
        }
        let end = bytes
            .iter()
            .position(|&b| !(b.is_ascii_alphanumeric() || b"_.-/".contains(&b)))
            .unwrap_or(bytes.len());
        let word = yaml::resolve_plain(&rest[..end]).ok()?;
        (yaml::key_text(word)?, end)
    };
    if end > MAX_KEY {
        return None;
    }
    match &bytes[end..] {
        [b':'] => Some((key, end + 1)),
        [b':', b' ', ..] => Some((key, end + 1)),
        _ => None,
    }
}

/// What may follow a value on its line: spaces, then a comment or nothing.
fn end_of_line(rest: &str) -> Option<()> {
    let trimmed = rest.trim_start_matches(' ');
    (trimmed.is_empty() || (trimmed.len() < rest.len() && trimmed.starts_with('#'))).then_some(())
}

/// A plain scalar in block context, to the end of its line or comment.
fn plain(rest: &str) -> Option<J> {
    let first = rest.as_bytes()[0];
    if b"?:,[]{}#&*!|>'\"%@`".contains(&first) || rest == "-" || rest.starts_with("- ") {
        return None;
    }
    // A comment starts at ` #`; `: ` or a final `:` would make it a key.
    let bytes = rest.as_bytes();
    let mut end = bytes.len();
    for (i, pair) in bytes.windows(2).enumerate() {
        match pair {
            [b' ', b'#'] => {
                end = i;
                break;
            }
            [b':', b' '] => return None,
            _ => {}
        }
    }
    let text = rest[..end].trim_end_matches(' ');
    if text.ends_with(':') {
        return None;
    }
    yaml::plain_json(text).ok()
}

/// A JSON value in flow context at `bytes[*pos]`, inside `depth` open
/// collections; plain words stand for numbers, booleans and null only where
/// the core schema reads them so.
fn flow(bytes: &[u8], pos: &mut usize, depth: usize) -> Option<J> {
    skip_spaces(bytes, pos);
    let open = matches!(bytes.get(*pos), Some(b'[' | b'{'));
    if open && depth >= MAX_DEPTH {
        return None;
    }
    match *bytes.get(*pos)? {
        b'"' => string(bytes, pos).map(J::String),
        b'[' => {
            *pos += 1;
            let mut items = Vec::new();
            skip_spaces(bytes, pos);
            if bytes.get(*pos) == Some(&b']') {
                *pos += 1;
                return Some(J::Array(items));
            }
            loop {
                items.push(flow(bytes, pos, depth + 1)?);
                skip_spaces(bytes, pos);
                match bytes.get(*pos)? {
                    b',' => *pos += 1,
                    b']' => {
                        *pos += 1;
                        return Some(J::Array(items));
                    }
                    _ => return None,
                }
            }
        }
        b'{' => {
            *pos += 1;
            let mut map = Map::new();
            skip_spaces(bytes, pos);
            if bytes.get(*pos) == Some(&b'}') {
                *pos += 1;
                return Some(J::Object(map));
            }
            loop {
                skip_spaces(bytes, pos);
                if bytes.get(*pos) != Some(&b'"') {
                    return None;
                }
                let start = *pos;
                let key = string(bytes, pos)?;
                skip_spaces(bytes, pos);
                if *pos - start > MAX_KEY {
                    return None;
                }
                if bytes.get(*pos) != Some(&b':') {
                    return None;
                }
                *pos += 1;
                let value = flow(bytes, pos, depth + 1)?;
                if map.insert(key, value).is_some() {
                    return None;
                }
                skip_spaces(bytes, pos);
                match bytes.get(*pos)? {
                    b',' => *pos += 1,
                    b'}' => {
                        *pos += 1;
                        return Some(J::Object(map));
                    }
                    _ => return None,
                }
            }
        }
        _ => {
            let start = *pos;
            while bytes
                .get(*pos)
                .is_some_and(|b| b.is_ascii_alphanumeric() || b"_.+-".contains(b))
            {
                *pos += 1;
            }
            if start == *pos {
                return None;
            }
            let word = std::str::from_utf8(&bytes[start..*pos]).ok()?;
            match yaml::plain_json(word).ok()? {
                J::String(_) => None,
                value => Some(value),
            }
        }
    }
}

fn skip_spaces(bytes: &[u8], pos: &mut usize) {
    while bytes.get(*pos) == Some(&b' ') {
        *pos += 1;
    }
}

/// A JSON string at `bytes[*pos]` (the opening quote), on one line, with the
/// escapes YAML reads the same way; `*pos` ends past the closing quote.
fn string(bytes: &[u8], pos: &mut usize) -> Option<String> {
    let start = *pos;
    let mut i = start + 1;
    let mut escaped = false;
    loop {
        match *bytes.get(i)? {
            b'"' => break,
            b'\\' => {
                escaped = true;
                match *bytes.get(i + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                    b'u' => {
                        let hex = bytes.get(i + 2..i + 6)?;
                        // Surrogates (D800-DFFF): JSON pairs them, YAML not.
                        let surrogate = hex[0].eq_ignore_ascii_case(&b'd')
                            && matches!(hex[1].to_ascii_lowercase(), b'8'..=b'9' | b'a'..=b'f');
                        if surrogate || !hex.iter().all(u8::is_ascii_hexdigit) {
                            return None;
                        }
                        i += 6;
                    }
                    _ => return None,
                }
            }
            _ => i += 1,
        }
    }
    *pos = i + 1;
    let raw = std::str::from_utf8(&bytes[start..=i]).ok()?;
    if escaped {
        serde_json::from_str(raw).ok()
    } else {
        Some(raw[1..raw.len() - 1].to_string())
    }
}
