//! The Command view in the URL fragment, so a view can be shared as a link and survives a
//! reload: `#tab=command&sel=unit:320803&w=90&cat=dispute,alarm.fire&src=video&day=2026-11-20&cum=1&map=choropleth&kpi=closure-rate`.
//!
//! - `w`: the window, `7`, `28` or `90` (the last days, today included) or
//!   `2026-10-01_2026-10-31` (a custom range, both days included);
//! - `cat`: families and single categories (`all`: every category), `src`: sources;
//! - `day`: the day the slider is at (a date, so the link names the same day tomorrow), `cum`:
//!   cumulative frames;
//! - `map`: `choropleth` (the heatmap is the default), `kpi`: the choropleth's KPI, `all`:
//!   `township`, `village` or `grid` when it colours every unit of that level (the children of
//!   the unit shown are the default).
//!
//! The selected unit is the app's own `sel`. Only what differs from the opening view is
//! written; unknown or malformed values are ignored, never an error.

use citygrid_api::{Category, CATEGORIES, SOURCES};

use super::choropleth::Kpi;
use super::state::{family_code, CommandState, Day, Extent, Filters, Mode, Span, FAMILIES, LAST_DAYS};

/// What a link says about the Command view (`None`: the opening view's choice).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandView {
    pub span: Option<Span>,
    pub filters: Option<Filters>,
    pub day: Option<Day>,
    pub cumulative: bool,
    pub mode: Option<Mode>,
    pub kpi: Option<Kpi>,
    pub extent: Option<Extent>,
}

impl CommandView {
    /// The fragment keys this view uses.
    pub const KEYS: [&'static str; 8] = ["w", "cat", "src", "day", "cum", "map", "kpi", "all"];

    /// Reads one `key=value` of the fragment (a key of [`Self::KEYS`]); junk is ignored.
    pub fn set(&mut self, key: &str, value: &str) {
        match key {
            "w" => self.span = parse_span(value).or(self.span),
            "cat" => self.filters = Some(parse_categories(value, self.filters.take().unwrap_or_default())),
            "src" => {
                let mut f = self.filters.take().unwrap_or_default();
                f.sources = Vec::new();
                for code in value.split(',') {
                    if SOURCES.iter().any(|s| s.code == code) && !f.sources.contains(&code) {
                        f.toggle_source(code);
                    }
                }
                self.filters = Some(f);
            }
            "day" => self.day = Day::parse(value).or(self.day),
            "cum" => self.cumulative = value == "1",
            "map" => {
                self.mode = match value {
                    "choropleth" => Some(Mode::Choropleth),
                    "heat" => Some(Mode::Heat),
                    _ => self.mode,
                }
            }
            "kpi" => self.kpi = Kpi::parse(value).or(self.kpi),
            "all" => self.extent = Extent::parse(value).or(self.extent),
            _ => {}
        }
    }

    /// The `(key, value)` pairs of the fragment, in [`Self::KEYS`] order.
    #[must_use]
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        match self.span {
            Some(Span::Last(n)) => out.push(("w", n.to_string())),
            Some(Span::Custom { from, to }) => out.push(("w", format!("{}_{}", from.iso(), to.plus(-1).iso()))),
            None => {}
        }
        if let Some(f) = &self.filters {
            let cats: Vec<&str> =
                f.families.iter().map(|k| family_code(*k)).chain(f.categories.iter().copied()).collect();
            out.push(("cat", if cats.is_empty() { "all".to_owned() } else { cats.join(",") }));
            if !f.sources.is_empty() {
                out.push(("src", f.sources.join(",")));
            }
        }
        if let Some(d) = self.day {
            out.push(("day", d.iso()));
        }
        if self.cumulative {
            out.push(("cum", "1".to_owned()));
        }
        if self.mode == Some(Mode::Choropleth) {
            out.push(("map", "choropleth".to_owned()));
        }
        if let Some(k) = self.kpi {
            out.push(("kpi", k.slug().to_owned()));
        }
        if let Some(x) = self.extent {
            out.push(("all", x.slug().to_owned()));
        }
        out
    }
}

fn parse_span(s: &str) -> Option<Span> {
    if let Ok(n) = s.parse::<i64>() {
        return LAST_DAYS.contains(&n).then_some(Span::Last(n));
    }
    let (from, last) = s.split_once('_')?;
    Span::custom(from, last).ok()
}

/// Families and single categories; a category of a family also named is dropped (the family
/// holds it), and a family completed by its categories is the family.
fn parse_categories(s: &str, mut f: Filters) -> Filters {
    f.families = Vec::new();
    f.categories = Vec::new();
    if s == "all" {
        return f;
    }
    let codes: Vec<&str> = s.split(',').collect();
    for k in FAMILIES {
        if codes.contains(&family_code(k)) {
            f.toggle_family(k);
        }
    }
    for code in codes {
        let in_family = Category::by_code(code).is_some_and(|c| f.families.contains(&c.kind));
        if !in_family && !f.categories.contains(&code) && CATEGORIES.iter().any(|c| c.code == code) {
            f.toggle_category(code);
        }
    }
    f
}

