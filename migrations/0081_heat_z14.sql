-- Heat tiles at z14 for long windows (issue 14): the level-19 cells of one tile were read
-- through the primary key (lvl, monthly, start, key, q, county), one index descent per period
-- and pair (12 months × 65 pairs for a year). A partial index on (monthly, q) makes them one
-- range per tile, read once for the whole months and once for the days.

create index heat_fine_19_cells_idx on stats.heat_fine (monthly, q) include (start, key, county, n)
    where lvl = 19;

create or replace function stats.heat_cells(lvl integer, from_day date, to_day date, pairs smallint[], county_f text,
                                 lo bigint, hi bigint)
returns table (q bigint, n bigint)
language plpgsql stable parallel safe
set jit = off
as $$
declare
    months date[];
    days date[];
    n_expr text;
    -- Level 17 keeps a total (key 0); level 19 adds up its pairs.
    keys smallint[] := case when pairs is null and lvl = 17 then '{0}'::smallint[]
                            else array(select (k + 1)::smallint
                                       from unnest(coalesce(pairs, array(select pair from stats.heat_pairs))) k) end;
begin
    select w.months, w.days into months, days from stats.window_periods(from_day, to_day) w;
    if lvl in (13, 15) then
        -- One row per cell and period: a filter adds up its pairs' elements.
        n_expr := case when pairs is null then 'h.total'
                       when cardinality(pairs) = 0 then '0'
                       else (select string_agg(format('coalesce(h.counts[%s], 0)', k + 1), ' + ') from unnest(pairs) k)
                  end;
        return query execute format($q$
            select r.q, sum(r.n)::bigint from (
                select h.q, %1$s as n from stats.heat_coarse h
                where h.lvl = $1 and not h.monthly and h.start = any($2) and h.q >= $4 and h.q < $5
                  and ($6::text is null or h.county = $6)
                union all
                select h.q, %1$s from stats.heat_coarse h
                where h.lvl = $1 and h.monthly and h.start = any($3) and h.q >= $4 and h.q < $5
                  and ($6::text is null or h.county = $6)
            ) r
            group by r.q
            having sum(r.n) > 0 $q$, n_expr)
        using lvl, days, months, lo, hi, county_f;
    elsif lvl = 19 then
        -- One row per cell, period and pair (key p + 1) that occurs: the tile's cells are one
        -- range of `heat_fine_19_cells_idx`, read once for the months and once for the days.
        return query
            select r.q, sum(r.n)::bigint from (
                select h.q, h.n from stats.heat_fine h
                where h.lvl = 19 and not h.monthly and h.q >= lo and h.q < hi and h.start = any(days)
                  and (pairs is null or h.key = any(keys)) and (county_f is null or h.county = county_f)
                union all
                select h.q, h.n from stats.heat_fine h
                where h.lvl = 19 and h.monthly and h.q >= lo and h.q < hi and h.start = any(months)
                  and (pairs is null or h.key = any(keys)) and (county_f is null or h.county = county_f)
            ) r
            group by r.q;
    else
        -- Level 17: one row per cell, period and key (0: all pairs, p + 1: pair p).
        return query
            select r.q, sum(r.n)::bigint from (
                select h.q, h.n from stats.heat_fine h
                where h.lvl = heat_cells.lvl and not h.monthly and h.start = any(days)
                  and h.key = any(keys)
                  and h.q >= lo and h.q < hi and (county_f is null or h.county = county_f)
                union all
                select h.q, h.n from stats.heat_fine h
                where h.lvl = heat_cells.lvl and h.monthly and h.start = any(months)
                  and h.key = any(keys)
                  and h.q >= lo and h.q < hi and (county_f is null or h.county = county_f)
            ) r
            group by r.q;
    end if;
end
$$;

