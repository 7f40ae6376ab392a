//! The Dispatch workspace on the map. A click on an incident opens it; a click anywhere else
//! picks the incident location (instead of selecting a feature). The overlay shows the
//! responsible grid, the cameras and the picked point, and the open incident; an incident
//! opened elsewhere than the routed grid takes the route's drawings away while it is open.
//! Renders nothing itself.

use citygrid_api::CameraSight;
use serde_json::Value;
use yew::prelude::*;

use super::state::{Detail, DispatchAction as A, DispatchState, Location, RouteStatus};
use crate::hooks::{use_client, use_map_overlay};
use crate::map::layers::dispatch::{features, OVERLAY};
use crate::map::{ClickHandler, MapClick, MapHandle};
use crate::state::use_app;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub map: Option<MapHandle>,
}

/// The zoom an opened incident is shown at.
const INCIDENT_ZOOM: f64 = 17.0;
/// What the floating panels cover (top, right, bottom, left; CSS pixels): the layer switcher
/// top right, the legend bottom left.
const PANEL_PADDING: [f64; 4] = [40.0, 200.0, 40.0, 200.0];
/// The style layers whose features a click opens.
const INCIDENT_LAYERS: &[&str] = &["incidents-circle", "incidents-finished"];

/// Flies the map to an incident, clear of the floating panels.
pub fn fly_to_incident(map: &MapHandle, lon: f64, lat: f64) {
    map.fly_to_padded(lon, lat, INCIDENT_ZOOM, PANEL_PADDING);
}

/// What a click does: open the incident under it, or pick the location.
#[must_use]
pub fn click_action(click: &MapClick) -> A {
    let incident = click.features.iter().find_map(|(layer, props)| {
        let id = props.get("id")?;
        (INCIDENT_LAYERS.contains(&layer.as_str())).then(|| id.as_i64().or_else(|| id.as_f64().map(|f| f as i64)))?
    });
    match incident {
        Some(id) => A::Open(id),
        None => A::Locate(Location::picked(click.lon, click.lat)),
    }
}

/// The overlay's features for the state.
#[must_use]
pub fn overlay_features(d: &DispatchState) -> Value {
    let open = match d.open.as_ref().map(|o| &o.detail) {
        Some(Detail::Loaded(detail)) => Some(&detail.incident),
        _ => None,
    };
    let route = match d.current_route() {
        Some(RouteStatus::Done { result, grid_geometry }) => Some((result, grid_geometry)),
        _ => None,
    };
    // An incident elsewhere than the routed grid hides the route while it is open.
    let show_route = match (open, &route) {
        (Some(i), Some((r, _))) => i.grid_code.as_deref() == Some(r.grid.code.as_str()),
        (Some(_), None) => false,
        (None, _) => true,
    };
    let (grid, cameras): (Option<&Value>, &[CameraSight]) = match route.filter(|_| show_route) {
        Some((r, geometry)) => {
            (geometry.as_ref(), if r.cameras_seeing.is_empty() { &r.nearest_cameras } else { &r.cameras_seeing })
        }
        None => (None, &[]),
    };
    let point = d.location.point().filter(|_| show_route).map(|(lon, lat)| [lon, lat]);
    features(point, grid, cameras, open.map(|i| [i.lon, i.lat]))
}

#[function_component(DispatchMap)]
pub fn dispatch_map(props: &Props) -> Html {
    let app = use_app();
    let client = use_client();

    use_effect_with(props.map.clone(), move |map| {
        if let Some(map) = map {
            let on_click = Callback::from(move |c: MapClick| client.send(click_action(&c)));
            map.set_click_handler(Some(ClickHandler { layers: INCIDENT_LAYERS, on_click }));
        }
        let map = map.clone();
        move || {
            if let Some(map) = map {
                map.set_click_handler(None);
            }
        }
    });

    use_map_overlay(props.map.clone(), &OVERLAY, overlay_features(&app.workspaces.dispatch));
    html! {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_click_on_an_incident_opens_it() {
        let click = |features: Vec<(String, Value)>| MapClick { lon: 119.03, lat: 33.6, features, shift: false };
        assert_eq!(
            click_action(&click(vec![("incidents-circle".into(), json!({"id": 42, "status": "new"}))])),
            A::Open(42)
        );
        assert_eq!(click_action(&click(vec![("incidents-circle".into(), json!({"id": 42.0}))])), A::Open(42));
        assert_eq!(
            click_action(&click(vec![("grids-fill".into(), json!({"id": 7}))])),
            A::Locate(Location::picked(119.03, 33.6))
        );
        assert_eq!(click_action(&click(Vec::new())), A::Locate(Location::picked(119.03, 33.6)));
    }
}
