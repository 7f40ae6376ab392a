//! The plan life cycle in PostGIS: draft (compute, validate, preview, store), commit, discard,
//! revert, read. Every write is one transaction with its audit row.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use citygrid_api::{GridChangeKind, Plan, PlanDiff, PlanOperation, PlanStatus, PlanSummary, ReshapeMode};
use geozero::{wkb, CoordDimensions, ToWkb};
use serde_json::json;
use sqlx::{PgConnection, PgPool};

use super::colour;
use super::diff::{self, Planned};
use super::edit::{self, Edit, EditError, Outcome, Village};
use super::input::InputGeometry;
use super::lattice::{shape_from_geo, shape_to_geo, Pt, Shape};
use super::topology::{insert_nodes, remove_nodes, OutlineInsertion};
use super::validate::{self, GridRef, Rules};
use super::{mode_str, segments_geojson, shape_geojson, PlanError, StaleGrid};
use crate::accounts::{audit, AuditEntry};
use crate::scope::Scope;

/// A validated draft request.
#[derive(Debug, Clone)]
pub struct DraftRequest {
    pub operation: PlanOperation,
    pub mode: Option<ReshapeMode>,
    pub grids: Vec<String>,
    pub neighbour: Option<String>,
    pub geometry: Option<InputGeometry>,
    pub base_versions: BTreeMap<String, i32>,
    pub note: String,
    pub allow_multipolygon: bool,
}

/// The map layers a commit bumps (tiles are cached by layer version).
pub const LAYERS_TOUCHED: [&str; 4] = ["grids", "buildings", "cameras", "incidents"];

/// A current grid as planning reads it.
#[derive(Debug, Clone)]
pub(crate) struct GridRow {
    pub code: String,
    pub name: String,
    pub village_code: String,
    pub version: i32,
    pub colour: i16,
    pub shape: Shape,
}

type GridTuple = (String, String, String, i32, i16, wkb::Decode<geo::Geometry<f64>>);

pub(crate) fn to_shape(g: Option<geo::Geometry<f64>>) -> anyhow::Result<Shape> {
    match g {
        Some(geo::Geometry::MultiPolygon(mp)) => Ok(shape_from_geo(&mp)),
        Some(geo::Geometry::Polygon(p)) => Ok(shape_from_geo(&geo::MultiPolygon(vec![p]))),
        _ => anyhow::bail!("expected a polygon geometry"),
    }
}

fn to_row(t: GridTuple) -> anyhow::Result<GridRow> {
    let (code, name, village_code, version, colour, geom) = t;
    Ok(GridRow {
        shape: to_shape(geom.geometry).with_context(|| format!("grid {code}"))?,
        code,
        name,
        village_code,
        version,
        colour,
    })
}

/// WKB of a lattice shape (bit-exact lattice doubles).
pub(crate) fn wkb_of(shape: &[super::lattice::Poly]) -> anyhow::Result<Vec<u8>> {
    geo::Geometry::MultiPolygon(shape_to_geo(shape)).to_wkb(CoordDimensions::xy()).context("encoding WKB")
}

const GRID_COLUMNS: &str = "select code, name, village_code, version, colour, geom from current_grids";

async fn village_grids(conn: &mut PgConnection, village: &str) -> anyhow::Result<Vec<GridRow>> {
    let rows: Vec<GridTuple> = sqlx::query_as(&format!("{GRID_COLUMNS} where village_code = $1 order by code"))
        .bind(village)
        .fetch_all(&mut *conn)
        .await
        .context("reading the village's grids")?;
    rows.into_iter().map(to_row).collect()
}

/// Current grids whose box meets `[x0, y0, x1, y1]` (degrees), except those listed.
async fn grids_near(conn: &mut PgConnection, bbox: [f64; 4], except: &[String]) -> anyhow::Result<Vec<GridRow>> {
    let rows: Vec<GridTuple> = sqlx::query_as(&format!(
        "{GRID_COLUMNS} where geom && st_makeenvelope($1, $2, $3, $4, 4326) and code <> all($5) order by code"
    ))
    .bind(bbox[0])
    .bind(bbox[1])
    .bind(bbox[2])
    .bind(bbox[3])
    .bind(except)
    .fetch_all(&mut *conn)
    .await
    .context("reading neighbouring grids")?;
    rows.into_iter().map(to_row).collect()
}

fn bbox_of<'a>(points: impl Iterator<Item = &'a Pt>) -> Option<[f64; 4]> {
    let mut b: Option<[i64; 4]> = None;
    for p in points {
        b = Some(match b {
            None => [p.x, p.y, p.x, p.y],
            Some([x0, y0, x1, y1]) => [x0.min(p.x), y0.min(p.y), x1.max(p.x), y1.max(p.y)],
        });
    }
    b.map(|[x0, y0, x1, y1]| [x0 as f64 / 1e7, y0 as f64 / 1e7, x1 as f64 / 1e7, y1 as f64 / 1e7])
}

fn shape_points(shape: &[super::lattice::Poly]) -> impl Iterator<Item = &Pt> {
    shape.iter().flat_map(|p| p.rings.iter().flatten())
}

/// What the draft computed for one grid.
#[derive(Debug, Clone)]
pub(crate) struct GridPlan {
    pub code: String,
    pub name: String,
    pub village_code: String,
    pub change: GridChangeKind,
    /// Recolour only: no geometry change.
    pub recolour_only: bool,
    pub base_version: Option<i32>,
    pub before: Option<Shape>,
    pub after: Option<Shape>,
    pub colour_before: Option<i16>,
    pub colour: i16,
}

fn change_str(g: &GridPlan) -> &'static str {
    if g.recolour_only {
        return "recoloured";
    }
    match g.change {
        GridChangeKind::Reshaped => "reshaped",
        GridChangeKind::Noded => "noded",
        GridChangeKind::Created => "created",
        GridChangeKind::Retired => "retired",
        GridChangeKind::Restored => "restored",
    }
}

/// Insertions applied to one administrative unit.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitPlan {
    pub code: String,
    pub level: String,
    pub insertions: Vec<OutlineInsertion>,
}

fn insertions_json(ins: &[OutlineInsertion]) -> serde_json::Value {
    serde_json::Value::Array(
        ins.iter()
            .map(|i| {
                json!({"a": [i.a.x, i.a.y], "b": [i.b.x, i.b.y],
                       "points": i.points.iter().map(|p| json!([p.x, p.y])).collect::<Vec<_>>()})
            })
            .collect(),
    )
}

