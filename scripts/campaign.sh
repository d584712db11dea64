#!/usr/bin/env bash
# The reproduction campaign of docs/RESULTS.md ("The campaign"), in the paper's units and
# defaults (bp-lambda run --help), one chunk at a time, each run folder under results/:
#   bash scripts/campaign.sh toy | mnist-1 | mnist-2 | mnist-3 | copy-repeat | copy-repeat-10k-1 | copy-repeat-10k-2 | all
# Every chunk runs the entries of its sweeps two at a time (--jobs 2; copy-repeat one at a time:
# its blocked trace may need 19.7 GB once a sequence passes K = n = 200 steps); an interrupted chunk
# continues where it stopped when started again (each folder is resumed from its checkpoints).
# Tables: npm run --silent results:tables -- results/…
set -euo pipefail
cd "$(dirname "$0")/.."
run() {
  local jobs=${JOBS:-2} out=$1; shift
  if [ -f "$out/summary.json" ]; then echo "done already: $out"; return; fi
  if [ -f "$out/run.json" ]; then node --import tsx src/cli/main.ts run --resume "$out" --jobs "$jobs"
  else node --import tsx src/cli/main.ts run "$@" --jobs "$jobs" --out "$out"; fi
}
toy() {
  for G in 1 1.6; do
    for T in 10 30 60; do run "results/toy-g$G-fixed-T$T" toy --gain "$G" --steps "$T" --lambda 0,0.5,1 --seeds 1,2,3,4,5; done
  done
  run results/toy-g1.6-plastic-T30 toy --plastic --gain 1.6 --steps 30 --lambda 0,0.5,1 --seeds 1,2,3,4,5
}
# sequential MNIST: one sweep of 18 runs (6 groups × seeds 1, 2, 3) in three shards, shard i
# holding seed i of every group (the entries are ordered group by group, seeds within a group)
mnist() {
  run "results/seq-mnist-20ep/shard-$1-of-3" seq-mnist --method bptt,tbptt,sg,bp-lambda --truncation 2 --lambda 0,0.5,1 \
    --epochs 20 --seeds 1,2,3 --shard "$1/3"
}
copy_repeat() {
  JOBS=1 run results/copy-repeat-H100-3k copy-repeat --method tbptt,sg,bp-lambda --truncation 4 --lambda 0,1 --batches 3000 --seeds 1
}
# copy-repeat at the planned 10 000 batches, seed 1: the four runs in two shards of one run at a
# time each (shard 1: truncated BPTT and BP(0); shard 2: SG and BP(1)), so two processes can share
# the two cores without --jobs 2 (which the memory check refuses at H = 100)
copy_repeat_10k() {
  JOBS=1 run "results/copy-repeat-H100-10k/shard-$1-of-2" copy-repeat --method tbptt,sg,bp-lambda --truncation 4 --lambda 0,1 \
    --batches 10000 --seeds 1 --shard "$1/2"
}
case "${1:-}" in
  toy) toy ;;
  mnist-1|mnist-2|mnist-3) mnist "${1#mnist-}" ;;
  copy-repeat) copy_repeat ;;
  copy-repeat-10k-1|copy-repeat-10k-2) copy_repeat_10k "${1#copy-repeat-10k-}" ;;
  all) toy; mnist 1; copy_repeat; mnist 2; mnist 3; copy_repeat_10k 1; copy_repeat_10k 2 ;;
  *) echo "usage: bash scripts/campaign.sh toy|mnist-1|mnist-2|mnist-3|copy-repeat|copy-repeat-10k-1|copy-repeat-10k-2|all" >&2; exit 2 ;;
esac
