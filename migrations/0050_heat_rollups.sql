-- Heat rollups: incident counts per Asia/Shanghai day (and month) × category × source × map
-- cell, kept current by statement-level triggers on `incidents`, and the heat tile function
-- `tiles.incidents_heat` that martin serves from them.
--
-- Cells. A cell of level L is the XYZ tile L/i/j: a square of the EPSG:3857 grid whose side is
-- 40,075,016.69 m / 2^L, so the cells of level L-1 are exactly the unions of four cells of level
-- L (parent = (i >> 1, j >> 1)) and every cell lies inside one tile of every zoom ≤ L. A cell
-- is stored by its Morton code q (bits of i and j interleaved), so the cells of one tile are one
-- range of q and a cell's ancestor k levels up is q >> 2k. Stored levels and the tile zooms
-- that read them (cells per tile side 32 = 16 px at 512 px tiles, or 16 = 32 px):
--
--   level 13 (4,892 m; ~4.1 km on the ground at 33.5°N)  z0–9   (z0–7 coarsened on the fly)
--   level 15 (1,223 m; ~1.0 km)                           z10–11
--   level 17 (306 m; ~255 m)                              z12–13
--   level 19 (76 m; ~64 m)                                z14
--   raw incident points                                   z15+
--
-- Levels 13 and 15 hold one row per cell and period with the counts of all 65 category × source
-- pairs in an array (their cells are busy: most pairs occur); levels 17 and 19 hold one row per
-- cell, period and pair that occurs (and level 17 a total row per cell and period), because
-- their cells are sparse.
-- Periods: days, and calendar months (a month row is the sum of its day rows).
--
-- What is counted: every incident except duplicates (status 'duplicate'), at the cell of its
-- point, on the Asia/Shanghai day of `reported_at`, in the county of its grid (the first 6
-- digits of `grid_code`; '' for an incident outside every grid), so a county-scoped user's tiles
-- count only their county.
--
-- Why triggers: every path that changes incidents (registration, transitions to and from
-- 'duplicate', deletion, re-routing by a boundary plan, bulk loads, hand-written SQL) goes
-- through them in the same transaction, so the rollups cannot drift from the raw rows and no
-- caller has to remember to update them. `stats.rebuild_heat()` recomputes them from scratch
-- with the same code (`citygrid rollups rebuild`).

create schema if not exists stats;

-- ---------------------------------------------------------------------------------------------
-- Category × source pairs, numbered in the order of `citygrid_api::CATEGORIES` and `SOURCES`
-- (checked by the backend test `heat_pairs_follow_the_api_catalogue`): pair = category × 5 + source.
-- ---------------------------------------------------------------------------------------------
create table stats.heat_pairs (
    pair     smallint primary key check (pair >= 0),
    category text not null references incident_categories (code),
    source   text not null references incident_sources (code),
    unique (category, source)
);

insert into stats.heat_pairs (pair, category, source)
select (c.i - 1) * 5 + (s.i - 1), c.code, s.code
from unnest(array['dispute.neighbor', 'dispute.family', 'dispute.property', 'dispute.labor', 'dispute.land',
                  'dispute.medical', 'alarm.intrusion', 'alarm.fire', 'alarm.traffic', 'alarm.crowd',
                  'citizen.infrastructure', 'citizen.environment', 'citizen.safety'])
         with ordinality as c (code, i),
     unnest(array['hotline', 'patrol', 'wechat', 'video', 'walk_in']) with ordinality as s (code, i);

-- ---------------------------------------------------------------------------------------------
-- Cell arithmetic.
-- ---------------------------------------------------------------------------------------------

