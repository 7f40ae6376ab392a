//! Small planar geometry helpers in lon/lat with a local metric scale, hex EWKB writers and
//! seeded random streams.

use anyhow::{bail, Context as _};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

use super::water::Water;

/// Metres per degree of longitude / latitude around Huai'an (33.4°N).
pub const M_PER_DEG_X: f64 = 92_970.0;
pub const M_PER_DEG_Y: f64 = 110_920.0;

/// The city centre (urban core of Qingjiangpu).
pub const CITY_CENTRE: [f64; 2] = [119.02, 33.60];

/// A ChaCha stream that depends only on (seed, tag, key), never on iteration order.
#[must_use]
pub fn rng_for(seed: u64, tag: &str, key: &str) -> ChaCha8Rng {
    let mut h = Sha256::new();
    h.update(seed.to_le_bytes());
    h.update(tag.as_bytes());
    h.update([0u8]);
    h.update(key.as_bytes());
    let digest: [u8; 32] = h.finalize().into();
    ChaCha8Rng::from_seed(digest)
}

/// Distance in metres between two lon/lat points (local equirectangular).
#[must_use]
pub fn dist_m(a: [f64; 2], b: [f64; 2]) -> f64 {
    let dx = (a[0] - b[0]) * M_PER_DEG_X;
    let dy = (a[1] - b[1]) * M_PER_DEG_Y;
    dx.hypot(dy)
}

/// Offsets a point by metres east/north.
#[must_use]
pub fn offset(p: [f64; 2], east_m: f64, north_m: f64) -> [f64; 2] {
    [p[0] + east_m / M_PER_DEG_X, p[1] + north_m / M_PER_DEG_Y]
}

/// Population density weight: 1 + A·exp(-(d_c/σ1)²) + Σ B·exp(-(d_seat/σ2)²).
#[derive(Debug, Clone)]
pub struct Density {
    pub seats: Vec<[f64; 2]>,
    /// Nobody lives on the lakes: the weight is 0 there.
    pub water: Water,
}

impl Density {
    pub const CORE_A: f64 = 40.0;
    pub const CORE_SIGMA_M: f64 = 6_000.0;
    pub const SEAT_B: f64 = 12.0;
    pub const SEAT_SIGMA_M: f64 = 2_500.0;

    #[must_use]
    pub fn w(&self, p: [f64; 2]) -> f64 {
        if self.water.contains(p) {
            return 0.0;
        }
        let dc = dist_m(p, CITY_CENTRE) / Self::CORE_SIGMA_M;
        let mut w = 1.0 + Self::CORE_A * (-dc * dc).exp();
        for s in &self.seats {
            let d = dist_m(p, *s) / Self::SEAT_SIGMA_M;
            w += Self::SEAT_B * (-d * d).exp();
        }
        w
    }
}

/// A (multi)polygon as a flat list of rings; point-in-polygon by even-odd over all rings, which
/// is exact for valid (multi)polygons.
#[derive(Debug, Clone)]
pub struct Shape {
    pub rings: Vec<Vec<[f64; 2]>>,
    pub bbox: [f64; 4],
    /// Every ring segment as [x1, y1, x2, y2].
    pub edges: Vec<[f64; 4]>,
}

struct WkbReader<'a> {
    b: &'a [u8],
    pos: usize,
    le: bool,
}

