//! 2D occlusion: how much of each footprint a camera sees when footprints in front of it cast
//! shadows.
//!
//! Seen from the camera, the sector is cut into angular slabs at every footprint's extreme
//! bearings. Footprints do not overlap (the generator guarantees it), so within one slab the
//! order in which rays meet them never changes: the footprint a ray meets first at the slab's
//! middle bearing is the first on every ray of the slab, and it alone is visible there (no
//! footprint shadows itself). Its visible area in the slab is then exactly its overlap with the
//! slab's sub-sector, computed by the same exact sector code as without occlusion. A footprint
//! that holds the camera (a camera mounted on its wall) neither shadows nor is shadowed.
//!
//! Where footprints did overlap, the one met first at the slab's middle bearing would win the
//! whole slab: an approximation, never a panic.

use super::sector::{bearing_of, ring_area, ring_contains, Scratch, Sector};

/// A polygon in the camera's frame: rings (outer first, then holes) as vertex ranges.
#[derive(Debug, Default)]
pub struct LocalPolygons {
    /// Vertices of every ring, not closed.
    pub verts: Vec<[f64; 2]>,
    /// Start of each ring in `verts`, plus one past the end.
    pub ring_start: Vec<usize>,
    /// First ring of each polygon, plus one past the end.
    pub first_ring: Vec<usize>,
}

impl LocalPolygons {
    pub fn clear(&mut self) {
        self.verts.clear();
        self.ring_start.clear();
        self.first_ring.clear();
        self.ring_start.push(0);
        self.first_ring.push(0);
    }

    /// Appends a ring to the polygon being built.
    pub fn push_ring(&mut self, ring: impl IntoIterator<Item = [f64; 2]>) {
        self.verts.extend(ring);
        self.ring_start.push(self.verts.len());
    }

    /// Ends the polygon being built.
    pub fn end_polygon(&mut self) {
        self.first_ring.push(self.ring_start.len() - 1);
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.first_ring.len().saturating_sub(1)
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rings of polygon `i`, outer first.
    pub fn rings(&self, i: usize) -> impl Iterator<Item = &[[f64; 2]]> + '_ {
        (self.first_ring[i]..self.first_ring[i + 1])
            .map(move |r| &self.verts[self.ring_start[r]..self.ring_start[r + 1]])
    }

    fn outer(&self, i: usize) -> &[[f64; 2]] {
        let r = self.first_ring[i];
        &self.verts[self.ring_start[r]..self.ring_start[r + 1]]
    }

    /// Area of polygon `i` (outer minus holes) inside `sector`.
    pub fn overlap(&self, i: usize, sector: &Sector, scratch: &mut Scratch) -> f64 {
        let mut rings = self.rings(i);
        let outer = rings.next().map_or(0.0, |r| sector.overlap_area_with(r, scratch));
        let holes: f64 = rings.map(|r| sector.overlap_area_with(r, scratch)).sum();
        (outer - holes).max(0.0)
    }

    /// Area of polygon `i` (outer minus holes).
    #[must_use]
    pub fn area(&self, i: usize) -> f64 {
        let mut rings = self.rings(i);
        let outer = rings.next().map_or(0.0, |r| ring_area(r).abs());
        (outer - rings.map(|r| ring_area(r).abs()).sum::<f64>()).max(0.0)
    }
}

/// Distance along the ray from the origin at `bearing` to where it first meets `ring`.
fn entry_distance(ring: &[[f64; 2]], bearing: f64) -> Option<f64> {
    let (sn, cs) = bearing.to_radians().sin_cos();
    let u = [sn, cs];
    let cross = |a: [f64; 2], b: [f64; 2]| a[0] * b[1] - a[1] * b[0];
    let n = ring.len();
    let mut best: Option<f64> = None;
    for i in 0..n {
        let (p, q) = (ring[i], ring[(i + 1) % n]);
        let e = [q[0] - p[0], q[1] - p[1]];
        let denom = cross(u, e);
        if denom.abs() < 1e-15 {
            continue;
        }
        let t = cross(p, e) / denom;
        let s = cross(p, u) / denom;
        if t >= 0.0 && (-1e-12..=1.0 + 1e-12).contains(&s) && best.is_none_or(|b| t < b) {
            best = Some(t);
        }
    }
    best
}

