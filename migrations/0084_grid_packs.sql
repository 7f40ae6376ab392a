-- The grid facts of 0083 packed: one row per grid and day (or month) holding its facts as three
-- parallel arrays, sorted by fact key. A year of every grid of the full city was 2.1 M narrow
-- rows (about one per incident: a grid-month holds a few incidents per pair, each with its own
-- handling-time bin), and reading and adding them up took 8.9 s; packed, it is one row per
-- grid-month (about 66 k).
--
-- A fact key is `(pair × 5 + res_level + 1) × 62 + bin + 1` (`stats.grid_fact_key`; pair 0..64,
-- res_level −1..3, bin −1..60, −1 meaning "not resolved"); `n` and `escalated` hold, per key,
-- the incidents and how many of them escalated (n never 0: keys that fall to zero go, and so
-- does a row without keys). The trigger path adds a statement's packs to the stored ones under
-- the row lock of the upsert (`stats.add_packs`), so concurrent statements add up.

create function stats.grid_fact_key(pair smallint, res_level smallint, bin smallint) returns integer
language sql immutable parallel safe
as $$ select (pair * 5 + coalesce(res_level, -1) + 1) * 62 + coalesce(bin, -1) + 1 $$;

create table stats.grid_packs (
    monthly   boolean not null,
    start     date not null check (not monthly or extract(day from start) = 1),
    grid_code text not null check (length(grid_code) = 15),
    -- Not empty after `stats.apply_unit_delta`, which deletes packs left without keys.
    keys      integer[] not null,
    n         integer[] not null check (cardinality(n) = cardinality(keys)),
    escalated integer[] not null check (cardinality(escalated) = cardinality(keys)),
    primary key (monthly, start, grid_code)
);

-- Two packs added up: per key the sums, keys whose count is 0 left out, sorted.
create function stats.add_packs(ak integer[], an integer[], ae integer[], bk integer[], bn integer[], be integer[],
                                out keys integer[], out n integer[], out escalated integer[])
language sql immutable parallel safe
as $$
    select coalesce(array_agg(k order by k), '{}'), coalesce(array_agg(sn order by k), '{}'),
           coalesce(array_agg(se order by k), '{}')
    from (select k, sum(x)::integer as sn, sum(e)::integer as se
          from (select * from unnest(ak, an, ae) union all select * from unnest(bk, bn, be)) u (k, x, e)
          group by k having sum(x) <> 0) s
$$;

