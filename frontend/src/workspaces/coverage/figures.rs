//! How the page writes coverage figures (pure, tested natively).

/// `part / whole` as a percentage with one decimal (`—` without a whole).
#[must_use]
pub fn percent(part: i64, whole: i64) -> String {
    if whole <= 0 {
        return "—".to_owned();
    }
    #[allow(clippy::cast_precision_loss)]
    let p = part as f64 * 100.0 / whole as f64;
    format!("{p:.1} %")
}

/// A share in 0–1 as a percentage with one decimal.
#[must_use]
pub fn share(s: Option<f64>) -> String {
    s.map_or_else(|| "—".to_owned(), |s| format!("{:.1} %", s * 100.0))
}

/// The change occlusion makes to a percentage, in percentage points (`−3.2` or `+0.0`).
#[must_use]
pub fn points_change(plain: (i64, i64), occluded: (i64, i64)) -> String {
    if plain.1 <= 0 || occluded.1 <= 0 {
        return "—".to_owned();
    }
    #[allow(clippy::cast_precision_loss)]
    let d = occluded.0 as f64 * 100.0 / occluded.1 as f64 - plain.0 as f64 * 100.0 / plain.1 as f64;
    if d < -0.05 {
        format!("−{:.1}", -d)
    } else {
        format!("+{:.1}", d.max(0.0))
    }
}

/// An area in m², rounded.
#[must_use]
pub fn area_m2(a: f64) -> String {
    format!("{a:.0}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(percent(1, 3), "33.3 %");
        assert_eq!(percent(0, 0), "—");
        assert_eq!(share(Some(0.456)), "45.6 %");
        assert_eq!(share(None), "—");
        assert_eq!(points_change((50, 100), (40, 100)), "−10.0");
        assert_eq!(points_change((50, 100), (50, 100)), "+0.0");
        assert_eq!(points_change((0, 0), (0, 0)), "—");
        assert_eq!(area_m2(1234.56), "1235");
    }
}
