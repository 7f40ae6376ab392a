//! The four boundary edits on one village's grids, as decisions about faces of the
//! [`Arrangement`]: reshape by a new boundary, reshape by a new shared edge, split, merge.
//!
//! **Gap rule.** Area a grid gives up (inside its old boundary, outside its new one) goes, piece
//! by piece, to the grid of the same village with the longest border along that piece (ties:
//! smallest code); a piece no other grid of the village borders is refused. Area a grid gains is
//! taken from whichever grids held it; area outside the village is refused.

use std::collections::{HashMap, HashSet};

use super::lattice::{Metric, Poly, Pt, Shape};
use super::topology::{Arrangement, OutlineInsertion, TopologyError};

/// The grids of one village, in code order; an edit refers to them by index.
#[derive(Debug, Clone)]
pub struct Village {
    pub shapes: Vec<Shape>,
    /// Reference latitude for metric rules (degrees).
    pub lat: f64,
}

/// One edit.
#[derive(Debug, Clone)]
pub enum Edit {
    /// `grid` gets `polygon` as its new boundary.
    Boundary { grid: u32, polygon: Shape },
    /// The edge `grid` shares with `neighbour` runs along `line` instead (same two ends).
    Edge { grid: u32, neighbour: u32, line: Vec<Pt> },
    /// `line` cuts `grid` in two; the smaller part becomes a new grid.
    Split { grid: u32, line: Vec<Pt> },
    /// `grids` (two or more, adjacent) become the first of them.
    Merge { grids: Vec<u32> },
}

/// Area that changes hands.
#[derive(Debug, Clone, PartialEq)]
pub struct Transfer {
    /// Grid index it came from.
    pub from: u32,
    /// Grid index it goes to ([`Outcome::new_grid`] for the split-off part).
    pub to: u32,
    pub shape: Shape,
}

/// What an edit does to the village.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// New shapes of the grids that change (index → shape), the new grid included.
    pub shapes: HashMap<u32, Shape>,
    /// Grids that disappear (merge).
    pub retired: Vec<u32>,
    /// The index of the split-off grid (`village.shapes.len()`).
    pub new_grid: Option<u32>,
    pub transfers: Vec<Transfer>,
    /// Nodes the edit put on the village boundary; every polygon carrying those segments
    /// (grids of neighbouring villages, the village and its parents) takes them too.
    pub outline: Vec<OutlineInsertion>,
}

/// Why an edit cannot be made; the geometry says where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EditError {
    #[error("the new boundary reaches outside the village")]
    OutsideVillage { part: Shape },
    #[error("the area given up borders no other grid of the village, so no grid can take it")]
    NoTaker { part: Shape },
    #[error("the new boundary leaves the grid with no area")]
    Empty,
    #[error("the two grids share no edge")]
    NotNeighbours,
    #[error("the two grids share {0} separate stretches of boundary; edit them with a new boundary instead")]
    SeveralEdges(usize),
    #[error("the two grids share a closed boundary (one encloses the other); edit it with a new boundary instead")]
    ClosedEdge,
    #[error("the new edge must start and end where the shared edge does")]
    EdgeEnds { expected: [Pt; 2] },
    #[error("the new edge leaves the two grids")]
    EdgeLeaves { part: Shape },
    #[error("the new edge winds around itself")]
    EdgeWinds,
    #[error("the split line does not cross the grid")]
    SplitMisses,
    #[error("the split line must enter and leave the grid once; it does not cut it through")]
    SplitNotThrough { pieces: Vec<[Pt; 2]> },
    #[error("the split line crosses the grid more than once")]
    SplitCrossesTwice { pieces: Vec<[Pt; 2]> },
    #[error("grid #{0} shares no edge with the others")]
    NotAdjacent(u32),
    #[error("the stored grids overlap: {0}")]
    Topology(#[from] TopologyError),
}