create or replace function stats.apply_unit_delta() returns void
language plpgsql
set work_mem = '256MB'
as $$
begin
    if not exists (select 1 from unit_delta) then
        return;
    end if;
    insert into stats.unit_cube as c (level, monthly, start, code, pair, n, escalated, resolved, hist)
    select u.level, u.monthly, u.start, u.code, d.pair, sum(d.n), sum(d.n * d.escalated),
           coalesce(stats.tally(d.res_level, d.n, 4), array_fill(0, array[4])),
           coalesce(stats.tally(d.bin, d.n, 61), array_fill(0, array[61]))
    from unit_delta d
    cross join lateral (values (6::smallint, false, d.day, d.county),
                               (6::smallint, true, date_trunc('month', d.day::timestamp)::date, d.county),
                               (9::smallint, true, date_trunc('month', d.day::timestamp)::date, d.township))
        as u (level, monthly, start, code)
    group by 1, 2, 3, 4, 5
    order by 1, 2, 3, 4, 5
    on conflict (level, monthly, start, code, pair) do update
        set n = c.n + excluded.n, escalated = c.escalated + excluded.escalated,
            resolved = stats.add_counts(c.resolved, excluded.resolved), hist = stats.add_counts(c.hist, excluded.hist);
    -- The statement's facts per grid and period, packed, added to the stored packs (under the
    -- row's lock: concurrent statements add up); packs left without keys go.
    insert into stats.grid_packs as g (monthly, start, grid_code, keys, n, escalated)
    select monthly, start, grid, array_agg(k order by k), array_agg(n order by k), array_agg(escalated order by k)
    from (select u.monthly, u.start, d.grid, stats.grid_fact_key(d.pair, d.res_level, d.bin) as k,
                 sum(d.n)::integer as n, sum(d.n * d.escalated)::integer as escalated
          from unit_delta d
          cross join lateral (values (false, d.day), (true, date_trunc('month', d.day::timestamp)::date)) as u (monthly, start)
          group by 1, 2, 3, 4
          -- An escalation keeps the key (n + 0) and changes `escalated`.
          having sum(d.n) <> 0 or sum(d.n * d.escalated) <> 0) f
    group by 1, 2, 3
    order by 1, 2, 3
    on conflict (monthly, start, grid_code) do update
        set (keys, n, escalated) = (select m.keys, m.n, m.escalated
                                    from stats.add_packs(g.keys, g.n, g.escalated, excluded.keys, excluded.n, excluded.escalated) m);
    if exists (select 1 from unit_delta where n < 0) then
        delete from stats.grid_packs g
        using (select distinct grid, day from unit_delta where n < 0) d
        where cardinality(g.keys) = 0 and g.grid_code = d.grid
          and ((not g.monthly and g.start = d.day) or (g.monthly and g.start = date_trunc('month', d.day::timestamp)::date));
    end if;
    if exists (select 1 from unit_delta where n < 0) then
        delete from stats.unit_cube c
        using (select distinct county, township, day, pair from unit_delta where n < 0) d
        where c.n = 0 and c.pair = d.pair
          and ((c.level = 6 and c.code = d.county and ((not c.monthly and c.start = d.day)
                                                       or (c.monthly and c.start = date_trunc('month', d.day::timestamp)::date)))
               or (c.level = 9 and c.code = d.township and c.start = date_trunc('month', d.day::timestamp)::date));
    end if;
end
$$;

