//! Time playback over the window: a day cursor that steps one day per tick at 0.5–16 days a
//! second, showing either that day alone or everything from the window's start (cumulative).

use super::days::Day;

/// The speeds offered, in days per second.
pub const SPEEDS: [f64; 6] = [0.5, 1.0, 2.0, 4.0, 8.0, 16.0];

/// The playback state of a window `[from, to)` of days.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Playback {
    /// The day shown, `None` when the whole window is shown (no playback).
    pub day: Option<Day>,
    pub playing: bool,
    /// Days per second, one of [`SPEEDS`].
    pub speed: f64,
    /// Show from the window's start to `day` instead of `day` alone.
    pub cumulative: bool,
}

impl Default for Playback {
    fn default() -> Self {
        Playback { day: None, playing: false, speed: 1.0, cumulative: false }
    }
}

impl Playback {
    /// The days `[from, to)` the map shows for a window `[from, to)`.
    #[must_use]
    pub fn frame(&self, from: Day, to: Day) -> (Day, Day) {
        match self.day {
            None => (from, to),
            Some(d) => {
                let d = d.clamp(from, to.plus(-1));
                (if self.cumulative { from } else { d }, d.plus(1))
            }
        }
    }

    /// The frame after this one, for preloading (the same frame at the end).
    #[must_use]
    pub fn next_frame(&self, from: Day, to: Day) -> (Day, Day) {
        let mut next = *self;
        next.advance(from, to);
        next.frame(from, to)
    }

    /// One step: the next day; at the last day playback stops there.
    pub fn advance(&mut self, from: Day, to: Day) {
        let last = to.plus(-1);
        let d = match self.day {
            None => from,
            Some(d) if d >= last => {
                self.playing = false;
                last
            }
            Some(d) => d.plus(1),
        };
        self.day = Some(d);
        if d >= last {
            self.playing = false;
        }
    }

    /// Starts playing (from the first day when at the end or not started).
    pub fn play(&mut self, from: Day, to: Day) {
        if self.day.is_none_or(|d| d >= to.plus(-1)) {
            self.day = Some(from);
        }
        self.playing = true;
    }

    /// Milliseconds between two steps.
    #[must_use]
    pub fn step_ms(&self) -> i32 {
        (1000.0 / self.speed).round() as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn playback_runs_through_the_window_and_stops() {
        let (from, to) = (Day::from_ymd(2026, 11, 1), Day::from_ymd(2026, 11, 4));
        let mut p = Playback::default();
        assert_eq!(p.frame(from, to), (from, to));
        p.play(from, to);
        assert_eq!(p.frame(from, to), (from, from.plus(1)));
        assert_eq!(p.next_frame(from, to), (from.plus(1), from.plus(2)));
        p.advance(from, to);
        p.advance(from, to);
        assert_eq!(p.day, Some(from.plus(2)));
        assert!(!p.playing, "the last day stops playback");
        p.advance(from, to);
        assert_eq!(p.day, Some(from.plus(2)));
        p.cumulative = true;
        assert_eq!(p.frame(from, to), (from, to));
        p.play(from, to);
        assert_eq!(p.day, Some(from), "playing again starts over");
        p.speed = 16.0;
        assert_eq!(p.step_ms(), 63);
        p.speed = 0.5;
        assert_eq!(p.step_ms(), 2000);
    }
}
