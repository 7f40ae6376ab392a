//! The filters every statistic takes, parsed at the boundary: the time window, categories and
//! sources. Days are Asia/Shanghai days (UTC+8 all year: China has kept no daylight saving
//! time since 1991), the same rule as the SQL `at time zone 'Asia/Shanghai'`.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone as _, Utc};
use citygrid_api::{CategoryKind, CATEGORIES, SOURCES};

/// The longest window any statistic accepts: three years (of 366 days, so any three calendar
/// years fit); the client checks the same number.
pub use citygrid_api::limits::MAX_WINDOW_DAYS;

/// A filter value that cannot be used: which query parameter, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FilterError {
    /// The query parameter at fault (`from`, `to`, `category`, `source`, `level`, `code`…).
    pub field: &'static str,
    pub message: String,
}

impl FilterError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        FilterError { field, message: message.into() }
    }
}

/// UTC+8, the offset of Asia/Shanghai.
#[must_use]
pub fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("+08:00 is a valid offset")
}

/// The Asia/Shanghai day of an instant.
#[must_use]
pub fn day_of(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&shanghai()).date_naive()
}

/// Midnight (Asia/Shanghai) at the start of `day`, as an instant.
#[must_use]
pub fn midnight(day: NaiveDate) -> DateTime<Utc> {
    shanghai()
        .from_local_datetime(&day.and_time(NaiveTime::MIN))
        .single()
        .expect("a fixed offset has no gaps")
        .with_timezone(&Utc)
}

/// Parses `YYYY-MM-DD`.
pub fn parse_day(field: &'static str, s: &str) -> Result<NaiveDate, FilterError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| (2000..=2100).contains(&chrono::Datelike::year(d)))
        .ok_or_else(|| FilterError::new(field, format!("{s:?} is not a date YYYY-MM-DD between 2000 and 2100")))
}

/// Parses a window bound: `YYYY-MM-DD` (midnight, Asia/Shanghai) or an RFC 3339 date-time.
pub fn parse_instant(field: &'static str, s: &str) -> Result<DateTime<Utc>, FilterError> {
    let s = s.trim();
    if s.len() == 10 {
        return parse_day(field, s).map(midnight);
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .filter(|t| (2000..=2100).contains(&chrono::Datelike::year(&day_of(*t))))
        .ok_or_else(|| {
            FilterError::new(
                field,
                format!(
                    "{s:?} is neither a date YYYY-MM-DD nor an RFC 3339 date-time such as 2026-11-30T08:00:00+08:00"
                ),
            )
        })
}

/// A time window `[from, to)` of report times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Window {
    /// Parses `from`/`to` (either may be absent: `to` defaults to `default_to`, `from` to
    /// `default_days` before `to`), then checks `from < to` and the length.
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        default_to: DateTime<Utc>,
        default_days: i64,
    ) -> Result<Window, FilterError> {
        let to = match to.filter(|s| !s.trim().is_empty()) {
            Some(s) => parse_instant("to", s)?,
            None => default_to,
        };
        let from = match from.filter(|s| !s.trim().is_empty()) {
            Some(s) => parse_instant("from", s)?,
            None => to - Duration::days(default_days),
        };
        Window::new(from, to)
    }

    /// Checks `from < to` and that the window is at most [`MAX_WINDOW_DAYS`] long.
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Window, FilterError> {
        if from >= to {
            return Err(FilterError::new(
                "from",
                format!("from ({}) must be before to ({}); to is exclusive", from.to_rfc3339(), to.to_rfc3339()),
            ));
        }
        if to - from > Duration::days(MAX_WINDOW_DAYS) {
            return Err(FilterError::new(
                "to",
                format!("the window is {} days long; at most {MAX_WINDOW_DAYS} (three years)", (to - from).num_days()),
            ));
        }
        Ok(Window { from, to })
    }

    /// The window's length in days (fractional for date-times).
    #[must_use]
    pub fn days(&self) -> f64 {
        (self.to - self.from).num_seconds() as f64 / 86_400.0
    }
}