impl WkbReader<'_> {
    fn u8(&mut self) -> anyhow::Result<u8> {
        let v = *self.b.get(self.pos).context("truncated WKB")?;
        self.pos += 1;
        Ok(v)
    }
    fn u32(&mut self) -> anyhow::Result<u32> {
        let s: [u8; 4] = self.b.get(self.pos..self.pos + 4).context("truncated WKB")?.try_into()?;
        self.pos += 4;
        Ok(if self.le { u32::from_le_bytes(s) } else { u32::from_be_bytes(s) })
    }
    fn f64(&mut self) -> anyhow::Result<f64> {
        let s: [u8; 8] = self.b.get(self.pos..self.pos + 8).context("truncated WKB")?.try_into()?;
        self.pos += 8;
        Ok(if self.le { f64::from_le_bytes(s) } else { f64::from_be_bytes(s) })
    }
    fn header(&mut self) -> anyhow::Result<u32> {
        self.le = self.u8()? == 1;
        let t = self.u32()?;
        if t & 0x2000_0000 != 0 {
            self.u32()?;
        }
        Ok(t & 0xff)
    }
    fn polygon(&mut self, rings: &mut Vec<Vec<[f64; 2]>>) -> anyhow::Result<()> {
        let nr = self.u32()?;
        for _ in 0..nr {
            let np = self.u32()?;
            let mut r = Vec::with_capacity(np as usize);
            for _ in 0..np {
                let x = self.f64()?;
                let y = self.f64()?;
                r.push([x, y]);
            }
            rings.push(r);
        }
        Ok(())
    }
}

impl Shape {
    /// Parses (E)WKB of a Polygon or MultiPolygon.
    pub fn from_wkb(b: &[u8]) -> anyhow::Result<Self> {
        let mut r = WkbReader { b, pos: 0, le: true };
        let mut rings = Vec::new();
        match r.header()? {
            3 => r.polygon(&mut rings)?,
            6 => {
                let n = r.u32()?;
                for _ in 0..n {
                    if r.header()? != 3 {
                        bail!("multipolygon member is not a polygon");
                    }
                    r.polygon(&mut rings)?;
                }
            }
            t => bail!("unsupported WKB type {t}"),
        }
        Ok(Self::from_rings(rings))
    }

    #[must_use]
    pub fn from_rings(rings: Vec<Vec<[f64; 2]>>) -> Self {
        let mut bbox = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        let mut edges = Vec::new();
        for r in &rings {
            for w in r.windows(2) {
                let (a, b) = (w[0], w[1]);
                bbox[0] = bbox[0].min(a[0]);
                bbox[1] = bbox[1].min(a[1]);
                bbox[2] = bbox[2].max(a[0]);
                bbox[3] = bbox[3].max(a[1]);
                edges.push([a[0], a[1], b[0], b[1]]);
            }
        }
        Self { rings, bbox, edges }
    }

    #[must_use]
    pub fn contains(&self, p: [f64; 2]) -> bool {
        if p[0] < self.bbox[0] || p[0] > self.bbox[2] || p[1] < self.bbox[1] || p[1] > self.bbox[3] {
            return false;
        }
        let mut inside = false;
        for e in &self.edges {
            let (x1, y1, x2, y2) = (e[0], e[1], e[2], e[3]);
            if (y1 > p[1]) != (y2 > p[1]) {
                let x = x1 + (p[1] - y1) * (x2 - x1) / (y2 - y1);
                if p[0] < x {
                    inside = !inside;
                }
            }
        }
        inside
    }

    /// Area in m² (signed shoelace per ring, holes subtract by orientation-independent parity).
    #[must_use]
    pub fn area_m2(&self) -> f64 {
        // Rings of a valid polygon: outer rings and holes. Sum |area| of shells minus holes is
        // awkward without structure; approximate by sampling-free approach: absolute per ring
        // with sign from containment depth (even depth = shell).
        let mut total = 0.0;
        for (i, r) in self.rings.iter().enumerate() {
            let mut a = 0.0;
            for w in r.windows(2) {
                a += w[0][0] * w[1][1] - w[1][0] * w[0][1];
            }
            let a = (a / 2.0).abs() * M_PER_DEG_X * M_PER_DEG_Y;
            let probe = r[0];
            let depth = self.rings.iter().enumerate().filter(|(j, o)| *j != i && ring_contains(o, probe)).count();
            if depth % 2 == 0 {
                total += a;
            } else {
                total -= a;
            }
        }
        total.max(0.0)
    }

