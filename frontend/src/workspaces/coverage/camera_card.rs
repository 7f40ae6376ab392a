//! The selected camera: its attributes (translated), the coverage of its village before and
//! after the change being dragged (what-if), whether the change is saved, and undo. Leaders see
//! the attributes and figures only.

use std::cmp::Ordering;

use citygrid_api::CoverageFigures;
use yew::prelude::*;

use super::i18n::CoverageKey as C;
use super::may_edit_cameras;
use super::on_map::save;
use super::state::{CameraEdit, Placement};
use crate::components::notice::notice_view;
use crate::format::percent;
use crate::hooks::use_client;
use crate::i18n::{self, t, Key, Lang};
use crate::state::{use_app, Selection};

fn figures_row(label: &str, before: (i64, i64), after: (i64, i64), testid: &'static str) -> Html {
    let delta = after.0 - before.0;
    html! {
        <tr data-testid={testid} data-before={before.0.to_string()} data-after={after.0.to_string()}>
            <th>{ label }</th>
            <td>{ format!("{} / {}", before.0, before.1) }<br /><b>{ percent(before.0, before.1) }</b></td>
            <td>{ format!("{} / {}", after.0, after.1) }<br /><b>{ percent(after.0, after.1) }</b></td>
            <td class={classes!(match delta.cmp(&0) { Ordering::Less => "down", Ordering::Greater => "up", Ordering::Equal => "" })}>{ format!("{delta:+}") }</td>
        </tr>
    }
}

fn what_if_view(lang: Lang, before: &CoverageFigures, after: &CoverageFigures) -> Html {
    html! {
        <table class="figures" data-testid="camera-what-if">
            <thead><tr><th></th><th>{ t(lang, C::Before) }</th><th>{ t(lang, C::After) }</th><th></th></tr></thead>
            <tbody>
                { figures_row(t(lang, C::CoveredResidents), (before.covered_residents, before.residents),
                    (after.covered_residents, after.residents), "what-if-residents") }
                { figures_row(t(lang, C::CoveredBuildings), (before.covered_buildings, before.buildings),
                    (after.covered_buildings, after.buildings), "what-if-buildings") }
            </tbody>
        </table>
    }
}

#[function_component(CameraCard)]
pub fn camera_card() -> Html {
    let app = use_app();
    let client = use_client();
    let lang = app.lang;
    let editable = app.session.as_ref().is_some_and(|s| may_edit_cameras(s.user.role));
    let selected = match &app.selection {
        Some(Selection::Camera(id)) => Some(*id),
        _ => None,
    };
    let Some(e) = app.workspaces.coverage.camera.as_ref().filter(|e| Some(e.camera.id) == selected) else {
        return html! {};
    };
    let CameraEdit { camera: k, placement, .. } = e;
    let saved = *placement == Placement::of(k);
    let state = if e.saving.is_some() {
        "saving"
    } else if saved {
        "saved"
    } else {
        "dragging"
    };
    let undo = {
        let (client, id, last) = (client.clone(), k.id, e.undo.last().copied());
        Callback::from(move |_: MouseEvent| {
            if let Some(p) = last {
                save(&client, id, p, true);
            }
        })
    };
    html! {
        <section class="camera-edit" data-testid="camera-edit" data-id={k.id.to_string()} data-state={state}
            data-heading={placement.heading_deg.to_string()}>
            <h3>{ t(lang, C::SelectedCamera) }</h3>
            <dl class="attrs">
                <dt>{ t(lang, Key::Code) }</dt><dd><code>{ k.code.clone() }</code></dd>
                <dt>{ t(lang, Key::Kind) }</dt><dd>{ i18n::wire(lang, &k.kind) }</dd>
                <dt>{ t(lang, Key::Owner) }</dt><dd>{ i18n::wire(lang, &k.owner) }</dd>
                <dt>{ t(lang, Key::Status) }</dt><dd data-testid="camera-status">{ i18n::wire(lang, &k.status) }</dd>
                <dt>{ t(lang, Key::Heading) }</dt><dd>{ format!("{:.1} {}", placement.heading_deg, t(lang, C::Degrees)) }</dd>
                <dt>{ t(lang, Key::Fov) }</dt><dd>{ format!("{:.0} {}", k.fov_deg, t(lang, C::Degrees)) }</dd>
                <dt>{ t(lang, Key::Range) }</dt><dd>{ format!("{:.0} {}", k.range_m, t(lang, C::Metres)) }</dd>
            </dl>
            if editable {
                <p class="hint muted">{ t(lang, C::DragHint) }</p>
            }
            <h4>{ t(lang, C::VillageFigures) }</h4>
            { match &e.what_if {
                Some(w) => what_if_view(lang, &w.baseline, &w.after),
                None => html! { <p class="muted">{ t(lang, Key::Loading) }</p> },
            } }
            if let Some(n) = &e.what_if_error { { notice_view(lang, n, "form-error") } }
            if editable {
                <p class="small" data-testid="camera-save-state">
                    { t(lang, match state { "saving" => C::Saving, "saved" => C::Saved, _ => C::NotSaved }) }
                </p>
                if let Some(n) = &e.save_error { { notice_view(lang, n, "form-error") } }
                if !e.undo.is_empty() {
                    <button data-testid="camera-undo" disabled={e.saving.is_some()} onclick={undo}>{ t(lang, C::Undo) }</button>
                }
            }
        </section>
    }
}
