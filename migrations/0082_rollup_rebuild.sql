-- A set-based, hierarchical rebuild of the rollups (issue 21: the rebuild is the bulk load's
-- cost). The rows are exactly those of 0050/0051/0080's rebuild; only the way they are computed
-- changes:
--
-- * The incidents are read once per rollup family: their facts (`stats.heat_facts_sql`,
--   `stats.unit_facts_sql`, the one definitions) are grouped once into the finest rows (heat:
--   level-19 cell × day × pair; cube: township × day × pair × resolution level × bin).
-- * Every coarser level and the monthly periods are aggregated from the finer rows already
--   computed (level 19 → 17 → 15 → 13, days → months), not from a cross join of every fact
--   with every level and period.
-- * Count arrays (the coarse levels' 65 pair counts, the cube's resolution levels and
--   handling-time bins) are built once per output row from its (index, count) pairs
--   (`stats.dense_counts`), not element by element through the `stats.tally` aggregate.
-- * The heat tables are filled without their primary keys and the z14 index, which are built
--   once at the end (sorted, with `maintenance_work_mem`).
-- * `stats.cell19` is PL/pgSQL: as SQL, the planner could not inline `stats.spread_bits` (its
--   argument, an expensive expression, is used twice), so every point cost two SQL-function
--   calls. Same formulas and results; the triggers use it too.
--
-- The per-statement trigger path (`stats.apply_heat_delta`, `stats.apply_unit_delta`) is
-- unchanged.

create or replace function stats.cell19(p geometry) returns bigint
language plpgsql immutable parallel safe
as $$
declare
    i bigint := floor((6378137.0 * radians(st_x(p)) + 20037508.342789244) / 76.43702828517625)::bigint;
    j bigint := floor((20037508.342789244 - 6378137.0 * ln(tan(pi() / 4 + radians(st_y(p)) / 2))) / 76.43702828517625)::bigint;
begin
    return stats.morton(i, j);
end
$$;

-- The array of `size` counts with counts[idx[k] + 1] = the sum of n[k] over k (null indexes are
-- skipped): what `stats.tally` aggregates, from a row's aggregated (index, count) pairs.
create function stats.dense_counts(idx smallint[], n bigint[], size integer) returns integer[]
language plpgsql immutable parallel safe
as $$
declare
    counts integer[] := array_fill(0, array[size]);
begin
    for k in 1 .. coalesce(cardinality(idx), 0) loop
        if idx[k] is not null then
            counts[idx[k] + 1] := counts[idx[k] + 1] + n[k];
        end if;
    end loop;
    return counts;
end
$$;

