//! The coverage model in memory: building footprints in an R-tree, what one camera covers, and
//! per-building counts of the cameras that cover it.
//!
//! **The rule** (fixed, so that coverage stays submodular for placement): a building is
//! covered when **one** camera alone sees at least `min_share` of its footprint, by area in the
//! camera's metric frame ([`super::sector`]). Only `online` cameras count for real coverage;
//! `planned` ones count in what-if figures. Per building we keep how many cameras cover it, for
//! online and planned cameras, with and without occlusion: a camera change then only adds or
//! subtracts its own covered set, and a full recompute is literally the sum of those sets.

use std::collections::HashMap;

use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

use super::occlusion::{visible_areas, LocalPolygons};
use super::sector::{ring_area, ring_contains, LocalFrame, Scratch, Sector};

/// A camera's status. Only `Online` cameras see; `Planned` ones see in what-if figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Online,
    Offline,
    Maintenance,
    Planned,
}

impl Status {
    pub const ALL: [Status; 4] = [Status::Online, Status::Offline, Status::Maintenance, Status::Planned];

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Online => "online",
            Status::Offline => "offline",
            Status::Maintenance => "maintenance",
            Status::Planned => "planned",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Does a camera with this status see, for real?
    #[must_use]
    pub fn sees(self) -> bool {
        self == Status::Online
    }
}

/// A camera as the model sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CameraView {
    pub id: i64,
    pub sector: Sector,
    pub status: Status,
}

/// Which per-building count a camera adds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    OnlineOpen = 0,
    OnlineOccluded = 1,
    PlannedOpen = 2,
    PlannedOccluded = 3,
}

impl Slot {
    /// The slot of a camera with `status`, `None` for statuses that never see.
    #[must_use]
    pub fn of(status: Status, occlusion: bool) -> Option<Slot> {
        match (status, occlusion) {
            (Status::Online, false) => Some(Slot::OnlineOpen),
            (Status::Online, true) => Some(Slot::OnlineOccluded),
            (Status::Planned, false) => Some(Slot::PlannedOpen),
            (Status::Planned, true) => Some(Slot::PlannedOccluded),
            _ => None,
        }
    }
}

/// Per building: how many cameras cover it, indexed by [`Slot`].
pub type Counts = [u32; 4];

/// One building for [`Footprints::new`]: id, residents, rings in `[lon, lat]` (outer first).
#[derive(Debug, Clone)]
pub struct BuildingInput {
    pub id: i64,
    pub residents: i32,
    pub rings: Vec<Vec<[f64; 2]>>,
}

/// Every building footprint, in the city frame, with an R-tree over their bounding boxes.
#[derive(Debug)]
pub struct Footprints {
    frame: LocalFrame,
    pub ids: Vec<i64>,
    pub residents: Vec<i32>,
    verts: Vec<[f64; 2]>,
    ring_start: Vec<u32>,
    first_ring: Vec<u32>,
    /// Area in the city frame (outer ring minus holes).
    area: Vec<f64>,
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, u32>>,
    by_id: HashMap<i64, u32>,
}

/// Per-thread buffers for evaluating cameras.
#[derive(Debug, Default)]
pub struct Work {
    scratch: Scratch,
    polys: LocalPolygons,
    candidates: Vec<u32>,
    visible: Vec<f64>,
}