pub(crate) fn insertions_from_json(v: &serde_json::Value) -> anyhow::Result<Vec<OutlineInsertion>> {
    let pt = |v: &serde_json::Value| -> anyhow::Result<Pt> {
        Ok(Pt::new(
            v.get(0).and_then(serde_json::Value::as_i64).context("x")?,
            v.get(1).and_then(serde_json::Value::as_i64).context("y")?,
        ))
    };
    v.as_array()
        .context("insertions")?
        .iter()
        .map(|i| {
            Ok(OutlineInsertion {
                a: pt(&i["a"])?,
                b: pt(&i["b"])?,
                points: i["points"].as_array().context("points")?.iter().map(pt).collect::<anyhow::Result<_>>()?,
            })
        })
        .collect()
}

fn edit_error(e: EditError, codes: &[String], has_line: bool) -> PlanError {
    let code_of = |i: u32| codes.get(i as usize).cloned().unwrap_or_else(|| format!("#{i}"));
    let message = match &e {
        EditError::NotAdjacent(i) => format!("grid {} shares no edge with the other grids of the merge", code_of(*i)),
        // Snap rounding a new line through a sliver thinner than the lattice folds it away.
        EditError::Topology(super::topology::TopologyError::Overlap { at, .. }) if has_line => {
            return PlanError::Geometry {
                reason: "too_close",
                message: format!(
                    "the new line passes within a centimetre of ({:.7}, {:.7}), where grid boundaries nearly touch; \
                     move it a little",
                    at.lon(),
                    at.lat()
                ),
                geometry: Some(super::point_geojson(*at)),
            };
        }
        EditError::Topology(t) => return PlanError::Db(anyhow::anyhow!("stored partition is not exact: {t}")),
        other => other.to_string(),
    };
    let (reason, geometry) = match e {
        EditError::OutsideVillage { part } => ("outside_parent", Some(shape_geojson(&part))),
        EditError::NoTaker { part } => ("no_neighbour", Some(shape_geojson(&part))),
        EditError::EdgeLeaves { part } => ("edge_leaves", Some(shape_geojson(&part))),
        EditError::EdgeEnds { expected } => ("edge_ends", Some(segments_geojson(&[expected]))),
        EditError::SplitNotThrough { pieces } | EditError::SplitCrossesTwice { pieces } => {
            ("split_line", Some(segments_geojson(&pieces)))
        }
        EditError::SplitMisses => ("split_line", None),
        EditError::NotAdjacent(_) | EditError::NotNeighbours => ("not_adjacent", None),
        _ => ("invalid_geometry", None),
    };
    PlanError::Geometry { reason, message, geometry }
}

/// The city's code (the root of the hierarchy).
async fn city_code(conn: &mut PgConnection) -> anyhow::Result<String> {
    sqlx::query_scalar("select code from admin_units where level = 'city'")
        .fetch_one(&mut *conn)
        .await
        .context("reading the city")
}

/// The units whose boundary takes `insertions`: the villages involved and their parents.
async fn units_for(
    conn: &mut PgConnection,
    villages: &BTreeSet<String>,
    insertions: &[OutlineInsertion],
) -> anyhow::Result<Vec<(UnitPlan, Shape)>> {
    let mut codes: BTreeSet<String> = BTreeSet::new();
    for v in villages {
        codes.extend([v.clone(), v[..9].to_owned(), v[..6].to_owned()]);
    }
    codes.insert(city_code(conn).await?);
    let pts: Vec<Pt> = insertions.iter().flat_map(|i| i.points.iter().copied()).collect();
    let Some(b) = bbox_of(pts.iter()) else { return Ok(Vec::new()) };
    let rows: Vec<(String, String, wkb::Decode<geo::Geometry<f64>>)> = sqlx::query_as(
        "select code, level, geom from admin_units where code = any($1)
         and geom && st_makeenvelope($2, $3, $4, $5, 4326) order by code",
    )
    .bind(codes.into_iter().collect::<Vec<_>>())
    .bind(b[0])
    .bind(b[1])
    .bind(b[2])
    .bind(b[3])
    .fetch_all(&mut *conn)
    .await
    .context("reading units along the village boundary")?;
    let mut out = Vec::new();
    for (code, level, geom) in rows {
        let mut shape = to_shape(geom.geometry)?;
        let applied: Vec<OutlineInsertion> = insertions
            .iter()
            .filter(|ins| {
                let mut s = shape.clone();
                insert_nodes(&mut s, std::slice::from_ref(*ins))
            })
            .cloned()
            .collect();
        if !applied.is_empty() {
            insert_nodes(&mut shape, &applied);
            out.push((UnitPlan { code, level, insertions: applied }, shape));
        }
    }
    Ok(out)
}

/// The shapes PostGIS would refuse (the `st_isvalid` check constraints), with the reason.
async fn invalid(conn: &mut PgConnection, shapes: &[(&str, &Shape)]) -> anyhow::Result<Option<(String, String)>> {
    let codes: Vec<&str> = shapes.iter().map(|(c, _)| *c).collect();
    let wkbs: Vec<Vec<u8>> = shapes.iter().map(|(_, s)| wkb_of(s)).collect::<anyhow::Result<_>>()?;
    sqlx::query_as(
        "select c, st_isvalidreason(g) from (select c, st_setsrid(st_geomfromwkb(w), 4326) g
                                             from unnest($1::text[], $2::bytea[]) as t(c, w)) x
         where not st_isvalid(g) limit 1",
    )
    .bind(&codes)
    .bind(&wkbs)
    .fetch_optional(&mut *conn)
    .await
    .context("checking validity")
}

/// Works out the plan's grid changes from the current state of the village.
struct Computed {
    village: String,
    grids: Vec<GridPlan>,
    units: Vec<UnitPlan>,
    transfers: Vec<(String, String, Shape)>,
    clashes: Vec<String>,
}

