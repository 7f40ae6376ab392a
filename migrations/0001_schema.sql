-- CityGrid schema: the administrative hierarchy, grids with boundary history, buildings,
-- cameras, people on duty, incidents, accounts and the audit trail.
--
-- Geometry is stored in EPSG:4326 (WGS84 lon/lat). Tables that vector tiles read at scale also
-- carry a generated EPSG:3857 column with its own GiST index. Metric work (areas, distances)
-- uses geography or EPSG:32650 (UTM 50N), never degrees.

create extension if not exists postgis;

-- ---------------------------------------------------------------------------------------------
-- Administrative units: city -> county -> township/street -> village/community.
-- Codes are GB/T 2260 style statistical codes: county 6 digits, township 9, village 12.
-- ---------------------------------------------------------------------------------------------
create table admin_units (
    code         text primary key,
    level        text not null check (level in ('city', 'county', 'township', 'village')),
    name         text not null check (name <> ''),
    name_en      text,
    parent_code  text,
    -- The level the parent must have, so the foreign key below pins the whole hierarchy.
    parent_level text generated always as (
        case level when 'county' then 'city' when 'township' then 'county'
                   when 'village' then 'township' end) stored,
    -- The command centre responsible at this level (escalation target).
    centre       text,
    geom         geometry(MultiPolygon, 4326) not null,
    geom_3857    geometry(MultiPolygon, 3857) generated always as (st_transform(geom, 3857)) stored,
    label_point  geometry(Point, 4326) not null,
    unique (code, level),
    foreign key (parent_code, parent_level) references admin_units (code, level),
    constraint admin_units_code_digits check (code ~ '^[0-9]+$'),
    constraint admin_units_code_length check (length(code) = case level
        when 'city' then 6 when 'county' then 6 when 'township' then 9 else 12 end),
    constraint admin_units_parent_present check ((level = 'city') = (parent_code is null)),
    -- A child's code extends its parent's: townships and villages literally; counties share
    -- the city's 4-digit prefecture prefix (320800 -> 3208xx).
    constraint admin_units_code_extends_parent check (
        level = 'city'
        or (level = 'county' and left(code, 4) = left(parent_code, 4))
        or (level in ('township', 'village') and left(code, length(parent_code)) = parent_code)),
    constraint admin_units_geom_valid check (st_isvalid(geom) and not st_isempty(geom))
);
create index admin_units_geom_idx on admin_units using gist (geom);
create index admin_units_geom_3857_idx on admin_units using gist (geom_3857);
create index admin_units_parent_idx on admin_units (parent_code);

-- ---------------------------------------------------------------------------------------------
-- Grids (网格): the identity of a grid lives in `grids`; its boundary, one row per version, in
-- `grid_versions`. The current boundary is the version with `valid_to is null`.
-- ---------------------------------------------------------------------------------------------
create table grids (
    code          text primary key check (code ~ '^[0-9]{15}$'),
    village_code  text not null,
    village_level text not null default 'village' check (village_level = 'village'),
    name          text not null check (name <> ''),
    -- Four-colour class so that neighbouring grids never share a fill colour (0..3).
    colour        smallint not null default 0 check (colour between 0 and 3),
    created_at    timestamptz not null default now(),
    retired_at    timestamptz,
    foreign key (village_code, village_level) references admin_units (code, level),
    constraint grids_code_extends_village check (left(code, 12) = village_code)
);
create index grids_village_idx on grids (village_code);

create table grid_versions (
    grid_code  text not null references grids (code),
    version    integer not null check (version >= 1),
    valid_from timestamptz not null default now(),
    valid_to   timestamptz,
    geom       geometry(MultiPolygon, 4326) not null,
    geom_3857  geometry(MultiPolygon, 3857) generated always as (st_transform(geom, 3857)) stored,
    primary key (grid_code, version),
    constraint grid_versions_interval check (valid_to is null or valid_to > valid_from),
    constraint grid_versions_geom_valid check (st_isvalid(geom) and not st_isempty(geom))
);
create unique index grid_versions_one_current on grid_versions (grid_code) where valid_to is null;
create index grid_versions_current_geom_idx on grid_versions using gist (geom) where valid_to is null;
create index grid_versions_current_geom_3857_idx on grid_versions using gist (geom_3857)
    where valid_to is null;

create view current_grids as
select g.code, g.name, g.village_code, g.colour, v.version, v.valid_from, v.geom, v.geom_3857
from grids g
join grid_versions v on v.grid_code = g.code and v.valid_to is null
where g.retired_at is null;

-- People on duty in a grid; the one with the lowest `rank` is responsible.
create table grid_workers (
    employee_no text primary key,
    grid_code   text not null references grids (code),
    rank        smallint not null default 1 check (rank >= 1),
    name        text not null check (name <> ''),
    phone       text not null check (phone ~ '^1[0-9]{10}$'),
    unique (grid_code, rank)
);

-- ---------------------------------------------------------------------------------------------
-- Buildings and cameras.
-- ---------------------------------------------------------------------------------------------
create table buildings (
    id         bigint primary key,
    grid_code  text not null references grids (code),
    kind       text not null check (kind in
                   ('residential', 'commercial', 'industrial', 'public', 'school', 'hospital', 'rural_house')),
    floors     smallint not null check (floors between 1 and 80),
    households integer not null check (households >= 0),
    residents  integer not null check (residents >= 0),
    footprint  geometry(Polygon, 4326) not null,
    geom_3857  geometry(Polygon, 3857) generated always as (st_transform(footprint, 3857)) stored,
    constraint buildings_footprint_valid check (st_isvalid(footprint) and not st_isempty(footprint))
);
create index buildings_grid_idx on buildings (grid_code);
create index buildings_footprint_idx on buildings using gist (footprint);
create index buildings_geom_3857_idx on buildings using gist (geom_3857);

