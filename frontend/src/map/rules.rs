//! Pure map logic: the style contract, which requests carry the token, and bounding boxes.
//! Kept apart from `bindings.rs` so it is tested natively.

use serde_json::Value;

use crate::i18n::Key;
use crate::state::Selection;

/// Huai'an's extent, `[minLon, minLat, maxLon, maxLat]`: the map's first view.
pub const HUAIAN_BOUNDS: [f64; 4] = [118.2, 32.7, 119.6, 34.1];

/// Layers a click can select, in the order they are queried (the coverage ones are shown instead
/// of the plain fills on the Coverage page).
pub const CLICKABLE_LAYERS: [&str; 7] = [
    "cameras-circle",
    "buildings-fill",
    "grids-fill",
    "coverage_buildings-fill",
    "coverage_buildings-fill-occluded",
    "coverage_grids-fill",
    "coverage_grids-fill-occluded",
];

/// The style metadata key naming a layer's group.
pub const GROUP_METADATA_KEY: &str = "citygrid:group";

/// A group of style layers switched on and off together (`metadata["citygrid:group"]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    Counties,
    Townships,
    Villages,
    Grids,
    Buildings,
    Streets,
    Cameras,
    Incidents,
}

impl Group {
    pub const ALL: [Group; 8] = [
        Group::Counties,
        Group::Townships,
        Group::Villages,
        Group::Grids,
        Group::Buildings,
        Group::Streets,
        Group::Cameras,
        Group::Incidents,
    ];

    /// The value of `metadata["citygrid:group"]`.
    #[must_use]
    pub fn id(self) -> &'static str {
        match self {
            Group::Counties => "counties",
            Group::Townships => "townships",
            Group::Villages => "villages",
            Group::Grids => "grids",
            Group::Buildings => "buildings",
            Group::Streets => "streets",
            Group::Cameras => "cameras",
            Group::Incidents => "incidents",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Group> {
        Group::ALL.into_iter().find(|g| g.id() == s)
    }

    #[must_use]
    pub fn label(self) -> Key {
        match self {
            Group::Counties => Key::GroupCounties,
            Group::Townships => Key::GroupTownships,
            Group::Villages => Key::GroupVillages,
            Group::Grids => Key::GroupGrids,
            Group::Buildings => Key::GroupBuildings,
            Group::Streets => Key::GroupStreets,
            Group::Cameras => Key::GroupCameras,
            Group::Incidents => Key::GroupIncidents,
        }
    }
}

/// The ids of the style layers in `group`, read from a style's `layers` array.
#[must_use]
pub fn layers_in_group(style_layers: &Value, group: Group) -> Vec<String> {
    style_layers
        .as_array()
        .into_iter()
        .flatten()
        .filter(|l| l.pointer("/metadata/citygrid:group").and_then(Value::as_str) == Some(group.id()))
        .filter_map(|l| l.get("id").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

/// Whether a request MapLibre is about to make should carry `Authorization: Bearer`: only
/// requests to this page's own origin under `/tiles/`, never to another host.
#[must_use]
pub fn needs_tile_auth(url: &str, origin: &str) -> bool {
    let origin = origin.trim_end_matches('/');
    if origin.is_empty() {
        return false;
    }
    url.strip_prefix(origin).is_some_and(|rest| rest.starts_with("/tiles/"))
}

/// What a clicked feature selects, from its layer id and its vector-tile properties.
#[must_use]
pub fn selection_for(layer_id: &str, props: &Value) -> Option<Selection> {
    let int = |v: &Value| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)).or_else(|| v.as_str()?.parse().ok());
    match layer_id {
        "grids-fill" | "coverage_grids-fill" | "coverage_grids-fill-occluded" => {
            props.get("code").and_then(Value::as_str).map(|c| Selection::Grid(c.to_owned()))
        }
        "buildings-fill" | "coverage_buildings-fill" | "coverage_buildings-fill-occluded" => {
            props.get("id").and_then(int).map(Selection::Building)
        }
        "cameras-circle" => props.get("id").and_then(int).map(Selection::Camera),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tile_auth_only_for_own_tiles() {
        let o = "http://127.0.0.1:8080";
        assert!(needs_tile_auth("http://127.0.0.1:8080/tiles/grids/12/3/4", o));
        assert!(needs_tile_auth("http://127.0.0.1:8080/tiles/font/Noto/0-255", "http://127.0.0.1:8080/"));
        assert!(!needs_tile_auth("http://127.0.0.1:8080/style.json", o));
        assert!(!needs_tile_auth("http://127.0.0.1:8080/tilesx/1", o));
        assert!(!needs_tile_auth("http://127.0.0.1:8080/api/tiles/1", o));
        assert!(!needs_tile_auth("http://127.0.0.1:80801/tiles/1", o));
        assert!(!needs_tile_auth("https://evil.example/tiles/1", o));
        assert!(!needs_tile_auth("http://127.0.0.1:8080.evil.example/tiles/1", o));
        assert!(!needs_tile_auth("/tiles/1", ""));
    }

    #[test]
    fn picks_selection_from_properties() {
        assert_eq!(
            selection_for("grids-fill", &json!({"code": "320812001001001", "colour": 2})),
            Some(Selection::Grid("320812001001001".into()))
        );
        assert_eq!(selection_for("buildings-fill", &json!({"id": 17})), Some(Selection::Building(17)));
        assert_eq!(selection_for("buildings-fill", &json!({"id": 17.0})), Some(Selection::Building(17)));
        assert_eq!(selection_for("cameras-circle", &json!({"id": "5"})), Some(Selection::Camera(5)));
        assert_eq!(selection_for("cameras-circle", &json!({})), None);
        assert_eq!(selection_for("counties-line", &json!({"code": "320803"})), None);
    }

    #[test]
    fn groups_come_from_metadata() {
        let layers = json!([
            {"id": "grids-fill", "metadata": {"citygrid:group": "grids"}},
            {"id": "grids-line", "metadata": {"citygrid:group": "grids"}},
            {"id": "bg"},
            {"id": "cameras-circle", "metadata": {"citygrid:group": "cameras"}}
        ]);
        assert_eq!(layers_in_group(&layers, Group::Grids), vec!["grids-fill", "grids-line"]);
        assert_eq!(layers_in_group(&layers, Group::Incidents), Vec::<String>::new());
        assert_eq!(layers_in_group(&json!(null), Group::Grids), Vec::<String>::new());
        for g in Group::ALL {
            assert_eq!(Group::parse(g.id()), Some(g));
        }
    }
}