/// A window of whole Asia/Shanghai days `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DayWindow {
    pub from: NaiveDate,
    /// Exclusive.
    pub to: NaiveDate,
}

impl DayWindow {
    /// Parses `from` and `to` (`YYYY-MM-DD`, `to` exclusive); both required.
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<DayWindow, FilterError> {
        let from = parse_day("from", from.ok_or_else(|| FilterError::new("from", "is required (YYYY-MM-DD)"))?)?;
        let to = parse_day("to", to.ok_or_else(|| FilterError::new("to", "is required (YYYY-MM-DD, exclusive)"))?)?;
        Window::new(midnight(from), midnight(to))?;
        Ok(DayWindow { from, to })
    }

    /// The last `days` days up to and including `today`.
    #[must_use]
    pub fn ending_today(today: NaiveDate, days: i64) -> DayWindow {
        DayWindow { from: today - Duration::days(days - 1), to: today + Duration::days(1) }
    }

    /// The same window as instants.
    #[must_use]
    pub fn window(&self) -> Window {
        Window { from: midnight(self.from), to: midnight(self.to) }
    }

    /// Number of days.
    #[must_use]
    pub fn len(&self) -> i64 {
        (self.to - self.from).num_days()
    }

    /// Has the window no day? (Never, once parsed: `from < to`.)
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() <= 0
    }

    /// Does the window contain `day`?
    #[must_use]
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from <= day && day < self.to
    }
}

/// Incident categories and sources to count; an empty list means all of them. Lists are
/// sorted in catalogue order and free of duplicates, so equal filters compare (and cache) equal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Filter {
    pub categories: Vec<&'static str>,
    pub sources: Vec<&'static str>,
}

impl Filter {
    /// Parses comma-separated lists. A category item is a code (`dispute.labor`) or a family
    /// (`dispute`, `alarm`, `citizen`: all its categories); a list naming every category (or
    /// source) is the same as none.
    pub fn parse(category: Option<&str>, source: Option<&str>) -> Result<Filter, FilterError> {
        let mut cats = [false; CATEGORIES.len()];
        for item in items(category) {
            let kind = match item {
                "dispute" => Some(CategoryKind::Dispute),
                "alarm" => Some(CategoryKind::Alarm),
                "citizen" => Some(CategoryKind::Citizen),
                _ => None,
            };
            let mut hit = false;
            for (i, c) in CATEGORIES.iter().enumerate() {
                if c.code == item || Some(c.kind) == kind {
                    cats[i] = true;
                    hit = true;
                }
            }
            if !hit {
                let known: Vec<&str> = CATEGORIES.iter().map(|c| c.code).collect();
                return Err(FilterError::new(
                    "category",
                    format!("{item:?} is not a category; use dispute, alarm, citizen or one of {}", known.join(", ")),
                ));
            }
        }
        let mut srcs = [false; SOURCES.len()];
        for item in items(source) {
            let i = SOURCES.iter().position(|s| s.code == item).ok_or_else(|| {
                let known: Vec<&str> = SOURCES.iter().map(|s| s.code).collect();
                FilterError::new("source", format!("{item:?} is not a source; use one of {}", known.join(", ")))
            })?;
            srcs[i] = true;
        }
        let pick = |flags: &[bool], codes: Vec<&'static str>| -> Vec<&'static str> {
            if flags.iter().all(|f| *f) {
                Vec::new()
            } else {
                codes.into_iter().zip(flags).filter(|(_, f)| **f).map(|(c, _)| c).collect()
            }
        };
        Ok(Filter {
            categories: pick(&cats, CATEGORIES.iter().map(|c| c.code).collect()),
            sources: pick(&srcs, SOURCES.iter().map(|s| s.code).collect()),
        })
    }

