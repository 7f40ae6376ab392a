//! Camera coverage: what the cameras see of the buildings, per grid, kept current as cameras
//! change; what-if figures for cameras not yet placed; blind spots.
//!
//! - [`sector`]: the one field-of-view implementation (routing uses it too).
//! - [`occlusion`]: footprints in front shadow footprints behind.
//! - [`model`]: footprints in an R-tree, the coverage rule, per-building camera counts.
//! - [`store`]: the persisted coverage in PostGIS (tiles, summaries) and how it is kept equal to
//!   the model, camera by camera.
//! - [`register`]: adding, moving, re-aiming and removing cameras (one transaction each).
//! - [`report`]: summaries per unit and a grid's figures with its blind spots.
//! - [`suggest`]: where to add cameras (maximal covering location, lazy greedy).
//! - [`sync`]: the model follows `citygrid_changes` like the routing engine.
//!
//! [`Coverage`] is the model one backend holds: the footprints (static), which grid each
//! building is in, the cameras and the per-building counts. Every backend computes the same
//! counts from the same database; the persisted tables are written by whichever backend makes a
//! change, in the change's transaction.

pub mod model;
pub mod occlusion;
pub mod register;
pub mod report;
pub mod sector;
pub mod store;
pub mod suggest;
pub mod sync;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use anyhow::Context as _;
use sqlx::PgPool;

use model::{
    apply, compute_all, covered_sets, CameraView, Counts, Figures, Footprints, Membership, Slot, Status, Work,
};
use sector::Sector;

/// Makes the persisted coverage of a freshly loaded city current (default `min_share`), without
/// following changes afterwards: for templates that are cloned rather than served.
pub async fn prepare(pool: &PgPool) -> anyhow::Result<()> {
    Coverage::load(pool, DEFAULT_MIN_SHARE).await?.ensure_persisted(pool).await
}

/// The default `min_share`: a building is covered when one camera sees 30 % of its footprint.
pub const DEFAULT_MIN_SHARE: f64 = 0.3;
/// The most camera changes one what-if may carry.
pub const MAX_WHAT_IF_CHANGES: usize = 50;

struct Live {
    footprints: Arc<Footprints>,
    membership: Arc<Membership>,
    cameras: HashMap<i64, CameraView>,
    counts: Vec<Counts>,
}

/// The coverage model of one backend (see the module docs).
pub struct Coverage {
    min_share: f64,
    live: RwLock<Live>,
    /// Serialises camera updates of the model (read, compute, apply).
    updating: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Coverage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let live = self.read();
        f.debug_struct("Coverage")
            .field("min_share", &self.min_share)
            .field("buildings", &live.footprints.len())
            .field("cameras", &live.cameras.len())
            .finish_non_exhaustive()
    }
}

/// One camera change in a what-if: an existing camera (`id`) moved or re-aimed, or a new one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Change {
    pub id: Option<i64>,
    pub sector: Sector,
    /// Default: the camera's own status, `planned` for a new camera.
    pub status: Option<Status>,
}

/// Figures of an area: real (online cameras), with planned cameras, and after the changes.
#[derive(Debug, Clone, PartialEq)]
pub struct WhatIf {
    pub current: Figures,
    pub baseline: Figures,
    pub after: Figures,
    /// Buildings of the area covered after the changes and not before (ids), and the reverse.
    pub newly_covered: Vec<i64>,
    pub no_longer_covered: Vec<i64>,
}

/// Why a what-if cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WhatIfError {
    #[error("changes[{index}]: no camera with id {id}")]
    UnknownCamera { index: usize, id: i64 },
    #[error("changes[{index}]: camera {id} is already changed by an earlier entry")]
    DuplicateCamera { index: usize, id: i64 },
}

