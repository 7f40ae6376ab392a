//! A planner's GeoJSON, parsed onto the lattice with messages that say what is wrong and where.

use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use serde_json::Value;

use super::lattice::{on_segment, orient, Poly, Pt, Shape};

/// The most vertices one plan geometry may have.
pub const MAX_VERTICES: usize = 20_000;

/// A parsed geometry.
#[derive(Debug, Clone, PartialEq)]
pub enum InputGeometry {
    /// A (Multi)Polygon: rings oriented, closed implicitly.
    Area(Shape),
    /// A LineString.
    Line(Vec<Pt>),
}

/// What kind of geometry an operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Area,
    Line,
}

/// Why the geometry was refused; `at` is where, when there is a place.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct GeometryError {
    pub message: String,
    pub at: Option<[f64; 2]>,
    /// 413 rather than 422.
    pub too_large: bool,
}

fn err(message: impl Into<String>) -> GeometryError {
    GeometryError { message: message.into(), at: None, too_large: false }
}

fn position(v: &Value, path: &str) -> Result<Pt, GeometryError> {
    let arr = v.as_array().filter(|a| a.len() >= 2).ok_or_else(|| err(format!("{path} must be [lon, lat]")))?;
    let num = |i: usize, name: &str| -> Result<f64, GeometryError> {
        arr[i]
            .as_f64()
            .filter(|x| x.is_finite())
            .ok_or_else(|| err(format!("{path}: {name} {} is not a number", arr[i])))
    };
    let (lon, lat) = (num(0, "lon")?, num(1, "lat")?);
    if !(-180.0..=180.0).contains(&lon) {
        return Err(err(format!("{path}: lon {lon} is outside [-180, 180]")));
    }
    if !(-90.0..=90.0).contains(&lat) {
        return Err(err(format!("{path}: lat {lat} is outside [-90, 90]")));
    }
    Ok(Pt::from_deg(lon, lat))
}

fn positions(v: &Value, path: &str, count: &mut usize) -> Result<(Vec<Pt>, Vec<Value>), GeometryError> {
    let arr = v.as_array().ok_or_else(|| err(format!("{path} must be an array of positions")))?;
    *count += arr.len();
    if *count > MAX_VERTICES {
        return Err(GeometryError {
            message: format!("geometry has more than {MAX_VERTICES} vertices"),
            at: None,
            too_large: true,
        });
    }
    let pts = arr.iter().enumerate().map(|(i, p)| position(p, &format!("{path}[{i}]"))).collect::<Result<_, _>>()?;
    Ok((pts, arr.clone()))
}

fn dedup(mut pts: Vec<Pt>) -> Vec<Pt> {
    pts.dedup();
    pts
}

fn ring(v: &Value, path: &str, count: &mut usize) -> Result<Vec<Pt>, GeometryError> {
    let (pts, raw) = positions(v, path, count)?;
    if pts.len() < 4 {
        return Err(err(format!("{path}: a ring needs at least 4 positions, got {}", pts.len())));
    }
    if raw.first() != raw.last() {
        return Err(GeometryError {
            message: format!("{path} is not closed: its last position must repeat the first"),
            at: raw.last().and_then(|p| Some([p.get(0)?.as_f64()?, p.get(1)?.as_f64()?])),
            too_large: false,
        });
    }
    let mut r = dedup(pts);
    r.pop();
    if r.len() < 3 {
        return Err(err(format!("{path}: the ring collapses to fewer than 3 distinct points on the 1e-7° grid")));
    }
    Ok(r)
}

type SegEntry = GeomWithData<Rectangle<[i64; 2]>, usize>;

