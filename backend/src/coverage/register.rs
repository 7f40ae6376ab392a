//! The camera register: adding, moving, re-aiming, re-statusing and removing cameras.
//!
//! Every edit is one transaction: the validated camera row (its grid by the point → grid rule,
//! which also means "inside the city"), the audit row, the persisted coverage it changes
//! ([`store::reconcile_camera`]) and the layer versions. After the commit the local model applies
//! it at once; other backends (and routing's camera index) follow the `cameras` notification.
//! Edits are limited to the user's scope: the camera's grid, before and after, must be in it.

use anyhow::Context as _;
use chrono::NaiveDate;
use citygrid_api::{CameraCreate, CameraPatch, CAMERA_KINDS, CAMERA_OWNERS};
use serde_json::json;
use sqlx::{PgConnection, PgPool};

use super::model::Status;
use super::sector::Sector;
use super::store::{self, Reconciled};
use super::Coverage;
use crate::accounts::{audit, AuditEntry};
use crate::routing::grid_index::POSTGIS_LOCATE;
use crate::scope::{OutsideScope, Scope};
use crate::tiles::follow::bump;

/// Serialises the allocation of camera ids.
const LOCK_CAMERA_IDS: i64 = 7_320_800_041;
/// The longest camera code.
pub const MAX_CODE_LEN: usize = 40;

/// Why a camera edit was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegisterError {
    /// A field's value cannot be accepted; `field` names it.
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("no camera with id {0}")]
    NotFound(i64),
    /// The position is in no grid.
    #[error("{field}: point ({lon}, {lat}) is outside every grid of the city")]
    OutsideCity { field: String, lon: f64, lat: f64 },
    #[error(transparent)]
    OutsideScope(#[from] OutsideScope),
    #[error("a camera with code {0:?} exists already")]
    CodeTaken(String),
    #[error(transparent)]
    Db(#[from] anyhow::Error),
}

impl From<sqlx::Error> for RegisterError {
    fn from(e: sqlx::Error) -> Self {
        RegisterError::Db(e.into())
    }
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> RegisterError {
    RegisterError::Invalid { field: field.into(), message: message.into() }
}

/// Checks a position; `prefix` is prepended to field names (`cameras[2].`).
pub fn check_position(prefix: &str, lon: f64, lat: f64) -> Result<(), RegisterError> {
    if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
        return Err(invalid(format!("{prefix}lon"), format!("{prefix}lon {lon} must be a longitude in [-180, 180]")));
    }
    if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
        return Err(invalid(format!("{prefix}lat"), format!("{prefix}lat {lat} must be a latitude in [-90, 90]")));
    }
    Ok(())
}

/// Checks a field of view against the bounds the database enforces.
pub fn check_view(prefix: &str, heading_deg: f64, fov_deg: f64, range_m: f64) -> Result<(), RegisterError> {
    if !heading_deg.is_finite() || !(0.0..360.0).contains(&heading_deg) {
        return Err(invalid(
            format!("{prefix}heading_deg"),
            format!("{prefix}heading_deg {heading_deg} must be at least 0 and below 360 (0 = north, clockwise)"),
        ));
    }
    if !fov_deg.is_finite() || fov_deg <= 0.0 || fov_deg > 360.0 {
        return Err(invalid(
            format!("{prefix}fov_deg"),
            format!("{prefix}fov_deg {fov_deg} must be above 0 and at most 360"),
        ));
    }
    if !range_m.is_finite() || range_m <= 0.0 || range_m > 1000.0 {
        return Err(invalid(
            format!("{prefix}range_m"),
            format!("{prefix}range_m {range_m} must be above 0 and at most 1000 (metres)"),
        ));
    }
    Ok(())
}

/// Parses a status name.
pub fn parse_status(field: &str, s: &str) -> Result<Status, RegisterError> {
    Status::parse(s).ok_or_else(|| {
        let known: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
        invalid(field, format!("{field} {s:?} is not a camera status; use one of {}", known.join(", ")))
    })
}

fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<(), RegisterError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(invalid(field, format!("{field} {value:?} is not allowed; use one of {}", allowed.join(", "))))
    }
}

/// A camera to add, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCamera {
    /// Empty: `PLAN-<id>` (planned cameras added from suggestions).
    pub code: String,
    pub kind: String,
    pub owner: String,
    pub sector: Sector,
    pub status: Status,
    pub installed_on: NaiveDate,
}

impl NewCamera {
    /// Validates a request; `prefix` names the element in a batch (`cameras[3].`), `today` is
    /// the default installation date.
    pub fn parse(prefix: &str, req: &CameraCreate, today: NaiveDate) -> Result<NewCamera, RegisterError> {
        let code = req.code.trim();
        if code.is_empty()
            || code.len() > MAX_CODE_LEN
            || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(invalid(
                format!("{prefix}code"),
                format!("{prefix}code {:?}: 1–{MAX_CODE_LEN} letters, digits, '-' or '_'", req.code),
            ));
        }
        one_of(&format!("{prefix}kind"), &req.kind, &CAMERA_KINDS)?;
        one_of(&format!("{prefix}owner"), &req.owner, &CAMERA_OWNERS)?;
        check_position(prefix, req.lon, req.lat)?;
        check_view(prefix, req.heading_deg, req.fov_deg, req.range_m)?;
        let status = parse_status(&format!("{prefix}status"), &req.status)?;
        let installed_on = match &req.installed_on {
            None => today,
            Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
                invalid(
                    format!("{prefix}installed_on"),
                    format!("{prefix}installed_on {s:?} must be a date YYYY-MM-DD"),
                )
            })?,
        };
        Ok(NewCamera {
            code: code.to_owned(),
            kind: req.kind.clone(),
            owner: req.owner.clone(),
            sector: Sector {
                lon: req.lon,
                lat: req.lat,
                heading_deg: req.heading_deg,
                fov_deg: req.fov_deg,
                range_m: req.range_m,
            },
            status,
            installed_on,
        })
    }
}

/// The grid holding a point (the point → grid rule), in the transaction.
async fn grid_at(conn: &mut PgConnection, field: &str, lon: f64, lat: f64) -> Result<String, RegisterError> {
    let grid: Option<String> =
        sqlx::query_scalar(POSTGIS_LOCATE).bind(lon).bind(lat).fetch_optional(&mut *conn).await?;
    grid.ok_or_else(|| RegisterError::OutsideCity { field: field.to_owned(), lon, lat })
}

fn merge(into: &mut Reconciled, r: Reconciled) {
    into.changed |= r.changed;
    into.newly_covered += r.newly_covered;
    into.no_longer_covered += r.no_longer_covered;
    into.grids.extend(r.grids);
    into.grids.sort_unstable();
    into.grids.dedup();
}