impl Coverage {
    /// Loads footprints, grids and cameras from PostGIS and computes every count.
    pub async fn load(pool: &PgPool, min_share: f64) -> anyhow::Result<Coverage> {
        let footprints = Arc::new(store::load_footprints(pool).await?);
        let membership = Arc::new(store::load_membership(pool, &footprints).await?);
        let cameras = store::load_cameras(pool, None).await?;
        let fp = Arc::clone(&footprints);
        let (cameras, counts) = tokio::task::spawn_blocking(move || {
            let counts = compute_all(&fp, &cameras, min_share);
            (cameras, counts)
        })
        .await
        .context("computing coverage")?;
        let cameras = cameras.into_iter().map(|c| (c.id, c)).collect();
        Ok(Coverage {
            min_share,
            live: RwLock::new(Live { footprints, membership, cameras, counts }),
            updating: tokio::sync::Mutex::new(()),
        })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Live> {
        self.live.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Live> {
        self.live.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The share of a footprint one camera must see for the building to count as covered.
    #[must_use]
    pub fn min_share(&self) -> f64 {
        self.min_share
    }

    #[must_use]
    pub fn footprints(&self) -> Arc<Footprints> {
        Arc::clone(&self.read().footprints)
    }

    #[must_use]
    pub fn membership(&self) -> Arc<Membership> {
        Arc::clone(&self.read().membership)
    }

    /// The model's view of a camera.
    #[must_use]
    pub fn camera(&self, id: i64) -> Option<CameraView> {
        self.read().cameras.get(&id).copied()
    }

    /// Every camera the model holds, by id.
    #[must_use]
    pub fn cameras(&self) -> Vec<CameraView> {
        let mut v: Vec<CameraView> = self.read().cameras.values().copied().collect();
        v.sort_by_key(|c| c.id);
        v
    }

    /// A copy of the per-building counts (positions as in [`Coverage::footprints`]).
    #[must_use]
    pub fn counts(&self) -> Vec<Counts> {
        self.read().counts.clone()
    }

    /// The counts computed from scratch for the cameras the model holds now.
    #[must_use]
    pub fn recompute(&self) -> Vec<Counts> {
        let (fp, cams) = {
            let live = self.read();
            (Arc::clone(&live.footprints), live.cameras.values().copied().collect::<Vec<_>>())
        };
        compute_all(&fp, &cams, self.min_share)
    }

    /// Re-reads these cameras (all for `None`) from PostGIS and applies what changed; returns
    /// how many cameras changed.
    pub async fn follow_cameras(&self, pool: &PgPool, ids: Option<&[i64]>) -> anyhow::Result<usize> {
        let _guard = self.updating.lock().await;
        let fresh = store::load_cameras(pool, ids).await?;
        let (fp, changes) = {
            let live = self.read();
            let mut changes: Vec<(Option<CameraView>, Option<CameraView>)> = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for cam in &fresh {
                seen.insert(cam.id);
                let old = live.cameras.get(&cam.id).copied();
                if old != Some(*cam) {
                    changes.push((old, Some(*cam)));
                }
            }
            let gone: Vec<i64> = match ids {
                Some(ids) => ids.iter().copied().filter(|id| !seen.contains(id)).collect(),
                None => live.cameras.keys().copied().filter(|id| !seen.contains(id)).collect(),
            };
            for id in gone {
                if let Some(old) = live.cameras.get(&id) {
                    changes.push((Some(*old), None));
                }
            }
            (Arc::clone(&live.footprints), changes)
        };
        if changes.is_empty() {
            return Ok(0);
        }
        let min_share = self.min_share;
        let computed = tokio::task::spawn_blocking(move || {
            let mut work = Work::default();
            changes
                .into_iter()
                .map(|(old, new)| {
                    let sets =
                        |c: Option<CameraView>, work: &mut Work| c.map(|c| covered_sets(&fp, &c, min_share, work));
                    let old_sets = sets(old, &mut work);
                    let new_sets = sets(new, &mut work);
                    (old, old_sets, new, new_sets)
                })
                .collect::<Vec<_>>()
        })
        .await
        .context("computing camera changes")?;
        let n = computed.len();
        let mut live = self.write();
        for (old, old_sets, new, new_sets) in computed {
            for (cam, sets, sign) in [(old, old_sets, -1), (new, new_sets, 1)] {
                if let (Some(cam), Some(sets)) = (cam, sets) {
                    if let (Some(a), Some(b)) = (Slot::of(cam.status, false), Slot::of(cam.status, true)) {
                        apply(&mut live.counts, a, &sets.open, b, &sets.occluded, sign);
                    }
                }
            }
            match (old, new) {
                (_, Some(c)) => live.cameras.insert(c.id, c),
                (Some(c), None) => live.cameras.remove(&c.id),
                (None, None) => None,
            };
        }
        Ok(n)
    }

    /// Re-reads which grid each building is in (after a boundary plan).
    pub async fn reload_membership(&self, pool: &PgPool) -> anyhow::Result<()> {
        let fp = self.footprints();
        let membership = Arc::new(store::load_membership(pool, &fp).await?);
        self.write().membership = membership;
        Ok(())
    }

    /// Makes the persisted coverage current: everything from scratch when it was computed with
    /// another rule, `min_share` or dataset; then every camera and grid still out of step.
    pub async fn ensure_persisted(&self, pool: &PgPool) -> anyhow::Result<()> {
        let key = store::rule_key(pool, self.min_share).await?;
        if store::persisted_key(pool).await?.as_deref() != Some(key.as_str()) {
            let (fp, cams, counts) = {
                let live = self.read();
                let mut cams: Vec<CameraView> = live.cameras.values().copied().collect();
                cams.sort_by_key(|c| c.id);
                (Arc::clone(&live.footprints), cams, live.counts.clone())
            };
            if store::persist_all(pool, &key, &cams, &counts, &fp).await? {
                tracing::info!(buildings = fp.len(), cameras = cams.len(), "persisted coverage recomputed");
            }
        }
        self.reconcile_out_of_step(pool).await
    }

    /// Reconciles every camera and grid whose persisted coverage is out of step (an edit made
    /// in SQL, a boundary plan committed without calling [`store::refresh_grids`]).
    pub async fn reconcile_out_of_step(&self, pool: &PgPool) -> anyhow::Result<()> {
        let fp = self.footprints();
        for id in store::cameras_out_of_step(pool).await? {
            let mut tx = pool.begin().await?;
            store::reconcile_camera(&mut tx, &fp, self.min_share, id).await?;
            tx.commit().await?;
        }
        let grids = store::grids_out_of_step(pool).await?;
        if !grids.is_empty() {
            let mut tx = pool.begin().await?;
            store::refresh_grids(&mut tx, Some(&grids)).await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Figures of the buildings in the grids under `prefix` (a grid, village, township or county
    /// code; `""` for the city), counting online cameras (and planned ones when `planned`).
    #[must_use]
    pub fn figures(&self, prefix: &str, occlusion: bool, planned: bool) -> Figures {
        let live = self.read();
        let (on, pl) = slots(occlusion);
        let mut f = Figures::default();
        for b in live.membership.buildings_under(prefix) {
            let c = live.counts[b as usize];
            let n = c[on] + if planned { c[pl] } else { 0 };
            f.add(live.footprints.residents[b as usize], n > 0);
        }
        f
    }

    /// The figures of the area under `prefix` as if `changes` were applied (nothing is written).
    pub fn what_if(&self, prefix: &str, occlusion: bool, changes: &[Change]) -> Result<WhatIf, WhatIfError> {
        let live = self.read();
        let fp = &live.footprints;
        let mut work = Work::default();
        let mut delta: HashMap<u32, i64> = HashMap::new();
        let mut ids = std::collections::HashSet::new();
        for (index, ch) in changes.iter().enumerate() {
            let old = match ch.id {
                Some(id) if !ids.insert(id) => return Err(WhatIfError::DuplicateCamera { index, id }),
                Some(id) => Some(*live.cameras.get(&id).ok_or(WhatIfError::UnknownCamera { index, id })?),
                None => None,
            };
            let status = ch.status.or(old.map(|o| o.status)).unwrap_or(Status::Planned);
            let new = CameraView { id: ch.id.unwrap_or(0), sector: ch.sector, status };
            for (cam, sign) in [(old, -1), (Some(new), 1)] {
                let Some(cam) = cam.filter(|c| Slot::of(c.status, occlusion).is_some()) else { continue };
                for b in fp.covered(&cam.sector, occlusion, self.min_share, &mut work) {
                    *delta.entry(b).or_default() += sign;
                }
            }
        }
        let (on, pl) = slots(occlusion);
        let mut out = WhatIf {
            current: Figures::default(),
            baseline: Figures::default(),
            after: Figures::default(),
            newly_covered: Vec::new(),
            no_longer_covered: Vec::new(),
        };
        for b in live.membership.buildings_under(prefix) {
            let c = live.counts[b as usize];
            let residents = fp.residents[b as usize];
            let base = i64::from(c[on]) + i64::from(c[pl]);
            let after = base + delta.get(&b).copied().unwrap_or(0);
            out.current.add(residents, c[on] > 0);
            out.baseline.add(residents, base > 0);
            out.after.add(residents, after > 0);
            if after > 0 && base == 0 {
                out.newly_covered.push(fp.ids[b as usize]);
            } else if after <= 0 && base > 0 {
                out.no_longer_covered.push(fp.ids[b as usize]);
            }
        }
        Ok(out)
    }
}

/// The (online, planned) count slots for a mode.
fn slots(occlusion: bool) -> (usize, usize) {
    if occlusion {
        (Slot::OnlineOccluded as usize, Slot::PlannedOccluded as usize)
    } else {
        (Slot::OnlineOpen as usize, Slot::PlannedOpen as usize)
    }
}
