-- Planning: plans (boundary edits) with what they change, so that a commit applies exactly
-- what was previewed and a revert can put everything back; the point that decides a
-- building's grid; incident `moved` events; worker reassignment.

-- A building belongs to the grid that owns this point (the point → grid rule of
-- `routing::grid_index`): one point per building, inside its footprint.
alter table buildings add column point geometry(Point, 4326)
    generated always as (st_pointonsurface(footprint)) stored;
create index buildings_point_idx on buildings using gist (point);

create table plans (
    id                 bigint generated always as identity primary key,
    operation          text not null check (operation in ('reshape', 'split', 'merge', 'revert')),
    mode               text check (mode in ('boundary', 'edge')),
    status             text not null default 'draft'
                           check (status in ('draft', 'committed', 'discarded', 'reverted')),
    village_code       text not null references admin_units (code),
    -- The grids the request named, the neighbour of an edge edit, the planner's geometry.
    grids              text[] not null,
    neighbour          text,
    geometry           geometry(Geometry, 4326),
    base_versions      jsonb not null,
    -- Every grid whose boundary or existence changes.
    affected           text[] not null,
    diff               jsonb not null,
    note               text not null default '' check (length(note) <= 2000),
    allow_multipolygon boolean not null default false,
    author_id          bigint not null references users (id),
    created_at         timestamptz not null default now(),
    decided_at         timestamptz,
    decided_by         bigint references users (id),
    reverts            bigint references plans (id),
    reverted_by        bigint references plans (id),
    constraint plans_mode_for_reshape check ((operation = 'reshape') = (mode is not null)),
    constraint plans_decided check ((status = 'draft') = (decided_at is null))
);
create index plans_village_idx on plans (village_code, created_at);
create index plans_status_idx on plans (status, created_at);

-- What a plan does to each grid: a new boundary (`geom`), creation, retirement, or only a new
-- colour. `base_version` is the version it starts from (null for a new grid).
create table plan_grids (
    plan_id      bigint not null references plans (id),
    grid_code    text not null check (grid_code ~ '^[0-9]{15}$'),
    change       text not null check (change in ('reshaped', 'noded', 'created', 'retired', 'restored', 'recoloured')),
    base_version integer,
    geom         geometry(MultiPolygon, 4326),
    name         text,
    colour       smallint not null check (colour between 0 and 3),
    colour_before smallint check (colour_before between 0 and 3),
    primary key (plan_id, grid_code),
    check ((change in ('retired', 'recoloured')) = (geom is null))
);

-- Vertices a plan inserts into administrative boundaries where a new grid edge meets them:
-- `[{"a": [x, y], "b": [x, y], "points": [[x, y], …]}]` in lattice units (1e-7°).
create table plan_units (
    plan_id    bigint not null references plans (id),
    unit_code  text not null references admin_units (code),
    insertions jsonb not null,
    primary key (plan_id, unit_code)
);

-- What a commit moved (buildings, cameras, open incidents, workers), so a revert can put it back.
create table plan_moves (
    plan_id   bigint not null references plans (id),
    kind      text not null check (kind in ('building', 'camera', 'incident', 'worker')),
    object_id text not null,
    from_grid text,
    to_grid   text,
    -- Workers: their rank before; incidents: their assignee before.
    from_rank smallint,
    from_assignee text,
    primary key (plan_id, kind, object_id)
);

-- Which plan made a boundary version (null: loaded with the dataset).
alter table grid_versions add column plan_id bigint references plans (id);
create or replace view current_grids as
select g.code, g.name, g.village_code, g.colour, v.version, v.valid_from, v.geom, v.geom_3857, v.plan_id
from grids g
join grid_versions v on v.grid_code = g.code and v.valid_to is null
where g.retired_at is null;

-- Open incidents re-routed by a plan get a `moved` event naming both grids and the plan.
alter table incident_events drop constraint incident_events_action_check;
alter table incident_events add constraint incident_events_action_check check (action in (
    'report', 'assign', 'accept', 'start', 'resolve', 'close', 'escalate', 'reopen', 'mark_duplicate', 'moved'));
alter table incident_events
    add column plan_id bigint references plans (id),
    add column from_grid text,
    add column to_grid text;

-- Workers can be unassigned (no grid), and reordered inside one transaction.
alter table grid_workers alter column grid_code drop not null;
alter table grid_workers drop constraint grid_workers_grid_code_rank_key;
alter table grid_workers add constraint grid_workers_grid_rank_key unique (grid_code, rank)
    deferrable initially deferred;
