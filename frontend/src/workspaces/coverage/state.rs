//! The Coverage workspace's slice of the app state ([`crate::state::Workspaces`]): kept across tab
//! switches, reset at logout.
//!
//! Every answer carries the sequence number of the request it answers; an answer for an older
//! question (another grid, another view, the other occlusion mode) is dropped.

use citygrid_api::{CameraInfo, GridCoverage, PlannedCameras, SuggestResult, UnitCoverage, WhatIfResult};

use crate::load::Load;
use crate::state::Notice;

/// The suggestion size when the page opens.
pub const DEFAULT_K: u8 = 5;
/// The largest `k` the backend accepts.
pub use citygrid_api::limits::MAX_SITES as MAX_K;

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

/// Where a camera stands and looks (what a drag changes).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    pub lon: f64,
    pub lat: f64,
    pub heading_deg: f64,
}

impl Placement {
    #[must_use]
    pub fn of(c: &CameraInfo) -> Placement {
        Placement { lon: c.lon, lat: c.lat, heading_deg: c.heading_deg }
    }
}

/// The selected camera, being moved or re-aimed: figures follow through what-if while it is
/// dragged, the drop saves it, and each save can be undone.
#[derive(Debug, Clone, PartialEq)]
pub struct CameraEdit {
    /// The camera as last saved.
    pub camera: CameraInfo,
    /// Where it is drawn now (while dragging: not saved yet).
    pub placement: Placement,
    /// The figures of the camera's village as if it stood at `placement` (the last answer; it
    /// stays shown while the next is asked).
    pub what_if: Option<Box<WhatIfResult>>,
    /// The newest what-if request; older answers are dropped.
    pub what_if_asked: u64,
    pub what_if_error: Option<Notice>,
    /// A save under way (its request and, for an undo, the placement it took off the stack).
    pub saving: Option<(u64, Option<Placement>)>,
    /// The last save failed.
    pub save_error: Option<Notice>,
    /// Earlier saved placements, the last one first to undo.
    pub undo: Vec<Placement>,
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
    /// The selected camera.
    pub camera: Option<CameraEdit>,
}

