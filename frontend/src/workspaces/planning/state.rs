//! The Planning workspace's slice of the app state ([`crate::state::Workspaces`]): kept across tab
//! switches, reset at logout.
//!
//! The grid the planner works on follows the app's selection (a map click or the search); its
//! workload is fetched for it. A shift-click adds grids to merge with it. The split tool collects
//! the line's vertices. A preview is a draft plan on the server (`POST /api/plans`): its diff, or
//! the refusal (a rule broken, with where; a conflict, with who changed which grid). The
//! reducer applies an answer only to the question it answers: a late workload for another grid,
//! or a late preview after the edit changed, is dropped.

use std::collections::BTreeMap;

use citygrid_api::{
    AreaTransfer, CreatePlanRequest, GridChange, GridChangeKind, GridHistory, GridWorkload, Plan, PlanDiff,
    PlanOperation,
};
use serde_json::json;

use crate::api::ApiError;

/// A fetched thing.
#[derive(Debug, Clone, PartialEq)]
pub enum Load<T> {
    Loading,
    Done(T),
    Failed(ApiError),
}

/// What map clicks do.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Tool {
    /// Clicks select grids (shift-click: add to the merge).
    #[default]
    Select,
    /// Clicks add vertices to a split line; double click or Enter finishes it.
    Split { line: Vec<[f64; 2]>, finished: bool },
}

/// The plan being previewed.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Preview {
    #[default]
    None,
    /// `POST /api/plans` under way for the edit numbered `edit`.
    Sending { edit: u32 },
    /// The draft and its diff.
    Draft(Box<Plan>),
    /// Commit or discard under way.
    Deciding(Box<Plan>),
    /// The server refused the edit (or its commit); `draft` is a draft left to discard.
    Refused { error: ApiError, draft: Option<i64> },
    /// A committed plan the planner considers reverting: its diff is shown reversed
    /// ([`reversed`]) before the revert is confirmed.
    Revert(Box<Plan>),
    /// The plan was committed (or a revert of it), by id.
    Committed(i64),
}

/// The partition of the map view at a past date, drawn over today's ("view as of").
#[derive(Debug, Clone, PartialEq)]
pub struct AsOf {
    /// `YYYY-MM-DD` (an Asia/Shanghai day, its end).
    pub date: String,
    /// (code, boundary) of the grids valid then.
    pub grids: Load<Vec<(String, serde_json::Value)>>,
}

/// What the Planning workspace is working on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlanningState {
    /// The grid worked on (the app's selection when it is a grid).
    pub grid: Option<String>,
    /// Its workload, neighbours and village.
    pub workload: Option<Load<GridWorkload>>,
    /// Bumped to fetch the workload again (after a commit).
    pub workload_rev: u32,
    /// Other grids to merge with it, with the version the map showed.
    pub merge: BTreeMap<String, i32>,
    pub tool: Tool,
    pub note: String,
    pub preview: Preview,
    /// Bumped by every change to the edit, so a late preview of an older edit is dropped.
    pub edit: u32,
    /// The grid's versions (fetched with the workload).
    pub history: Option<Load<GridHistory>>,
    pub as_of: Option<AsOf>,
}

/// A change to [`PlanningState`].
#[derive(Debug, Clone, PartialEq)]
pub enum PlanningAction {
    /// The app's selection changed: the grid to work on (`None`: not a grid).
    Focus(Option<String>),
    Workload {
        code: String,
        result: Result<Box<GridWorkload>, ApiError>,
    },
    /// Shift-click on a grid: add it to the merge, or take it out.
    ToggleMerge {
        code: String,
        version: i32,
    },
    StartSplit,
    AddVertex([f64; 2]),
    /// Ctrl+Z: takes the last vertex away.
    UndoVertex,
    /// Double click or Enter: the line is complete.
    FinishLine,
    /// Esc: drops the sketch, the merge and a refused preview.
    Cancel,
    SetNote(String),
    Sending {
        edit: u32,
    },
    Previewed {
        edit: u32,
        result: Result<Box<Plan>, ApiError>,
    },
    Deciding,
    /// A commit (`committed`) or discard answered; a revert answers as a commit.
    Decided {
        committed: bool,
        result: Result<Box<Plan>, ApiError>,
    },
    History {
        code: String,
        result: Result<Box<GridHistory>, ApiError>,
    },
    /// The plan to revert, fetched for its preview.
    RevertPreview(Result<Box<Plan>, ApiError>),
    /// "View as of" a date (`None`: back to today).
    ViewAsOf(Option<String>),
    AsOfGrids {
        date: String,
        result: Result<Vec<(String, serde_json::Value)>, ApiError>,
    },
}

