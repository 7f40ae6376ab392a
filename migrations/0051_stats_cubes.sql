-- Statistics rollups: per county and township the counts behind every figure of
-- `/api/stats/summary` and `/timeseries`, kept current by the same kind of statement-level
-- triggers as the heat rollups (0050), and residents per unit, kept current by triggers on
-- buildings.
--
-- What an incident contributes (the definitions of `citygrid_api::stats`): incidents that are
-- not duplicates and lie in a grid, at the Asia/Shanghai day of `reported_at`, by category ×
-- source pair; `escalated` when their escalation level is 1 or more; when resolved or closed,
-- one count at their escalation level (0 grid, 1 village, 2 township, 3 county — the level at
-- resolution, as resolved cases do not escalate) and one in their handling-time bin
-- (`stats.handling_bin(resolved_at − reported_at)`).
--
-- Granularity: counties by day and by month, townships by month. Everything finer (villages,
-- grids, township days, partial days of a window given as date-times) is counted from the raw
-- incidents with the same definitions (`stats.unit_facts_sql`), by `stats.unit_rows`.

-- ---------------------------------------------------------------------------------------------
-- Handling-time bins: bin 0 is under a minute; bin b ≥ 1 holds [2^((b−1)/3), 2^(b/3)) minutes
-- (a third of an octave: the bin's geometric middle is within 12.2 % of any value in it); bin 60
-- (from 2^(59/3) minutes, about 1.6 years) holds everything longer.
-- ---------------------------------------------------------------------------------------------
create function stats.handling_bin(seconds double precision) returns smallint
language sql immutable parallel safe
as $$
    -- The 60 bin edges 60 · 2^(k/3) seconds, k = 0..59: bin = how many of them are ≤ seconds.
    select width_bucket(seconds, '{60.0,75.59526299369239,95.24406311809196,120.0,151.19052598738477,190.48812623618394,240.0,302.38105197476955,380.97625247236783,480.0,604.7621039495391,761.9525049447357,960.0,1209.524207899078,1523.9050098894718,1920.0,2419.048415798156,3047.8100197789436,3840.0,4838.096831596312,6095.620039557887,7680.0,9676.193663192624,12191.240079115774,15360.0,19352.38732638526,24382.480158231534,30720.0,38704.77465277052,48764.96031646307,61440.0,77409.54930554103,97529.92063292614,122880.0,154819.09861108207,195059.84126585227,245760.0,309638.19722216413,390119.68253170454,491520.0,619276.3944443283,780239.3650634091,983040.0,1238552.7888886565,1560478.7301268182,1966080.0,2477105.577777313,3120957.4602536364,3932160.0,4954211.155554621,6241914.92050728,7864320.0,9908422.311109241,12483829.84101456,15728640.0,19816844.622218482,24967659.68202912,31457280.0,39633689.244436964,49935319.36405824}'::double precision[])::smallint
$$;

-- ---------------------------------------------------------------------------------------------
-- Residents, households and buildings per grid, village, township and county.
-- ---------------------------------------------------------------------------------------------
create table stats.population (
    code       text primary key check (length(code) in (6, 9, 12, 15)),
    -- Not negative, and `buildings` positive, after `stats.buildings_population` (no CHECK: an
    -- upsert checks the proposed row, which carries the signed delta, before the conflict).
    residents  bigint not null,
    households bigint not null,
    buildings  bigint not null
);

create function stats.apply_population(rel text, sign integer) returns text
language sql immutable parallel safe
as $$
    select format(
        'insert into stats.population as p (code, residents, households, buildings)
         select left(b.grid_code, l.len), %1$s * sum(b.residents), %1$s * sum(b.households), %1$s * count(*)
         from %2$I b, (values (6), (9), (12), (15)) l (len)
         group by 1 order by 1
         on conflict (code) do update set residents = p.residents + excluded.residents,
             households = p.households + excluded.households, buildings = p.buildings + excluded.buildings',
        sign, rel)
$$;

create function stats.buildings_population() returns trigger
language plpgsql
as $$
begin
    if tg_op in ('UPDATE', 'DELETE') then
        execute stats.apply_population('old_rows', -1);
    end if;
    if tg_op in ('UPDATE', 'INSERT') then
        execute stats.apply_population('new_rows', 1);
    end if;
    delete from stats.population where buildings = 0;
    return null;
end
$$;

create function stats.buildings_population_truncate() returns trigger
language plpgsql
as $$
begin
    truncate stats.population;
    return null;
end
$$;

create trigger buildings_population_insert after insert on buildings
    referencing new table as new_rows for each statement execute function stats.buildings_population();
create trigger buildings_population_update after update on buildings
    referencing old table as old_rows new table as new_rows for each statement execute function stats.buildings_population();
create trigger buildings_population_delete after delete on buildings
    referencing old table as old_rows for each statement execute function stats.buildings_population();
create trigger buildings_population_truncate after truncate on buildings
    for each statement execute function stats.buildings_population_truncate();

-- ---------------------------------------------------------------------------------------------
-- The cube: (level 6 = county | 9 = township, period, unit, pair) → measures.
-- ---------------------------------------------------------------------------------------------
create table stats.unit_cube (
    level     smallint not null check (level in (6, 9)),
    monthly   boolean not null check (monthly or level = 6),
    start     date not null check (not monthly or extract(day from start) = 1),
    code      text not null check (length(code) = level),
    pair      smallint not null references stats.heat_pairs (pair),
    -- Positive after `stats.apply_unit_delta`, which deletes rows that fall to zero (no CHECK:
    -- an upsert checks the proposed row, which carries the signed delta).
    n         integer not null,
    escalated integer not null,
    -- Resolved or closed incidents by escalation level 0..3.
    resolved  integer[] not null check (cardinality(resolved) = 4),
    -- Resolved or closed incidents by handling-time bin 0..60.
    hist      integer[] not null check (cardinality(hist) = 61),
    primary key (level, monthly, start, code, pair)
);

-- What incidents contribute, as a query over a relation of incident rows `r` (the table or a
-- transition table) that also satisfy the SQL condition `extra`; `sign` is +1 or −1. The one
-- definition of the statistics' facts.
create function stats.unit_facts_sql(rel text, sign integer, extra text default 'true') returns text
language sql immutable parallel safe
as $$
    select format(
        'select left(r.grid_code, 6) as county, left(r.grid_code, 9) as township, r.grid_code as grid,
                r.reported_at, (r.reported_at at time zone %L)::date as day, p.pair,
                (r.escalation_level >= 1)::integer as escalated,
                case when r.status in (%L, %L) then r.escalation_level end as res_level,
                case when r.status in (%L, %L)
                     then stats.handling_bin(extract(epoch from r.resolved_at - r.reported_at)::double precision) end as bin,
                %s::integer as n
         from %I r join stats.heat_pairs p on p.category = r.category and p.source = r.source
         where r.status <> %L and r.grid_code is not null and (%s)',
        'Asia/Shanghai', 'resolved', 'closed', 'resolved', 'closed', sign, rel, 'duplicate', extra)
$$;

-- The signed facts of one statement wait in the temporary table `unit_delta`, filled by the
-- caller (only the trigger function can read its transition tables).
create function stats.unit_delta_reset() returns void
language plpgsql
as $$
begin
    if to_regclass('pg_temp.unit_delta') is null then
        create temp table unit_delta (county text, township text, day date, pair smallint, escalated integer,
                                      res_level smallint, bin smallint, n integer)
            on commit delete rows;
    else
        truncate unit_delta;
    end if;
end
$$;

-- Adds `unit_delta` to the cube: the one place that writes it.
create function stats.apply_unit_delta() returns void
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

create function stats.incidents_units() returns trigger
language plpgsql
as $$
declare
    facts text := case tg_op
        when 'INSERT' then stats.unit_facts_sql('new_rows', 1)
        when 'DELETE' then stats.unit_facts_sql('old_rows', -1)
        else stats.unit_facts_sql('new_rows', 1) || ' union all ' || stats.unit_facts_sql('old_rows', -1) end;
begin
    perform stats.unit_delta_reset();
    execute 'insert into unit_delta select county, township, day, pair, escalated, res_level, bin, sum(n)
             from (' || facts || ') f group by 1, 2, 3, 4, 5, 6, 7 having sum(n) <> 0';
    perform stats.apply_unit_delta();
    return null;
end
$$;

create function stats.incidents_units_truncate() returns trigger
language plpgsql
as $$
begin
    truncate stats.unit_cube;
    return null;
end
$$;

create trigger incidents_units_insert after insert on incidents
    referencing new table as new_rows for each statement execute function stats.incidents_units();
create trigger incidents_units_update after update on incidents
    referencing old table as old_rows new table as new_rows for each statement execute function stats.incidents_units();
create trigger incidents_units_delete after delete on incidents
    referencing old table as old_rows for each statement execute function stats.incidents_units();
create trigger incidents_units_truncate after truncate on incidents
    for each statement execute function stats.incidents_units_truncate();

-- Recomputes the cube and the population from the raw rows, with the same code as the triggers.
create function stats.rebuild_units() returns void
language plpgsql
set work_mem = '256MB'
as $$
begin
    lock table incidents, buildings in share mode;
    truncate stats.unit_cube, stats.population;
    execute stats.apply_population('buildings', 1);
    perform stats.unit_delta_reset();
    execute 'insert into unit_delta select county, township, day, pair, escalated, res_level, bin, sum(n)
             from (' || stats.unit_facts_sql('incidents', 1) || ') f group by 1, 2, 3, 4, 5, 6, 7';
    perform stats.apply_unit_delta();
end
$$;

-- ---------------------------------------------------------------------------------------------
-- Reading: the measures of the children of a unit for a window.
-- ---------------------------------------------------------------------------------------------

-- Per child unit (codes of length `child_len` starting with `prefix`; '' is the city) and pair
-- admitted by `pairs` (null: all), the measures of the incidents reported in [from_ts, to_ts):
-- whole months of counties and townships and whole days of counties from the cube, everything
-- else from the raw incidents. Several rows may come for one (code, pair): add them up.
create function stats.unit_rows(child_len integer, prefix text, from_ts timestamptz, to_ts timestamptz,
                                pairs smallint[])
returns table (code text, pair smallint, n bigint, escalated bigint, resolved integer[], hist integer[])
language plpgsql stable parallel safe
set work_mem = '64MB'
as $$
declare
    -- Whole Asia/Shanghai days inside the window.
    d0 date := ((from_ts at time zone 'Asia/Shanghai') + interval '1 day' - interval '1 microsecond')::date;
    d1 date := (to_ts at time zone 'Asia/Shanghai')::date;
    months date[] := '{}';
    days date[] := '{}';
    raw_from timestamptz[] := '{}';
    raw_to timestamptz[] := '{}';
    day_ts timestamptz;
begin
    if d0 < d1 then
        -- Partial days at both ends come from the raw rows.
        raw_from := array[from_ts, (d1::timestamp at time zone 'Asia/Shanghai')];
        raw_to := array[(d0::timestamp at time zone 'Asia/Shanghai'), to_ts];
        if child_len = 6 then
            select w.months, w.days into months, days from stats.window_periods(d0, d1) w;
        elsif child_len = 9 then
            select w.months, w.days into months, days from stats.window_periods(d0, d1) w;
            -- Township days are not in the cube.
            foreach day_ts in array array(select (d::timestamp at time zone 'Asia/Shanghai') from unnest(days) d) loop
                raw_from := raw_from || day_ts;
                raw_to := raw_to || (day_ts + interval '1 day');
            end loop;
            days := '{}';
        else
            raw_from := array[from_ts];
            raw_to := array[to_ts];
        end if;
    else
        raw_from := array[from_ts];
        raw_to := array[to_ts];
    end if;

    return query
        select c.code, c.pair, c.n::bigint, c.escalated::bigint, c.resolved, c.hist
        from stats.unit_cube c
        where c.level = child_len and c.monthly and c.start = any(months)
          and c.code >= prefix and c.code < prefix || '~' and (pairs is null or c.pair = any(pairs))
        union all
        select c.code, c.pair, c.n::bigint, c.escalated::bigint, c.resolved, c.hist
        from stats.unit_cube c
        where c.level = child_len and not c.monthly and c.start = any(days)
          and c.code >= prefix and c.code < prefix || '~' and (pairs is null or c.pair = any(pairs));

    return query execute format($q$
        select left(f.grid, $1), f.pair, sum(f.n)::bigint, sum(f.n * f.escalated)::bigint,
               coalesce(stats.tally(f.res_level, f.n, 4), array_fill(0, array[4])),
               coalesce(stats.tally(f.bin, f.n, 61), array_fill(0, array[61]))
        from (%s) f
        join unnest($4::timestamptz[], $5::timestamptz[]) w (a, b) on f.reported_at >= w.a and f.reported_at < w.b
        where f.grid >= $2 and f.grid < $2 || '~' and ($3::smallint[] is null or f.pair = any($3))
        group by 1, 2 $q$, stats.unit_facts_sql('incidents', 1,
            'r.reported_at >= $6 and r.reported_at < $7 and r.grid_code >= $2 and r.grid_code < $2 || ''~'''))
    using child_len, prefix, pairs, raw_from, raw_to,
          (select min(a) from unnest(raw_from) a), (select max(b) from unnest(raw_to) b);
end
$$;

-- Incidents per day and pair of the unit with code `prefix` ('' for the city) for the days
-- [from_day, to_day) and the pairs `pairs` (null: all): counties and the city from the cube's day
-- rows, smaller units from the raw incidents.
create function stats.unit_daily(prefix text, from_day date, to_day date, pairs smallint[])
returns table (day date, pair smallint, n bigint)
language plpgsql stable parallel safe
as $$
begin
    if length(prefix) <= 6 then
        return query
            select c.start, c.pair, sum(c.n)::bigint from stats.unit_cube c
            where c.level = 6 and not c.monthly and c.start >= from_day and c.start < to_day
              and c.code >= prefix and c.code < prefix || '~' and (pairs is null or c.pair = any(pairs))
            group by 1, 2;
    else
        return query execute format($q$
            select f.day, f.pair, sum(f.n)::bigint from (%s) f
            where $3::smallint[] is null or f.pair = any($3)
            group by 1, 2 $q$, stats.unit_facts_sql('incidents', 1,
                'r.grid_code >= $1 and r.grid_code < $1 || ''~'' and r.reported_at >= ($2::date)::timestamp at time zone ''Asia/Shanghai''
                 and r.reported_at < ($4::date)::timestamp at time zone ''Asia/Shanghai'''))
        using prefix, from_day, pairs, to_day;
    end if;
end
$$;

-- The first day with incidents (of the cube), or null.
create function stats.data_from() returns date
language sql stable parallel safe
as $$ select min(start) from stats.unit_cube where level = 6 and not monthly $$;

-- Existing data (a database migrated after its dataset was loaded).
select stats.rebuild_units();