create or replace function stats.rebuild_heat() returns void
language plpgsql
set work_mem = '256MB'
set maintenance_work_mem = '512MB'
set jit = off
set enable_hashagg = on
as $$
begin
    lock table incidents in share mode;
    truncate stats.heat_coarse, stats.heat_fine;
    alter table stats.heat_coarse drop constraint heat_coarse_pkey;
    alter table stats.heat_fine drop constraint heat_fine_pkey;
    drop index stats.heat_fine_19_cells_idx;
    drop table if exists heat_r19, heat_r17, heat_r15, heat_r13;

    -- Level 19 by day and pair, from the incidents in one pass.
    execute 'create temp table heat_r19 as select county, q19 as q, day, pair, sum(n)::integer as n from ('
            || stats.heat_facts_sql('incidents', 1) || ') f group by 1, 2, 3, 4';
    -- Each coarser level by day and pair from the finer one.
    analyze heat_r19;
    create temp table heat_r17 as
        select county, q >> 4 as q, day, pair, sum(n)::integer as n from heat_r19 group by 1, 2, 3, 4;
    create temp table heat_r15 as
        select county, q >> 4 as q, day, pair, sum(n)::integer as n from heat_r17 group by 1, 2, 3, 4;
    create temp table heat_r13 as
        select county, q >> 4 as q, day, pair, sum(n)::integer as n from heat_r15 group by 1, 2, 3, 4;
    analyze heat_r17, heat_r15, heat_r13;

    -- Fine levels: days, then months from the days; level 17 also the total (key 0).
    insert into stats.heat_fine (lvl, monthly, start, key, q, county, n)
    select 17, false, day, pair + 1, q, county, n from heat_r17
    union all
    select 17, false, day, 0, q, county, sum(n) from heat_r17 group by day, q, county;
    insert into stats.heat_fine (lvl, monthly, start, key, q, county, n)
    select 17, true, m.start, m.key, m.q, m.county, sum(m.n)
    from (select date_trunc('month', h.start::timestamp)::date as start, h.key, h.q, h.county, h.n
          from stats.heat_fine h where h.lvl = 17 and not h.monthly) m
    group by 2, 3, 4, 5, 6;
    insert into stats.heat_fine (lvl, monthly, start, key, q, county, n)
    select 19, false, day, pair + 1, q, county, n from heat_r19;
    insert into stats.heat_fine (lvl, monthly, start, key, q, county, n)
    select 19, true, date_trunc('month', day::timestamp)::date, pair + 1, q, county, sum(n)
    from heat_r19 group by 3, 4, 5, 6;

    -- Coarse levels: one count array per cell and period, days and months. Sorted, not hashed
    -- (a hash table holds an `array_agg` state of 8 kB for every cell at once, and spills), by
    -- the cell first: a sort whose first key is nearly unique compares little else.
    perform set_config('enable_hashagg', 'off', true);
    insert into stats.heat_coarse (lvl, monthly, start, q, county, total, counts)
    select r.lvl, false, r.day, r.q, r.county, sum(r.n), stats.dense_counts(array_agg(r.pair), array_agg(r.n::bigint), 65)
    from (select 13::smallint as lvl, * from heat_r13 union all select 15::smallint, * from heat_r15) r
    group by r.q, r.day, r.lvl, r.county;
    insert into stats.heat_coarse (lvl, monthly, start, q, county, total, counts)
    select m.lvl, true, m.start, m.q, m.county, sum(m.n), stats.dense_counts(array_agg(m.pair), array_agg(m.n), 65)
    from (select r.lvl, date_trunc('month', r.day::timestamp)::date as start, r.q, r.county, r.pair, sum(r.n) as n
          from (select 13::smallint as lvl, * from heat_r13 union all select 15::smallint, * from heat_r15) r
          group by 3, 2, 1, 4, 5) m
    group by m.q, m.start, m.lvl, m.county;
    perform set_config('enable_hashagg', 'on', true);

    drop table heat_r19, heat_r17, heat_r15, heat_r13;
    alter table stats.heat_coarse add primary key (lvl, monthly, start, q, county);
    alter table stats.heat_fine add primary key (lvl, monthly, start, key, q, county);
    create index heat_fine_19_cells_idx on stats.heat_fine (monthly, q) include (start, key, county, n)
        where lvl = 19;

    update stats.heat_changes set seq = seq + 1;
    insert into layer_versions (layer) values ('incidents_heat')
        on conflict (layer) do update set version = layer_versions.version + 1;
end
$$;

create or replace function stats.rebuild_units() returns void
language plpgsql
set work_mem = '256MB'
set jit = off
as $$
begin
    lock table incidents, buildings in share mode;
    truncate stats.unit_cube, stats.population, stats.grid_days;
    -- Residents per grid, then per village, township and county from the grids.
    insert into stats.population (code, residents, households, buildings)
    select left(g.code, l.len), sum(g.residents), sum(g.households), sum(g.buildings)
    from (select grid_code as code, sum(residents) as residents, sum(households) as households, count(*) as buildings
          from buildings group by 1) g,
         (values (6), (9), (12), (15)) l (len)
    group by 1
    order by 1;
    drop table if exists unit_r;

    -- The finest rows, from the incidents in one pass: township × day × pair × resolution level
    -- × handling-time bin.
    execute 'create temp table unit_r as
             select county, township, day, pair, res_level, bin, sum(n)::bigint as n, sum(n * escalated)::bigint as escalated
             from (' || stats.unit_facts_sql('incidents', 1) || ') f group by 1, 2, 3, 4, 5, 6';
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
    drop table unit_r;

    execute 'insert into stats.grid_days (day, grid_code, n) select day, grid_code, n from ('
            || stats.grid_days_sql('incidents', 1) || ') f order by 1, 2';
end
$$;