    /// The categories counted: the filter's, or every one.
    #[must_use]
    pub fn category_codes(&self) -> Vec<&'static str> {
        if self.categories.is_empty() {
            CATEGORIES.iter().map(|c| c.code).collect()
        } else {
            self.categories.clone()
        }
    }

    /// The sources counted: the filter's, or every one.
    #[must_use]
    pub fn source_codes(&self) -> Vec<&'static str> {
        if self.sources.is_empty() {
            SOURCES.iter().map(|s| s.code).collect()
        } else {
            self.sources.clone()
        }
    }

    /// Does the filter admit this category and source?
    #[must_use]
    pub fn admits(&self, category: &str, source: &str) -> bool {
        (self.categories.is_empty() || self.categories.contains(&category))
            && (self.sources.is_empty() || self.sources.contains(&source))
    }
}

/// The non-empty, trimmed items of a comma-separated list.
fn items(list: Option<&str>) -> impl Iterator<Item = &str> {
    list.unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_shanghai_days() {
        let t = DateTime::parse_from_rfc3339("2026-11-30T16:30:00Z").expect("time").with_timezone(&Utc);
        assert_eq!(day_of(t), NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"));
        let d = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
        assert_eq!(midnight(d).to_rfc3339(), "2026-11-30T16:00:00+00:00");
        assert_eq!(parse_instant("from", "2026-12-01"), Ok(midnight(d)));
        assert_eq!(parse_instant("from", "2026-12-01T00:00:00+08:00"), Ok(midnight(d)));
    }

    #[test]
    fn windows_are_checked() {
        let now = midnight(NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"));
        let w = Window::parse(None, None, now, 7).expect("default");
        assert_eq!((w.to - w.from).num_days(), 7);
        assert_eq!(Window::parse(Some("2026-11-02"), Some("2026-11-01"), now, 7).expect_err("order").field, "from");
        assert_eq!(Window::parse(Some("2026-11-01"), Some("2026-11-01"), now, 7).expect_err("empty").field, "from");
        assert_eq!(Window::parse(Some("2022-01-01"), Some("2026-01-01"), now, 7).expect_err("long").field, "to");
        assert!(Window::parse(Some("2023-01-01"), Some("2026-01-01"), now, 7).is_ok());
        assert_eq!(Window::parse(Some("2026-13-01"), None, now, 7).expect_err("month").field, "from");
        assert_eq!(Window::parse(None, Some("yesterday"), now, 7).expect_err("word").field, "to");
        let d = DayWindow::parse(Some("2026-11-01"), Some("2026-12-01")).expect("days");
        assert_eq!(d.len(), 30);
        assert!(d.contains(NaiveDate::from_ymd_opt(2026, 11, 30).expect("date")));
        assert!(!d.contains(NaiveDate::from_ymd_opt(2026, 12, 1).expect("date")));
        assert_eq!(DayWindow::parse(None, Some("2026-12-01")).expect_err("missing").field, "from");
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
        assert_eq!(DayWindow::ending_today(today, 7).len(), 7);
        assert_eq!(DayWindow::ending_today(today, 7).to, NaiveDate::from_ymd_opt(2026, 12, 2).expect("date"));
    }

    #[test]
    fn filters_are_normalised() {
        let f = Filter::parse(Some(" alarm.fire,dispute.labor,alarm.fire,"), Some("video,hotline")).expect("filter");
        assert_eq!(f.categories, ["dispute.labor", "alarm.fire"]);
        assert_eq!(f.sources, ["hotline", "video"]);
        let g = Filter::parse(Some("alarm"), None).expect("family");
        assert_eq!(g.categories, ["alarm.intrusion", "alarm.fire", "alarm.traffic", "alarm.crowd"]);
        assert!(g.sources.is_empty());
        let all =
            Filter::parse(Some("dispute,alarm,citizen"), Some("hotline,patrol,wechat,video,walk_in")).expect("all");
        assert_eq!(all, Filter::default());
        assert_eq!(Filter::parse(Some("fire"), None).expect_err("cat").field, "category");
        assert_eq!(Filter::parse(None, Some("email")).expect_err("src").field, "source");
        assert!(f.admits("alarm.fire", "video") && !f.admits("alarm.fire", "patrol"));
        assert_eq!(Filter::default().category_codes().len(), CATEGORIES.len());
    }
}
