//! Camera fields of view: the one sector implementation, used by routing ("which cameras see
//! this point") and by coverage ("how much of this footprint does the camera see").
//!
//! A camera sees the **closed** sector at its position, centred on its heading (degrees
//! clockwise from north), `fov_deg` wide and `range_m` deep; `fov_deg = 360` is a disk. A point
//! exactly on the sector's straight edges or on its arc is seen (with a 1e-9° / 1e-9 m
//! allowance for rounding).
//!
//! Geometry is computed in the camera's own metric frame: the plane tangent at the camera, with
//! the WGS84 radii of curvature at its latitude ([`LocalFrame`]). Within 1 km of the camera its
//! scale differs from the true one by less than 1e-4, so distances, bearings and areas are good
//! to 0.01 %. Footprints are intersected with the exact sector (straight edges and a true circular
//! arc, no polygonised arc).

use std::f64::consts::PI;

/// WGS84 semi-major axis (m).
const WGS84_A: f64 = 6_378_137.0;
/// WGS84 first eccentricity squared.
const WGS84_E2: f64 = 0.006_694_379_990_141_317;

/// Angular allowance on the sector's straight edges, degrees.
const EDGE_EPS_DEG: f64 = 1e-9;
/// Distance allowance on the sector's arc, metres.
const ARC_EPS_M: f64 = 1e-9;

/// An equirectangular frame tangent at `(lon0, lat0)`: metres east (`x`) and north (`y`) of it,
/// with the WGS84 radii of curvature at `lat0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalFrame {
    pub lon0: f64,
    pub lat0: f64,
    /// Metres per degree of longitude at `lat0`.
    pub kx: f64,
    /// Metres per degree of latitude at `lat0`.
    pub ky: f64,
}

impl LocalFrame {
    /// The frame tangent at `(lon0, lat0)`.
    #[must_use]
    pub fn at(lon0: f64, lat0: f64) -> Self {
        let phi = lat0.to_radians();
        let w = 1.0 - WGS84_E2 * phi.sin().powi(2);
        let n = WGS84_A / w.sqrt(); // prime vertical radius
        let m = WGS84_A * (1.0 - WGS84_E2) / (w * w.sqrt()); // meridional radius
        LocalFrame { lon0, lat0, kx: n * phi.cos() * PI / 180.0, ky: m * PI / 180.0 }
    }

    /// The city frame, centred on Huai'an (119°E 33.5°N): the one in-memory indexes use to find
    /// candidates (within the city its scale is off by at most ~1 % east–west: search with a
    /// margin, measure in a camera's own frame).
    #[must_use]
    pub fn city() -> Self {
        LocalFrame::at(119.0, 33.5)
    }

    /// Metres east and north of the origin.
    #[must_use]
    pub fn project(&self, lon: f64, lat: f64) -> [f64; 2] {
        [(lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky]
    }

    /// Back to `[lon, lat]`.
    #[must_use]
    pub fn unproject(&self, xy: [f64; 2]) -> [f64; 2] {
        [self.lon0 + xy[0] / self.kx, self.lat0 + xy[1] / self.ky]
    }
}

/// The unit vector of a compass bearing in a local frame (x east, y north).
fn direction(bearing_deg: f64) -> [f64; 2] {
    let (s, c) = bearing_deg.to_radians().sin_cos();
    [s, c]
}

fn cross(a: [f64; 2], b: [f64; 2]) -> f64 {
    a[0] * b[1] - a[1] * b[0]
}

fn dot(a: [f64; 2], b: [f64; 2]) -> f64 {
    a[0] * b[0] + a[1] * b[1]
}

/// Compass bearing of a local vector, degrees in `[0, 360)`.
#[must_use]
pub fn bearing_of(v: [f64; 2]) -> f64 {
    let b = v[0].atan2(v[1]).to_degrees();
    if b < 0.0 {
        b + 360.0
    } else if b >= 360.0 {
        b - 360.0
    } else {
        b
    }
}

/// A camera's field of view. Parameters are assumed valid (the camera register checks them:
/// `0 ≤ heading < 360`, `0 < fov ≤ 360`, `0 < range ≤ 1000`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sector {
    pub lon: f64,
    pub lat: f64,
    pub heading_deg: f64,
    pub fov_deg: f64,
    pub range_m: f64,
}

