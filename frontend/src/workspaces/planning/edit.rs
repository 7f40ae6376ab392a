//! The edit tools (split, merge, a shared edge), the preview and its diff table, commit and discard.
//!
//! A preview is a draft plan (`POST /api/plans`); its diff is shown per grid before/after
//! (area, buildings, households, residents, cameras, open incidents, workload per worker against
//! the village average) with what changes grid, the colour changes and the grids left without a
//! worker. A refusal is read as one translated sentence: the broken rule (its geometry drawn in
//! red on the map) or the conflict (who changed which grid).

use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;

use citygrid_api::{ErrorCode, GridChange, GridChangeKind, GridFigures, Plan, PlanDiff, PlanStatus};
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::platform::spawn_local;
use yew::prelude::*;

use super::edge::EdgeProblem;
use super::i18n::PlanningKey as P;
use super::state::{reversed, PlanningAction as A, PlanningState, Preview, Tool};
use crate::api::{self, ApiError};
use crate::components::notice::notice_view;
use crate::hooks::{use_client, Client};
use crate::i18n::{t, Lang};
use crate::state::{use_app, Action, Notice, Selection};

/// The sentence for a rule a plan breaks (`details.reason` of a 422).
#[must_use]
pub fn reason_key(reason: &str) -> P {
    match reason {
        "outside_parent" => P::ReasonOutsideParent,
        "no_neighbour" => P::ReasonNoNeighbour,
        "edge_leaves" => P::ReasonEdgeLeaves,
        "edge_ends" => P::ReasonEdgeEnds,
        "split_line" => P::ReasonSplitLine,
        "not_adjacent" => P::ReasonNotAdjacent,
        "different_villages" => P::ReasonDifferentVillages,
        "sliver" => P::ReasonSliver,
        "multipolygon" => P::ReasonMultipolygon,
        "too_close" => P::ReasonTooClose,
        _ => P::ReasonInvalid,
    }
}

/// A grid a 409 names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub code: String,
    pub current_version: Option<i64>,
    /// Who made its current version, in which plan.
    pub changed_by: Option<String>,
    pub plan_id: Option<i64>,
}

/// The grids a 409 `stale_version` names.
#[must_use]
pub fn conflict_grids(error: &ApiError) -> Vec<Conflict> {
    let Some(e) = error.server().filter(|e| e.code == Some(ErrorCode::StaleVersion)) else { return Vec::new() };
    let grids = e.details.as_ref().and_then(|d| d["grids"].as_array().cloned()).unwrap_or_default();
    grids
        .iter()
        .filter_map(|g| {
            Some(Conflict {
                code: g["code"].as_str()?.to_owned(),
                current_version: g["current_version"].as_i64(),
                changed_by: g["changed_by"].as_str().map(str::to_owned),
                plan_id: g["plan_id"].as_i64(),
            })
        })
        .collect()
}

/// The refusal as shown: the rule's sentence, or the conflict, or the generic sentence.
fn refusal(lang: Lang, error: &ApiError) -> Html {
    let server = error.server();
    let reason = server
        .filter(|e| matches!(e.code, Some(ErrorCode::PartitionRule | ErrorCode::InvalidGeometry)))
        .and_then(|e| e.details.as_ref())
        .and_then(|d| d["reason"].as_str().map(str::to_owned));
    let conflict = conflict_grids(error);
    // A 409 naming a scheduled plan over one of the grids.
    let scheduled =
        server.filter(|e| e.code == Some(ErrorCode::Conflict)).and_then(|e| e.details.as_ref()).and_then(|d| {
            Some((d["grid"].as_str()?.to_owned(), d["plan_id"].as_i64()?, d["effective_from"].as_str()?.to_owned()))
        });
    html! {
        <div class="form-error" role="alert" data-testid="plan-refused">
            if let Some((grid, plan, at)) = scheduled {
                <span class="sentence" data-testid="plan-scheduled-conflict" data-plan={plan.to_string()}>
                    { t(lang, P::ScheduledConflict) }
                </span>
                { format!(" {grid} · {} #{plan} · {}", t(lang, P::PlanNo), crate::format::instant(&at)) }
            } else if let Some(reason) = reason {
                <strong>{ t(lang, P::Refused) }{ "：" }</strong>
                <span class="sentence" data-testid="plan-reason" data-reason={reason.clone()}>
                    { t(lang, reason_key(&reason)) }
                </span>
                <small class="detail">{ error.detail() }</small>
            } else if !conflict.is_empty() {
                <span class="sentence" data-testid="plan-conflict">{ t(lang, P::Conflict) }</span>
                <ul>
                    { for conflict.iter().map(|c| html! {
                        <li>
                            <code>{ &c.code }</code>
                            if let Some(v) = c.current_version { { format!(" · {} {v}", t(lang, P::NowVersion)) } }
                            if let Some(by) = &c.changed_by { { format!(" · {} {by}", t(lang, P::ChangedBy)) } }
                            if let Some(p) = c.plan_id { { format!(" · {} #{p}", t(lang, P::PlanNo)) } }
                        </li>
                    }) }
                </ul>
            } else {
                { notice_view(lang, &Notice::Api(error.clone()), "sentence") }
            }
        </div>
    }
}

