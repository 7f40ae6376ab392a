//! How the page writes coverage figures (pure, tested natively); shares and percentages are
//! [`crate::format`]'s.

use crate::format::NO_FIGURE;

/// The change occlusion makes to a percentage, in percentage points (`−3.2` or `+0.0`).
#[must_use]
pub fn points_change(plain: (i64, i64), occluded: (i64, i64)) -> String {
    if plain.1 <= 0 || occluded.1 <= 0 {
        return NO_FIGURE.to_owned();
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
        assert_eq!(points_change((50, 100), (40, 100)), "−10.0");
        assert_eq!(points_change((50, 100), (50, 100)), "+0.0");
        assert_eq!(points_change((0, 0), (0, 0)), NO_FIGURE);
        assert_eq!(area_m2(1234.56), "1235");
    }
}
