-- Effective dates: a plan committed for a later instant is `scheduled` until then. It keeps the
-- after-geometries its draft computed (`plan_grids`), and nothing else changes: the current
-- versions stay open (`valid_to is null`), so `current_grids`, the one-current-version index and
-- the partial geometry indexes need no change. At `effective_from` the backend's scheduler runs
-- the ordinary commit path (new versions valid from `effective_from`), or marks the plan `failed`
-- with the reason when a grid moved meanwhile. `grids_at(t)` answers the scheduled versions for
-- t ≥ effective_from, so the endpoints and tiles `as_of` a later day show the future partition.
alter table plans drop constraint plans_status_check;
alter table plans add constraint plans_status_check
    check (status in ('draft', 'scheduled', 'committed', 'discarded', 'reverted', 'failed'));
alter table plans
    add column effective_from timestamptz,
    add column failure text check (length(failure) <= 4000);
alter table plans add constraint plans_scheduled_has_time check (status <> 'scheduled' or effective_from is not null);
alter table plans add constraint plans_failed_has_reason check ((status = 'failed') = (failure is not null));
create index plans_scheduled_idx on plans (effective_from) where status = 'scheduled';

-- As 0031, plus scheduled plans that take effect at or before `t`: their grids' versions replace
-- the version valid at `t` (retired ones disappear, created ones appear, recoloured ones take
-- the new colour), and a current version with a scheduled successor ends at `effective_from`.
create or replace function grids_at(t timestamptz)
returns table (code text, name text, village_code text, colour smallint, version integer,
               valid_from timestamptz, valid_to timestamptz, geom geometry(MultiPolygon, 4326), plan_id bigint)
language sql stable as $$
    select g.code, g.name, g.village_code,
           coalesce((select pg.colour from plan_grids pg join plans p on p.id = pg.plan_id
                     where pg.grid_code = v.grid_code and p.status = 'scheduled' and p.effective_from <= t
                     order by p.effective_from desc limit 1), g.colour),
           v.version, v.valid_from,
           coalesce(v.valid_to, (select min(p.effective_from) from plan_grids pg join plans p on p.id = pg.plan_id
                                 where pg.grid_code = v.grid_code and p.status = 'scheduled'
                                   and pg.change <> 'recoloured')),
           v.geom, v.plan_id
    from grid_versions v
    join grids g on g.code = v.grid_code
    where tstzrange(v.valid_from, v.valid_to) @> t
      and not exists (select 1 from plan_grids pg join plans p on p.id = pg.plan_id
                      where pg.grid_code = v.grid_code and p.status = 'scheduled' and p.effective_from <= t
                        and pg.change <> 'recoloured')
    union all
    select pg.grid_code, coalesce(pg.name, g.name), left(pg.grid_code, 12), pg.colour,
           coalesce((select max(w.version) from grid_versions w where w.grid_code = pg.grid_code), 0) + 1,
           p.effective_from, null::timestamptz, pg.geom, p.id
    from plans p
    join plan_grids pg on pg.plan_id = p.id
    left join grids g on g.code = pg.grid_code
    where p.status = 'scheduled' and p.effective_from <= t and pg.geom is not null
$$;
