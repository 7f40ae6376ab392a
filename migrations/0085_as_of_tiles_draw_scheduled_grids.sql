-- "View as of" grid tiles draw the grids a scheduled plan creates.
--
-- 0070 read each cell's `kind` by joining `grids`, an inner join: a grid a scheduled split
-- creates has no `grids` row until the plan is applied, so `grids_at(t)` answered it (as
-- `GET /api/grids?as_of=` does) but the tile dropped it and left a hole in the future
-- partition. The join is a left join now; everything else is 0070's.
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
        from cells c left join grids k on k.code = c.code
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
