//! "Did you mean" suggestions for error messages: the known name closest to a typo.

/// The closest candidate to `given`, if it is close enough to be a likely typo.
/// Close means similar by Jaro-Winkler, or one edit (two for longer names) away, an
/// adjacent swap counting as one edit (`rcp` for `rpc`).
pub fn nearest<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let max_edits = if given.chars().count() >= 6 { 2 } else { 1 };
    candidates
        .into_iter()
        .filter(|c| !c.is_empty())
        .map(|c| {
            let g = given.to_lowercase();
            let l = c.to_lowercase();
            let edits = strsim::osa_distance(&g, &l);
            (edits, strsim::jaro_winkler(&g, &l), c)
        })
        .filter(|&(edits, score, _)| score > 0.75 || (edits <= max_edits && edits < given.len()))
        .min_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)))
        .map(|(_, _, c)| c)
}

/// "unknown X `y`; did you mean `z`? (known: a, b, c)"
pub fn unknown_name<'a>(
    what: &str,
    given: &str,
    known: impl IntoIterator<Item = &'a str> + Clone,
) -> String {
    let list: Vec<&str> = known.clone().into_iter().collect();
    let hint = match nearest(given, known) {
        Some(n) => format!("; did you mean `{n}`?"),
        None => String::new(),
    };
    if list.is_empty() {
        format!("unknown {what} `{given}`{hint}; the model declares none")
    } else {
        format!(
            "unknown {what} `{given}`{hint} (known: {})",
            list.join(", ")
        )
    }
}