impl CommandState {
    /// What a link to this view says (only what differs from the opening view).
    #[must_use]
    pub fn view(&self) -> CommandView {
        let opening = CommandState::default();
        let window = self.window();
        CommandView {
            span: (self.span != opening.span).then_some(self.span),
            filters: (self.filters != opening.filters).then(|| self.filters.clone()),
            day: self.playback.frame.zip(window).map(|(i, w)| w.from.plus(i)),
            cumulative: self.playback.cumulative,
            mode: (self.mode != opening.mode).then_some(self.mode),
            kpi: (self.kpi != opening.kpi).then_some(self.kpi),
            extent: (self.extent != opening.extent).then_some(self.extent),
        }
    }

    /// Opens on the view a link names (at page load, before today is known: the day is shown
    /// once it is, if it lies in the window).
    pub fn open_view(&mut self, v: &CommandView) {
        if let Some(s) = v.span {
            self.span = s;
        }
        if let Some(f) = &v.filters {
            self.filters = f.clone();
        }
        self.pending_day = v.day;
        self.playback.cumulative = v.cumulative;
        if let Some(m) = v.mode {
            self.mode = m;
        }
        if let Some(k) = v.kpi {
            self.kpi = k;
        }
        if let Some(x) = v.extent {
            self.extent = x;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspaces::command::state::CommandAction as A;
    use citygrid_api::CategoryKind;

    fn parse(hash: &str) -> CommandView {
        let mut v = CommandView::default();
        for pair in hash.split('&') {
            if let Some((k, val)) = pair.split_once('=') {
                v.set(k, val);
            }
        }
        v
    }

    fn fragment(v: &CommandView) -> String {
        v.pairs().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
    }

    #[test]
    fn the_opening_view_says_nothing() {
        assert_eq!(CommandState::default().view(), CommandView::default());
        assert!(CommandView::default().pairs().is_empty());
    }

    #[test]
    fn a_view_round_trips_through_the_fragment() {
        let today = Day::parse("2026-12-01").expect("day");
        let mut s = CommandState::default();
        s.apply(A::SetToday(today));
        s.apply(A::SetSpan(Span::custom("2026-10-01", "2026-10-31").expect("range")));
        s.apply(A::ToggleCategory("alarm.fire"));
        s.apply(A::ToggleSource("video"));
        s.apply(A::SetFrame(Some(19)));
        s.apply(A::SetCumulative(true));
        s.apply(A::SetMode(Mode::Choropleth));
        s.apply(A::SetKpi(Kpi::ClosureRate));
        s.apply(A::SetExtent(Extent::All(citygrid_api::AdminLevel::Grid)));
        let text = fragment(&s.view());
        assert_eq!(
            text,
            format!(
                "w=2026-10-01_2026-10-31&cat=dispute,{}&src=video&day=2026-10-20&cum=1&map=choropleth&kpi=closure-rate&all=grid",
                alarms_but_fire()
            )
        );
        // A reload: the state opens on the same view, the day once today is known.
        let mut r = CommandState::default();
        r.open_view(&parse(&text));
        r.apply(A::SetToday(today));
        assert_eq!(r.view(), s.view());
        assert_eq!(
            (r.span, &r.filters, r.playback.frame, r.mode, r.kpi, r.extent),
            (s.span, &s.filters, Some(19), s.mode, s.kpi, s.extent)
        );
    }

    fn alarms_but_fire() -> String {
        CATEGORIES
            .iter()
            .filter(|c| c.kind == CategoryKind::Alarm && c.code != "alarm.fire")
            .map(|c| c.code)
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn last_days_and_every_category() {
        let v = parse("w=7&cat=all");
        assert_eq!(v.span, Some(Span::Last(7)));
        assert!(v.filters.as_ref().is_some_and(Filters::all_categories));
        assert_eq!(fragment(&v), "w=7&cat=all");
        let v = parse("cat=dispute,dispute.land&kpi=overdue");
        assert_eq!(
            v.filters.as_ref().map(|f| (f.families.clone(), f.categories.len())),
            Some((vec![CategoryKind::Dispute], 0))
        );
        assert_eq!(v.kpi, Some(Kpi::Overdue));
    }

    #[test]
    fn junk_is_ignored() {
        let v = parse("w=5&day=someday&map=3d&kpi=mood&cum=yes&src=pigeon&all=county");
        assert_eq!((v.span, v.extent), (None, None));
        assert_eq!((v.day, v.mode, v.kpi, v.cumulative), (None, None, None, false));
        assert_eq!(v.filters.map(|f| f.sources), Some(Vec::new()));
        assert_eq!(parse("w=2026-10-31_2026-10-01").span, None, "a reversed range");
        // A day outside the window shows the whole window.
        let mut s = CommandState::default();
        s.open_view(&parse("w=7&day=2020-01-01"));
        s.apply(A::SetToday(Day::parse("2026-12-01").expect("day")));
        assert_eq!(s.playback.frame, None);
    }
}
