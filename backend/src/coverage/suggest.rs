//! Where to add cameras: k sites that cover the most residents not covered today (maximal
//! covering location), by greedy selection with lazy evaluation.
//!
//! **Candidates.** Positions are generated around the area's buildings and thinned:
//! - along every footprint edge, points every [`EDGE_STEP_M`] (at least the edge's middle),
//!   [`FACADE_OFFSET_M`] outside the footprint (a camera on the façade facing the open space);
//! - in the gaps between neighbours: the midpoint of each building and its 3 nearest neighbours
//!   (within [`GAP_MAX_M`]);
//! - a position inside some footprint, or outside the area, is dropped;
//! - the rest are snapped to a square lattice, keeping per cell the position nearest the cell's
//!   centre; the cell starts at [`START_CELL_M`] and doubles until at most `max_positions` (default
//!   [`MAX_POSITIONS`]) remain, so a township has at most a few thousand candidates.
//!
//! Each position gets 8 headings (every 45°), 4 when the FOV is 90° or more, 1 for 360°. A
//! candidate covers, by the model's rule ([`super::model`]), the area's buildings that no online
//! camera covers today.
//!
//! **Selection.** The gain of a candidate is (residents, buildings) newly covered, compared
//! residents first. Coverage is submodular, so greedy selection is within 1 − 1/e of the optimum
//! and gains never increase from one pick to the next, which lets a stale gain serve as an upper
//! bound (lazy evaluation, Minoux 1978): only the top candidate is re-evaluated. With
//! `min_spacing_m`, candidates closer than that to a pick are removed; the 1 − 1/e guarantee then
//! no longer holds exactly (gains still never increase). Selection stops early when nothing more
//! can be gained.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use super::model::{Footprints, Membership, Slot, Work};
use super::sector::{ring_area, Sector};
use super::Coverage;

/// Spacing of façade positions along a footprint edge (metres).
pub const EDGE_STEP_M: f64 = 15.0;
/// How far outside the façade a position sits (metres).
pub const FACADE_OFFSET_M: f64 = 2.0;
/// Neighbours farther apart than this leave no gap position (metres).
pub const GAP_MAX_M: f64 = 60.0;
/// The first thinning lattice cell (metres).
pub const START_CELL_M: f64 = 10.0;
/// Default cap on positions after thinning.
pub const MAX_POSITIONS: usize = 600;

/// What to suggest for.
#[derive(Debug, Clone)]
pub struct SuggestQuery {
    /// Grid, village or township code.
    pub area: String,
    pub k: usize,
    pub fov_deg: f64,
    pub range_m: f64,
    pub min_spacing_m: f64,
    pub occlusion: bool,
    pub max_positions: usize,
}

/// A candidate site and the area's buildings it would newly cover.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub sector: Sector,
    /// Positions (in [`Footprints`]) of the buildings it covers that nobody covers today.
    pub covers: Vec<u32>,
}

/// One picked site.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    pub sector: Sector,
    pub gain_residents: i64,
    pub gain_buildings: i64,
}

/// The answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub sites: Vec<Site>,
    pub positions: usize,
    pub candidates: usize,
    pub residents: i64,
    pub covered_residents_before: i64,
    pub covered_residents_after: i64,
}

/// The headings tried at each position.
#[must_use]
pub fn headings(fov_deg: f64) -> Vec<f64> {
    if fov_deg >= 360.0 {
        vec![0.0]
    } else if fov_deg >= 90.0 {
        vec![0.0, 90.0, 180.0, 270.0]
    } else {
        (0..8).map(|i| f64::from(i) * 45.0).collect()
    }
}

/// Candidate positions (city frame) around the area's buildings, thinned (see the module docs).
pub fn positions(
    fp: &Footprints,
    area: &[u32],
    inside_area: &dyn Fn([f64; 2]) -> bool,
    max_positions: usize,
) -> Vec<[f64; 2]> {
    let mut raw: Vec<[f64; 2]> = Vec::new();
    for &b in area {
        let ring = fp.outer_ring(b);
        let n = ring.len();
        if n < 3 {
            continue;
        }
        let ccw = ring_area(ring) > 0.0;
        for i in 0..n {
            let (p, q) = (ring[i], ring[(i + 1) % n]);
            let (dx, dy) = (q[0] - p[0], q[1] - p[1]);
            let len = dx.hypot(dy);
            if len < 1e-6 {
                continue;
            }
            // Outward normal: right of the edge for a counter-clockwise ring.
            let (nx, ny) = if ccw { (dy / len, -dx / len) } else { (-dy / len, dx / len) };
            let steps = (len / EDGE_STEP_M).ceil().max(1.0) as usize;
            for s in 0..steps {
                let t = (s as f64 + 0.5) / steps as f64;
                raw.push([p[0] + dx * t + nx * FACADE_OFFSET_M, p[1] + dy * t + ny * FACADE_OFFSET_M]);
            }
        }
        let c = centroid(ring);
        for other in fp.nearest(c).filter(|&o| o != b).take(3) {
            let oc = centroid(fp.outer_ring(other));
            if (oc[0] - c[0]).hypot(oc[1] - c[1]) <= GAP_MAX_M {
                raw.push([f64::midpoint(c[0], oc[0]), f64::midpoint(c[1], oc[1])]);
            }
        }
    }
    let frame = fp.frame();
    raw.retain(|&p| !fp.inside_any(p) && inside_area(frame.unproject(p)));
    let mut cell = START_CELL_M;
    loop {
        let kept = thin(&raw, cell);
        if kept.len() <= max_positions.max(1) {
            return kept;
        }
        cell *= 2.0;
    }
}

