-- Every grid of the city with its figures from a rollup (issue 16: `/api/stats/units?level=grid`
-- over a year took 31 s on the full city).
--
-- `stats.grid_facts`: per grid, Asia/Shanghai day (and month), category × source pair,
-- resolution level and handling-time bin, the incidents and how many of them escalated: the
-- facts of `stats.unit_facts_sql` (the one definition) grouped, with −1 for "not resolved" in
-- `res_level` and `bin`. A grid's counts are narrow rows (a grid-month holds a few incidents per
-- pair, so count arrays would be mostly zeros); the backend adds up a window's rows per grid.
--
-- * The cube's statement-level trigger path writes them: `unit_delta` gains the grid, and
--   `stats.apply_unit_delta` upserts the grid facts beside the cube rows and deletes what falls
--   to zero.
-- * `stats.rebuild_units` builds them from its finest rows, now per grid (the cube, the grid
--   days and the grid facts all from one pass over the incidents).
-- * `stats.grid_rows` reads a window: whole months and whole days from the facts, only the
--   partial days at its edges from the raw incidents.
-- * `stats.grid_days` stays: the hotspots read its one row per grid and day.

create table stats.grid_facts (
    monthly   boolean not null,
    start     date not null check (not monthly or extract(day from start) = 1),
    grid_code text not null check (length(grid_code) = 15),
    pair      smallint not null references stats.heat_pairs (pair),
    -- Escalation level at resolution 0..3, −1 when not resolved or closed.
    res_level smallint not null check (res_level between -1 and 3),
    -- Handling-time bin 0..60 (`stats.handling_bin`), −1 when not resolved or closed.
    bin       smallint not null check (bin between -1 and 60),
    -- Positive after `stats.apply_unit_delta`, which deletes rows that fall to zero.
    n         integer not null,
    escalated integer not null,
    primary key (monthly, start, grid_code, pair, res_level, bin)
);

-- The signed facts of one statement, now with the grid. A session that created the table in
-- its old shape (before this migration) gets it recreated.
create or replace function stats.unit_delta_reset() returns void
language plpgsql
as $$
begin
    if to_regclass('pg_temp.unit_delta') is not null then
        if not exists (select 1 from pg_attribute where attrelid = to_regclass('pg_temp.unit_delta') and attname = 'grid') then
            drop table pg_temp.unit_delta;
        end if;
    end if;
    if to_regclass('pg_temp.unit_delta') is null then
        create temp table unit_delta (county text, township text, grid text, day date, pair smallint, escalated integer,
                                      res_level smallint, bin smallint, n integer)
            on commit delete rows;
    else
        truncate unit_delta;
    end if;
end
$$;

create or replace function stats.incidents_units() returns trigger
language plpgsql
as $$
declare
    facts text := case tg_op
        when 'INSERT' then stats.unit_facts_sql('new_rows', 1)
        when 'DELETE' then stats.unit_facts_sql('old_rows', -1)
        else stats.unit_facts_sql('new_rows', 1) || ' union all ' || stats.unit_facts_sql('old_rows', -1) end;
begin
    perform stats.unit_delta_reset();
    execute 'insert into unit_delta select county, township, grid, day, pair, escalated, res_level, bin, sum(n)
             from (' || facts || ') f group by 1, 2, 3, 4, 5, 6, 7, 8 having sum(n) <> 0';
    perform stats.apply_unit_delta();
    return null;
end
$$;

-- Adds `unit_delta` to the cube and the grid facts: the one place that writes them.
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
    insert into stats.grid_facts as g (monthly, start, grid_code, pair, res_level, bin, n, escalated)
    select u.monthly, u.start, d.grid, d.pair, coalesce(d.res_level, -1), coalesce(d.bin, -1), sum(d.n),
           sum(d.n * d.escalated)
    from unit_delta d
    cross join lateral (values (false, d.day), (true, date_trunc('month', d.day::timestamp)::date)) as u (monthly, start)
    group by 1, 2, 3, 4, 5, 6
    order by 1, 2, 3, 4, 5, 6
    on conflict (monthly, start, grid_code, pair, res_level, bin) do update
        set n = g.n + excluded.n, escalated = g.escalated + excluded.escalated;
    if exists (select 1 from unit_delta where n < 0) then
        delete from stats.unit_cube c
        using (select distinct county, township, day, pair from unit_delta where n < 0) d
        where c.n = 0 and c.pair = d.pair
          and ((c.level = 6 and c.code = d.county and ((not c.monthly and c.start = d.day)
                                                       or (c.monthly and c.start = date_trunc('month', d.day::timestamp)::date)))
               or (c.level = 9 and c.code = d.township and c.start = date_trunc('month', d.day::timestamp)::date));
        delete from stats.grid_facts g
        using (select distinct grid, day, pair, coalesce(res_level, -1) as res_level, coalesce(bin, -1) as bin
               from unit_delta where n < 0) d
        where g.n = 0 and g.grid_code = d.grid and g.pair = d.pair and g.res_level = d.res_level and g.bin = d.bin
          and ((not g.monthly and g.start = d.day)
               or (g.monthly and g.start = date_trunc('month', d.day::timestamp)::date));
    end if;
