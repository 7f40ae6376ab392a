-- Township (乡镇/街道) tiles at every zoom, not only from z9: the command view shows the whole
-- city (about z8.5) with county and township names over the heatmap, and its choropleth of
-- townships needs their outlines there. At z0–8 the 104 townships simplify to a few kB per tile.
-- `citygrid::tiles::LAYERS` says minzoom 0 for `townships` accordingly; the style's own
-- township layers keep their zooms (the command view widens the label's range itself). The
-- function's comment (martin's TileJSON) and its grant stay as 0003 set them.

create or replace function tiles.townships(z integer, x integer, y integer, query_params json)
returns bytea
language sql stable parallel safe
security definer set search_path = public, pg_temp
as $$ select tiles.admin_level('township', 'townships', z, x, y) $$;

