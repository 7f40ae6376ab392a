"""The exact maximal covering location optimum of a coverage matrix, by PuLP with its bundled CBC.

An independent oracle for the greedy placement of `POST /api/coverage/suggest`: used by
`backend/tests/coverage_suggest.rs` (small instances, solved to optimality) and by
`cargo xtask bench coverage` (a township at k = 20, within a time limit).

stdin: {"covers": [[building, ...] per candidate], "weights": [residents per building], "k": k,
        "time_limit_s": seconds or null}
stdout: {"objective": residents covered, "seconds": solve time, "optimal": true|false}
("optimal": false means the time limit stopped CBC with a feasible, not proven optimal, choice.)
"""
import json
import sys
import time

import pulp

d = json.load(sys.stdin)
covers, w, k = d["covers"], d["weights"], d["k"]
by_building = {}
for c, bs in enumerate(covers):
    for b in bs:
        by_building.setdefault(b, []).append(c)
p = pulp.LpProblem("mclp", pulp.LpMaximize)
x = [pulp.LpVariable(f"x{c}", cat="Binary") for c in range(len(covers))]
y = {b: pulp.LpVariable(f"y{b}", cat="Binary") for b in by_building}
p += pulp.lpSum(w[b] * y[b] for b in y)
p += pulp.lpSum(x) <= k
for b, cs in by_building.items():
    p += y[b] <= pulp.lpSum(x[c] for c in cs)
t = time.time()
p.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=d.get("time_limit_s")))
assert p.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible), pulp.LpStatus[p.status]
print(json.dumps({
    "objective": round(pulp.value(p.objective) or 0),
    "seconds": time.time() - t,
    "optimal": p.sol_status == pulp.LpSolutionOptimal,
}))
