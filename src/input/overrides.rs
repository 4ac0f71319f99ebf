//! `--set PATH=VALUE`: one spec path set from the command line. The value is
//! read as YAML (`5`, `true`, `[a, b]`, `{size: 5Gi}`), so it is typed and
//! validated exactly like the same value written in the spec file.

use crate::diagnostic::Diagnostic;
use crate::source::{SourceId, Sources, Span};
use crate::yaml::{Entry, Node, Value, parse_one};

/// Parses one `--set` argument into a partial spec.
pub fn parse(arg: &str, sources: &mut Sources) -> Result<Node, Box<Diagnostic>> {
    let id = sources.add("--set", arg);
    let whole = span(id, 1, arg.chars().count() + 1);
    let Some((path, value)) = arg.split_once('=') else {
        return Err(Box::new(
            Diagnostic::error(format!("`--set {arg}` has no `=`"))
                .at(Some(whole))
                .help("write --set PATH=VALUE, for example --set kafka.brokers=3"),
        ));
    };
    let keys = split_path(path).map_err(|m| {
        Diagnostic::error(m).at(Some(whole)).help(
            "paths are mapping keys joined by `.` (write `\\.` for a dot inside a key); \
         to change a list, set all of it: --set 'topics=[{name: orders}]'",
        )
    })?;
    let offset = path.chars().count() + 1;
    let mut node = parse_one(value, id).map_err(|e| {
        Box::new(
            Diagnostic::error(format!("invalid value in --set: {}", e.message))
                .at(Some(shift(e.span, offset))),
        )
    })?;
    shift_node(&mut node, offset);
    let key_span = span(id, 1, path.chars().count() + 1);
    for key in keys.into_iter().rev() {
        node = Node {
            span: key_span,
            value: Value::Map(vec![Entry {
                key,
                key_span,
                value: node,
            }]),
        };
    }
    Ok(node)
}

fn split_path(path: &str) -> Result<Vec<String>, String> {
    let mut keys = vec![String::new()];
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n) => keys.last_mut().unwrap().push(n),
                None => return Err(format!("`--set {path}`: path ends with `\\`")),
            },
            '.' => keys.push(String::new()),
            '[' | ']' => {
                return Err(format!(
                    "`--set {path}`: list items cannot be set one by one"
                ));
            }
            c => keys.last_mut().unwrap().push(c),
        }
    }
    if keys.iter().any(String::is_empty) {
        return Err(format!("`--set {path}`: empty key in path"));
    }
    Ok(keys)
}

fn span(source: SourceId, start: usize, end: usize) -> Span {
    use crate::source::Pos;
    Span {
        source,
        start: Pos {
            line: 1,
            col: start,
        },
        end: Pos { line: 1, col: end },
    }
}

fn shift(mut s: Span, by: usize) -> Span {
    if s.start.line == 1 {
        s.start.col += by;
    }
    if s.end.line == 1 {
        s.end.col += by;
    }
    s
}

fn shift_node(node: &mut Node, by: usize) {
    node.span = shift(node.span, by);
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| shift_node(n, by)),
        Value::Map(entries) => {
            for e in entries {
                e.key_span = shift(e.key_span, by);
                shift_node(&mut e.value, by);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_nested_overlay_with_typed_values() {
        let mut s = Sources::default();
        let n = parse("kafka.config.log\\.retention\\.hours=48", &mut s).unwrap();
        assert_eq!(
            n.to_json(),
            serde_json::json!({"kafka": {"config": {"log.retention.hours": 48}}})
        );
    }

    #[test]
    fn value_spans_point_into_the_argument() {
        let mut s = Sources::default();
        let n = parse("kafka.brokers=5", &mut s).unwrap();
        let v = n.get("kafka").unwrap().get("brokers").unwrap();
        assert_eq!(v.span.start.col, 15);
    }

    #[test]
    fn rejects_list_indexes_and_missing_equals() {
        let mut s = Sources::default();
        assert!(parse("topics[0].name=a", &mut s).is_err());
        assert!(parse("kafka.brokers", &mut s).is_err());
    }
}
