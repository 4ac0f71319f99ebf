//! Kubernetes resource quantities (`500m`, `2Gi`, `1.5`, `1e3`), parsed the
//! way the API server reads them, to check them and to size the JVM heap.

/// The value of a quantity in base units (cores, bytes), or `None` when the
/// text is not a Kubernetes quantity.
pub fn parse(text: &str) -> Option<f64> {
    let (number, factor) = split_suffix(text)?;
    let unsigned = number.strip_prefix(['+', '-']).unwrap_or(number);
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) || (int.is_empty() && frac.is_empty()) {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    Some(value * factor)
}

fn split_suffix(text: &str) -> Option<(&str, f64)> {
    const BINARY: [(&str, i32); 6] = [
        ("Ki", 10),
        ("Mi", 20),
        ("Gi", 30),
        ("Ti", 40),
        ("Pi", 50),
        ("Ei", 60),
    ];
    for (suffix, power) in BINARY {
        if let Some(n) = text.strip_suffix(suffix) {
            return Some((n, 2f64.powi(power)));
        }
    }
    if let Some(i) = text.find(['e', 'E'])
        && i > 0
        && i + 1 < text.len()
    {
        let exp = &text[i + 1..];
        let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            let e: i32 = exp.parse().ok()?;
            return Some((&text[..i], 10f64.powi(e)));
        }
    }
    const DECIMAL: [(char, i32); 9] = [
        ('n', -9),
        ('u', -6),
        ('m', -3),
        ('k', 3),
        ('M', 6),
        ('G', 9),
        ('T', 12),
        ('P', 15),
        ('E', 18),
    ];
    for (suffix, power) in DECIMAL {
        if let Some(n) = text.strip_suffix(suffix) {
            return Some((n, 10f64.powi(power)));
        }
    }
    Some((text, 1.0))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn parses_the_api_servers_forms() {
        assert_eq!(parse("2Gi"), Some(2.0 * 1024.0 * 1024.0 * 1024.0));
        assert_eq!(parse("500m"), Some(0.5));
        assert_eq!(parse("1"), Some(1.0));
        assert_eq!(parse("1.5"), Some(1.5));
        assert_eq!(parse("1e3"), Some(1000.0));
        assert_eq!(parse("128M"), Some(128e6));
        assert_eq!(parse(".5"), Some(0.5));
    }

    #[test]
    fn rejects_what_the_api_server_rejects() {
        for bad in ["", "Gi", "2GB", "2 Gi", "abc", "1.2.3", "-", "0x10", "2gi"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