-- Spreads the low 20 bits of v to the even bit positions (Morton encoding), ten bits at a time
-- through a table of the 1,024 spread 10-bit values (several times faster than bit twiddling in
-- PL/pgSQL, which matters when a bulk load or a rebuild places millions of points).
create function stats.spread_bits(v bigint) returns bigint
language sql immutable parallel safe
as $$
    select ('{0,1,4,5,16,17,20,21,64,65,68,69,80,81,84,85,256,257,260,261,272,273,276,277,320,321,324,325,336,337,340,341,1024,1025,1028,1029,1040,1041,1044,1045,1088,1089,1092,1093,1104,1105,1108,1109,1280,1281,1284,1285,1296,1297,1300,1301,1344,1345,1348,1349,1360,1361,1364,1365,4096,4097,4100,4101,4112,4113,4116,4117,4160,4161,4164,4165,4176,4177,4180,4181,4352,4353,4356,4357,4368,4369,4372,4373,4416,4417,4420,4421,4432,4433,4436,4437,5120,5121,5124,5125,5136,5137,5140,5141,5184,5185,5188,5189,5200,5201,5204,5205,5376,5377,5380,5381,5392,5393,5396,5397,5440,5441,5444,5445,5456,5457,5460,5461,16384,16385,16388,16389,16400,16401,16404,16405,16448,16449,16452,16453,16464,16465,16468,16469,16640,16641,16644,16645,16656,16657,16660,16661,16704,16705,16708,16709,16720,16721,16724,16725,17408,17409,17412,17413,17424,17425,17428,17429,17472,17473,17476,17477,17488,17489,17492,17493,17664,17665,17668,17669,17680,17681,17684,17685,17728,17729,17732,17733,17744,17745,17748,17749,20480,20481,20484,20485,20496,20497,20500,20501,20544,20545,20548,20549,20560,20561,20564,20565,20736,20737,20740,20741,20752,20753,20756,20757,20800,20801,20804,20805,20816,20817,20820,20821,21504,21505,21508,21509,21520,21521,21524,21525,21568,21569,21572,21573,21584,21585,21588,21589,21760,21761,21764,21765,21776,21777,21780,21781,21824,21825,21828,21829,21840,21841,21844,21845,65536,65537,65540,65541,65552,65553,65556,65557,65600,65601,65604,65605,65616,65617,65620,65621,65792,65793,65796,65797,65808,65809,65812,65813,65856,65857,65860,65861,65872,65873,65876,65877,66560,66561,66564,66565,66576,66577,66580,66581,66624,66625,66628,66629,66640,66641,66644,66645,66816,66817,66820,66821,66832,66833,66836,66837,66880,66881,66884,66885,66896,66897,66900,66901,69632,69633,69636,69637,69648,69649,69652,69653,69696,69697,69700,69701,69712,69713,69716,69717,69888,69889,69892,69893,69904,69905,69908,69909,69952,69953,69956,69957,69968,69969,69972,69973,70656,70657,70660,70661,70672,70673,70676,70677,70720,70721,70724,70725,70736,70737,70740,70741,70912,70913,70916,70917,70928,70929,70932,70933,70976,70977,70980,70981,70992,70993,70996,70997,81920,81921,81924,81925,81936,81937,81940,81941,81984,81985,81988,81989,82000,82001,82004,82005,82176,82177,82180,82181,82192,82193,82196,82197,82240,82241,82244,82245,82256,82257,82260,82261,82944,82945,82948,82949,82960,82961,82964,82965,83008,83009,83012,83013,83024,83025,83028,83029,83200,83201,83204,83205,83216,83217,83220,83221,83264,83265,83268,83269,83280,83281,83284,83285,86016,86017,86020,86021,86032,86033,86036,86037,86080,86081,86084,86085,86096,86097,86100,86101,86272,86273,86276,86277,86288,86289,86292,86293,86336,86337,86340,86341,86352,86353,86356,86357,87040,87041,87044,87045,87056,87057,87060,87061,87104,87105,87108,87109,87120,87121,87124,87125,87296,87297,87300,87301,87312,87313,87316,87317,87360,87361,87364,87365,87376,87377,87380,87381,262144,262145,262148,262149,262160,262161,262164,262165,262208,262209,262212,262213,262224,262225,262228,262229,262400,262401,262404,262405,262416,262417,262420,262421,262464,262465,262468,262469,262480,262481,262484,262485,263168,263169,263172,263173,263184,263185,263188,263189,263232,263233,263236,263237,263248,263249,263252,263253,263424,263425,263428,263429,263440,263441,263444,263445,263488,263489,263492,263493,263504,263505,263508,263509,266240,266241,266244,266245,266256,266257,266260,266261,266304,266305,266308,266309,266320,266321,266324,266325,266496,266497,266500,266501,266512,266513,266516,266517,266560,266561,266564,266565,266576,266577,266580,266581,267264,267265,267268,267269,267280,267281,267284,267285,267328,267329,267332,267333,267344,267345,267348,267349,267520,267521,267524,267525,267536,267537,267540,267541,267584,267585,267588,267589,267600,267601,267604,267605,278528,278529,278532,278533,278544,278545,278548,278549,278592,278593,278596,278597,278608,278609,278612,278613,278784,278785,278788,278789,278800,278801,278804,278805,278848,278849,278852,278853,278864,278865,278868,278869,279552,279553,279556,279557,279568,279569,279572,279573,279616,279617,279620,279621,279632,279633,279636,279637,279808,279809,279812,279813,279824,279825,279828,279829,279872,279873,279876,279877,279888,279889,279892,279893,282624,282625,282628,282629,282640,282641,282644,282645,282688,282689,282692,282693,282704,282705,282708,282709,282880,282881,282884,282885,282896,282897,282900,282901,282944,282945,282948,282949,282960,282961,282964,282965,283648,283649,283652,283653,283664,283665,283668,283669,283712,283713,283716,283717,283728,283729,283732,283733,283904,283905,283908,283909,283920,283921,283924,283925,283968,283969,283972,283973,283984,283985,283988,283989,327680,327681,327684,327685,327696,327697,327700,327701,327744,327745,327748,327749,327760,327761,327764,327765,327936,327937,327940,327941,327952,327953,327956,327957,328000,328001,328004,328005,328016,328017,328020,328021,328704,328705,328708,328709,328720,328721,328724,328725,328768,328769,328772,328773,328784,328785,328788,328789,328960,328961,328964,328965,328976,328977,328980,328981,329024,329025,329028,329029,329040,329041,329044,329045,331776,331777,331780,331781,331792,331793,331796,331797,331840,331841,331844,331845,331856,331857,331860,331861,332032,332033,332036,332037,332048,332049,332052,332053,332096,332097,332100,332101,332112,332113,332116,332117,332800,332801,332804,332805,332816,332817,332820,332821,332864,332865,332868,332869,332880,332881,332884,332885,333056,333057,333060,333061,333072,333073,333076,333077,333120,333121,333124,333125,333136,333137,333140,333141,344064,344065,344068,344069,344080,344081,344084,344085,344128,344129,344132,344133,344144,344145,344148,344149,344320,344321,344324,344325,344336,344337,344340,344341,344384,344385,344388,344389,344400,344401,344404,344405,345088,345089,345092,345093,345104,345105,345108,345109,345152,345153,345156,345157,345168,345169,345172,345173,345344,345345,345348,345349,345360,345361,345364,345365,345408,345409,345412,345413,345424,345425,345428,345429,348160,348161,348164,348165,348176,348177,348180,348181,348224,348225,348228,348229,348240,348241,348244,348245,348416,348417,348420,348421,348432,348433,348436,348437,348480,348481,348484,348485,348496,348497,348500,348501,349184,349185,349188,349189,349200,349201,349204,349205,349248,349249,349252,349253,349264,349265,349268,349269,349440,349441,349444,349445,349456,349457,349460,349461,349504,349505,349508,349509,349520,349521,349524,349525}'::bigint[])[(v & 1023) + 1]
         | (('{0,1,4,5,16,17,20,21,64,65,68,69,80,81,84,85,256,257,260,261,272,273,276,277,320,321,324,325,336,337,340,341,1024,1025,1028,1029,1040,1041,1044,1045,1088,1089,1092,1093,1104,1105,1108,1109,1280,1281,1284,1285,1296,1297,1300,1301,1344,1345,1348,1349,1360,1361,1364,1365,4096,4097,4100,4101,4112,4113,4116,4117,4160,4161,4164,4165,4176,4177,4180,4181,4352,4353,4356,4357,4368,4369,4372,4373,4416,4417,4420,4421,4432,4433,4436,4437,5120,5121,5124,5125,5136,5137,5140,5141,5184,5185,5188,5189,5200,5201,5204,5205,5376,5377,5380,5381,5392,5393,5396,5397,5440,5441,5444,5445,5456,5457,5460,5461,16384,16385,16388,16389,16400,16401,16404,16405,16448,16449,16452,16453,16464,16465,16468,16469,16640,16641,16644,16645,16656,16657,16660,16661,16704,16705,16708,16709,16720,16721,16724,16725,17408,17409,17412,17413,17424,17425,17428,17429,17472,17473,17476,17477,17488,17489,17492,17493,17664,17665,17668,17669,17680,17681,17684,17685,17728,17729,17732,17733,17744,17745,17748,17749,20480,20481,20484,20485,20496,20497,20500,20501,20544,20545,20548,20549,20560,20561,20564,20565,20736,20737,20740,20741,20752,20753,20756,20757,20800,20801,20804,20805,20816,20817,20820,20821,21504,21505,21508,21509,21520,21521,21524,21525,21568,21569,21572,21573,21584,21585,21588,21589,21760,21761,21764,21765,21776,21777,21780,21781,21824,21825,21828,21829,21840,21841,21844,21845,65536,65537,65540,65541,65552,65553,65556,65557,65600,65601,65604,65605,65616,65617,65620,65621,65792,65793,65796,65797,65808,65809,65812,65813,65856,65857,65860,65861,65872,65873,65876,65877,66560,66561,66564,66565,66576,66577,66580,66581,66624,66625,66628,66629,66640,66641,66644,66645,66816,66817,66820,66821,66832,66833,66836,66837,66880,66881,66884,66885,66896,66897,66900,66901,69632,69633,69636,69637,69648,69649,69652,69653,69696,69697,69700,69701,69712,69713,69716,69717,69888,69889,69892,69893,69904,69905,69908,69909,69952,69953,69956,69957,69968,69969,69972,69973,70656,70657,70660,70661,70672,70673,70676,70677,70720,70721,70724,70725,70736,70737,70740,70741,70912,70913,70916,70917,70928,70929,70932,70933,70976,70977,70980,70981,70992,70993,70996,70997,81920,81921,81924,81925,81936,81937,81940,81941,81984,81985,81988,81989,82000,82001,82004,82005,82176,82177,82180,82181,82192,82193,82196,82197,82240,82241,82244,82245,82256,82257,82260,82261,82944,82945,82948,82949,82960,82961,82964,82965,83008,83009,83012,83013,83024,83025,83028,83029,83200,83201,83204,83205,83216,83217,83220,83221,83264,83265,83268,83269,83280,83281,83284,83285,86016,86017,86020,86021,86032,86033,86036,86037,86080,86081,86084,86085,86096,86097,86100,86101,86272,86273,86276,86277,86288,86289,86292,86293,86336,86337,86340,86341,86352,86353,86356,86357,87040,87041,87044,87045,87056,87057,87060,87061,87104,87105,87108,87109,87120,87121,87124,87125,87296,87297,87300,87301,87312,87313,87316,87317,87360,87361,87364,87365,87376,87377,87380,87381,262144,262145,262148,262149,262160,262161,262164,262165,262208,262209,262212,262213,262224,262225,262228,262229,262400,262401,262404,262405,262416,262417,262420,262421,262464,262465,262468,262469,262480,262481,262484,262485,263168,263169,263172,263173,263184,263185,263188,263189,263232,263233,263236,263237,263248,263249,263252,263253,263424,263425,263428,263429,263440,263441,263444,263445,263488,263489,263492,263493,263504,263505,263508,263509,266240,266241,266244,266245,266256,266257,266260,266261,266304,266305,266308,266309,266320,266321,266324,266325,266496,266497,266500,266501,266512,266513,266516,266517,266560,266561,266564,266565,266576,266577,266580,266581,267264,267265,267268,267269,267280,267281,267284,267285,267328,267329,267332,267333,267344,267345,267348,267349,267520,267521,267524,267525,267536,267537,267540,267541,267584,267585,267588,267589,267600,267601,267604,267605,278528,278529,278532,278533,278544,278545,278548,278549,278592,278593,278596,278597,278608,278609,278612,278613,278784,278785,278788,278789,278800,278801,278804,278805,278848,278849,278852,278853,278864,278865,278868,278869,279552,279553,279556,279557,279568,279569,279572,279573,279616,279617,279620,279621,279632,279633,279636,279637,279808,279809,279812,279813,279824,279825,279828,279829,279872,279873,279876,279877,279888,279889,279892,279893,282624,282625,282628,282629,282640,282641,282644,282645,282688,282689,282692,282693,282704,282705,282708,282709,282880,282881,282884,282885,282896,282897,282900,282901,282944,282945,282948,282949,282960,282961,282964,282965,283648,283649,283652,283653,283664,283665,283668,283669,283712,283713,283716,283717,283728,283729,283732,283733,283904,283905,283908,283909,283920,283921,283924,283925,283968,283969,283972,283973,283984,283985,283988,283989,327680,327681,327684,327685,327696,327697,327700,327701,327744,327745,327748,327749,327760,327761,327764,327765,327936,327937,327940,327941,327952,327953,327956,327957,328000,328001,328004,328005,328016,328017,328020,328021,328704,328705,328708,328709,328720,328721,328724,328725,328768,328769,328772,328773,328784,328785,328788,328789,328960,328961,328964,328965,328976,328977,328980,328981,329024,329025,329028,329029,329040,329041,329044,329045,331776,331777,331780,331781,331792,331793,331796,331797,331840,331841,331844,331845,331856,331857,331860,331861,332032,332033,332036,332037,332048,332049,332052,332053,332096,332097,332100,332101,332112,332113,332116,332117,332800,332801,332804,332805,332816,332817,332820,332821,332864,332865,332868,332869,332880,332881,332884,332885,333056,333057,333060,333061,333072,333073,333076,333077,333120,333121,333124,333125,333136,333137,333140,333141,344064,344065,344068,344069,344080,344081,344084,344085,344128,344129,344132,344133,344144,344145,344148,344149,344320,344321,344324,344325,344336,344337,344340,344341,344384,344385,344388,344389,344400,344401,344404,344405,345088,345089,345092,345093,345104,345105,345108,345109,345152,345153,345156,345157,345168,345169,345172,345173,345344,345345,345348,345349,345360,345361,345364,345365,345408,345409,345412,345413,345424,345425,345428,345429,348160,348161,348164,348165,348176,348177,348180,348181,348224,348225,348228,348229,348240,348241,348244,348245,348416,348417,348420,348421,348432,348433,348436,348437,348480,348481,348484,348485,348496,348497,348500,348501,349184,349185,349188,349189,349200,349201,349204,349205,349248,349249,349252,349253,349264,349265,349268,349269,349440,349441,349444,349445,349456,349457,349460,349461,349504,349505,349508,349509,349520,349521,349524,349525}'::bigint[])[((v >> 10) & 1023) + 1] << 20)