create or replace function stats.rebuild_units() returns void
language plpgsql
set work_mem = '256MB'
set maintenance_work_mem = '512MB'
set jit = off
as $$
begin
    lock table incidents, buildings in share mode;
    truncate stats.unit_cube, stats.population, stats.grid_days, stats.grid_packs;
    alter table stats.grid_packs drop constraint grid_packs_pkey;
    -- Residents per grid, then per village, township and county from the grids.
    insert into stats.population (code, residents, households, buildings)
    select left(g.code, l.len), sum(g.residents), sum(g.households), sum(g.buildings)
    from (select grid_code as code, sum(residents) as residents, sum(households) as households, count(*) as buildings
          from buildings group by 1) g,
         (values (6), (9), (12), (15)) l (len)
    group by 1
    order by 1;
    drop table if exists unit_r;
    -- The finest rows, from the incidents in one pass: grid × day × pair × resolution level ×
    -- handling-time bin.
    execute 'create temp table unit_r as
             select county, township, grid, day, pair, res_level, bin, sum(n)::bigint as n,
                    sum(n * escalated)::bigint as escalated
             from (' || stats.unit_facts_sql('incidents', 1) || ') f group by 1, 2, 3, 4, 5, 6, 7';
    analyze unit_r;
    -- County days, county months (from the county days) and township months; each cube row's
    -- arrays from its (level, count) and (bin, count) pairs.
    insert into stats.unit_cube (level, monthly, start, code, pair, n, escalated, resolved, hist)
    with county_days as (
        select county, day, pair, res_level, bin, sum(n)::bigint as n, sum(escalated)::bigint as escalated
        from unit_r group by 1, 2, 3, 4, 5
    ), cells as (
        select 6::smallint as level, false as monthly, day as start, county as code, pair, res_level, bin, n, escalated
        from county_days
        union all
        select 6::smallint, true, date_trunc('month', day::timestamp)::date, county, pair, res_level, bin,
               sum(n)::bigint, sum(escalated)::bigint
        from county_days group by 3, 4, 5, 6, 7
        union all
        select 9::smallint, true, date_trunc('month', day::timestamp)::date, township, pair, res_level, bin,
               sum(n)::bigint, sum(escalated)::bigint
        from unit_r group by 3, 4, 5, 6, 7
    )
    select level, monthly, start, code, pair, sum(n), sum(escalated),
           stats.dense_counts(array_agg(res_level), array_agg(n), 4), stats.dense_counts(array_agg(bin), array_agg(n), 61)
    from cells
    group by start, pair, code, level, monthly;
    -- Grid packs: the finest rows as days, and their months.
    insert into stats.grid_packs (monthly, start, grid_code, keys, n, escalated)
    select false, day, grid, array_agg(k order by k), array_agg(n::integer order by k), array_agg(escalated::integer order by k)
    from (select day, grid, stats.grid_fact_key(pair, res_level, bin) as k, n, escalated from unit_r) f
    group by 2, 3;
    insert into stats.grid_packs (monthly, start, grid_code, keys, n, escalated)
    select true, m, grid, array_agg(k order by k), array_agg(n::integer order by k), array_agg(escalated::integer order by k)
    from (select date_trunc('month', day::timestamp)::date as m, grid, stats.grid_fact_key(pair, res_level, bin) as k,
                 sum(n) as n, sum(escalated) as escalated
          from unit_r group by 1, 2, 3) f
    group by 2, 3;
    alter table stats.grid_packs add primary key (monthly, start, grid_code);
    -- Grid days (`stats.grid_days_sql`'s counts) from the same rows.
    insert into stats.grid_days (day, grid_code, n)
    select day, grid, sum(n) from unit_r group by 1, 2 order by 1, 2;
    drop table unit_r;
end
$$;

drop function stats.grid_rows(text, timestamptz, timestamptz, smallint[]);
drop table stats.grid_facts;

-- Per grid under `prefix` ('' is the city), packs of the incidents reported in
-- [from_ts, to_ts): whole months and whole days from `stats.grid_packs`, the partial days at
-- the edges packed from the raw incidents (`stats.unit_facts_sql`). Several packs come for one
-- grid: add them up; the caller keeps the keys of the pairs it counts.
create function stats.grid_rows(prefix text, from_ts timestamptz, to_ts timestamptz)
returns table (code text, keys integer[], n integer[], escalated integer[])
language plpgsql stable parallel safe
set work_mem = '64MB'
set jit = off
as $$
declare
    -- Whole Asia/Shanghai days inside the window.
    d0 date := ((from_ts at time zone 'Asia/Shanghai') + interval '1 day' - interval '1 microsecond')::date;
    d1 date := (to_ts at time zone 'Asia/Shanghai')::date;
    months date[] := '{}';
    days date[] := '{}';
    raw text;
begin
    if d0 < d1 then
        select w.months, w.days into months, days from stats.window_periods(d0, d1) w;
        raw := stats.ranges_sql(array[from_ts, d1::timestamp at time zone 'Asia/Shanghai'],
                                array[d0::timestamp at time zone 'Asia/Shanghai', to_ts]);
    else
        raw := stats.ranges_sql(array[from_ts], array[to_ts]);
    end if;
    return query
        select g.grid_code, g.keys, g.n, g.escalated from stats.grid_packs g
        where g.monthly and g.start = any(months) and g.grid_code >= prefix and g.grid_code < prefix || '~'
        union all
        select g.grid_code, g.keys, g.n, g.escalated from stats.grid_packs g
        where not g.monthly and g.start = any(days) and g.grid_code >= prefix and g.grid_code < prefix || '~';
    if raw is null then
        return;
    end if;
    return query execute format($q$
        select grid, array_agg(k order by k), array_agg(n order by k), array_agg(e order by k)
        from (select f.grid, stats.grid_fact_key(f.pair, f.res_level, f.bin) as k, sum(f.n)::integer as n,
                     sum(f.n * f.escalated)::integer as e
              from (%s) f group by 1, 2) x
        group by 1 $q$,
        stats.unit_facts_sql('incidents', 1, stats.unit_prefix_sql(prefix) || ' and ' || raw));
end
$$;

-- Existing data (a database migrated after its dataset was loaded).
select stats.rebuild_units();
