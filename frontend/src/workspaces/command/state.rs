//! The Command workspace's slice of the app state ([`crate::state::Workspaces`]): the time
//! window and filter the page shows, the day the heatmap is at (and its playback), and the
//! answers of the statistics API. Kept across tab switches, reset at logout.
//!
//! The reducer ([`CommandState::apply`]) is pure. An answer is applied only to the request it
//! answers ([`crate::load`]): a late answer for an older window, filter or unit is dropped.

use citygrid_api::{
    AdminLevel, CategoryKind, Hotspots, StatsSummary, StatsUnits, TimeSeries, UnitStats, CATEGORIES, SOURCES,
};

use std::rc::Rc;

use super::choropleth::Kpi;
use crate::load::Load;
use crate::state::{Notice, Selection};

/// A day: the number of days since 1970-01-01 (Asia/Shanghai days, as the API counts them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub i64);

impl Day {
    /// The Asia/Shanghai day of a Unix time in milliseconds (UTC+8, no daylight saving).
    #[must_use]
    pub fn of_unix_ms(ms: f64) -> Day {
        Day(((ms / 1000.0 + 8.0 * 3600.0) / 86_400.0).floor() as i64)
    }

    /// `YYYY-MM-DD` (the proleptic Gregorian calendar, H. Hinnant's `civil_from_days`).
    #[must_use]
    pub fn iso(self) -> String {
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        format!("{y:04}-{m:02}-{d:02}")
    }

    /// Parses `YYYY-MM-DD` (what `<input type=date>` gives).
    #[must_use]
    pub fn parse(s: &str) -> Option<Day> {
        let mut parts = s.trim().splitn(3, '-');
        let y: i64 = parts.next()?.parse().ok()?;
        let m: i64 = parts.next()?.parse().ok()?;
        let d: i64 = parts.next()?.parse().ok()?;
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
            return None;
        }
        let y2 = if m <= 2 { y - 1 } else { y };
        let era = y2.div_euclid(400);
        let yoe = y2.rem_euclid(400);
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let day = Day(era * 146_097 + doe - 719_468);
        // 2026-02-31 is not a day.
        (day.iso() == format!("{y:04}-{m:02}-{d:02}")).then_some(day)
    }

    #[must_use]
    pub fn plus(self, days: i64) -> Day {
        Day(self.0 + days)
    }
}

/// The window choices of the picker: the last 7, 28 or 90 days (today included).
pub const LAST_DAYS: [i64; 3] = [7, 28, 90];

// The longest window the API takes (three years).
use citygrid_api::limits::MAX_WINDOW_DAYS as MAX_DAYS;

/// Which days the page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// The last `n` days, today included.
    Last(i64),
    /// `[from, to)`.
    Custom { from: Day, to: Day },
}

impl Default for Span {
    fn default() -> Self {
        Span::Last(28)
    }
}

/// A window of days `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    pub from: Day,
    pub to: Day,
}

impl Window {
    /// How many days it holds.
    #[must_use]
    pub fn days(self) -> i64 {
        self.to.0 - self.from.0
    }

    /// `from=YYYY-MM-DD&to=YYYY-MM-DD`.
    #[must_use]
    pub fn query(self) -> String {
        format!("from={}&to={}", self.from.iso(), self.to.iso())
    }
}

impl Span {
    /// The window on `today`.
    #[must_use]
    pub fn window(self, today: Day) -> Window {
        match self {
            Span::Last(n) => Window { from: today.plus(1 - n), to: today.plus(1) },
            Span::Custom { from, to } => Window { from, to },
        }
    }

    /// A custom range from the two date fields (`to` inclusive, as people pick it), or why not.
    pub fn custom(from: &str, to_inclusive: &str) -> Result<Span, RangeError> {
        let (Some(from), Some(last)) = (Day::parse(from), Day::parse(to_inclusive)) else {
            return Err(RangeError::Unreadable);
        };
        if last < from {
            return Err(RangeError::Reversed);
        }
        if last.0 - from.0 + 1 > MAX_DAYS {
            return Err(RangeError::TooLong);
        }
        Ok(Span::Custom { from, to: last.plus(1) })
    }
}

/// Why a custom range cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeError {
    Unreadable,
    Reversed,
    TooLong,
}

/// The category families a leader filters by, in display order.
pub const FAMILIES: [CategoryKind; 3] = [CategoryKind::Dispute, CategoryKind::Alarm, CategoryKind::Citizen];

