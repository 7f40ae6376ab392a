//! Partition validation on the lattice: one implementation for a plan's result and for the
//! whole city (`GET /api/partition/validate`).
//!
//! **Gaps and overlaps without overlay.** Orient every ring (shells counter-clockwise, holes
//! clockwise) and add up the directed segments of all grids of a village, minus those of the
//! village outline, cancelling a→b against b→a. The grids partition the village exactly — no
//! gap, no overlap, nothing outside, every shared vertex present on both sides — if and only if
//! nothing is left: the sum of the grids' winding numbers then equals the village's everywhere.
//! What is left closes into cycles: a counter-clockwise one is covered twice (overlap) or lies
//! outside the village, a clockwise one is a gap, and a zero-area one is a vertex that only one
//! side of a shared edge has. The same sum over every grid of the city against the city outline
//! catches mismatches across village borders. This is hashing, linear in the vertex count.
//!
//! **Slivers.** Each polygon of a grid must have at least the minimum area, and must not vanish
//! under a negative buffer of half the minimum width — that is, its largest inscribed circle
//! must have at least that radius (found by a polylabel-style cell search, stopped as soon as
//! the answer is known; `area / perimeter` bounds the radius from below, so most grids need no
//! search at all).
//!
//! **Speed.** The whole-city check runs on lattice shapes the routing snapshot converted once
//! ([`super::PartitionShapes`]), hashes segments with a multiplicative hash instead of SipHash,
//! proves a plain ring simple with exact integer predicates before falling back to geo's full
//! validity check, and splits the per-grid and per-village work over the available cores
//! (results are joined in the sequential order, so the report is the same).

use std::collections::{BinaryHeap, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use geo::Validation as _;

use super::lattice::{on_segment, orient, ring_area2, shape_to_geo, Metric, Poly, Pt, Shape};

/// Minimum width and area of every polygon of a grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rules {
    pub min_width_m: f64,
    pub min_area_m2: f64,
}

impl Default for Rules {
    /// 5 m and 100 m².
    fn default() -> Self {
        Rules { min_width_m: 5.0, min_area_m2: 100.0 }
    }
}

/// What kind of problem an [`Issue`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IssueKind {
    Gap,
    Overlap,
    OutsideParent,
    UnsharedVertex,
    Invalid,
    Sliver,
    Multipolygon,
}

impl IssueKind {
    /// The wire name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            IssueKind::Gap => "gap",
            IssueKind::Overlap => "overlap",
            IssueKind::OutsideParent => "outside_parent",
            IssueKind::UnsharedVertex => "unshared_vertex",
            IssueKind::Invalid => "invalid",
            IssueKind::Sliver => "sliver",
            IssueKind::Multipolygon => "multipolygon",
        }
    }
}

/// One problem, with where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub kind: IssueKind,
    /// Codes of the grids involved.
    pub grids: Vec<String>,
    pub village: Option<String>,
    pub area_m2: f64,
    /// For slivers: the width found (twice the largest inscribed radius), when narrow.
    pub width_m: Option<f64>,
    pub reason: String,
    pub shape: Shape,
}

/// A grid to validate.
#[derive(Debug, Clone, Copy)]
pub struct GridRef<'a> {
    pub code: &'a str,
    pub village: &'a str,
    pub shape: &'a [Poly],
}

/// A multiplicative (Fx-style) hash for lattice keys: segment hashing is the check's inner loop,
/// and its keys come from our own data, so SipHash's flood resistance buys nothing here.
#[derive(Default, Clone, Copy)]
struct LatticeHasher(u64);

impl Hasher for LatticeHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn write_i64(&mut self, v: i64) {
        self.write_u64(v.cast_unsigned());
    }
}

type SegmentMap<V> = HashMap<(Pt, Pt), V, BuildHasherDefault<LatticeHasher>>;

/// Signed count per undirected segment: +1 for each a→b with a < b, −1 for b→a.
#[derive(Default)]
struct Chains(SegmentMap<i32>);