$$;

-- The inverse: gathers the even bits of v.
create function stats.compact_bits(v bigint) returns bigint
language plpgsql immutable strict parallel safe
as $$
begin
    v := v & 6148914691236517205;
    v := (v | (v >> 1)) & 3689348814741910323;
    v := (v | (v >> 2)) & 1085102592571150095;
    v := (v | (v >> 4)) & 71777214294589695;
    v := (v | (v >> 8)) & 281470681808895;
    v := (v | (v >> 16)) & 4294967295;
    return v;
end
$$;

-- The Morton code of tile/cell (i, j).
create function stats.morton(i bigint, j bigint) returns bigint
language sql immutable parallel safe
as $$ select stats.spread_bits(i) | (stats.spread_bits(j) << 1) $$;

-- The level-19 cell of a point (EPSG:4326). Web Mercator by its formulas (x = R·λ,
-- y = R·ln tan(π/4 + φ/2), R = 6,378,137 m): what ST_Transform(p, 3857) computes, to 1e-8 m,
-- at a fraction of its cost.
create function stats.cell19(p geometry) returns bigint
language sql immutable parallel safe
as $$
    select stats.morton(
        floor((6378137.0 * radians(st_x(p)) + 20037508.342789244) / 76.43702828517625)::bigint,
        floor((20037508.342789244 - 6378137.0 * ln(tan(pi() / 4 + radians(st_y(p)) / 2))) / 76.43702828517625)::bigint)