/// The family's code in the API (`category=dispute`).
#[must_use]
pub fn family_code(k: CategoryKind) -> &'static str {
    match k {
        CategoryKind::Dispute => "dispute",
        CategoryKind::Alarm => "alarm",
        CategoryKind::Citizen => "citizen",
    }
}

/// What is counted: whole families, plus single categories of the other families; sources
/// (empty: all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filters {
    pub families: Vec<CategoryKind>,
    pub categories: Vec<&'static str>,
    pub sources: Vec<&'static str>,
}

impl Default for Filters {
    /// Disputes and alarms, from every source: what the page opens on.
    fn default() -> Self {
        Filters {
            families: vec![CategoryKind::Dispute, CategoryKind::Alarm],
            categories: Vec::new(),
            sources: Vec::new(),
        }
    }
}

impl Filters {
    /// Whether incidents of `category` are counted.
    #[must_use]
    pub fn counts(&self, category: &str) -> bool {
        self.categories.contains(&category)
            || citygrid_api::Category::by_code(category).is_some_and(|c| self.families.contains(&c.kind))
    }

    /// Nothing is selected: every category counts (the API's "absent means all").
    #[must_use]
    pub fn all_categories(&self) -> bool {
        self.families.is_empty() && self.categories.is_empty()
    }

    /// Toggles a whole family; its single categories go (they are in it or out with it).
    pub fn toggle_family(&mut self, k: CategoryKind) {
        if let Some(i) = self.families.iter().position(|f| *f == k) {
            self.families.remove(i);
        } else {
            self.families.push(k);
            self.families.sort_by_key(|f| FAMILIES.iter().position(|g| g == f));
        }
        self.categories.retain(|c| citygrid_api::Category::by_code(c).is_none_or(|cat| cat.kind != k));
    }

    /// Toggles one category. Inside a selected family it takes the family apart into its
    /// other categories.
    pub fn toggle_category(&mut self, code: &str) {
        let Some(cat) = CATEGORIES.iter().find(|c| c.code == code) else { return };
        if let Some(i) = self.families.iter().position(|f| *f == cat.kind) {
            self.families.remove(i);
            self.categories.extend(CATEGORIES.iter().filter(|c| c.kind == cat.kind && c.code != code).map(|c| c.code));
        } else if let Some(i) = self.categories.iter().position(|c| *c == code) {
            self.categories.remove(i);
        } else {
            self.categories.push(cat.code);
            // A family complete again is kept as the family.
            if CATEGORIES.iter().filter(|c| c.kind == cat.kind).all(|c| self.categories.contains(&c.code)) {
                self.categories.retain(|c| citygrid_api::Category::by_code(c).is_none_or(|x| x.kind != cat.kind));
                self.families.push(cat.kind);
            }
        }
        self.categories.sort_by_key(|c| CATEGORIES.iter().position(|x| x.code == *c));
        self.families.sort_by_key(|f| FAMILIES.iter().position(|g| g == f));
    }

    pub fn toggle_source(&mut self, code: &str) {
        let Some(src) = SOURCES.iter().find(|s| s.code == code) else { return };
        if let Some(i) = self.sources.iter().position(|s| *s == code) {
            self.sources.remove(i);
        } else {
            self.sources.push(src.code);
            self.sources.sort_by_key(|s| SOURCES.iter().position(|x| x.code == *s));
        }
    }

    /// `&category=…&source=…` for the API (nothing for "all").
    #[must_use]
    pub fn query(&self) -> String {
        let mut q = String::new();
        let cats: Vec<&str> =
            self.families.iter().map(|f| family_code(*f)).chain(self.categories.iter().copied()).collect();
        if !cats.is_empty() {
            q.push_str("&category=");
            q.push_str(&cats.join(","));
        }
        if !self.sources.is_empty() {
            q.push_str("&source=");
            q.push_str(&self.sources.join(","));
        }
        q
    }
}

/// The playback speeds, in days per second.
pub const SPEEDS: [f64; 6] = [0.5, 1.0, 2.0, 4.0, 8.0, 16.0];

/// Where the heatmap is in the window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Playback {
    /// The day shown (index into the window); `None`: the whole window at once.
    pub frame: Option<i64>,
    pub playing: bool,
    /// Days per second.
    pub speed: f64,
    /// Each frame shows the window from its start up to the frame's day, instead of that day.
    pub cumulative: bool,
}

