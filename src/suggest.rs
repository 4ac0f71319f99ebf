//! "Did you mean" for misspelt keys and values.

/// The candidate closest to `word`, if one is close enough to be a likely typo.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| !matches!(c, '_' | '-' | '.'))
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    let w = norm(word);
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = if norm(c) == w {
            2.0
        } else {
            strsim::jaro_winkler(&w, &norm(c))
        };
        if score >= 0.85 && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::suggest;

    #[test]
    fn finds_typos_and_case_variants() {
        let fields = ["brokers", "replicationFactor", "minInsyncReplicas"];
        assert_eq!(
            suggest("replicationFactr", fields),
            Some("replicationFactor")
        );
        assert_eq!(
            suggest("replication_factor", fields),
            Some("replicationFactor")
        );
        assert_eq!(suggest("brokerz", fields), Some("brokers"));
        assert_eq!(suggest("storage", fields), None);
    }
}
