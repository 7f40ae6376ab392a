//! The map's symbols: one per meaning, listed once. The backend's MapLibre style
//! (`citygrid::tiles::style`) paints with these values, the frontend's overlays
//! (`frontend/src/map/layers/`) too, and the frontend's legend is generated from the same
//! tables, so the legend always shows what the map draws.
//!
//! Meanings and shapes: cameras are solid dots in a cold palette (blue online, dark grey
//! offline, amber under maintenance); open incidents are larger solid dots in a warm palette,
//! one colour per status; finished incidents (resolved, closed, duplicate) are small hollow
//! rings; the routed location is a black-and-white target; the open incident gets a purple
//! halo; a camera sector that sees the routed point is filled teal, one that does not is a
//! dashed grey-blue outline.

/// A value of a feature property and the colour it is painted with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Swatch {
    /// The property value (a status), or a symbol name for the overlays.
    pub value: &'static str,
    /// `#rrggbb`.
    pub colour: &'static str,
}

const fn sw(value: &'static str, colour: &'static str) -> Swatch {
    Swatch { value, colour }
}

/// The fontstack of every label: martin names the Noto CJK faces in
/// `/usr/share/fonts/opentype/noto` by family + style (see martin's `/catalog`).
pub const FONT: &str = "Noto Sans CJK SC Regular";

/// The map background.
pub const BACKGROUND: &str = "#f3f1ec";
/// The four grid fill colours (`colour` property 0–3 of the grids layer).
pub const GRID_FILLS: [&str; 4] = ["#8dd3c7", "#ffe08a", "#bebada", "#fb9a99"];
/// The fill of water grids (`kind` `water` of the grids layer): lakes.
pub const WATER: &str = "#9ecae1";
/// Grid outlines.
pub const GRID_LINE: &str = "#6b7f99";
pub const COUNTY_LINE: &str = "#2b2838";
pub const TOWNSHIP_LINE: &str = "#55506b";
/// Dashed.
pub const VILLAGE_LINE: &str = "#7c6f8f";
pub const BUILDING_FILL: &str = "#b9a48f";
/// Streets (the streets layer): white lines with a grey label, as on a paper town plan.
pub const STREET_LINE: &str = "#ffffff";
pub const STREET_LABEL: &str = "#5c5c5c";
pub const BUILDING_OUTLINE: &str = "#8f7b67";

/// Camera dots by `status`.
pub const CAMERA_STATUS: [Swatch; 3] =
    [sw("online", "#1f78b4"), sw("offline", "#4d4d4d"), sw("maintenance", "#e69a28")];
/// A camera status we do not know.
pub const CAMERA_OTHER: &str = "#4d4d4d";

/// Open incidents by `status`: solid dots, sized by priority.
pub const INCIDENT_OPEN: [Swatch; 4] =
    [sw("new", "#d7301f"), sw("assigned", "#f16913"), sw("accepted", "#b8460b"), sw("in_progress", "#c2185b")];
/// Finished incidents by `status`: small hollow rings (this is the ring's colour).
pub const INCIDENT_FINISHED: [Swatch; 3] =
    [sw("resolved", "#238b45"), sw("closed", "#737373"), sw("duplicate", "#9e9ac8")];

/// The colour of an incident status (open or finished), `None` for an unknown one.
#[must_use]
pub fn incident_colour(status: &str) -> Option<&'static str> {
    INCIDENT_OPEN.iter().chain(INCIDENT_FINISHED.iter()).find(|s| s.value == status).map(|s| s.colour)
}

/// The Dispatch overlay (`frontend/src/map/layers/dispatch.rs`).
pub mod dispatch {
    /// The routed location: a white target ring around a black dot.
    pub const POINT: &str = "#111111";
    /// The responsible grid's outline.
    pub const GRID: &str = "#1f5fd1";
    /// The halo around the open incident.
    pub const OPEN_INCIDENT: &str = "#7d3fd1";
    /// A camera sector (and a ring around the camera) that sees the routed point.
    pub const SEES: &str = "#0f9d8a";
    /// A camera sector (dashed outline, and a ring) that does not see it.
    pub const BLIND: &str = "#6b7f99";
}

