#!/bin/bash
# Merges the shard stores of explain-array.sh into $OUT/store (one Slurm job,
# submitted by submit.sh to start after every array task succeeded).
# ecgx merge refuses a missing or repeated shard and names it: rerun it with
#   SHARDS=N sbatch --array=I explain-array.sh
#SBATCH --job-name=ecgx-merge
#SBATCH --cpus-per-task=2
#SBATCH --mem=8G
#SBATCH --time=02:00:00
#SBATCH --output=ecgx-merge-%j.log
set -euo pipefail

ECGX=${ECGX:-ecgx}
OUT=${OUT:?set OUT to the output folder of explain-array.sh}
SHARDS=${SHARDS:?set SHARDS to the number of shards}

shards=()
for ((i = 0; i < SHARDS; i++)); do shards+=("$OUT/shards/$i"); done
$ECGX merge "$OUT/store" "${shards[@]}" --force
$ECGX query "$OUT/store" "SELECT count(*) AS ecgs FROM records"
