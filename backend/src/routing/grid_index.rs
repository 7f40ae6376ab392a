//! Point → grid in memory: an R-tree of grid bounding boxes over exact point-in-polygon tests.
//!
//! **Boundary rule.** A point belongs to every grid that *covers* it (interior or boundary,
//! PostGIS `ST_Covers`). A point on a shared edge or vertex is covered by several grids; it is
//! given to the one with the **smallest code**. The equivalent PostGIS query is
//! [`POSTGIS_LOCATE`]. Both sides decide "on the boundary" with exact orientation predicates
//! (GEOS's `Orientation::index`, geo's robust `orient2d`) on the same stored coordinates, so
//! they agree bit for bit.

use geo::coordinate_position::CoordPos;
use geo::{Closest, ClosestPoint, Coord, CoordinatePosition, Distance, Haversine, MultiPolygon, Point, Polygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

/// The point → grid rule as SQL: the code of the grid in `$relation` (a table, view or CTE with
/// `code` and `geom`) that owns the point expression `$point` (no row when none does; wrap it in
/// parentheses for a scalar subquery). Every query that decides a grid for a point (routing
/// checks, building, camera and incident reassignment) is built from this.
#[macro_export]
macro_rules! locate_sql {
    ($relation:literal, $point:literal) => {
        concat!("select code from ", $relation, " where st_covers(geom, ", $point, ") order by code limit 1")
    };
}

/// The PostGIS query that answers exactly like [`GridIndex::locate`] (`$1` lon, `$2` lat).
pub const POSTGIS_LOCATE: &str = locate_sql!("current_grids", "st_setsrid(st_makepoint($1, $2), 4326)");

/// One grid as the index holds it.
#[derive(Debug, Clone)]
pub struct IndexedGrid {
    pub code: String,
    pub name: String,
    pub version: i32,
    pub village_code: String,
    pub shape: MultiPolygon<f64>,
}

type Entry = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// The current grids, sorted by code, with an R-tree over their bounding boxes.
#[derive(Debug)]
pub struct GridIndex {
    grids: Vec<IndexedGrid>,
    tree: RTree<Entry>,
}

fn covers(polygon: &Polygon<f64>, c: &Coord<f64>) -> bool {
    polygon.coordinate_position(c) != CoordPos::Outside
}

impl GridIndex {
    /// Builds the index; grids may come in any order.
    #[must_use]
    pub fn new(mut grids: Vec<IndexedGrid>) -> Self {
        grids.sort_by(|a, b| a.code.cmp(&b.code));
        let mut entries = Vec::new();
        for (i, g) in grids.iter().enumerate() {
            // One box per polygon part: tighter than one box for a scattered multipolygon.
            for p in &g.shape {
                if let Some(r) = geo::BoundingRect::bounding_rect(p) {
                    entries.push(Entry::new(
                        Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                        i as u32,
                    ));
                }
            }
        }
        GridIndex { grids, tree: RTree::bulk_load(entries) }
    }

    /// The number of grids.
    #[must_use]
    pub fn len(&self) -> usize {
        self.grids.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.grids.is_empty()
    }

    /// A grid by its position in code order.
    #[must_use]
    pub fn get(&self, i: u32) -> &IndexedGrid {
        &self.grids[i as usize]
    }

    /// The grid that owns the point (see the module's boundary rule), by position.
    #[must_use]
    pub fn locate(&self, lon: f64, lat: f64) -> Option<u32> {
        let c = Coord { x: lon, y: lat };
        let mut best: Option<u32> = None;
        for e in self.tree.locate_all_at_point(&[lon, lat]) {
            let i = e.data;
            if best.is_some_and(|b| b <= i) {
                continue;
            }
            let grid = &self.grids[i as usize];
            if grid.shape.iter().any(|p| covers(p, &c)) {
                best = Some(i);
            }
        }
        best
    }

    /// The grid nearest to a point outside every grid, and the distance in metres to it.
    #[must_use]
    pub fn nearest(&self, lon: f64, lat: f64) -> Option<(u32, f64)> {
        let p = Point::new(lon, lat);
        let mut best: Option<(u32, f64)> = None;
        // Boxes come nearest-first in degrees; a few dozen candidates cover the distortion
        // between degrees and metres at this latitude.
        for e in self.tree.nearest_neighbor_iter(&[lon, lat]).take(32) {
            let grid = &self.grids[e.data as usize];
            let d = match grid.shape.closest_point(&p) {
                Closest::Intersection(_) => 0.0,
                Closest::SinglePoint(q) => Haversine.distance(p, q),
                Closest::Indeterminate => continue,
            };
            if best.is_none_or(|(_, bd)| d < bd) {
                best = Some((e.data, d));
            }
        }
        best
    }

    /// The bounding box of all grids: `[min_lon, min_lat, max_lon, max_lat]`.
    #[must_use]
    pub fn extent(&self) -> Option<[f64; 4]> {
        let env: AABB<[f64; 2]> = self.tree.root().envelope();
        (!self.grids.is_empty()).then(|| [env.lower()[0], env.lower()[1], env.upper()[0], env.upper()[1]])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn grid(code: &str, shape: Polygon<f64>) -> IndexedGrid {
        IndexedGrid {
            code: code.into(),
            name: code.into(),
            version: 1,
            village_code: code[..12].into(),
            shape: MultiPolygon(vec![shape]),
        }
    }

    /// Two unit squares side by side sharing the edge x = 1, in reverse code order.
    fn two_squares() -> GridIndex {
        GridIndex::new(vec![
            grid(
                "320812001001002",
                polygon![(x: 1.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 1.0), (x: 1.0, y: 1.0), (x: 1.0, y: 0.0)],
            ),
            grid(
                "320812001001001",
                polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0), (x: 0.0, y: 0.0)],
            ),
        ])
    }

    #[test]
    fn interior_points_find_their_grid() {
        let idx = two_squares();
        assert_eq!(idx.locate(0.5, 0.5).map(|i| idx.get(i).code.as_str()), Some("320812001001001"));
        assert_eq!(idx.locate(1.5, 0.5).map(|i| idx.get(i).code.as_str()), Some("320812001001002"));
        assert_eq!(idx.locate(2.5, 0.5), None);
    }

    #[test]
    fn shared_edges_and_vertices_go_to_the_smallest_code() {
        let idx = two_squares();
        for (x, y) in [(1.0, 0.5), (1.0, 0.0), (1.0, 1.0)] {
            assert_eq!(idx.locate(x, y).map(|i| idx.get(i).code.as_str()), Some("320812001001001"), "({x}, {y})");
        }
        // The outer boundary of one grid only belongs to that grid.
        assert_eq!(idx.locate(2.0, 0.5).map(|i| idx.get(i).code.as_str()), Some("320812001001002"));
    }

    #[test]
    fn nearest_grid_outside() {
        let idx = two_squares();
        let (i, d) = idx.nearest(2.001, 0.5).expect("a grid");
        assert_eq!(idx.get(i).code, "320812001001002");
        assert!((d - 111.2).abs() < 1.0, "{d}");
        assert_eq!(idx.extent(), Some([0.0, 0.0, 2.0, 1.0]));
    }
}