impl Default for Playback {
    fn default() -> Self {
        Playback { frame: None, playing: false, speed: 1.0, cumulative: false }
    }
}

impl Playback {
    /// The days the heatmap of `frame` counts, in `window`.
    #[must_use]
    pub fn frame_window(&self, window: Window, frame: Option<i64>) -> Window {
        match frame {
            None => window,
            Some(i) if self.cumulative => Window { from: window.from, to: window.from.plus(i + 1) },
            Some(i) => Window { from: window.from.plus(i), to: window.from.plus(i + 1) },
        }
    }

    /// The frame after `frame` (`None` at the window's last day).
    #[must_use]
    pub fn next(frame: Option<i64>, days: i64) -> Option<i64> {
        match frame {
            None => (days > 0).then_some(0),
            Some(i) if i + 1 < days => Some(i + 1),
            Some(_) => None,
        }
    }

    /// Milliseconds between two frames.
    #[must_use]
    pub fn interval_ms(&self) -> i32 {
        (1000.0 / self.speed).round().clamp(30.0, 4000.0) as i32
    }
}

/// What the map shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Heat,
    Choropleth,
}

/// Which units the choropleth colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Extent {
    /// The children of the unit shown (drilling down from the city's counties).
    #[default]
    Children,
    /// Every township, village or grid of the city (or of the leader's county) at once.
    All(AdminLevel),
}

impl Extent {
    /// The choices of the switch, in order.
    pub const ALL: [Extent; 4] = [
        Extent::Children,
        Extent::All(AdminLevel::Township),
        Extent::All(AdminLevel::Village),
        Extent::All(AdminLevel::Grid),
    ];

    /// Its name in the page (`data-extent`) and in links (`all=`).
    #[must_use]
    pub fn slug(self) -> &'static str {
        match self {
            Extent::Children => "children",
            Extent::All(l) => level_slug(l),
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Extent> {
        Extent::ALL.into_iter().find(|e| e.slug() == s)
    }
}

/// The trend chart's interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Interval {
    #[default]
    Day,
    Week,
}

impl Interval {
    #[must_use]
    pub fn slug(self) -> &'static str {
        match self {
            Interval::Day => "day",
            Interval::Week => "week",
        }
    }
}

/// A level's name in the API (`level=village`).
#[must_use]
pub fn level_slug(l: AdminLevel) -> &'static str {
    match l {
        AdminLevel::City => "city",
        AdminLevel::County => "county",
        AdminLevel::Township => "township",
        AdminLevel::Village => "village",
        AdminLevel::Grid => "grid",
    }
}

/// The unit code a selection names, when it is one the statistics know.
#[must_use]
pub fn selected_code(sel: Option<&Selection>) -> Option<&str> {
    match sel? {
        Selection::Grid(c) | Selection::Unit(c) => Some(c),
        Selection::Building(_) | Selection::Camera(_) => None,
    }
}

/// What the Command workspace is working on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CommandState {
    /// Today (Asia/Shanghai), from the browser's clock when the page opens.
    pub today: Option<Day>,
    pub span: Span,
    pub filters: Filters,
    pub playback: Playback,
    /// The figures of the city (or the leader's county) and its children.
    pub summary: Load<StatsSummary>,
    /// The warnings of the last 7 days.
    pub hotspots: Load<Hotspots>,
    pub mode: Mode,
    /// The KPI of the choropleth and of the ranking of children.
    pub kpi: Kpi,
    /// The trend of the unit shown.
    pub series: Load<TimeSeries>,
    pub interval: Interval,
    /// The day a link named ([`super::url`]), shown once today is known.
    pub pending_day: Option<Day>,
    /// Which units the choropleth colours.
    pub extent: Extent,
    /// Every unit of the level of an [`Extent::All`] choropleth, with its figures (shared:
    /// thousands of grids are not copied on each render).
    pub units: Load<Rc<StatsUnits>>,
}