/// The first place where two segments meet that should not: non-adjacent segments touching, or
/// adjacent ones folding back. `segs[i]` is adjacent to `segs[j]` when `adjacent(i, j)`.
fn first_crossing(segs: &[(Pt, Pt)], adjacent: impl Fn(usize, usize) -> bool) -> Option<Pt> {
    let tree: RTree<SegEntry> = RTree::bulk_load(
        segs.iter()
            .enumerate()
            .map(|(i, (a, b))| {
                SegEntry::new(Rectangle::from_corners([a.x.min(b.x), a.y.min(b.y)], [a.x.max(b.x), a.y.max(b.y)]), i)
            })
            .collect(),
    );
    let mut found: Option<(usize, Pt)> = None;
    for (i, &(a, b)) in segs.iter().enumerate() {
        let env = AABB::from_corners([a.x.min(b.x), a.y.min(b.y)], [a.x.max(b.x), a.y.max(b.y)]);
        for e in tree.locate_in_envelope_intersecting(&env) {
            let j = e.data;
            if j <= i {
                continue;
            }
            let (c, d) = segs[j];
            let at = if adjacent(i, j) {
                // Sharing an end: bad only when collinear and overlapping (a spike).
                (orient(a, b, c) == 0 && orient(a, b, d) == 0)
                    .then(|| [c, d].into_iter().find(|p| *p != a && *p != b && on_segment(a, b, *p)))
                    .flatten()
                    .or_else(|| {
                        (orient(c, d, a) == 0 && orient(c, d, b) == 0)
                            .then(|| [a, b].into_iter().find(|p| *p != c && *p != d && on_segment(c, d, *p)))
                            .flatten()
                    })
            } else {
                meeting(a, b, c, d)
            };
            if let Some(p) = at {
                if found.is_none_or(|(k, _)| i < k) {
                    found = Some((i, p));
                }
            }
        }
    }
    found.map(|(_, p)| p)
}

/// Where segments a–b and c–d meet (a point of the intersection), if they do.
fn meeting(a: Pt, b: Pt, c: Pt, d: Pt) -> Option<Pt> {
    for (p, s, t) in [(c, a, b), (d, a, b), (a, c, d), (b, c, d)] {
        if on_segment(s, t, p) {
            return Some(p);
        }
    }
    let (o1, o2, o3, o4) = (orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b));
    if o1.signum() * o2.signum() < 0 && o3.signum() * o4.signum() < 0 {
        // Report the nearer end of a–b to the crossing; the exact point is not needed.
        let t = o3 as f64 / (o3 - o4) as f64;
        return Some(Pt::new(
            a.x + ((b.x - a.x) as f64 * t).round() as i64,
            a.y + ((b.y - a.y) as f64 * t).round() as i64,
        ));
    }
    None
}

fn check_rings(rings: &[&Vec<Pt>], what: &str) -> Result<(), GeometryError> {
    let mut segs = Vec::new();
    let mut ring_of = Vec::new();
    let mut index = Vec::new();
    for (k, r) in rings.iter().enumerate() {
        for i in 0..r.len() {
            segs.push((r[i], r[(i + 1) % r.len()]));
            ring_of.push(k);
            index.push(i);
        }
    }
    let adjacent = |i: usize, j: usize| {
        ring_of[i] == ring_of[j] && {
            let n = rings[ring_of[i]].len();
            let (a, b) = (index[i], index[j]);
            (a + 1) % n == b || (b + 1) % n == a
        }
    };
    match first_crossing(&segs, adjacent) {
        Some(p) => Err(GeometryError {
            message: format!("{what} crosses or touches itself at ({:.7}, {:.7})", p.lon(), p.lat()),
            at: Some([p.lon(), p.lat()]),
            too_large: false,
        }),
        None => Ok(()),
    }
}

fn polygon(v: &Value, path: &str, count: &mut usize) -> Result<Poly, GeometryError> {
    let arr = v.as_array().filter(|a| !a.is_empty()).ok_or_else(|| err(format!("{path} must be an array of rings")))?;
    let rings =
        arr.iter().enumerate().map(|(i, r)| ring(r, &format!("{path}[{i}]"), count)).collect::<Result<Vec<_>, _>>()?;
    let mut p = Poly { rings };
    p.orient_rings();
    Ok(p)
}

