//! The fast read-back of template output (`readback::documents`) against
//! the full YAML parser, the reference: whatever the fast reader accepts, the
//! full parser must accept and read to the same documents. The fast reader
//! must also accept everything the built-in templates print, or the speed it
//! exists for is lost without any test failing.

use kafkagen::pipeline::{self, Options};
use kafkagen::render;
use kafkagen::source::{SourceId, Sources};
use kafkagen::yaml;
use kafkagen::yaml::readback;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;
use std::cell::Cell;
use std::path::Path;

/// The non-null documents of `text` by the full parser, or `None` on error.
fn full(text: &str) -> Option<Vec<Value>> {
    yaml::json_documents(text, SourceId(0)).ok()
}

/// `Some(documents)` when the fast reader accepts `text`, having checked
/// that the full parser reads the same.
fn fast(text: &str) -> Option<Vec<Value>> {
    let docs = readback::documents(text)?;
    assert_eq!(
        Some(&docs),
        full(text).as_ref(),
        "fast and full read-back differ for {text:?}"
    );
    Some(docs)
}

#[test]
fn reads_what_templates_print() {
    let cases = [
        "a: 1\nb: \"x\"\nc: plain words\n",
        "kind: Service\nmetadata:\n  name: \"n\"\n  labels: {\"a\":\"b\",\"c\":\"d\"}\n",
        "spec:\n  ports:\n    - name: \"x\"\n      port: 1\n    - name: y\n      port: 2\n",
        "list:\n- a\n- b\nafter: 1\n",
        "a:\n  - - 1\n    - 2\n  - []\n  - {}\n",
        "cmd:\n  - sh\n  - -c\n  - |\n    set -eu\n    # not a comment\n\n    echo \"$x\" # kept\n  - next\n",
        "s: |-\n  one\n  two\n\n\nt: 1\n",
        "- |\n  a\n   indented\n- b\n",
        "m:\n  k: |\n    text\n",
        "v: [\"/bin/bash\",\"-c\",\"exec 3<>/dev/tcp/1.2.3.4/5 && grep -q '^Mode: ' <&3\"]\n",
        "e: \"\\u003c\\u0026\\\"\\\\\\/\\n\\t\"\n",
        "n: [1, -2, 3.5, 1e3, true, false, null, 0x1F, .inf]\n",
        "a: 1 # comment\n# line comment\nb: 2\n   # indented comment\n",
        "a: 1\n---\nb: 2\n---\n\n---\n",
        "---\na: 1\n",
        "k: v:w:x\n",
        "url: http://example.com:8080/x\n",
        "t: true\nf: False\nn: ~\ni: -12\nf2: 1.5\no: 0o17\ny: yes\n",
        "1: one\ntrue: yes\nnull: nothing\n",
        "\"quoted key\": 1\n\"a\\\"b\": 2\n",
        "a:\n  b:\n    c:\n      d: 1\n  e: 2\n",
        "  indented: root\n  second: 2\n",
        "- a: 1\n  b: 2\n- c: 3\n",
        "a: \"#not a comment\"\n",
        "a: x#y\n",
        "empty:\nnext: 1\n",
        "items:\n  -\n  - x\n",
        "plain: a, b] c}\n",
        "a:\n- |\n  x\n- |-\n  y\nb: 1\n",
    ];
    for text in cases {
        assert!(fast(text).is_some(), "fast read-back declined {text:?}");
    }
}

