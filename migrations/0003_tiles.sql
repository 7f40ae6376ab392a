-- Vector tiles: one martin function source per map layer, in schema `tiles`.
--
-- Every function has martin's signature `(z integer, x integer, y integer, query_params json)
-- returns bytea` and answers one Mapbox Vector Tile whose single layer is named after the map
-- layer. Outside a layer's zoom range the tile is empty (zero bytes; martin answers 204).
--
-- Zoom ranges (must match `citygrid::tiles::LAYERS`):
--   counties z0+, townships z9+, villages z11+, grids z11+, cameras z13+, buildings z14+,
--   incidents z15+.
--
-- Size budget: no tile above 500 KB on the full demo city (~1M buildings, 5,565 grids).
-- Polygons are simplified to a fraction of a screen pixel before ST_AsMVTGeom quantises them to
-- the 4096 grid; dense layers are capped per tile.
--
-- Admin units and grids carry one extra Point feature each: the label anchor.
-- Attributes are public by construction: no person names, no phone numbers, no incident text.
-- The functions are SECURITY DEFINER (owned by the migrating role), so the read-only martin role
-- `citygrid_tiles` needs EXECUTE on them and nothing else: it cannot read any table directly.

create schema if not exists tiles;

-- Size of one tile-extent unit (1/4096 of the tile width) in EPSG:3857 metres at zoom z.
create or replace function tiles.unit_m(z integer) returns double precision
language sql immutable parallel safe
as $$ select 40075016.685578488 / (4096.0 * power(2.0, z)) $$;

-- The tile envelope with martin's/ST_AsMVTGeom's 64-unit buffer, for `&&` filters.
create or replace function tiles.buffered_envelope(z integer, x integer, y integer) returns geometry
language sql immutable parallel safe
as $$ select st_tileenvelope(z, x, y, margin => 64.0 / 4096.0) $$;

-- Administrative units of one level: each unit's boundary polygon, plus its label point (a
-- Point feature with the same attributes) so that a name is drawn once, not once per tile.
create or replace function tiles.admin_level(lvl text, layer text, z integer, x integer, y integer)
returns bytea
language sql stable parallel safe
security definer set search_path = public, pg_temp
as $$
    with units as (
        select a.code, a.name, a.name_en, a.geom_3857, a.label_point
        from admin_units a
        where a.level = lvl
          and a.geom_3857 && tiles.buffered_envelope(z, x, y)
    )
    select coalesce(st_asmvt(t, layer, 4096, 'geom'), ''::bytea)
    from (
        select u.code, u.name, u.name_en,
               st_asmvtgeom(st_simplifypreservetopology(u.geom_3857, 2 * tiles.unit_m(z)),
                            st_tileenvelope(z, x, y), 4096, 64, true) as geom
        from units u
        union all
        select u.code, u.name, u.name_en,
               st_asmvtgeom(st_transform(u.label_point, 3857), st_tileenvelope(z, x, y), 4096, 0, true)
        from units u
    ) t
    where t.geom is not null
$$;

create or replace function tiles.counties(z integer, x integer, y integer, query_params json)
returns bytea
language sql stable parallel safe
security definer set search_path = public, pg_temp
as $$ select tiles.admin_level('county', 'counties', z, x, y) $$;

create or replace function tiles.townships(z integer, x integer, y integer, query_params json)
returns bytea
language sql stable parallel safe
security definer set search_path = public, pg_temp
as $$
    select case when z < 9 then ''::bytea
                else tiles.admin_level('township', 'townships', z, x, y) end
$$;

create or replace function tiles.villages(z integer, x integer, y integer, query_params json)
returns bytea
language sql stable parallel safe
security definer set search_path = public, pg_temp
as $$
    select case when z < 11 then ''::bytea
                else tiles.admin_level('village', 'villages', z, x, y) end
$$;

create or replace function tiles.grids(z integer, x integer, y integer, query_params json)
returns bytea
language plpgsql stable parallel safe
security definer set search_path = public, pg_temp
as $$
declare
    mvt bytea;
begin
    if z < 11 then
        return ''::bytea;
    end if;
    -- From z14 each grid also gets a label point (a Point feature, same attributes).
    with cells as (
        select g.code, g.name, g.village_code, g.colour::integer as colour, g.version, g.geom_3857
        from current_grids g
        where g.geom_3857 && tiles.buffered_envelope(z, x, y)
        limit 8000
    )
    select st_asmvt(t, 'grids', 4096, 'geom') into mvt
    from (
        select c.code, c.name, c.village_code, c.colour, c.version,
               st_asmvtgeom(st_simplifypreservetopology(c.geom_3857, 2 * tiles.unit_m(z)),
                            st_tileenvelope(z, x, y), 4096, 64, true) as geom
        from cells c
        union all
        select c.code, c.name, c.village_code, c.colour, c.version,
               st_asmvtgeom(st_pointonsurface(c.geom_3857), st_tileenvelope(z, x, y), 4096, 0, true)
        from cells c
        where z >= 14
    ) t
    where t.geom is not null;
    return coalesce(mvt, ''::bytea);
end
$$;

create or replace function tiles.buildings(z integer, x integer, y integer, query_params json)
returns bytea
language plpgsql stable parallel safe
security definer set search_path = public, pg_temp
as $$
declare
    mvt bytea;
begin
    if z < 14 then
        return ''::bytea;
    end if;
    select st_asmvt(t, 'buildings', 4096, 'geom') into mvt
    from (
        select b.id, b.kind, b.floors::integer as floors, b.grid_code,
               st_asmvtgeom(b.geom_3857, st_tileenvelope(z, x, y), 4096, 16, true) as geom
        from buildings b
        where b.geom_3857 && st_tileenvelope(z, x, y, margin => 16.0 / 4096.0)
        -- ~40 bytes per building: 12,000 keeps the densest z14 tile under 500 KB. When a tile
        -- is over the cap the smallest footprints (a pixel or two at z14) are left out.
        order by st_area(b.geom_3857) desc
        limit 12000
    ) t
    where t.geom is not null;
    return coalesce(mvt, ''::bytea);
end
$$;

create or replace function tiles.cameras(z integer, x integer, y integer, query_params json)
returns bytea
language plpgsql stable parallel safe
security definer set search_path = public, pg_temp
as $$
declare
    mvt bytea;
begin
    if z < 13 then
        return ''::bytea;
    end if;
    select st_asmvt(t, 'cameras', 4096, 'geom') into mvt
    from (
        select c.id, c.code, c.kind, c.status, c.heading_deg, c.fov_deg, c.range_m,
               st_asmvtgeom(st_transform(c.geom, 3857), st_tileenvelope(z, x, y), 4096, 64, true)
                   as geom
        from cameras c
        where c.geom && st_transform(tiles.buffered_envelope(z, x, y), 4326)
        -- ~52 bytes per camera: 8,000 stay under 500 KB.
        limit 8000
    ) t
    where t.geom is not null;
    return coalesce(mvt, ''::bytea);
end
$$;

create or replace function tiles.incidents(z integer, x integer, y integer, query_params json)
returns bytea
language plpgsql stable parallel safe
security definer set search_path = public, pg_temp
as $$
declare
    mvt bytea;
begin
    if z < 15 then
        return ''::bytea;
    end if;
    -- The most recent incidents win when a tile is over the cap.
    select st_asmvt(t, 'incidents', 4096, 'geom') into mvt
    from (
        select i.id, i.category, i.status, i.priority::integer as priority,
               st_asmvtgeom(st_transform(i.geom, 3857), st_tileenvelope(z, x, y), 4096, 64, true)
                   as geom
        from incidents i
        where i.geom && st_transform(tiles.buffered_envelope(z, x, y), 4326)
        order by i.reported_at desc
        limit 10000
    ) t
    where t.geom is not null;
    return coalesce(mvt, ''::bytea);
end
$$;

-- martin reads a function's comment as TileJSON. No minzoom/maxzoom there: martin would answer
-- 404 outside the range, and an empty tile is the right answer.
comment on function tiles.counties(integer, integer, integer, json) is
    '{"description": "County boundaries (区县)"}';
comment on function tiles.townships(integer, integer, integer, json) is
    '{"description": "Township and street boundaries (乡镇/街道)"}';
comment on function tiles.villages(integer, integer, integer, json) is
    '{"description": "Village and community boundaries (村/社区)"}';
comment on function tiles.grids(integer, integer, integer, json) is
    '{"description": "Current grid boundaries (网格)"}';
comment on function tiles.buildings(integer, integer, integer, json) is
    '{"description": "Building footprints"}';
comment on function tiles.cameras(integer, integer, integer, json) is
    '{"description": "Video cameras"}';
comment on function tiles.incidents(integer, integer, integer, json) is
    '{"description": "Incidents (restricted: admin, dispatcher, leader)"}';

-- Only the martin role (and the owner) may run the tile functions: they bypass table privileges.
revoke all on all functions in schema tiles from public;

-- The read-only role is created by `cargo xtask` as a superuser (an ordinary owner cannot create
-- roles); when it already exists, grant here too so that re-created functions stay usable.
do $$
begin
    if exists (select 1 from pg_roles where rolname = 'citygrid_tiles') then
        grant usage on schema tiles to citygrid_tiles;
        grant execute on all functions in schema tiles to citygrid_tiles;
        begin
            execute format('grant connect on database %I to citygrid_tiles', current_database());
        exception when insufficient_privilege then
            raise notice 'cannot grant CONNECT on % to citygrid_tiles (not the owner)', current_database();
        end;
    end if;
end
$$;