/// Two clicks closer than this (degrees) are one vertex (the clicks of a double click).
const SAME_VERTEX_DEG: f64 = 1e-7;

impl PlanningState {
    /// The reducer of this slice.
    pub fn apply(&mut self, action: PlanningAction) {
        use PlanningAction as A;
        match action {
            A::Focus(code) => {
                if code != self.grid {
                    let committed = matches!(self.preview, Preview::Committed(_));
                    *self = PlanningState {
                        workload: code.as_ref().map(|_| Load::Loading),
                        history: code.as_ref().map(|_| Load::Loading),
                        as_of: self.as_of.clone(),
                        grid: code,
                        workload_rev: self.workload_rev,
                        note: self.note.clone(),
                        edit: self.edit + 1,
                        preview: if committed { self.preview.clone() } else { Preview::None },
                        ..PlanningState::default()
                    };
                }
            }
            A::Workload { code, result } => {
                if self.grid.as_deref() == Some(code.as_str()) {
                    self.workload = Some(match result {
                        Ok(w) => Load::Done(*w),
                        Err(e) => Load::Failed(e),
                    });
                }
            }
            A::ToggleMerge { code, version } => {
                if self.grid.as_deref() == Some(code.as_str()) || self.busy() {
                    return;
                }
                if self.merge.remove(&code).is_none() {
                    self.merge.insert(code, version);
                }
                self.tool = Tool::Select;
                self.changed();
            }
            A::StartSplit => {
                if self.grid.is_some() && !self.busy() {
                    self.merge.clear();
                    self.tool = Tool::Split { line: Vec::new(), finished: false };
                    self.changed();
                }
            }
            A::AddVertex(p) => {
                if let Tool::Split { line, finished: false } = &mut self.tool {
                    let same = line.last().is_some_and(|q| {
                        (q[0] - p[0]).abs() < SAME_VERTEX_DEG && (q[1] - p[1]).abs() < SAME_VERTEX_DEG
                    });
                    if !same && p.iter().all(|c| c.is_finite()) {
                        line.push(p);
                        self.changed();
                    }
                }
            }
            A::UndoVertex => {
                if let Tool::Split { line, finished } = &mut self.tool {
                    if line.pop().is_some() {
                        *finished = false;
                        self.changed();
                    }
                }
            }
            A::FinishLine => {
                if let Tool::Split { line, finished } = &mut self.tool {
                    if line.len() >= 2 && !*finished {
                        *finished = true;
                        self.changed();
                    }
                }
            }
            A::Cancel => {
                if !self.busy() {
                    self.tool = Tool::Select;
                    self.merge.clear();
                    if matches!(self.preview, Preview::Refused { draft: None, .. } | Preview::Committed(_)) {
                        self.preview = Preview::None;
                    }
                    self.changed();
                }
            }
            A::SetNote(note) => self.note = note,
            A::Sending { edit } => {
                if edit == self.edit {
                    self.preview = Preview::Sending { edit };
                }
            }
            A::Previewed { edit, result } => {
                if self.preview == (Preview::Sending { edit }) {
                    self.preview = match result {
                        Ok(plan) => Preview::Draft(plan),
                        Err(error) => Preview::Refused { error, draft: None },
                    };
                }
            }
            A::Deciding => {
                if let Preview::Draft(plan) | Preview::Revert(plan) = &self.preview {
                    self.preview = Preview::Deciding(plan.clone());
                }
            }
            A::Decided { committed, result } => {
                let Preview::Deciding(plan) = &self.preview else { return };
                let id = plan.id;
                match result {
                    Ok(done) if committed => {
                        self.preview = Preview::Committed(done.id);
                        self.history = self.grid.as_ref().map(|_| Load::Loading);
                        self.tool = Tool::Select;
                        self.merge.clear();
                        self.note.clear();
                        self.workload = self.grid.as_ref().map(|_| Load::Loading);
                        self.workload_rev += 1;
                        self.edit += 1;
                    }
                    Ok(_) => {
                        self.preview = Preview::None;
                        self.edit += 1;
                    }
                    Err(error) => {
                        let draft = (plan.status == citygrid_api::PlanStatus::Draft).then_some(id);
                        self.preview = Preview::Refused { error, draft };
                    }
                }
            }
            A::History { code, result } => {
                if self.grid.as_deref() == Some(code.as_str()) {
                    self.history = Some(match result {
                        Ok(h) => Load::Done(*h),
                        Err(e) => Load::Failed(e),
                    });
                }
            }
            A::RevertPreview(result) => {
                if !self.busy() {
                    self.tool = Tool::Select;
                    self.merge.clear();
                    self.edit += 1;
                    self.preview = match result {
                        Ok(plan) => Preview::Revert(plan),
                        Err(error) => Preview::Refused { error, draft: None },
                    };
                }
            }
            A::ViewAsOf(date) => {
                self.as_of = date.map(|date| AsOf { date, grids: Load::Loading });
            }
            A::AsOfGrids { date, result } => {
                if let Some(a) = self.as_of.as_mut().filter(|a| a.date == date) {
                    a.grids = match result {
                        Ok(g) => Load::Done(g),
                        Err(e) => Load::Failed(e),
                    };
                }
            }
        }
    }

