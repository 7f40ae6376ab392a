//! The shared-edge model: a planar arrangement of a village's grid boundaries and a planner's
//! new linework, built exactly on the 1e-7° lattice.
//!
//! **Mechanism.** The stored partition is exactly noded: a vertex shared by two grids is the
//! same lattice point in both. An edit adds linework (a new boundary ring, a new edge, a split
//! line). [`Arrangement::build`] snap-rounds that linework into the existing edges (Hobby's snap
//! rounding: every proper intersection and every new vertex is a *hot pixel*, and every segment
//! passing through a hot pixel is routed through its centre; new segments also snap to existing
//! vertices), then builds the planar graph (half-edges, faces with holes). Faces are the atoms of
//! every edit: each knows the grid it belonged to, and an operation only decides which grid each
//! face belongs to afterwards. [`Arrangement::regions`] turns that decision back into polygons
//! by walking the half-edges between faces of different owners, so two grids that meet get
//! their common boundary from the *same* half-edges: shared vertices are identical by
//! construction, never by tolerance. Nodes an edit introduced only to subdivide an old segment
//! and that no longer separate anything are dropped again, so a neighbour is only touched where
//! the partition really changed.
//!
//! Nothing here rounds twice or works in floating point: positions are `i64` lattice units and
//! every predicate is exact in `i128`.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::Hash;

use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

use super::lattice::{orient, point_in_ring, ring_area2, Poly, Pt, Shape, Side};

/// Why an arrangement could not be built from the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopologyError {
    /// Two input grids claim the same side of one segment: the stored partition overlaps.
    #[error("grids #{a} and #{b} both lie on the same side of the boundary at {at:?}")]
    Overlap { a: u32, b: u32, at: Pt },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// A segment of an input grid, that grid on its left. `chain`: marked by the caller.
    Grid { grid: u32, chain: bool },
    /// A segment of the new linework.
    Line,
}

#[derive(Debug, Clone, Copy)]
struct Seg {
    a: Pt,
    b: Pt,
    origin: Origin,
}

/// How a node came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeKind {
    /// A vertex of an input grid.
    Original,
    /// A vertex of the new linework.
    User,
    /// A hot pixel made by an intersection.
    Snapped,
}

/// One face of the arrangement.
#[derive(Debug, Clone, Copy)]
pub struct Face {
    /// The input grid it lies in (`None`: outside every input grid).
    pub owner: Option<u32>,
    /// Winding number of the new linework around it (meaningful when the linework is closed).
    pub winding: i32,
}

/// The planar arrangement. Half-edges `2e` and `2e + 1` are the two directions of edge `e`;
/// a half-edge's face is the one on its left. Face 0 is the unbounded face.
#[derive(Debug)]
pub struct Arrangement {
    nodes: Vec<Pt>,
    kind: Vec<NodeKind>,
    origin: Vec<u32>,
    left: Vec<Option<u32>>,
    wind: Vec<i32>,
    next: Vec<u32>,
    face: Vec<u32>,
    /// Per edge: carries new linework.
    line: Vec<bool>,
    /// Per edge: subdivides a segment of an input grid.
    orig: Vec<bool>,
    faces: Vec<Face>,
    /// Input grid segments that lie on the outline of the input (nothing on their right), with
    /// the nodes along them in order (endpoints included).
    outline: Vec<(Pt, Pt, Vec<u32>)>,
}

/// Nodes inserted into one outline segment `a → b` (input grids on its left), in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutlineInsertion {
    pub a: Pt,
    pub b: Pt,
    pub points: Vec<Pt>,
}

type SegEntry = GeomWithData<Rectangle<[i64; 2]>, usize>;

fn seg_box(a: Pt, b: Pt) -> Rectangle<[i64; 2]> {
    Rectangle::from_corners([a.x.min(b.x), a.y.min(b.y)], [a.x.max(b.x), a.y.max(b.y)])
}

/// `round(n / d)` to the nearest integer (halves away from zero), exact.
fn round_div(n: i128, d: i128) -> i128 {
    let (n, d) = if d < 0 { (-n, -d) } else { (n, d) };
    if n >= 0 {
        (2 * n + d) / (2 * d)
    } else {
        -((-2 * n + d) / (2 * d))
    }
}

