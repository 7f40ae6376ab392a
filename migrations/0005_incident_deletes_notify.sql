-- Incidents that are deleted (or truncated away) must leave every backend's duplicate index
-- too; 0004 only notified inserts and updates.

create trigger incidents_notify_delete after delete on incidents
    referencing old table as changed for each statement execute function citygrid_notify_incidents();

create function citygrid_notify_all_incidents() returns trigger language plpgsql as $$
begin
    perform pg_notify('citygrid_changes', 'incidents:*');
    return null;
end $$;

create trigger incidents_notify_truncate after truncate on incidents
    for each statement execute function citygrid_notify_all_incidents();
