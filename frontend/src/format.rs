//! How every page writes a share, a missing figure or an instant (one rule, so that the pages
//! agree).

use crate::workspaces::command::state::Day;

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

/// An RFC 3339 instant as people read it here: `YYYY-MM-DD HH:MM` in Asia/Shanghai (UTC+8, no
/// daylight saving), the zone of every day the API counts; the text as given when it is not
/// RFC 3339. The API sends instants in UTC, so slicing its text would show times 8 h off.
#[must_use]
pub fn instant(s: &str) -> String {
    shanghai_minute(s).unwrap_or_else(|| s.to_owned())
}

fn shanghai_minute(s: &str) -> Option<String> {
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<i64>().ok());
    let day = Day::parse(s.get(..10)?)?;
    if !matches!(s.as_bytes().get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let (h, m) = (num(11..13)?, num(14..16)?);
    // The offset: `Z`, or `±HH:MM` after the seconds and their fraction.
    let rest = s.get(16..)?;
    let offset = match rest.find(['Z', 'z', '+', '-']) {
        Some(i) if matches!(rest.as_bytes()[i], b'Z' | b'z') => 0,
        Some(i) => {
            let sign = if rest.as_bytes()[i] == b'-' { -1 } else { 1 };
            let o = rest.get(i + 1..)?;
            sign * (o.get(..2)?.parse::<i64>().ok()? * 60 + o.get(3..5)?.parse::<i64>().ok()?)
        }
        None => return None,
    };
    let minutes = day.0 * 1440 + h * 60 + m - offset + 8 * 60;
    let local = minutes.rem_euclid(1440);
    Some(format!("{} {:02}:{:02}", Day(minutes.div_euclid(1440)).iso(), local / 60, local % 60))
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

    #[test]
    fn instants_show_in_shanghai_time() {
        // 16:30 UTC is half past midnight of the next day in Shanghai.
        assert_eq!(instant("2026-12-01T16:30:05.123456+00:00"), "2026-12-02 00:30");
        assert_eq!(instant("2026-12-31T23:59:59Z"), "2027-01-01 07:59");
        assert_eq!(instant("2026-03-01T08:00:00+08:00"), "2026-03-01 08:00");
        assert_eq!(instant("2026-03-01T00:15:00-05:30"), "2026-03-01 13:45");
        assert_eq!(instant("2024-02-29T20:00:00Z"), "2024-03-01 04:00");
        assert_eq!(instant("not a time"), "not a time");
    }
}