/// Reusable buffers for [`Sector::overlap_area_with`] (no allocation per footprint).
#[derive(Debug, Default)]
pub struct Scratch {
    a: Vec<[f64; 2]>,
    b: Vec<[f64; 2]>,
}

impl Sector {
    /// The camera's metric frame.
    #[must_use]
    pub fn frame(&self) -> LocalFrame {
        LocalFrame::at(self.lon, self.lat)
    }

    /// Distance (m) and bearing (degrees clockwise from north, `[0, 360)`) from the camera to a
    /// point, in the camera's frame.
    #[must_use]
    pub fn distance_bearing(&self, lon: f64, lat: f64) -> (f64, f64) {
        let p = self.frame().project(lon, lat);
        (p[0].hypot(p[1]), bearing_of(p))
    }

    /// Does the camera see `(lon, lat)`?
    #[must_use]
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        self.contains_local(self.frame().project(lon, lat))
    }

    /// Does the camera see the point `p` (metres east/north of the camera)?
    #[must_use]
    pub fn contains_local(&self, p: [f64; 2]) -> bool {
        let d = p[0].hypot(p[1]);
        if d > self.range_m + ARC_EPS_M {
            return false;
        }
        if self.fov_deg >= 360.0 || d == 0.0 {
            return true;
        }
        let off = (bearing_of(p) - self.heading_deg + 540.0).rem_euclid(360.0) - 180.0;
        off.abs() <= self.fov_deg / 2.0 + EDGE_EPS_DEG
    }

    /// Area (m²) of the part of the polygon `ring` (metres east/north of the camera, either
    /// orientation, closed or not) that lies in the sector. Holes: subtract their overlap.
    #[must_use]
    pub fn overlap_area(&self, ring: &[[f64; 2]]) -> f64 {
        self.overlap_area_with(ring, &mut Scratch::default())
    }

    /// [`Sector::overlap_area`] with caller-owned buffers.
    pub fn overlap_area_with(&self, ring: &[[f64; 2]], scratch: &mut Scratch) -> f64 {
        let r = self.range_m;
        if self.fov_deg >= 360.0 {
            return disk_area(ring, r);
        }
        let start = self.heading_deg - self.fov_deg / 2.0;
        if self.fov_deg <= 180.0 {
            wedge_disk_area(ring, start, self.fov_deg, r, scratch)
        } else {
            // A reflex sector: the disk minus the (convex) wedge it does not cover.
            let rest = 360.0 - self.fov_deg;
            (disk_area(ring, r) - wedge_disk_area(ring, start + self.fov_deg, rest, r, scratch)).max(0.0)
        }
    }

    /// The sector's outline as a closed `[lon, lat]` ring, counter-clockwise, with an arc vertex
    /// at least every 5° (for maps and SQL; coverage itself uses the exact arc).
    #[must_use]
    pub fn outline(&self) -> Vec<[f64; 2]> {
        let frame = self.frame();
        let full = self.fov_deg >= 360.0;
        let steps = ((self.fov_deg / 5.0).ceil() as usize).max(2);
        let start = if full { 0.0 } else { self.heading_deg - self.fov_deg / 2.0 };
        let mut ring = Vec::with_capacity(steps + 3);
        if !full {
            ring.push([self.lon, self.lat]);
        }
        // Bearings run clockwise; walk the arc backwards for a counter-clockwise ring.
        for i in (0..=steps).rev() {
            if full && i == 0 {
                break;
            }
            let d = direction(start + self.fov_deg * i as f64 / steps as f64);
            ring.push(frame.unproject([d[0] * self.range_m, d[1] * self.range_m]));
        }
        ring.push(ring[0]);
        ring
    }
}

/// Keeps the part of `input` where `n · p ≥ 0` (Sutherland–Hodgman against one half-plane
/// through the origin). Exact in area for any simple polygon.
fn clip_half_plane(input: &[[f64; 2]], n: [f64; 2], out: &mut Vec<[f64; 2]>) {
    out.clear();
    let Some(&last) = input.last() else { return };
    let mut prev = last;
    let mut prev_d = dot(n, prev);
    for &cur in input {
        let d = dot(n, cur);
        if d >= 0.0 {
            if prev_d < 0.0 {
                out.push(lerp(prev, cur, prev_d / (prev_d - d)));
            }
            out.push(cur);
        } else if prev_d >= 0.0 {
            out.push(lerp(prev, cur, prev_d / (prev_d - d)));
        }
        prev = cur;
        prev_d = d;
    }
}