    /// A uniform random point inside (bbox rejection). Falls back to a ring vertex midpoint.
    pub fn random_point(&self, rng: &mut impl Rng) -> [f64; 2] {
        for _ in 0..10_000 {
            let p = [rng.random_range(self.bbox[0]..=self.bbox[2]), rng.random_range(self.bbox[1]..=self.bbox[3])];
            if self.contains(p) {
                return p;
            }
        }
        let r = &self.rings[0];
        [f64::midpoint(r[0][0], r[r.len() / 2][0]), f64::midpoint(r[0][1], r[r.len() / 2][1])]
    }

    /// True when the convex quadrilateral `q` lies strictly inside the shape: one corner
    /// inside, no shape edge crosses a quad edge, and no ring vertex lies inside the quad.
    #[must_use]
    pub fn quad_inside(&self, q: &[[f64; 2]; 4]) -> bool {
        let bb = quad_bbox(q);
        if bb[0] < self.bbox[0] || bb[2] > self.bbox[2] || bb[1] < self.bbox[1] || bb[3] > self.bbox[3] {
            return false;
        }
        self.contains(q[0]) && !segments_meet_quad(&self.edges, q, bb)
    }

    /// True when the convex quadrilateral `q` and the shape share no point: a corner outside,
    /// no shape edge crosses a quad edge, and no ring vertex lies inside the quad.
    #[must_use]
    pub fn quad_disjoint(&self, q: &[[f64; 2]; 4]) -> bool {
        let bb = quad_bbox(q);
        if bb[2] < self.bbox[0] || bb[0] > self.bbox[2] || bb[3] < self.bbox[1] || bb[1] > self.bbox[3] {
            return true;
        }
        !self.contains(q[0]) && !segments_meet_quad(&self.edges, q, bb)
    }
}

/// True when no segment [x1, y1, x2, y2] of `segs` touches the convex quadrilateral `q`.
#[must_use]
pub fn quad_clear_of(segs: &[[f64; 4]], q: &[[f64; 2]; 4]) -> bool {
    !segments_meet_quad(segs, q, quad_bbox(q))
}

/// True when a segment of `segs` crosses an edge of `q` (with bounding box `bb`) or has an end
/// inside it.
fn segments_meet_quad(segs: &[[f64; 4]], q: &[[f64; 2]; 4], bb: [f64; 4]) -> bool {
    for e in segs {
        if e[0].max(e[2]) < bb[0] || e[0].min(e[2]) > bb[2] || e[1].max(e[3]) < bb[1] || e[1].min(e[3]) > bb[3] {
            continue;
        }
        let a = [e[0], e[1]];
        let b = [e[2], e[3]];
        if quad_contains(q, a) || (0..4).any(|i| segments_intersect(a, b, q[i], q[(i + 1) % 4])) {
            return true;
        }
    }
    false
}

fn quad_bbox(q: &[[f64; 2]; 4]) -> [f64; 4] {
    let mut bb = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for c in q {
        bb[0] = bb[0].min(c[0]);
        bb[1] = bb[1].min(c[1]);
        bb[2] = bb[2].max(c[0]);
        bb[3] = bb[3].max(c[1]);
    }
    bb
}

fn ring_contains(r: &[[f64; 2]], p: [f64; 2]) -> bool {
    let mut inside = false;
    for w in r.windows(2) {
        let (a, b) = (w[0], w[1]);
        if (a[1] > p[1]) != (b[1] > p[1]) {
            let x = a[0] + (p[1] - a[1]) * (b[0] - a[0]) / (b[1] - a[1]);
            if p[0] < x {
                inside = !inside;
            }
        }
    }
    inside
}

fn cross(o: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
}