/// Parses a GeoJSON geometry object.
pub fn parse(v: &Value, expect: Expect) -> Result<InputGeometry, GeometryError> {
    let kind = v.get("type").and_then(Value::as_str).ok_or_else(|| err("geometry.type is missing"))?;
    let coords = v.get("coordinates").ok_or_else(|| err("geometry.coordinates is missing"))?;
    let mut count = 0;
    match (expect, kind) {
        (Expect::Area, "Polygon") => {
            let p = polygon(coords, "geometry.coordinates", &mut count)?;
            check_rings(&p.rings.iter().collect::<Vec<_>>(), "the polygon")?;
            Ok(InputGeometry::Area(vec![p]))
        }
        (Expect::Area, "MultiPolygon") => {
            let arr = coords
                .as_array()
                .filter(|a| !a.is_empty())
                .ok_or_else(|| err("geometry.coordinates must list polygons"))?;
            let polys = arr
                .iter()
                .enumerate()
                .map(|(i, p)| polygon(p, &format!("geometry.coordinates[{i}]"), &mut count))
                .collect::<Result<Vec<_>, _>>()?;
            check_rings(&polys.iter().flat_map(|p| p.rings.iter()).collect::<Vec<_>>(), "the multipolygon")?;
            Ok(InputGeometry::Area(polys))
        }
        (Expect::Line, "LineString") => {
            let (pts, _) = positions(coords, "geometry.coordinates", &mut count)?;
            let line = dedup(pts);
            if line.len() < 2 {
                return Err(err("geometry.coordinates: a line needs two distinct positions"));
            }
            let segs: Vec<(Pt, Pt)> = line.windows(2).map(|w| (w[0], w[1])).collect();
            if let Some(p) = first_crossing(&segs, |i, j| i + 1 == j || j + 1 == i) {
                return Err(GeometryError {
                    message: format!("the line crosses or touches itself at ({:.7}, {:.7})", p.lon(), p.lat()),
                    at: Some([p.lon(), p.lat()]),
                    too_large: false,
                });
            }
            Ok(InputGeometry::Line(line))
        }
        (Expect::Area, other) => Err(err(format!("geometry.type {other:?}: a Polygon or MultiPolygon is needed"))),
        (Expect::Line, other) => Err(err(format!("geometry.type {other:?}: a LineString is needed"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn polygons_parse_onto_the_lattice() {
        let g = json!({"type": "Polygon", "coordinates": [[[119.0, 33.0], [119.001, 33.0], [119.001, 33.001], [119.0, 33.0]]]});
        let InputGeometry::Area(shape) = parse(&g, Expect::Area).expect("valid") else { panic!() };
        assert_eq!(shape[0].rings[0].len(), 3);
        assert_eq!(shape[0].rings[0][0], Pt::new(1_190_000_000, 330_000_000));
    }

    #[test]
    fn bad_polygons_say_why() {
        let msg = |g: Value| parse(&g, Expect::Area).expect_err("bad").message;
        assert!(msg(
            json!({"type": "Polygon", "coordinates": [[[119.0, 33.0], [119.1, 33.0], [119.1, 33.1], [119.0, 33.1]]]})
        )
        .contains("not closed"));
        let bowtie = json!({"type": "Polygon", "coordinates": [[[119.0, 33.0], [119.1, 33.1], [119.1, 33.0], [119.0, 33.1], [119.0, 33.0]]]});
        let e = parse(&bowtie, Expect::Area).expect_err("bowtie");
        assert!(e.message.contains("crosses or touches itself"), "{}", e.message);
        let at = e.at.expect("where");
        assert!((at[0] - 119.05).abs() < 0.06 && (at[1] - 33.05).abs() < 0.06, "{at:?}");
        assert!(msg(
            json!({"type": "Polygon", "coordinates": [[[200.0, 33.0], [119.1, 33.0], [119.1, 33.1], [200.0, 33.0]]]})
        )
        .contains("lon 200 is outside"));
        assert!(msg(
            json!({"type": "Polygon", "coordinates": [[["NaN", 33.0], [119.1, 33.0], [119.1, 33.1], ["NaN", 33.0]]]})
        )
        .contains("is not a number"));
        assert!(msg(json!({"type": "LineString", "coordinates": [[119.0, 33.0], [119.1, 33.0]]})).contains("Polygon"));
    }

    #[test]
    fn lines() {
        let ok = json!({"type": "LineString", "coordinates": [[119.0, 33.0], [119.1, 33.0], [119.1, 33.1]]});
        assert!(matches!(parse(&ok, Expect::Line), Ok(InputGeometry::Line(l)) if l.len() == 3));
        let loop_ =
            json!({"type": "LineString", "coordinates": [[119.0, 33.0], [119.1, 33.1], [119.1, 33.0], [119.0, 33.1]]});
        assert!(parse(&loop_, Expect::Line).expect_err("crossing").message.contains("crosses"));
        let dot = json!({"type": "LineString", "coordinates": [[119.0, 33.0], [119.0, 33.0]]});
        assert!(parse(&dot, Expect::Line).is_err());
    }
}