fn lerp(a: [f64; 2], b: [f64; 2], t: f64) -> [f64; 2] {
    [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]
}

/// Area of `ring` ∩ the disk of radius `r` ∩ the wedge of bearings `[start, start + width]`
/// (`width ≤ 180`).
fn wedge_disk_area(ring: &[[f64; 2]], start: f64, width: f64, r: f64, s: &mut Scratch) -> f64 {
    let u1 = direction(start);
    let u2 = direction(start + width);
    // Clockwise of u1: cross(u1, p) ≤ 0  ⇔  (u1.y, −u1.x)·p ≥ 0; anticlockwise of u2 likewise.
    clip_half_plane(ring, [u1[1], -u1[0]], &mut s.a);
    clip_half_plane(&s.a, [-u2[1], u2[0]], &mut s.b);
    disk_area(&s.b, r)
}

/// Area of a polygon (metres, any orientation) ∩ the disk of radius `r` centred on the origin:
/// the sum over edges of the signed area of triangle (origin, a, b) ∩ disk.
#[must_use]
pub fn disk_area(ring: &[[f64; 2]], r: f64) -> f64 {
    let n = ring.len();
    if n < 3 {
        return 0.0;
    }
    let mut sum = 0.0;
    for i in 0..n {
        sum += triangle_disk(ring[i], ring[(i + 1) % n], r);
    }
    sum.abs()
}

/// Signed area of triangle (origin, a, b) ∩ the disk of radius `r` at the origin.
fn triangle_disk(a: [f64; 2], b: [f64; 2], r: f64) -> f64 {
    let r2 = r * r;
    let (da, db) = (dot(a, a), dot(b, b));
    if da <= r2 && db <= r2 {
        return cross(a, b) / 2.0;
    }
    let arc = |p: [f64; 2], q: [f64; 2]| r2 / 2.0 * cross(p, q).atan2(dot(p, q));
    let d = [b[0] - a[0], b[1] - a[1]];
    let qa = dot(d, d);
    if qa == 0.0 {
        return 0.0;
    }
    let qb = dot(a, d);
    let disc = qb * qb - qa * (da - r2);
    if disc <= 0.0 {
        return arc(a, b);
    }
    let root = disc.sqrt();
    let (t1, t2) = ((-qb - root) / qa, (-qb + root) / qa);
    let at = |t: f64| [a[0] + d[0] * t, a[1] + d[1] * t];
    if da <= r2 {
        let p = at(t2);
        cross(a, p) / 2.0 + arc(p, b)
    } else if db <= r2 {
        let p = at(t1);
        arc(a, p) + cross(p, b) / 2.0
    } else if t1 > 0.0 && t2 < 1.0 {
        let (p, q) = (at(t1), at(t2));
        arc(a, p) + cross(p, q) / 2.0 + arc(q, b)
    } else {
        arc(a, b)
    }
}

/// Signed area of a ring (positive when counter-clockwise).
#[must_use]
pub fn ring_area(ring: &[[f64; 2]]) -> f64 {
    let n = ring.len();
    let mut sum = 0.0;
    for i in 0..n {
        sum += cross(ring[i], ring[(i + 1) % n]);
    }
    sum / 2.0
}

