//! The logged-in screen: top bar, the active tab's panel, the shared map and the inspector.

use yew::prelude::*;

use crate::components::{
    inspector::Inspector, layer_switcher::LayerSwitcher, legend::Legend, tab_panel::TabPanel, top_bar::TopBar,
};
use crate::hooks::use_fresh_layers;
use crate::map::map_view::MapView;
use crate::map::MapHandle;
use crate::state::{use_app, Tab};

#[function_component(Workspace)]
pub fn workspace() -> Html {
    let app = use_app();
    let map = use_state(|| None::<MapHandle>);
    use_fresh_layers((*map).clone());

    // Outline whatever is selected.
    use_effect_with(((*map).clone(), app.selection.clone()), |(map, selection)| {
        if let Some(map) = map {
            map.highlight(selection.as_ref());
        }
    });

    let on_ready = {
        let map = map.clone();
        Callback::from(move |handle: MapHandle| map.set(Some(handle)))
    };

    html! {
        <div class={classes!("workspace", app.selection.is_some().then_some("with-inspector"),
            matches!(app.tab, Tab::Dispatch | Tab::Planning | Tab::Coverage).then_some("wide-side"))}>
            <TopBar map={(*map).clone()} />
            <TabPanel map={(*map).clone()} />
            <main class="map-area">
                <MapView {on_ready} />
                <LayerSwitcher map={(*map).clone()} />
                <Legend />
            </main>
            if app.selection.is_some() {
                <Inspector map={(*map).clone()} />
            }
        </div>
    }
}
