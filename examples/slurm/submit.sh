#!/bin/bash
# Submits a cohort: the array of SHARDS tasks, then the merge once all succeeded.
#   MODEL=model.onnx DATA=/data/code15 OUT=/scratch/code15-ig SHARDS=64 ./submit.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SHARDS=${SHARDS:?set SHARDS (e.g. 64)}
export MODEL DATA OUT SHARDS METHODS ECGX EXTRA
array=$(sbatch --parsable --export=ALL --array=0-$((SHARDS - 1)) "$here/explain-array.sh")
sbatch --parsable --export=ALL --dependency=afterok:"${array%%;*}" "$here/merge.sh"