/// Is `p` inside `ring` (even–odd rule; either orientation, not closed)?
#[must_use]
pub fn ring_contains(ring: &[[f64; 2]], p: [f64; 2]) -> bool {
    let mut inside = false;
    let n = ring.len();
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < a[0] + (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) {
            inside = !inside;
        }
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAM: Sector = Sector { lon: 119.0, lat: 33.5, heading_deg: 0.0, fov_deg: 60.0, range_m: 60.0 };

    /// A point `d` metres from the camera at `bearing`, as lon/lat.
    fn at(s: &Sector, bearing: f64, d: f64) -> [f64; 2] {
        let u = direction(bearing);
        s.frame().unproject([u[0] * d, u[1] * d])
    }

    fn sees(s: &Sector, bearing: f64, d: f64) -> bool {
        let p = at(s, bearing, d);
        s.contains(p[0], p[1])
    }

    fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> Vec<[f64; 2]> {
        vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
    }

    #[test]
    fn frame_matches_wgs84_radii() {
        // One degree of latitude at 33.5°N is 110.9 km; of longitude 92.9 km (WGS84 tables).
        let f = LocalFrame::city();
        assert!((f.ky - 110_913.0).abs() < 5.0, "{}", f.ky);
        assert!((f.kx - 92_921.0).abs() < 5.0, "{}", f.kx);
        let p = f.unproject(f.project(119.37, 33.81));
        assert!((p[0] - 119.37).abs() < 1e-12 && (p[1] - 33.81).abs() < 1e-12);
    }

    #[test]
    fn heading_wraps_around_north() {
        let s = Sector { heading_deg: 359.0, fov_deg: 4.0, ..CAM };
        assert!(sees(&s, 1.0, 30.0), "359 ± 2 reaches 1°");
        assert!(sees(&s, 357.5, 30.0));
        assert!(sees(&s, 0.0, 30.0));
        assert!(!sees(&s, 2.0, 30.0));
        assert!(!sees(&s, 356.0, 30.0));
        let s = Sector { heading_deg: 1.0, fov_deg: 4.0, ..CAM };
        assert!(sees(&s, 359.5, 30.0) && !sees(&s, 358.0, 30.0));
    }

    #[test]
    fn full_circle_tiny_range_and_edges() {
        let dome = Sector { heading_deg: 0.0, fov_deg: 360.0, range_m: 40.0, ..CAM };
        for b in [0.0, 90.0, 179.9, 180.0, 270.0, 359.9] {
            assert!(sees(&dome, b, 39.9), "{b}");
            assert!(!sees(&dome, b, 40.1), "{b}");
        }
        let tiny = Sector { range_m: 0.5, ..CAM };
        assert!(sees(&tiny, 0.0, 0.4) && !sees(&tiny, 0.0, 0.6));
        assert!(tiny.contains(CAM.lon, CAM.lat), "the camera's own position");
        // Exactly on the straight edges (heading 90, fov 90: edges at 45° and 135°) and on the arc.
        let s = Sector { heading_deg: 90.0, fov_deg: 90.0, range_m: 50.0, ..CAM };
        assert!(s.contains_local([10.0, 10.0]) && s.contains_local([10.0, -10.0]));
        assert!(!s.contains_local([10.0, 10.001]) && !s.contains_local([10.0, -10.001]));
        assert!(s.contains_local([50.0, 0.0]) && !s.contains_local([50.001, 0.0]));
        assert!(sees(&s, 45.0, 20.0) && sees(&s, 135.0, 20.0));
        assert!(!sees(&s, 44.99, 20.0) && !sees(&s, 135.01, 20.0));
        assert!(!sees(&s, 270.0, 1.0), "behind the camera");
    }

    #[test]
    fn distance_and_bearing() {
        let p = at(&CAM, 30.0, 100.0);
        let (d, b) = CAM.distance_bearing(p[0], p[1]);
        assert!((d - 100.0).abs() < 1e-9 && (b - 30.0).abs() < 1e-9);
        // Agrees with the haversine great circle to within the sphere/spheroid difference.
        let h = crate::routing::points::distance_m([CAM.lon, CAM.lat], p);
        assert!((h - 100.0).abs() < 0.5, "{h}");
    }

    #[test]
    fn hand_computed_areas() {
        let east = Sector { heading_deg: 90.0, fov_deg: 90.0, range_m: 100.0, ..CAM };
        assert!((east.overlap_area(&square(10.0, -5.0, 20.0, 5.0)) - 100.0).abs() < 1e-9, "wholly inside");
        assert!(east.overlap_area(&square(-20.0, -5.0, -10.0, 5.0)).abs() < 1e-9, "behind");
        let ne = Sector { heading_deg: 45.0, fov_deg: 90.0, range_m: 100.0, ..CAM };
        assert!((ne.overlap_area(&square(-5.0, 10.0, 5.0, 20.0)) - 50.0).abs() < 1e-9, "cut in half by an edge");
        let big = square(-20.0, -20.0, 20.0, 20.0);
        let r2 = 100.0;
        for (heading, fov, share) in [(0.0, 360.0, 1.0), (45.0, 90.0, 0.25), (0.0, 180.0, 0.5), (10.0, 270.0, 0.75)] {
            let s = Sector { heading_deg: heading, fov_deg: fov, range_m: 10.0, ..CAM };
            let want = PI * r2 * share;
            assert!((s.overlap_area(&big) - want).abs() < 1e-9, "fov {fov}: {} vs {want}", s.overlap_area(&big));
        }
        // Orientation and closing vertex do not matter.
        let mut cw = big.clone();
        cw.reverse();
        cw.push(cw[0]);
        let s = Sector { heading_deg: 45.0, fov_deg: 90.0, range_m: 10.0, ..CAM };
        assert!((s.overlap_area(&cw) - PI * 25.0).abs() < 1e-9);
        // A square whose corner pokes out of the arc: [0,10]² against a quarter disk of radius 10
        // facing it is exactly the quarter disk.
        assert!((s.overlap_area(&square(0.0, 0.0, 10.0, 10.0)) - PI * 25.0).abs() < 1e-9);
        assert!((ring_area(&square(0.0, 0.0, 2.0, 3.0)) - 6.0).abs() < 1e-12);
    }

    /// The exact area against brute-force sampling on a fine lattice, for random sectors and
    /// rotated rectangles (independent of the clipping code: it only uses `contains_local`).
    #[test]
    fn area_agrees_with_sampling() {
        use rand::{Rng as _, SeedableRng as _};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for _ in 0..40 {
            let s = Sector {
                heading_deg: rng.random_range(0.0..360.0),
                fov_deg: [30.0, 90.0, 180.0, 200.0, 300.0, 360.0][rng.random_range(0..6)],
                range_m: rng.random_range(10.0..40.0),
                ..CAM
            };
            let (cx, cy) = (rng.random_range(-30.0..30.0), rng.random_range(-30.0..30.0));
            let (w, h, th) = (rng.random_range(4.0..25.0), rng.random_range(4.0..25.0), rng.random_range(0.0..PI));
            let (sn, cs) = th.sin_cos();
            let ring: Vec<[f64; 2]> = [(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)]
                .iter()
                .map(|(u, v)| [cx + u * w * cs - v * h * sn, cy + u * w * sn + v * h * cs])
                .collect();
            let step = 0.05;
            let mut hits = 0u64;
            let (x0, x1) = (cx - 20.0, cx + 20.0);
            let (y0, y1) = (cy - 20.0, cy + 20.0);
            let inside_rect = |p: [f64; 2]| {
                let (dx, dy) = (p[0] - cx, p[1] - cy);
                let (u, v) = (dx * cs + dy * sn, -dx * sn + dy * cs);
                u.abs() <= w / 2.0 && v.abs() <= h / 2.0
            };
            let mut x = x0 + step / 2.0;
            while x < x1 {
                let mut y = y0 + step / 2.0;
                while y < y1 {
                    if inside_rect([x, y]) && s.contains_local([x, y]) {
                        hits += 1;
                    }
                    y += step;
                }
                x += step;
            }
            let sampled = hits as f64 * step * step;
            let exact = s.overlap_area(&ring);
            assert!((sampled - exact).abs() <= 0.01 * w * h + 0.05, "{s:?} {ring:?}: exact {exact} sampled {sampled}");
        }
    }

    #[test]
    fn outline_is_a_closed_ccw_ring_on_the_sector() {
        for s in [CAM, Sector { fov_deg: 360.0, ..CAM }, Sector { heading_deg: 350.0, fov_deg: 200.0, ..CAM }] {
            let ring = s.outline();
            assert_eq!(ring.first(), ring.last());
            let f = s.frame();
            let local: Vec<[f64; 2]> = ring.iter().map(|p| f.project(p[0], p[1])).collect();
            assert!(ring_area(&local) > 0.0, "counter-clockwise");
            for p in &local {
                assert!(s.contains_local([p[0] * 0.999_999, p[1] * 0.999_999]), "{p:?}");
            }
            let expected = PI * s.range_m * s.range_m * s.fov_deg / 360.0;
            assert!((ring_area(&local) - expected).abs() < 0.01 * expected, "inscribed polygon");
        }
    }
}