fn change_key(c: GridChangeKind) -> P {
    match c {
        GridChangeKind::Reshaped => P::ChangeReshaped,
        GridChangeKind::Noded => P::ChangeNoded,
        GridChangeKind::Created => P::ChangeCreated,
        GridChangeKind::Retired => P::ChangeRetired,
        GridChangeKind::Restored => P::ChangeRestored,
    }
}

fn one(f: Option<&GridFigures>, get: fn(&GridFigures) -> String) -> Html {
    html! { <td class="num">{ f.map_or_else(|| "—".to_owned(), get) }</td> }
}

/// One figure of the diff table: before and after for every grid.
fn figure_row(lang: Lang, key: P, grids: &[GridChange], get: fn(&GridFigures) -> String) -> Html {
    html! {
        <tr>
            <th>{ t(lang, key) }</th>
            { for grids.iter().map(|g| html! { <>{ one(g.before.as_ref(), get) }{ one(g.after.as_ref(), get) }</> }) }
        </tr>
    }
}

fn per(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |x| format!("{x:.1}"))
}

fn diff_table(lang: Lang, diff: &PlanDiff) -> Html {
    let grids: Vec<GridChange> = diff.grids.iter().filter(|g| g.change != GridChangeKind::Noded).cloned().collect();
    let avg = |f: fn(&citygrid_api::Workload) -> f64| diff.village_average.after.as_ref().map(f);
    html! {
        <>
            <table class="diff" data-testid="plan-diff">
                <thead>
                    <tr>
                        <th rowspan="2">{ t(lang, P::Grid) }</th>
                        { for grids.iter().map(|g| html! {
                            <th colspan="2" data-code={g.code.clone()} data-change={format!("{:?}", g.change).to_lowercase()}>
                                <code>{ &g.code }</code><br />{ &g.name }{ " · " }{ t(lang, change_key(g.change)) }
                            </th>
                        }) }
                    </tr>
                    <tr>{ for grids.iter().map(|_| html! { <><th>{ t(lang, P::Before) }</th><th>{ t(lang, P::After) }</th></> }) }</tr>
                </thead>
                <tbody>
                    { figure_row(lang, P::Area, &grids, |f| format!("{:.2}", f.area_m2 / 10_000.0)) }
                    { figure_row(lang, P::Buildings, &grids, |f| f.buildings.to_string()) }
                    { figure_row(lang, P::Households, &grids, |f| f.households.to_string()) }
                    { figure_row(lang, P::Residents, &grids, |f| f.residents.to_string()) }
                    { figure_row(lang, P::Cameras, &grids, |f| f.cameras.to_string()) }
                    { figure_row(lang, P::OpenIncidents, &grids, |f| f.open_incidents.to_string()) }
                    { figure_row(lang, P::Workers, &grids, |f| f.workers.to_string()) }
                    { figure_row(lang, P::Households, &grids, |f| per(f.per_worker.map(|w| w.households))) }
                    { figure_row(lang, P::Residents, &grids, |f| per(f.per_worker.map(|w| w.residents))) }
                    { figure_row(lang, P::Incidents90d, &grids, |f| per(f.per_worker.map(|w| w.incidents_90d))) }
                    { figure_row(lang, P::Buildings, &grids, |f| per(f.per_worker.map(|w| w.buildings))) }
                </tbody>
            </table>
            <p class="muted small">
                { t(lang, P::PerWorker) }{ " / " }{ t(lang, P::VillageAverage) }{ format!(" ({}): ", diff.village_average.village_name) }
                { t(lang, P::Households) }{ format!(" {} · ", per(avg(|w| w.households))) }
                { t(lang, P::Residents) }{ format!(" {} · ", per(avg(|w| w.residents))) }
                { t(lang, P::Incidents90d) }{ format!(" {} · ", per(avg(|w| w.incidents_90d))) }
                { t(lang, P::Buildings) }{ format!(" {}", per(avg(|w| w.buildings))) }
            </p>
            <dl class="attrs">
                <dt>{ t(lang, P::BuildingsMoved) }</dt><dd data-testid="buildings-moved">{ diff.buildings_moved.len().to_string() }</dd>
                <dt>{ t(lang, P::CamerasMoved) }</dt><dd>{ diff.cameras_moved.len().to_string() }</dd>
                <dt>{ t(lang, P::IncidentsMoved) }</dt><dd>{ diff.incidents_moved.len().to_string() }</dd>
                <dt>{ t(lang, P::WithoutWorker) }</dt>
                <dd data-testid="without-worker">{ for diff.without_worker.iter().map(|c| html! { <code>{ c }</code> }) }</dd>
                if !diff.colour_changes.is_empty() {
                    <dt>{ t(lang, P::ColourChanges) }</dt>
                    <dd>{ for diff.colour_changes.iter().map(|c| html! {
                        <div><code>{ &c.code }</code>{ format!(" {} → {}", c.from.map_or("—".into(), |x| x.to_string()), c.to) }</div>
                    }) }</dd>
                }
            </dl>
        </>
    }
}