    /// A preview, commit or discard is under way.
    #[must_use]
    pub fn busy(&self) -> bool {
        matches!(self.preview, Preview::Sending { .. } | Preview::Deciding(_))
    }

    /// The edit changed: an earlier preview no longer shows it.
    fn changed(&mut self) {
        self.edit += 1;
        if matches!(
            self.preview,
            Preview::Sending { .. } | Preview::Draft(_) | Preview::Revert(_) | Preview::Refused { draft: None, .. }
        ) {
            self.preview = Preview::None;
        }
    }

    /// The workload, once loaded.
    #[must_use]
    pub fn loaded(&self) -> Option<&GridWorkload> {
        match &self.workload {
            Some(Load::Done(w)) => Some(w),
            _ => None,
        }
    }

    /// The split line being drawn.
    #[must_use]
    pub fn sketch(&self) -> &[[f64; 2]] {
        match &self.tool {
            Tool::Split { line, .. } => line,
            Tool::Select => &[],
        }
    }

    /// The plan request for the edit, when it is complete: a finished split line, or grids to
    /// merge. `base_versions` names the grid, every neighbour and the merged grids at the
    /// versions the planner saw (a split line ending on a neighbour's edge changes it too).
    #[must_use]
    pub fn request(&self) -> Option<CreatePlanRequest> {
        let w = self.loaded()?;
        let mut base: BTreeMap<String, i32> = w.neighbours.iter().map(|n| (n.code.clone(), n.version)).collect();
        base.insert(w.code.clone(), w.version);
        let (operation, grids, geometry) = match &self.tool {
            Tool::Split { line, finished: true } => {
                (PlanOperation::Split, vec![w.code.clone()], Some(json!({"type": "LineString", "coordinates": line})))
            }
            Tool::Select if !self.merge.is_empty() => {
                base.extend(self.merge.iter().map(|(c, v)| (c.clone(), *v)));
                (
                    PlanOperation::Merge,
                    std::iter::once(w.code.clone()).chain(self.merge.keys().cloned()).collect(),
                    None,
                )
            }
            _ => return None,
        };
        Some(CreatePlanRequest {
            operation,
            mode: None,
            grids,
            neighbour: None,
            geometry,
            base_versions: base,
            note: self.note.trim().to_owned(),
            allow_multipolygon: false,
        })
    }
}