#[must_use]
pub fn segments_intersect(p1: [f64; 2], p2: [f64; 2], q1: [f64; 2], q2: [f64; 2]) -> bool {
    let d1 = cross(q1, q2, p1);
    let d2 = cross(q1, q2, p2);
    let d3 = cross(p1, p2, q1);
    let d4 = cross(p1, p2, q2);
    if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0)) && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0)) {
        return true;
    }
    // Collinear / touching cases count as intersecting (conservative).
    (d1 == 0.0 && on_seg(q1, q2, p1))
        || (d2 == 0.0 && on_seg(q1, q2, p2))
        || (d3 == 0.0 && on_seg(p1, p2, q1))
        || (d4 == 0.0 && on_seg(p1, p2, q2))
}

fn on_seg(a: [f64; 2], b: [f64; 2], p: [f64; 2]) -> bool {
    p[0] >= a[0].min(b[0]) && p[0] <= a[0].max(b[0]) && p[1] >= a[1].min(b[1]) && p[1] <= a[1].max(b[1])
}

fn quad_contains(q: &[[f64; 2]; 4], p: [f64; 2]) -> bool {
    let mut pos = 0;
    let mut neg = 0;
    for i in 0..4 {
        let c = cross(q[i], q[(i + 1) % 4], p);
        if c > 0.0 {
            pos += 1;
        } else if c < 0.0 {
            neg += 1;
        }
    }
    pos == 0 || neg == 0
}

/// The point a fraction `f` along the segment `e` [x1, y1, x2, y2], and the segment's direction
/// in metres (east, north): where road cameras, traffic incidents and street-side buildings go.
#[must_use]
pub fn along(e: [f64; 4], f: f64) -> ([f64; 2], (f64, f64)) {
    ([e[0] + (e[2] - e[0]) * f, e[1] + (e[3] - e[1]) * f], ((e[2] - e[0]) * M_PER_DEG_X, (e[3] - e[1]) * M_PER_DEG_Y))
}

/// Running sums of `weights`, and their total.
#[must_use]
pub fn cumulative(weights: impl Iterator<Item = f64>) -> (Vec<f64>, f64) {
    let mut acc = 0.0;
    let cum = weights
        .map(|w| {
            acc += w;
            acc
        })
        .collect();
    (cum, acc)
}

/// The index drawn by `r` in [0, 1) from running sums `cum` of total `acc`.
#[must_use]
pub fn draw(cum: &[f64], acc: f64, r: f64) -> usize {
    let x = r * acc;
    cum.partition_point(|&c| c <= x).min(cum.len().saturating_sub(1))
}

/// Corners of a rectangle centred at `c` (lon/lat), `w`×`h` metres, rotated `theta` radians
/// (counter-clockwise from east), in counter-clockwise order.
#[must_use]
pub fn rect(c: [f64; 2], w: f64, h: f64, theta: f64) -> [[f64; 2]; 4] {
    let (s, co) = theta.sin_cos();
    let hw = w / 2.0;
    let hh = h / 2.0;
    let pts = [(-hw, -hh), (hw, -hh), (hw, hh), (-hw, hh)];
    pts.map(|(x, y)| offset(c, x * co - y * s, x * s + y * co))
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn push_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    for b in bytes {
        out.push(HEX[(b >> 4) as usize]);
        out.push(HEX[(b & 15) as usize]);
    }
}

/// Hex EWKB of POINT(x y) in EPSG:4326.
pub fn ewkb_point(out: &mut Vec<u8>, p: [f64; 2]) {
    push_hex(out, &[1, 1, 0, 0, 0x20, 0xE6, 0x10, 0, 0]);
    push_hex(out, &p[0].to_le_bytes());
    push_hex(out, &p[1].to_le_bytes());
}

/// Hex EWKB of a closed one-ring POLYGON from four corners, EPSG:4326.
pub fn ewkb_quad(out: &mut Vec<u8>, q: &[[f64; 2]; 4]) {
    push_hex(out, &[1, 3, 0, 0, 0x20, 0xE6, 0x10, 0, 0]);
    push_hex(out, &1u32.to_le_bytes());
    push_hex(out, &5u32.to_le_bytes());
    for c in q.iter().chain(std::iter::once(&q[0])) {
        push_hex(out, &c[0].to_le_bytes());
        push_hex(out, &c[1].to_le_bytes());
    }
}