/// A ring as closed linework.
fn closed(ring: &[Pt]) -> Vec<Pt> {
    let mut l = ring.to_vec();
    if let Some(first) = ring.first() {
        l.push(*first);
    }
    l
}

/// Canonical form of a shape, for "did it change": rings start at their smallest vertex,
/// holes and polygons sorted.
#[must_use]
pub fn canonical(shape: &[Poly]) -> Shape {
    let canon_ring = |r: &Vec<Pt>| {
        let i = r.iter().enumerate().min_by_key(|(_, p)| **p).map_or(0, |(i, _)| i);
        let mut out = r[i..].to_vec();
        out.extend_from_slice(&r[..i]);
        out
    };
    let mut polys: Vec<Poly> = shape
        .iter()
        .map(|p| {
            let mut q = p.clone();
            q.orient_rings();
            let mut holes: Vec<Vec<Pt>> = q.rings[1..].iter().map(canon_ring).collect();
            holes.sort();
            let mut rings = vec![canon_ring(&q.rings[0])];
            rings.extend(holes);
            Poly { rings }
        })
        .collect();
    polys.sort_by(|a, b| a.rings.cmp(&b.rings));
    polys
}

/// Applies `edit` to `village`.
pub fn apply(village: &Village, edit: &Edit) -> Result<Outcome, EditError> {
    let metric = Metric::at_lat(village.lat);
    let n = village.shapes.len() as u32;
    let (arr, owner): (Arrangement, Vec<Option<u32>>) = match edit {
        Edit::Boundary { grid, polygon } => {
            let lines: Vec<Vec<Pt>> = polygon
                .iter()
                .flat_map(|p| {
                    let mut p = p.clone();
                    p.orient_rings();
                    p.rings.into_iter().map(|r| closed(&r)).collect::<Vec<_>>()
                })
                .collect();
            let arr = Arrangement::build(&village.shapes, &lines, None)?;
            let owner = boundary_owners(&arr, *grid, metric)?;
            (arr, owner)
        }
        Edit::Edge { grid, neighbour, line } => {
            let (chain, ends) = shared_chain(&village.shapes, *grid, *neighbour)?;
            let line = fit_ends(line, ends, metric)?;
            // The closed cycle: the old edge a → b (grid on its left), back along the new one.
            let back: Vec<Pt> = line.iter().rev().copied().collect();
            let arr = Arrangement::build(&village.shapes, &[back], Some((*grid, &chain)))?;
            let mut owner = Vec::with_capacity(arr.faces().len());
            let mut leaving = HashSet::new();
            for (f, face) in arr.faces().iter().enumerate() {
                owner.push(match (face.owner, face.winding) {
                    (o, 0) => o,
                    (Some(g), 1) if g == *grid => Some(*neighbour),
                    (Some(g), -1) if g == *neighbour => Some(*grid),
                    (Some(g), _) if g == *grid || g == *neighbour => return Err(EditError::EdgeWinds),
                    (o, _) => {
                        leaving.insert(f);
                        o
                    }
                });
            }
            if !leaving.is_empty() {
                let part = arr.regions(|f| leaving.contains(&f).then_some(())).remove(&()).unwrap_or_default();
                return Err(EditError::EdgeLeaves { part });
            }
            (arr, owner)
        }
        Edit::Split { grid, line } => {
            let arr = Arrangement::build(&village.shapes, std::slice::from_ref(line), None)?;
            let owner = split_owners(&arr, *grid, n, metric)?;
            (arr, owner)
        }
        Edit::Merge { grids } => {
            let arr = Arrangement::build(&village.shapes, &[], None)?;
            check_connected(&arr, grids)?;
            let set: HashSet<u32> = grids.iter().copied().collect();
            let survivor = grids[0];
            let owner =
                arr.faces().iter().map(|f| f.owner.map(|o| if set.contains(&o) { survivor } else { o })).collect();
            (arr, owner)
        }
    };
    let key = |f: usize| owner[f];
    let mut regions = arr.regions(key);
    let mut shapes = HashMap::new();
    let mut retired = Vec::new();
    for i in 0..n {
        match regions.remove(&i) {
            Some(s) if canonical(&s) != canonical(&village.shapes[i as usize]) => {
                shapes.insert(i, s);
            }
            Some(_) => {}
            None => retired.push(i),
        }
    }
    let new_grid = regions.remove(&n).map(|s| {
        shapes.insert(n, s);
        n
    });
    if let Edit::Boundary { grid, .. } = edit {
        if retired.contains(grid) {
            return Err(EditError::Empty);
        }
    }
    let mut transfers: Vec<Transfer> = arr
        .regions(|f| match (arr.faces()[f].owner, owner[f]) {
            (Some(a), Some(b)) if a != b => Some((a, b)),
            _ => None,
        })
        .into_iter()
        .map(|((from, to), shape)| Transfer { from, to, shape })
        .collect();
    transfers.sort_by_key(|t| (t.from, t.to));
    retired.sort_unstable();
    Ok(Outcome { shapes, retired, new_grid, transfers, outline: arr.outline_insertions(key) })
}

