//! Plain geometry for drawing on the map, tested natively: camera field-of-view sectors and
//! bounding boxes of GeoJSON geometries. Coordinates are WGS84 `[lon, lat]`.

use serde_json::Value;

/// Mean Earth radius (IUGG), metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

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

/// The bearing (degrees clockwise from north, `0 ≤ b < 360`) from `from` to `to`, on the same
/// local frame as [`offset`] (its inverse for short distances).
#[must_use]
pub fn bearing(from: [f64; 2], to: [f64; 2]) -> f64 {
    let dx = (to[0] - from[0]).to_radians() * from[1].to_radians().cos();
    let dy = (to[1] - from[1]).to_radians();
    let b = dx.atan2(dy).to_degrees();
    if b < 0.0 {
        (b + 360.0) % 360.0
    } else {
        b % 360.0
    }
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

/// Twice the signed area of a ring (positive when counter-clockwise), in degrees².
#[must_use]
pub fn ring_signed_area2(ring: &[[f64; 2]]) -> f64 {
    ring.windows(2).map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1]).sum()
}

/// The bounding box `[minLon, minLat, maxLon, maxLat]` of a GeoJSON geometry, `None` if it
/// has no coordinates.
#[must_use]
pub fn geometry_bbox(geometry: &Value) -> Option<[f64; 4]> {
    fn walk(v: &Value, b: &mut Option<[f64; 4]>) {
        let Some(arr) = v.as_array() else { return };
        if let [x, y, ..] = arr.as_slice() {
            if let (Some(x), Some(y)) = (x.as_f64(), y.as_f64()) {
                let e = b.get_or_insert([x, y, x, y]);
                e[0] = e[0].min(x);
                e[1] = e[1].min(y);
                e[2] = e[2].max(x);
                e[3] = e[3].max(y);
                return;
            }
        }
        for c in arr {
            walk(c, b);
        }
    }
    let mut b = None;
    if let Some(geoms) = geometry.get("geometries").and_then(Value::as_array) {
        for g in geoms {
            if let Some(gb) = geometry_bbox(g) {
                walk(&serde_json::json!([[gb[0], gb[1]], [gb[2], gb[3]]]), &mut b);
            }
        }
    } else if let Some(c) = geometry.get("coordinates") {
        walk(c, &mut b);
    }
    b
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // exact copies of the input are expected
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bearing_inverts_offset() {
        for b in [0.0, 1.0, 45.0, 90.0, 179.5, 270.0, 359.0] {
            let p = offset(119.0, 33.6, b, 80.0);
            let got = bearing([119.0, 33.6], p);
            // Headings are kept to 0.1°; this native build's trigonometry is a little coarse.
            assert!((got - b).abs() < 1e-2, "{b} → {got}");
        }
    }

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
    fn bboxes_of_geometries() {
        let poly =
            json!({"type": "Polygon", "coordinates": [[[119.0, 33.5], [119.2, 33.5], [119.1, 33.7], [119.0, 33.5]]]});
        assert_eq!(geometry_bbox(&poly), Some([119.0, 33.5, 119.2, 33.7]));
        let multi = json!({"type": "MultiPolygon", "coordinates": [[[[1.0, 2.0], [3.0, 2.0], [1.0, 4.0]]], [[[-1.0, 0.0], [0.0, 0.0], [0.0, 1.0]]]]});
        assert_eq!(geometry_bbox(&multi), Some([-1.0, 0.0, 3.0, 4.0]));
        assert_eq!(geometry_bbox(&json!({"type": "Point", "coordinates": [5.0, 6.0]})), Some([5.0, 6.0, 5.0, 6.0]));
        let coll = json!({"type": "GeometryCollection", "geometries": [
            {"type": "Point", "coordinates": [1.0, 1.0]}, {"type": "Point", "coordinates": [2.0, 3.0]}]});
        assert_eq!(geometry_bbox(&coll), Some([1.0, 1.0, 2.0, 3.0]));
        assert_eq!(geometry_bbox(&json!({"type": "Polygon", "coordinates": []})), None);
        assert_eq!(geometry_bbox(&json!(null)), None);
    }
}
