//! The 1e-7° lattice every stored vertex sits on, and exact predicates on it.
//!
//! The partition is stored on a 1e-7° grid (GEOS `gridSize => 1e-7`, 7-decimal GeoJSON): a stored
//! coordinate `x` is exactly `n as f64 / 1e7` for an integer `n`. Planning works on those
//! integers ([`Pt`]), so equality of shared vertices is integer equality and every predicate
//! (orientation, segment intersection, point in ring) is exact in `i128`.

use geo::{Coord, LineString, MultiPolygon, Polygon};

/// Lattice units per degree.
pub const SCALE: f64 = 1e7;

/// A lattice point: longitude and latitude in units of 1e-7°.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pt {
    pub x: i64,
    pub y: i64,
}

impl Pt {
    #[must_use]
    pub const fn new(x: i64, y: i64) -> Pt {
        Pt { x, y }
    }

    /// The lattice point nearest to (lon, lat) in degrees (the rounding GEOS applies).
    #[must_use]
    pub fn from_deg(lon: f64, lat: f64) -> Pt {
        Pt { x: round_to_lattice(lon), y: round_to_lattice(lat) }
    }

    /// Longitude in degrees, bit-identical to what GEOS stores for this lattice point.
    #[must_use]
    pub fn lon(self) -> f64 {
        self.x as f64 / SCALE
    }

    #[must_use]
    pub fn lat(self) -> f64 {
        self.y as f64 / SCALE
    }

    #[must_use]
    pub fn coord(self) -> Coord<f64> {
        Coord { x: self.lon(), y: self.lat() }
    }
}

/// `round(v · 1e7)`, halves away from zero as GEOS's `util::round` does for positive values.
#[must_use]
pub fn round_to_lattice(v: f64) -> i64 {
    (v * SCALE).round() as i64
}

/// Twice the signed area of triangle (a, b, c): positive when c lies left of a→b.
#[must_use]
pub fn orient(a: Pt, b: Pt, c: Pt) -> i128 {
    i128::from(b.x - a.x) * i128::from(c.y - a.y) - i128::from(b.y - a.y) * i128::from(c.x - a.x)
}

/// Twice the signed area of a closed ring (first point not repeated): positive when
/// counter-clockwise.
#[must_use]
pub fn ring_area2(ring: &[Pt]) -> i128 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            i128::from(a.x) * i128::from(b.y) - i128::from(b.x) * i128::from(a.y)
        })
        .sum()
}

/// Whether `p` lies on the closed segment a–b.
#[must_use]
pub fn on_segment(a: Pt, b: Pt, p: Pt) -> bool {
    orient(a, b, p) == 0 && p.x >= a.x.min(b.x) && p.x <= a.x.max(b.x) && p.y >= a.y.min(b.y) && p.y <= a.y.max(b.y)
}

/// Where a point is relative to a ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Inside,
    OnBoundary,
    Outside,
}

/// Exact point-in-ring test (crossing number; the boundary is detected exactly).
#[must_use]
pub fn point_in_ring(p: Pt, ring: &[Pt]) -> Side {
    let n = ring.len();
    let mut inside = false;
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        if on_segment(a, b, p) {
            return Side::OnBoundary;
        }
        // Half-open rule on y so that a vertex is counted once.
        if (a.y > p.y) != (b.y > p.y) {
            // The crossing's x is right of p when orient has the sign of (b.y - a.y).
            let o = orient(a, b, p);
            if (o > 0) == (b.y > a.y) {
                inside = !inside;
            }
        }
    }
    if inside {
        Side::Inside
    } else {
        Side::Outside
    }
}

/// A polygon on the lattice: exterior ring first (counter-clockwise), then holes (clockwise);
/// rings are closed implicitly (the first point is not repeated).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Poly {
    pub rings: Vec<Vec<Pt>>,
}

/// A grid's shape: one or more polygons.
pub type Shape = Vec<Poly>;

impl Poly {
    #[must_use]
    pub fn exterior(&self) -> &[Pt] {
        &self.rings[0]
    }

    /// Where `p` is relative to the polygon (holes excluded).
    #[must_use]
    pub fn locate(&self, p: Pt) -> Side {
        match point_in_ring(p, &self.rings[0]) {
            Side::Inside => {
                for h in &self.rings[1..] {
                    match point_in_ring(p, h) {
                        Side::Inside => return Side::Outside,
                        Side::OnBoundary => return Side::OnBoundary,
                        Side::Outside => {}
                    }
                }
                Side::Inside
            }
            s => s,
        }
    }

    /// Makes the exterior counter-clockwise and the holes clockwise.
    pub fn orient_rings(&mut self) {
        for (i, r) in self.rings.iter_mut().enumerate() {
            let ccw = ring_area2(r) > 0;
            if ccw != (i == 0) {
                r.reverse();
            }
        }
    }

    /// Every directed segment of every ring.
    pub fn segments(&self) -> impl Iterator<Item = (Pt, Pt)> + '_ {
        self.rings.iter().flat_map(|r| (0..r.len()).map(move |i| (r[i], r[(i + 1) % r.len()])))
    }
}

/// Every directed segment of a shape.
pub fn shape_segments(shape: &[Poly]) -> impl Iterator<Item = (Pt, Pt)> + '_ {
    shape.iter().flat_map(Poly::segments)
}