/// The Planning overlay (`frontend/src/map/layers/planning.rs`).
pub mod planning {
    /// The selected grid's village outline (dashed).
    pub const VILLAGE: &str = "#4a3f8f";
    /// The selected grid's neighbours (outline).
    pub const NEIGHBOUR: &str = "#e07b00";
    /// Grids picked to merge with the selected one (fill and outline).
    pub const MERGE: &str = "#2166ac";
    /// The line being drawn and its vertices.
    pub const SKETCH: &str = "#111111";
    /// Area the selected grid gains in a preview.
    pub const GAINED: &str = "#1a9850";
    /// Area the selected grid loses in a preview.
    pub const LOST: &str = "#f46d43";
    /// Grid outlines after the plan, in a preview.
    pub const AFTER: &str = "#08306b";
    /// Buildings that change grid, in a preview.
    pub const MOVED_BUILDING: &str = "#6a00a8";
    /// Where a plan breaks a rule (validation error).
    pub const ERROR: &str = "#e00000";
}

/// The outline of the selected feature, in every workspace (the Coverage page's selected
/// camera too).
pub const HIGHLIGHT: &str = "#e5484d";

/// A unit without a value (no residents, no figure) in every choropleth.
pub const NO_VALUE: &str = "#d9d9d9";

/// ColorBrewer YlOrRd, 5 classes, light to dark: the Command page's choropleth classes and the
/// heatmap's ramp ([`HEAT`]).
pub const YL_OR_RD: [&str; 5] = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"];

/// The heatmap's colours (MapLibre `heatmap-color` stops of `heatmap-density`): `(density,
/// colour, opacity)`, transparent to dark red; the Command page's legend draws the same stops.
pub const HEAT: [(f64, &str, f64); 5] = [
    (0.0, YL_OR_RD[0], 0.0),
    (0.2, YL_OR_RD[1], 0.6),
    (0.45, YL_OR_RD[2], 0.8),
    (0.7, YL_OR_RD[3], 0.9),
    (1.0, YL_OR_RD[4], 0.95),
];

/// `#rrggbb` at `opacity` as CSS `rgba(r, g, b, a)` (what MapLibre and CSS both read).
#[must_use]
pub fn rgba(hex: &str, opacity: f64) -> String {
    let channel = |i: usize| hex.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()).unwrap_or(0);
    format!("rgba({}, {}, {}, {opacity})", channel(1), channel(3), channel(5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heat_colours_are_the_ramp_with_opacity() {
        assert_eq!(rgba(HEAT[0].1, HEAT[0].2), "rgba(255, 255, 178, 0)");
        assert_eq!(rgba(HEAT[4].1, HEAT[4].2), "rgba(189, 0, 38, 0.95)");
    }

    fn all() -> Vec<&'static str> {
        let mut v = vec![
            BACKGROUND,
            GRID_LINE,
            COUNTY_LINE,
            TOWNSHIP_LINE,
            VILLAGE_LINE,
            BUILDING_FILL,
            dispatch::POINT,
            dispatch::GRID,
            dispatch::OPEN_INCIDENT,
            dispatch::SEES,
            dispatch::BLIND,
            planning::VILLAGE,
            planning::NEIGHBOUR,
            planning::MERGE,
            planning::SKETCH,
            planning::GAINED,
            planning::LOST,
            planning::AFTER,
            planning::MOVED_BUILDING,
            planning::ERROR,
            HIGHLIGHT,
            NO_VALUE,
        ];
        v.extend(YL_OR_RD);
        v.extend(GRID_FILLS);
        v.push(WATER);
        v.extend(CAMERA_STATUS.iter().map(|s| s.colour));
        v.extend(INCIDENT_OPEN.iter().map(|s| s.colour));
        v.extend(INCIDENT_FINISHED.iter().map(|s| s.colour));
        v
    }

    #[test]
    fn colours_are_hex() {
        for c in all() {
            assert!(c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit()), "{c}");
        }
    }

    #[test]
    fn one_colour_per_point_meaning() {
        // Everything drawn as a dot or ring: cameras, incidents and the overlay's markers.
        let mut points: Vec<&str> = CAMERA_STATUS.iter().map(|s| s.colour).collect();
        points.extend(INCIDENT_OPEN.iter().map(|s| s.colour));
        points.extend(INCIDENT_FINISHED.iter().map(|s| s.colour));
        points.extend([dispatch::POINT, dispatch::OPEN_INCIDENT, dispatch::SEES, dispatch::BLIND]);
        let mut unique = points.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), points.len(), "two point symbols share a colour: {points:?}");
        assert_eq!(incident_colour("new"), Some("#d7301f"));
        assert_eq!(incident_colour("closed"), Some("#737373"));
        assert_eq!(incident_colour("lost"), None);
    }
}