/// Compass bearing (0 = north, clockwise) of the vector (east, north), in [0, 360).
#[must_use]
pub fn bearing(east: f64, north: f64) -> f64 {
    let b = east.atan2(north).to_degrees().rem_euclid(360.0);
    if b >= 360.0 {
        0.0
    } else {
        b
    }
}

/// Largest-remainder allocation of `total` over `weights`, with at least `min_each` each.
#[must_use]
pub fn allocate(total: usize, weights: &[f64], min_each: usize) -> Vec<usize> {
    let n = weights.len();
    if n == 0 {
        return Vec::new();
    }
    let base = min_each * n;
    let mut out = vec![min_each; n];
    if total <= base {
        return out;
    }
    let rest = total - base;
    let sum: f64 = weights.iter().map(|w| w.max(0.0)).sum();
    let quotas: Vec<f64> = if sum > 0.0 {
        weights.iter().map(|w| w.max(0.0) / sum * rest as f64).collect()
    } else {
        vec![rest as f64 / n as f64; n]
    };
    let mut given = 0;
    for (o, q) in out.iter_mut().zip(&quotas) {
        let f = q.floor() as usize;
        *o += f;
        given += f;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| {
        let ra = quotas[a] - quotas[a].floor();
        let rb = quotas[b] - quotas[b].floor();
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for &i in order.iter().cycle().take(rest.saturating_sub(given)) {
        out[i] += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_sums_exactly() {
        let w = [0.3, 1.7, 5.0, 0.0, 2.2, 9.9];
        for total in [6, 7, 50, 5565, 1_000_003] {
            let a = allocate(total, &w, 1);
            assert_eq!(a.iter().sum::<usize>(), total);
            assert!(a.iter().all(|&x| x >= 1));
        }
        assert_eq!(allocate(10, &[1.0, 1.0], 0), vec![5, 5]);
    }

    #[test]
    fn rng_is_deterministic_and_keyed() {
        let a: u64 = rng_for(1, "t", "320812").random();
        let b: u64 = rng_for(1, "t", "320812").random();
        let c: u64 = rng_for(2, "t", "320812").random();
        let d: u64 = rng_for(1, "t", "320813").random();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }

    #[test]
    fn rectangle_containment() {
        let sq = Shape::from_rings(vec![vec![[0.0, 0.0], [0.01, 0.0], [0.01, 0.01], [0.0, 0.01], [0.0, 0.0]]]);
        let inside = rect([0.005, 0.005], 20.0, 10.0, 0.3);
        assert!(sq.quad_inside(&inside));
        let straddling = rect([0.01, 0.005], 20.0, 10.0, 0.3);
        assert!(!sq.quad_inside(&straddling));
        let outside = rect([0.02, 0.005], 20.0, 10.0, 0.3);
        assert!(!sq.quad_inside(&outside));
        // A notch (hole) inside the rectangle is detected although no corner is in it.
        let holed = Shape::from_rings(vec![
            vec![[0.0, 0.0], [0.01, 0.0], [0.01, 0.01], [0.0, 0.01], [0.0, 0.0]],
            vec![[0.005, 0.005], [0.005_01, 0.005], [0.005_01, 0.005_01], [0.005, 0.005]],
        ]);
        assert!(!holed.quad_inside(&rect([0.005, 0.005], 50.0, 50.0, 0.0)));
        assert!((sq.area_m2() - 0.0001 * M_PER_DEG_X * M_PER_DEG_Y).abs() < 1.0);
    }

    #[test]
    fn ewkb_point_is_postgis_hex() {
        let mut v = Vec::new();
        ewkb_point(&mut v, [1.0, 2.0]);
        assert_eq!(String::from_utf8(v).expect("ascii"), "0101000020E6100000000000000000F03F0000000000000040");
    }
}