$$;

-- ---------------------------------------------------------------------------------------------
-- The rollup tables.
-- ---------------------------------------------------------------------------------------------

-- Levels 13 and 15: one row per (level, period, cell, county).
create table stats.heat_coarse (
    lvl     smallint not null check (lvl in (13, 15)),
    -- true: `start` is the first day of a calendar month and the row counts the whole month.
    monthly boolean not null,
    start   date not null check (not monthly or extract(day from start) = 1),
    q       bigint not null,
    county  text not null,
    -- Never zero or negative after `stats.apply_heat_delta` (no CHECK: an upsert checks the
    -- proposed row, which carries the signed delta, before it finds the conflict).
    total   integer not null,
    -- counts[pair + 1]: incidents of that category × source pair.
    counts  integer[] not null,
    primary key (lvl, monthly, start, q, county)
);

-- Levels 17 and 19: one row per (level, period, key, cell, county) that counts something; key
-- p + 1 counts the pair p, key 0 (level 17 only) all pairs.
create table stats.heat_fine (
    lvl     smallint not null check (lvl in (17, 19)),
    monthly boolean not null,
    start   date not null check (not monthly or extract(day from start) = 1),
    key     smallint not null check (key >= 0),
    q       bigint not null,
    county  text not null,
    -- Positive after `stats.apply_heat_delta` (see heat_coarse.total).
    n       integer not null,
    primary key (lvl, monthly, start, key, q, county)
);

