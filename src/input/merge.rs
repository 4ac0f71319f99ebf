//! Overlaying one partial spec on another: maps merge key by key, lists and
//! scalars replace. Every value keeps the span of the layer it came from.

use crate::yaml::{Node, Value};

/// `overlay` merged over `base`. A `null` overlay keeps a base mapping (an
/// empty `kafka:` section changes nothing) and unsets anything else.
pub fn merge(base: Node, overlay: Node) -> Node {
    match (base.value, overlay.value) {
        (Value::Map(mut entries), Value::Map(over)) => {
            for o in over {
                match entries.iter_mut().find(|e| e.key == o.key) {
                    Some(e) => {
                        let b = std::mem::replace(&mut e.value, null_at(&o.value));
                        e.value = merge(b, o.value);
                        e.key_span = o.key_span;
                    }
                    None => entries.push(o),
                }
            }
            Node {
                value: Value::Map(entries),
                span: overlay.span,
            }
        }
        (base_value @ Value::Map(_), Value::Null) => Node {
            value: base_value,
            span: base.span,
        },
        (_, value) => Node {
            value,
            span: overlay.span,
        },
    }
}

fn null_at(node: &Node) -> Node {
    Node {
        value: Value::Null,
        span: node.span,
    }
}

/// Removes the mapping entry `key` from `node`, if it has one.
pub fn remove(node: &mut Node, key: &str) {
    if let Value::Map(entries) = &mut node.value {
        entries.retain(|e| e.key != key);
    }
}

/// The node at a dotted path of mapping keys.
pub fn lookup<'a>(node: &'a Node, path: &[&str]) -> Option<&'a Node> {
    path.iter().try_fold(node, |n, k| n.get(k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceId;
    use crate::yaml::parse_one;

    fn json(base: &str, over: &str) -> serde_json::Value {
        let b = parse_one(base, SourceId(0)).unwrap();
        let o = parse_one(over, SourceId(1)).unwrap();
        merge(b, o).to_json()
    }

    #[test]
    fn maps_merge_lists_and_scalars_replace() {
        let got = json(
            "kafka: {brokers: 1, storage: {size: 1Gi, class: standard}}\ntopics: [{name: a}]\n",
            "kafka: {storage: {size: 5Gi}}\ntopics: [{name: b}]\n",
        );
        assert_eq!(
            got,
            serde_json::json!({
                "kafka": {"brokers": 1, "storage": {"size": "5Gi", "class": "standard"}},
                "topics": [{"name": "b"}]
            })
        );
    }

    #[test]
    fn null_keeps_sections_and_unsets_scalars() {
        let got = json("kafka: {brokers: 1}\nclass: x\n", "kafka:\nclass: null\n");
        assert_eq!(
            got,
            serde_json::json!({"kafka": {"brokers": 1}, "class": null})
        );
    }

    #[test]
    fn values_keep_the_span_of_their_layer() {
        let b = parse_one("kafka: {brokers: 1, partitions: 2}\n", SourceId(0)).unwrap();
        let o = parse_one("kafka: {brokers: 3}\n", SourceId(1)).unwrap();
        let m = merge(b, o);
        assert_eq!(
            lookup(&m, &["kafka", "brokers"]).unwrap().span.source,
            SourceId(1)
        );
        assert_eq!(
            lookup(&m, &["kafka", "partitions"]).unwrap().span.source,
            SourceId(0)
        );
    }
}