/// Adds cameras in one transaction (one audit row); returns their ids, in order, and what they
/// changed in the coverage.
pub async fn create(
    pool: &PgPool,
    cov: &Coverage,
    scope: &Scope,
    user_id: i64,
    cameras: &[NewCamera],
) -> Result<(Vec<i64>, Reconciled), RegisterError> {
    let fp = cov.footprints();
    let mut tx = pool.begin().await?;
    sqlx::query("select pg_advisory_xact_lock($1)").bind(LOCK_CAMERA_IDS).execute(&mut *tx).await?;
    // Ids are never reused: `camera_ids` remembers the highest one ever given (the loader's
    // cameras have explicit ids, so the maximum in the table counts too).
    let mut next: i64 = sqlx::query_scalar(
        "select greatest(coalesce(max(id), 0), (select last_value from camera_ids)) + 1 from cameras",
    )
    .fetch_one(&mut *tx)
    .await?;
    let mut ids = Vec::with_capacity(cameras.len());
    let mut effect = Reconciled::default();
    let prefix = |i: usize| if cameras.len() > 1 { format!("cameras[{i}].") } else { String::new() };
    if cameras.is_empty() {
        return Err(invalid("cameras", "no camera to add"));
    }
    let mut codes = Vec::with_capacity(cameras.len());
    for (i, c) in cameras.iter().enumerate() {
        let field = format!("{}lon", prefix(i));
        let code = if c.code.is_empty() { format!("PLAN-{next}") } else { c.code.clone() };
        let grid = grid_at(&mut tx, &field, c.sector.lon, c.sector.lat).await?;
        scope.check(&grid, || format!("point ({}, {})", c.sector.lon, c.sector.lat)).map_err(|e| e.field(field))?;
        let inserted: Option<i64> = sqlx::query_scalar(
            "insert into cameras (id, code, grid_code, kind, owner, status, heading_deg, fov_deg, range_m, installed_on, geom)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, st_setsrid(st_makepoint($11, $12), 4326))
             on conflict (code) do nothing returning id",
        )
        .bind(next)
        .bind(&code)
        .bind(&grid)
        .bind(&c.kind)
        .bind(&c.owner)
        .bind(c.status.as_str())
        .bind(c.sector.heading_deg)
        .bind(c.sector.fov_deg)
        .bind(c.sector.range_m)
        .bind(c.installed_on)
        .bind(c.sector.lon)
        .bind(c.sector.lat)
        .fetch_optional(&mut *tx)
        .await?;
        let id = inserted.ok_or_else(|| RegisterError::CodeTaken(code.clone()))?;
        ids.push(id);
        codes.push(code);
        next += 1;
        merge(&mut effect, store::reconcile_camera(&mut tx, &fp, cov.min_share(), id).await?);
    }
    sqlx::query("select setval('camera_ids', $1)").bind(next - 1).execute(&mut *tx).await?;
    let after: Vec<serde_json::Value> =
        cameras.iter().zip(ids.iter().zip(&codes)).map(|(c, (id, code))| camera_json(*id, code, c)).collect();
    audit(
        &mut *tx,
        AuditEntry {
            user_id,
            action: "camera.create",
            entity: "camera",
            entity_ids: ids.iter().map(ToString::to_string).collect(),
            before: None,
            after: Some(json!(after)),
        },
    )
    .await?;
    bump(&mut *tx, &["cameras"]).await.context("bumping the cameras layer")?;
    tx.commit().await?;
    cov.follow_cameras(pool, Some(&ids)).await?;
    Ok((ids, effect))
}

fn camera_json(id: i64, code: &str, c: &NewCamera) -> serde_json::Value {
    json!({
        "id": id, "code": code, "kind": c.kind, "owner": c.owner, "status": c.status.as_str(),
        "lon": c.sector.lon, "lat": c.sector.lat, "heading_deg": c.sector.heading_deg,
        "fov_deg": c.sector.fov_deg, "range_m": c.sector.range_m, "installed_on": c.installed_on.to_string(),
    })
}

/// A camera's editable state, as stored.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Stored {
    sector: Sector,
    status: Status,
}

impl Stored {
    fn json(&self, grid: &str) -> serde_json::Value {
        let s = self.sector;
        json!({"status": self.status.as_str(), "lon": s.lon, "lat": s.lat, "heading_deg": s.heading_deg,
               "fov_deg": s.fov_deg, "range_m": s.range_m, "grid_code": grid})
    }
}

