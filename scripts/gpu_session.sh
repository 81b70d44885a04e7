#!/usr/bin/env bash
# The GPU checks of one lent GPU session, as one script (a lease is short: ~15 min in all).
#
#   [FOCUS="cat1 cat2"] bash scripts/gpu_session.sh OUTDIR [SECONDS] [PROCS]
#
# Needs warp importable (on the lent machine: ../shared/device/setup_warp.sh) and src/ on PYTHONPATH.
# 1. scripts/gpu_check.py in PROCS processes (default 12), each on its own range of fresh seeds,
#    for SECONDS (default 270) each: the static race check, then CPU vs CUDA forward and adjoints,
#    and per-thread kernels again at block_dim 32 (verify/cuda.py); one more process per category in FOCUS.
#    Merged into OUTDIR/gpu_check.json.
# 2. meanwhile `warpsynth generate --verify cuda` (48 samples) and `warpsynth validate` on its output
#    (SKIP_GENERATE=1 leaves it out).
# OUTDIR/summary.txt has the figures; logs of failures are kept beside it.
set -u
OUT=${1:?usage: gpu_session.sh OUTDIR [SECONDS] [PROCS]}
SECS=${2:-270}
PROCS=${3:-12}
export PYTHONUNBUFFERED=1
mkdir -p "$OUT"
W=$(mktemp -d)
ws() { python3 -c 'import sys; from warpsynth.cli import main; sys.exit(main())' "$@"; }

{ date -u; nvidia-smi -L; python3 -c "import warp as wp; wp.config.quiet=True; wp.init(); print('warp', wp.__version__, [str(d) for d in wp.get_cuda_devices()])"; } > "$OUT/summary.txt" 2>&1

# the default mix in PROCS processes, plus one process per category named in FOCUS (space-separated)
i=0
for cat in $(seq 1 "$PROCS") ${FOCUS:-}; do
  case "$cat" in [0-9]*) only=() ;; *) only=(--category "$cat") ;; esac
  WARP_CACHE_PATH="$W/cache$i" python3 scripts/gpu_check.py -n 1000000 --start-seed $((20000000 + i * 1000000)) \
    "${only[@]}" --max-seconds "$SECS" --json "$W/gc$i.json" > "$W/gc$i.log" 2>&1 &
  i=$((i + 1))
done

if [ -z "${SKIP_GENERATE:-}" ]; then
  t0=$(date +%s)
  WARP_CACHE_PATH="$W/cacheg" ws generate -n 48 -o "$W/gen" --seed 3 --workers 2 --verify cuda > "$W/generate.log" 2>&1
  echo "generate --verify cuda: rc=$? in $(( $(date +%s) - t0 )) s" >> "$OUT/summary.txt"
  ws validate "$W/gen" > "$W/validate.log" 2>&1
  echo "validate: rc=$?" >> "$OUT/summary.txt"
  tail -n 30 "$W/generate.log" "$W/validate.log" > "$OUT/generate.log"
fi

wait
python3 - "$W" "$OUT" <<'PY' >> "$OUT/summary.txt" 2>&1
import glob, json, sys
from collections import Counter, defaultdict
w, out = sys.argv[1:]
counts, cats, problems, parts = Counter(), defaultdict(Counter), [], []
for path in sorted(glob.glob(f"{w}/gc*.json")):
    r = json.load(open(path))
    parts.append({k: r[k] for k in ("start_seed", "checked", "seconds", "counts")})
    counts.update(r["counts"])
    for c, v in r["categories"].items():
        cats[c].update(v)
    problems += r["problems"]
    dev = f"{r['device_name']} {r['arch']}"
missing = [f for f in sorted(glob.glob(f"{w}/gc*.log")) if f.replace(".log", ".json") not in glob.glob(f"{w}/gc*.json")]
report = {"device": dev if parts else None, "checked": sum(counts.values()), "counts": dict(counts),
          "categories": {c: dict(v) for c, v in sorted(cats.items())}, "parts": parts, "problems": problems}
json.dump(report, open(f"{out}/gpu_check.json", "w"), indent=1)
print(f"gpu_check: {report['checked']} kernels on {report['device']}: {dict(counts)}; processes without a report: {len(missing)}")
for c, v in sorted(cats.items()):
    print(f"  {c:24s} {dict(v)}")
for p in problems[:40]:
    print(f"  seed {p['seed']} {p['category']}: {p['status']} {p['detail'][:200]}")
for f in missing[:3]:
    print(f"--- {f}\n" + open(f).read()[-1500:])
PY
cat "$OUT/summary.txt"