async fn preview(client: Client, edit: u32, req: citygrid_api::CreatePlanRequest) {
    client.send(A::Sending { edit });
    let result = client.check(api::create_plan(client.token(), &req).await).map(Box::new);
    client.send(A::Previewed { edit, result });
}

/// Commits (`commit`), discards (`discard`) or reverts (`revert`, a commit of its own) plan `id`.
/// When the commit retires the grid worked on (merged into another), the grid that takes its
/// place is selected.
/// A commit with `at` (an Asia/Shanghai `YYYY-MM-DDTHH:MM`, as a `datetime-local` input gives it)
/// schedules the plan for then.
async fn decide(client: Client, id: i64, verb: &'static str, grid: Option<String>, at: Option<String>) {
    client.send(A::Deciding);
    let committed = verb != "discard";
    let answer = match at.filter(|_| verb == "commit") {
        Some(local) => api::commit_plan_at(client.token(), id, &format!("{local}:00+08:00")).await,
        None => api::decide_plan(client.token(), id, verb).await,
    };
    let result = client.check(answer).map(Box::new);
    let successor = result.as_ref().ok().filter(|_| committed).and_then(|plan| successor(&plan.diff, grid.as_deref()));
    client.send(A::Decided { committed, result });
    if let Some(code) = successor {
        client.send(Action::Select { selection: Some(Selection::Grid(code)), fly: false });
    }
}

/// The grid that takes over from `grid` when the plan retires it: the one grid kept (or made) by
/// the plan. `None` when `grid` stays.
fn successor(diff: &PlanDiff, grid: Option<&str>) -> Option<String> {
    let gone = diff.grids.iter().any(|g| Some(g.code.as_str()) == grid && g.change == GridChangeKind::Retired);
    let mut kept = diff.grids.iter().filter(|g| g.after.is_some() && g.change != GridChangeKind::Noded);
    gone.then(|| kept.next().map(|g| g.code.clone())).flatten()
}

/// Discards a draft the panel leaves behind (a refused commit), best effort.
async fn discard_quietly(client: Client, id: i64) {
    let _ = client.check(api::decide_plan(client.token(), id, "discard").await);
    client.send(A::Cancel);
}

/// Discards a draft the page stopped showing, once: `sent` holds the drafts whose discard is
/// under way. Answered or not (it may have been decided meanwhile: 409), it leaves the list; a
/// network failure leaves it there, and out of `sent`, for the next try.
async fn discard_abandoned(client: Client, id: i64, sent: Rc<RefCell<HashSet<i64>>>) {
    let result = api::decide_plan(client.token(), id, "discard").await;
    sent.borrow_mut().remove(&id);
    if !matches!(result, Err(ApiError::Network(_))) {
        client.send(A::Abandoned(id));
    }
}

