//! The selected grid's workers, editable by planners and admins: reorder (the first is
//! responsible), remove (the worker becomes unassigned), add an existing worker by employee
//! number (moved here from their grid) or register a new one with name and phone. Each change
//! saves the whole list at once (`PUT /api/grids/{code}/workers`); the workload is fetched
//! again afterwards, since the per-worker figures change.

use citygrid_api::{GridWorker, GridWorkersUpdate, WorkerAssignment};
use web_sys::HtmlInputElement;
use yew::platform::spawn_local;
use yew::prelude::*;

use super::i18n::PlanningKey as P;
use super::state::PlanningAction as A;
use crate::api::{self, ApiError};
use crate::components::notice::notice_view;
use crate::hooks::use_client;
use crate::i18n::{t, Lang};
use crate::state::{use_app, Notice};

/// The grid's workers as an update naming each by employee number.
fn assignments(workers: &[GridWorker]) -> Vec<WorkerAssignment> {
    workers.iter().map(|w| WorkerAssignment { employee_no: w.employee_no.clone(), name: None, phone: None }).collect()
}

/// The list with worker `i` moved one place up (`up`) or down; unchanged at the ends.
#[must_use]
pub fn moved(workers: &[GridWorker], i: usize, up: bool) -> Option<GridWorkersUpdate> {
    let j = if up { i.checked_sub(1)? } else { i + 1 };
    if j >= workers.len() || i >= workers.len() {
        return None;
    }
    let mut list = assignments(workers);
    list.swap(i, j);
    Some(GridWorkersUpdate { workers: list })
}

/// The list without worker `i`.
#[must_use]
pub fn removed(workers: &[GridWorker], i: usize) -> GridWorkersUpdate {
    let mut list = assignments(workers);
    if i < list.len() {
        list.remove(i);
    }
    GridWorkersUpdate { workers: list }
}

/// The list with a worker added last: `name` and `phone` (trimmed, empty = not given) register
/// a new one. `None` without an employee number.
#[must_use]
pub fn added(workers: &[GridWorker], no: &str, name: &str, phone: &str) -> Option<GridWorkersUpdate> {
    let no = no.trim();
    if no.is_empty() {
        return None;
    }
    let given = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let mut list = assignments(workers);
    list.retain(|w| w.employee_no != no);
    list.push(WorkerAssignment { employee_no: no.to_owned(), name: given(name), phone: given(phone) });
    Some(GridWorkersUpdate { workers: list })
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub code: String,
    pub workers: Vec<GridWorker>,
    /// Planners and admins edit; others see the list.
    pub editor: bool,
}

