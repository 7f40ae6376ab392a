-- Statistics at full-city speed (issue 15): the same definitions as 0051, read with less work.
--
-- * `stats.unit_rows` reads the raw incidents only for the non-empty raw ranges of a window (a
--   window of whole months or whole county days has none), with the prefix as the expression
--   the per-county/township/village indexes are built on, and without JIT (its compile time
--   dominated a request whose estimated cost was high).
-- * Overdue incidents are counted from the open incidents only (`incidents_open_grid_due_idx`).
-- * `stats.unit_daily` reads the cube's county days through a covering index.
-- * Hotspots count whole Asia/Shanghai days from `stats.grid_days` (incidents per day and grid,
--   duplicates excluded, kept current by the same kind of statement-level triggers as the cube,
--   rebuilt by `stats.rebuild_units`) and only the partial days at the edges of the window and
--   the baseline from the raw incidents (`stats.hotspot_counts`).

create index incidents_open_grid_due_idx on incidents (grid_code, due_at) include (reported_at, category, source)
    where status in ('new', 'assigned', 'accepted', 'in_progress') and due_at is not null;

create index unit_cube_county_days_idx on stats.unit_cube (start, code, pair) include (n)
    where level = 6 and not monthly;

-- The SQL condition "the incident `r` lies in the unit with code `prefix`" ('' is the city), in
-- the form the expression indexes of `incidents` are built on.
create function stats.unit_prefix_sql(prefix text) returns text
language sql immutable parallel safe
as $$
    select case when prefix = '' then 'r.grid_code is not null'
                when length(prefix) = 15 then format('r.grid_code = %L', prefix)
                else format('left(r.grid_code, %s) = %L', length(prefix), prefix) end
$$;

-- The SQL condition "r.reported_at lies in one of the ranges [from_ts[k], to_ts[k])", empty
-- ranges left out and touching ones merged; null when every range is empty.
create function stats.ranges_sql(from_ts timestamptz[], to_ts timestamptz[]) returns text
language plpgsql stable parallel safe
as $$
declare
    parts text[] := '{}';
    cur_a timestamptz;
    cur_b timestamptz;
    rec record;
begin
    for rec in select a, b from unnest(from_ts, to_ts) w (a, b) where a < b order by a loop
        if cur_a is not null and rec.a <= cur_b then
            cur_b := greatest(cur_b, rec.b);
        else
            if cur_a is not null then
                parts := parts || format('(r.reported_at >= %L and r.reported_at < %L)', cur_a, cur_b);
            end if;
            cur_a := rec.a;
            cur_b := rec.b;
        end if;
    end loop;
    if cur_a is null then
        return null;
    end if;
    parts := parts || format('(r.reported_at >= %L and r.reported_at < %L)', cur_a, cur_b);
    return '(' || array_to_string(parts, ' or ') || ')';
end
$$;

create or replace function stats.unit_rows(child_len integer, prefix text, from_ts timestamptz, to_ts timestamptz,
                                           pairs smallint[])
returns table (code text, pair smallint, n bigint, escalated bigint, resolved integer[], hist integer[])
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
    raw_from timestamptz[] := array[from_ts];
    raw_to timestamptz[] := array[to_ts];
    raw text;
begin
    if d0 < d1 and child_len in (6, 9) then
        -- Partial days at both ends come from the raw rows.
        raw_from := array[from_ts, (d1::timestamp at time zone 'Asia/Shanghai')];
        raw_to := array[(d0::timestamp at time zone 'Asia/Shanghai'), to_ts];
        select w.months, w.days into months, days from stats.window_periods(d0, d1) w;
        if child_len = 9 then
            -- Township days are not in the cube.
            raw_from := raw_from || array(select d::timestamp at time zone 'Asia/Shanghai' from unnest(days) d);
            raw_to := raw_to || array(select (d + 1)::timestamp at time zone 'Asia/Shanghai' from unnest(days) d);
            days := '{}';
        end if;
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

    raw := stats.ranges_sql(raw_from, raw_to);
    if raw is null then
        return;
    end if;
    return query execute format($q$
        select left(f.grid, $1), f.pair, sum(f.n)::bigint, sum(f.n * f.escalated)::bigint,
               coalesce(stats.tally(f.res_level, f.n, 4), array_fill(0, array[4])),
               coalesce(stats.tally(f.bin, f.n, 61), array_fill(0, array[61]))
        from (%s) f
        where $2::smallint[] is null or f.pair = any($2)
        group by 1, 2 $q$, stats.unit_facts_sql('incidents', 1, stats.unit_prefix_sql(prefix) || ' and ' || raw))
    using child_len, pairs;
