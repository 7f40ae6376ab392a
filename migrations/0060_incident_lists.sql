-- Incident lists that stay index-backed at millions of rows (GET /api/incidents, every filter
-- and sort order, keyset-paged), and the current step's deadline as a stored column.
--
-- `due_at`: when the current escalation level's time runs out, for open incidents with an SLA
-- row at their level (levels 0-2; the county centre has none); null otherwise. It is kept by
-- triggers, so the list can filter (overdue) and sort (deadline) on an index, and escalation
-- claims due incidents by index instead of joining the SLA table over every open incident.
alter table incidents add column due_at timestamptz;

create function citygrid_incident_due_at() returns trigger language plpgsql as $$
begin
    if new.status in ('new', 'assigned', 'accepted', 'in_progress') then
        -- No SLA row (the county centre): null, as `select into` leaves it when nothing matches.
        select coalesce(new.level_since, new.reported_at) + make_interval(secs => s.hours * 3600)
            into new.due_at
            from escalation_sla s
            where s.category = new.category and s.priority = new.priority and s.level = new.escalation_level;
    else
        new.due_at := null;
    end if;
    return new;
end $$;

create trigger incidents_due_at
    before insert or update of status, escalation_level, level_since, reported_at, category, priority on incidents
    for each row execute function citygrid_incident_due_at();

-- An SLA edit moves the deadlines of the open incidents it applies to (only rows that change).
create function citygrid_sla_due_at() returns trigger language plpgsql as $$
begin
    update incidents i set due_at = d.due_at
    from (
        select o.id, coalesce(o.level_since, o.reported_at) + make_interval(secs => s.hours * 3600) as due_at
        from incidents o
        left join escalation_sla s on s.category = o.category and s.priority = o.priority and s.level = o.escalation_level
        where o.status in ('new', 'assigned', 'accepted', 'in_progress')
    ) d
    where i.id = d.id and i.due_at is distinct from d.due_at;
    return null;
end $$;

create trigger escalation_sla_due_at after insert or update or delete on escalation_sla
    for each statement execute function citygrid_sla_due_at();

update incidents i set due_at = coalesce(i.level_since, i.reported_at) + make_interval(secs => s.hours * 3600)
from escalation_sla s
where i.status in ('new', 'assigned', 'accepted', 'in_progress')
  and s.category = i.category and s.priority = i.priority and s.level = i.escalation_level;

-- One ordered index per list filter, each ending in (reported_at, id) so that "newest first"
-- with a keyset cursor is an index scan that stops after one page. They supersede the BRIN on
-- reported_at, the (grid_code, reported_at) index and the partial status index of 0001.
drop index incidents_reported_at_idx;
drop index incidents_grid_idx;
drop index incidents_open_idx;
create index incidents_newest_idx on incidents (reported_at desc, id desc);
create index incidents_status_newest_idx on incidents (status, reported_at desc, id desc);
create index incidents_category_newest_idx on incidents (category, reported_at desc, id desc);
create index incidents_grid_newest_idx on incidents (grid_code, reported_at desc, id desc);
-- Grid codes nest (county 6, township 9, village 12 digits), so a unit is a code prefix; the
-- county's index is incidents_county_idx of migration 0010 (also the county-scope filter's).
create index incidents_village_newest_idx on incidents (left(grid_code, 12), reported_at desc, id desc);
create index incidents_township_newest_idx on incidents (left(grid_code, 9), reported_at desc, id desc);
-- Open incidents are a small, hot part of the table: their own indexes, for the dispatcher's
-- list (newest, by deadline, by priority then deadline) and for escalation.
create index incidents_open_newest_idx on incidents (reported_at desc, id desc)
    where status in ('new', 'assigned', 'accepted', 'in_progress');
create index incidents_open_due_idx on incidents (due_at, id)
    where status in ('new', 'assigned', 'accepted', 'in_progress') and due_at is not null;
create index incidents_open_priority_idx on incidents (priority, coalesce(due_at, 'infinity'::timestamptz), id)
    where status in ('new', 'assigned', 'accepted', 'in_progress');
