//! The map: a `<div>` that MapLibre takes over. Created once per login; clicks select features.

use yew::prelude::*;

use super::MapHandle;
use crate::state::{use_app, Action};

#[derive(Properties, PartialEq)]
pub struct Props {
    /// Receives the map once it exists.
    pub on_ready: Callback<MapHandle>,
}

#[function_component(MapView)]
pub fn map_view(props: &Props) -> Html {
    let app = use_app();
    let node = use_node_ref();
    let error = use_state(|| None::<String>);
    {
        let node = node.clone();
        let token = app.session.as_ref().map(|s| s.token.clone()).unwrap_or_default();
        let dispatch = app.dispatcher();
        let on_ready = props.on_ready.clone();
        let error = error.clone();
        use_effect_with((), move |()| {
            let created = node.cast::<web_sys::HtmlElement>().map(|el| {
                MapHandle::create(&el, &token, move |selection| {
                    dispatch.dispatch(Action::Select { selection, fly: false });
                })
            });
            let handle = match created {
                Some(Ok(h)) => {
                    on_ready.emit(h.clone());
                    Some(h)
                }
                Some(Err(e)) => {
                    error.set(Some(e));
                    None
                }
                None => None,
            };
            move || drop(handle)
        });
    }
    html! {
        <>
            <div id="map" class="map" ref={node}></div>
            if let Some(e) = &*error {
                <div class="map-error" role="alert">{ e }</div>
            }
        </>
    }
}