fn tool_view(lang: Lang, p: &PlanningState, client: &Client) -> Html {
    let busy = p.busy();
    let send = |action: A| {
        let client = client.clone();
        Callback::from(move |_: MouseEvent| client.send(action.clone()))
    };
    let sketch = match &p.tool {
        Tool::Split { line, finished } => html! {
            <p class="hint" data-testid="split-status" data-vertices={line.len().to_string()} data-finished={finished.to_string()}>
                if *finished { { t(lang, P::LineDone) } } else { { t(lang, P::SplitHint) } }
                { format!(" ({} {})", line.len(), t(lang, P::Vertices)) }
            </p>
        },
        Tool::PickEdge { problem } => edge_picker(lang, p, problem.as_ref(), &send),
        Tool::Edge(e) => html! {
            <p class="hint" data-testid="edge-status" data-neighbour={e.neighbour.clone()}
                data-vertices={e.line.len().to_string()} data-changed={e.changed().to_string()}>
                { t(lang, P::EdgeWith) }{ " " }<code>{ &e.neighbour }</code>{ format!(" ({} {})。", e.line.len(), t(lang, P::Vertices)) }
                { t(lang, P::EdgeHint) }
            </p>
        },
        Tool::Select => html! { <p class="hint muted">{ t(lang, P::MergeHint) }</p> },
    };
    let merge = (!p.merge.is_empty()).then(|| {
        html! {
            <p data-testid="merge-list">{ t(lang, P::MergeWith) }{ for p.merge.keys().map(|c| html! { <code>{ c }</code> }) }</p>
        }
    });
    let editing = !matches!(p.tool, Tool::Select);
    html! {
        <div class="tools">
            <div class="actions">
                <button data-testid="split" onclick={send(A::StartSplit)} disabled={busy || matches!(p.tool, Tool::Split { .. })}>
                    { t(lang, P::Split) }
                </button>
                <button data-testid="edge" onclick={send(A::StartEdge)}
                    disabled={busy || matches!(p.tool, Tool::PickEdge { .. } | Tool::Edge(_))}>
                    { t(lang, P::EditEdge) }
                </button>
                if editing || !p.merge.is_empty() {
                    <button data-testid="cancel-edit" onclick={send(A::Cancel)} disabled={busy}>{ t(lang, P::Cancel) }</button>
                }
            </div>
            { sketch }
            { for merge }
        </div>
    }
}

/// Picking the neighbour across the edge: a button per neighbour of the same village (a click
/// on it on the map does the same), and why the last one picked has no editable edge.
fn edge_picker(
    lang: Lang,
    p: &PlanningState,
    problem: Option<&(String, EdgeProblem)>,
    send: &impl Fn(A) -> Callback<MouseEvent>,
) -> Html {
    let Some(w) = p.loaded() else { return html! {} };
    let same_village = w.neighbours.iter().filter(|n| n.village_code == w.village_code);
    html! {
        <>
            <p class="hint">{ t(lang, P::PickEdgeHint) }</p>
            <div class="actions" data-testid="edge-neighbours">
                { for same_village.map(|n| html! {
                    <button data-testid="edge-neighbour" data-code={n.code.clone()} onclick={send(A::PickNeighbour(n.code.clone()))}>
                        <code>{ &n.code }</code>{ " " }{ &n.name }
                    </button>
                }) }
            </div>
            if let Some((code, problem)) = problem {
                <p class="form-error" role="alert" data-testid="edge-problem" data-code={code.clone()}>
                    <code>{ code }</code>{ " " }
                    { t(lang, match problem { EdgeProblem::NoEdge => P::EdgeNone, EdgeProblem::NotOneStretch => P::EdgeNotOne }) }
                </p>
            }
        </>
    }
}

