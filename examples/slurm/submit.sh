#!/bin/bash
# Submits a cohort: the array of SHARDS tasks, then the merge once all succeeded.
#   MODEL=model.onnx DATA=/data/code15 OUT=/scratch/code15-ig SHARDS=64 ./submit.sh
# SBATCH_ARGS adds sbatch options to both jobs (they override the scripts'
# #SBATCH lines), e.g. SBATCH_ARGS="--partition=cpu --account=lab --cpus-per-task=8".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SHARDS=${SHARDS:?set SHARDS (e.g. 64)}
export MODEL DATA OUT SHARDS METHODS ECGX EXTRA
# shellcheck disable=SC2086 # SBATCH_ARGS holds several options
array=$(sbatch --parsable --export=ALL ${SBATCH_ARGS:-} --array=0-$((SHARDS - 1)) "$here/explain-array.sh")
# shellcheck disable=SC2086
sbatch --parsable --export=ALL ${SBATCH_ARGS:-} --dependency=afterok:"${array%%;*}" "$here/merge.sh"
