-- Time travel: the partition valid at any instant, index-backed over every version (not only
-- the current ones). A version is valid on [valid_from, valid_to); retiring a grid closes its
-- last version, so `grids_at` never returns a grid that was merged away before `t`.
create index grid_versions_valid_idx on grid_versions using gist (geom, tstzrange(valid_from, valid_to));

-- The grids valid at `t`, shaped like `current_grids` plus `valid_to`. A plain SQL function, so
-- the planner inlines it and uses the index above.
create function grids_at(t timestamptz)
returns table (code text, name text, village_code text, colour smallint, version integer,
               valid_from timestamptz, valid_to timestamptz, geom geometry(MultiPolygon, 4326), plan_id bigint)
language sql stable as $$
    select g.code, g.name, g.village_code, g.colour, v.version, v.valid_from, v.valid_to, v.geom, v.plan_id
    from grid_versions v
    join grids g on g.code = v.grid_code
    where tstzrange(v.valid_from, v.valid_to) @> t
$$;