end
$$;

-- 0082's rebuild with its finest rows per grid: the cube, the grid facts and the grid days all
-- come from them.
create or replace function stats.rebuild_units() returns void
language plpgsql
set work_mem = '256MB'
set maintenance_work_mem = '512MB'
set jit = off
as $$
begin
    lock table incidents, buildings in share mode;
    truncate stats.unit_cube, stats.population, stats.grid_days, stats.grid_facts;
    alter table stats.grid_facts drop constraint grid_facts_pkey;
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
    -- Grid facts: the finest rows as days, and their months.
    insert into stats.grid_facts (monthly, start, grid_code, pair, res_level, bin, n, escalated)
    select false, day, grid, pair, coalesce(res_level, -1), coalesce(bin, -1), n, escalated from unit_r;
    insert into stats.grid_facts (monthly, start, grid_code, pair, res_level, bin, n, escalated)
    select true, date_trunc('month', day::timestamp)::date, grid, pair, coalesce(res_level, -1), coalesce(bin, -1),
           sum(n), sum(escalated)
    from unit_r group by 2, 3, 4, 5, 6;
    alter table stats.grid_facts add primary key (monthly, start, grid_code, pair, res_level, bin);
    -- Grid days (`stats.grid_days_sql`'s counts) from the same rows.
    insert into stats.grid_days (day, grid_code, n)
    select day, grid, sum(n) from unit_r group by 1, 2 order by 1, 2;
    drop table unit_r;
end
$$;

-- Per grid under `prefix` ('' is the city), rows (pair, resolution level, bin, incidents,
-- escalated) of the incidents reported in [from_ts, to_ts) with a pair in `pairs` (null: all):
-- whole months and whole days from `stats.grid_facts`, the partial days at the edges from the
-- raw incidents (`stats.unit_facts_sql`). Several rows may come for one key: add them up (the
-- caller does, which is cheaper than a hash aggregate over text keys here). `res_level` and
-- `bin` are −1 when not resolved. The pairs are written into the statement as a constant, so
-- that `= any` is hashed.
create function stats.grid_rows(prefix text, from_ts timestamptz, to_ts timestamptz, pairs smallint[])
returns table (code text, pair smallint, res_level smallint, bin smallint, n bigint, escalated bigint)
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
    admits text := case when pairs is null then 'true' else format('%%s = any(%L::smallint[])', pairs) end;
begin
    if d0 < d1 then
        select w.months, w.days into months, days from stats.window_periods(d0, d1) w;
        raw := stats.ranges_sql(array[from_ts, d1::timestamp at time zone 'Asia/Shanghai'],
                                array[d0::timestamp at time zone 'Asia/Shanghai', to_ts]);
    else
        raw := stats.ranges_sql(array[from_ts], array[to_ts]);
    end if;
    return query execute format($q$
        select g.grid_code, g.pair, g.res_level, g.bin, g.n::bigint, g.escalated::bigint from stats.grid_facts g
        where g.monthly and g.start = any($2) and g.grid_code >= $1 and g.grid_code < $1 || '~' and %1$s
        union all
        select g.grid_code, g.pair, g.res_level, g.bin, g.n::bigint, g.escalated::bigint from stats.grid_facts g
        where not g.monthly and g.start = any($3) and g.grid_code >= $1 and g.grid_code < $1 || '~' and %1$s
        union all
        select f.grid, f.pair, coalesce(f.res_level, -1)::smallint, coalesce(f.bin, -1)::smallint, sum(f.n)::bigint,
               sum(f.n * f.escalated)::bigint
        from (%3$s) f
        where %2$s
        group by 1, 2, 3, 4 $q$,
        format(admits, 'g.pair'), format(admits, 'f.pair'),
        stats.unit_facts_sql('incidents', 1, coalesce(stats.unit_prefix_sql(prefix) || ' and ' || raw, 'false')))
    using prefix, months, days;
end
$$;

-- Existing data (a database migrated after its dataset was loaded).
select stats.rebuild_units();