/// The lattice point nearest to the proper intersection of a–b and c–d, if they cross properly.
fn proper_crossing(a: Pt, b: Pt, c: Pt, d: Pt) -> Option<Pt> {
    let o1 = orient(c, d, a);
    let o2 = orient(c, d, b);
    let o3 = orient(a, b, c);
    let o4 = orient(a, b, d);
    if !((o1 > 0 && o2 < 0) || (o1 < 0 && o2 > 0)) || !((o3 > 0 && o4 < 0) || (o3 < 0 && o4 > 0)) {
        return None;
    }
    let den = o1 - o2;
    let x = i128::from(a.x) + round_div(i128::from(b.x - a.x) * o1, den);
    let y = i128::from(a.y) + round_div(i128::from(b.y - a.y) * o1, den);
    Some(Pt::new(x as i64, y as i64))
}

/// Whether segment a–b passes through the closed pixel (side 1) centred on `h`.
fn hits_pixel(a: Pt, b: Pt, h: Pt) -> bool {
    // Doubled coordinates keep the pixel corners on integers.
    let (ax, ay, bx, by) = (2 * a.x, 2 * a.y, 2 * b.x, 2 * b.y);
    let (x0, x1, y0, y1) = (2 * h.x - 1, 2 * h.x + 1, 2 * h.y - 1, 2 * h.y + 1);
    if ax.max(bx) < x0 || ax.min(bx) > x1 || ay.max(by) < y0 || ay.min(by) > y1 {
        return false;
    }
    let (pa, pb) = (Pt::new(ax, ay), Pt::new(bx, by));
    let signs = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)].map(|(x, y)| orient(pa, pb, Pt::new(x, y)).signum());
    !(signs.iter().all(|s| *s > 0) || signs.iter().all(|s| *s < 0))
}

/// Angular order of directions, counter-clockwise from east.
fn angle_cmp(a: Pt, b: Pt) -> std::cmp::Ordering {
    let half = |d: Pt| u8::from(!(d.y > 0 || (d.y == 0 && d.x > 0)));
    half(a).cmp(&half(b)).then_with(|| {
        let cross = i128::from(a.x) * i128::from(b.y) - i128::from(a.y) * i128::from(b.x);
        0.cmp(&cross)
    })
}

struct UnionFind(Vec<u32>);

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind((0..n as u32).collect())
    }
    fn find(&mut self, mut i: u32) -> u32 {
        while self.0[i as usize] != i {
            let up = self.0[self.0[i as usize] as usize];
            self.0[i as usize] = up;
            i = up;
        }
        i
    }
    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.0[ra.max(rb) as usize] = ra.min(rb);
        }
    }
}

