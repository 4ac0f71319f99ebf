//! `$(VAR)` expansion as the kubelet does it in env values, command and
//! args: `$$` is a literal `$`; `$(NAME)` becomes the value of NAME when
//! NAME is defined, and stays as written otherwise; any other `$` is kept.

/// Expands `input` with `lookup`, which answers defined names only.
pub fn expand(input: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let bytes = input.as_bytes();
    let mut out = String::with_capacity(input.len());
    let mut checkpoint = 0;
    let mut cursor = 0;
    while cursor < bytes.len() {
        if bytes[cursor] == b'$' && cursor + 1 < bytes.len() {
            out.push_str(&input[checkpoint..cursor]);
            let rest = &input[cursor + 1..];
            let advance = match rest.as_bytes()[0] {
                b'$' => {
                    out.push('$');
                    1
                }
                b'(' => match rest.find(')') {
                    Some(close) => {
                        let name = &rest[1..close];
                        match lookup(name) {
                            Some(v) => out.push_str(&v),
                            None => {
                                out.push_str("$(");
                                out.push_str(name);
                                out.push(')');
                            }
                        }
                        close + 1
                    }
                    None => {
                        out.push_str("$(");
                        1
                    }
                },
                _ => {
                    // The `$` and the character after it, unchanged.
                    let ch = rest.chars().next().expect("not empty");
                    out.push('$');
                    out.push(ch);
                    ch.len_utf8()
                }
            };
            cursor += advance;
            checkpoint = cursor + 1;
        }
        cursor += 1;
    }
    if checkpoint < input.len() {
        out.push_str(&input[checkpoint..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::expand;

    fn env(name: &str) -> Option<String> {
        match name {
            "A" => Some("1".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn expands_like_the_kubelet() {
        for (input, want) in [
            ("$(A)", "1"),
            ("x$(A)y", "x1y"),
            ("$(EMPTY)z", "z"),
            ("$(B)", "$(B)"),
            ("$$(A)", "$(A)"),
            ("$$", "$"),
            ("$$$", "$$"),
            ("cost $5", "cost $5"),
            ("a$", "a$"),
            ("$(A", "$(A"),
            ("$(", "$("),
            (
                "up=$(\"$T\" | grep -c '(id: ' || true)",
                "up=$(\"$T\" | grep -c '(id: ' || true)",
            ),
            ("pid $$ now", "pid $ now"),
            ("é$(A)é", "é1é"),
            ("$é", "$é"),
        ] {
            assert_eq!(expand(input, env), want, "{input}");
        }
    }
}
