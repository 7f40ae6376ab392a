//! Point indexes in a local metric frame, and field-of-view geometry.
//!
//! Points are indexed in an equirectangular frame centred on Huai'an (metres east/north of
//! 119°E 33.5°N): good to a fraction of a percent across the city, enough to *find*
//! candidates within a radius. Reported distances and bearings are then computed on the sphere
//! (haversine) from the original lon/lat.

use geo::{Bearing, Distance, Haversine, Point};
use rstar::primitives::GeomWithData;
use rstar::RTree;

const LON0: f64 = 119.0;
const LAT0: f64 = 33.5;
const M_PER_DEG_LAT: f64 = 110_574.0;

/// Metres east and north of the frame origin.
#[must_use]
pub fn local_xy(lon: f64, lat: f64) -> [f64; 2] {
    let m_per_deg_lon = 111_320.0 * LAT0.to_radians().cos();
    [(lon - LON0) * m_per_deg_lon, (lat - LAT0) * M_PER_DEG_LAT]
}

/// Great-circle distance in metres.
#[must_use]
pub fn distance_m(a: [f64; 2], b: [f64; 2]) -> f64 {
    Haversine.distance(Point::new(a[0], a[1]), Point::new(b[0], b[1]))
}

/// Initial bearing from `from` to `to`, degrees clockwise from north in `[0, 360)`.
#[must_use]
pub fn bearing_deg(from: [f64; 2], to: [f64; 2]) -> f64 {
    Haversine.bearing(Point::new(from[0], from[1]), Point::new(to[0], to[1])).rem_euclid(360.0)
}

/// True when a camera at `camera` looking along `heading_deg` with an opening of `fov_deg` and a
/// reach of `range_m` sees `target`.
#[must_use]
pub fn sector_contains(camera: [f64; 2], heading_deg: f64, fov_deg: f64, range_m: f64, target: [f64; 2]) -> bool {
    let d = distance_m(camera, target);
    if d > range_m {
        return false;
    }
    if fov_deg >= 360.0 || d < 0.01 {
        return true;
    }
    let off = (bearing_deg(camera, target) - heading_deg + 540.0).rem_euclid(360.0) - 180.0;
    off.abs() <= fov_deg / 2.0
}

/// An R-tree of points (in the local frame) carrying an index into the caller's table.
#[derive(Debug, Default)]
pub struct PointIndex {
    tree: RTree<GeomWithData<[f64; 2], u32>>,
}

impl PointIndex {
    /// Indexes `(lon, lat)` points; the data of each is its position in the input.
    pub fn new(points: impl IntoIterator<Item = [f64; 2]>) -> Self {
        let entries = points.into_iter().enumerate().map(|(i, p)| GeomWithData::new(local_xy(p[0], p[1]), i as u32));
        PointIndex { tree: RTree::bulk_load(entries.collect()) }
    }

    /// Positions of the points within about `radius_m` of `(lon, lat)` (a 1 % margin: filter
    /// with [`distance_m`]).
    pub fn within(&self, lon: f64, lat: f64, radius_m: f64) -> impl Iterator<Item = u32> + '_ {
        let r = radius_m * 1.01;
        self.tree.locate_within_distance(local_xy(lon, lat), r * r).map(|e| e.data)
    }

    /// Positions of points nearest to `(lon, lat)`, nearest first.
    pub fn nearest(&self, lon: f64, lat: f64) -> impl Iterator<Item = u32> + '_ {
        self.tree.nearest_neighbor_iter(&local_xy(lon, lat)).map(|e| e.data)
    }

    pub fn insert(&mut self, lon: f64, lat: f64, data: u32) {
        self.tree.insert(GeomWithData::new(local_xy(lon, lat), data));
    }

    pub fn remove(&mut self, lon: f64, lat: f64, data: u32) {
        self.tree.remove(&GeomWithData::new(local_xy(lon, lat), data));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sectors() {
        let cam = [119.0, 33.5];
        let north_50m = [119.0, 33.5 + 50.0 / M_PER_DEG_LAT];
        assert!((distance_m(cam, north_50m) - 50.0).abs() < 0.5);
        assert!(bearing_deg(cam, north_50m).abs() < 0.01 || (bearing_deg(cam, north_50m) - 360.0).abs() < 0.01);
        assert!(sector_contains(cam, 0.0, 60.0, 60.0, north_50m));
        assert!(sector_contains(cam, 350.0, 30.0, 60.0, north_50m), "wraps around north");
        assert!(!sector_contains(cam, 90.0, 60.0, 60.0, north_50m), "looking east");
        assert!(!sector_contains(cam, 0.0, 60.0, 40.0, north_50m), "out of range");
        assert!(sector_contains(cam, 180.0, 360.0, 60.0, north_50m), "a dome sees all around");
    }

    #[test]
    fn radius_and_nearest() {
        let pts = [[119.0, 33.5], [119.001, 33.5], [119.01, 33.5]];
        let idx = PointIndex::new(pts);
        let mut near: Vec<u32> = idx.within(119.0, 33.5, 150.0).collect();
        near.sort_unstable();
        assert_eq!(near, [0, 1]);
        assert_eq!(idx.nearest(119.009, 33.5).next(), Some(2));
    }
}