/// One footprint's bearings relative to the sector start, clockwise degrees, within
/// `[0, width]`.
#[derive(Debug, Clone, Copy)]
struct Piece {
    lo: f64,
    hi: f64,
    polygon: usize,
}

/// Visible area (m²) of each polygon of `polys` (in `sector`'s frame) from the camera, with
/// occlusion; `out[i]` for polygon `i`.
pub fn visible_areas(sector: &Sector, polys: &LocalPolygons, scratch: &mut Scratch, out: &mut Vec<f64>) {
    out.clear();
    out.resize(polys.len(), 0.0);
    let full = sector.fov_deg >= 360.0;
    let width = sector.fov_deg.min(360.0);
    let start = if full { 0.0 } else { sector.heading_deg - width / 2.0 };
    let rel = |p: [f64; 2]| (bearing_of(p) - start).rem_euclid(360.0);

    let mut pieces: Vec<Piece> = Vec::with_capacity(polys.len() + 4);
    for (i, seen) in out.iter_mut().enumerate() {
        let outer = polys.outer(i);
        if outer.len() < 3 {
            continue;
        }
        // Unwrap the bearings of the outer ring around the camera.
        let first = rel(outer[0]);
        let (mut cum, mut lo, mut hi) = (first, first, first);
        let mut prev = first;
        for &v in &outer[1..] {
            let b = rel(v);
            cum += (b - prev + 540.0).rem_euclid(360.0) - 180.0;
            prev = b;
            lo = lo.min(cum);
            hi = hi.max(cum);
        }
        if ring_contains(outer, [0.0, 0.0]) || hi - lo >= 359.999_999 {
            // The camera's own building: all of it in the sector is seen, and it hides nothing.
            *seen = polys.overlap(i, sector, scratch);
            continue;
        }
        let shift = (lo / 360.0).floor() * 360.0;
        let (lo, hi) = (lo - shift, hi - shift);
        for (a, b) in [(lo, hi), (lo - 360.0, hi - 360.0)] {
            let (a, b) = (a.max(0.0), b.min(width));
            if b - a > 1e-12 {
                pieces.push(Piece { lo: a, hi: b, polygon: i });
            }
        }
    }
    if pieces.is_empty() {
        return;
    }

    let mut events: Vec<f64> = pieces.iter().flat_map(|p| [p.lo, p.hi]).collect();
    events.sort_by(f64::total_cmp);
    events.dedup_by(|a, b| (*a - *b).abs() < 1e-12);
    pieces.sort_by(|a, b| a.lo.total_cmp(&b.lo));

    let mut next = 0;
    let mut active: Vec<Piece> = Vec::new();
    for w in events.windows(2) {
        let (a, b) = (w[0], w[1]);
        active.retain(|p| p.hi > a + 1e-12);
        while next < pieces.len() && pieces[next].lo <= a + 1e-12 {
            if pieces[next].hi > a + 1e-12 {
                active.push(pieces[next]);
            }
            next += 1;
        }
        if active.is_empty() || b - a <= 1e-12 {
            continue;
        }
        let mid = start + f64::midpoint(a, b);
        let first = active
            .iter()
            .filter_map(|p| entry_distance(polys.outer(p.polygon), mid).map(|d| (d, p.polygon)))
            .min_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
        if let Some((d, i)) = first {
            if d <= sector.range_m {
                let slab = Sector { heading_deg: mid.rem_euclid(360.0), fov_deg: b - a, ..*sector };
                out[i] += polys.overlap(i, &slab, scratch);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(cx: f64, cy: f64, half: f64) -> Vec<[f64; 2]> {
        vec![[cx - half, cy - half], [cx + half, cy - half], [cx + half, cy + half], [cx - half, cy + half]]
    }

    fn polys(rings: &[Vec<[f64; 2]>]) -> LocalPolygons {
        let mut p = LocalPolygons::default();
        p.clear();
        for r in rings {
            p.push_ring(r.iter().copied());
            p.end_polygon();
        }
        p
    }

    const S: Sector = Sector { lon: 119.0, lat: 33.5, heading_deg: 0.0, fov_deg: 360.0, range_m: 100.0 };

    #[test]
    fn nothing_in_the_way_means_the_whole_overlap() {
        let p = polys(&[square(0.0, 30.0, 5.0), square(30.0, 0.0, 5.0), square(-20.0, -20.0, 3.0)]);
        let mut out = Vec::new();
        let mut scratch = Scratch::default();
        for s in
            [S, Sector { heading_deg: 20.0, fov_deg: 90.0, ..S }, Sector { heading_deg: 300.0, fov_deg: 250.0, ..S }]
        {
            visible_areas(&s, &p, &mut scratch, &mut out);
            for (i, seen) in out.iter().enumerate().take(p.len()) {
                let direct = p.overlap(i, &s, &mut scratch);
                assert!((seen - direct).abs() < 1e-6, "{s:?} polygon {i}: {seen} vs {direct}");
            }
        }
    }

    #[test]
    fn a_footprint_in_front_shadows_the_one_behind() {
        // A 10 m square 20 m north, and behind it a 10 m square 50 m north: the near one hides
        // the middle of the far one (hand computed: the shadow's half-width at y is 5·y/15 for
        // y from 45 to 55, the far square's half-width is 5).
        let p = polys(&[square(0.0, 20.0, 5.0), square(0.0, 50.0, 5.0)]);
        let mut out = Vec::new();
        visible_areas(&S, &p, &mut Scratch::default(), &mut out);
        assert!((out[0] - 100.0).abs() < 1e-9);
        // Shadow ∩ far square: ∫_{45}^{55} min(2·5·y/15, 10) dy = ∫ min(2y/3, 10) dy; 2y/3 ≥ 10 for
        // every y ≥ 15, so the shadow covers the far square entirely.
        assert!(out[1].abs() < 1e-9, "{}", out[1]);
        // Shift the far square east to x in [12, 22]: the shadow's east edge is the ray through
        // the near square's corner (5, 15), x = y/3, so the hidden part is x from 12 to y/3 for
        // y in [45, 55]: ∫ (y/3 − 12) dy = (55² − 45²)/6 − 120.
        let p = polys(&[square(0.0, 20.0, 5.0), square(17.0, 50.0, 5.0)]);
        visible_areas(&S, &p, &mut Scratch::default(), &mut out);
        let hidden = (55.0f64.powi(2) - 45.0f64.powi(2)) / 6.0 - 120.0;
        assert!((out[1] - (100.0 - hidden)).abs() < 1e-6, "{} vs {}", out[1], 100.0 - hidden);
    }

    #[test]
    fn the_camera_s_own_building_hides_nothing() {
        let p = polys(&[square(0.0, 0.0, 3.0), square(0.0, 20.0, 5.0)]);
        let mut out = Vec::new();
        let s = Sector { heading_deg: 0.0, fov_deg: 90.0, ..S };
        let mut scratch = Scratch::default();
        visible_areas(&s, &p, &mut scratch, &mut out);
        assert!((out[0] - p.overlap(0, &s, &mut scratch)).abs() < 1e-9);
        assert!((out[1] - 100.0).abs() < 1e-9);
    }

    #[test]
    fn footprints_across_the_sector_start_and_north() {
        // A dome: a footprint straddling bearing 0 (the slab start) is still shadowed correctly.
        let p = polys(&[square(0.0, 20.0, 5.0), square(0.0, 60.0, 5.0), square(0.0, -20.0, 5.0)]);
        let mut out = Vec::new();
        visible_areas(&S, &p, &mut Scratch::default(), &mut out);
        assert!((out[0] - 100.0).abs() < 1e-9 && out[1].abs() < 1e-9 && (out[2] - 100.0).abs() < 1e-9, "{out:?}");
        // Beyond the range nothing is visible, and a near footprint still hides what is behind.
        let s = Sector { range_m: 22.0, ..S };
        visible_areas(&s, &p, &mut Scratch::default(), &mut out);
        assert!(out[1] == 0.0 && out[0] > 0.0 && out[0] < 100.0);
    }
}