/// Locks camera `id` and reads it.
async fn lock_camera(conn: &mut PgConnection, id: i64) -> Result<(Stored, String), RegisterError> {
    let row: Option<(String, f64, f64, f64, f64, f64, String)> = sqlx::query_as(
        "select status, st_x(geom), st_y(geom), heading_deg, fov_deg, range_m, grid_code from cameras where id = $1 for update",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let (status, lon, lat, heading_deg, fov_deg, range_m, grid) = row.ok_or(RegisterError::NotFound(id))?;
    let status = Status::parse(&status).with_context(|| format!("camera {id} has status {status:?}"))?;
    Ok((Stored { sector: Sector { lon, lat, heading_deg, fov_deg, range_m }, status }, grid))
}

/// Moves, re-aims or re-statuses camera `id`; returns what it changed in the coverage.
pub async fn update(
    pool: &PgPool,
    cov: &Coverage,
    scope: &Scope,
    user_id: i64,
    id: i64,
    patch: &CameraPatch,
) -> Result<Reconciled, RegisterError> {
    // Each field on its own first, so the message names the one at fault.
    if let Some(lon) = patch.lon {
        check_position("", lon, 0.0)?;
    }
    if let Some(lat) = patch.lat {
        check_position("", 0.0, lat)?;
    }
    if let Some(h) = patch.heading_deg {
        check_view("", h, 90.0, 10.0)?;
    }
    if let Some(f) = patch.fov_deg {
        check_view("", 0.0, f, 10.0)?;
    }
    if let Some(r) = patch.range_m {
        check_view("", 0.0, 90.0, r)?;
    }
    let status = patch.status.as_deref().map(|s| parse_status("status", s)).transpose()?;
    if patch == &CameraPatch::default() {
        return Err(invalid("body", "give at least one of lon, lat, heading_deg, fov_deg, range_m, status"));
    }

    let fp = cov.footprints();
    let mut tx = pool.begin().await?;
    let (old, old_grid) = lock_camera(&mut tx, id).await?;
    scope.check(&old_grid, || format!("camera {id}"))?;
    let s = old.sector;
    let new = Stored {
        sector: Sector {
            lon: patch.lon.unwrap_or(s.lon),
            lat: patch.lat.unwrap_or(s.lat),
            heading_deg: patch.heading_deg.unwrap_or(s.heading_deg),
            fov_deg: patch.fov_deg.unwrap_or(s.fov_deg),
            range_m: patch.range_m.unwrap_or(s.range_m),
        },
        status: status.unwrap_or(old.status),
    };
    // Exact: any change of position (even the last bit) re-locates the camera.
    let moved = new.sector.lon.to_bits() != s.lon.to_bits() || new.sector.lat.to_bits() != s.lat.to_bits();
    let grid = if moved {
        let field = if patch.lon.is_some() { "lon" } else { "lat" };
        let g = grid_at(&mut tx, field, new.sector.lon, new.sector.lat).await?;
        scope.check(&g, || format!("point ({}, {})", new.sector.lon, new.sector.lat)).map_err(|e| e.field(field))?;
        g
    } else {
        old_grid.clone()
    };
    let n = new.sector;
    sqlx::query(
        "update cameras set status = $2, heading_deg = $3, fov_deg = $4, range_m = $5, grid_code = $6,
                geom = st_setsrid(st_makepoint($7, $8), 4326)
         where id = $1",
    )
    .bind(id)
    .bind(new.status.as_str())
    .bind(n.heading_deg)
    .bind(n.fov_deg)
    .bind(n.range_m)
    .bind(&grid)
    .bind(n.lon)
    .bind(n.lat)
    .execute(&mut *tx)
    .await?;
    audit(
        &mut *tx,
        AuditEntry {
            user_id,
            action: "camera.update",
            entity: "camera",
            entity_ids: vec![id.to_string()],
            before: Some(old.json(&old_grid)),
            after: Some(new.json(&grid)),
        },
    )
    .await?;
    let effect = store::reconcile_camera(&mut tx, &fp, cov.min_share(), id).await?;
    bump(&mut *tx, &["cameras"]).await.context("bumping the cameras layer")?;
    tx.commit().await?;
    cov.follow_cameras(pool, Some(&[id])).await?;
    Ok(effect)
}

/// Removes camera `id`; returns what it changed in the coverage.
pub async fn delete(
    pool: &PgPool,
    cov: &Coverage,
    scope: &Scope,
    user_id: i64,
    id: i64,
) -> Result<Reconciled, RegisterError> {
    let fp = cov.footprints();
    let mut tx = pool.begin().await?;
    let (old, grid) = lock_camera(&mut tx, id).await?;
    scope.check(&grid, || format!("camera {id}"))?;
    sqlx::query("delete from cameras where id = $1").bind(id).execute(&mut *tx).await?;
    audit(
        &mut *tx,
        AuditEntry {
            user_id,
            action: "camera.delete",
            entity: "camera",
            entity_ids: vec![id.to_string()],
            before: Some(old.json(&grid)),
            after: None,
        },
    )
    .await?;
    let effect = store::reconcile_camera(&mut tx, &fp, cov.min_share(), id).await?;
    bump(&mut *tx, &["cameras"]).await.context("bumping the cameras layer")?;
    tx.commit().await?;
    cov.follow_cameras(pool, Some(&[id])).await?;
    Ok(effect)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> CameraCreate {
        CameraCreate {
            code: "T-1".into(),
            kind: "bullet".into(),
            owner: "community".into(),
            lon: 119.0,
            lat: 33.5,
            heading_deg: 10.0,
            fov_deg: 60.0,
            range_m: 80.0,
            status: "planned".into(),
            installed_on: None,
        }
    }

    fn field_of(e: RegisterError) -> String {
        match e {
            RegisterError::Invalid { field, .. } => field,
            other => panic!("not a field error: {other}"),
        }
    }

    #[test]
    fn bad_input_names_the_field() {
        let today = NaiveDate::from_ymd_opt(2026, 5, 1).expect("date");
        let ok = NewCamera::parse("", &req(), today).expect("valid");
        assert_eq!(ok.installed_on, today);
        assert_eq!(ok.status, Status::Planned);
        for (bad, field) in [
            (CameraCreate { heading_deg: 360.0, ..req() }, "heading_deg"),
            (CameraCreate { heading_deg: 400.0, ..req() }, "heading_deg"),
            (CameraCreate { heading_deg: -1.0, ..req() }, "heading_deg"),
            (CameraCreate { fov_deg: 0.0, ..req() }, "fov_deg"),
            (CameraCreate { fov_deg: 361.0, ..req() }, "fov_deg"),
            (CameraCreate { range_m: 5000.0, ..req() }, "range_m"),
            (CameraCreate { range_m: 0.0, ..req() }, "range_m"),
            (CameraCreate { range_m: f64::NAN, ..req() }, "range_m"),
            (CameraCreate { lon: 200.0, ..req() }, "lon"),
            (CameraCreate { lat: -91.0, ..req() }, "lat"),
            (CameraCreate { kind: "drone".into(), ..req() }, "kind"),
            (CameraCreate { owner: "me".into(), ..req() }, "owner"),
            (CameraCreate { status: "broken".into(), ..req() }, "status"),
            (CameraCreate { code: String::new(), ..req() }, "code"),
            (CameraCreate { code: "a b".into(), ..req() }, "code"),
            (CameraCreate { installed_on: Some("yesterday".into()), ..req() }, "installed_on"),
        ] {
            assert_eq!(field_of(NewCamera::parse("", &bad, today).expect_err(field)), field);
        }
        let e = NewCamera::parse("cameras[2].", &CameraCreate { fov_deg: 0.0, ..req() }, today).expect_err("fov");
        assert_eq!(field_of(e), "cameras[2].fov_deg");
        // The edges of the bounds are allowed.
        for good in [
            CameraCreate { heading_deg: 0.0, fov_deg: 360.0, range_m: 1000.0, ..req() },
            CameraCreate { heading_deg: 359.9, fov_deg: 0.1, range_m: 0.5, ..req() },
        ] {
            assert!(NewCamera::parse("", &good, today).is_ok());
        }
    }
}