#[function_component(EditCard)]
pub fn edit_card() -> Html {
    let app = use_app();
    let client = use_client();
    let lang = app.lang;
    let p = &app.workspaces.planning;
    let sent = use_mut_ref(HashSet::new);
    {
        let client = client.clone();
        use_effect_with(p.abandoned.clone(), move |ids| {
            for id in ids {
                if sent.borrow_mut().insert(*id) {
                    spawn_local(discard_abandoned(client.clone(), *id, Rc::clone(&sent)));
                }
            }
        });
    }
    {
        // "Redo on the current boundaries": once the workload is back, preview the edit again.
        let client = client.clone();
        let request = (p.rebase && p.loaded().is_some()).then(|| p.request()).flatten();
        use_effect_with((request, p.edit), move |(request, edit)| {
            if let Some(req) = request.clone() {
                spawn_local(preview(client.clone(), *edit, req));
            }
        });
    }
    if p.loaded().is_none() {
        return match &p.preview {
            Preview::Committed(id) => committed_view(lang, *id),
            Preview::Scheduled { id, at } => scheduled_view(lang, *id, at),
            _ => html! {},
        };
    }
    let request = p.request();
    let on_preview = {
        let (client, edit, request) = (client.clone(), p.edit, request.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(req) = request.clone() {
                spawn_local(preview(client.clone(), edit, req));
            }
        })
    };
    let on_note = {
        let client = client.clone();
        Callback::from(move |e: InputEvent| {
            let area: HtmlTextAreaElement = e.target_unchecked_into();
            client.send(A::SetNote(area.value()));
        })
    };
    let preview_view = match &p.preview {
        Preview::None => html! {},
        Preview::Sending { .. } => html! { <p class="muted">{ t(lang, P::Previewing) }</p> },
        Preview::Committed(id) => committed_view(lang, *id),
        Preview::Scheduled { id, at } => scheduled_view(lang, *id, at),
        Preview::Refused { error, draft } => {
            let discard = draft.map(|id| {
                let client = client.clone();
                Callback::from(move |_: MouseEvent| spawn_local(discard_quietly(client.clone(), id)))
            });
            let rebase = (!conflict_grids(error).is_empty()).then(|| {
                let client = client.clone();
                Callback::from(move |_: MouseEvent| client.send(A::Rebase))
            });
            html! {
                <>
                    { refusal(lang, error) }
                    <div class="actions">
                        if let Some(rebase) = rebase {
                            <button class="primary-action" data-testid="rebase" onclick={rebase}>{ t(lang, P::Rebase) }</button>
                        }
                        if let Some(discard) = discard {
                            <button data-testid="discard" onclick={discard}>{ t(lang, P::Discard) }</button>
                        }
                    </div>
                </>
            }
        }
        Preview::Draft(plan) | Preview::Deciding(plan) if plan.status == PlanStatus::Draft => {
            draft_view(lang, plan, p.busy(), &client, p.grid.as_deref())
        }
        Preview::Draft(plan) | Preview::Revert(plan) | Preview::Deciding(plan) => {
            revert_view(lang, plan, p.busy(), &client, p.grid.as_deref())
        }
    };
    html! {
        <section class="edit-card" data-testid="planning-tools">
            <h3>{ t(lang, P::Tools) }</h3>
            { tool_view(lang, p, &client) }
            <label class="note">
                <span>{ t(lang, P::Note) }</span>
                <textarea rows="2" value={p.note.clone()} oninput={on_note} placeholder={t(lang, P::NotePlaceholder)} />
            </label>
            <div class="actions">
                <button class="primary-action" data-testid="preview" onclick={on_preview}
                    disabled={request.is_none() || p.busy() || matches!(p.preview, Preview::Draft(_))}>
                    { t(lang, P::Preview) }
                </button>
            </div>
            { preview_view }
        </section>
    }
}

fn committed_view(lang: Lang, id: i64) -> Html {
    html! {
        <p class="done" role="status" data-testid="plan-committed" data-plan={id.to_string()}>
            { t(lang, P::Committed) }{ format!(" ({} #{id})", t(lang, P::PlanNo)) }
        </p>
    }
}

fn scheduled_view(lang: Lang, id: i64, at: &str) -> Html {
    html! {
        <p class="done" role="status" data-testid="plan-scheduled" data-plan={id.to_string()} data-at={at.to_owned()}>
            { t(lang, P::Scheduled) }{ format!(" {} ({} #{id})", crate::format::instant(at), t(lang, P::PlanNo)) }
        </p>
    }
}