/// A change to [`CommandState`].
#[derive(Debug, Clone, PartialEq)]
pub enum CommandAction {
    SetToday(Day),
    SetSpan(Span),
    ToggleFamily(CategoryKind),
    ToggleCategory(&'static str),
    ToggleSource(&'static str),
    /// Show one day (`Some`) or the whole window; stops playback.
    SetFrame(Option<i64>),
    Play,
    Pause,
    SetSpeed(f64),
    SetCumulative(bool),
    /// Playback: the next day is ready, show it (playback stops after the last day).
    Advance,
    SummaryStarted(u64),
    SummaryLoaded(u64, Result<StatsSummary, Notice>),
    HotspotsStarted(u64),
    HotspotsLoaded(u64, Result<Hotspots, Notice>),
    SetMode(Mode),
    SetKpi(Kpi),
    SetInterval(Interval),
    SeriesStarted(u64),
    SeriesLoaded(u64, Result<TimeSeries, Notice>),
    SetExtent(Extent),
    UnitsStarted(u64),
    UnitsLoaded(u64, Result<Rc<StatsUnits>, Notice>),
}

impl CommandState {
    /// The window shown (`None` until today is known).
    #[must_use]
    pub fn window(&self) -> Option<Window> {
        self.today.map(|t| self.span.window(t))
    }

    /// The days the heatmap shows now.
    #[must_use]
    pub fn heat_window(&self) -> Option<Window> {
        self.window().map(|w| self.playback.frame_window(w, self.playback.frame))
    }

    /// The query of the figures of the unit shown (`sel`, or the city) for the window and filter.
    #[must_use]
    pub fn summary_query(&self, sel: Option<&Selection>) -> String {
        let mut q = self.window().map(Window::query).unwrap_or_default();
        q.push_str(&self.filters.query());
        if let Some(code) = selected_code(sel) {
            q.push_str("&code=");
            q.push_str(code);
        }
        q
    }

    /// The query of every unit of `level` of the city (or the leader's county) for the window
    /// and filter (`/api/stats/units`).
    #[must_use]
    pub fn units_query(&self, level: AdminLevel) -> String {
        let mut q = self.window().map(Window::query).unwrap_or_default();
        q.push_str(&self.filters.query());
        q.push_str("&level=");
        q.push_str(level_slug(level));
        q
    }

    /// The units the choropleth colours: the children of the unit shown (the summary's) or
    /// every unit of a level.
    #[must_use]
    pub fn choropleth_units(&self) -> Load<&[UnitStats]> {
        fn of<T>(l: &Load<T>, units: impl Fn(&T) -> &[UnitStats]) -> Load<&[UnitStats]> {
            match l {
                Load::Idle => Load::Idle,
                Load::Loading(n) => Load::Loading(*n),
                Load::Done(v) => Load::Done(units(v)),
                Load::Failed(n) => Load::Failed(n.clone()),
            }
        }
        match self.extent {
            Extent::Children => of(&self.summary, |s| &s.children),
            Extent::All(_) => of(&self.units, |u| &u.units),
        }
    }

    /// The reducer of this slice.
    pub fn apply(&mut self, action: CommandAction) {
        use CommandAction as A;
        match action {
            A::SetToday(d) => {
                self.today = Some(d);
                if let (Some(day), Some(w)) = (self.pending_day.take(), self.window()) {
                    self.playback.frame = Some(day.0 - w.from.0).filter(|i| (0..w.days()).contains(i));
                }
            }
            A::SetSpan(s) => {
                if s != self.span {
                    self.span = s;
                    self.playback.frame = None;
                    self.playback.playing = false;
                }
            }
            A::ToggleFamily(k) => self.filters.toggle_family(k),
            A::ToggleCategory(c) => self.filters.toggle_category(c),
            A::ToggleSource(s) => self.filters.toggle_source(s),
            A::SetFrame(f) => {
                let days = self.window().map_or(0, Window::days);
                self.playback.frame = f.filter(|i| (0..days).contains(i));
                self.playback.playing = false;
            }
            A::Play => {
                let days = self.window().map_or(0, Window::days);
                // From the start when at the end or showing the whole window.
                if self.playback.frame.is_none_or(|i| i + 1 >= days) {
                    self.playback.frame = (days > 0).then_some(0);
                }
                self.playback.playing = days > 0;
            }
            A::Pause => self.playback.playing = false,
            A::SetSpeed(s) => {
                if SPEEDS.contains(&s) {
                    self.playback.speed = s;
                }
            }
            A::SetCumulative(c) => self.playback.cumulative = c,
            A::Advance => {
                let days = self.window().map_or(0, Window::days);
                match Playback::next(self.playback.frame, days) {
                    Some(i) if self.playback.playing => self.playback.frame = Some(i),
                    _ => self.playback.playing = false,
                }
            }
            A::SummaryStarted(seq) => self.summary = Load::Loading(seq),
            A::SummaryLoaded(seq, r) => self.summary.answer(seq, r),
            A::HotspotsStarted(seq) => self.hotspots = Load::Loading(seq),
            A::HotspotsLoaded(seq, r) => self.hotspots.answer(seq, r),
            A::SetMode(m) => self.mode = m,
            A::SetKpi(k) => self.kpi = k,
            A::SetInterval(i) => self.interval = i,
            A::SeriesStarted(seq) => self.series = Load::Loading(seq),
            A::SeriesLoaded(seq, r) => self.series.answer(seq, r),
            A::SetExtent(e) => self.extent = e,
            A::UnitsStarted(seq) => self.units = Load::Loading(seq),
            A::UnitsLoaded(seq, r) => self.units.answer(seq, r),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Text;

    #[test]
    fn days_round_trip_through_the_calendar() {
        assert_eq!(Day(0).iso(), "1970-01-01");
        assert_eq!(Day::parse("2026-12-01").map(Day::iso).as_deref(), Some("2026-12-01"));
        assert_eq!(Day::parse("2024-02-29").map(|d| d.plus(1).iso()).as_deref(), Some("2024-03-01"));
        assert_eq!(Day::parse("2026-02-29"), None);
        assert_eq!(Day::parse("2026-13-01"), None);
        assert_eq!(Day::parse("soon"), None);
        for n in [-1, 0, 59, 20_000, 20_788, 400_000] {
            assert_eq!(Day::parse(&Day(n).iso()), Some(Day(n)), "{n}");
        }
        // 2026-12-01 16:30 UTC is already 2 December in Shanghai.
        let ms = 1_796_142_600_000.0;
        assert_eq!(Day::of_unix_ms(ms).iso(), "2026-12-02");
        assert_eq!(Day::of_unix_ms(ms - 3600.0 * 1000.0).iso(), "2026-12-01");
    }

    #[test]
    fn windows_end_with_today() {
        let today = Day::parse("2026-12-01").expect("day");
        let w = Span::Last(28).window(today);
        assert_eq!(w.query(), "from=2026-11-04&to=2026-12-02");
        assert_eq!(w.days(), 28);
        assert_eq!(Span::Last(7).window(today).days(), 7);
        let c = Span::custom("2026-10-01", "2026-10-31").expect("range");
        assert_eq!(c.window(today).query(), "from=2026-10-01&to=2026-11-01");
        assert_eq!(Span::custom("2026-10-31", "2026-10-01"), Err(RangeError::Reversed));
        assert_eq!(Span::custom("", "2026-10-01"), Err(RangeError::Unreadable));
        assert_eq!(Span::custom("2020-01-01", "2026-10-01"), Err(RangeError::TooLong));
    }

    #[test]
    fn frames_are_days_or_the_window_up_to_a_day() {
        let w = Span::Last(7).window(Day::parse("2026-12-01").expect("day"));
        let mut p = Playback::default();
        assert_eq!(p.frame_window(w, None), w);
        assert_eq!(p.frame_window(w, Some(2)).query(), "from=2026-11-27&to=2026-11-28");
        p.cumulative = true;
        assert_eq!(p.frame_window(w, Some(2)).query(), "from=2026-11-25&to=2026-11-28");
        assert_eq!(Playback::next(None, 7), Some(0));
        assert_eq!(Playback::next(Some(5), 7), Some(6));
        assert_eq!(Playback::next(Some(6), 7), None);
        assert_eq!(Playback { speed: 16.0, ..p }.interval_ms(), 63);
        assert_eq!(Playback { speed: 0.5, ..p }.interval_ms(), 2000);
    }

    #[test]
    fn playback_runs_through_the_window_and_stops() {
        let mut s = CommandState::default();
        s.apply(CommandAction::SetToday(Day::parse("2026-12-01").expect("day")));
        s.apply(CommandAction::SetSpan(Span::Last(7)));
        s.apply(CommandAction::Play);
        assert_eq!((s.playback.frame, s.playback.playing), (Some(0), true));
        for i in 1..7 {
            s.apply(CommandAction::Advance);
            assert_eq!(s.playback.frame, Some(i));
        }
        assert!(s.playback.playing);
        s.apply(CommandAction::Advance);
        assert_eq!((s.playback.frame, s.playback.playing), (Some(6), false));
        // Play again starts over; moving the slider pauses.
        s.apply(CommandAction::Play);
        assert_eq!(s.playback.frame, Some(0));
        s.apply(CommandAction::SetFrame(Some(3)));
        assert!(!s.playback.playing);
        assert_eq!(s.heat_window().map(Window::query).as_deref(), Some("from=2026-11-28&to=2026-11-29"));
        s.apply(CommandAction::SetFrame(Some(9)));
        assert_eq!(s.playback.frame, None, "outside the window: the whole window");
        s.apply(CommandAction::SetSpeed(3.0));
        assert!((s.playback.speed - 1.0).abs() < 1e-9, "only the offered speeds");
        s.apply(CommandAction::SetFrame(Some(2)));
        s.apply(CommandAction::SetSpan(Span::Last(28)));
        assert_eq!(s.playback.frame, None, "a new window starts whole");
    }

    #[test]
    fn filters_name_families_and_single_categories() {
        let mut f = Filters::default();
        assert_eq!(f.query(), "&category=dispute,alarm");
        assert!(f.counts("alarm.fire") && !f.counts("citizen.environment"));
        f.toggle_category("alarm.fire");
        assert!(!f.families.contains(&CategoryKind::Alarm));
        assert!(!f.counts("alarm.fire") && f.counts("alarm.intrusion"));
        f.toggle_category("alarm.fire");
        assert_eq!(f, Filters::default(), "a complete family is the family again");
        f.toggle_family(CategoryKind::Dispute);
        f.toggle_family(CategoryKind::Alarm);
        assert!(f.all_categories());
        assert_eq!(f.query(), "");
        f.toggle_category("citizen.environment");
        f.toggle_source("video");
        f.toggle_source("hotline");
        assert_eq!(f.query(), "&category=citizen.environment&source=hotline,video");
        f.toggle_source("video");
        f.toggle_source("nope");
        assert_eq!(f.sources, ["hotline"]);
    }

    #[test]
    fn the_figures_follow_the_selection() {
        let mut s = CommandState::default();
        s.apply(CommandAction::SetToday(Day::parse("2026-12-01").expect("day")));
        assert_eq!(s.summary_query(None), "from=2026-11-04&to=2026-12-02&category=dispute,alarm");
        let sel = Selection::Grid("320812001001001".into());
        assert!(s.summary_query(Some(&sel)).ends_with("&code=320812001001001"));
        assert_eq!(selected_code(Some(&Selection::Camera(3))), None);
        assert_eq!(level_slug(AdminLevel::Village), "village");
    }

    #[test]
    fn the_choropleth_colours_the_children_or_every_unit_of_a_level() {
        let mut s = CommandState::default();
        s.apply(CommandAction::SetToday(Day::parse("2026-12-01").expect("day")));
        assert_eq!(s.units_query(AdminLevel::Grid), "from=2026-11-04&to=2026-12-02&category=dispute,alarm&level=grid");
        assert_eq!(Extent::parse("village"), Some(Extent::All(AdminLevel::Village)));
        assert_eq!(Extent::parse("county"), None, "the counties are the city's children");
        assert!(Extent::ALL.iter().all(|e| Extent::parse(e.slug()) == Some(*e)));
        assert_eq!(s.choropleth_units(), Load::Idle);
        let seq = crate::load::next_request();
        s.apply(CommandAction::SetExtent(Extent::All(AdminLevel::Village)));
        s.apply(CommandAction::UnitsStarted(seq));
        assert_eq!(s.choropleth_units(), Load::Loading(seq));
        let units = StatsUnits {
            from: String::new(),
            to: String::new(),
            categories: Vec::new(),
            sources: Vec::new(),
            within: "320800".into(),
            level: AdminLevel::Village,
            units: Vec::new(),
        };
        s.apply(CommandAction::UnitsLoaded(seq, Ok(Rc::new(units))));
        assert_eq!(s.choropleth_units(), Load::Done(&[][..]));
        s.apply(CommandAction::SetExtent(Extent::Children));
        assert_eq!(s.choropleth_units(), Load::Idle, "the summary's children");
    }

    #[test]
    fn late_answers_are_dropped() {
        let mut s = CommandState::default();
        let (old, new) = (crate::load::next_request(), crate::load::next_request());
        s.apply(CommandAction::HotspotsStarted(old));
        s.apply(CommandAction::HotspotsStarted(new));
        s.apply(CommandAction::HotspotsLoaded(old, Err(Notice::Key(super::super::CommandKey::Desc.phrase()))));
        assert_eq!(s.hotspots, Load::Loading(new));
    }
}
