-- Access control: the county-scope rule in SQL, disabled accounts, login throttling, and the
-- incidents tile limited to the caller's county.

-- The county-scope rule (`citygrid::scope`): statistical codes nest, so a unit, grid or thing
-- lies in a county when its code starts with the county's 6 digits. A plain SQL function, so
-- the planner inlines it (`left(code, 6) = county`) and an index on `left(code, 6)` serves it.
create or replace function in_county(code text, county text) returns boolean
language sql immutable parallel safe
as $$ select left(code, 6) = county $$;

-- A county-scoped incident list, newest first, is one index range.
create index if not exists incidents_county_idx on incidents (left(grid_code, 6), reported_at desc, id desc);

-- Disabled accounts keep their history (audit rows, incident events) but cannot log in; their
-- sessions are deleted when they are disabled.
alter table users add column disabled_at timestamptz;

-- Failed logins per (username, client address), for exponential backoff. A success deletes the
-- row; stale rows are purged by the backend. Usernames are whatever was typed (bounded by the
-- login route), not necessarily existing accounts.
create table login_failures (
    username       text not null check (length(username) <= 64),
    client_addr    inet not null,
    failures       integer not null check (failures > 0),
    last_failed_at timestamptz not null,
    blocked_until  timestamptz,
    primary key (username, client_addr)
);
create index login_failures_last_idx on login_failures (last_failed_at);

-- Incidents tile, limited to one county when the backend's proxy passes `county` (it always
-- sets it from the caller's scope and drops any client-supplied value).
create or replace function tiles.incidents(z integer, x integer, y integer, query_params json)
returns bytea
language plpgsql stable parallel safe
security definer set search_path = public, pg_temp
as $$
declare
    mvt bytea;
    county text := query_params ->> 'county';
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
          and (county is null or in_county(i.grid_code, county))
        order by i.reported_at desc
        limit 10000
    ) t
    where t.geom is not null;
    return coalesce(mvt, ''::bytea);
end
$$;