impl Footprints {
    #[must_use]
    pub fn new(buildings: Vec<BuildingInput>) -> Footprints {
        let frame = LocalFrame::city();
        let n = buildings.len();
        let mut fp = Footprints {
            frame,
            ids: Vec::with_capacity(n),
            residents: Vec::with_capacity(n),
            verts: Vec::with_capacity(n * 4),
            ring_start: Vec::with_capacity(n + 1),
            first_ring: Vec::with_capacity(n + 1),
            area: Vec::with_capacity(n),
            tree: RTree::new(),
            by_id: HashMap::with_capacity(n),
        };
        fp.ring_start.push(0);
        fp.first_ring.push(0);
        let mut boxes = Vec::with_capacity(n);
        for b in buildings {
            let i = fp.ids.len() as u32;
            let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
            let mut area = 0.0;
            for (k, ring) in b.rings.iter().enumerate() {
                let mut pts: Vec<[f64; 2]> = ring.iter().map(|p| frame.project(p[0], p[1])).collect();
                if pts.len() > 1 && pts.first() == pts.last() {
                    pts.pop();
                }
                let a = ring_area(&pts).abs();
                area += if k == 0 { a } else { -a };
                for p in &pts {
                    lo = [lo[0].min(p[0]), lo[1].min(p[1])];
                    hi = [hi[0].max(p[0]), hi[1].max(p[1])];
                }
                fp.verts.extend(pts);
                fp.ring_start.push(fp.verts.len() as u32);
            }
            fp.first_ring.push((fp.ring_start.len() - 1) as u32);
            fp.ids.push(b.id);
            fp.residents.push(b.residents);
            fp.area.push(area.max(0.0));
            fp.by_id.insert(b.id, i);
            if lo[0] <= hi[0] {
                boxes.push(GeomWithData::new(Rectangle::from_corners(lo, hi), i));
            }
        }
        fp.tree = RTree::bulk_load(boxes);
        fp
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The position of building `id`.
    #[must_use]
    pub fn index_of(&self, id: i64) -> Option<u32> {
        self.by_id.get(&id).copied()
    }

    fn rings(&self, i: u32) -> impl Iterator<Item = &[[f64; 2]]> + '_ {
        let (a, b) = (self.first_ring[i as usize] as usize, self.first_ring[i as usize + 1] as usize);
        (a..b).map(move |r| &self.verts[self.ring_start[r] as usize..self.ring_start[r + 1] as usize])
    }

    /// Buildings whose bounding box comes within `margin_m` of the sector's range (a superset
    /// of those it overlaps).
    pub fn candidates_into(&self, sector: &Sector, margin_m: f64, out: &mut Vec<u32>) {
        out.clear();
        let local = LocalFrame::at(sector.lon, sector.lat);
        let c = self.frame.project(sector.lon, sector.lat);
        // Local metres → city-frame metres at the camera's latitude, with a hair of margin.
        let r = sector.range_m + margin_m;
        let (hx, hy) = (r * self.frame.kx / local.kx * 1.000_001, r * self.frame.ky / local.ky * 1.000_001);
        let query = AABB::from_corners([c[0] - hx, c[1] - hy], [c[0] + hx, c[1] + hy]);
        out.extend(self.tree.locate_in_envelope_intersecting(&query).map(|e| e.data));
        out.sort_unstable();
    }

    /// Loads the candidates' footprints into `work.polys`, in the sector's frame.
    fn localise(&self, sector: &Sector, work: &mut Work) {
        let local = LocalFrame::at(sector.lon, sector.lat);
        let c = self.frame.project(sector.lon, sector.lat);
        let (sx, sy) = (local.kx / self.frame.kx, local.ky / self.frame.ky);
        work.polys.clear();
        for &i in &work.candidates {
            for ring in self.rings(i) {
                work.polys.push_ring(ring.iter().map(|p| [(p[0] - c[0]) * sx, (p[1] - c[1]) * sy]));
            }
            work.polys.end_polygon();
        }
    }

    /// Every building the sector overlaps, with the share of its footprint the camera sees
    /// (with or without occlusion), in building order.
    pub fn shares(&self, sector: &Sector, occlusion: bool, work: &mut Work) -> Vec<(u32, f64)> {
        let mut out = Vec::new();
        self.shares_into(sector, occlusion, work, &mut out);
        out
    }

    fn shares_into(&self, sector: &Sector, occlusion: bool, work: &mut Work, out: &mut Vec<(u32, f64)>) {
        out.clear();
        let mut candidates = std::mem::take(&mut work.candidates);
        self.candidates_into(sector, 0.0, &mut candidates);
        work.candidates = candidates;
        self.localise(sector, work);
        if occlusion {
            let mut visible = std::mem::take(&mut work.visible);
            visible_areas(sector, &work.polys, &mut work.scratch, &mut visible);
            work.visible = visible;
        }
        for (k, &i) in work.candidates.iter().enumerate() {
            let seen = if occlusion { work.visible[k] } else { work.polys.overlap(k, sector, &mut work.scratch) };
            let area = work.polys.area(k);
            if seen > 0.0 && area > 0.0 {
                out.push((i, (seen / area).min(1.0)));
            }
        }
    }