fn centroid(ring: &[[f64; 2]]) -> [f64; 2] {
    let n = ring.len().max(1) as f64;
    let (sx, sy) = ring.iter().fold((0.0, 0.0), |(x, y), p| (x + p[0], y + p[1]));
    [sx / n, sy / n]
}

/// Per lattice cell of side `cell`, the position nearest the cell's centre, by cell.
fn thin(raw: &[[f64; 2]], cell: f64) -> Vec<[f64; 2]> {
    let mut best: HashMap<(i64, i64), (f64, [f64; 2])> = HashMap::new();
    for &p in raw {
        let key = ((p[0] / cell).floor() as i64, (p[1] / cell).floor() as i64);
        let centre = [(key.0 as f64 + 0.5) * cell, (key.1 as f64 + 0.5) * cell];
        let d = (p[0] - centre[0]).hypot(p[1] - centre[1]);
        let e = best.entry(key).or_insert((f64::INFINITY, p));
        if d < e.0 {
            *e = (d, p);
        }
    }
    let mut kept: Vec<((i64, i64), [f64; 2])> = best.into_iter().map(|(k, (_, p))| (k, p)).collect();
    kept.sort_by_key(|(k, _)| *k);
    kept.into_iter().map(|(_, p)| p).collect()
}

/// Greedy maximal covering with lazy evaluation: up to `k` candidates by (residents, buildings)
/// gain, removing candidates within `min_spacing_m` of a pick (city-frame metres, `positions[i]`
/// being candidate `i`'s). Returns (candidate, residents gain, buildings gain) in pick order;
/// zero-gain picks are never made.
#[must_use]
pub fn greedy(
    candidates: &[Candidate],
    positions: &[[f64; 2]],
    residents: &dyn Fn(u32) -> i64,
    k: usize,
    min_spacing_m: f64,
) -> Vec<(usize, i64, i64)> {
    let gain = |c: &Candidate, covered: &std::collections::HashSet<u32>| {
        c.covers.iter().filter(|b| !covered.contains(b)).fold((0i64, 0i64), |(r, n), &b| (r + residents(b), n + 1))
    };
    let mut covered = std::collections::HashSet::new();
    let mut removed = vec![false; candidates.len()];
    // (gain, smaller index first, round the gain was computed in)
    let mut heap: BinaryHeap<((i64, i64), Reverse<usize>, usize)> =
        candidates.iter().enumerate().map(|(i, c)| (gain(c, &covered), Reverse(i), 0)).collect();
    let mut picks = Vec::new();
    while picks.len() < k {
        let Some((g, Reverse(i), round)) = heap.pop() else { break };
        if removed[i] {
            continue;
        }
        if round != picks.len() {
            heap.push((gain(&candidates[i], &covered), Reverse(i), picks.len()));
            continue;
        }
        if g == (0, 0) {
            break;
        }
        picks.push((i, g.0, g.1));
        covered.extend(candidates[i].covers.iter().copied());
        removed[i] = true;
        if min_spacing_m > 0.0 {
            let p = positions[i];
            for (j, q) in positions.iter().enumerate() {
                if (q[0] - p[0]).hypot(q[1] - p[1]) < min_spacing_m {
                    removed[j] = true;
                }
            }
        }
    }
    picks
}

/// The candidates' coverage as a matrix for an exact solver: the buildings they cover,
/// renumbered densely in order of first appearance (`covers[c]`), and each renumbered
/// building's residents (`weights[b]`).
#[must_use]
pub fn coverage_matrix(candidates: &[Candidate], residents: &dyn Fn(u32) -> i64) -> (Vec<Vec<u32>>, Vec<i64>) {
    let mut index = std::collections::BTreeMap::new();
    for b in candidates.iter().flat_map(|c| &c.covers) {
        let next = u32::try_from(index.len()).unwrap_or(u32::MAX);
        index.entry(*b).or_insert(next);
    }
    let mut weights = vec![0i64; index.len()];
    for (&b, &i) in &index {
        weights[i as usize] = residents(b);
    }
    let covers = candidates.iter().map(|c| c.covers.iter().map(|b| index[b]).collect()).collect();
    (covers, weights)
}

