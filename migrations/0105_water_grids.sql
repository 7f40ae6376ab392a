-- Water grids: a village's part of a lake is a grid of its own kind, so the partition stays
-- gap-free and the city keeps its 5,565 grids, water included. The dataset generator writes
-- them and generates no building, camera or incident on a lake; `tiles.grids` (0070/0085)
-- carries the column to the map, which fills water grids blue.
alter table grids add column kind text not null default 'land' check (kind in ('land', 'water'));