end
$$;

create or replace function stats.unit_daily(prefix text, from_day date, to_day date, pairs smallint[])
returns table (day date, pair smallint, n bigint)
language plpgsql stable parallel safe
set jit = off
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
            where $1::smallint[] is null or f.pair = any($1)
            group by 1, 2 $q$, stats.unit_facts_sql('incidents', 1, stats.unit_prefix_sql(prefix)
                || format(' and r.reported_at >= %L and r.reported_at < %L',
                          from_day::timestamp at time zone 'Asia/Shanghai', to_day::timestamp at time zone 'Asia/Shanghai')))
        using pairs;
    end if;
end
$$;

-- ---------------------------------------------------------------------------------------------
-- Incidents per Asia/Shanghai day and grid (duplicates excluded), for hotspots.
-- ---------------------------------------------------------------------------------------------
create table stats.grid_days (
    day       date not null,
    grid_code text not null,
    -- Positive after `stats.incidents_grid_days`, which deletes rows that fall to zero.
    n         integer not null,
    primary key (day, grid_code) include (n)
);

-- The signed incident counts per day and grid of a relation of incident rows.
create function stats.grid_days_sql(rel text, sign integer) returns text
language sql immutable parallel safe
as $$
    select format(
        'select (r.reported_at at time zone %L)::date as day, r.grid_code, %s * count(*) as n
         from %I r where r.status <> %L and r.grid_code is not null group by 1, 2',
        'Asia/Shanghai', sign, rel, 'duplicate')
$$;

create function stats.incidents_grid_days() returns trigger
language plpgsql
as $$
declare
    facts text := case tg_op
        when 'INSERT' then stats.grid_days_sql('new_rows', 1)
        when 'DELETE' then stats.grid_days_sql('old_rows', -1)
        else stats.grid_days_sql('new_rows', 1) || ' union all ' || stats.grid_days_sql('old_rows', -1) end;
begin
    execute 'insert into stats.grid_days as g (day, grid_code, n)
             select day, grid_code, sum(n) from (' || facts || ') f group by 1, 2 having sum(n) <> 0 order by 1, 2
             on conflict (day, grid_code) do update set n = g.n + excluded.n';
    if tg_op <> 'INSERT' then
        execute 'delete from stats.grid_days g using (' || stats.grid_days_sql('old_rows', -1) || ') f
                 where g.day = f.day and g.grid_code = f.grid_code and g.n = 0';
    end if;
    return null;
end
$$;

create function stats.incidents_grid_days_truncate() returns trigger
language plpgsql
as $$
begin
    truncate stats.grid_days;
    return null;
end
$$;

create trigger incidents_grid_days_insert after insert on incidents
    referencing new table as new_rows for each statement execute function stats.incidents_grid_days();
create trigger incidents_grid_days_update after update on incidents
    referencing old table as old_rows new table as new_rows for each statement execute function stats.incidents_grid_days();
create trigger incidents_grid_days_delete after delete on incidents
    referencing old table as old_rows for each statement execute function stats.incidents_grid_days();
create trigger incidents_grid_days_truncate after truncate on incidents
    for each statement execute function stats.incidents_grid_days_truncate();

-- Recomputes the cube, the grid days and the population from the raw rows, with the same code
-- as the triggers.
create or replace function stats.rebuild_units() returns void
language plpgsql
set work_mem = '256MB'
as $$
begin
    lock table incidents, buildings in share mode;
    truncate stats.unit_cube, stats.population, stats.grid_days;
    execute stats.apply_population('buildings', 1);
    perform stats.unit_delta_reset();
    execute 'insert into unit_delta select county, township, day, pair, escalated, res_level, bin, sum(n)
             from (' || stats.unit_facts_sql('incidents', 1) || ') f group by 1, 2, 3, 4, 5, 6, 7';
    perform stats.apply_unit_delta();
    execute 'insert into stats.grid_days (day, grid_code, n) select day, grid_code, n from ('
            || stats.grid_days_sql('incidents', 1) || ') f order by 1, 2';
