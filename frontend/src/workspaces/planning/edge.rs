//! Editing the edge two grids share as a line (`reshape` with `mode: "edge"`): the shared
//! stretch read from the two boundaries, its vertices moved, added and removed, each gesture
//! undone in turn, and snapping to the vertices and edges of the grids around.
//!
//! The two ends of the edge stay where they are (the engine keeps them: they are where a third
//! grid or the village outline meets the two), so only the vertices between them move.
//! Coordinates are compared on the 1e-7° lattice the partition is stored on (the workload's
//! GeoJSON carries 7 decimals), so "the same vertex" is exact.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

/// A snap reaches this far (CSS pixels) from the pointer: a vertex first, else an edge.
pub const SNAP_PX: f64 = 8.0;

/// A vertex on the 1e-7° lattice.
type Key = (i64, i64);

fn key(p: [f64; 2]) -> Key {
    ((p[0] * 1e7).round() as i64, (p[1] * 1e7).round() as i64)
}

/// The rings of a GeoJSON Polygon or MultiPolygon (each closed: first vertex repeated last).
#[must_use]
pub fn rings(geometry: &Value) -> Vec<Vec<[f64; 2]>> {
    let ring = |r: &Value| -> Option<Vec<[f64; 2]>> {
        r.as_array()?.iter().map(|p| Some([p.get(0)?.as_f64()?, p.get(1)?.as_f64()?])).collect()
    };
    let polygon = |p: &Value| -> Vec<Vec<[f64; 2]>> {
        p.as_array().map(|rs| rs.iter().filter_map(ring).collect()).unwrap_or_default()
    };
    match geometry["type"].as_str() {
        Some("Polygon") => polygon(&geometry["coordinates"]),
        Some("MultiPolygon") => {
            geometry["coordinates"].as_array().map(|ps| ps.iter().flat_map(polygon).collect()).unwrap_or_default()
        }
        _ => Vec::new(),
    }
}

/// Why two grids' shared boundary cannot be edited as one edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeProblem {
    /// They share no segment.
    NoEdge,
    /// They share several separate stretches, or a closed ring (one encloses the other).
    NotOneStretch,
}

/// The boundary `a` and `b` share, as one line from end to end (in `a`'s ring order).
pub fn shared_edge(a: &Value, b: &Value) -> Result<Vec<[f64; 2]>, EdgeProblem> {
    let segments = |g: &Value| -> Vec<([f64; 2], [f64; 2])> {
        rings(g).iter().flat_map(|r| r.windows(2).map(|w| (w[0], w[1])).collect::<Vec<_>>()).collect()
    };
    let undirected = |p: [f64; 2], q: [f64; 2]| {
        let (k, l) = (key(p), key(q));
        if k <= l {
            (k, l)
        } else {
            (l, k)
        }
    };
    let theirs: HashSet<(Key, Key)> = segments(b).into_iter().map(|(p, q)| undirected(p, q)).collect();
    let mut at: HashMap<Key, [f64; 2]> = HashMap::new();
    let mut next: HashMap<Key, Vec<Key>> = HashMap::new();
    let mut count = 0;
    let mut seen = HashSet::new();
    for (p, q) in segments(a) {
        let s = undirected(p, q);
        if key(p) == key(q) || !theirs.contains(&s) || !seen.insert(s) {
            continue;
        }
        count += 1;
        at.insert(key(p), p);
        at.insert(key(q), q);
        next.entry(key(p)).or_default().push(key(q));
        next.entry(key(q)).or_default().push(key(p));
    }
    if count == 0 {
        return Err(EdgeProblem::NoEdge);
    }
    let ends: Vec<Key> = next.iter().filter(|(_, n)| n.len() == 1).map(|(k, _)| *k).collect();
    if ends.len() != 2 || next.values().any(|n| n.len() > 2) {
        return Err(EdgeProblem::NotOneStretch);
    }
    // Start at the end `a`'s ring reaches first, so the line runs in `a`'s order.
    let start = segments(a).iter().find_map(|(p, _)| ends.iter().find(|e| **e == key(*p))).copied();
    let Some(start) = start else { return Err(EdgeProblem::NotOneStretch) };
    let mut line = vec![at[&start]];
    let (mut prev, mut cur) = (None, start);
    while let Some(n) = next[&cur].iter().find(|n| Some(**n) != prev).copied() {
        line.push(at[&n]);
        (prev, cur) = (Some(cur), n);
        if line.len() > count + 1 {
            return Err(EdgeProblem::NotOneStretch);
        }
    }
    if line.len() == count + 1 {
        Ok(line)
    } else {
        Err(EdgeProblem::NotOneStretch)
    }
}

