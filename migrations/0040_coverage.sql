-- Camera coverage (citygrid::coverage): the `planned` camera status, and the persisted coverage
-- that tiles and summaries read. The backend computes coverage in memory and keeps these tables
-- current camera by camera (coverage::store); nothing here computes it.

-- A planned camera is not installed yet: it counts in what-if figures, never in real coverage.
alter table cameras drop constraint cameras_status_check;
alter table cameras add constraint cameras_status_check
    check (status in ('online', 'offline', 'maintenance', 'planned'));

-- Ids of cameras added through the API (never reused; see coverage::register).
create sequence camera_ids as bigint;

-- What the persisted coverage was computed with (`rule`: the rule's version, min_share and the
-- dataset's content hash). A backend that finds another value recomputes everything.
create table coverage_meta (
    key   text primary key,
    value text not null
);

-- The camera states that `building_coverage` reflects. The backend brings each row to the
-- camera's current state in one transaction with the counts it changes; `sector` is the field of
-- view drawn by the backend's sector code (for the coverage tiles and blind spots).
create table coverage_cameras (
    camera_id   bigint primary key,
    status      text not null,
    lon         double precision not null,
    lat         double precision not null,
    heading_deg double precision not null,
    fov_deg     double precision not null,
    range_m     double precision not null,
    sector      geometry(Polygon, 4326) not null
);
create index coverage_cameras_sector_idx on coverage_cameras using gist (sector);

-- Per building: how many online cameras each alone see at least min_share of its footprint,
-- without and with occlusion. Covered = at least one.
create table building_coverage (
    building_id      bigint primary key references buildings (id) on delete cascade,
    cameras          integer not null check (cameras >= 0),
    cameras_occluded integer not null check (cameras_occluded >= 0 and cameras_occluded <= cameras)
);

-- Per current grid: its coverage figures (kept equal to the aggregate of building_coverage),
-- and its blind spots, recomputed in the background when `blind_spots_dirty` moves past
-- `blind_spots_done`.
create table coverage_grids (
    grid_code                  text primary key references grids (code),
    grid_version               integer not null,
    buildings                  integer not null check (buildings >= 0),
    residents                  bigint not null check (residents >= 0),
    covered_buildings          integer not null check (covered_buildings between 0 and buildings),
    covered_residents          bigint not null check (covered_residents between 0 and residents),
    covered_buildings_occluded integer not null check (covered_buildings_occluded between 0 and covered_buildings),
    covered_residents_occluded bigint not null check (covered_residents_occluded between 0 and covered_residents),
    blind_spots                geometry(MultiPolygon, 4326),
    blind_spots_occluded       geometry(MultiPolygon, 4326),
    blind_spot_area_m2          double precision,
    blind_spot_area_occluded_m2 double precision,
    blind_spots_dirty          bigint not null default 1,
    blind_spots_done           bigint not null default 0
);
create index coverage_grids_stale_idx on coverage_grids (grid_code) where blind_spots_dirty <> blind_spots_done;

insert into layer_versions (layer) values ('coverage'), ('coverage_buildings'), ('coverage_grids')
on conflict do nothing;
