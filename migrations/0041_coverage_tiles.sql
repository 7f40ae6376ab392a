-- Coverage tiles (restricted: admin, planner, leader; limited to the caller's county when the
-- backend's proxy passes `county`). Same conventions as 0003_tiles.sql; zoom ranges must match
-- `citygrid::tiles::LAYERS`:
--   coverage z13+ (camera sectors), coverage_buildings z14+ (footprints covered or not),
--   coverage_grids z8+ (per-grid share of covered residents, for a choropleth).

-- Camera sectors as the backend drew them (coverage_cameras), every status: the map styles
-- online, offline, maintenance and planned apart. Planned cameras are drawn last (on top).
create or replace function tiles.coverage(z integer, x integer, y integer, query_params json)
returns bytea
language plpgsql stable parallel safe
security definer set search_path = public, pg_temp
as $$
declare
    mvt bytea;
    county text := query_params ->> 'county';
begin
    if z < 13 then
        return ''::bytea;
    end if;
    select st_asmvt(t, 'coverage', 4096, 'geom') into mvt
    from (
        select s.camera_id as id, c.code, c.kind, s.status, s.heading_deg, s.fov_deg, s.range_m,
               st_asmvtgeom(st_transform(s.sector, 3857), st_tileenvelope(z, x, y), 4096, 64, true) as geom
        from coverage_cameras s
        join cameras c on c.id = s.camera_id
        where s.sector && st_transform(tiles.buffered_envelope(z, x, y), 4326)
          and (county is null or in_county(c.grid_code, county))
        order by (s.status = 'planned'), s.camera_id
        -- ~120 bytes per sector: 4,000 stay under 500 KB.
        limit 4000
    ) t
    where t.geom is not null;
    return coalesce(mvt, ''::bytea);
end
$$;

-- Building footprints with whether they are covered (0/1), without and with occlusion.
create or replace function tiles.coverage_buildings(z integer, x integer, y integer, query_params json)
returns bytea
language plpgsql stable parallel safe
security definer set search_path = public, pg_temp
as $$
declare
    mvt bytea;
    county text := query_params ->> 'county';
begin
    if z < 14 then
        return ''::bytea;
    end if;
    select st_asmvt(t, 'coverage_buildings', 4096, 'geom') into mvt
    from (
        select b.id, b.residents, (c.cameras > 0)::integer as covered,
               (c.cameras_occluded > 0)::integer as covered_occluded,
               st_asmvtgeom(b.geom_3857, st_tileenvelope(z, x, y), 4096, 16, true) as geom
        from buildings b
        join building_coverage c on c.building_id = b.id
        where b.geom_3857 && st_tileenvelope(z, x, y, margin => 16.0 / 4096.0)
          and (county is null or in_county(b.grid_code, county))
        -- Like the buildings layer: the smallest footprints go first when a tile is over the cap.
        order by st_area(b.geom_3857) desc
        limit 10000
    ) t
    where t.geom is not null;
    return coalesce(mvt, ''::bytea);
end
$$;

-- Current grids with their coverage: `share` = covered residents / residents (absent without
-- residents), also with occlusion, and the building counts.
create or replace function tiles.coverage_grids(z integer, x integer, y integer, query_params json)
returns bytea
language plpgsql stable parallel safe
security definer set search_path = public, pg_temp
as $$
declare
    mvt bytea;
    county text := query_params ->> 'county';
begin
    if z < 8 then
        return ''::bytea;
    end if;
    select st_asmvt(t, 'coverage_grids', 4096, 'geom') into mvt
    from (
        select g.code, g.name, c.buildings, c.covered_buildings, c.residents::double precision as residents,
               c.covered_residents::double precision / nullif(c.residents, 0) as share,
               c.covered_residents_occluded::double precision / nullif(c.residents, 0) as share_occluded,
               st_asmvtgeom(st_simplifypreservetopology(g.geom_3857, 2 * tiles.unit_m(z)),
                            st_tileenvelope(z, x, y), 4096, 64, true) as geom
        from current_grids g
        join coverage_grids c on c.grid_code = g.code
        where g.geom_3857 && tiles.buffered_envelope(z, x, y)
          and (county is null or in_county(g.code, county))
        limit 8000
    ) t
    where t.geom is not null;
    return coalesce(mvt, ''::bytea);
end
$$;

comment on function tiles.coverage(integer, integer, integer, json) is
    '{"description": "Camera fields of view (restricted: admin, planner, leader)"}';
comment on function tiles.coverage_buildings(integer, integer, integer, json) is
    '{"description": "Buildings covered by cameras or not (restricted: admin, planner, leader)"}';
comment on function tiles.coverage_grids(integer, integer, integer, json) is
    '{"description": "Camera coverage per grid (restricted: admin, planner, leader)"}';

revoke all on function tiles.coverage(integer, integer, integer, json) from public;
revoke all on function tiles.coverage_buildings(integer, integer, integer, json) from public;
revoke all on function tiles.coverage_grids(integer, integer, integer, json) from public;

do $$
begin
    if exists (select 1 from pg_roles where rolname = 'citygrid_tiles') then
        grant execute on function tiles.coverage(integer, integer, integer, json) to citygrid_tiles;
        grant execute on function tiles.coverage_buildings(integer, integer, integer, json) to citygrid_tiles;
        grant execute on function tiles.coverage_grids(integer, integer, integer, json) to citygrid_tiles;
    end if;
end
$$;
