-- Dispatch: category defaults, the escalation SLA table, incident follow-up columns and
-- history, and change notifications that keep every backend's in-memory indexes in sync.

alter table incident_categories
    add column default_priority smallint not null default 3 check (default_priority between 1 and 4),
    -- Open incidents of the same category reported within this many hours are possible duplicates.
    add column duplicate_window_hours double precision not null default 72 check (duplicate_window_hours > 0);

update incident_categories set default_priority = case code
    when 'alarm.fire' then 1 when 'alarm.intrusion' then 2 when 'alarm.traffic' then 1 when 'alarm.crowd' then 2
    when 'dispute.labor' then 2 when 'dispute.medical' then 2 when 'citizen.safety' then 2
    else 3 end,
    duplicate_window_hours = case kind when 'alarm' then 6 when 'dispute' then 168 else 72 end;

-- How long each level has before an open incident escalates to the next one:
-- 0 grid -> 1 village -> 2 township -> 3 county centre (the last level does not escalate).
create table escalation_sla (
    category text not null references incident_categories (code),
    priority smallint not null check (priority between 1 and 4),
    level    smallint not null check (level between 0 and 2),
    hours    double precision not null check (hours > 0),
    primary key (category, priority, level)
);

-- Defaults: alarms act in minutes to hours, disputes in a day or two, citizen issues in days;
-- priority 1 has a quarter of priority 3's time, priority 4 twice; higher levels get longer.
insert into escalation_sla (category, priority, level, hours)
select c.code, p, l,
       (case c.kind when 'alarm' then 1 when 'dispute' then 24 else 48 end)
     * (case p when 1 then 0.25 when 2 then 0.5 when 3 then 1 else 2 end)
     * (case l when 0 then 1 when 1 then 1.5 else 2 end)
from incident_categories c, generate_series(1, 4) p, generate_series(0, 2) l;

alter table incidents
    -- When responsibility reached `escalation_level` (null: at report time).
    add column level_since timestamptz,
    add column assignee text references grid_workers (employee_no),
    add column updated_at timestamptz;

create table incident_events (
    id          bigint generated always as identity primary key,
    incident_id bigint not null references incidents (id),
    at          timestamptz not null default now(),
    -- Null: the system (the escalation task).
    actor_id    bigint references users (id),
    action      text not null check (action in ('report', 'assign', 'accept', 'start', 'resolve', 'close',
                                                'escalate', 'reopen', 'mark_duplicate')),
    from_status text,
    to_status   text not null,
    from_level  smallint,
    to_level    smallint not null,
    note        text check (length(note) <= 4000)
);
create index incident_events_incident_idx on incident_events (incident_id, at);

-- Change notifications on channel `citygrid_changes`. The payload is the table name, or for
-- incidents `incidents:<id>,<id>,…` (`incidents:*` when a statement touched many rows).
-- Statement-level, so a bulk load sends one notification, not millions.
create function citygrid_notify_table() returns trigger language plpgsql as $$
begin
    perform pg_notify('citygrid_changes', tg_table_name);
    return null;
end $$;

create function citygrid_notify_incidents() returns trigger language plpgsql as $$
declare
    n integer;
    ids text;
begin
    select count(*), string_agg(id::text, ',') into n, ids from (select id from changed limit 201) c;
    if n = 0 then
        return null;
    end if;
    perform pg_notify('citygrid_changes', 'incidents:' || case when n > 200 then '*' else ids end);
    return null;
end $$;

do $$
declare
    t text;
begin
    foreach t in array array['admin_units', 'grids', 'grid_versions', 'grid_workers', 'cameras',
                             'mediation_rooms', 'mediators', 'incident_categories', 'escalation_sla'] loop
        execute format('create trigger %I after insert or update or delete or truncate on %I
                        for each statement execute function citygrid_notify_table()', t || '_notify', t);
    end loop;
end $$;

create trigger incidents_notify_insert after insert on incidents
    referencing new table as changed for each statement execute function citygrid_notify_incidents();
create trigger incidents_notify_update after update on incidents
    referencing new table as changed for each statement execute function citygrid_notify_incidents();