    /// The buildings this sector covers by the rule (share ≥ `min_share`), in building order.
    pub fn covered(&self, sector: &Sector, occlusion: bool, min_share: f64, work: &mut Work) -> Vec<u32> {
        let mut shares = Vec::new();
        self.shares_into(sector, occlusion, work, &mut shares);
        shares.into_iter().filter(|&(_, s)| s >= min_share).map(|(i, _)| i).collect()
    }

    /// The city frame the footprints are stored in.
    #[must_use]
    pub fn frame(&self) -> LocalFrame {
        self.frame
    }

    /// The outer ring of building `i`, in the city frame (not closed).
    #[must_use]
    pub fn outer_ring(&self, i: u32) -> &[[f64; 2]] {
        self.rings(i).next().unwrap_or(&[])
    }

    /// Is the point (city frame) inside some footprint?
    #[must_use]
    pub fn inside_any(&self, p: [f64; 2]) -> bool {
        self.tree.locate_all_at_point(&p).any(|e| {
            let mut rings = self.rings(e.data);
            rings.next().is_some_and(|outer| ring_contains(outer, p)) && !rings.any(|hole| ring_contains(hole, p))
        })
    }

    /// Buildings nearest to the point (city frame), nearest bounding box first.
    pub fn nearest(&self, p: [f64; 2]) -> impl Iterator<Item = u32> + '_ {
        self.tree.nearest_neighbor_iter(&p).map(|e| e.data)
    }

    /// The footprint area of building `i` in m² (city frame; within 1 % of the true area, for
    /// display only: the rule uses the camera's frame).
    #[must_use]
    pub fn area_m2(&self, i: u32) -> f64 {
        self.area[i as usize]
    }
}

/// Buildings by grid: which grid each building belongs to (`buildings.grid_code`), and the
/// buildings of every grid.
#[derive(Debug, Default)]
pub struct Membership {
    /// Grid codes, sorted.
    pub codes: Vec<String>,
    /// The buildings of each grid (positions in [`Footprints`]).
    pub members: Vec<Vec<u32>>,
    /// Each building's grid (position in `codes`), `u32::MAX` when unknown.
    pub grid_of: Vec<u32>,
}

impl Membership {
    /// From `(building position, grid code)` pairs.
    #[must_use]
    pub fn new(buildings: usize, pairs: impl IntoIterator<Item = (u32, String)>) -> Membership {
        let pairs: Vec<(u32, String)> = pairs.into_iter().collect();
        let mut codes: Vec<String> = pairs.iter().map(|(_, c)| c.clone()).collect();
        codes.sort_unstable();
        codes.dedup();
        let mut members = vec![Vec::new(); codes.len()];
        let mut grid_of = vec![u32::MAX; buildings];
        for (b, code) in pairs {
            if let Ok(g) = codes.binary_search(&code) {
                members[g].push(b);
                if let Some(slot) = grid_of.get_mut(b as usize) {
                    *slot = g as u32;
                }
            }
        }
        for m in &mut members {
            m.sort_unstable();
        }
        Membership { codes, members, grid_of }
    }

    /// The grids whose code starts with `prefix` (a grid, village, township or county code).
    #[must_use]
    pub fn grids_under(&self, prefix: &str) -> std::ops::Range<usize> {
        let start = self.codes.partition_point(|c| c.as_str() < prefix);
        let end = start + self.codes[start..].iter().take_while(|c| c.starts_with(prefix)).count();
        start..end
    }