/// A ring from a closed or open coordinate list, with consecutive duplicates dropped.
fn lattice_ring(ls: &LineString<f64>) -> Vec<Pt> {
    let mut out: Vec<Pt> = Vec::with_capacity(ls.0.len());
    for c in &ls.0 {
        let p = Pt::from_deg(c.x, c.y);
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    if out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
    out
}

/// A geo polygon on the lattice (rounding each vertex), oriented.
#[must_use]
pub fn poly_from_geo(p: &Polygon<f64>) -> Poly {
    let mut rings = vec![lattice_ring(p.exterior())];
    rings.extend(p.interiors().iter().map(lattice_ring));
    let mut poly = Poly { rings };
    poly.orient_rings();
    poly
}

/// A geo multipolygon on the lattice.
#[must_use]
pub fn shape_from_geo(mp: &MultiPolygon<f64>) -> Shape {
    mp.0.iter().map(poly_from_geo).collect()
}

fn geo_ring(r: &[Pt]) -> LineString<f64> {
    let mut coords: Vec<Coord<f64>> = r.iter().map(|p| p.coord()).collect();
    if let Some(first) = coords.first().copied() {
        coords.push(first);
    }
    LineString(coords)
}

/// Back to degrees (bit-identical to GEOS's lattice doubles), rings closed.
#[must_use]
pub fn shape_to_geo(shape: &[Poly]) -> MultiPolygon<f64> {
    MultiPolygon(
        shape
            .iter()
            .map(|p| Polygon::new(geo_ring(&p.rings[0]), p.rings[1..].iter().map(|r| geo_ring(r)).collect()))
            .collect(),
    )
}

/// Metres per degree of latitude (spherical, mean radius 6,371,008.8 m).
pub const M_PER_DEG: f64 = 6_371_008.8 * std::f64::consts::PI / 180.0;

/// A local equirectangular frame in metres around a reference latitude: good to a fraction of
/// a percent over a village, which is all the width, area and border-length rules need.
#[derive(Debug, Clone, Copy)]
pub struct Metric {
    kx: f64,
}

impl Metric {
    #[must_use]
    pub fn at_lat(lat_deg: f64) -> Metric {
        Metric { kx: lat_deg.to_radians().cos() }
    }

    /// Metres (x east, y north) of a lattice point, relative to the lattice origin.
    #[must_use]
    pub fn xy(self, p: Pt) -> [f64; 2] {
        [p.x as f64 / SCALE * M_PER_DEG * self.kx, p.y as f64 / SCALE * M_PER_DEG]
    }

    /// Length of a–b in metres.
    #[must_use]
    pub fn len(self, a: Pt, b: Pt) -> f64 {
        let dx = (b.x - a.x) as f64 / SCALE * M_PER_DEG * self.kx;
        let dy = (b.y - a.y) as f64 / SCALE * M_PER_DEG;
        dx.hypot(dy)
    }

    /// Area of a polygon in m² (holes subtracted).
    #[must_use]
    pub fn area(self, p: &Poly) -> f64 {
        let scale = (M_PER_DEG / SCALE).powi(2) * self.kx;
        p.rings.iter().map(|r| ring_area2(r) as f64 / 2.0 * scale).sum::<f64>().abs()
    }

    /// Perimeter of a polygon in metres (all rings).
    #[must_use]
    pub fn perimeter(self, p: &Poly) -> f64 {
        p.segments().map(|(a, b)| self.len(a, b)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lattice_round_trip_is_bit_exact() {
        for v in [119.012_345_7, 33.600_000_1, 118.1, -0.000_000_1, 119.999_999_9] {
            let n = round_to_lattice(v);
            assert_eq!((n as f64 / SCALE).to_bits(), v.to_bits(), "{v}");
        }
    }

    #[test]
    fn orientation_and_rings() {
        let sq = [Pt::new(0, 0), Pt::new(10, 0), Pt::new(10, 10), Pt::new(0, 10)];
        assert_eq!(ring_area2(&sq), 200);
        assert!(orient(sq[0], sq[1], Pt::new(5, 5)) > 0);
        assert_eq!(point_in_ring(Pt::new(5, 5), &sq), Side::Inside);
        assert_eq!(point_in_ring(Pt::new(10, 5), &sq), Side::OnBoundary);
        assert_eq!(point_in_ring(Pt::new(0, 0), &sq), Side::OnBoundary);
        assert_eq!(point_in_ring(Pt::new(11, 10), &sq), Side::Outside);
        assert_eq!(point_in_ring(Pt::new(-1, 10), &sq), Side::Outside);
        let mut p = Poly { rings: vec![sq.iter().rev().copied().collect()] };
        p.orient_rings();
        assert!(ring_area2(p.exterior()) > 0);
    }

    #[test]
    fn metric_frame() {
        let m = Metric::at_lat(33.5);
        // 1e-5° of latitude is about 1.11 m.
        let d = m.len(Pt::new(0, 0), Pt::new(0, 100));
        assert!((d - 1.112).abs() < 0.01, "{d}");
        let sq = Poly { rings: vec![vec![Pt::new(0, 0), Pt::new(1000, 0), Pt::new(1000, 1000), Pt::new(0, 1000)]] };
        // ~11.1 m × 9.27 m.
        assert!((m.area(&sq) - 103.1).abs() < 1.0, "{}", m.area(&sq));
    }
}