impl Coverage {
    /// The candidates for `q` (see the module docs), with the city-frame position of each.
    pub fn candidates(
        &self,
        q: &SuggestQuery,
        inside_area: &dyn Fn([f64; 2]) -> bool,
    ) -> (Vec<Candidate>, Vec<[f64; 2]>, usize) {
        let fp = self.footprints();
        let membership: std::sync::Arc<Membership> = self.membership();
        let area: Vec<u32> = membership.buildings_under(&q.area).collect();
        let counts = self.counts();
        let slot = Slot::of(super::model::Status::Online, q.occlusion).map_or(0, |s| s as usize);
        let mut open: Vec<bool> = vec![false; fp.len()];
        for &b in &area {
            open[b as usize] = counts[b as usize][slot] == 0;
        }
        let spots = positions(&fp, &area, inside_area, q.max_positions);
        let frame = fp.frame();
        let mut work = Work::default();
        let mut candidates = Vec::new();
        let mut at = Vec::new();
        for p in &spots {
            let [lon, lat] = frame.unproject(*p);
            for heading_deg in headings(q.fov_deg) {
                let sector = Sector { lon, lat, heading_deg, fov_deg: q.fov_deg, range_m: q.range_m };
                let covers: Vec<u32> = fp
                    .covered(&sector, q.occlusion, self.min_share(), &mut work)
                    .into_iter()
                    .filter(|&b| open[b as usize])
                    .collect();
                candidates.push(Candidate { sector, covers });
                at.push(*p);
            }
        }
        (candidates, at, spots.len())
    }

    /// Up to `q.k` sites for the area (see the module docs).
    pub fn suggest(&self, q: &SuggestQuery, inside_area: &dyn Fn([f64; 2]) -> bool) -> Suggestion {
        let (candidates, at, positions) = self.candidates(q, inside_area);
        let fp = self.footprints();
        let residents = |b: u32| i64::from(fp.residents[b as usize]);
        let picks = greedy(&candidates, &at, &residents, q.k, q.min_spacing_m);
        let before = self.figures(&q.area, q.occlusion, false);
        let gained: i64 = picks.iter().map(|p| p.1).sum();
        Suggestion {
            sites: picks
                .iter()
                .map(|&(i, r, n)| Site { sector: candidates[i].sector, gain_residents: r, gain_buildings: n })
                .collect(),
            positions,
            candidates: candidates.len(),
            residents: before.residents,
            covered_residents_before: before.covered_residents,
            covered_residents_after: before.covered_residents + gained,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(covers: &[u32]) -> Candidate {
        Candidate {
            sector: Sector { lon: 119.0, lat: 33.5, heading_deg: 0.0, fov_deg: 90.0, range_m: 50.0 },
            covers: covers.to_vec(),
        }
    }

    #[test]
    fn greedy_picks_by_marginal_gain_and_stops_when_nothing_is_left() {
        // Residents: building b has b + 1 residents.
        let cands = [cand(&[0, 1, 2]), cand(&[2, 3]), cand(&[3, 4]), cand(&[0, 1]), cand(&[5])];
        let at = [[0.0, 0.0], [100.0, 0.0], [200.0, 0.0], [300.0, 0.0], [400.0, 0.0]];
        let residents = |b: u32| i64::from(b) + 1;
        let picks = greedy(&cands, &at, &residents, 10, 0.0);
        // {3,4} = 9, then {0,1,2} = 6, then {5} = 6 (residents tie: more buildings first → 0,1,2),
        // then nothing new: stops with 3 picks.
        assert_eq!(picks, vec![(2, 9, 2), (0, 6, 3), (4, 6, 1)]);
        assert!(picks.windows(2).all(|w| (w[0].1, w[0].2) >= (w[1].1, w[1].2)), "gains never increase");
        // Spacing removes the neighbours of a pick.
        let close = [[0.0, 0.0], [10.0, 0.0], [20.0, 0.0], [30.0, 0.0], [400.0, 0.0]];
        let picks = greedy(&cands, &close, &residents, 10, 15.0);
        assert_eq!(picks.iter().map(|p| p.0).collect::<Vec<_>>(), vec![2, 0, 4]);
        let picks = greedy(&cands, &close, &residents, 10, 25.0);
        assert_eq!(picks.iter().map(|p| p.0).collect::<Vec<_>>(), vec![2, 4]);
        assert_eq!(greedy(&cands, &at, &residents, 1, 0.0), vec![(2, 9, 2)]);
    }

    #[test]
    fn headings_per_fov() {
        assert_eq!(headings(60.0).len(), 8);
        assert_eq!(headings(90.0), vec![0.0, 90.0, 180.0, 270.0]);
        assert_eq!(headings(360.0), vec![0.0]);
    }

    #[test]
    fn thinning_keeps_one_position_per_cell() {
        let raw = [[1.0, 1.0], [4.0, 6.0], [5.5, 4.5], [15.0, 5.0], [30.0, 30.0]];
        assert_eq!(thin(&raw, 10.0), vec![[5.5, 4.5], [15.0, 5.0], [30.0, 30.0]]);
        assert_eq!(thin(&raw, 100.0).len(), 1);
    }
}