/// The shared edge being edited.
#[derive(Debug, Clone, PartialEq)]
pub struct EdgeEdit {
    /// The grid across the edge.
    pub neighbour: String,
    /// The edge as the map shows it: the ends fixed, the vertices between them moved.
    pub original: Vec<[f64; 2]>,
    pub line: Vec<[f64; 2]>,
    /// The line before each gesture (a drag, an added or removed vertex), latest last: Ctrl+Z.
    pub undo: Vec<Vec<[f64; 2]>>,
    /// The vertex being dragged.
    pub dragging: Option<usize>,
}

impl EdgeEdit {
    #[must_use]
    pub fn new(neighbour: String, line: Vec<[f64; 2]>) -> EdgeEdit {
        EdgeEdit { neighbour, original: line.clone(), line, undo: Vec::new(), dragging: None }
    }

    /// Whether `i` is a vertex between the ends (one that moves).
    fn inner(&self, i: usize) -> bool {
        i > 0 && i + 1 < self.line.len()
    }

    /// A press on vertex `i` starts dragging it.
    pub fn grab(&mut self, i: usize) -> bool {
        if !self.inner(i) {
            return false;
        }
        self.undo.push(self.line.clone());
        self.dragging = Some(i);
        true
    }

    /// A press on the midpoint after vertex `i` adds a vertex there and starts dragging it.
    pub fn grab_midpoint(&mut self, i: usize) -> bool {
        if i + 1 >= self.line.len() {
            return false;
        }
        self.undo.push(self.line.clone());
        let (a, b) = (self.line[i], self.line[i + 1]);
        self.line.insert(i + 1, [f64::midpoint(a[0], b[0]), f64::midpoint(a[1], b[1])]);
        self.dragging = Some(i + 1);
        true
    }

    /// The dragged vertex goes to `p`.
    pub fn drag_to(&mut self, p: [f64; 2]) -> bool {
        match self.dragging {
            Some(i) if p.iter().all(|c| c.is_finite()) && key(self.line[i]) != key(p) => {
                self.line[i] = p;
                true
            }
            _ => false,
        }
    }

    /// The release. A press that moved nothing leaves no undo step.
    pub fn release(&mut self) {
        if self.dragging.take().is_some() && self.undo.last() == Some(&self.line) {
            self.undo.pop();
        }
    }

    /// Takes vertex `i` away (not an end).
    pub fn remove(&mut self, i: usize) -> bool {
        if !self.inner(i) {
            return false;
        }
        self.undo.push(self.line.clone());
        self.line.remove(i);
        self.dragging = None;
        true
    }

    /// Ctrl+Z: the line before the last gesture.
    pub fn undo(&mut self) -> bool {
        self.dragging = None;
        match self.undo.pop() {
            Some(line) => {
                self.line = line;
                true
            }
            None => false,
        }
    }

    /// The line differs from the edge on the map.
    #[must_use]
    pub fn changed(&self) -> bool {
        self.line.iter().map(|p| key(*p)).ne(self.original.iter().map(|p| key(*p)))
    }
}