impl Chains {
    fn add(&mut self, a: Pt, b: Pt, sign: i32) {
        if a == b {
            return;
        }
        let (key, s) = if a < b { ((a, b), sign) } else { ((b, a), -sign) };
        let e = self.0.entry(key).or_insert(0);
        *e += s;
        if *e == 0 {
            self.0.remove(&key);
        }
    }

    /// Adds every ring with shells counter-clockwise and holes clockwise, whatever their
    /// stored orientation.
    fn add_shape(&mut self, shape: &[Poly], sign: i32) {
        for p in shape {
            for (i, r) in p.rings.iter().enumerate() {
                let flip = (ring_area2(r) > 0) != (i == 0);
                let s = if flip { -sign } else { sign };
                for j in 0..r.len() {
                    self.add(r[j], r[(j + 1) % r.len()], s);
                }
            }
        }
    }

    /// The residual as closed cycles (directed), plus whatever does not close.
    fn cycles(&self) -> Vec<Vec<Pt>> {
        let mut out_edges: HashMap<Pt, Vec<Pt>, BuildHasherDefault<LatticeHasher>> = HashMap::default();
        for (&(a, b), &n) in &self.0 {
            let (from, to) = if n > 0 { (a, b) } else { (b, a) };
            for _ in 0..n.unsigned_abs() {
                out_edges.entry(from).or_default().push(to);
            }
        }
        for v in out_edges.values_mut() {
            v.sort_unstable();
        }
        let mut starts: Vec<Pt> = out_edges.keys().copied().collect();
        starts.sort_unstable();
        let mut cycles = Vec::new();
        for s in starts {
            while let Some(next) = out_edges.get_mut(&s).and_then(Vec::pop) {
                let mut ring = vec![s];
                let mut cur = next;
                while cur != s {
                    ring.push(cur);
                    match out_edges.get_mut(&cur).and_then(Vec::pop) {
                        Some(n) => cur = n,
                        None => break, // does not close: report it as it is
                    }
                }
                cycles.push(ring);
            }
        }
        cycles
    }
}