impl Arrangement {
    /// Builds the arrangement of `grids` (each grid's rings, any orientation) and new `lines`
    /// (polylines; a closed ring repeats its first point). `chain = Some((g, segments))` marks
    /// those directed segments of grid `g` (for the edge edit). The new linework adds one to the
    /// winding of the faces on its left, and so does each marked segment.
    pub fn build(
        grids: &[Shape],
        lines: &[Vec<Pt>],
        chain: Option<(u32, &HashSet<(Pt, Pt)>)>,
    ) -> Result<Self, TopologyError> {
        let mut segs: Vec<Seg> = Vec::new();
        let mut oriented: Vec<Shape> = grids.to_vec();
        for shape in &mut oriented {
            for p in shape.iter_mut() {
                p.orient_rings();
            }
        }
        let mut directed: HashSet<(Pt, Pt)> = HashSet::new();
        let mut original: HashSet<Pt> = HashSet::new();
        for (gi, shape) in oriented.iter().enumerate() {
            for (a, b) in shape.iter().flat_map(Poly::segments) {
                if a == b {
                    continue;
                }
                let marked = chain.is_some_and(|(g, set)| g as usize == gi && set.contains(&(a, b)));
                segs.push(Seg { a, b, origin: Origin::Grid { grid: gi as u32, chain: marked } });
                directed.insert((a, b));
                original.insert(a);
            }
        }
        let n_grid_segs = segs.len();
        let mut user: HashSet<Pt> = HashSet::new();
        for l in lines {
            for w in l.windows(2) {
                user.insert(w[0]);
                user.insert(w[1]);
                if w[0] != w[1] {
                    segs.push(Seg { a: w[0], b: w[1], origin: Origin::Line });
                }
            }
            if let [only] = l.as_slice() {
                user.insert(*only);
            }
        }

        // Hot pixels: new vertices and proper crossings of new segments with anything.
        let tree: RTree<SegEntry> =
            RTree::bulk_load(segs.iter().enumerate().map(|(i, s)| SegEntry::new(seg_box(s.a, s.b), i)).collect());
        let mut hot: HashSet<Pt> = user.clone();
        for (i, s) in segs.iter().enumerate().skip(n_grid_segs) {
            let env = AABB::from_corners([s.a.x.min(s.b.x), s.a.y.min(s.b.y)], [s.a.x.max(s.b.x), s.a.y.max(s.b.y)]);
            for e in tree.locate_in_envelope_intersecting(&env) {
                let j = e.data;
                if j == i || (j > i && segs[j].origin == Origin::Line) {
                    continue; // each line pair once
                }
                let t = segs[j];
                if let Some(p) = proper_crossing(s.a, s.b, t.a, t.b) {
                    hot.insert(p);
                }
            }
        }
        // Existing vertices attract new segments only.
        let pixel_tree: RTree<GeomWithData<[i64; 2], bool>> = RTree::bulk_load(
            hot.iter()
                .map(|p| GeomWithData::new([p.x, p.y], true))
                .chain(original.iter().filter(|p| !hot.contains(p)).map(|p| GeomWithData::new([p.x, p.y], false)))
                .collect(),
        );

        let mut arr = Arrangement {
            nodes: Vec::new(),
            kind: Vec::new(),
            origin: Vec::new(),
            left: Vec::new(),
            wind: Vec::new(),
            next: Vec::new(),
            face: Vec::new(),
            line: Vec::new(),
            orig: Vec::new(),
            faces: Vec::new(),
            outline: Vec::new(),
        };
        let mut node_of: HashMap<Pt, u32> = HashMap::new();
        let mut edge_of: HashMap<(u32, u32), u32> = HashMap::new();
        let mut node = |arr: &mut Arrangement, p: Pt| -> u32 {
            *node_of.entry(p).or_insert_with(|| {
                arr.nodes.push(p);
                arr.kind.push(if original.contains(&p) {
                    NodeKind::Original
                } else if user.contains(&p) {
                    NodeKind::User
                } else {
                    NodeKind::Snapped
                });
                (arr.nodes.len() - 1) as u32
            })
        };
        for s in &segs {
            let is_line = s.origin == Origin::Line;
            let env = AABB::from_corners(
                [s.a.x.min(s.b.x) - 1, s.a.y.min(s.b.y) - 1],
                [s.a.x.max(s.b.x) + 1, s.a.y.max(s.b.y) + 1],
            );
            let mut pts: Vec<Pt> = pixel_tree
                .locate_in_envelope(&env)
                .filter(|e| is_line || e.data)
                .map(|e| Pt::new(e.geom()[0], e.geom()[1]))
                .filter(|h| *h != s.a && *h != s.b && hits_pixel(s.a, s.b, *h))
                .collect();
            let (dx, dy) = (i128::from(s.b.x - s.a.x), i128::from(s.b.y - s.a.y));
            let along = |p: &Pt| i128::from(p.x - s.a.x) * dx + i128::from(p.y - s.a.y) * dy;
            pts.sort_by(|p, q| along(p).cmp(&along(q)).then(p.cmp(q)));
            let mut chain_nodes = vec![node(&mut arr, s.a)];
            for p in pts.into_iter().chain([s.b]) {
                let n = node(&mut arr, p);
                if chain_nodes.last() != Some(&n) {
                    chain_nodes.push(n);
                }
            }
            for w in chain_nodes.windows(2) {
                let (u, v) = (w[0], w[1]);
                let key = (u.min(v), u.max(v));
                let e = *edge_of.entry(key).or_insert_with(|| {
                    arr.origin.extend([key.0, key.1]);
                    arr.left.extend([None, None]);
                    arr.wind.extend([0, 0]);
                    arr.line.push(false);
                    arr.orig.push(false);
                    (arr.line.len() - 1) as u32
                });
                let h = (2 * e + u32::from(u != key.0)) as usize;
                match s.origin {
                    Origin::Line => {
                        arr.wind[h] += 1;
                        arr.line[e as usize] = true;
                    }
                    Origin::Grid { grid, chain } => {
                        if let Some(other) = arr.left[h].filter(|o| *o != grid) {
                            return Err(TopologyError::Overlap { a: other, b: grid, at: arr.nodes[u as usize] });
                        }
                        arr.left[h] = Some(grid);
                        arr.orig[e as usize] = true;
                        if chain {
                            arr.wind[h] += 1;
                        }
                    }
                }
            }
            if !is_line && !directed.contains(&(s.b, s.a)) {
                arr.outline.push((s.a, s.b, chain_nodes));
            }
        }
        arr.link();
        arr.make_faces()?;
        Ok(arr)
    }

    fn dest(&self, h: usize) -> u32 {
        self.origin[h ^ 1]
    }

    fn dir(&self, h: usize) -> Pt {
        let (a, b) = (self.nodes[self.origin[h] as usize], self.nodes[self.dest(h) as usize]);
        Pt::new(b.x - a.x, b.y - a.y)
    }