#[test]
fn leaves_the_rest_to_the_full_parser() {
    let cases = [
        "a: \u{e9}\n",               // non-ASCII
        "a:\t1\n",                   // tab
        "a: 1\r\nb: 2\r\n",          // CR
        "a: &x 1\nb: *x\n",          // anchors and aliases
        "a: !!str 1\n",              // tags
        "a: 'single'\n",             // single quotes
        "a: >\n  folded\n",          // folded block scalar
        "a: |+\n  keep\n\n",         // keep chomping
        "a: |2\n   x\n",             // indentation indicator
        "a: |\n\n  leading blank\n", // blank line before content
        "a: |\n  x\n     \n  y\n",   // spaces beyond the indentation
        "a: plain\n  continued\n",   // multi-line plain scalar
        "a: \"multi\n  line\"\n",    // multi-line quoted scalar
        "a: [1,\n  2]\n",            // multi-line flow
        "a: [x]\n",                  // plain string in flow
        "a: {b: 1}\n",               // plain key in flow
        "a: [1, ]\n",                // trailing comma
        "a: \"\\ud83d\\ude00\"\n",   // surrogate escapes
        "a: \"\\x41\"\n",            // YAML-only escape
        "a: 1\na: 2\n",              // duplicate key
        "a: {\"b\":1,\"b\":2}\n",    // duplicate key in flow
        "1: x\n\"1\": y\n",          // duplicate key, two spellings
        "--- a: 1\n",                // content on the marker line
        "%YAML 1.2\n---\na: 1\n",    // directive
        "a: 1\n...\n",               // document end marker
        "? a\n: 1\n",                // complex key
        "a b: 1\n",                  // key with a space
        "a: b: c\n",                 // nested implicit key
        "a: 1\n b: 2\n",             // bad indentation
        "a:\n  - x\n  b: 1\n",       // item then key
        "a: 99999999999999999999\n", // integer out of range
        "a: \"x\" y\n",              // text after a quoted scalar
        "a: \"x\"#c\n",              // comment without a space
        "a: |\nb: 1\n",              // empty block scalar
        "|\n  root literal\n",       // root block scalar
        "plain root\n",              // root scalar
        " .inf \n",                  // root scalar, null as JSON
        "- |\n  at the end",         // block scalar without a final break
        "- |\n  x\n  ",              // ... ending in spaces, no break
        "a:\n  |\n    x\n",          // block scalar on its own line
        "- a\nb: 1\n",               // sequence then key at the root
    ];
    // YAML limits a block mapping's key to 1024 characters (the full parser
    // allows longer ones in flow mappings; the fast reader leaves both to it).
    let long = "k".repeat(1100);
    for text in [format!("{long}: 1\n"), format!("\"{long}\": 1\n")] {
        assert_eq!(full(&text), None, "a block key of 1,100 characters");
    }
    for text in [
        format!("{long}: 1\n"),
        format!("\"{long}\": 1\n"),
        format!("a: {{\"{long}\":1}}\n"),
    ] {
        assert_eq!(
            readback::documents(&text),
            None,
            "fast read-back took a long key"
        );
    }
    // The full parser allows 64 nested collections: a root mapping and 63
    // lists, not 64.
    let nested = |n: usize| format!("a: {}{}\n", "[".repeat(n), "]".repeat(n));
    assert!(fast(&nested(63)).is_some());
    assert_eq!(full(&nested(64)), None);
    assert_eq!(readback::documents(&nested(64)), None);
    // Lists at their key's indentation count too.
    let compact = |n: usize| format!("a:\n{}b: []\n", "- ".repeat(n));
    assert!(fast(&compact(61)).is_some());
    assert_eq!(full(&compact(62)), None);
    assert_eq!(readback::documents(&compact(62)), None);
    let pairs =
        |n: usize| (0..n).fold("a:\n".to_string(), |t, i| t + &" ".repeat(2 * i) + "- a:\n");
    assert_eq!(full(&pairs(32)), None);
    assert_eq!(readback::documents(&pairs(32)), None);
    for text in cases {
        assert_eq!(
            readback::documents(text),
            None,
            "fast read-back took {text:?}"
        );
    }
}

/// Every built-in profile and every rendering golden spec: each template's
/// output takes the fast path and reads the same as with the full parser.
#[test]
fn built_in_templates_take_the_fast_path() {
    let mut specs: Vec<String> = ["minikube", "minikube-kraft", "quickstart", "production"]
        .iter()
        .map(|p| format!("name: demo\nprofile: {p}\n"))
        .collect();
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden");
    for entry in std::fs::read_dir(golden).unwrap() {
        let case = entry.unwrap().path();
        if case.join("expected.yaml").is_file() && !case.join("args").exists() {
            specs.push(std::fs::read_to_string(case.join("spec.yaml")).unwrap());
        }
    }
    assert!(specs.len() >= 14, "only {} specs", specs.len());
    let mut outputs = 0;
    for spec in &specs {
        let opts = Options::for_bytes("spec.yaml", spec.as_bytes().to_vec());
        let outcome =
            pipeline::run(&opts, &mut Sources::default()).unwrap_or_else(|e| panic!("{spec}: {e}"));
        render::each_output(&outcome.model, None, |template, text| {
            assert!(
                fast(&text).is_some(),
                "{template} took the slow path for\n{spec}\n{text}"
            );
            outputs += 1;
            Ok(())
        })
        .unwrap();
    }
    eprintln!("{outputs} template outputs from {} specs", specs.len());
    assert!(outputs >= 100, "only {outputs} template outputs");
}

/// Lines drawn from block structure, flow and scalar pieces, most of them
/// valid YAML and many not: where the fast reader accepts, it must agree.
fn yamlish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("a"),
        Just("b"),
        Just("- "),
        Just("-"),
        Just("key: "),
        Just("key:"),
        Just("\"k\": "),
        Just("1: "),
        Just("|"),
        Just("|-"),
        Just(">"),
        Just("x y"),
        Just("-1"),
        Just("0x1F"),
        Just("1.5e3"),
        Just("true"),
        Just("null"),
        Just("~"),
        Just("yes"),
        Just("a:b"),
        Just(" #c"),
        Just("#"),
        Just(": "),
        Just("\"s\\n\\u0041\""),
        Just("\"\""),
        Just("[1, 2]"),
        Just("[]"),
        Just("{\"a\":1}"),
        Just("{}"),
        Just("["),
        Just("}"),
        Just(","),
        Just("&a "),
        Just("*a"),
        Just("'q'"),
        Just("---"),
        Just(" "),
        Just("  "),
    ];
    let line = (0usize..7, proptest::collection::vec(piece, 0..4))
        .prop_map(|(indent, pieces)| " ".repeat(indent) + &pieces.concat());
    proptest::collection::vec(line, 1..10).prop_map(|lines| lines.join("\n") + "\n")
}

#[test]
fn fast_read_back_agrees_with_the_full_parser() {
    let accepted = Cell::new(0u32);
    let cases = 3000;
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&yamlish(), |text| {
            if let Some(docs) = readback::documents(&text) {
                prop_assert_eq!(Some(docs), full(&text), "{:?}", text);
                accepted.set(accepted.get() + 1);
            }
            Ok(())
        })
        .unwrap();
    eprintln!(
        "{} of {cases} generated texts read by the fast path",
        accepted.get()
    );
    assert!(
        accepted.get() >= cases / 20,
        "only {} of {cases} generated texts were read by the fast path",
        accepted.get()
    );
}