/// Which of `candidates` have a segment in `ring` (either direction).
fn grids_on(ring: &[Pt], owners: &SegmentMap<Vec<usize>>) -> Vec<usize> {
    let mut out: Vec<usize> = (0..ring.len())
        .flat_map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % ring.len()]);
            owners.get(&(a.min(b), a.max(b))).into_iter().flatten().copied()
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn residual_issues(
    chains: &Chains,
    grids: &[GridRef<'_>],
    members: &[usize],
    village: Option<&str>,
    metric: Metric,
    positive: IssueKind,
) -> Vec<Issue> {
    if chains.0.is_empty() {
        return Vec::new();
    }
    // Which grids own the residual segments.
    let mut owners: SegmentMap<Vec<usize>> = SegmentMap::default();
    for &i in members {
        for p in grids[i].shape {
            for (a, b) in p.segments() {
                let key = (a.min(b), a.max(b));
                if chains.0.contains_key(&key) {
                    owners.entry(key).or_default().push(i);
                }
            }
        }
    }
    chains
        .cycles()
        .into_iter()
        .map(|ring| {
            let a2 = ring_area2(&ring);
            let involved: Vec<String> = grids_on(&ring, &owners).iter().map(|i| grids[*i].code.to_owned()).collect();
            let poly = Poly { rings: vec![ring] };
            let area_m2 = metric.area(&poly);
            let (kind, reason) = match a2.cmp(&0) {
                std::cmp::Ordering::Equal => (
                    IssueKind::UnsharedVertex,
                    "a vertex lies on a neighbour's edge but is not one of its vertices".to_owned(),
                ),
                std::cmp::Ordering::Greater => {
                    let what = if positive == IssueKind::Overlap {
                        "covered by more than one grid"
                    } else {
                        "covered by a grid but outside its parent unit"
                    };
                    (positive, format!("{area_m2:.2} m² {what}"))
                }
                std::cmp::Ordering::Less => (IssueKind::Gap, format!("{area_m2:.2} m² covered by no grid")),
            };
            Issue {
                kind,
                grids: involved,
                village: village.map(str::to_owned),
                area_m2,
                width_m: None,
                reason,
                shape: vec![poly],
            }
        })
        .collect()
}

/// Checks that `grids` (all of one village) partition `outline` exactly.
#[must_use]
pub fn village_partition(grids: &[GridRef<'_>], village: &str, outline: &[Poly], metric: Metric) -> Vec<Issue> {
    let mut chains = Chains::default();
    for g in grids {
        chains.add_shape(g.shape, 1);
    }
    chains.add_shape(outline, -1);
    let members: Vec<usize> = (0..grids.len()).collect();
    let mut issues = residual_issues(&chains, grids, &members, Some(village), metric, IssueKind::Overlap);
    // A positive residual outside the outline is "outside the village", not an overlap.
    for issue in &mut issues {
        if issue.kind == IssueKind::Overlap {
            let poly = &issue.shape[0];
            let outside =
                poly.rings[0].iter().any(|p| outline.iter().all(|o| o.locate(*p) == super::lattice::Side::Outside));
            if outside {
                issue.kind = IssueKind::OutsideParent;
                issue.reason = format!("{:.2} m² of grid outside village {village}", issue.area_m2);
            }
        }
    }
    issues
}

/// The problems of one grid's own shape: validity, slivers, more than one polygon.
#[must_use]
pub fn grid_shape(grid: &GridRef<'_>, rules: Rules, allow_multipolygon: bool, metric: Metric) -> Vec<Issue> {
    let mut issues = Vec::new();
    let issue = |kind, area_m2, width_m, reason: String, shape: Shape| Issue {
        kind,
        grids: vec![grid.code.to_owned()],
        village: Some(grid.village.to_owned()),
        area_m2,
        width_m,
        reason,
        shape,
    };
    if !(grid.shape.len() == 1 && simple_polygon(&grid.shape[0])) {
        if let Some(err) = shape_to_geo(grid.shape).validation_errors().first() {
            issues.push(issue(
                IssueKind::Invalid,
                0.0,
                None,
                format!("not a valid polygon: {err}"),
                grid.shape.to_vec(),
            ));
        }
    }
    if grid.shape.len() > 1 && !allow_multipolygon {
        issues.push(issue(
            IssueKind::Multipolygon,
            0.0,
            None,
            format!("{} separate polygons; one is expected", grid.shape.len()),
            grid.shape.to_vec(),
        ));
    }
    for p in grid.shape {
        let area = metric.area(p);
        if area < rules.min_area_m2 {
            issues.push(issue(
                IssueKind::Sliver,
                area,
                None,
                format!("a piece of {area:.1} m², below the minimum of {} m²", rules.min_area_m2),
                vec![p.clone()],
            ));
            continue;
        }
        if let Some(w) = narrower_than(p, rules.min_width_m, metric) {
            issues.push(issue(
                IssueKind::Sliver,
                area,
                Some(w),
                format!("a piece at most {w:.1} m wide, below the minimum width of {} m", rules.min_width_m),
                vec![p.clone()],
            ));
        }
    }
    issues
}

/// The longest ring [`simple_polygon`] examines pairwise; longer ones go to geo's sweep.
const SIMPLE_RING_MAX: usize = 64;

/// Whether `poly` is, provably, one simple ring without holes: at least three vertices, no zero
/// area, no two non-adjacent edges touching and no adjacent edges folding back onto each other.
/// Exact on the lattice. Such a polygon is valid (OGC), so `true` lets [`grid_shape`] skip the
/// full validity check; `false` means only "not proved here".
fn simple_polygon(poly: &Poly) -> bool {
    let [ring] = poly.rings.as_slice() else { return false };
    let n = ring.len();
    if !(3..=SIMPLE_RING_MAX).contains(&n) || ring_area2(ring) == 0 {
        return false;
    }
    let seg = |i: usize| (ring[i], ring[(i + 1) % n]);
    for i in 0..n {
        let (a, b) = seg(i);
        let c = ring[(i + 2) % n];
        // Adjacent edges a→b, b→c: a fold back (collinear, c not beyond b) overlaps them.
        if a == b
            || (orient(a, b, c) == 0
                && i128::from(b.x - a.x) * i128::from(c.x - b.x) + i128::from(b.y - a.y) * i128::from(c.y - b.y) <= 0)
        {
            return false;
        }
        for j in i + 2..n {
            if i == 0 && j == n - 1 {
                continue; // adjacent through the closing vertex
            }
            let (c, d) = seg(j);
            if segments_touch(a, b, c, d) {
                return false;
            }
        }
    }
    true
}

/// Whether closed segments a–b and c–d share any point (exact).
fn segments_touch(a: Pt, b: Pt, c: Pt, d: Pt) -> bool {
    if a.x.max(b.x) < c.x.min(d.x)
        || c.x.max(d.x) < a.x.min(b.x)
        || a.y.max(b.y) < c.y.min(d.y)
        || c.y.max(d.y) < a.y.min(b.y)
    {
        return false;
    }
    let (o1, o2, o3, o4) = (orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b));
    if o1.signum() * o2.signum() < 0 && o3.signum() * o4.signum() < 0 {
        return true;
    }
    on_segment(a, b, c) || on_segment(a, b, d) || on_segment(c, d, a) || on_segment(c, d, b)
}

/// `Some(width)` when the polygon vanishes under a negative buffer of `min_width / 2`: its
/// largest inscribed circle is narrower than `min_width` (the width returned is an upper bound).
#[must_use]
pub fn narrower_than(poly: &Poly, min_width: f64, metric: Metric) -> Option<f64> {
    let half = min_width / 2.0;
    let perimeter = metric.perimeter(poly);
    if perimeter <= 0.0 {
        return Some(0.0);
    }
    // Every point lies within the inscribed radius r of the boundary, so area <= r · perimeter.
    if metric.area(poly) / perimeter >= half {
        return None;
    }
    let origin = poly.rings[0][0];
    let rings: Vec<Vec<[f64; 2]>> = poly
        .rings
        .iter()
        .map(|r| {
            r.iter()
                .map(|p| {
                    let (a, o) = (metric.xy(*p), metric.xy(origin));
                    [a[0] - o[0], a[1] - o[1]]
                })
                .collect()
        })
        .collect();
    let best = max_inscribed_at_least(&rings, half);
    (best < half).then_some(2.0 * best)
}

/// Signed distance from `p` to the polygon's boundary (positive inside).
fn signed_distance(p: [f64; 2], rings: &[Vec<[f64; 2]>]) -> f64 {
    let mut inside = false;
    let mut d2 = f64::INFINITY;
    for r in rings {
        let n = r.len();
        for i in 0..n {
            let (a, b) = (r[i], r[(i + 1) % n]);
            if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) + a[0] {
                inside = !inside;
            }
            let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
            let len2 = dx * dx + dy * dy;
            let t = if len2 > 0.0 { (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
            let (ex, ey) = (a[0] + t * dx - p[0], a[1] + t * dy - p[1]);
            d2 = d2.min(ex * ex + ey * ey);
        }
    }
    let d = d2.sqrt();
    if inside {
        d
    } else {
        -d
    }
}

#[derive(PartialEq)]
struct Cell {
    c: [f64; 2],
    h: f64,
    d: f64,
    potential: f64,
}

impl Eq for Cell {}
impl PartialOrd for Cell {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Cell {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.potential.total_cmp(&other.potential)
    }
}

/// The largest inscribed radius found, searching until it is known to be `>= target` or
/// `< target` (to within 1% of `target`).
fn max_inscribed_at_least(rings: &[Vec<[f64; 2]>], target: f64) -> f64 {
    let (mut x0, mut y0, mut x1, mut y1) = (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
    for p in &rings[0] {
        x0 = x0.min(p[0]);
        y0 = y0.min(p[1]);
        x1 = x1.max(p[0]);
        y1 = y1.max(p[1]);
    }
    let size = (x1 - x0).min(y1 - y0).max(1e-9);
    let cell = |c: [f64; 2], h: f64| {
        let d = signed_distance(c, rings);
        Cell { c, h, d, potential: d + h * std::f64::consts::SQRT_2 }
    };
    let mut heap = BinaryHeap::new();
    let h = size / 2.0;
    let mut y = y0;
    while y < y1 {
        let mut x = x0;
        while x < x1 {
            heap.push(cell([x + h, y + h], h));
            x += size;
        }
        y += size;
    }
    let mut best = heap.iter().map(|c| c.d).fold(f64::NEG_INFINITY, f64::max);
    let precision = (target * 0.01).max(1e-3);
    while let Some(c) = heap.pop() {
        if best >= target || c.potential < target || c.potential - best <= precision {
            break;
        }
        let h = c.h / 2.0;
        for (dx, dy) in [(-h, -h), (h, -h), (-h, h), (h, h)] {
            let child = cell([c.c[0] + dx, c.c[1] + dy], h);
            best = best.max(child.d);
            if child.potential > best {
                heap.push(child);
            }
        }
    }
    best
}

/// Fewest items worth a thread of their own.
const MIN_PER_THREAD: usize = 256;

/// `f` over `items` in contiguous chunks, one per available core, joined in order: the same
/// result as `f(items)` when `f` maps each item independently.
fn in_parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&[T]) -> Vec<R> + Sync) -> Vec<R> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let threads = cores.min(items.len() / MIN_PER_THREAD).max(1);
    if threads == 1 {
        return f(items);
    }
    let f = &f;
    std::thread::scope(|s| {
        let parts: Vec<_> = items.chunks(items.len().div_ceil(threads)).map(|c| s.spawn(move || f(c))).collect();
        parts.into_iter().flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    })
}