impl Default for CoverageState {
    fn default() -> Self {
        CoverageState {
            occlusion: false,
            ranking: Load::Idle,
            grid: None,
            k: DEFAULT_K,
            suggestion: None,
            camera: None,
        }
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
    /// The selected camera as the API gave it (`None`: no camera selected).
    Camera(Option<Box<CameraInfo>>),
    /// The camera is dragged to `placement` (not saved).
    Drag(Placement),
    WhatIfStarted(u64),
    WhatIfLoaded(u64, Result<Box<WhatIfResult>, Notice>),
    /// The placement is being saved (request `seq`).
    SaveStarted(u64),
    /// The last save is being undone (request `seq`): its placement comes off the stack.
    UndoStarted(u64),
    SaveDone(u64, Result<Box<CameraInfo>, Notice>),
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
            A::Camera(None) => self.camera = None,
            A::Camera(Some(c)) => match &mut self.camera {
                // The same camera again (a refresh): keep its history.
                Some(e) if e.camera.id == c.id && e.saving.is_none() => {
                    e.placement = Placement::of(&c);
                    e.camera = *c;
                }
                Some(e) if e.camera.id == c.id => {}
                _ => {
                    self.camera = Some(CameraEdit {
                        placement: Placement::of(&c),
                        camera: *c,
                        what_if: None,
                        what_if_asked: 0,
                        what_if_error: None,
                        saving: None,
                        save_error: None,
                        undo: Vec::new(),
                    });
                }
            },
            A::Drag(p) => {
                if let Some(e) = &mut self.camera {
                    e.placement = p;
                }
            }
            A::WhatIfStarted(seq) => {
                if let Some(e) = &mut self.camera {
                    e.what_if_asked = seq;
                }
            }
            A::WhatIfLoaded(seq, r) => match &mut self.camera {
                Some(e) if e.what_if_asked == seq => match r {
                    Ok(w) => {
                        e.what_if = Some(w);
                        e.what_if_error = None;
                    }
                    Err(n) => e.what_if_error = Some(n),
                },
                _ => {}
            },
            A::SaveStarted(seq) => {
                if let Some(e) = &mut self.camera {
                    e.saving = Some((seq, None));
                    e.save_error = None;
                }
            }
            A::UndoStarted(seq) => {
                if let Some(e) = &mut self.camera {
                    if let Some(p) = e.undo.pop() {
                        e.placement = p;
                        e.saving = Some((seq, Some(p)));
                        e.save_error = None;
                    }
                }
            }
            A::SaveDone(seq, r) => {
                let Some(e) = &mut self.camera else { return };
                let Some((s, undone)) = e.saving else { return };
                if s != seq {
                    return;
                }
                e.saving = None;
                match r {
                    Ok(c) => {
                        if undone.is_none() {
                            e.undo.push(Placement::of(&e.camera));
                        }
                        e.placement = Placement::of(&c);
                        e.camera = *c;
                    }
                    Err(n) => {
                        // Back to what is saved; an undo that failed stays undoable.
                        if let Some(p) = undone {
                            e.undo.push(p);
                        }
                        e.placement = Placement::of(&e.camera);
                        e.save_error = Some(n);
                    }
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

    fn camera(id: i64, lon: f64) -> Box<CameraInfo> {
        Box::new(CameraInfo {
            id,
            code: format!("C{id}"),
            kind: "dome".into(),
            owner: "community".into(),
            status: "online".into(),
            heading_deg: 10.0,
            fov_deg: 90.0,
            range_m: 60.0,
            installed_on: "2020-01-01".into(),
            lon,
            lat: 33.6,
            grid_code: "320812001001001".into(),
            chain: Vec::new(),
        })
    }

    #[test]
    fn a_drop_saves_and_undo_goes_back() {
        let mut s = CoverageState::default();
        s.apply(CoverageAction::Camera(Some(camera(7, 119.0))));
        let moved = Placement { lon: 119.001, lat: 33.6, heading_deg: 40.0 };
        s.apply(CoverageAction::Drag(moved));
        s.apply(CoverageAction::SaveStarted(1));
        let mut saved = camera(7, 119.001);
        saved.heading_deg = 40.0;
        s.apply(CoverageAction::SaveDone(1, Ok(saved)));
        let e = s.camera.as_ref().expect("a camera");
        assert_eq!(e.undo, vec![Placement { lon: 119.0, lat: 33.6, heading_deg: 10.0 }]);
        assert_eq!(e.placement, moved);

        // Undo: the old placement is shown at once and saved; the stack empties.
        s.apply(CoverageAction::UndoStarted(2));
        assert_eq!(s.camera.as_ref().map(|e| e.placement.lon), Some(119.0));
        s.apply(CoverageAction::SaveDone(2, Ok(camera(7, 119.0))));
        assert!(s.camera.as_ref().is_some_and(|e| e.undo.is_empty() && e.saving.is_none()));

        // A failed save snaps back to what is saved.
        s.apply(CoverageAction::Drag(moved));
        s.apply(CoverageAction::SaveStarted(3));
        s.apply(CoverageAction::SaveDone(3, Err(Notice::Key(Key::Loading.phrase()))));
        let e = s.camera.as_ref().expect("a camera");
        assert_eq!(e.placement, Placement { lon: 119.0, lat: 33.6, heading_deg: 10.0 });
        assert!(e.save_error.is_some() && e.undo.is_empty());

        // Another camera starts afresh; none clears it.
        s.apply(CoverageAction::Camera(Some(camera(8, 119.2))));
        assert_eq!(s.camera.as_ref().map(|e| e.camera.id), Some(8));
        s.apply(CoverageAction::Camera(None));
        assert!(s.camera.is_none());
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
