//! Pure logic of the Dispatch tab, tested natively: camera field-of-view sectors, the
//! "where" input (`lon,lat` or a grid code), the open-incident list state and the map overlay.

use citygrid_api::{CameraSight, Incident};
use serde_json::{json, Value};

/// Mean Earth radius (IUGG), metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Longest incident description the backend accepts, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 4000;

/// How many open incidents the list asks for.
pub const LIST_LIMIT: u32 = 100;

/// Seconds between two refreshes of the open-incident list.
pub const LIST_REFRESH_MS: i32 = 15_000;

/// The point `distance_m` away from `(lon, lat)` along `bearing_deg` (clockwise from north), on
/// a local equirectangular frame: accurate to centimetres over a camera's few hundred metres.
#[must_use]
pub fn offset(lon: f64, lat: f64, bearing_deg: f64, distance_m: f64) -> [f64; 2] {
    let b = bearing_deg.to_radians();
    let (dx, dy) = (distance_m * b.sin(), distance_m * b.cos());
    let dlat = (dy / EARTH_RADIUS_M).to_degrees();
    let dlon = (dx / (EARTH_RADIUS_M * lat.to_radians().cos())).to_degrees();
    [lon + dlon, lat + dlat]
}

/// The field of view of a camera as a closed GeoJSON ring (counter-clockwise, RFC 7946): the
/// camera, then an arc of radius `range_m` from `heading - fov/2` to `heading + fov/2`, back to
/// the camera. A field of view of 360° or more is a full circle around the camera. Empty when
/// the range or the field of view is not positive.
#[must_use]
pub fn sector_ring(lon: f64, lat: f64, heading_deg: f64, fov_deg: f64, range_m: f64) -> Vec<[f64; 2]> {
    if !(range_m > 0.0 && fov_deg > 0.0 && lon.is_finite() && lat.is_finite() && heading_deg.is_finite()) {
        return Vec::new();
    }
    let full = fov_deg >= 360.0;
    let fov = fov_deg.min(360.0);
    // About one vertex every 5°, at least 4 segments.
    let steps = ((fov / 5.0).ceil() as usize).max(4);
    let start = heading_deg - fov / 2.0;
    // The arc clockwise on the ground (increasing bearing); a circle does not repeat its start.
    let n = if full { steps } else { steps + 1 };
    let mut arc: Vec<[f64; 2]> =
        (0..n).map(|i| offset(lon, lat, start + fov * i as f64 / steps as f64, range_m)).collect();
    // Walked backwards the exterior ring is counter-clockwise: camera, arc, camera.
    arc.reverse();
    let mut ring = Vec::with_capacity(arc.len() + 2);
    if !full {
        ring.push([lon, lat]);
    }
    ring.extend(arc);
    ring.push(ring[0]);
    ring
}

/// The ring of a camera from the routing answer.
#[must_use]
pub fn camera_sector(c: &CameraSight) -> Vec<[f64; 2]> {
    sector_ring(c.lon, c.lat, c.heading_deg, c.fov_deg, c.range_m)
}

/// Twice the signed area of a ring (positive when counter-clockwise), in degrees².
#[must_use]
pub fn ring_signed_area2(ring: &[[f64; 2]]) -> f64 {
    ring.windows(2).map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1]).sum()
}

/// What the dispatcher typed in the "where" field.
#[derive(Debug, Clone, PartialEq)]
pub enum LocationInput {
    Point {
        lon: f64,
        lat: f64,
    },
    /// A 15-digit grid code.
    Grid(String),
}

/// Why the "where" field could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputError {
    Empty,
    /// Neither two numbers nor a 15-digit code.
    Unreadable,
    /// Two numbers, but not a longitude and a latitude.
    OutOfRange,
}