/// Everything [`city`] found, by kind.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub grids: usize,
    pub villages: usize,
    pub issues: Vec<Issue>,
    pub multipart_grids: usize,
}

/// Validates grids against their villages and the city outline. `grids` may be a scope
/// (one village, township or county): village checks then run for the villages in it, and the
/// city-wide check reports only problems that involve a grid in scope. `all_grids` are the
/// grids of the whole city (for the cross-village check).
#[must_use]
pub fn city<S: std::hash::BuildHasher + Sync>(
    all_grids: &[GridRef<'_>],
    in_scope: &dyn Fn(&GridRef<'_>) -> bool,
    villages: &HashMap<String, Shape, S>,
    city_outline: Option<&[Poly]>,
    rules: Rules,
) -> Report {
    let metric = Metric::at_lat(33.5);
    let mut report = Report::default();
    let mut by_village: HashMap<&str, Vec<GridRef<'_>>> = HashMap::new();
    let mut scoped: Vec<GridRef<'_>> = Vec::new();
    for g in all_grids.iter().filter(|g| in_scope(g)) {
        by_village.entry(g.village).or_default().push(*g);
        scoped.push(*g);
        if g.shape.len() > 1 {
            report.multipart_grids += 1;
        }
    }
    report.grids = scoped.len();
    report.villages = by_village.len();
    let mut village_codes: Vec<&str> = by_village.keys().copied().collect();
    village_codes.sort_unstable();
    let residual = std::thread::scope(|s| {
        // The cross-village sum runs beside the per-grid and per-village checks.
        let cross = city_outline.map(|outline| {
            s.spawn(move || {
                let mut chains = Chains::default();
                for g in all_grids {
                    chains.add_shape(g.shape, 1);
                }
                chains.add_shape(outline, -1);
                let members: Vec<usize> = (0..all_grids.len()).collect();
                residual_issues(&chains, all_grids, &members, None, metric, IssueKind::Overlap)
            })
        });
        // Stored grids may be multipolygons; a plan's result is held to one polygon.
        report.issues = in_parallel(&scoped, |gs| gs.iter().flat_map(|g| grid_shape(g, rules, true, metric)).collect());
        report.issues.extend(in_parallel(&village_codes, |vs| {
            vs.iter()
                .flat_map(|v| match villages.get(*v) {
                    Some(outline) => village_partition(&by_village[v], v, outline, metric),
                    None => vec![Issue {
                        kind: IssueKind::OutsideParent,
                        grids: by_village[v].iter().map(|g| g.code.to_owned()).collect(),
                        village: Some((*v).to_owned()),
                        area_m2: 0.0,
                        width_m: None,
                        reason: format!("village {v} has no boundary"),
                        shape: Vec::new(),
                    }],
                })
                .collect()
        }));
        cross.map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
    });
    if let Some(residual) = residual {
        // A problem inside one village was reported by its own check with the same cycle.
        let canon = |shape: &Shape| {
            shape.first().map(|p| {
                let r = &p.rings[0];
                let i = r.iter().enumerate().min_by_key(|(_, q)| **q).map_or(0, |(i, _)| i);
                [&r[i..], &r[..i]].concat()
            })
        };
        let seen: HashSet<Vec<Pt>> = report.issues.iter().filter_map(|i| canon(&i.shape)).collect();
        let scope_of: HashMap<&str, bool> = all_grids.iter().map(|g| (g.code, in_scope(g))).collect();
        for issue in residual {
            let scoped = issue.grids.is_empty()
                || issue.grids.iter().any(|c| scope_of.get(c.as_str()).copied().unwrap_or(false));
            if scoped && !canon(&issue.shape).is_some_and(|c| seen.contains(&c)) {
                report.issues.push(issue);
            }
        }
    }
    report.issues.sort_by(|a, b| a.kind.cmp(&b.kind).then_with(|| a.grids.cmp(&b.grids)));
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sq(x0: i64, y0: i64, x1: i64, y1: i64) -> Poly {
        Poly { rings: vec![vec![Pt::new(x0, y0), Pt::new(x1, y0), Pt::new(x1, y1), Pt::new(x0, y1)]] }
    }

    const S: i64 = 100_000; // 0.01°, ~1 km

    #[test]
    fn an_exact_partition_leaves_nothing() {
        let (a, b) = (vec![sq(0, 0, S, S)], vec![sq(S, 0, 2 * S, S)]);
        let outline = vec![Poly {
            rings: vec![vec![
                Pt::new(0, 0),
                Pt::new(S, 0),
                Pt::new(2 * S, 0),
                Pt::new(2 * S, S),
                Pt::new(S, S),
                Pt::new(0, S),
            ]],
        }];
        let grids = [GridRef { code: "a", village: "v", shape: &a }, GridRef { code: "b", village: "v", shape: &b }];
        assert!(village_partition(&grids, "v", &outline, Metric::at_lat(33.5)).is_empty());
    }

    #[test]
    fn gaps_overlaps_outside_and_unshared_vertices() {
        let m = Metric::at_lat(33.5);
        let outline = vec![sq(0, 0, 2 * S, S)];
        // b starts at 1.1 S: a gap; outline has no vertices at S (un-noded too).
        let (a, b) = (vec![sq(0, 0, S, S)], vec![sq(S + S / 10, 0, 2 * S, S)]);
        let grids = [GridRef { code: "a", village: "v", shape: &a }, GridRef { code: "b", village: "v", shape: &b }];
        let issues = village_partition(&grids, "v", &outline, m);
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].kind, IssueKind::Gap);
        assert_eq!(issues[0].grids, vec!["a", "b"]);
        // Overlap.
        let b = vec![sq(S - S / 10, 0, 2 * S, S)];
        let grids = [GridRef { code: "a", village: "v", shape: &a }, GridRef { code: "b", village: "v", shape: &b }];
        let kinds: Vec<IssueKind> = village_partition(&grids, "v", &outline, m).iter().map(|i| i.kind).collect();
        assert_eq!(kinds, vec![IssueKind::Overlap]);
        // Outside the village.
        let b = vec![sq(S, 0, 2 * S + S / 10, S)];
        let grids = [GridRef { code: "a", village: "v", shape: &a }, GridRef { code: "b", village: "v", shape: &b }];
        let kinds: Vec<IssueKind> = village_partition(&grids, "v", &outline, m).iter().map(|i| i.kind).collect();
        assert!(kinds.contains(&IssueKind::OutsideParent), "{kinds:?}");
        // A vertex only one side has: a's right edge has a midpoint b lacks.
        let a = vec![Poly {
            rings: vec![vec![Pt::new(0, 0), Pt::new(S, 0), Pt::new(S, S / 2), Pt::new(S, S), Pt::new(0, S)]],
        }];
        let b = vec![sq(S, 0, 2 * S, S)];
        let outline = vec![Poly {
            rings: vec![vec![
                Pt::new(0, 0),
                Pt::new(S, 0),
                Pt::new(2 * S, 0),
                Pt::new(2 * S, S),
                Pt::new(S, S),
                Pt::new(0, S),
            ]],
        }];
        let grids = [GridRef { code: "a", village: "v", shape: &a }, GridRef { code: "b", village: "v", shape: &b }];
        let kinds: Vec<IssueKind> = village_partition(&grids, "v", &outline, m).iter().map(|i| i.kind).collect();
        assert_eq!(kinds, vec![IssueKind::UnsharedVertex]);
    }

    #[test]
    fn the_simple_ring_proof_never_passes_what_geo_refuses() {
        let ring = |pts: &[(i64, i64)]| Poly { rings: vec![pts.iter().map(|&(x, y)| Pt::new(x, y)).collect()] };
        let cases = [
            (ring(&[(0, 0), (S, 0), (S, S), (0, S)]), true),
            (ring(&[(0, 0), (S, 0), (2 * S, 0), (2 * S, S), (0, S)]), true), // a straight-through vertex
            (ring(&[(0, 0), (S, S), (S, 0), (0, S)]), false),                // bow tie
            (ring(&[(0, 0), (2 * S, 0), (S, 0), (S, S)]), false),            // folds back on itself
            (ring(&[(0, 0), (2 * S, 0), (S, S), (2 * S, 2 * S), (0, 2 * S), (S, S)]), false), // touches itself
            (ring(&[(0, 0), (S, 0), (2 * S, 0)]), false),                    // no area
        ];
        for (poly, simple) in cases {
            assert_eq!(simple_polygon(&poly), simple, "{poly:?}");
            if simple {
                assert!(shape_to_geo(std::slice::from_ref(&poly)).is_valid(), "{poly:?}");
            }
        }
    }

    #[test]
    fn slivers_by_area_and_width() {
        let m = Metric::at_lat(33.5);
        let rules = Rules::default();
        // 100 m × 2.2 m (lattice units: ~107.9 per metre east, ~89.9 north): 220 m², too narrow.
        let thin = vec![sq(0, 0, 10_786, 198)];
        let g = GridRef { code: "t", village: "v", shape: &thin };
        let issues = grid_shape(&g, rules, false, m);
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].kind, IssueKind::Sliver);
        let w = issues[0].width_m.expect("width");
        assert!((w - 2.2).abs() < 0.1, "{w}");
        // 11 m × 11 m: fine.
        let ok = vec![sq(0, 0, 1_186, 989)];
        assert!(grid_shape(&GridRef { code: "o", village: "v", shape: &ok }, rules, false, m).is_empty());
        // 5 m × 5 m: too small.
        let small = vec![sq(0, 0, 539, 450)];
        let issues = grid_shape(&GridRef { code: "s", village: "v", shape: &small }, rules, false, m);
        assert_eq!(issues.len(), 1);
        assert!(issues[0].reason.contains("below the minimum of 100"), "{}", issues[0].reason);
        // Two polygons.
        let two = vec![sq(0, 0, S, S), sq(2 * S, 0, 3 * S, S)];
        let kinds: Vec<IssueKind> = grid_shape(&GridRef { code: "m", village: "v", shape: &two }, rules, false, m)
            .iter()
            .map(|i| i.kind)
            .collect();
        assert_eq!(kinds, vec![IssueKind::Multipolygon]);
    }
}