fn draft_view(lang: Lang, plan: &Plan, busy: bool, client: &Client, grid: Option<&str>) -> Html {
    let id = plan.id;
    // The effective time, read when the button is pressed (empty: now).
    let effective = NodeRef::default();
    let on = |verb: &'static str| {
        let (client, grid, effective) = (client.clone(), grid.map(str::to_owned), effective.clone());
        Callback::from(move |_: MouseEvent| {
            let at = effective.cast::<HtmlInputElement>().map(|i| i.value()).filter(|v| !v.is_empty());
            spawn_local(decide(client.clone(), id, verb, grid.clone(), at));
        })
    };
    html! {
        <div class="preview" data-testid="plan-draft" data-plan={id.to_string()}>
            <h4>{ t(lang, P::DiffTitle) }{ format!(" · {} #{id}", t(lang, P::PlanNo)) }</h4>
            { diff_table(lang, &plan.diff) }
            <label class="effective-from">
                <span>{ t(lang, P::EffectiveFrom) }</span>
                <input type="datetime-local" data-testid="effective-from" ref={effective.clone()} disabled={busy} />
            </label>
            <div class="actions">
                <button class="primary-action" data-testid="commit" onclick={on("commit")} disabled={busy}>{ t(lang, P::Commit) }</button>
                <button data-testid="discard" onclick={on("discard")} disabled={busy}>{ t(lang, P::Discard) }</button>
                if busy { <span class="muted">{ t(lang, P::Deciding) }</span> }
            </div>
        </div>
    }
}

/// A committed plan shown the other way round, with the button that reverts it.
fn revert_view(lang: Lang, plan: &Plan, busy: bool, client: &Client, grid: Option<&str>) -> Html {
    let id = plan.id;
    let cancel = {
        let client = client.clone();
        Callback::from(move |_: MouseEvent| client.send(A::Cancel))
    };
    let confirm = {
        let (client, grid) = (client.clone(), grid.map(str::to_owned));
        Callback::from(move |_: MouseEvent| spawn_local(decide(client.clone(), id, "revert", grid.clone(), None)))
    };
    let revertible = plan.status == PlanStatus::Committed;
    html! {
        <div class="preview" data-testid="revert-preview" data-plan={id.to_string()}>
            <h4>{ t(lang, P::RevertTitle) }{ format!(" · {} #{id}", t(lang, P::PlanNo)) }</h4>
            if !plan.note.is_empty() { <p class="muted">{ &plan.note }</p> }
            { diff_table(lang, &reversed(&plan.diff)) }
            if !revertible {
                <p class="muted">{ t(lang, P::NotRevertible) }</p>
            }
            <div class="actions">
                <button class="primary-action" data-testid="confirm-revert" onclick={confirm} disabled={busy || !revertible}>
                    { t(lang, P::Revert) }
                </button>
                <button onclick={cancel} disabled={busy}>{ t(lang, P::Cancel) }</button>
                if busy { <span class="muted">{ t(lang, P::Deciding) }</span> }
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ServerError;
    use serde_json::json;

    #[test]
    fn every_catalogued_reason_has_its_own_sentence_in_both_languages() {
        let generic = (t(Lang::Zh, P::ReasonInvalid), t(Lang::En, P::ReasonInvalid));
        for r in citygrid_api::PLAN_REFUSAL_REASONS {
            let (zh, en) = (t(Lang::Zh, reason_key(r)), t(Lang::En, reason_key(r)));
            for s in [zh, en] {
                // A sentence, not the wire code (nor any snake_case code) shown as is.
                assert!(!s.trim().is_empty() && s != r && !s.contains('_'), "{r}: {s:?}");
            }
            assert_ne!(zh, en, "{r}: not translated");
            if r != "invalid_geometry" {
                assert_ne!((zh, en), generic, "{r} falls back to the generic sentence");
            }
        }
        let sentences: std::collections::BTreeSet<&str> =
            citygrid_api::PLAN_REFUSAL_REASONS.iter().map(|r| t(Lang::En, reason_key(r))).collect();
        assert_eq!(sentences.len(), citygrid_api::PLAN_REFUSAL_REASONS.len(), "two reasons share a sentence");
    }

    #[test]
    fn a_stale_version_names_who_changed_which_grid() {
        let e = ApiError::Server(ServerError {
            status: 409,
            code: Some(ErrorCode::StaleVersion),
            message: "m".into(),
            field: None,
            details: Some(json!({"grids": [{"code": "320812001001001", "base_version": 1, "current_version": 2,
                "changed_by": "admin", "plan_id": 9}]})),
        });
        let expected = Conflict {
            code: "320812001001001".into(),
            current_version: Some(2),
            changed_by: Some("admin".into()),
            plan_id: Some(9),
        };
        assert_eq!(conflict_grids(&e), vec![expected]);
        assert!(conflict_grids(&ApiError::Network("x".into())).is_empty());
    }
}