    /// `next[h]`: at h's head, the outgoing half-edge just clockwise of h's twin (face on the left).
    fn link(&mut self) {
        let mut out: Vec<Vec<u32>> = vec![Vec::new(); self.nodes.len()];
        for h in 0..self.origin.len() {
            out[self.origin[h] as usize].push(h as u32);
        }
        let mut pos = vec![0usize; self.origin.len()];
        for list in &mut out {
            list.sort_by(|a, b| angle_cmp(self.dir(*a as usize), self.dir(*b as usize)).then(a.cmp(b)));
            for (i, h) in list.iter().enumerate() {
                pos[*h as usize] = i;
            }
        }
        self.next = vec![0; self.origin.len()];
        for h in 0..self.origin.len() {
            let twin = h ^ 1;
            let list = &out[self.origin[twin] as usize];
            let i = pos[twin];
            self.next[h] = list[(i + list.len() - 1) % list.len()];
        }
    }

    /// Cycles → faces (with holes), old owners and winding numbers.
    fn make_faces(&mut self) -> Result<(), TopologyError> {
        let n = self.origin.len();
        let mut cycle_of = vec![u32::MAX; n];
        let mut cycles: Vec<(usize, i128)> = Vec::new(); // (first half-edge, twice the area)
        for start in 0..n {
            if cycle_of[start] != u32::MAX {
                continue;
            }
            let id = cycles.len() as u32;
            let mut area = 0i128;
            let mut h = start;
            loop {
                cycle_of[h] = id;
                let (a, b) = (self.nodes[self.origin[h] as usize], self.nodes[self.dest(h) as usize]);
                area += i128::from(a.x) * i128::from(b.y) - i128::from(b.x) * i128::from(a.y);
                h = self.next[h] as usize;
                if h == start {
                    break;
                }
            }
            cycles.push((start, area));
        }
        // Connected components of the graph, to place each inner boundary in its face.
        let mut uf = UnionFind::new(self.nodes.len());
        for e in 0..n / 2 {
            uf.union(self.origin[2 * e], self.origin[2 * e + 1]);
        }
        let ring = |start: usize| -> Vec<Pt> {
            let mut r = Vec::new();
            let mut h = start;
            loop {
                r.push(self.nodes[self.origin[h] as usize]);
                h = self.next[h] as usize;
                if h == start {
                    break r;
                }
            }
        };
        let mut face_of_cycle = vec![0u32; cycles.len()];
        let mut shells: Vec<(u32, Vec<Pt>, i128, u32)> = Vec::new(); // cycle, ring, area, component
        self.faces = vec![Face { owner: None, winding: 0 }];
        for (c, (start, area)) in cycles.iter().enumerate() {
            if *area > 0 {
                face_of_cycle[c] = self.faces.len() as u32;
                self.faces.push(Face { owner: None, winding: 0 });
                shells.push((c as u32, ring(*start), *area, uf.find(self.origin[*start])));
            }
        }
        for (c, (start, area)) in cycles.iter().enumerate() {
            if *area > 0 {
                continue;
            }
            let comp = uf.find(self.origin[*start]);
            let p = self.nodes[self.origin[*start] as usize];
            let best = shells
                .iter()
                .filter(|s| s.3 != comp && point_in_ring(p, &s.1) == Side::Inside)
                .min_by_key(|s| s.2)
                .map_or(0, |s| face_of_cycle[s.0 as usize]);
            face_of_cycle[c] = best;
        }
        self.face = (0..n).map(|h| face_of_cycle[cycle_of[h] as usize]).collect();

        // Old owners from the grid labels, carried across edges that only new linework made.
        let mut owner: Vec<Option<u32>> = vec![None; self.faces.len()];
        for h in 0..n {
            if let Some(g) = self.left[h] {
                let f = self.face[h] as usize;
                match owner[f] {
                    Some(o) if o != g => {
                        return Err(TopologyError::Overlap { a: o, b: g, at: self.nodes[self.origin[h] as usize] })
                    }
                    _ => owner[f] = Some(g),
                }
            }
        }
        let mut queue: VecDeque<usize> = (0..owner.len()).filter(|f| owner[*f].is_some()).collect();
        while let Some(f) = queue.pop_front() {
            for h in 0..n {
                // A linear scan per face is fine at village size; faces are few.
                if self.face[h] as usize == f && self.left[h].is_none() && self.left[h ^ 1].is_none() {
                    let g = self.face[h ^ 1] as usize;
                    if owner[g].is_none() && g != 0 {
                        owner[g] = owner[f];
                        queue.push_back(g);
                    }
                }
            }
        }
        // Winding numbers, from the unbounded face outwards.
        let mut winding: Vec<Option<i32>> = vec![None; self.faces.len()];
        winding[0] = Some(0);
        let mut by_face: Vec<Vec<usize>> = vec![Vec::new(); self.faces.len()];
        for h in 0..n {
            by_face[self.face[h] as usize].push(h);
        }
        let mut queue = VecDeque::from([0usize]);
        while let Some(f) = queue.pop_front() {
            let w = winding[f].unwrap_or(0);
            for &h in &by_face[f] {
                let g = self.face[h ^ 1] as usize;
                if winding[g].is_none() {
                    // Crossing from f (left of h) to the right of h.
                    winding[g] = Some(w - self.wind[h] + self.wind[h ^ 1]);
                    queue.push_back(g);
                }
            }
        }
        for (f, face) in self.faces.iter_mut().enumerate() {
            face.owner = owner[f];
            face.winding = winding[f].unwrap_or(0);
        }
        Ok(())
    }