/// Boundary edit: inside the new polygon → `grid`; what `grid` gives up → by the gap rule.
fn boundary_owners(arr: &Arrangement, grid: u32, metric: Metric) -> Result<Vec<Option<u32>>, EditError> {
    let faces = arr.faces();
    let inside = |f: usize| faces[f].winding > 0;
    let outside: HashSet<usize> = (0..faces.len()).filter(|f| inside(*f) && faces[*f].owner.is_none()).collect();
    if !outside.is_empty() {
        let part = arr.regions(|f| outside.contains(&f).then_some(())).remove(&()).unwrap_or_default();
        return Err(EditError::OutsideVillage { part });
    }
    let given_up = |f: usize| !inside(f) && faces[f].owner == Some(grid);
    let mut owner: Vec<Option<u32>> =
        (0..faces.len()).map(|f| if inside(f) { Some(grid) } else { faces[f].owner }).collect();
    for piece in arr.components(given_up, false) {
        let set: HashSet<usize> = piece.iter().copied().collect();
        let mut border: HashMap<u32, f64> = HashMap::new();
        for (g, a, b) in arr.borders(&set) {
            if let Some(o) = owner[g].filter(|o| *o != grid && !given_up(g)) {
                *border.entry(o).or_default() += metric.len(a, b);
            }
        }
        let taker = border.into_iter().max_by(|x, y| x.1.total_cmp(&y.1).then(y.0.cmp(&x.0))).map(|(o, _)| o);
        let Some(taker) = taker else {
            let part = arr.regions(|f| set.contains(&f).then_some(())).remove(&()).unwrap_or_default();
            return Err(EditError::NoTaker { part });
        };
        for f in piece {
            owner[f] = Some(taker);
        }
    }
    Ok(owner)
}

