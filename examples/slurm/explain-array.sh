#!/bin/bash
# One shard of a cohort explained by ecgx, as one task of a Slurm job array.
# Submit the whole cohort with submit.sh (the array, then merge.sh once every
# task has succeeded). Each task writes the store of its shard to
# $OUT/shards/$INDEX; a task whose store exists already exits at once, so
# resubmitting the array after a failure reruns only the failed shards, and
#   SHARDS=64 sbatch --array=17 explain-array.sh
# reruns shard 17 alone. SHARDS is the cohort's shard count and must not
# change between the tasks of one cohort (the array's size may: a rerun).
#SBATCH --job-name=ecgx-explain
#SBATCH --array=0-63
#SBATCH --cpus-per-task=4
#SBATCH --mem=8G
#SBATCH --time=12:00:00
#SBATCH --output=ecgx-explain-%A_%a.log
set -euo pipefail

ECGX=${ECGX:-ecgx}                          # e.g. "node /opt/ecgx/dist/src/cli/main.js"
MODEL=${MODEL:?set MODEL to the model (.onnx with its card)}
DATA=${DATA:?set DATA to the dataset folder}
OUT=${OUT:?set OUT to the output folder (on a file system every node sees)}
SHARDS=${SHARDS:?set SHARDS to the number of shards (the array 0-N-1 has N tasks)}
METHODS=${METHODS:-integrated-gradients,gradcam}
INDEX=${SLURM_ARRAY_TASK_ID:?run as a Slurm array task (sbatch --array=0-$((SHARDS - 1)))}
THREADS=${SLURM_CPUS_PER_TASK:-1}
EXTRA=${EXTRA:-}                            # more flags for ecgx explain, e.g. "--tlc tlc.json"

DEST="$OUT/shards/$INDEX"
if [ -f "$DEST/store.json" ]; then
  echo "shard $INDEX/$SHARDS is done already: $DEST"
  exit 0
fi
mkdir -p "$OUT/shards"
# shellcheck disable=SC2086 # EXTRA holds several flags
$ECGX explain --model "$MODEL" --data "$DATA" --method "$METHODS" --threads "$THREADS" \
  --shard "$INDEX/$SHARDS" --store --out "$DEST" $EXTRA