    /// The faces (face 0 is the unbounded one).
    #[must_use]
    pub fn faces(&self) -> &[Face] {
        &self.faces
    }

    /// Groups faces accepted by `keep` into connected sets, joined across edges that are not new
    /// linework (`cut_by_lines`) or across every edge.
    #[must_use]
    pub fn components(&self, keep: impl Fn(usize) -> bool, cut_by_lines: bool) -> Vec<Vec<usize>> {
        let mut uf = UnionFind::new(self.faces.len());
        for e in 0..self.line.len() {
            if cut_by_lines && self.line[e] {
                continue;
            }
            let (f, g) = (self.face[2 * e] as usize, self.face[2 * e + 1] as usize);
            if keep(f) && keep(g) {
                uf.union(f as u32, g as u32);
            }
        }
        let mut groups: HashMap<u32, Vec<usize>> = HashMap::new();
        for f in (0..self.faces.len()).filter(|f| keep(*f)) {
            groups.entry(uf.find(f as u32)).or_default().push(f);
        }
        let mut out: Vec<Vec<usize>> = groups.into_values().collect();
        out.sort();
        out
    }

    /// For every edge between a face in `set` and a face outside it: (the outside face, the
    /// edge's two end points).
    pub fn borders<'a>(&'a self, set: &'a HashSet<usize>) -> impl Iterator<Item = (usize, Pt, Pt)> + 'a {
        (0..self.origin.len()).filter_map(move |h| {
            let (f, g) = (self.face[h] as usize, self.face[h ^ 1] as usize);
            (set.contains(&f) && !set.contains(&g))
                .then(|| (g, self.nodes[self.origin[h] as usize], self.nodes[self.dest(h) as usize]))
        })
    }

    /// Whether some edge of new linework separates faces accepted by `side`.
    #[must_use]
    pub fn has_line_inside(&self, side: impl Fn(usize) -> bool) -> bool {
        (0..self.line.len())
            .any(|e| self.line[e] && side(self.face[2 * e] as usize) && side(self.face[2 * e + 1] as usize))
    }

    /// (left face, right face) of every edge.
    pub fn edge_sides(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        (0..self.line.len()).map(|e| (self.face[2 * e] as usize, self.face[2 * e + 1] as usize))
    }

    /// (left face, right face) of every edge of new linework between faces accepted by `side`.
    pub fn line_sides<'a>(&'a self, side: impl Fn(usize) -> bool + 'a) -> impl Iterator<Item = (usize, usize)> + 'a {
        self.edge_sides().zip(self.line.iter()).filter(move |((f, g), l)| **l && side(*f) && side(*g)).map(|(fg, _)| fg)
    }

    /// The pieces of new linework lying between two faces accepted by `side` (as segments).
    #[must_use]
    pub fn line_pieces(&self, side: impl Fn(usize) -> bool) -> Vec<[Pt; 2]> {
        (0..self.line.len())
            .filter(|e| self.line[*e] && side(self.face[2 * e] as usize) && side(self.face[2 * e + 1] as usize))
            .map(|e| [self.nodes[self.origin[2 * e] as usize], self.nodes[self.origin[2 * e + 1] as usize]])
            .collect()
    }