fn text_input(value: &UseStateHandle<String>, testid: &'static str, placeholder: &'static str) -> Html {
    let oninput = {
        let value = value.clone();
        Callback::from(move |e: InputEvent| value.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    html! { <input type="text" data-testid={testid} value={(**value).clone()} {oninput} {placeholder} /> }
}

#[function_component(Workers)]
pub fn workers(props: &Props) -> Html {
    let app = use_app();
    let client = use_client();
    let lang: Lang = app.lang;
    let saving = use_state(|| false);
    let error = use_state(|| None::<ApiError>);
    let (no, name, phone) = (use_state(String::new), use_state(String::new), use_state(String::new));

    let save = {
        let (client, code, saving, error) = (client.clone(), props.code.clone(), saving.clone(), error.clone());
        let (no, name, phone) = (no.clone(), name.clone(), phone.clone());
        Callback::from(move |(update, clear_form): (GridWorkersUpdate, bool)| {
            let (client, code, saving, error) = (client.clone(), code.clone(), saving.clone(), error.clone());
            let (no, name, phone) = (no.clone(), name.clone(), phone.clone());
            saving.set(true);
            spawn_local(async move {
                let result = client.check(api::set_grid_workers(client.token(), &code, &update).await);
                saving.set(false);
                match result {
                    Ok(_) => {
                        error.set(None);
                        if clear_form {
                            no.set(String::new());
                            name.set(String::new());
                            phone.set(String::new());
                        }
                        client.send(A::WorkersSaved(code));
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let busy = *saving;
    let list = &props.workers;
    let row = |i: usize, w: &GridWorker| {
        let button = |update: Option<GridWorkersUpdate>, testid: &'static str, label: P, glyph: &'static str| {
            let save = save.clone();
            let disabled = busy || update.is_none();
            let onclick = Callback::from(move |_: MouseEvent| {
                if let Some(u) = update.clone() {
                    save.emit((u, false));
                }
            });
            html! {
                <button class="link" data-testid={testid} title={t(lang, label)} aria-label={t(lang, label)} {onclick} {disabled}>
                    { glyph }
                </button>
            }
        };
        html! {
            <li data-testid="worker" data-employee={w.employee_no.clone()}>
                { &w.name }{ " " }<small class="muted">{ &w.employee_no }</small>
                if i == 0 { { " · " }<small>{ t(lang, P::WorkerFirst) }</small> }
                if props.editor {
                    <span class="worker-actions">
                        { button(moved(list, i, true), "worker-up", P::WorkerUp, "↑") }
                        { button(moved(list, i, false), "worker-down", P::WorkerDown, "↓") }
                        { button(Some(removed(list, i)), "worker-remove", P::WorkerRemove, "×") }
                    </span>
                }
            </li>
        }
    };
    let add = {
        let (save, list) = (save.clone(), list.clone());
        let (no, name, phone) = (no.clone(), name.clone(), phone.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Some(u) = added(&list, &no, &name, &phone) {
                save.emit((u, true));
            }
        })
    };
    html! {
        <div class="workers" data-testid="workers">
            if list.is_empty() {
                <span class="muted">{ t(lang, P::NoWorker) }</span>
            }
            <ol class="worker-list">{ for list.iter().enumerate().map(|(i, w)| row(i, w)) }</ol>
            if props.editor {
                <form class="worker-add" onsubmit={add}>
                    { text_input(&no, "worker-no", t(lang, P::WorkerNo)) }
                    { text_input(&name, "worker-name", t(lang, P::WorkerName)) }
                    { text_input(&phone, "worker-phone", t(lang, P::WorkerPhone)) }
                    <button type="submit" data-testid="worker-add" disabled={busy || no.trim().is_empty()}>
                        { t(lang, P::WorkerAdd) }
                    </button>
                </form>
                if busy { <p class="muted">{ t(lang, P::WorkersSaving) }</p> }
            }
            if let Some(e) = &*error {
                { notice_view(lang, &Notice::Api(e.clone()), "form-error") }
            }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(no: &str) -> GridWorker {
        GridWorker { employee_no: no.into(), name: format!("n{no}"), phone: "13800000000".into() }
    }

    fn nos(u: &GridWorkersUpdate) -> Vec<&str> {
        u.workers.iter().map(|w| w.employee_no.as_str()).collect()
    }

    #[test]
    fn reorder_remove_and_add() {
        let list = [w("a"), w("b"), w("c")];
        assert_eq!(nos(&moved(&list, 1, true).expect("up")), ["b", "a", "c"]);
        assert_eq!(nos(&moved(&list, 1, false).expect("down")), ["a", "c", "b"]);
        assert!(moved(&list, 0, true).is_none() && moved(&list, 2, false).is_none());
        assert_eq!(nos(&removed(&list, 0)), ["b", "c"]);
        let u = added(&list, " x1 ", " 张三 ", "").expect("added");
        assert_eq!(nos(&u), ["a", "b", "c", "x1"]);
        assert_eq!(u.workers[3].name.as_deref(), Some("张三"));
        assert_eq!(u.workers[3].phone, None);
        assert!(u.workers[..3].iter().all(|w| w.name.is_none() && w.phone.is_none()), "existing ones by number only");
        assert_eq!(nos(&added(&list, "a", "", "").expect("again")), ["b", "c", "a"], "re-adding moves it last");
        assert!(added(&list, "  ", "x", "y").is_none());
    }
}
