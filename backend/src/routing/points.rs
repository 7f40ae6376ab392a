//! Point indexes in a local metric frame.
//!
//! Points are indexed in the city's equirectangular frame ([`LocalFrame::city`], metres
//! east/north of 119°E 33.5°N): good to about a percent across the city, enough to *find*
//! candidates within a radius. Reported distances and bearings are then computed on the sphere
//! (haversine) from the original lon/lat — except for cameras, whose field of view is
//! [`crate::coverage::sector`]'s.

use geo::{Bearing, Distance, Haversine, Point};
use rstar::primitives::GeomWithData;
use rstar::RTree;

use crate::coverage::sector::LocalFrame;

/// Metres east and north of the city frame's origin.
#[must_use]
pub fn local_xy(lon: f64, lat: f64) -> [f64; 2] {
    LocalFrame::city().project(lon, lat)
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

    /// Positions of the points within about `radius_m` of `(lon, lat)` (a 2 % margin for the
    /// frame's scale across the city: filter with [`distance_m`]).
    pub fn within(&self, lon: f64, lat: f64, radius_m: f64) -> impl Iterator<Item = u32> + '_ {
        let r = radius_m * 1.02;
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
    fn distances_and_bearings() {
        let here = [119.0, 33.5];
        let north_50m = LocalFrame::city().unproject([0.0, 50.0]);
        assert!((distance_m(here, north_50m) - 50.0).abs() < 0.5);
        let b = bearing_deg(here, north_50m);
        assert!(!(0.01..=359.99).contains(&b), "{b}");
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