-- A counter per day, bumped by every statement that changes that day's counts: the freshness
-- token of a window is the sum over its days (see `citygrid::stats::heat::token`), so it
-- changes exactly when the window's tiles may have.
create table stats.heat_changes (
    day date primary key,
    seq bigint not null check (seq > 0)
);

-- ---------------------------------------------------------------------------------------------
-- What incidents contribute: the one definition, as a query over a relation of incident rows
-- (the table, or a trigger's transition table): (county, level-19 cell, day, pair, n = sign).
-- ---------------------------------------------------------------------------------------------
create function stats.heat_facts_sql(rel text, sign integer) returns text
language sql immutable parallel safe
as $$
    select format(
        'select coalesce(left(r.grid_code, 6), %L) as county, stats.cell19(r.geom) as q19,
                (r.reported_at at time zone %L)::date as day, p.pair, %s::integer as n
         from %I r join stats.heat_pairs p on p.category = r.category and p.source = r.source
         where r.status <> %L',
        '', 'Asia/Shanghai', sign, rel, 'duplicate')
$$;

-- Element-wise sum of two count arrays (nulls count as zero; the result is as long as the
-- longer one).
create function stats.add_counts(a integer[], b integer[]) returns integer[]
language sql immutable parallel safe
as $$
    select coalesce(array_agg(coalesce(x, 0) + coalesce(y, 0) order by k), '{}')
    from unnest(a, b) with ordinality as t (x, y, k)
$$;

-- The element-wise tally of (index, n) rows into an array of `size` counts (null indexes are
-- skipped): an aggregate.
create function stats.tally_step(state integer[], idx smallint, n integer, size integer) returns integer[]
language plpgsql immutable parallel safe
as $$
begin
    if state is null then
        state := array_fill(0, array[size]);
    end if;
    if idx is not null then
        state[idx + 1] := coalesce(state[idx + 1], 0) + n;
    end if;
    return state;
end
$$;

create aggregate stats.tally(smallint, integer, integer) (sfunc = stats.tally_step, stype = integer[]);

-- The signed facts of one statement, summed per (county, cell, day, pair), wait in the temporary
-- table `heat_delta` (filled by the caller: only the trigger function itself can read its
-- transition tables); `stats.apply_heat_delta` adds them to every rollup, the one place that
-- writes them.
create function stats.heat_delta_reset() returns void
language plpgsql
as $$
begin
    if to_regclass('pg_temp.heat_delta') is null then
        create temp table heat_delta (county text, q19 bigint, day date, pair smallint, n integer)
            on commit delete rows;
    else
        truncate heat_delta;
    end if;
end
$$;

create function stats.apply_heat_delta() returns void
language plpgsql
set work_mem = '256MB'
as $$
declare
    -- Empty rollups and a large delta (a rebuild, the first bulk load): insert without conflict
    -- checks into tables without their primary keys, then build the keys once (sorted).
    bulk boolean := (select count(*) > 50000 from heat_delta)
                    and not exists (select 1 from stats.heat_coarse) and not exists (select 1 from stats.heat_fine);
    upsert text;
begin
    if not exists (select 1 from heat_delta) then
        return;
    end if;
    if bulk then
        alter table stats.heat_coarse drop constraint heat_coarse_pkey;
        alter table stats.heat_fine drop constraint heat_fine_pkey;
    end if;

    -- Coarse levels: one count array per cell and period; rows that fell to zero go.
    upsert := case when bulk then '' else
        'on conflict (lvl, monthly, start, q, county) do update
             set total = h.total + excluded.total, counts = stats.add_counts(h.counts, excluded.counts)' end;
    execute format($q$
        insert into stats.heat_coarse as h (lvl, monthly, start, q, county, total, counts)
        select s.lvl, s.monthly, s.start, s.q, s.county, sum(s.n), stats.tally(s.pair, s.n::integer, 65)
        from (
            select l.lvl, g.monthly, g.start, d.q19 >> (2 * (19 - l.lvl)) as q, d.county, d.pair, sum(d.n) as n
            from heat_delta d
            cross join (values (13::smallint), (15::smallint)) as l (lvl)
            cross join lateral (values (false, d.day), (true, date_trunc('month', d.day::timestamp)::date))
                as g (monthly, start)
            group by 1, 2, 3, 4, 5, 6
        ) s
        group by 1, 2, 3, 4, 5
        order by 1, 2, 3, 4, 5
        %s $q$, upsert);

    -- Fine levels: each pair's row, and at level 17 the total (key 0); level-19 cells hold one
    -- or two incidents a day, so a total would be nearly as many rows as the pairs themselves.
    upsert := case when bulk then '' else 'on conflict (lvl, monthly, start, key, q, county) do update set n = h.n + excluded.n' end;
    execute format($q$
        insert into stats.heat_fine as h (lvl, monthly, start, key, q, county, n)
        select l.lvl, g.monthly, g.start, k.key, d.q19 >> (2 * (19 - l.lvl)), d.county, sum(d.n)
        from heat_delta d
        cross join (values (17::smallint), (19::smallint)) as l (lvl)
        cross join lateral (values (false, d.day), (true, date_trunc('month', d.day::timestamp)::date)) as g (monthly, start)
        cross join lateral (select (d.pair + 1)::smallint union all select 0::smallint where l.lvl = 17) as k (key)
        group by 1, 2, 3, 4, 5, 6
        order by 1, 2, 3, 4, 5, 6
        %s $q$, upsert);

    if bulk then
        alter table stats.heat_coarse add primary key (lvl, monthly, start, q, county);
        alter table stats.heat_fine add primary key (lvl, monthly, start, key, q, county);
    elsif exists (select 1 from heat_delta where n < 0) then
        delete from stats.heat_coarse h
        using (select distinct d.county, d.q19, d.day from heat_delta d where d.n < 0) d,
              (values (13::smallint), (15::smallint)) as l (lvl),
              lateral (values (false, d.day), (true, date_trunc('month', d.day::timestamp)::date)) as g (monthly, start)
        where h.lvl = l.lvl and h.monthly = g.monthly and h.start = g.start
          and h.q = d.q19 >> (2 * (19 - l.lvl)) and h.county = d.county and h.total = 0;
        delete from stats.heat_fine h
        using (select distinct d.county, d.q19, d.day, d.pair from heat_delta d where d.n < 0) d,
              (values (17::smallint), (19::smallint)) as l (lvl),
              lateral (values (false, d.day), (true, date_trunc('month', d.day::timestamp)::date)) as g (monthly, start),
              lateral (values (0::smallint), ((d.pair + 1)::smallint)) as k (key)
        where h.lvl = l.lvl and h.monthly = g.monthly and h.start = g.start and h.key = k.key
          and h.q = d.q19 >> (2 * (19 - l.lvl)) and h.county = d.county and h.n = 0;
    end if;

    insert into stats.heat_changes as c (day, seq)
    select distinct day, 1 from heat_delta order by day
    on conflict (day) do update set seq = c.seq + 1;
end
$$;

-- ---------------------------------------------------------------------------------------------
-- Triggers: statement-level with transition tables, so a bulk load or a plan that re-routes
-- thousands of incidents is one call, and an update that changes nothing the heat counts
-- (status changes other than to and from 'duplicate', escalations, assignments) cancels out.
-- ---------------------------------------------------------------------------------------------
create function stats.incidents_heat() returns trigger
language plpgsql
as $$
declare
    facts text := case tg_op
        when 'INSERT' then stats.heat_facts_sql('new_rows', 1)
        when 'DELETE' then stats.heat_facts_sql('old_rows', -1)
        else stats.heat_facts_sql('new_rows', 1) || ' union all ' || stats.heat_facts_sql('old_rows', -1) end;
begin
    perform stats.heat_delta_reset();
    execute 'insert into heat_delta select county, q19, day, pair, sum(n) from (' || facts || ') f
             group by 1, 2, 3, 4 having sum(n) <> 0';
    perform stats.apply_heat_delta();
    return null;
end
$$;

create function stats.incidents_heat_truncate() returns trigger
language plpgsql
as $$
begin
    truncate stats.heat_coarse, stats.heat_fine;
    update stats.heat_changes set seq = seq + 1;
    return null;
end
$$;

create trigger incidents_heat_insert after insert on incidents
    referencing new table as new_rows for each statement execute function stats.incidents_heat();
create trigger incidents_heat_update after update on incidents
    referencing old table as old_rows new table as new_rows for each statement execute function stats.incidents_heat();
create trigger incidents_heat_delete after delete on incidents
    referencing old table as old_rows for each statement execute function stats.incidents_heat();
create trigger incidents_heat_truncate after truncate on incidents
    for each statement execute function stats.incidents_heat_truncate();

-- Recomputes every heat rollup from the raw incidents with the same code as the triggers.
-- Blocks incident writes while it runs; bumps every day's change counter and the layer version,
-- so no cached tile survives it.
create function stats.rebuild_heat() returns void
language plpgsql
set work_mem = '256MB'
as $$
begin
    lock table incidents in share mode;
    truncate stats.heat_coarse, stats.heat_fine;
    perform stats.heat_delta_reset();
    execute 'insert into heat_delta select county, q19, day, pair, sum(n) from ('
            || stats.heat_facts_sql('incidents', 1) || ') f group by 1, 2, 3, 4';
    perform stats.apply_heat_delta();
    update stats.heat_changes set seq = seq + 1;
    insert into layer_versions (layer) values ('incidents_heat')
        on conflict (layer) do update set version = layer_versions.version + 1;
end
$$;

insert into layer_versions (layer) values ('incidents_heat') on conflict do nothing;

-- ---------------------------------------------------------------------------------------------
-- The tile function.
-- ---------------------------------------------------------------------------------------------

-- The window [from, to) as whole calendar months and the remaining days.
create function stats.window_periods(from_day date, to_day date, out months date[], out days date[])
language sql immutable parallel safe
as $$
    with b as (
        select case when extract(day from from_day) = 1 then from_day
                    else (date_trunc('month', from_day::timestamp) + interval '1 month')::date end as m0,
               date_trunc('month', to_day::timestamp)::date as m1
    )
    select case when b.m0 < b.m1
                then array(select generate_series(b.m0, b.m1 - interval '1 month', interval '1 month')::date)
                else '{}'::date[] end,
           case when b.m0 < b.m1
                then array(select generate_series(from_day, b.m0 - 1, interval '1 day')::date
                           union all
                           select generate_series(b.m1, to_day - 1, interval '1 day')::date)
                else array(select generate_series(from_day, to_day - 1, interval '1 day')::date) end
    from b
$$;

-- The pairs a filter admits (null: every pair, no filter): `cats` and `srcs` are lists of
-- codes, null for all.
create function stats.heat_filter_pairs(cats text[], srcs text[]) returns smallint[]
language sql stable parallel safe
as $$
    select case when cats is null and srcs is null then null
                else (select coalesce(array_agg(p.pair order by p.pair), '{}') from stats.heat_pairs p
                      where (cats is null or p.category = any(cats)) and (srcs is null or p.source = any(srcs)))
           end
$$;

-- Incident counts per cell of stored level `lvl` (13, 15, 17 or 19) with q in [lo, hi), for the
-- days [from_day, to_day), the pairs `pairs` (null: all) and the county `county_f` (null: all):
-- whole months from the month rows, the other days from the day rows. Cells without incidents
-- are left out. The tile function and the heat scale (`citygrid::stats::heat`) both read the
-- rollups through here.
create function stats.heat_cells(lvl integer, from_day date, to_day date, pairs smallint[], county_f text,
                                 lo bigint, hi bigint)
returns table (q bigint, n bigint)
language plpgsql stable parallel safe
as $$
declare
    months date[];
    days date[];
    n_expr text;
    -- Level 17 keeps a total (key 0); level 19 adds up its pairs.
    keys smallint[] := case when pairs is null and lvl = 17 then '{0}'::smallint[]
                            else array(select (k + 1)::smallint
                                       from unnest(coalesce(pairs, array(select pair from stats.heat_pairs))) k) end;
begin
    select w.months, w.days into months, days from stats.window_periods(from_day, to_day) w;
    if lvl in (13, 15) then
        -- One row per cell and period: a filter adds up its pairs' elements.
        n_expr := case when pairs is null then 'h.total'
                       when cardinality(pairs) = 0 then '0'
                       else (select string_agg(format('coalesce(h.counts[%s], 0)', k + 1), ' + ') from unnest(pairs) k)
                  end;
        return query execute format($q$
            select r.q, sum(r.n)::bigint from (
                select h.q, %1$s as n from stats.heat_coarse h
                where h.lvl = $1 and not h.monthly and h.start = any($2) and h.q >= $4 and h.q < $5
                  and ($6::text is null or h.county = $6)
                union all
                select h.q, %1$s from stats.heat_coarse h
                where h.lvl = $1 and h.monthly and h.start = any($3) and h.q >= $4 and h.q < $5
                  and ($6::text is null or h.county = $6)
            ) r
            group by r.q
            having sum(r.n) > 0 $q$, n_expr)
        using lvl, days, months, lo, hi, county_f;
    else
        -- One row per cell, period and key (0: all pairs, p + 1: pair p).
        return query
            select r.q, sum(r.n)::bigint from (
                select h.q, h.n from stats.heat_fine h
                where h.lvl = heat_cells.lvl and not h.monthly and h.start = any(days)
                  and h.key = any(keys)
                  and h.q >= lo and h.q < hi and (county_f is null or h.county = county_f)
                union all
                select h.q, h.n from stats.heat_fine h
                where h.lvl = heat_cells.lvl and h.monthly and h.start = any(months)
                  and h.key = any(keys)
                  and h.q >= lo and h.q < hi and (county_f is null or h.county = county_f)
            ) r
            group by r.q;
    end if;
end
$$;

-- Layer `incidents_heat`: one Point feature per cell with incidents (at the cell's centre), with
-- the attribute `count`. Query parameters (the backend's proxy normalises them): `from`, `to`
-- (YYYY-MM-DD, `to` exclusive; required), `category`, `source` (comma-separated codes; absent:
-- all), `county` (6 digits: only that county), `t` and `v` (cache keys, unused here). Cells are
-- those of level z + 5 (32 per tile side), or z + 4 at zooms 9, 11 and 13 (16 per side); from
-- z15 they are counted from the raw incident points. Must match `citygrid::stats::heat::levels`.
create function tiles.incidents_heat(z integer, x integer, y integer, query_params json) returns bytea
language plpgsql stable parallel safe
security definer set search_path = public, pg_temp
as $$
declare
    p_from date;
    p_to date;
    cats text[] := string_to_array(nullif(query_params ->> 'category', ''), ',');
    srcs text[] := string_to_array(nullif(query_params ->> 'source', ''), ',');
    county_f text := nullif(query_params ->> 'county', '');
    stored integer;     -- the level read
    target integer;     -- the level drawn (stored, or coarser below z8)
    per_side bigint;    -- cells per tile side at `target`
    cell_m double precision;
    mvt bytea;
begin
    if coalesce(query_params ->> 'from', '') !~ '^\d{4}-\d{2}-\d{2}$'
       or coalesce(query_params ->> 'to', '') !~ '^\d{4}-\d{2}-\d{2}$' or z < 0 or z > 22 then
        return ''::bytea;
    end if;
    p_from := (query_params ->> 'from')::date;
    p_to := (query_params ->> 'to')::date;
    if p_from >= p_to or p_to - p_from > 3 * 366 then
        return ''::bytea;
    end if;

    if z >= 15 then
        -- Raw points, counted per cell of level z + 5 with the same floor rule as the rollups.
        cell_m := 40075016.685578488 / (1::bigint << (z + 5));
        select st_asmvt(t, 'incidents_heat', 4096, 'geom') into mvt
        from (
            select count(*)::integer as count,
                   st_point((c.i - (x::bigint << 5) + 0.5) * 128.0, (c.j - (y::bigint << 5) + 0.5) * 128.0) as geom
            from (
                select floor((6378137.0 * radians(st_x(i.geom)) + 20037508.342789244) / cell_m)::bigint as i,
                       floor((20037508.342789244 - 6378137.0 * ln(tan(pi() / 4 + radians(st_y(i.geom)) / 2))) / cell_m)::bigint as j
                from incidents i
                where i.geom && st_transform(st_tileenvelope(z, x, y, margin => 1.0 / 4096), 4326)
                  and i.reported_at >= (p_from::timestamp at time zone 'Asia/Shanghai')
                  and i.reported_at < (p_to::timestamp at time zone 'Asia/Shanghai')
                  and i.status <> 'duplicate'
                  and (cats is null or i.category = any(cats))
                  and (srcs is null or i.source = any(srcs))
                  and (county_f is null or left(i.grid_code, 6) = county_f)
            ) c
            where c.i >> 5 = x and c.j >> 5 = y
            group by c.i, c.j
        ) t;
        return coalesce(mvt, ''::bytea);
    end if;

    stored := case when z <= 9 then 13 when z <= 11 then 15 when z <= 13 then 17 else 19 end;
    target := least(stored, z + 5);
    per_side := 1::bigint << (target - z);
    select st_asmvt(t, 'incidents_heat', 4096, 'geom') into mvt
    from (
        select c.n::integer as count,
               st_point((stats.compact_bits(c.cell) - x * per_side + 0.5) * 4096.0 / per_side,
                        (stats.compact_bits(c.cell >> 1) - y * per_side + 0.5) * 4096.0 / per_side) as geom
        from (
            select h.q >> (2 * (stored - target)) as cell, sum(h.n) as n
            from stats.heat_cells(stored, p_from, p_to, stats.heat_filter_pairs(cats, srcs), county_f,
                                  stats.morton(x, y) << (2 * (stored - z)),
                                  (stats.morton(x, y) + 1) << (2 * (stored - z))) h
            group by 1
        ) c
    ) t;
    return coalesce(mvt, ''::bytea);
end
$$;

comment on function tiles.incidents_heat(integer, integer, integer, json) is
    '{"description": "Incident heat: counts per map cell for a time window (restricted: admin, leader)"}';

revoke all on function tiles.incidents_heat(integer, integer, integer, json) from public;

do $$
begin
    if exists (select 1 from pg_roles where rolname = 'citygrid_tiles') then
        grant usage on schema tiles to citygrid_tiles;
        grant execute on all functions in schema tiles to citygrid_tiles;
    end if;
end
$$;

-- Existing incidents (a database migrated after its dataset was loaded).
select stats.rebuild_heat();