fn dist(a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

/// Where a vertex dropped at screen point `pointer` lands: on the nearest vertex of `lines`
/// within `tolerance` pixels, else on the nearest point of their segments within it, else
/// nowhere (`None`: where the pointer is). `project` gives a lon/lat's screen point. A point on
/// a segment is interpolated in lon/lat, so it lies on the segment as stored.
#[must_use]
pub fn snap(
    pointer: [f64; 2],
    lines: &[Vec<[f64; 2]>],
    tolerance: f64,
    project: impl Fn([f64; 2]) -> Option<[f64; 2]>,
) -> Option<[f64; 2]> {
    let screen: Vec<Vec<([f64; 2], [f64; 2])>> =
        lines.iter().map(|l| l.iter().filter_map(|p| Some((*p, project(*p)?))).collect()).collect();
    let vertex = screen
        .iter()
        .flatten()
        .map(|(ll, px)| (dist(*px, pointer), *ll))
        .filter(|(d, _)| *d <= tolerance)
        .min_by(|a, b| a.0.total_cmp(&b.0));
    if let Some((_, ll)) = vertex {
        return Some(ll);
    }
    screen
        .iter()
        .flat_map(|l| l.windows(2))
        .filter_map(|w| {
            let ((a, pa), (b, pb)) = (w[0], w[1]);
            let (dx, dy) = (pb[0] - pa[0], pb[1] - pa[1]);
            let len2 = dx * dx + dy * dy;
            if len2 == 0.0 {
                return None;
            }
            let t = (((pointer[0] - pa[0]) * dx + (pointer[1] - pa[1]) * dy) / len2).clamp(0.0, 1.0);
            let d = dist([pa[0] + t * dx, pa[1] + t * dy], pointer);
            (d <= tolerance).then(|| (d, [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, ll)| ll)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn square(x0: f64, y0: f64, x1: f64, y1: f64, extra: &[[f64; 2]]) -> Value {
        let mut ring = vec![[x0, y0], [x1, y0]];
        ring.extend_from_slice(extra);
        ring.extend([[x1, y1], [x0, y1], [x0, y0]]);
        json!({"type": "MultiPolygon", "coordinates": [[ring]]})
    }

    #[test]
    fn the_shared_edge_is_one_line_between_its_ends() {
        // a's right side, with a vertex halfway, is b's left side (walked the other way).
        let a = square(0.0, 0.0, 1.0, 1.0, &[[1.0, 0.5]]);
        let b = json!({"type": "Polygon", "coordinates": [[[1.0, 0.0], [2.0, 0.0], [2.0, 1.0], [1.0, 1.0], [1.0, 0.5], [1.0, 0.0]]]});
        assert_eq!(shared_edge(&a, &b), Ok(vec![[1.0, 0.0], [1.0, 0.5], [1.0, 1.0]]));
        let far = square(5.0, 5.0, 6.0, 6.0, &[]);
        assert_eq!(shared_edge(&a, &far), Err(EdgeProblem::NoEdge));
        // The same grid on both sides: its whole ring is "shared", a closed stretch.
        assert_eq!(shared_edge(&a, &a), Err(EdgeProblem::NotOneStretch));
    }

    #[test]
    fn two_stretches_are_not_one_edge() {
        // b wraps round a's right side and touches its top and bottom separately.
        let a = square(0.0, 0.0, 1.0, 1.0, &[[1.0, 0.4], [1.0, 0.6]]);
        let b = json!({"type": "Polygon", "coordinates": [[[1.0, 0.0], [2.0, 0.0], [2.0, 1.0], [1.0, 1.0],
            [1.0, 0.6], [1.5, 0.6], [1.5, 0.4], [1.0, 0.4], [1.0, 0.0]]]});
        assert_eq!(shared_edge(&a, &b), Err(EdgeProblem::NotOneStretch));
    }

    #[test]
    fn vertices_move_are_added_removed_and_undone_but_the_ends_stay() {
        let mut e = EdgeEdit::new("b".into(), vec![[1.0, 0.0], [1.0, 0.5], [1.0, 1.0]]);
        assert!(!e.grab(0) && !e.grab(2) && !e.remove(2), "the ends stay");
        assert!(e.grab(1));
        assert!(e.drag_to([1.2, 0.5]));
        e.release();
        assert!(e.changed());
        // A press that moves nothing is no step.
        assert!(e.grab(1));
        e.release();
        assert_eq!(e.undo.len(), 1);
        assert!(e.grab_midpoint(1));
        assert_eq!(key(e.line[2]), key([1.1, 0.75]));
        e.drag_to([1.3, 0.8]);
        e.release();
        assert_eq!(e.line.len(), 4);
        assert!(e.remove(1));
        assert_eq!(e.line, vec![[1.0, 0.0], [1.3, 0.8], [1.0, 1.0]]);
        assert!(e.undo());
        assert_eq!(e.line.len(), 4);
        assert!(e.undo() && e.undo());
        assert_eq!(e.line, e.original);
        assert!(!e.changed() && !e.undo());
    }

    #[test]
    fn a_snap_takes_a_vertex_first_then_an_edge() {
        // Screen = lon/lat × 100 (one degree, a hundred pixels).
        let project = |p: [f64; 2]| Some([p[0] * 100.0, p[1] * 100.0]);
        let lines = vec![vec![[0.0, 0.0], [1.0, 0.0]], vec![[0.5, 0.05]]];
        // 3 px from the lone vertex, 2 px from the edge: the vertex wins.
        assert_eq!(snap([50.0, 2.0], &lines, SNAP_PX, project), Some([0.5, 0.05]));
        // Only the edge within reach: the foot of the perpendicular, on the segment.
        let on = snap([20.0, -6.0], &lines, SNAP_PX, project).expect("on the edge");
        assert!((on[0] - 0.2).abs() < 1e-12 && on[1] == 0.0, "{on:?}");
        // The vertex at the end is closer than the segment's other points.
        assert_eq!(snap([101.0, 1.0], &lines, SNAP_PX, project), Some([1.0, 0.0]));
        assert_eq!(snap([50.0, 30.0], &lines, SNAP_PX, project), None);
    }
}