    /// The buildings in the grids under `prefix`.
    pub fn buildings_under(&self, prefix: &str) -> impl Iterator<Item = u32> + '_ {
        self.grids_under(prefix).flat_map(move |g| self.members[g].iter().copied())
    }

    /// The grid code of building `i`.
    #[must_use]
    pub fn grid_of(&self, i: u32) -> Option<&str> {
        self.grid_of.get(i as usize).and_then(|&g| self.codes.get(g as usize)).map(String::as_str)
    }
}

/// Adds (or with `sign = -1` removes) one camera's covered sets to the counts.
pub fn apply(counts: &mut [Counts], slot_open: Slot, open: &[u32], slot_occluded: Slot, occluded: &[u32], sign: i8) {
    for (slot, set) in [(slot_open, open), (slot_occluded, occluded)] {
        for &b in set {
            let c = &mut counts[b as usize][slot as usize];
            *c = if sign > 0 { *c + 1 } else { c.checked_sub(1).expect("coverage count below zero") };
        }
    }
}

/// What one camera covers, with and without occlusion.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoveredSets {
    pub open: Vec<u32>,
    pub occluded: Vec<u32>,
}

/// Both covered sets of a camera (empty for cameras that never see).
pub fn covered_sets(fp: &Footprints, cam: &CameraView, min_share: f64, work: &mut Work) -> CoveredSets {
    if Slot::of(cam.status, false).is_none() {
        return CoveredSets::default();
    }
    CoveredSets {
        open: fp.covered(&cam.sector, false, min_share, work),
        occluded: fp.covered(&cam.sector, true, min_share, work),
    }
}

/// The counts from scratch: every camera's covered sets added up (on all cores).
#[must_use]
pub fn compute_all(fp: &Footprints, cameras: &[CameraView], min_share: f64) -> Vec<Counts> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get).clamp(1, 8);
    let chunk = cameras.len().div_ceil(threads).max(1);
    let parts: Vec<Vec<(CameraView, CoveredSets)>> = std::thread::scope(|s| {
        let handles: Vec<_> = cameras
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    let mut work = Work::default();
                    part.iter().map(|c| (*c, covered_sets(fp, c, min_share, &mut work))).collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a coverage worker panicked")).collect()
    });
    let mut counts = vec![[0u32; 4]; fp.len()];
    for (cam, sets) in parts.iter().flatten() {
        if let (Some(open), Some(occ)) = (Slot::of(cam.status, false), Slot::of(cam.status, true)) {
            apply(&mut counts, open, &sets.open, occ, &sets.occluded, 1);
        }
    }
    counts
}

/// Coverage figures of a set of buildings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    pub buildings: i64,
    pub covered_buildings: i64,
    pub residents: i64,
    pub covered_residents: i64,
}