/// What reverting a plan does: its diff the other way round (before and after swapped, new
/// grids retired and retired ones back, area flowing back).
#[must_use]
pub fn reversed(diff: &PlanDiff) -> PlanDiff {
    let kind = |k: GridChangeKind| match k {
        GridChangeKind::Created => GridChangeKind::Retired,
        GridChangeKind::Retired => GridChangeKind::Created,
        GridChangeKind::Reshaped | GridChangeKind::Restored => GridChangeKind::Restored,
        GridChangeKind::Noded => GridChangeKind::Noded,
    };
    let swap =
        |m: &citygrid_api::ObjectMove| citygrid_api::ObjectMove { id: m.id, from: m.to.clone(), to: m.from.clone() };
    PlanDiff {
        grids: diff
            .grids
            .iter()
            .map(|g| GridChange {
                change: kind(g.change),
                before: g.after.clone(),
                after: g.before.clone(),
                base_version: None,
                ..g.clone()
            })
            .collect(),
        transfers: diff
            .transfers
            .iter()
            .map(|t| AreaTransfer { from: t.to.clone(), to: t.from.clone(), ..t.clone() })
            .collect(),
        buildings_moved: diff.buildings_moved.iter().map(swap).collect(),
        cameras_moved: diff.cameras_moved.iter().map(swap).collect(),
        incidents_moved: diff.incidents_moved.iter().map(swap).collect(),
        colour_changes: Vec::new(),
        without_worker: Vec::new(),
        noded_units: diff.noded_units.clone(),
        village_average: diff.village_average.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use citygrid_api::NeighbourGrid;
    use serde_json::Value;

    use PlanningAction as A;

    fn workload(code: &str) -> GridWorkload {
        GridWorkload {
            code: code.into(),
            name: "一网格".into(),
            village_code: code[..12].into(),
            village_name: "村".into(),
            version: 3,
            area_m2: 1.0,
            buildings: 4,
            households: 8,
            residents: 20,
            cameras: 1,
            open_incidents: 0,
            incidents_90d: 2,
            workers: Vec::new(),
            per_worker: None,
            village_grids: 2,
            village_average: None,
            geometry: Value::Null,
            village_geometry: Value::Null,
            neighbours: vec![NeighbourGrid {
                code: "320812001001002".into(),
                name: "二".into(),
                village_code: "320812001001".into(),
                version: 5,
                geometry: Value::Null,
            }],
        }
    }

    fn focused() -> PlanningState {
        let mut s = PlanningState::default();
        s.apply(A::Focus(Some("320812001001001".into())));
        s.apply(A::Workload { code: "320812001001001".into(), result: Ok(Box::new(workload("320812001001001"))) });
        s
    }

    #[test]
    fn a_late_workload_for_another_grid_is_dropped() {
        let mut s = focused();
        s.apply(A::Focus(Some("320812001001003".into())));
        s.apply(A::Workload { code: "320812001001001".into(), result: Ok(Box::new(workload("320812001001001"))) });
        assert_eq!(s.workload, Some(Load::Loading));
    }

    #[test]
    fn a_split_line_is_drawn_undone_and_finished() {
        let mut s = focused();
        s.apply(A::AddVertex([119.0, 33.0]));
        assert!(s.sketch().is_empty(), "vertices only while splitting");
        s.apply(A::StartSplit);
        s.apply(A::AddVertex([119.0, 33.0]));
        s.apply(A::AddVertex([119.0, 33.0])); // the second click of a double click
        s.apply(A::AddVertex([119.1, 33.0]));
        s.apply(A::AddVertex([119.2, 33.1]));
        s.apply(A::UndoVertex);
        assert_eq!(s.sketch(), &[[119.0, 33.0], [119.1, 33.0]]);
        assert!(s.request().is_none(), "not finished yet");
        s.apply(A::FinishLine);
        let req = s.request().expect("a request");
        assert_eq!(req.operation, PlanOperation::Split);
        assert_eq!(req.geometry, Some(json!({"type": "LineString", "coordinates": [[119.0, 33.0], [119.1, 33.0]]})));
        assert_eq!(req.base_versions.get("320812001001001"), Some(&3));
        assert_eq!(req.base_versions.get("320812001001002"), Some(&5));
        s.apply(A::AddVertex([119.3, 33.0]));
        assert_eq!(s.sketch().len(), 2, "a finished line takes no vertex");
        s.apply(A::Cancel);
        assert_eq!(s.tool, Tool::Select);
        assert!(s.request().is_none());
    }

    #[test]
    fn merge_toggles_and_names_every_grid() {
        let mut s = focused();
        s.apply(A::ToggleMerge { code: "320812001001001".into(), version: 3 });
        assert!(s.merge.is_empty(), "the grid itself is not added");
        s.apply(A::ToggleMerge { code: "320812001001004".into(), version: 7 });
        let req = s.request().expect("a merge");
        assert_eq!(req.operation, PlanOperation::Merge);
        assert_eq!(req.grids, vec!["320812001001001".to_owned(), "320812001001004".to_owned()]);
        assert_eq!(req.base_versions.get("320812001001004"), Some(&7));
        s.apply(A::ToggleMerge { code: "320812001001004".into(), version: 7 });
        assert!(s.request().is_none());
    }

    #[test]
    fn a_late_preview_of_an_older_edit_is_dropped() {
        let mut s = focused();
        s.apply(A::StartSplit);
        s.apply(A::AddVertex([119.0, 33.0]));
        s.apply(A::AddVertex([119.1, 33.0]));
        s.apply(A::FinishLine);
        let edit = s.edit;
        s.apply(A::Sending { edit });
        s.apply(A::UndoVertex);
        assert!(!s.busy(), "the edit moved on");
        let err = ApiError::Network("x".into());
        s.apply(A::Previewed { edit, result: Err(err) });
        assert_eq!(s.preview, Preview::None);
    }
}