async fn compute(
    conn: &mut PgConnection,
    req: &DraftRequest,
    scope: &Scope,
    rules: Rules,
) -> Result<Computed, PlanError> {
    // The named grids: current, one village, in scope.
    let named: Vec<(String, String)> =
        sqlx::query_as("select code, village_code from current_grids where code = any($1) order by code")
            .bind(&req.grids)
            .fetch_all(&mut *conn)
            .await?;
    for (i, code) in req.grids.iter().enumerate() {
        if !named.iter().any(|(c, _)| c == code) {
            return Err(PlanError::Invalid(format!("grids[{i}]: no current grid {code}")));
        }
    }
    let village = named[0].1.clone();
    if let Some((code, v)) = named.iter().find(|(_, v)| *v != village) {
        return Err(PlanError::Geometry {
            reason: "different_villages",
            message: format!("grid {code} lies in village {v}, not {village}: a plan stays inside one village"),
            geometry: None,
        });
    }
    scope.check(&village, || format!("village {village}")).map_err(|e| e.field("grids"))?;
    let grids = village_grids(conn, &village).await?;
    let codes: Vec<String> = grids.iter().map(|g| g.code.clone()).collect();
    let index = |c: &str| codes.iter().position(|x| x == c).map(|i| i as u32);
    let (lat,): (f64,) = sqlx::query_as("select st_y(label_point) from admin_units where code = $1")
        .bind(&village)
        .fetch_one(&mut *conn)
        .await?;
    let model = Village { shapes: grids.iter().map(|g| g.shape.clone()).collect(), lat };
    let first = index(&req.grids[0]).context("named grid vanished")?;
    let geometry =
        || req.geometry.clone().ok_or_else(|| PlanError::Invalid("geometry: required for this operation".into()));
    let edit = match (req.operation, req.mode) {
        (PlanOperation::Reshape, Some(ReshapeMode::Boundary)) => match geometry()? {
            InputGeometry::Area(polygon) => Edit::Boundary { grid: first, polygon },
            InputGeometry::Line(_) => return Err(PlanError::Invalid("geometry: boundary mode needs a polygon".into())),
        },
        (PlanOperation::Reshape, Some(ReshapeMode::Edge)) => {
            let n = req
                .neighbour
                .as_deref()
                .ok_or_else(|| PlanError::Invalid("neighbour: edge mode names the grid across the edge".into()))?;
            let neighbour = index(n).ok_or_else(|| {
                PlanError::Invalid(format!("neighbour: {n} is not a current grid of village {village}"))
            })?;
            match geometry()? {
                InputGeometry::Line(line) => Edit::Edge { grid: first, neighbour, line },
                InputGeometry::Area(_) => {
                    return Err(PlanError::Invalid("geometry: edge mode needs a LineString".into()))
                }
            }
        }
        (PlanOperation::Split, _) => match geometry()? {
            InputGeometry::Line(line) => Edit::Split { grid: first, line },
            InputGeometry::Area(_) => return Err(PlanError::Invalid("geometry: a split needs a LineString".into())),
        },
        (PlanOperation::Merge, _) => {
            let mut ids: Vec<u32> = req.grids.iter().filter_map(|c| index(c)).collect();
            ids.sort_unstable();
            ids.dedup();
            Edit::Merge { grids: ids }
        }
        _ => return Err(PlanError::Invalid("operation: reshape needs a mode".into())),
    };
    let has_line = !matches!(edit, Edit::Merge { .. });
    let outcome: Outcome = edit::apply(&model, &edit).map_err(|e| edit_error(e, &codes, has_line))?;

    // The split-off grid: next free code of the village, a name, a colour later.
    let new_code = match outcome.new_grid {
        Some(_) => {
            let max: Option<String> = sqlx::query_scalar("select max(code) from grids where village_code = $1")
                .bind(&village)
                .fetch_one(&mut *conn)
                .await?;
            let n: u32 = max.as_deref().and_then(|m| m[12..].parse().ok()).unwrap_or(0) + 1;
            if n > 999 {
                return Err(PlanError::Invalid(format!("village {village} has no free grid code left")));
            }
            Some(format!("{village}{n:03}"))
        }
        None => None,
    };
    let code_of = |i: u32| {
        if i as usize == codes.len() {
            new_code.clone().unwrap_or_default()
        } else {
            codes[i as usize].clone()
        }
    };
    let village_name: String =
        sqlx::query_scalar("select name from admin_units where code = $1").bind(&village).fetch_one(&mut *conn).await?;

    let mut plans: Vec<GridPlan> = Vec::new();
    for (i, g) in grids.iter().enumerate() {
        let i = i as u32;
        if outcome.retired.contains(&i) {
            plans.push(GridPlan {
                code: g.code.clone(),
                name: g.name.clone(),
                village_code: village.clone(),
                change: GridChangeKind::Retired,
                recolour_only: false,
                base_version: Some(g.version),
                before: Some(g.shape.clone()),
                after: None,
                colour_before: Some(g.colour),
                colour: g.colour,
            });
        } else if let Some(s) = outcome.shapes.get(&i) {
            let area_changed = outcome.transfers.iter().any(|t| t.from == i || t.to == i);
            plans.push(GridPlan {
                code: g.code.clone(),
                name: g.name.clone(),
                village_code: village.clone(),
                change: if area_changed { GridChangeKind::Reshaped } else { GridChangeKind::Noded },
                recolour_only: false,
                base_version: Some(g.version),
                before: Some(g.shape.clone()),
                after: Some(s.clone()),
                colour_before: Some(g.colour),
                colour: g.colour,
            });
        }
    }
    if let (Some(i), Some(code)) = (outcome.new_grid, &new_code) {
        let n: u32 = code[12..].parse().unwrap_or(0);
        plans.push(GridPlan {
            code: code.clone(),
            name: format!("{village_name}第{n}网格"),
            village_code: village.clone(),
            change: GridChangeKind::Created,
            recolour_only: false,
            base_version: None,
            before: None,
            after: outcome.shapes.get(&i).cloned(),
            colour_before: None,
            colour: 0,
        });
    }

    // Nodes on the village boundary: grids across it and the units along it take them too.
    let mut unit_shapes = Vec::new();
    let mut outline_shape: Shape = {
        let (g,): (wkb::Decode<geo::Geometry<f64>>,) =
            sqlx::query_as("select geom from admin_units where code = $1").bind(&village).fetch_one(&mut *conn).await?;
        to_shape(g.geometry)?
    };
    if !outcome.outline.is_empty() {
        let pts: Vec<Pt> = outcome.outline.iter().flat_map(|i| i.points.iter().copied()).collect();
        let b = bbox_of(pts.iter()).context("insertion points")?;
        let mut villages: BTreeSet<String> = BTreeSet::from([village.clone()]);
        for mut g in grids_near(conn, [b[0] - 1e-7, b[1] - 1e-7, b[2] + 1e-7, b[3] + 1e-7], &codes).await? {
            let before = g.shape.clone();
            if insert_nodes(&mut g.shape, &outcome.outline) {
                scope.check(&g.code, || format!("grid {} across the village boundary", g.code))?;
                villages.insert(g.village_code.clone());
                plans.push(GridPlan {
                    code: g.code.clone(),
                    name: g.name.clone(),
                    village_code: g.village_code.clone(),
                    change: GridChangeKind::Noded,
                    recolour_only: false,
                    base_version: Some(g.version),
                    before: Some(before),
                    after: Some(g.shape),
                    colour_before: Some(g.colour),
                    colour: g.colour,
                });
            }
        }
        unit_shapes = units_for(conn, &villages, &outcome.outline).await?;
        insert_nodes(&mut outline_shape, &outcome.outline);
    }
    // Nothing the database would refuse: every new grid and unit boundary is valid for PostGIS.
    let check: Vec<(&str, &Shape)> = plans
        .iter()
        .filter_map(|p| Some((p.code.as_str(), p.after.as_ref()?)))
        .chain(unit_shapes.iter().map(|(u, s)| (u.code.as_str(), s)))
        .collect();
    if let Some((code, reason)) = invalid(conn, &check).await? {
        return Err(PlanError::Geometry {
            reason: "invalid_geometry",
            message: format!(
                "the edit would leave {code} invalid ({reason}): the new line passes within a centimetre of a place \
                 where two boundaries nearly touch; move it slightly"
            ),
            geometry: None,
        });
    }
    let units: Vec<UnitPlan> = unit_shapes.into_iter().map(|(u, _)| u).collect();

    // Validation of the result.
    let metric = super::lattice::Metric::at_lat(lat);
    // A grid the edit only gives new vertices must keep its shape: snap rounding a new line
    // through a place thinner than the lattice (a sub-centimetre spike) would move area silently.
    for p in plans.iter().filter(|p| p.change == GridChangeKind::Noded) {
        let (Some(b), Some(a)) = (&p.before, &p.after) else { continue };
        let area = |s: &Shape| s.iter().map(|q| metric.area(q)).sum::<f64>();
        // A node sits within 0.71e-7° (8 mm) of the old segment: the area may move by that much
        // along the boundary, no more.
        let slack = b.iter().map(|q| metric.perimeter(q)).sum::<f64>() * 0.004 + 0.1;
        if a.len() != b.len() || (area(a) - area(b)).abs() > slack {
            return Err(PlanError::Geometry {
                reason: "too_close",
                message: format!(
                    "the new line passes through a part of grid {} thinner than a centimetre; move it a little",
                    p.code
                ),
                geometry: Some(shape_geojson(b)),
            });
        }
    }
    for p in plans.iter().filter(|p| p.village_code == village) {
        let Some(after) = &p.after else { continue };
        if p.change == GridChangeKind::Noded {
            continue;
        }
        let r = GridRef { code: &p.code, village: &village, shape: after };
        if let Some(issue) = validate::grid_shape(&r, rules, req.allow_multipolygon, metric).into_iter().next() {
            return Err(PlanError::Geometry {
                reason: match issue.kind {
                    validate::IssueKind::Sliver => "sliver",
                    validate::IssueKind::Multipolygon => "multipolygon",
                    _ => "invalid_geometry",
                },
                message: format!("grid {} would be left with {}", p.code, issue.reason),
                geometry: Some(shape_geojson(&issue.shape)),
            });
        }
    }
    let after_shapes: Vec<(String, Shape)> = grids
        .iter()
        .filter(|g| !plans.iter().any(|p| p.code == g.code && p.change == GridChangeKind::Retired))
        .map(|g| {
            let s = plans
                .iter()
                .find(|p| p.code == g.code)
                .and_then(|p| p.after.clone())
                .unwrap_or_else(|| g.shape.clone());
            (g.code.clone(), s)
        })
        .chain(
            plans
                .iter()
                .filter(|p| p.change == GridChangeKind::Created)
                .filter_map(|p| Some((p.code.clone(), p.after.clone()?))),
        )
        .collect();
    let refs: Vec<GridRef<'_>> =
        after_shapes.iter().map(|(c, s)| GridRef { code: c, village: &village, shape: s }).collect();
    if let Some(issue) = validate::village_partition(&refs, &village, &outline_shape, metric).into_iter().next() {
        return Err(PlanError::Geometry {
            reason: issue.kind.as_str(),
            message: format!("the result would not partition village {village}: {}", issue.reason),
            geometry: Some(shape_geojson(&issue.shape)),
        });
    }

    // Colours: new and reshaped grids differ from every neighbour.
    let changed_pts: Vec<Pt> =
        plans.iter().filter_map(|p| p.after.as_ref()).flat_map(|s| shape_points(s).copied()).collect();
    let mut clashes = Vec::new();
    if let Some(b) = bbox_of(changed_pts.iter()) {
        let (w, h) = (b[2] - b[0], b[3] - b[1]);
        let m = w.max(h);
        let region = [b[0] - m, b[1] - m, b[2] + m, b[3] + m];
        let around = grids_near(conn, region, &[]).await?;
        let mut shapes: BTreeMap<String, Shape> = around.iter().map(|g| (g.code.clone(), g.shape.clone())).collect();
        let mut colours: BTreeMap<String, i16> = around.iter().map(|g| (g.code.clone(), g.colour)).collect();
        for p in &plans {
            if let Some(s) = &p.after {
                shapes.insert(p.code.clone(), s.clone());
            } else {
                shapes.remove(&p.code);
                colours.remove(&p.code);
            }
        }
        if let Some(code) = &new_code {
            colours.remove(code);
        }
        let adj = colour::adjacency(&shapes);
        let order: Vec<String> = plans
            .iter()
            .filter(|p| matches!(p.change, GridChangeKind::Created | GridChangeKind::Reshaped))
            .map(|p| p.code.clone())
            .collect();
        // A grid whose box lies in the region has all its neighbours in `around`: only such
        // grids may change colour for the edit's sake.
        let movable = |code: &String| {
            shapes
                .get(code)
                .and_then(|s| bbox_of(shape_points(s)))
                .is_some_and(|g| g[0] > region[0] && g[1] > region[1] && g[2] < region[2] && g[3] < region[3])
        };
        let (changes, still) = colour::recolour(&mut colours, &adj, &order, &movable);
        clashes = still;
        for (code, _, to) in changes {
            if let Some(p) = plans.iter_mut().find(|p| p.code == code) {
                p.colour = to;
            } else if let Some(g) = around.iter().find(|g| g.code == code) {
                plans.push(GridPlan {
                    code: g.code.clone(),
                    name: g.name.clone(),
                    village_code: g.village_code.clone(),
                    change: GridChangeKind::Noded,
                    recolour_only: true,
                    base_version: Some(g.version),
                    before: None,
                    after: None,
                    colour_before: Some(g.colour),
                    colour: to,
                });
            }
        }
    }
    let transfers = outcome.transfers.iter().map(|t| (code_of(t.from), code_of(t.to), t.shape.clone())).collect();
    Ok(Computed { village, grids: plans, units, transfers, clashes })
}

