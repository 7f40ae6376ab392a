//! How every page writes a share or a missing figure (one rule, so that the pages agree).

/// What a page shows where a figure does not exist (no cases, no residents, no data).
pub const NO_FIGURE: &str = "—";

/// A share in 0–1 as a percentage with one decimal: `45.6 %`.
#[must_use]
pub fn share(s: Option<f64>) -> String {
    s.map_or_else(|| NO_FIGURE.to_owned(), |s| format!("{:.1} %", s * 100.0))
}

/// `part / whole` as a percentage with one decimal (no figure without a whole).
#[must_use]
pub fn percent(part: i64, whole: i64) -> String {
    #[allow(clippy::cast_precision_loss)]
    share((whole > 0).then(|| part as f64 / whole as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_and_percentages_read_alike() {
        assert_eq!(share(Some(0.456)), "45.6 %");
        assert_eq!(share(Some(0.6234)), "62.3 %");
        assert_eq!(share(None), NO_FIGURE);
        assert_eq!(percent(1, 3), "33.3 %");
        assert_eq!(percent(0, 0), NO_FIGURE);
    }
}