    /// Whether node `v` is kept in the result under `key`: original vertices and new vertices
    /// that separate something stay; a node that only subdivides an old segment with the same
    /// two owners on both sides goes.
    fn removable<K: Eq + Copy>(&self, v: u32, key: &impl Fn(usize) -> Option<K>, incident: &[Vec<u32>]) -> bool {
        if self.kind[v as usize] == NodeKind::Original {
            return false;
        }
        let boundary: Vec<u32> = incident[v as usize]
            .iter()
            .copied()
            .filter(|e| key(self.face[2 * *e as usize] as usize) != key(self.face[2 * *e as usize + 1] as usize))
            .collect();
        if boundary.len() != 2 || !boundary.iter().all(|e| self.orig[*e as usize]) {
            return false;
        }
        let pair = |e: u32| {
            let (a, b) = (key(self.face[2 * e as usize] as usize), key(self.face[2 * e as usize + 1] as usize));
            // Orient by the node: the key on the left when leaving `v`.
            if self.origin[2 * e as usize] == v {
                (a, b)
            } else {
                (b, a)
            }
        };
        // Leaving v along the two edges, left/right swap: same owners means (a, b) vs (b, a).
        let (p, q) = (pair(boundary[0]), pair(boundary[1]));
        p.0 == q.1 && p.1 == q.0
    }

    fn incident(&self) -> Vec<Vec<u32>> {
        let mut inc: Vec<Vec<u32>> = vec![Vec::new(); self.nodes.len()];
        for e in 0..self.line.len() {
            inc[self.origin[2 * e] as usize].push(e as u32);
            inc[self.origin[2 * e + 1] as usize].push(e as u32);
        }
        inc
    }

    /// The polygons of every key: faces with the same key merge, and rings run along the
    /// half-edges that separate different keys (`None` is "no region").
    #[must_use]
    pub fn regions<K: Eq + Hash + Copy>(&self, key: impl Fn(usize) -> Option<K>) -> HashMap<K, Shape> {
        let incident = self.incident();
        let is_boundary = |h: usize| {
            let k = key(self.face[h] as usize);
            k.is_some() && k != key(self.face[h ^ 1] as usize)
        };
        let mut seen = vec![false; self.origin.len()];
        let mut rings: HashMap<K, Vec<Vec<Pt>>> = HashMap::new();
        for start in 0..self.origin.len() {
            if seen[start] || !is_boundary(start) {
                continue;
            }
            let Some(k) = key(self.face[start] as usize) else { continue };
            let mut ring = Vec::new();
            let mut h = start;
            loop {
                seen[h] = true;
                let v = self.origin[h];
                if !self.removable(v, &key, &incident) {
                    ring.push(self.nodes[v as usize]);
                }
                // Next boundary half-edge of the same region around the head.
                let mut g = self.next[h] as usize;
                while !is_boundary(g) || key(self.face[g] as usize) != Some(k) {
                    g = self.next[g ^ 1] as usize;
                }
                h = g;
                if h == start {
                    break;
                }
            }
            rings.entry(k).or_default().push(ring);
        }
        rings.into_iter().map(|(k, rs)| (k, assemble(rs))).collect()
    }

    /// Under final ownership `key`, the nodes each outline segment of the input gained.
    #[must_use]
    pub fn outline_insertions<K: Eq + Copy>(&self, key: impl Fn(usize) -> Option<K>) -> Vec<OutlineInsertion> {
        let incident = self.incident();
        let mut out = Vec::new();
        for (a, b, chain) in &self.outline {
            let points: Vec<Pt> = chain[1..chain.len() - 1]
                .iter()
                .filter(|v| !self.removable(**v, &key, &incident))
                .map(|v| self.nodes[*v as usize])
                .collect();
            if !points.is_empty() {
                out.push(OutlineInsertion { a: *a, b: *b, points });
            }
        }
        out
    }
}

/// Rings → polygons: counter-clockwise rings are shells, clockwise ones holes of the smallest
/// shell around them.
fn assemble(rings: Vec<Vec<Pt>>) -> Shape {
    let (shells, holes): (Vec<Vec<Pt>>, Vec<Vec<Pt>>) = rings.into_iter().partition(|r| ring_area2(r) > 0);
    let mut polys: Vec<Poly> = shells.into_iter().map(|r| Poly { rings: vec![r] }).collect();
    for hole in holes {
        let inside = |shell: &[Pt]| {
            hole.iter()
                .map(|p| point_in_ring(*p, shell))
                .find(|s| *s != Side::OnBoundary)
                .is_none_or(|s| s == Side::Inside)
        };
        if let Some(i) =
            (0..polys.len()).filter(|i| inside(&polys[*i].rings[0])).min_by_key(|i| ring_area2(&polys[*i].rings[0]))
        {
            polys[i].rings.push(hole);
        }
    }
    // Deterministic order: by lowest vertex.
    polys.sort_by_key(|p| p.rings[0].iter().min().copied());
    polys
}

