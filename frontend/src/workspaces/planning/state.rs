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
    AreaTransfer, ColourChange, CreatePlanRequest, GridChange, GridChangeKind, GridHistory, GridWorkload, Plan,
    PlanDiff, PlanOperation, ReshapeMode,
};
use serde_json::json;

use super::edge::{shared_edge, EdgeEdit, EdgeProblem};
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
    /// Picking the neighbour (of the same village) whose shared edge to edit: a click on it or
    /// its button; `problem` says why the last one picked has no editable edge.
    PickEdge { problem: Option<(String, EdgeProblem)> },
    /// Moving, adding and removing the vertices of the edge shared with a neighbour.
    Edge(EdgeEdit),
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
    /// The plan was scheduled to take effect at `at` (RFC 3339).
    Scheduled { id: i64, at: String },
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
    /// "View as of" a day (`YYYY-MM-DD`, its end in Asia/Shanghai): the grid tiles show the
    /// partition valid then.
    pub as_of: Option<String>,
    /// Drafts the page stopped showing (the edit changed, Esc, another grid): discarded on the
    /// server ([`PlanningAction::Abandoned`] once done), so they do not pile up in `plans`.
    pub abandoned: Vec<i64>,
    /// "Redo on the current boundaries" after a conflict: the workload (with the current
    /// versions) is fetched again, then the same edit is previewed as a new draft.
    pub rebase: bool,
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
    /// Ctrl+Z: takes the last vertex of a split line away, or undoes the last change to an edge.
    UndoVertex,
    /// "Edit a shared edge": pick the neighbour next.
    StartEdge,
    /// The neighbour across the edge to edit.
    PickNeighbour(String),
    /// A press on a vertex of the edge (`midpoint`: on the midpoint after vertex `index`, which
    /// adds a vertex there).
    Grab {
        index: usize,
        midpoint: bool,
    },
    /// The grabbed vertex moves to (lon, lat), snapped already.
    DragTo([f64; 2]),
    /// The release.
    Release,
    /// Double click on a vertex of the edge: it goes (not the ends).
    RemoveVertex(usize),
    /// Double click or Enter: the line is complete.
    FinishLine,
    /// Esc: drops the sketch, the merge and a refused preview.
    Cancel,
    /// The server discarded (or had already decided) an abandoned draft.
    Abandoned(i64),
    /// After a conflict: redo the same edit on the current boundaries.
    Rebase,
    /// The grid's workers were saved: fetch its workload again.
    WorkersSaved(String),
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
                    let committed = matches!(self.preview, Preview::Committed(_) | Preview::Scheduled { .. });
                    self.abandon();
                    if let Preview::Refused { draft: Some(id), .. } = self.preview {
                        self.abandoned.push(id);
                    }
                    *self = PlanningState {
                        abandoned: std::mem::take(&mut self.abandoned),
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
                    if let Ok(w) = &result {
                        // The grids to merge are neighbours: take their current versions.
                        for n in &w.neighbours {
                            if let Some(v) = self.merge.get_mut(&n.code) {
                                *v = n.version;
                            }
                        }
                    } else {
                        self.rebase = false;
                    }
                    self.workload = Some(match result {
                        Ok(w) => Load::Done(*w),
                        Err(e) => Load::Failed(e),
                    });
                }
            }
            A::Rebase => {
                if let Preview::Refused { error, draft } = &self.preview {
                    if !error.server().is_some_and(|e| e.code == Some(citygrid_api::ErrorCode::StaleVersion)) {
                        return;
                    }
                    self.abandoned.extend(*draft);
                    self.preview = Preview::None;
                    self.rebase = true;
                    self.workload = self.grid.as_ref().map(|_| Load::Loading);
                    self.workload_rev += 1;
                    self.edit += 1;
                }
            }
            A::WorkersSaved(code) => {
                if self.grid.as_deref() == Some(code.as_str()) {
                    self.workload_rev += 1;
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
                let undone = match &mut self.tool {
                    Tool::Split { line, finished } => {
                        let popped = line.pop().is_some();
                        *finished &= !popped;
                        popped
                    }
                    Tool::Edge(e) => e.undo(),
                    _ => false,
                };
                if undone {
                    self.changed();
                }
            }
            A::StartEdge => {
                if self.grid.is_some() && !self.busy() {
                    self.merge.clear();
                    self.tool = Tool::PickEdge { problem: None };
                    self.changed();
                }
            }
            A::PickNeighbour(code) => {
                if !matches!(self.tool, Tool::PickEdge { .. }) || self.busy() {
                    return;
                }
                let Some(w) = self.loaded() else { return };
                let Some(n) = w.neighbours.iter().find(|n| n.code == code && n.village_code == w.village_code) else {
                    return;
                };
                self.tool = match shared_edge(&w.geometry, &n.geometry) {
                    Ok(line) => Tool::Edge(EdgeEdit::new(code, line)),
                    Err(problem) => Tool::PickEdge { problem: Some((code, problem)) },
                };
                self.changed();
            }
            A::Grab { index, midpoint } => {
                if let Tool::Edge(e) = &mut self.tool {
                    let grabbed = if midpoint { e.grab_midpoint(index) } else { e.grab(index) };
                    if grabbed && midpoint {
                        self.changed();
                    }
                }
            }
            A::DragTo(p) => {
                if let Tool::Edge(e) = &mut self.tool {
                    if e.drag_to(p) {
                        self.changed();
                    }
                }
            }
            A::Release => {
                if let Tool::Edge(e) = &mut self.tool {
                    e.release();
                }
            }
            A::RemoveVertex(i) => {
                if let Tool::Edge(e) = &mut self.tool {
                    if e.remove(i) {
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
                    if matches!(
                        self.preview,
                        Preview::Refused { draft: None, .. } | Preview::Committed(_) | Preview::Scheduled { .. }
                    ) {
                        self.preview = Preview::None;
                    }
                    self.changed();
                }
            }
            A::Abandoned(id) => self.abandoned.retain(|d| *d != id),
            A::SetNote(note) => self.note = note,
            A::Sending { edit } => {
                if edit == self.edit {
                    self.preview = Preview::Sending { edit };
                    self.rebase = false;
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
                        self.preview = match done.effective_from.clone() {
                            Some(at) if done.status == citygrid_api::PlanStatus::Scheduled => {
                                Preview::Scheduled { id: done.id, at }
                            }
                            _ => Preview::Committed(done.id),
                        };
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
                    self.abandon();
                    self.tool = Tool::Select;
                    self.merge.clear();
                    self.edit += 1;
                    self.preview = match result {
                        Ok(plan) => Preview::Revert(plan),
                        Err(error) => Preview::Refused { error, draft: None },
                    };
                }
            }
            A::ViewAsOf(date) => self.as_of = date.filter(|d| !d.is_empty()),
        }
    }

    /// A preview, commit or discard is under way.
    #[must_use]
    pub fn busy(&self) -> bool {
        matches!(self.preview, Preview::Sending { .. } | Preview::Deciding(_))
    }

    /// A draft shown now is left: it goes to [`PlanningState::abandoned`].
    fn abandon(&mut self) {
        if let Preview::Draft(plan) = &self.preview {
            if plan.status == citygrid_api::PlanStatus::Draft && !self.abandoned.contains(&plan.id) {
                self.abandoned.push(plan.id);
            }
        }
    }

    /// The edit changed: an earlier preview no longer shows it.
    fn changed(&mut self) {
        self.edit += 1;
        self.abandon();
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
            _ => &[],
        }
    }

    /// The shared edge being edited.
    #[must_use]
    pub fn edge(&self) -> Option<&EdgeEdit> {
        match &self.tool {
            Tool::Edge(e) => Some(e),
            _ => None,
        }
    }

    /// The plan request for the edit, when it is complete: a finished split line, grids to
    /// merge, or a shared edge changed (and not being dragged). `base_versions` names the grid, every neighbour and the merged grids at the
    /// versions the planner saw (a split line ending on a neighbour's edge changes it too).
    #[must_use]
    pub fn request(&self) -> Option<CreatePlanRequest> {
        let w = self.loaded()?;
        let mut base: BTreeMap<String, i32> = w.neighbours.iter().map(|n| (n.code.clone(), n.version)).collect();
        base.insert(w.code.clone(), w.version);
        let (mut mode, mut neighbour) = (None, None);
        let (operation, grids, geometry) = match &self.tool {
            Tool::Split { line, finished: true } => {
                (PlanOperation::Split, vec![w.code.clone()], Some(json!({"type": "LineString", "coordinates": line})))
            }
            Tool::Edge(e) if e.changed() && e.dragging.is_none() => {
                mode = Some(ReshapeMode::Edge);
                neighbour = Some(e.neighbour.clone());
                (
                    PlanOperation::Reshape,
                    vec![w.code.clone()],
                    Some(json!({"type": "LineString", "coordinates": e.line})),
                )
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
            mode,
            grids,
            neighbour,
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
        // Each grid goes back to its colour; a grid the plan created retires, so has none.
        colour_changes: diff
            .colour_changes
            .iter()
            .filter_map(|c| Some(ColourChange { code: c.code.clone(), from: Some(c.to), to: c.from? }))
            .collect(),
        // The revert restores the assignments too: the grids without a worker are those that
        // had none before the plan.
        without_worker: diff
            .grids
            .iter()
            .filter(|g| g.before.as_ref().is_some_and(|b| b.workers == 0))
            .map(|g| g.code.clone())
            .collect(),
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

    fn figures(workers: i64) -> Value {
        json!({"geometry": null, "area_m2": 1.0, "buildings": 1, "households": 1, "residents": 1, "cameras": 0,
               "open_incidents": 0, "incidents_90d": 0, "workers": workers, "per_worker": null})
    }

    fn plan(id: i64, status: &str) -> Box<Plan> {
        let diff = json!({
            "grids": [
                {"code": "320812001001001", "name": "一", "village_code": "320812001001", "change": "reshaped",
                 "base_version": 3, "before": figures(0), "after": figures(0)},
                {"code": "320812001001009", "name": "新", "village_code": "320812001001", "change": "created",
                 "base_version": null, "before": null, "after": figures(0)},
            ],
            "transfers": [], "buildings_moved": [], "cameras_moved": [], "incidents_moved": [],
            "colour_changes": [{"code": "320812001001002", "from": 1, "to": 3},
                               {"code": "320812001001009", "from": null, "to": 2}],
            "without_worker": ["320812001001001", "320812001001009"], "noded_units": [],
            "village_average": {"village_code": "320812001001", "village_name": "村", "before": null, "after": null},
        });
        Box::new(
            serde_json::from_value(json!({
                "id": id, "status": status, "operation": "split", "mode": null, "village_code": "320812001001",
                "grids": ["320812001001001"], "neighbour": null, "base_versions": {}, "affected": [], "note": "",
                "author": "planner", "created_at": "2026-12-01T00:00:00Z", "decided_at": null, "decided_by": null,
                "reverts": null, "reverted_by": null, "diff": diff,
            }))
            .expect("a plan"),
        )
    }

    /// A finished split line previewed as draft `id`.
    fn previewed(id: i64) -> PlanningState {
        let mut s = focused();
        s.apply(A::StartSplit);
        s.apply(A::AddVertex([119.0, 33.0]));
        s.apply(A::AddVertex([119.1, 33.0]));
        s.apply(A::FinishLine);
        let edit = s.edit;
        s.apply(A::Sending { edit });
        s.apply(A::Previewed { edit, result: Ok(plan(id, "draft")) });
        assert!(matches!(s.preview, Preview::Draft(_)));
        s
    }

    #[test]
    fn a_draft_the_page_leaves_is_to_be_discarded() {
        // The edit changes.
        let mut s = previewed(7);
        s.apply(A::UndoVertex);
        assert_eq!(s.abandoned, vec![7]);
        s.apply(A::Abandoned(7));
        assert!(s.abandoned.is_empty());
        // Esc.
        let mut s = previewed(8);
        s.apply(A::Cancel);
        assert_eq!(s.abandoned, vec![8]);
        // Another grid, kept across the reset.
        let mut s = previewed(9);
        s.apply(A::Focus(Some("320812001001003".into())));
        assert_eq!(s.abandoned, vec![9]);
        // A discard that the server answered leaves nothing to discard.
        let mut s = previewed(10);
        s.apply(A::Deciding);
        s.apply(A::Decided { committed: false, result: Ok(plan(10, "discarded")) });
        s.apply(A::Focus(None));
        assert!(s.abandoned.is_empty());
    }

    #[test]
    fn a_scheduled_commit_says_when_and_a_plain_one_does_not() {
        let mut s = previewed(13);
        s.apply(A::Deciding);
        let mut done = plan(13, "scheduled");
        done.effective_from = Some("2027-01-01T00:00:00+08:00".into());
        s.apply(A::Decided { committed: true, result: Ok(done) });
        assert_eq!(s.preview, Preview::Scheduled { id: 13, at: "2027-01-01T00:00:00+08:00".into() });
        assert!(s.abandoned.is_empty(), "a scheduled plan is not a draft to discard");
        let mut s = previewed(14);
        s.apply(A::Deciding);
        s.apply(A::Decided { committed: true, result: Ok(plan(14, "committed")) });
        assert_eq!(s.preview, Preview::Committed(14));
    }

    #[test]
    fn a_conflict_is_redone_on_the_current_versions() {
        let mut s = previewed(11);
        s.apply(A::Deciding);
        let stale = ApiError::Server(crate::api::ServerError {
            status: 409,
            code: Some(citygrid_api::ErrorCode::StaleVersion),
            message: "m".into(),
            field: None,
            details: None,
        });
        s.apply(A::Decided { committed: true, result: Err(stale) });
        assert!(matches!(s.preview, Preview::Refused { draft: Some(11), .. }));
        s.apply(A::Rebase);
        assert!(s.rebase && s.abandoned == vec![11] && s.workload == Some(Load::Loading));
        let mut w = workload("320812001001001");
        w.version = 4;
        s.apply(A::Workload { code: "320812001001001".into(), result: Ok(Box::new(w)) });
        let req = s.request().expect("the same edit");
        assert_eq!(req.base_versions.get("320812001001001"), Some(&4));
        assert_eq!(req.operation, PlanOperation::Split);
        let edit = s.edit;
        s.apply(A::Sending { edit });
        assert!(!s.rebase);
        // Only a conflict is redone.
        let mut s = previewed(12);
        s.apply(A::Deciding);
        s.apply(A::Decided { committed: true, result: Err(ApiError::Network("x".into())) });
        s.apply(A::Rebase);
        assert!(!s.rebase);
    }

    #[test]
    fn a_revert_shows_colours_back_and_the_grids_left_without_a_worker() {
        let r = reversed(&plan(1, "committed").diff);
        assert_eq!(r.colour_changes, vec![ColourChange { code: "320812001001002".into(), from: Some(3), to: 1 }]);
        // The kept grid had no worker before the plan: it has none after the revert either.
        assert_eq!(r.without_worker, vec!["320812001001001".to_owned()]);
        assert_eq!(r.grids[1].change, GridChangeKind::Retired);
    }

    #[test]
    fn a_shared_edge_is_picked_moved_undone_and_sent_as_an_edge_reshape() {
        let mut s = PlanningState::default();
        let code = "320812001001001";
        s.apply(A::Focus(Some(code.into())));
        let mut w = workload(code);
        w.geometry = json!({"type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 0.0], [1.0, 0.5], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]]});
        w.neighbours[0].geometry = json!({"type": "Polygon", "coordinates": [[[1.0, 0.0], [2.0, 0.0], [2.0, 1.0], [1.0, 1.0], [1.0, 0.5], [1.0, 0.0]]]});
        let mut far = w.neighbours[0].clone();
        far.code = "320812001001003".into();
        far.geometry = json!({"type": "Polygon", "coordinates": [[[5.0, 5.0], [6.0, 5.0], [6.0, 6.0], [5.0, 5.0]]]});
        let mut other_village = far.clone();
        other_village.code = "320812001002001".into();
        other_village.village_code = "320812001002".into();
        w.neighbours.extend([far, other_village]);
        s.apply(A::Workload { code: code.into(), result: Ok(Box::new(w)) });

        s.apply(A::StartEdge);
        s.apply(A::PickNeighbour("320812001002001".into()));
        assert_eq!(s.tool, Tool::PickEdge { problem: None }, "a grid of another village is not offered");
        s.apply(A::PickNeighbour("320812001001003".into()));
        assert_eq!(s.tool, Tool::PickEdge { problem: Some(("320812001001003".into(), EdgeProblem::NoEdge)) });
        s.apply(A::PickNeighbour("320812001001002".into()));
        assert_eq!(s.edge().map(|e| e.line.clone()), Some(vec![[1.0, 0.0], [1.0, 0.5], [1.0, 1.0]]));
        assert!(s.request().is_none(), "nothing moved yet");

        s.apply(A::Grab { index: 1, midpoint: false });
        s.apply(A::DragTo([1.2, 0.5]));
        assert!(s.request().is_none(), "not while dragging");
        s.apply(A::Release);
        let req = s.request().expect("an edge reshape");
        assert_eq!((req.operation, req.mode), (PlanOperation::Reshape, Some(ReshapeMode::Edge)));
        assert_eq!(req.neighbour.as_deref(), Some("320812001001002"));
        assert_eq!(req.grids, vec![code.to_owned()]);
        assert_eq!(
            req.geometry,
            Some(json!({"type": "LineString", "coordinates": [[1.0, 0.0], [1.2, 0.5], [1.0, 1.0]]}))
        );
        s.apply(A::Grab { index: 0, midpoint: true });
        s.apply(A::Release);
        s.apply(A::RemoveVertex(2));
        assert_eq!(s.edge().map(|e| e.line.clone()), Some(vec![[1.0, 0.0], [1.1, 0.25], [1.0, 1.0]]));
        s.apply(A::UndoVertex);
        s.apply(A::UndoVertex);
        s.apply(A::UndoVertex);
        assert!(s.request().is_none(), "undone to the edge on the map");
        s.apply(A::Cancel);
        assert_eq!(s.tool, Tool::Select);
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