/// Current versions (and who made them) of `codes`.
async fn versions(
    conn: &mut PgConnection,
    codes: &[String],
) -> anyhow::Result<HashMap<String, (i32, Option<i64>, Option<String>)>> {
    let rows: Vec<(String, i32, Option<i64>, Option<String>)> = sqlx::query_as(
        "select g.code, g.version, g.plan_id, u.username from current_grids g
         left join plans p on p.id = g.plan_id left join users u on u.id = p.author_id
         where g.code = any($1)",
    )
    .bind(codes)
    .fetch_all(&mut *conn)
    .await
    .context("reading grid versions")?;
    Ok(rows.into_iter().map(|(c, v, p, u)| (c, (v, p, u))).collect())
}

/// 409 unless every grid in `base` is current at that version.
pub(crate) async fn check_base(conn: &mut PgConnection, base: &BTreeMap<String, i32>) -> Result<(), PlanError> {
    let codes: Vec<String> = base.keys().cloned().collect();
    let current = versions(conn, &codes).await?;
    let stale: Vec<StaleGrid> = base
        .iter()
        .filter(|(c, v)| current.get(*c).map(|x| x.0) != Some(**v))
        .map(|(c, v)| {
            let cur = current.get(c);
            StaleGrid {
                code: c.clone(),
                base_version: Some(*v),
                current_version: cur.map(|x| x.0),
                plan_id: cur.and_then(|x| x.1),
                changed_by: cur.and_then(|x| x.2.clone()),
            }
        })
        .collect();
    if stale.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = stale
        .iter()
        .map(|s| match (s.current_version, &s.changed_by) {
            (Some(v), Some(who)) => {
                format!("{} (now version {v}, by {who} in plan {})", s.code, s.plan_id.unwrap_or(0))
            }
            (Some(v), None) => format!("{} (now version {v})", s.code),
            (None, _) => format!("{} (no longer a current grid)", s.code),
        })
        .collect();
    Err(PlanError::Stale {
        message: format!("grids changed since the plan was drawn: {}", names.join(", ")),
        grids: stale,
    })
}

