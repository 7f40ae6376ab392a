-- Streets: the generated street network of every town (the urban core, the other district seats'
-- towns and every township's market town), written by the dataset generator (`dataset/streets.rs`
-- documents the model). Inside a town, township, village and grid boundaries follow these
-- streets; road cameras and traffic incidents are placed along them and buildings line them.
create table towns (
    key text primary key,
    name text not null,
    kind text not null check (kind in ('urban', 'town')),
    -- The town's extent: a disc around its centre, cut to its clip unit and off the lakes.
    geom geometry(MultiPolygon, 4326) not null
);

create table streets (
    id integer primary key,
    town_key text not null references towns (key),
    kind text not null check (kind in ('arterial', 'local')),
    name text not null,
    geom geometry(MultiLineString, 4326) not null
);
create index streets_geom on streets using gist (geom);
insert into layer_versions (layer) values ('streets') on conflict do nothing;
alter table streets add column geom_3857 geometry(MultiLineString, 3857)
    generated always as (st_transform(geom, 3857)) stored;
create index streets_geom_3857 on streets using gist (geom_3857);

-- The streets layer: arterials from z12, every street from z14, with their names (MapLibre
-- draws the names along the lines from z15).
create or replace function tiles.streets(z integer, x integer, y integer, query_params json)
returns bytea
language plpgsql stable parallel safe
security definer set search_path = public, pg_temp
as $$
declare
    mvt bytea;
begin
    if z < 12 then
        return ''::bytea;
    end if;
    select st_asmvt(t, 'streets', 4096, 'geom') into mvt
    from (
        select s.id, s.kind, s.name,
               st_asmvtgeom(s.geom_3857, st_tileenvelope(z, x, y), 4096, 64, true) as geom
        from streets s
        where s.geom_3857 && st_tileenvelope(z, x, y, margin => 64.0 / 4096.0)
          and (z >= 14 or s.kind = 'arterial')
    ) t
    where t.geom is not null;
    return coalesce(mvt, ''::bytea);
end
$$;

comment on function tiles.streets(integer, integer, integer, json) is
    '{"description": "Streets of the towns (街道路网)"}';
revoke all on function tiles.streets(integer, integer, integer, json) from public;
do $$
begin
    if exists (select 1 from pg_roles where rolname = 'citygrid_tiles') then
        grant execute on function tiles.streets(integer, integer, integer, json) to citygrid_tiles;
    end if;
end
$$;
