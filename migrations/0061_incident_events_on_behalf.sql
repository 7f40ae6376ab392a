-- Grid workers have no logins: a dispatcher records a worker's steps (accept 签收, start 开始处置)
-- on the worker's behalf. The event keeps both: `actor_id` is the dispatcher's account,
-- `on_behalf_of` the grid worker whose step it is.
alter table incident_events add column on_behalf_of text references grid_workers (employee_no);