/// Parses `lon,lat` (also `lon lat`, `lon，lat`, `lon;lat`) or a 15-digit grid code. A pair
/// typed latitude first (the second number beyond ±90°, the first within) is swapped, since
/// people read coordinates both ways.
pub fn parse_location(input: &str) -> Result<LocationInput, InputError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(InputError::Empty);
    }
    if s.len() == 15 && s.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(LocationInput::Grid(s.to_owned()));
    }
    let parts: Vec<&str> =
        s.split(|c: char| c == ',' || c == '，' || c == ';' || c.is_whitespace()).filter(|p| !p.is_empty()).collect();
    let [a, b] = parts.as_slice() else { return Err(InputError::Unreadable) };
    let (Ok(a), Ok(b)) = (a.parse::<f64>(), b.parse::<f64>()) else { return Err(InputError::Unreadable) };
    if !a.is_finite() || !b.is_finite() {
        return Err(InputError::Unreadable);
    }
    let (lon, lat) = if b.abs() > 90.0 && a.abs() <= 90.0 { (b, a) } else { (a, b) };
    if lon.abs() > 180.0 || lat.abs() > 90.0 {
        return Err(InputError::OutOfRange);
    }
    Ok(LocationInput::Point { lon, lat })
}

/// `minLon,minLat,maxLon,maxLat` for `GET /api/incidents?bbox=`, clamped to the valid range
/// (a zoomed-out or wrapped view may go past ±180°), `None` when nothing is left.
#[must_use]
pub fn bbox_param(b: [f64; 4]) -> Option<String> {
    if !b.iter().all(|x| x.is_finite()) {
        return None;
    }
    let [w, s, e, n] = [b[0].max(-180.0), b[1].max(-90.0), b[2].min(180.0), b[3].min(90.0)];
    if !(w < e && s < n) {
        return None;
    }
    Some(format!("{w:.6},{s:.6},{e:.6},{n:.6}"))
}

/// How many characters a description has (what the 4,000 limit counts).
#[must_use]
pub fn char_count(s: &str) -> usize {
    s.chars().count()
}

/// Whether an incident status counts as open (the list shows only those).
#[must_use]
pub fn is_open(status: &str) -> bool {
    matches!(status, "new" | "assigned" | "accepted" | "in_progress")
}

/// The open incidents in the current map view, and which one is selected.
///
/// Requests are numbered: an answer is applied only if it is the newest request's, so a slow
/// answer for an old view never replaces a newer one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IncidentList {
    pub items: Vec<Incident>,
    pub selected: Option<i64>,
    /// More open incidents are in view than were listed.
    pub truncated: bool,
    pub loading: bool,
    pub error: Option<String>,
    requested: u64,
}

impl IncidentList {
    /// Starts a request; returns its number for [`IncidentList::apply`].
    pub fn begin(&mut self) -> u64 {
        self.requested += 1;
        self.loading = true;
        self.requested
    }

    /// Applies the answer of request `seq`; returns false (and changes nothing) when a newer
    /// request was started since.
    pub fn apply(&mut self, seq: u64, result: Result<(Vec<Incident>, bool), String>) -> bool {
        if seq != self.requested {
            return false;
        }
        self.loading = false;
        match result {
            Ok((mut items, truncated)) => {
                items.retain(|i| is_open(&i.status));
                self.items = items;
                self.truncated = truncated;
                self.error = None;
            }
            Err(e) => self.error = Some(e),
        }
        true
    }

    /// Replaces an incident after a transition (dropping it once it is no longer open), or adds
    /// a newly registered one at the top.
    pub fn upsert(&mut self, incident: Incident) {
        let open = is_open(&incident.status);
        if let Some(pos) = self.items.iter().position(|i| i.id == incident.id) {
            if open {
                self.items[pos] = incident;
            } else {
                self.items.remove(pos);
            }
        } else if open {
            self.items.insert(0, incident);
        }
    }

    pub fn select(&mut self, id: Option<i64>) {
        self.selected = id;
    }

    #[must_use]
    pub fn overdue_count(&self) -> usize {
        self.items.iter().filter(|i| i.overdue).count()
    }
}