/// A transaction for drafting, committing or reverting a plan, with PostgreSQL's JIT off.
///
/// The point → grid subqueries of the diff and of the reassignment carry cost estimates above
/// `jit_above_cost`, so PostgreSQL compiles them on every call: on the full city that took
/// 100–400 ms for statements that run in 20–60 ms (`cargo xtask bench plan`, measured with
/// `log_min_duration_statement`). `set local` ends with the transaction.
async fn begin(pool: &PgPool) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, PlanError> {
    let mut tx = pool.begin().await?;
    sqlx::query("set local jit = off").execute(&mut *tx).await?;
    Ok(tx)
}

/// Drafts a plan: computes, validates and previews the change, and stores it.
pub async fn draft(
    pool: &PgPool,
    req: DraftRequest,
    author: i64,
    scope: &Scope,
    rules: Rules,
) -> Result<Plan, PlanError> {
    let mut tx = begin(pool).await?;
    // Stale versions first: a planner who drew on old boundaries hears that (409) before any
    // complaint about a boundary they have not seen. Only grids in scope are looked up.
    for code in req.base_versions.keys() {
        scope.check(code, || format!("grid {code}")).map_err(|e| e.field("base_versions"))?;
    }
    check_base(&mut tx, &req.base_versions).await?;
    let computed = compute(&mut tx, &req, scope, rules).await?;
    let affected: Vec<String> = computed
        .grids
        .iter()
        .filter(|g| !g.recolour_only && g.change != GridChangeKind::Created)
        .map(|g| g.code.clone())
        .collect();
    let missing: Vec<String> = affected.iter().filter(|c| !req.base_versions.contains_key(*c)).cloned().collect();
    if !missing.is_empty() {
        let versions = computed
            .grids
            .iter()
            .filter(|g| missing.contains(&g.code))
            .filter_map(|g| Some((g.code.clone(), g.base_version?)))
            .collect();
        return Err(PlanError::MissingBase { grids: missing, versions });
    }
    let touched: Vec<String> = computed.grids.iter().map(|g| g.code.clone()).collect();
    super::schedule::refuse_pending(&mut tx, &touched, None).await?;
    if !computed.clashes.is_empty() {
        tracing::warn!(clashes = ?computed.clashes, "no four-colouring found locally; neighbours share a colour");
    }
    let worker_moves: Vec<(String, String, i64)> = if req.operation == PlanOperation::Merge {
        let mut g = req.grids.clone();
        g.sort();
        sqlx::query_as::<_, (String, i64)>(
            "select grid_code, count(*) from grid_workers where grid_code = any($1) group by grid_code",
        )
        .bind(&g[1..])
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|(from, n)| (from, g[0].clone(), n))
        .collect()
    } else {
        Vec::new()
    };
    let diff = diff::compute(
        &mut tx,
        &computed.village,
        &planned(&computed),
        &computed.transfers,
        &computed.units,
        &worker_moves,
    )
    .await?;
    let geometry_wkb = match &req.geometry {
        Some(InputGeometry::Area(s)) => Some(wkb_of(s)?),
        Some(InputGeometry::Line(l)) => Some(
            geo::Geometry::LineString(geo::LineString(l.iter().map(|p| p.coord()).collect()))
                .to_wkb(CoordDimensions::xy())
                .context("encoding WKB")?,
        ),
        None => None,
    };
    let id: i64 = sqlx::query_scalar(
        "insert into plans (operation, mode, village_code, grids, neighbour, geometry, base_versions, affected, diff,
                            note, allow_multipolygon, author_id)
         values ($1, $2, $3, $4, $5, st_setsrid(st_geomfromwkb($6), 4326), $7, $8, $9, $10, $11, $12) returning id",
    )
    .bind(req.operation.as_str())
    .bind(req.mode.map(mode_str))
    .bind(&computed.village)
    .bind(&req.grids)
    .bind(&req.neighbour)
    .bind(geometry_wkb)
    .bind(serde_json::to_value(&req.base_versions).context("base versions")?)
    .bind(&affected)
    .bind(serde_json::to_value(&diff).context("diff")?)
    .bind(&req.note)
    .bind(req.allow_multipolygon)
    .bind(author)
    .fetch_one(&mut *tx)
    .await
    .context("storing the plan")?;
    store_changes(&mut tx, id, &computed.grids, &computed.units).await?;
    audit(
        &mut *tx,
        AuditEntry {
            user_id: author,
            action: "create",
            entity: "plan",
            entity_ids: vec![id.to_string()],
            before: None,
            after: Some(
                json!({"operation": req.operation.as_str(), "village": computed.village, "affected": affected}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    get(pool, id, scope).await
}

fn planned(c: &Computed) -> Vec<Planned<'_>> {
    c.grids
        .iter()
        .filter(|g| !g.recolour_only)
        .map(|g| Planned {
            code: &g.code,
            name: &g.name,
            village_code: &g.village_code,
            change: g.change,
            base_version: g.base_version,
            before: g.before.as_ref(),
            after: g.after.as_ref(),
            colour_before: g.colour_before,
            colour: g.colour,
        })
        .chain(c.grids.iter().filter(|g| g.recolour_only).map(|g| Planned {
            code: &g.code,
            name: &g.name,
            village_code: &g.village_code,
            change: g.change,
            base_version: g.base_version,
            before: None,
            after: None,
            colour_before: g.colour_before,
            colour: g.colour,
        }))
        .collect()
}

async fn store_changes(conn: &mut PgConnection, id: i64, grids: &[GridPlan], units: &[UnitPlan]) -> anyhow::Result<()> {
    for g in grids {
        let geom = g.after.as_ref().map(|s| wkb_of(s)).transpose()?;
        sqlx::query(
            "insert into plan_grids (plan_id, grid_code, change, base_version, geom, name, colour, colour_before)
             values ($1, $2, $3, $4, st_setsrid(st_geomfromwkb($5), 4326), $6, $7, $8)",
        )
        .bind(id)
        .bind(&g.code)
        .bind(change_str(g))
        .bind(g.base_version)
        .bind(geom)
        .bind(&g.name)
        .bind(g.colour)
        .bind(g.colour_before)
        .execute(&mut *conn)
        .await
        .context("storing a plan grid")?;
    }
    for u in units {
        sqlx::query("insert into plan_units (plan_id, unit_code, insertions) values ($1, $2, $3)")
            .bind(id)
            .bind(&u.code)
            .bind(insertions_json(&u.insertions))
            .execute(&mut *conn)
            .await
            .context("storing a plan unit")?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct PlanRow {
    id: i64,
    status: String,
    operation: String,
    mode: Option<String>,
    village_code: String,
    grids: Vec<String>,
    neighbour: Option<String>,
    base_versions: serde_json::Value,
    affected: Vec<String>,
    note: String,
    author: String,
    created_at: DateTime<Utc>,
    decided_at: Option<DateTime<Utc>>,
    decided_by: Option<String>,
    reverts: Option<i64>,
    reverted_by: Option<i64>,
    effective_from: Option<DateTime<Utc>>,
    failure: Option<String>,
    diff: serde_json::Value,
}

const PLAN_SELECT: &str = "select p.id, p.status, p.operation, p.mode, p.village_code, p.grids, p.neighbour,
        p.base_versions, p.affected, p.note, a.username as author, p.created_at, p.decided_at,
        d.username as decided_by, p.reverts, p.reverted_by, p.effective_from, p.failure, p.diff
    from plans p join users a on a.id = p.author_id left join users d on d.id = p.decided_by";

fn parse_operation(s: &str) -> anyhow::Result<PlanOperation> {
    serde_json::from_value(json!(s)).with_context(|| format!("operation {s}"))
}

impl PlanRow {
    fn summary(&self) -> anyhow::Result<PlanSummary> {
        Ok(PlanSummary {
            id: self.id,
            status: PlanStatus::parse(&self.status).context("status")?,
            operation: parse_operation(&self.operation)?,
            mode: self.mode.as_deref().map(|m| serde_json::from_value(json!(m))).transpose().context("mode")?,
            village_code: self.village_code.clone(),
            grids: self.grids.clone(),
            affected: self.affected.clone(),
            note: self.note.clone(),
            author: self.author.clone(),
            created_at: self.created_at.to_rfc3339(),
            decided_at: self.decided_at.map(|t| t.to_rfc3339()),
            reverts: self.reverts,
            reverted_by: self.reverted_by,
            effective_from: self.effective_from.map(|t| t.to_rfc3339()),
            failure: self.failure.clone(),
        })
    }

    fn into_plan(self) -> anyhow::Result<Plan> {
        let s = self.summary()?;
        let mut diff = self.diff;
        if let Some(o) = diff.as_object_mut() {
            o.remove("merge");
        }
        Ok(Plan {
            id: s.id,
            status: s.status,
            operation: s.operation,
            mode: s.mode,
            village_code: s.village_code,
            grids: s.grids,
            neighbour: self.neighbour,
            base_versions: serde_json::from_value(self.base_versions).context("base versions")?,
            affected: s.affected,
            note: s.note,
            author: s.author,
            created_at: s.created_at,
            decided_at: s.decided_at,
            decided_by: self.decided_by,
            reverts: s.reverts,
            reverted_by: s.reverted_by,
            effective_from: s.effective_from,
            failure: s.failure,
            diff: serde_json::from_value::<PlanDiff>(diff).context("stored diff")?,
        })
    }
}

/// One plan (in the caller's scope).
pub async fn get(pool: &PgPool, id: i64, scope: &Scope) -> Result<Plan, PlanError> {
    let row: Option<PlanRow> =
        sqlx::query_as(&format!("{PLAN_SELECT} where p.id = $1")).bind(id).fetch_optional(pool).await?;
    let row = row.ok_or_else(|| PlanError::NotFound(format!("no plan with id {id}")))?;
    scope.check(&row.village_code, || format!("plan {id}"))?;
    Ok(row.into_plan()?)
}

/// Filters of the plan list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub status: Option<PlanStatus>,
    /// A village, township or county code (prefix of the plan's village).
    pub area: Option<String>,
    pub author: Option<String>,
    /// Plans that name this grid or change it (recolouring it only included): the grids a
    /// scheduled plan holds against other plans (`schedule::refuse_pending`).
    pub grid: Option<String>,
    pub limit: i64,
}

/// Plans, newest first.
pub async fn list(pool: &PgPool, f: &ListFilter, scope: &Scope) -> Result<Vec<PlanSummary>, PlanError> {
    let rows: Vec<PlanRow> = sqlx::query_as(&format!(
        "{PLAN_SELECT} where ($1::text is null or p.status = $1)
           and ($2::text is null or starts_with(p.village_code, $2))
           and ($3::text is null or a.username = $3)
           and ($4::text is null or $4 = any(p.affected) or $4 = any(p.grids)
                or exists (select 1 from plan_grids pg where pg.plan_id = p.id and pg.grid_code = $4))
           and ($5::text is null or starts_with(p.village_code, $5))
         order by p.created_at desc, p.id desc limit $6"
    ))
    .bind(f.status.map(PlanStatus::as_str))
    .bind(&f.area)
    .bind(&f.author)
    .bind(&f.grid)
    .bind(scope.county_code())
    .bind(f.limit)
    .fetch_all(pool)
    .await?;
    rows.iter().map(|r| r.summary().map_err(PlanError::Db)).collect()
}

#[derive(sqlx::FromRow)]
pub(super) struct Locked {
    pub(super) status: String,
    operation: String,
    pub(super) village_code: String,
    grids: Vec<String>,
    pub(super) base_versions: serde_json::Value,
    pub(super) affected: Vec<String>,
}

/// A plan's change of status as one step: its row (who decided when, the time it takes effect or
/// why it failed), the `grids` layer bumped when the future partition `as_of` a later day
/// changes with it, and the audit row.
pub(super) struct Decision<'a> {
    pub id: i64,
    /// The audit action (`commit`, `discard`, `schedule`, `fail`).
    pub action: &'static str,
    pub status: &'static str,
    pub actor: i64,
    /// `decided_by` (kept when `None`, as when a scheduled plan fails at its time).
    pub decided_by: Option<i64>,
    pub now: DateTime<Utc>,
    pub effective_from: Option<DateTime<Utc>>,
    pub failure: Option<&'a str>,
    pub bump_grids: bool,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

pub(super) async fn decide(conn: &mut PgConnection, d: Decision<'_>) -> Result<(), PlanError> {
    sqlx::query(
        "update plans set status = $2, decided_at = $3, decided_by = coalesce($4, decided_by), \
           effective_from = coalesce($5, effective_from), failure = coalesce($6, failure) where id = $1",
    )
    .bind(d.id)
    .bind(d.status)
    .bind(d.now)
    .bind(d.decided_by)
    .bind(d.effective_from)
    .bind(d.failure)
    .execute(&mut *conn)
    .await?;
    if d.bump_grids {
        crate::tiles::follow::bump(&mut *conn, &["grids"]).await?;
    }
    audit(
        &mut *conn,
        AuditEntry {
            user_id: d.actor,
            action: d.action,
            entity: "plan",
            entity_ids: vec![d.id.to_string()],
            before: Some(d.before),
            after: Some(d.after),
        },
    )
    .await?;
    Ok(())
}

/// Locks a plan; 404 when missing, 403 outside scope.
pub(super) async fn lock_plan(conn: &mut PgConnection, id: i64, scope: &Scope) -> Result<Locked, PlanError> {
    let row: Option<Locked> = sqlx::query_as(
        "select status, operation, village_code, grids, base_versions, affected from plans where id = $1 for update",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let row = row.ok_or_else(|| PlanError::NotFound(format!("no plan with id {id}")))?;
    scope.check(&row.village_code, || format!("plan {id}"))?;
    Ok(row)
}

/// Commits a draft: applies exactly what it previewed, or 409 when a grid moved since.
pub async fn commit(pool: &PgPool, id: i64, actor: i64, scope: &Scope, now: DateTime<Utc>) -> Result<Plan, PlanError> {
    let mut tx = begin(pool).await?;
    commit_in(&mut tx, id, actor, scope, now).await?;
    tx.commit().await?;
    get(pool, id, scope).await
}

/// [`commit`] inside the caller's transaction (which holds the grids' locks until it ends).
pub async fn commit_in(
    tx: &mut PgConnection,
    id: i64,
    actor: i64,
    scope: &Scope,
    now: DateTime<Utc>,
) -> Result<(), PlanError> {
    commit_from(tx, id, "draft", actor, scope, now).await
}

/// [`commit_in`] of a plan in status `from`: a draft, or a scheduled plan whose time has come
/// (`planning::schedule`). Refused while another scheduled plan changes one of its grids.
pub(super) async fn commit_from(
    tx: &mut PgConnection,
    id: i64,
    from: &str,
    actor: i64,
    scope: &Scope,
    now: DateTime<Utc>,
) -> Result<(), PlanError> {
    let locked = lock_plan(tx, id, scope).await?;
    if locked.status != from {
        return Err(PlanError::Conflict(format!(
            "plan {id} is {}; only a {from} plan can be committed",
            locked.status
        )));
    }
    let base: BTreeMap<String, i32> = serde_json::from_value(locked.base_versions).context("base versions")?;
    let affected = locked.affected;
    // Under the grids' locks, so a plan scheduled meanwhile on one of them is seen.
    super::apply::lock_grids(tx, &base, &affected).await?;
    super::schedule::refuse_pending_for(tx, id).await?;
    // A merge's survivor (the smallest code) takes the workers of the others.
    let merge = (locked.operation == "merge").then(|| {
        let mut g = locked.grids.clone();
        g.sort();
        (g[0].clone(), g[1..].to_vec())
    });
    super::apply::apply(tx, id, &base, Assignments::Rules { merge }, actor, now).await?;
    decide(
        tx,
        Decision {
            id,
            action: "commit",
            status: "committed",
            actor,
            decided_by: Some(actor),
            now,
            effective_from: None,
            failure: None,
            bump_grids: false,
            before: json!({"status": from, "base_versions": base}),
            after: json!({"status": "committed", "affected": affected}),
        },
    )
    .await
}

/// How a commit reassigns grid workers, buildings and cameras.
#[derive(Debug, Clone)]
pub enum Assignments {
    /// By the rules: buildings and cameras by the point → grid rule; a merge's survivor takes
    /// the retired grids' workers.
    Rules { merge: Option<(String, Vec<String>)> },
    /// Undo plan `id`: the rules, then exactly what that plan moved goes back.
    Restore(i64),
}

/// Discards a draft, or cancels a scheduled plan before its time.
pub async fn discard(pool: &PgPool, id: i64, actor: i64, scope: &Scope, now: DateTime<Utc>) -> Result<Plan, PlanError> {
    let mut tx = pool.begin().await?;
    let locked = lock_plan(&mut tx, id, scope).await?;
    if !matches!(locked.status.as_str(), "draft" | "scheduled") {
        return Err(PlanError::Conflict(format!(
            "plan {id} is {}; only a draft or a scheduled plan can be discarded",
            locked.status
        )));
    }
    decide(
        &mut tx,
        Decision {
            id,
            action: "discard",
            status: "discarded",
            actor,
            decided_by: Some(actor),
            now,
            effective_from: None,
            failure: None,
            // The future partition `as_of` a later day no longer shows a cancelled plan.
            bump_grids: locked.status == "scheduled",
            before: json!({"status": locked.status}),
            after: json!({"status": "discarded"}),
        },
    )
    .await?;
    tx.commit().await?;
    get(pool, id, scope).await
}

/// A plan's row of `plan_grids` as a revert reads it: code, change, base version, name,
/// colour, colour before, village.
type OrigRow = (String, String, Option<i32>, Option<String>, i16, Option<i16>, String);
/// A grid's latest version: code, version, plan, retired, colour, name.
type GridState = (String, Option<i32>, Option<i64>, bool, i16, String);

/// Reverts a committed plan: a new committed plan restores the exact previous geometries,
/// colours, unit boundaries and assignments. 409 when later plans changed any of its grids, or
/// while a scheduled plan changes one of them (it was drafted on what the revert would undo).
pub async fn revert(pool: &PgPool, id: i64, actor: i64, scope: &Scope, now: DateTime<Utc>) -> Result<Plan, PlanError> {
    let mut tx = begin(pool).await?;
    let locked = lock_plan(&mut tx, id, scope).await?;
    if locked.status != "committed" {
        return Err(PlanError::Conflict(format!(
            "plan {id} is {}; only a committed plan can be reverted",
            locked.status
        )));
    }
    let village = locked.village_code;
    let orig: Vec<OrigRow> = sqlx::query_as(
        "select pg.grid_code, pg.change, pg.base_version, pg.name, pg.colour, pg.colour_before, g.village_code
         from plan_grids pg join grids g on g.code = pg.grid_code where pg.plan_id = $1 order by pg.grid_code",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    // Every grid must still be as the plan left it: read under their locks, like a commit.
    let codes: Vec<String> = orig.iter().map(|o| o.0.clone()).collect();
    super::apply::lock_grids(&mut tx, &BTreeMap::new(), &codes).await?;
    super::schedule::refuse_pending_for(&mut tx, id).await?;
    let state: Vec<GridState> = sqlx::query_as(
        "select g.code, v.version, v.plan_id, g.retired_at is not null, g.colour, g.name
         from grids g left join lateral (select version, plan_id from grid_versions where grid_code = g.code
                                         order by version desc limit 1) v on true
         where g.code = any($1)",
    )
    .bind(&codes)
    .fetch_all(&mut *tx)
    .await?;
    let mut later = Vec::new();
    let mut plans = Vec::new();
    let mut base = BTreeMap::new();
    for (code, change, base_version, name, _colour, colour_before, vcode) in &orig {
        let Some((_, version, plan_id, retired, colour_now, name_now)) = state.iter().find(|s| &s.0 == code) else {
            continue;
        };
        let made_by_plan = *plan_id == Some(id);
        let ok = match change.as_str() {
            "recoloured" => true,
            // A retired grid is untouched as long as it is still retired at the same version.
            "retired" => *retired && *version == *base_version,
            _ => !*retired && made_by_plan,
        };
        if !ok {
            later.push(code.clone());
            continue;
        }
        if change != "recoloured" && change != "retired" {
            base.insert(code.clone(), version.unwrap_or(0));
        }
        let previous = match base_version {
            Some(v) if change != "recoloured" && change != "created" => {
                let (g,): (wkb::Decode<geo::Geometry<f64>>,) =
                    sqlx::query_as("select geom from grid_versions where grid_code = $1 and version = $2")
                        .bind(code)
                        .bind(v)
                        .fetch_one(&mut *tx)
                        .await?;
                Some(to_shape(g.geometry)?)
            }
            _ => None,
        };
        let current = if change == "recoloured" || change == "retired" {
            None
        } else {
            let (g,): (wkb::Decode<geo::Geometry<f64>>,) =
                sqlx::query_as("select geom from current_grids where code = $1").bind(code).fetch_one(&mut *tx).await?;
            Some(to_shape(g.geometry)?)
        };
        let (kind, recolour_only) = match change.as_str() {
            "created" => (GridChangeKind::Retired, false),
            "recoloured" => (GridChangeKind::Noded, true),
            _ => (GridChangeKind::Restored, false),
        };
        plans.push(GridPlan {
            code: code.clone(),
            name: name.clone().unwrap_or_else(|| name_now.clone()),
            village_code: vcode.clone(),
            change: kind,
            recolour_only,
            base_version: *version,
            before: current,
            after: previous,
            colour_before: Some(*colour_now),
            colour: colour_before.unwrap_or(*colour_now),
        });
    }
    if !later.is_empty() {
        let current = versions(&mut tx, &later).await?;
        let grids: Vec<StaleGrid> = later
            .iter()
            .map(|c| StaleGrid {
                code: c.clone(),
                base_version: None,
                current_version: current.get(c).map(|x| x.0),
                plan_id: current.get(c).and_then(|x| x.1),
                changed_by: current.get(c).and_then(|x| x.2.clone()),
            })
            .collect();
        return Err(PlanError::Stale {
            message: format!("later plans changed {}; revert those first", later.join(", ")),
            grids,
        });
    }
    let units: Vec<(String, String, serde_json::Value)> = sqlx::query_as(
        "select pu.unit_code, a.level, pu.insertions from plan_units pu join admin_units a on a.code = pu.unit_code
         where pu.plan_id = $1 order by pu.unit_code",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    let units: Vec<UnitPlan> = units
        .into_iter()
        .map(|(code, level, ins)| Ok(UnitPlan { code, level, insertions: insertions_from_json(&ins)? }))
        .collect::<anyhow::Result<_>>()?;
    let computed =
        Computed { village: village.clone(), grids: plans, units, transfers: Vec::new(), clashes: Vec::new() };
    let worker_moves: Vec<(String, String, i64)> = sqlx::query_as(
        "select to_grid, from_grid, count(*) from plan_moves where plan_id = $1 and kind = 'worker' group by 1, 2",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    let diff = diff::compute(&mut tx, &village, &planned(&computed), &[], &computed.units, &worker_moves).await?;
    let affected: Vec<String> = computed.grids.iter().filter(|g| !g.recolour_only).map(|g| g.code.clone()).collect();
    let new_id: i64 = sqlx::query_scalar(
        "insert into plans (operation, status, village_code, grids, base_versions, affected, diff, note, author_id,
                            decided_at, decided_by, reverts)
         values ('revert', 'committed', $1, $2, $3, $2, $4, $5, $6, $7, $6, $8) returning id",
    )
    .bind(&village)
    .bind(&affected)
    .bind(serde_json::to_value(&base).context("base")?)
    .bind(serde_json::to_value(&diff).context("diff")?)
    .bind(format!("撤销规划 #{id}"))
    .bind(actor)
    .bind(now)
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    store_changes(&mut tx, new_id, &computed.grids, &[]).await?;
    // Restored boundaries are the earlier versions' own bytes (ring start and orientation too).
    sqlx::query(
        "update plan_grids pg set geom = v.geom from plan_grids o
         join grid_versions v on v.grid_code = o.grid_code and v.version = o.base_version
         where pg.plan_id = $1 and pg.change = 'restored' and o.plan_id = $2 and o.grid_code = pg.grid_code",
    )
    .bind(new_id)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    // Units lose exactly the nodes the plan put in.
    for u in &computed.units {
        sqlx::query("insert into plan_units (plan_id, unit_code, insertions) values ($1, $2, $3)")
            .bind(new_id)
            .bind(&u.code)
            .bind(json!({"remove": insertions_json(&u.insertions)}))
            .execute(&mut *tx)
            .await?;
    }
    super::apply::apply(&mut tx, new_id, &base, Assignments::Restore(id), actor, now).await?;
    sqlx::query("update plans set status = 'reverted', reverted_by = $2 where id = $1")
        .bind(id)
        .bind(new_id)
        .execute(&mut *tx)
        .await?;
    audit(
        &mut *tx,
        AuditEntry {
            user_id: actor,
            action: "revert",
            entity: "plan",
            entity_ids: vec![id.to_string(), new_id.to_string()],
            before: Some(json!({"status": "committed"})),
            after: Some(json!({"status": "reverted", "reverted_by": new_id, "restored": affected})),
        },
    )
    .await?;
    tx.commit().await?;
    get(pool, new_id, scope).await
}

/// Removes or inserts unit nodes; used by [`super::apply`].
pub(crate) fn patch_unit(shape: &mut Shape, stored: &serde_json::Value) -> anyhow::Result<bool> {
    match stored.get("remove") {
        Some(ins) => Ok(remove_nodes(shape, &insertions_from_json(ins)?)),
        None => Ok(insert_nodes(shape, &insertions_from_json(stored)?)),
    }
}