impl Figures {
    /// Adds one building.
    pub fn add(&mut self, residents: i32, covered: bool) {
        self.buildings += 1;
        self.residents += i64::from(residents);
        if covered {
            self.covered_buildings += 1;
            self.covered_residents += i64::from(residents);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A square footprint of `side` metres centred `(dx, dy)` metres from (119.0, 33.5).
    fn building(id: i64, dx: f64, dy: f64, side: f64) -> BuildingInput {
        let f = LocalFrame::city();
        let h = side / 2.0;
        let ring = [[-h, -h], [h, -h], [h, h], [-h, h], [-h, -h]]
            .iter()
            .map(|p| f.unproject([dx + p[0], dy + p[1]]))
            .collect();
        BuildingInput { id, residents: 10, rings: vec![ring] }
    }

    fn camera(id: i64, dx: f64, dy: f64, heading_deg: f64, fov_deg: f64, range_m: f64) -> CameraView {
        let p = LocalFrame::city().unproject([dx, dy]);
        CameraView {
            id,
            sector: Sector { lon: p[0], lat: p[1], heading_deg, fov_deg, range_m },
            status: Status::Online,
        }
    }

    #[test]
    fn the_rule_on_a_small_fixture() {
        // Three 10 m squares north of a camera looking north with 90° and 40 m.
        let fp = Footprints::new(vec![
            building(1, 0.0, 20.0, 10.0),  // wholly seen
            building(2, 25.0, 20.0, 10.0), // right of the 45° edge: x − y from 0 to 20 → partly
            building(3, 0.0, 60.0, 10.0),  // beyond the range
            building(4, 0.0, 40.0, 6.0),   // behind building 1, in range
        ]);
        let cam = camera(9, 0.0, 0.0, 0.0, 90.0, 45.0);
        let mut work = Work::default();
        let shares: HashMap<i64, f64> =
            fp.shares(&cam.sector, false, &mut work).into_iter().map(|(i, s)| (fp.ids[i as usize], s)).collect();
        assert!((shares[&1] - 1.0).abs() < 1e-6);
        // Building 2 spans x 20..30, y 15..25: inside the wedge where x ≤ y: the triangle
        // x from 20 to y, y from 20 to 25 = 12.5 m² of 100 (all within 45 m).
        assert!((shares[&2] - 0.125).abs() < 1e-4, "{}", shares[&2]);
        assert!(!shares.contains_key(&3));
        assert!(shares[&4] > 0.99);
        let occluded: HashMap<i64, f64> =
            fp.shares(&cam.sector, true, &mut work).into_iter().map(|(i, s)| (fp.ids[i as usize], s)).collect();
        assert!((occluded[&1] - 1.0).abs() < 1e-6);
        assert!(occluded.get(&4).copied().unwrap_or(0.0) < 1e-9, "hidden behind building 1");
        let covered: Vec<i64> =
            fp.covered(&cam.sector, false, 0.3, &mut work).iter().map(|&i| fp.ids[i as usize]).collect();
        assert_eq!(covered, [1, 4]);
    }

    #[test]
    fn full_recompute_is_the_sum_of_camera_changes() {
        use rand::{Rng as _, SeedableRng as _};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let buildings: Vec<BuildingInput> = (0..400)
            .map(|i| building(i, rng.random_range(-300.0..300.0), rng.random_range(-300.0..300.0), 8.0))
            .collect();
        let fp = Footprints::new(buildings);
        let random_camera = |rng: &mut rand_chacha::ChaCha8Rng, id| {
            let mut c = camera(
                id,
                rng.random_range(-300.0..300.0),
                rng.random_range(-300.0..300.0),
                rng.random_range(0.0..360.0),
                rng.random_range(10.0..=360.0),
                rng.random_range(5.0..150.0),
            );
            c.status = Status::ALL[rng.random_range(0..4)];
            c
        };
        let mut cams: Vec<CameraView> = (0..60).map(|id| random_camera(&mut rng, id)).collect();
        let mut counts = compute_all(&fp, &cams, 0.3);
        let mut work = Work::default();
        for _ in 0..300 {
            let k = rng.random_range(0..cams.len());
            let old = cams[k];
            let new = random_camera(&mut rng, old.id);
            for (cam, sign) in [(old, -1), (new, 1)] {
                if let (Some(a), Some(b)) = (Slot::of(cam.status, false), Slot::of(cam.status, true)) {
                    let sets = covered_sets(&fp, &cam, 0.3, &mut work);
                    apply(&mut counts, a, &sets.open, b, &sets.occluded, sign);
                }
            }
            cams[k] = new;
        }
        assert_eq!(counts, compute_all(&fp, &cams, 0.3));
        assert!(counts.iter().any(|c| c[0] > 0) && counts.iter().any(|c| c[2] > 0));
        assert!(counts.iter().all(|c| c[1] <= c[0] && c[3] <= c[2]), "occlusion only takes away");
    }

    #[test]
    fn membership_by_prefix() {
        let m = Membership::new(
            4,
            [
                (0, "320812001001001".into()),
                (1, "320812001001002".into()),
                (2, "320812002001001".into()),
                (3, "320803001001001".into()),
            ],
        );
        assert_eq!(m.buildings_under("320812001").collect::<Vec<_>>(), [0, 1]);
        assert_eq!(m.buildings_under("320812").count(), 3);
        assert_eq!(m.buildings_under("320803001001001").collect::<Vec<_>>(), [3]);
        assert_eq!(m.buildings_under("3209").count(), 0);
        assert_eq!(m.grid_of(2), Some("320812002001001"));
    }
}