/// The features the Dispatch tab draws on the map (one GeoJSON source): the responsible grid's
/// outline, the camera sectors, the routed point and the selected incident. Each carries a
/// `role` property the overlay layers filter on.
#[must_use]
pub fn overlay(
    point: Option<[f64; 2]>,
    grid_geometry: Option<&Value>,
    cameras: &[CameraSight],
    incident: Option<[f64; 2]>,
) -> Value {
    let mut features = Vec::new();
    if let Some(g) = grid_geometry {
        features.push(json!({"type": "Feature", "geometry": g, "properties": {"role": "grid"}}));
    }
    for c in cameras {
        let ring = camera_sector(c);
        if ring.len() >= 4 {
            features.push(json!({
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {"role": "sector", "sees": c.sees_point, "id": c.id},
            }));
        }
        features.push(json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]},
            "properties": {"role": "camera", "sees": c.sees_point, "id": c.id},
        }));
    }
    if let Some(p) = point {
        features.push(json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": p}, "properties": {"role": "point"}}));
    }
    if let Some(p) = incident {
        features.push(
            json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": p}, "properties": {"role": "incident"}}),
        );
    }
    json!({"type": "FeatureCollection", "features": features})
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // exact copies of the input are expected
mod tests {
    use super::*;

    fn haversine(a: [f64; 2], b: [f64; 2]) -> f64 {
        let (la1, la2) = (a[1].to_radians(), b[1].to_radians());
        let dlat = la2 - la1;
        let dlon = (b[0] - a[0]).to_radians();
        let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * h.sqrt().asin()
    }

    fn bearing(a: [f64; 2], b: [f64; 2]) -> f64 {
        let (la1, la2) = (a[1].to_radians(), b[1].to_radians());
        let dlon = (b[0] - a[0]).to_radians();
        let y = dlon.sin() * la2.cos();
        let x = la1.cos() * la2.sin() - la1.sin() * la2.cos() * dlon.cos();
        y.atan2(x).to_degrees().rem_euclid(360.0)
    }

    fn angle_diff(a: f64, b: f64) -> f64 {
        let d = (a - b).rem_euclid(360.0);
        d.min(360.0 - d)
    }

    fn camera(heading: f64, fov: f64, range: f64) -> CameraSight {
        CameraSight {
            id: 7,
            code: "C7".into(),
            kind: "dome".into(),
            status: "online".into(),
            lon: 119.02,
            lat: 33.60,
            heading_deg: heading,
            fov_deg: fov,
            range_m: range,
            distance_m: 10.0,
            bearing_deg: heading,
            sees_point: true,
        }
    }

    #[test]
    fn offsets_match_haversine() {
        let o = [119.02, 33.6];
        for b in [0.0, 45.0, 90.0, 200.0, 359.0] {
            let p = offset(o[0], o[1], b, 150.0);
            assert!((haversine(o, p) - 150.0).abs() < 0.05, "{b}: {}", haversine(o, p));
            assert!(angle_diff(bearing(o, p), b) < 0.01, "{b}: {}", bearing(o, p));
        }
        // North is +lat, east is +lon.
        assert!(offset(119.0, 33.0, 0.0, 100.0)[1] > 33.0);
        assert!(offset(119.0, 33.0, 90.0, 100.0)[0] > 119.0);
    }

    #[test]
    fn a_sector_starts_at_the_camera_and_spans_its_field_of_view() {
        let ring = sector_ring(119.02, 33.60, 90.0, 60.0, 120.0);
        assert!(ring.len() >= 6);
        assert_eq!(ring.first(), ring.last(), "closed");
        assert_eq!(ring[0], [119.02, 33.60], "apex first");
        let arc = &ring[1..ring.len() - 1];
        for p in arc {
            assert!((haversine([119.02, 33.60], *p) - 120.0).abs() < 0.05);
            assert!(angle_diff(bearing([119.02, 33.60], *p), 90.0) <= 30.01);
        }
        // Both edges of the field of view are there.
        let bearings: Vec<f64> = arc.iter().map(|p| bearing([119.02, 33.60], *p)).collect();
        assert!(bearings.iter().any(|b| angle_diff(*b, 60.0) < 0.01));
        assert!(bearings.iter().any(|b| angle_diff(*b, 120.0) < 0.01));
        assert!(ring_signed_area2(&ring) > 0.0, "counter-clockwise");
    }

    #[test]
    fn a_sector_across_north_wraps() {
        let ring = sector_ring(119.0, 33.5, 350.0, 40.0, 50.0);
        for p in &ring[1..ring.len() - 1] {
            assert!(angle_diff(bearing([119.0, 33.5], *p), 350.0) <= 20.01);
        }
        assert!(ring_signed_area2(&ring) > 0.0);
    }

    #[test]
    fn a_panoramic_camera_is_a_circle() {
        let ring = sector_ring(119.0, 33.5, 0.0, 360.0, 80.0);
        assert_eq!(ring.first(), ring.last());
        assert!(!ring.contains(&[119.0, 33.5]), "no apex");
        assert!(ring.len() >= 70);
        for p in &ring {
            assert!((haversine([119.0, 33.5], *p) - 80.0).abs() < 0.05);
        }
        assert!(ring_signed_area2(&ring) > 0.0);
        // Its area is about π r².
        let m_per_deg_lat = EARTH_RADIUS_M.to_radians();
        let m_per_deg_lon = m_per_deg_lat * 33.5_f64.to_radians().cos();
        let area = ring_signed_area2(&ring) / 2.0 * m_per_deg_lat * m_per_deg_lon;
        let circle = std::f64::consts::PI * 80.0 * 80.0;
        assert!((area - circle).abs() / circle < 0.01, "{area} vs {circle}");
    }

    #[test]
    fn degenerate_cameras_have_no_sector() {
        assert!(sector_ring(119.0, 33.5, 0.0, 0.0, 80.0).is_empty());
        assert!(sector_ring(119.0, 33.5, 0.0, 60.0, 0.0).is_empty());
        assert!(sector_ring(119.0, 33.5, f64::NAN, 60.0, 10.0).is_empty());
        assert!(sector_ring(119.0, 33.5, 0.0, f64::NAN, 10.0).is_empty());
    }

    #[test]
    fn the_overlay_has_one_feature_per_thing() {
        let cams = [camera(10.0, 60.0, 100.0)];
        let grid =
            json!({"type": "Polygon", "coordinates": [[[119.0, 33.0], [119.1, 33.0], [119.1, 33.1], [119.0, 33.0]]]});
        let v = overlay(Some([119.02, 33.6]), Some(&grid), &cams, Some([119.03, 33.61]));
        let roles: Vec<&str> =
            v["features"].as_array().into_iter().flatten().filter_map(|f| f["properties"]["role"].as_str()).collect();
        assert_eq!(roles, ["grid", "sector", "camera", "point", "incident"]);
        assert_eq!(v["features"][1]["geometry"]["type"], "Polygon");
        let empty = overlay(None, None, &[], None);
        assert_eq!(empty["features"].as_array().map(Vec::len), Some(0));
    }

    #[test]
    fn locations_parse() {
        let p = |lon, lat| Ok(LocationInput::Point { lon, lat });
        assert_eq!(parse_location("119.02,33.60"), p(119.02, 33.6));
        assert_eq!(parse_location(" 119.02, 33.60 "), p(119.02, 33.6));
        assert_eq!(parse_location("119.02 33.60"), p(119.02, 33.6));
        assert_eq!(parse_location("119.02，33.60"), p(119.02, 33.6));
        assert_eq!(parse_location("119.02;33.60"), p(119.02, 33.6));
        // Latitude first is swapped.
        assert_eq!(parse_location("33.60,119.02"), p(119.02, 33.6));
        assert_eq!(parse_location("320812001001001"), Ok(LocationInput::Grid("320812001001001".into())));
        assert_eq!(parse_location("   "), Err(InputError::Empty));
        assert_eq!(parse_location("32081200100100"), Err(InputError::Unreadable), "14 digits");
        assert_eq!(parse_location("abc,def"), Err(InputError::Unreadable));
        assert_eq!(parse_location("119.02"), Err(InputError::Unreadable));
        assert_eq!(parse_location("1,2,3"), Err(InputError::Unreadable));
        assert_eq!(parse_location("NaN,3"), Err(InputError::Unreadable));
        assert_eq!(parse_location("190,95"), Err(InputError::OutOfRange));
    }

    #[test]
    fn bboxes_are_clamped_and_formatted() {
        assert_eq!(
            bbox_param([118.9, 33.5, 119.1, 33.7]).as_deref(),
            Some("118.900000,33.500000,119.100000,33.700000")
        );
        assert_eq!(
            bbox_param([-200.0, -95.0, 200.0, 95.0]).as_deref(),
            Some("-180.000000,-90.000000,180.000000,90.000000")
        );
        assert_eq!(bbox_param([119.0, 33.0, 119.0, 34.0]), None);
        assert_eq!(bbox_param([f64::NAN, 33.0, 119.0, 34.0]), None);
    }

    #[test]
    fn descriptions_count_characters_not_bytes() {
        assert_eq!(char_count("路灯不亮"), 4);
        assert_eq!(char_count(""), 0);
    }

    fn incident(id: i64, status: &str) -> Incident {
        Incident {
            id,
            category: "citizen.infrastructure".into(),
            source: "hotline".into(),
            priority: 3,
            status: status.into(),
            escalation_level: 0,
            description: String::new(),
            reported_at: "2025-01-01T00:00:00Z".into(),
            resolved_at: None,
            closed_at: None,
            grid_code: None,
            duplicate_of: None,
            assignee: None,
            lon: 119.0,
            lat: 33.6,
            step_deadline: None,
            overdue: id % 2 == 0,
        }
    }

    #[test]
    fn only_the_newest_answer_counts() {
        let mut list = IncidentList::default();
        let old = list.begin();
        let new = list.begin();
        assert!(list.apply(new, Ok((vec![incident(1, "new")], false))));
        assert!(!list.apply(old, Ok((vec![incident(2, "new")], false))), "stale answer dropped");
        assert_eq!(list.items.iter().map(|i| i.id).collect::<Vec<_>>(), [1]);
        assert!(!list.loading);
        let seq = list.begin();
        assert!(list.apply(seq, Err("boom".into())));
        assert_eq!(list.error.as_deref(), Some("boom"));
        assert_eq!(list.items.len(), 1, "an error keeps the last good list");
        let seq = list.begin();
        list.apply(seq, Ok((vec![incident(3, "assigned"), incident(4, "closed")], true)));
        assert_eq!(list.items.iter().map(|i| i.id).collect::<Vec<_>>(), [3], "closed ones are not listed");
        assert!(list.truncated);
        assert!(list.error.is_none());
    }

    #[test]
    fn upserts_follow_the_status() {
        let mut list = IncidentList::default();
        list.upsert(incident(1, "new"));
        list.upsert(incident(2, "new"));
        assert_eq!(list.items.iter().map(|i| i.id).collect::<Vec<_>>(), [2, 1], "newest first");
        list.upsert(incident(1, "in_progress"));
        assert_eq!(list.items[1].status, "in_progress");
        list.upsert(incident(2, "resolved"));
        assert_eq!(list.items.iter().map(|i| i.id).collect::<Vec<_>>(), [1]);
        list.upsert(incident(9, "closed"));
        assert_eq!(list.items.len(), 1);
        assert_eq!(list.overdue_count(), 0);
        list.upsert(incident(4, "new"));
        assert_eq!(list.overdue_count(), 1);
        list.select(Some(4));
        assert_eq!(list.selected, Some(4));
    }
}
