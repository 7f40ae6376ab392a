-- Grid tiles as of a day: `tiles.grids` takes `as_of` (an instant; the proxy turns the client's
-- `YYYY-MM-DD` into the end of that Asia/Shanghai day) and then draws `grids_at(as_of)` — the
-- same partition `GET /api/grids?as_of=` answers, served by `grid_versions_valid_idx` — instead
-- of the current grids. Without `as_of` the tile is 0003's.
--
-- `kind` (land or water) is a column of `grids` on the dataset branch (migration 0020, which
-- also redefines this function): read through `to_jsonb`, it is drawn where the column exists
-- and is simply absent (a null attribute, not encoded) where it does not, whichever of the two
-- migrations a database got first.
create or replace function tiles.grids(z integer, x integer, y integer, query_params json)
returns bytea
language plpgsql stable parallel safe
security definer set search_path = public, pg_temp
as $$
declare
    mvt bytea;
    t timestamptz := (query_params ->> 'as_of')::timestamptz;
begin
    if z < 11 then
        return ''::bytea;
    end if;
    -- From z14 each grid also gets a label point (a Point feature, same attributes).
    with cells as (
        select g.code, g.name, g.village_code, g.colour::integer as colour, g.version, g.geom_3857
        from current_grids g
        where t is null and g.geom_3857 && tiles.buffered_envelope(z, x, y)
        union all
        select g.code, g.name, g.village_code, g.colour::integer, g.version, st_transform(g.geom, 3857)
        from grids_at(t) g
        where t is not null and g.geom && st_transform(tiles.buffered_envelope(z, x, y), 4326)
        limit 8000
    ), kinds as (
        select c.*, to_jsonb(k) ->> 'kind' as kind
        from cells c join grids k on k.code = c.code
    )
    select st_asmvt(f, 'grids', 4096, 'geom') into mvt
    from (
        select c.code, c.name, c.village_code, c.colour, c.version, c.kind,
               st_asmvtgeom(st_simplifypreservetopology(c.geom_3857, 2 * tiles.unit_m(z)),
                            st_tileenvelope(z, x, y), 4096, 64, true) as geom
        from kinds c
        union all
        select c.code, c.name, c.village_code, c.colour, c.version, c.kind,
               st_asmvtgeom(st_pointonsurface(c.geom_3857), st_tileenvelope(z, x, y), 4096, 0, true)
        from kinds c
        where z >= 14
    ) f
    where f.geom is not null;
    return coalesce(mvt, ''::bytea);
end
$$;

comment on function tiles.grids(integer, integer, integer, json) is
    '{"description": "Current grid boundaries (网格)"}';

revoke all on all functions in schema tiles from public;

do $$
begin
    if exists (select 1 from pg_roles where rolname = 'citygrid_tiles') then
        grant usage on schema tiles to citygrid_tiles;
        grant execute on all functions in schema tiles to citygrid_tiles;
    end if;
end
$$;