/// Inserts outline nodes into a polygon that was not part of the arrangement (a grid across the
/// village boundary, an administrative unit), by the same snap-rounding rule: every segment
/// passing through a node's pixel is routed through it. Returns whether anything changed.
pub fn insert_nodes(shape: &mut Shape, insertions: &[OutlineInsertion]) -> bool {
    let points: Vec<Pt> = insertions.iter().flat_map(|i| i.points.iter().copied()).collect();
    let mut changed = false;
    for poly in shape.iter_mut() {
        for ring in &mut poly.rings {
            let present: HashSet<Pt> = ring.iter().copied().collect();
            let n = ring.len();
            let mut out = Vec::with_capacity(n + points.len());
            for i in 0..n {
                let (a, b) = (ring[i], ring[(i + 1) % n]);
                out.push(a);
                let mut on: Vec<Pt> =
                    points.iter().copied().filter(|p| !present.contains(p) && hits_pixel(a, b, *p)).collect();
                if on.is_empty() {
                    continue;
                }
                let (dx, dy) = (i128::from(b.x - a.x), i128::from(b.y - a.y));
                on.sort_by_key(|p| i128::from(p.x - a.x) * dx + i128::from(p.y - a.y) * dy);
                on.dedup();
                out.extend(on);
                changed = true;
            }
            *ring = out;
        }
    }
    changed
}