/// Split: the two sides of the line inside `grid`; the smaller becomes grid `new`.
fn split_owners(arr: &Arrangement, grid: u32, new: u32, metric: Metric) -> Result<Vec<Option<u32>>, EditError> {
    let faces = arr.faces();
    let in_grid = |f: usize| faces[f].owner == Some(grid);
    if !arr.has_line_inside(in_grid) {
        return Err(EditError::SplitMisses);
    }
    let before = arr.components(in_grid, false);
    let after = arr.components(in_grid, true);
    let mut piece_of = vec![usize::MAX; faces.len()];
    for (i, c) in after.iter().enumerate() {
        for f in c {
            piece_of[*f] = i;
        }
    }
    let pieces = arr.line_pieces(in_grid);
    if after.len() == before.len() {
        return Err(EditError::SplitNotThrough { pieces });
    }
    if after.len() > before.len() + 1 || !separating(arr, in_grid, &piece_of) {
        return Err(EditError::SplitCrossesTwice { pieces });
    }
    // The part that was cut: the `before` component holding two `after` pieces.
    let cut = before
        .iter()
        .find(|c| c.iter().map(|f| piece_of[*f]).collect::<HashSet<_>>().len() == 2)
        .ok_or(EditError::SplitCrossesTwice { pieces: pieces.clone() })?;
    let two: Vec<usize> = {
        let mut s: Vec<usize> = cut.iter().map(|f| piece_of[*f]).collect::<HashSet<_>>().into_iter().collect();
        s.sort_unstable();
        s
    };
    let area = |piece: usize| -> f64 {
        arr.regions(|f| (piece_of[f] == piece).then_some(()))
            .remove(&())
            .map_or(0.0, |s| s.iter().map(|p| metric.area(p)).sum())
    };
    let (a0, a1) = (area(two[0]), area(two[1]));
    // Ties go to the later piece, so the result does not depend on float noise in one order.
    let smaller = if a1.total_cmp(&a0).is_le() { two[1] } else { two[0] };
    Ok((0..faces.len()).map(|f| if piece_of[f] == smaller { Some(new) } else { faces[f].owner }).collect())
}

/// Whether every line edge inside the grid has different parts on its two sides.
fn separating(arr: &Arrangement, in_grid: impl Fn(usize) -> bool + Copy, piece_of: &[usize]) -> bool {
    arr.line_sides(in_grid).all(|(f, g)| piece_of[f] != piece_of[g])
}

/// The directed segments `grid` shares with `neighbour`, which must form one open stretch;
/// returns them and its two ends (in `grid`'s direction).
/// The directed segments of a shared edge and its two ends.
type Chain = (HashSet<(Pt, Pt)>, [Pt; 2]);

fn shared_chain(shapes: &[Shape], grid: u32, neighbour: u32) -> Result<Chain, EditError> {
    let theirs: HashSet<(Pt, Pt)> = shapes[neighbour as usize]
        .iter()
        .flat_map(|p| {
            let mut p = p.clone();
            p.orient_rings();
            p.segments().collect::<Vec<_>>()
        })
        .map(|(a, b)| (b, a))
        .collect();
    let ours: HashSet<(Pt, Pt)> = shapes[grid as usize]
        .iter()
        .flat_map(|p| {
            let mut p = p.clone();
            p.orient_rings();
            p.segments().collect::<Vec<_>>()
        })
        .filter(|s| theirs.contains(s))
        .collect();
    if ours.is_empty() {
        return Err(EditError::NotNeighbours);
    }
    let starts: HashSet<Pt> = ours.iter().map(|s| s.0).collect();
    let ends: HashSet<Pt> = ours.iter().map(|s| s.1).collect();
    let open_starts: Vec<Pt> = starts.difference(&ends).copied().collect();
    let open_ends: Vec<Pt> = ends.difference(&starts).copied().collect();
    match (open_starts.as_slice(), open_ends.as_slice()) {
        ([], []) => Err(EditError::ClosedEdge),
        ([a], [b]) => {
            // One stretch only if walking from a reaches every segment.
            let next: HashMap<Pt, Pt> = ours.iter().map(|s| (s.0, s.1)).collect();
            let (mut p, mut steps) = (*a, 0);
            while let Some(q) = next.get(&p) {
                p = *q;
                steps += 1;
                if steps > ours.len() {
                    break;
                }
            }
            if steps == ours.len() && p == *b {
                Ok((ours, [*a, *b]))
            } else {
                Err(EditError::SeveralEdges(2))
            }
        }
        (s, _) => Err(EditError::SeveralEdges(s.len().max(2))),
    }
}

