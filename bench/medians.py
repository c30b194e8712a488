"""Median and MAD of each command in a hyperfine JSON export, and the
ratios of the first command against the second and the third."""

import json
import statistics
import sys

runs = json.load(open(sys.argv[1]))["results"]
med = [r["median"] for r in runs]
print(f"median (MAD) of {len(runs[0]['times'])} runs each:")
for r, m in zip(runs, med):
    mad = statistics.median(abs(t - m) for t in r["times"])
    print(f"  {m * 1e3:7.2f} ms ({mad * 1e3:.2f})  {r['command']}")
print(f"first / second: {med[0] / med[1]:.3f}x; first / third: {med[0] / med[2]:.2f}x")