/// Removes exactly the nodes [`insert_nodes`] put in. Returns whether anything changed.
pub fn remove_nodes(shape: &mut Shape, insertions: &[OutlineInsertion]) -> bool {
    let drop: HashSet<Pt> = insertions.iter().flat_map(|i| i.points.iter().copied()).collect();
    let mut changed = false;
    for poly in shape.iter_mut() {
        for ring in &mut poly.rings {
            let before = ring.len();
            ring.retain(|p| !drop.contains(p));
            changed |= ring.len() != before;
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planning::edit::canonical;

    fn sq(x0: i64, y0: i64, x1: i64, y1: i64) -> Poly {
        Poly { rings: vec![vec![Pt::new(x0, y0), Pt::new(x1, y0), Pt::new(x1, y1), Pt::new(x0, y1)]] }
    }

    #[test]
    fn exact_crossings_round_to_the_nearest_lattice_point() {
        assert_eq!(
            proper_crossing(Pt::new(0, 0), Pt::new(10, 10), Pt::new(0, 10), Pt::new(10, 0)),
            Some(Pt::new(5, 5))
        );
        // Crossing at (3.5, 0) rounds half away from zero.
        assert_eq!(proper_crossing(Pt::new(0, 0), Pt::new(7, 0), Pt::new(3, -1), Pt::new(4, 1)), Some(Pt::new(4, 0)));
        assert_eq!(proper_crossing(Pt::new(0, 0), Pt::new(10, 0), Pt::new(3, -1), Pt::new(4, 2)), Some(Pt::new(3, 0)));
        // Touching is not a proper crossing.
        assert_eq!(proper_crossing(Pt::new(0, 0), Pt::new(10, 0), Pt::new(5, 0), Pt::new(5, 5)), None);
        assert_eq!(round_div(-5, 2), -3);
        assert_eq!(round_div(5, -2), -3);
        assert_eq!(round_div(4, 3), 1);
    }

    #[test]
    fn pixels() {
        assert!(hits_pixel(Pt::new(0, 0), Pt::new(10, 0), Pt::new(5, 0)));
        assert!(hits_pixel(Pt::new(0, 0), Pt::new(10, 1), Pt::new(5, 0)));
        assert!(!hits_pixel(Pt::new(0, 0), Pt::new(10, 0), Pt::new(5, 1)));
        assert!(!hits_pixel(Pt::new(0, 0), Pt::new(4, 0), Pt::new(5, 0)));
    }

    /// Two unit squares side by side (grid 0 left, grid 1 right) in lattice units of 100.
    fn two() -> Vec<Shape> {
        vec![vec![sq(0, 0, 100, 100)], vec![sq(100, 0, 200, 100)]]
    }

    #[test]
    fn faces_know_their_grids() {
        let arr = Arrangement::build(&two(), &[], None).expect("build");
        let owners: Vec<Option<u32>> = arr.faces().iter().map(|f| f.owner).collect();
        assert_eq!(owners.len(), 3);
        assert_eq!(owners[0], None);
        assert!(owners.contains(&Some(0)) && owners.contains(&Some(1)));
        let regions = arr.regions(|f| arr.faces()[f].owner);
        assert_eq!(regions[&0], vec![sq(0, 0, 100, 100)]);
        assert_eq!(regions[&1].len(), 1);
        assert_eq!(ring_area2(&regions[&1][0].rings[0]), 20_000);
    }

    #[test]
    fn a_split_line_cuts_a_grid_and_nodes_the_outline() {
        // A vertical line through the left square, from below to above.
        let line = vec![Pt::new(50, -20), Pt::new(50, 120)];
        let arr = Arrangement::build(&two(), &[line], None).expect("build");
        let comps = arr.components(|f| arr.faces()[f].owner == Some(0), true);
        assert_eq!(comps.len(), 2);
        let key = |f: usize| match arr.faces()[f].owner {
            Some(0) if comps[0].contains(&f) => Some(0),
            Some(0) => Some(2),
            o => o,
        };
        let regions = arr.regions(key);
        let areas: Vec<i128> = [0u32, 2].iter().map(|k| ring_area2(&regions[k][0].rings[0])).collect();
        assert_eq!(areas, vec![10_000, 10_000]);
        // The outline got (50, 0) and (50, 100); the right square is untouched.
        let ins = arr.outline_insertions(key);
        let pts: HashSet<Pt> = ins.iter().flat_map(|i| i.points.clone()).collect();
        assert_eq!(pts, HashSet::from([Pt::new(50, 0), Pt::new(50, 100)]));
        assert_eq!(canonical(&regions[&1]), vec![sq(100, 0, 200, 100)]);
    }

    #[test]
    fn moving_an_edge_trades_area_between_the_two_grids() {
        // Chain from (100, 0) to (100, 100) on grid 0's side; the new edge bulges to x = 150.
        let new_edge = vec![Pt::new(100, 100), Pt::new(150, 50), Pt::new(100, 0)]; // b → a (reversed)
        let chain = HashSet::from([(Pt::new(100, 0), Pt::new(100, 100))]);
        let arr = Arrangement::build(&two(), &[new_edge], Some((0, &chain))).expect("build");
        let key = |f: usize| {
            let face = arr.faces()[f];
            match (face.owner, face.winding) {
                (Some(0), 1) => Some(1),
                (Some(1), -1) => Some(0),
                (o, _) => o,
            }
        };
        let regions = arr.regions(key);
        assert_eq!(ring_area2(&regions[&0][0].rings[0]), 20_000 + 5_000);
        assert_eq!(ring_area2(&regions[&1][0].rings[0]), 20_000 - 5_000);
        // Both grids carry the new vertex.
        assert!(regions[&0][0].rings[0].contains(&Pt::new(150, 50)));
        assert!(regions[&1][0].rings[0].contains(&Pt::new(150, 50)));
        assert!(arr.outline_insertions(key).is_empty());
    }

    #[test]
    fn nodes_that_only_subdivide_are_dropped() {
        // The line runs outside the squares but grazes the outline pixel at (60, 100).
        let line = vec![Pt::new(0, 150), Pt::new(60, 100), Pt::new(120, 150)];
        let arr = Arrangement::build(&two(), &[line], None).expect("build");
        let key = |f: usize| arr.faces()[f].owner;
        assert!(arr.outline_insertions(key).is_empty());
        assert_eq!(arr.regions(key)[&0], vec![sq(0, 0, 100, 100)]);
    }

    #[test]
    fn islands_become_holes() {
        let line = vec![Pt::new(20, 20), Pt::new(40, 20), Pt::new(40, 40), Pt::new(20, 40), Pt::new(20, 20)];
        let arr = Arrangement::build(&two(), &[line], None).expect("build");
        let inside = |f: usize| arr.faces()[f].winding == 1;
        let key = |f: usize| if inside(f) { Some(9) } else { arr.faces()[f].owner };
        let regions = arr.regions(key);
        assert_eq!(regions[&0][0].rings.len(), 2, "{:?}", regions[&0]);
        assert_eq!(ring_area2(&regions[&9][0].rings[0]), 800);
    }

    #[test]
    fn overlapping_input_is_refused() {
        let grids = vec![vec![sq(0, 0, 100, 100)], vec![sq(0, 0, 100, 100)]];
        assert!(matches!(Arrangement::build(&grids, &[], None), Err(TopologyError::Overlap { .. })));
    }

    #[test]
    fn node_insertion_round_trip() {
        let mut s = vec![sq(0, 0, 100, 100)];
        let ins = [OutlineInsertion { a: Pt::new(100, 100), b: Pt::new(0, 100), points: vec![Pt::new(60, 100)] }];
        assert!(insert_nodes(&mut s, &ins));
        assert_eq!(s[0].rings[0].len(), 5);
        assert!(remove_nodes(&mut s, &ins));
        assert_eq!(s, vec![sq(0, 0, 100, 100)]);
    }
}