end
$$;

-- Per unit (codes of length `len`: 12 villages, 15 grids) under `prefix` ('' is the city), the
-- incidents (duplicates excluded) reported in the window [window_from, window_to) and in the
-- baseline [baseline_from, window_from), with a category in `cats` and a source in `srcs`
-- (null: all). Without a filter, whole days come from `stats.grid_days` and only the partial
-- days at the edges from the raw incidents; with one, everything from the raw incidents (the
-- category index narrows them).
create function stats.hotspot_counts(len integer, prefix text, baseline_from timestamptz, window_from timestamptz,
                                     window_to timestamptz, cats text[], srcs text[])
returns table (unit text, recent bigint, baseline bigint)
language plpgsql stable parallel safe
set jit = off
as $$
declare
    -- The whole days of the baseline [b0, b1) and of the window [r0, r1) (b1 <= r0).
    b0 date := ((baseline_from at time zone 'Asia/Shanghai') + interval '1 day' - interval '1 microsecond')::date;
    b1 date := (window_from at time zone 'Asia/Shanghai')::date;
    r0 date := ((window_from at time zone 'Asia/Shanghai') + interval '1 day' - interval '1 microsecond')::date;
    r1 date := (window_to at time zone 'Asia/Shanghai')::date;
    raw_from timestamptz[];
    raw_to timestamptz[];
    raw text;
begin
    if cats is not null or srcs is not null then
        b0 := b1;
        r0 := r1;
    end if;
    if b0 >= b1 then
        b1 := b0;
    end if;
    if r0 >= r1 then
        r1 := r0;
    end if;
    raw_from := array[baseline_from, b1::timestamp at time zone 'Asia/Shanghai',
                      window_from, r1::timestamp at time zone 'Asia/Shanghai'];
    raw_to := array[b0::timestamp at time zone 'Asia/Shanghai', window_from,
                    r0::timestamp at time zone 'Asia/Shanghai', window_to];
    if b0 = b1 then
        raw_from[1] := baseline_from;
        raw_to[1] := window_from;
        raw_from[2] := window_from;
        raw_to[2] := window_from;
    end if;
    if r0 = r1 then
        raw_from[3] := window_from;
        raw_to[3] := window_to;
        raw_from[4] := window_to;
        raw_to[4] := window_to;
    end if;
    raw := coalesce(stats.ranges_sql(raw_from, raw_to), 'false');
    return query execute format($q$
        select u, sum(x.recent)::bigint, sum(x.baseline)::bigint from (
            select left(g.grid_code, $1) as u, coalesce(sum(g.n) filter (where g.day >= $5), 0) as recent,
                   coalesce(sum(g.n) filter (where g.day < $5), 0) as baseline
            from stats.grid_days g
            where ((g.day >= $3 and g.day < $4) or (g.day >= $5 and g.day < $6))
              and g.grid_code >= $2 and g.grid_code < $2 || '~'
            group by 1
            union all
            select left(r.grid_code, $1), count(*) filter (where r.reported_at >= $7), count(*) filter (where r.reported_at < $7)
            from incidents r
            where %s and r.status <> 'duplicate' and r.grid_code >= $2 and r.grid_code < $2 || '~'
              and ($8::text[] is null or r.category = any($8)) and ($9::text[] is null or r.source = any($9))
            group by 1
        ) x group by 1 $q$, raw)
    using len, prefix, b0, b1, r0, r1, window_from, cats, srcs;
end
$$;

-- Existing data (a database migrated after its dataset was loaded).
do $$
begin
    execute 'insert into stats.grid_days (day, grid_code, n) select day, grid_code, n from ('
            || stats.grid_days_sql('incidents', 1) || ') f order by 1, 2';
end
$$;