/// The new edge from `ends[0]` to `ends[1]`: its ends must lie within half a metre of the old
/// ones (either direction); they are set exactly onto them.
fn fit_ends(line: &[Pt], ends: [Pt; 2], metric: Metric) -> Result<Vec<Pt>, EditError> {
    const TOLERANCE_M: f64 = 0.5;
    let (Some(first), Some(last)) = (line.first(), line.last()) else {
        return Err(EditError::EdgeEnds { expected: ends });
    };
    let near = |p: Pt, q: Pt| metric.len(p, q) <= TOLERANCE_M;
    let mut out: Vec<Pt> = if near(*first, ends[0]) && near(*last, ends[1]) {
        line.to_vec()
    } else if near(*first, ends[1]) && near(*last, ends[0]) {
        line.iter().rev().copied().collect()
    } else {
        return Err(EditError::EdgeEnds { expected: ends });
    };
    let k = out.len() - 1;
    out[0] = ends[0];
    out[k] = ends[1];
    out.dedup();
    Ok(out)
}

/// Merge: the grids must be connected through shared edges.
fn check_connected(arr: &Arrangement, grids: &[u32]) -> Result<(), EditError> {
    let faces = arr.faces();
    let set: HashSet<u32> = grids.iter().copied().collect();
    let mut reached: HashSet<u32> = HashSet::from([grids[0]]);
    loop {
        let before = reached.len();
        for (f, g) in arr.edge_sides() {
            if let (Some(a), Some(b)) = (faces[f].owner, faces[g].owner) {
                if set.contains(&a) && set.contains(&b) && (reached.contains(&a) || reached.contains(&b)) {
                    reached.insert(a);
                    reached.insert(b);
                }
            }
        }
        if reached.len() == before {
            break;
        }
    }
    match grids.iter().find(|g| !reached.contains(g)) {
        Some(g) => Err(EditError::NotAdjacent(*g)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planning::lattice::ring_area2;

    fn sq(x0: i64, y0: i64, x1: i64, y1: i64) -> Poly {
        Poly { rings: vec![vec![Pt::new(x0, y0), Pt::new(x1, y0), Pt::new(x1, y1), Pt::new(x0, y1)]] }
    }

    /// Three squares of 0.01° (~1 km) in a row.
    fn row() -> Village {
        let s = 100_000;
        Village {
            shapes: vec![vec![sq(0, 0, s, s)], vec![sq(s, 0, 2 * s, s)], vec![sq(2 * s, 0, 3 * s, s)]],
            lat: 33.5,
        }
    }

    fn area2(shape: &Shape) -> i128 {
        shape.iter().flat_map(|p| p.rings.iter()).map(|r| ring_area2(r)).sum()
    }

    #[test]
    fn boundary_edit_takes_and_gives_by_the_gap_rule() {
        let v = row();
        let s = 100_000;
        // Grid 1 moves right by a quarter: gives up [s, 1.25 s] (to grid 0, its only other
        // neighbour there) and takes [2 s, 2.25 s] from grid 2.
        let polygon = vec![sq(s + s / 4, 0, 2 * s + s / 4, s)];
        let out = apply(&v, &Edit::Boundary { grid: 1, polygon }).expect("edit");
        assert_eq!(out.shapes.len(), 3);
        assert_eq!(area2(&out.shapes[&0]), 2 * (i128::from(s) + i128::from(s) / 4) * i128::from(s));
        assert_eq!(area2(&out.shapes[&2]), 2 * (i128::from(s) * 3 / 4) * i128::from(s));
        assert_eq!(out.transfers.len(), 2);
        assert_eq!((out.transfers[0].from, out.transfers[0].to), (1, 0));
        assert_eq!((out.transfers[1].from, out.transfers[1].to), (2, 1));
        // The outline got the two new corners on the bottom and top of each moved edge.
        let pts: HashSet<Pt> = out.outline.iter().flat_map(|i| i.points.clone()).collect();
        assert_eq!(pts.len(), 4);
    }

    #[test]
    fn boundary_outside_the_village_is_refused_with_the_part() {
        let v = row();
        let s = 100_000;
        let polygon = vec![sq(s, 0, 2 * s, s + 10_000)];
        match apply(&v, &Edit::Boundary { grid: 1, polygon }) {
            Err(EditError::OutsideVillage { part }) => assert_eq!(area2(&part), 2 * i128::from(s) * 10_000),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn area_no_one_borders_is_refused() {
        // Grid 0 shrinks away from its left end: the left strip borders only grid 0 itself.
        let v = row();
        let s = 100_000;
        let polygon = vec![sq(s / 2, 0, s, s)];
        assert!(matches!(apply(&v, &Edit::Boundary { grid: 0, polygon }), Err(EditError::NoTaker { .. })));
    }

    #[test]
    fn edge_edit_moves_the_shared_edge() {
        let v = row();
        let s = 100_000;
        let line = vec![Pt::new(s, 0), Pt::new(s + s / 2, s / 2), Pt::new(s, s)];
        let out = apply(&v, &Edit::Edge { grid: 0, neighbour: 1, line }).expect("edit");
        assert_eq!(out.shapes.len(), 2);
        let tri = i128::from(s / 2) * i128::from(s); // twice the triangle's area
        assert_eq!(area2(&out.shapes[&0]), 2 * i128::from(s) * i128::from(s) + tri);
        assert_eq!(area2(&out.shapes[&1]), 2 * i128::from(s) * i128::from(s) - tri);
        assert!(out.outline.is_empty());
        // Ends elsewhere are refused.
        let line = vec![Pt::new(s, 10), Pt::new(s, s - 50_000)];
        assert!(matches!(apply(&v, &Edit::Edge { grid: 0, neighbour: 1, line }), Err(EditError::EdgeEnds { .. })));
        assert!(matches!(
            apply(&v, &Edit::Edge { grid: 0, neighbour: 2, line: vec![] }),
            Err(EditError::NotNeighbours)
        ));
    }

    #[test]
    fn split_and_its_failures() {
        let v = row();
        let s = 100_000;
        let line = vec![Pt::new(s + s / 3, -10), Pt::new(s + s / 3, s + 10)];
        let out = apply(&v, &Edit::Split { grid: 1, line }).expect("split");
        assert_eq!(out.new_grid, Some(3));
        let (a1, a3) = (area2(&out.shapes[&1]), area2(&out.shapes[&3]));
        assert!(a1 > a3, "the larger part keeps the code");
        assert_eq!(a1 + a3, 2 * i128::from(s) * i128::from(s));
        let miss = vec![Pt::new(-10, -10), Pt::new(-10, s)];
        assert!(matches!(apply(&v, &Edit::Split { grid: 1, line: miss }), Err(EditError::SplitMisses)));
        let into = vec![Pt::new(s + s / 3, -10), Pt::new(s + s / 3, s / 2)];
        assert!(matches!(apply(&v, &Edit::Split { grid: 1, line: into }), Err(EditError::SplitNotThrough { .. })));
        let zigzag = vec![
            Pt::new(s + s / 4, -10),
            Pt::new(s + s / 4, s + 10),
            Pt::new(s + s / 2, s + 10),
            Pt::new(s + s / 2, -10),
        ];
        assert!(matches!(apply(&v, &Edit::Split { grid: 1, line: zigzag }), Err(EditError::SplitCrossesTwice { .. })));
    }

    #[test]
    fn merge_needs_adjacent_grids() {
        let v = row();
        let out = apply(&v, &Edit::Merge { grids: vec![0, 1] }).expect("merge");
        assert_eq!(out.retired, vec![1]);
        assert_eq!(out.shapes[&0][0].rings[0].len(), 6, "old vertices stay: the village outline has them");
        assert_eq!(apply(&v, &Edit::Merge { grids: vec![0, 2] }).map(|_| ()), Err(EditError::NotAdjacent(2)));
    }
}