create table cameras (
    id          bigint primary key,
    code        text not null unique,
    grid_code   text not null references grids (code),
    kind        text not null check (kind in ('dome', 'bullet', 'face', 'anpr', 'panoramic')),
    owner       text not null check (owner in
                    ('public_security', 'urban_management', 'transport', 'community')),
    status      text not null check (status in ('online', 'offline', 'maintenance')),
    heading_deg double precision not null check (heading_deg >= 0 and heading_deg < 360),
    fov_deg     double precision not null check (fov_deg > 0 and fov_deg <= 360),
    range_m     double precision not null check (range_m > 0 and range_m <= 1000),
    installed_on date not null,
    geom        geometry(Point, 4326) not null
);
create index cameras_grid_idx on cameras (grid_code);
create index cameras_geom_idx on cameras using gist (geom);

-- ---------------------------------------------------------------------------------------------
-- Mediation: rooms (调解室) and the mediators who sit in them.
-- ---------------------------------------------------------------------------------------------
create table mediation_rooms (
    id          bigint primary key,
    name        text not null check (name <> ''),
    admin_code  text not null references admin_units (code),
    address     text not null,
    geom        geometry(Point, 4326) not null
);
create index mediation_rooms_geom_idx on mediation_rooms using gist (geom);

-- ---------------------------------------------------------------------------------------------
-- Incidents: reference tables first (seeded from citygrid-api's catalogue), then the cases.
-- ---------------------------------------------------------------------------------------------
create table incident_categories (
    code    text primary key check (code ~ '^(dispute|alarm|citizen)\.[a-z_]+$'),
    kind    text not null check (kind in ('dispute', 'alarm', 'citizen')),
    name_zh text not null,
    name_en text not null,
    -- Open incidents of the same category within this radius are possible duplicates.
    duplicate_radius_m double precision not null check (duplicate_radius_m > 0),
    check (left(code, length(kind) + 1) = kind || '.')
);

create table incident_sources (
    code    text primary key,
    name_zh text not null,
    name_en text not null
);

create table mediators (
    id          bigint primary key,
    name        text not null check (name <> ''),
    phone       text not null check (phone ~ '^1[0-9]{10}$'),
    room_id     bigint not null references mediation_rooms (id),
    -- Dispute categories this mediator handles.
    specialties text[] not null check (cardinality(specialties) >= 1)
);
create index mediators_room_idx on mediators (room_id);

create table incidents (
    id           bigint generated by default as identity primary key,
    category     text not null references incident_categories (code),
    source       text not null references incident_sources (code),
    priority     smallint not null check (priority between 1 and 4),  -- 1 = most urgent
    status       text not null check (status in
                     ('new', 'assigned', 'accepted', 'in_progress', 'resolved', 'closed', 'duplicate')),
    -- Where responsibility sits now: 0 grid, 1 village, 2 township, 3 county centre.
    escalation_level smallint not null default 0 check (escalation_level between 0 and 3),
    description  text not null check (length(description) <= 4000),
    reported_at  timestamptz not null,
    resolved_at  timestamptz,
    closed_at    timestamptz,
    -- The grid that was responsible when the incident was reported (boundary edits later do not
    -- rewrite history).
    grid_code    text references grids (code),
    duplicate_of bigint references incidents (id),
    geom         geometry(Point, 4326) not null,
    constraint incidents_resolved_after_report check (resolved_at is null or resolved_at >= reported_at),
    constraint incidents_closed_after_resolved check (closed_at is null or
        (resolved_at is not null and closed_at >= resolved_at))
);
create index incidents_geom_idx on incidents using gist (geom);
create index incidents_reported_at_idx on incidents using brin (reported_at);
create index incidents_grid_idx on incidents (grid_code, reported_at);
create index incidents_open_idx on incidents (status) where status not in ('closed', 'duplicate');

-- ---------------------------------------------------------------------------------------------
-- Accounts, sessions and the audit trail.
-- ---------------------------------------------------------------------------------------------
create table users (
    id            bigint generated always as identity primary key,
    username      text not null unique check (username ~ '^[a-z][a-z0-9_.-]{1,31}$'),
    display_name  text not null check (display_name <> ''),
    password_hash text not null,
    role          text not null check (role in ('admin', 'planner', 'dispatcher', 'leader')),
    county_code   text,
    county_level  text not null default 'county' check (county_level = 'county'),
    created_at    timestamptz not null default now(),
    foreign key (county_code, county_level) references admin_units (code, level)
);

create table sessions (
    token_sha256 bytea primary key check (length(token_sha256) = 32),
    user_id      bigint not null references users (id) on delete cascade,
    created_at   timestamptz not null default now(),
    expires_at   timestamptz not null
);
create index sessions_user_idx on sessions (user_id);

create table audit_log (
    id         bigint generated always as identity primary key,
    at         timestamptz not null default now(),
    user_id    bigint references users (id),
    action     text not null,
    entity     text not null,
    entity_ids text[] not null default '{}',
    before     jsonb,
    after      jsonb
);
create index audit_log_entity_idx on audit_log (entity, at);

-- ---------------------------------------------------------------------------------------------
-- Bookkeeping: what dataset is loaded, and a version per map layer for tile cache-busting.
-- ---------------------------------------------------------------------------------------------
create table dataset_meta (
    key   text primary key,
    value text not null
);

create table layer_versions (
    layer   text primary key,
    version bigint not null default 1 check (version >= 1)
);
insert into layer_versions (layer) values
    ('counties'), ('townships'), ('villages'), ('grids'), ('buildings'), ('cameras'), ('incidents');
