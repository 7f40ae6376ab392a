#!/usr/bin/env python3
"""Extracts the lakes that reach into Huai'an from GSHHG into `lakes.geojson`.

Needs Debian's `gmt` and `gmt-gshhg-high` (GSHHG 2.3.7, LGPL-3+); the load does not.

    apt-get install -y gmt gmt-gshhg-high
    python3 data/extract_lakes.py > data/lakes.geojson

`gmt coast -Dh -W2 -M -A0/2/2` prints the level-2 shorelines (lakes) of the region, cut into
segments at GSHHG's bins. The region is larger than the city, so every lake reaching into it is
whole; the segments are joined end to end into closed rings, and the rings with a vertex inside
a district of `huaian_districts.geojson` are kept.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

REGION = "117.5/120.5/32.2/34.8"
# A point well inside each lake, for its name.
NAMES = [((118.55, 33.25), "洪泽湖", "Hongze Lake"), ((119.30, 32.85), "高邮湖", "Gaoyou Lake")]


def segments(text):
    out, cur = [], None
    for line in text.splitlines():
        if line.startswith(">"):
            cur = []
            out.append(cur)
        elif line.strip() and cur is not None:
            x, y = map(float, line.split()[:2])
            cur.append((x, y))
    return [s for s in out if len(s) > 1]


def rings(segs):
    """Joins segments whose ends meet into closed rings; open chains are dropped."""
    segs = [list(s) for s in segs]
    closed = []
    while segs:
        chain = segs.pop(0)
        grew = True
        while chain[0] != chain[-1] and grew:
            grew = False
            for i, s in enumerate(segs):
                if s[0] == chain[-1]:
                    chain += s[1:]
                elif s[-1] == chain[-1]:
                    chain += s[::-1][1:]
                elif s[-1] == chain[0]:
                    chain = s + chain[1:]
                elif s[0] == chain[0]:
                    chain = s[::-1] + chain[1:]
                else:
                    continue
                segs.pop(i)
                grew = True
                break
        if chain[0] == chain[-1] and len(chain) >= 4:
            closed.append(chain)
    return closed


def inside(p, ring):
    x, y = p
    c = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            c = not c
    return c


def in_polygon(p, geometry):
    polys = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return any(inside(p, poly[0]) and not any(inside(p, h) for h in poly[1:]) for poly in polys)


def main():
    here = Path(__file__).resolve().parent
    districts = json.loads((here / "huaian_districts.geojson").read_text(encoding="utf-8"))["features"]
    with tempfile.TemporaryDirectory() as scratch:  # gmt leaves its gmt.history in the working directory
        text = subprocess.run(
            ["gmt", "coast", f"-R{REGION}", "-Dh", "-W2", "-M", "-A0/2/2"],
            check=True,
            capture_output=True,
            text=True,
            cwd=scratch,
        ).stdout
    features = []
    for ring in rings(segments(text)):
        if not any(in_polygon(p, d["geometry"]) for p in ring for d in districts):
            continue
        name = next(((zh, en) for q, zh, en in NAMES if inside(q, ring)), None)
        if name is None:
            sys.exit(f"a lake without a name reaches into the city (first vertex {ring[0]})")
        features.append(
            {
                "type": "Feature",
                "properties": {"name": name[0], "name_en": name[1], "source": "GSHHG 2.3.7 high, level 2"},
                "geometry": {"type": "Polygon", "coordinates": [[[round(x, 7), round(y, 7)] for x, y in ring]]},
            }
        )
    features.sort(key=lambda f: f["properties"]["name_en"])
    json.dump({"type": "FeatureCollection", "features": features}, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
