//! The Coverage workspace's slice of the app state ([`crate::state::Workspaces`]): kept across tab
//! switches, reset at logout.
//!
//! Every answer carries the sequence number of the request it answers; an answer for an older
//! question (another grid, another view, the other occlusion mode) is dropped.

use citygrid_api::{GridCoverage, PlannedCameras, SuggestResult, UnitCoverage};

use crate::state::Notice;

/// The suggestion size when the page opens.
pub const DEFAULT_K: u8 = 5;
/// The largest `k` the backend accepts.
pub const MAX_K: u8 = 50;

/// Something loaded from the API for one request.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Load<T> {
    #[default]
    Idle,
    Loading(u64),
    Done(T),
    Failed(Notice),
}

impl<T> Load<T> {
    fn answer(&mut self, seq: u64, result: Result<T, Notice>) {
        if matches!(self, Load::Loading(s) if *s == seq) {
            *self = match result {
                Ok(v) => Load::Done(v),
                Err(e) => Load::Failed(e),
            };
        }
    }

    /// The loaded value.
    #[must_use]
    pub fn done(&self) -> Option<&T> {
        match self {
            Load::Done(v) => Some(v),
            _ => None,
        }
    }
}

/// One grid's coverage, without and with occlusion (the change occlusion makes is shown).
#[derive(Debug, Clone, PartialEq)]
pub struct GridFigures {
    pub plain: GridCoverage,
    pub occluded: GridCoverage,
}

/// A suggestion for one area, and whether its sites were added as planned cameras.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub result: SuggestResult,
    pub added: Load<PlannedCameras>,
}

/// What the Coverage workspace is working on.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageState {
    /// Count only what cameras see past the footprints in front.
    pub occlusion: bool,
    /// The worst-covered grids of the view or of the selected unit.
    pub ranking: Load<Vec<UnitCoverage>>,
    /// The grid whose figures are shown, by code.
    pub grid: Option<(String, Load<Box<GridFigures>>)>,
    /// How many cameras to suggest.
    pub k: u8,
    /// The suggestion for an area (its code), if asked.
    pub suggestion: Option<(String, Load<Suggestion>)>,
}

impl Default for CoverageState {
    fn default() -> Self {
        CoverageState { occlusion: false, ranking: Load::Idle, grid: None, k: DEFAULT_K, suggestion: None }
    }
}

/// A change to [`CoverageState`].
#[derive(Debug, Clone, PartialEq)]
pub enum CoverageAction {
    SetOcclusion(bool),
    RankingStarted(u64),
    RankingLoaded(u64, Result<Vec<UnitCoverage>, Notice>),
    /// The figures of grid `code` are being loaded (request `seq`).
    GridStarted(String, u64),
    GridLoaded(u64, Result<Box<GridFigures>, Notice>),
    /// No grid selected.
    NoGrid,
    SetK(u8),
    SuggestStarted(String, u64),
    SuggestLoaded(u64, Result<Box<SuggestResult>, Notice>),
    /// Forget the suggestion (another area was selected, or the user closed it).
    ClearSuggestion,
    AddStarted(u64),
    AddDone(u64, Result<PlannedCameras, Notice>),
}

impl CoverageState {
    /// The reducer of this slice.
    pub fn apply(&mut self, action: CoverageAction) {
        use CoverageAction as A;
        match action {
            A::SetOcclusion(on) => self.occlusion = on,
            A::RankingStarted(seq) => self.ranking = Load::Loading(seq),
            A::RankingLoaded(seq, r) => self.ranking.answer(seq, r),
            A::GridStarted(code, seq) => self.grid = Some((code, Load::Loading(seq))),
            A::GridLoaded(seq, r) => {
                if let Some((_, g)) = &mut self.grid {
                    g.answer(seq, r);
                }
            }
            A::NoGrid => self.grid = None,
            A::SetK(k) => self.k = k.clamp(1, MAX_K),
            A::SuggestStarted(code, seq) => self.suggestion = Some((code, Load::Loading(seq))),
            A::SuggestLoaded(seq, r) => {
                if let Some((_, s)) = &mut self.suggestion {
                    s.answer(seq, r.map(|result| Suggestion { result: *result, added: Load::Idle }));
                }
            }
            A::ClearSuggestion => self.suggestion = None,
            A::AddStarted(seq) => {
                if let Some((_, Load::Done(s))) = &mut self.suggestion {
                    if !matches!(s.added, Load::Done(_)) {
                        s.added = Load::Loading(seq);
                    }
                }
            }
            A::AddDone(seq, r) => {
                if let Some((_, Load::Done(s))) = &mut self.suggestion {
                    s.added.answer(seq, r);
                }
            }
        }
    }

    /// The suggestion that is shown, when it has loaded.
    #[must_use]
    pub fn suggestion_done(&self) -> Option<&Suggestion> {
        self.suggestion.as_ref().and_then(|(_, s)| s.done())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Key, Text};

    fn result(code: &str) -> SuggestResult {
        SuggestResult {
            area_code: code.into(),
            kind: "dome".into(),
            fov_deg: 90.0,
            range_m: 60.0,
            min_spacing_m: 30.0,
            occlusion: false,
            sites: Vec::new(),
            positions: 0,
            candidates: 0,
            residents: 10,
            covered_residents_before: 2,
            covered_residents_after: 5,
        }
    }

    #[test]
    fn a_late_answer_is_dropped() {
        let mut s = CoverageState::default();
        s.apply(CoverageAction::RankingStarted(1));
        s.apply(CoverageAction::RankingStarted(2));
        s.apply(CoverageAction::RankingLoaded(1, Ok(Vec::new())));
        assert_eq!(s.ranking, Load::Loading(2));
        s.apply(CoverageAction::RankingLoaded(2, Err(Notice::Key(Key::Loading.phrase()))));
        assert!(matches!(s.ranking, Load::Failed(_)));

        s.apply(CoverageAction::SuggestStarted("320812001".into(), 3));
        s.apply(CoverageAction::SuggestStarted("320812002".into(), 4));
        s.apply(CoverageAction::SuggestLoaded(3, Ok(Box::new(result("320812001")))));
        assert_eq!(s.suggestion, Some(("320812002".into(), Load::Loading(4))));
        s.apply(CoverageAction::SuggestLoaded(4, Ok(Box::new(result("320812002")))));
        assert_eq!(s.suggestion_done().map(|x| x.result.area_code.as_str()), Some("320812002"));
    }

    #[test]
    fn planned_cameras_are_added_once() {
        let mut s = CoverageState::default();
        s.apply(CoverageAction::SuggestStarted("320812001".into(), 1));
        s.apply(CoverageAction::SuggestLoaded(1, Ok(Box::new(result("320812001")))));
        s.apply(CoverageAction::AddStarted(2));
        s.apply(CoverageAction::AddDone(2, Ok(PlannedCameras { ids: vec![7], codes: vec!["PLAN-7".into()] })));
        s.apply(CoverageAction::AddStarted(3));
        assert!(matches!(s.suggestion_done().map(|x| &x.added), Some(Load::Done(_))));
    }

    #[test]
    fn k_stays_in_range() {
        let mut s = CoverageState::default();
        assert_eq!(s.k, DEFAULT_K);
        s.apply(CoverageAction::SetK(0));
        assert_eq!(s.k, 1);
        s.apply(CoverageAction::SetK(200));
        assert_eq!(s.k, MAX_K);
    }
}
