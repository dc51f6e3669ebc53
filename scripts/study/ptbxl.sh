#!/usr/bin/env bash
# The real-data study (issue 19): a 1D-ResNet of Ribeiro's form trained on the
# PTB-XL records of ../shared/data/ptbxl with their PhysioNet/CinC 2020 labels,
# then TLC and every attribution method on it, and age regression, each figure
# set written beside the TLC paper's in OUT/results.md.
#
# Usage (from the repository root, after `npm ci`):
#   scripts/study/ptbxl.sh [OUT]          default OUT: runs/study
# Environment: THREADS (onnxruntime threads, default 2), ECGX_SHARED (default ../shared).
#
# Resumable: each step leaves OUT/STEP.done when it completes and is skipped
# afterwards; an interrupted training continues with `ecgx train --resume`.
# Each step's wall time goes to OUT/timings.tsv; the commands are echoed to
# OUT/commands.sh, so every number in results.md has its command.
set -euo pipefail
OUT=${1:-runs/study}
SHARED=${ECGX_SHARED:-../shared}
D=$SHARED/data/ptbxl
L=$D/cinc2020_labels.csv
LUDB=$SHARED/data/ludb
T=${THREADS:-2}
ECGX="node dist/src/cli/main.js"
# Ribeiro et al.'s 1D-ResNet (conv stem, 4 residual blocks with max-pool + 1x1-conv skips, flatten head),
# narrowed to fit a 2-core CPU; downsampling 2,2,4,4 puts the last three blocks at 40 / 160 / 640 ms per sample at
# 100 Hz, the resolutions of the paper's blocks at 400 Hz.
M='resnet1d:filters=16,32,32,64,64;downsample=2,2,4,4;kernel=9'
CLS_EPOCHS=${CLS_EPOCHS:-10}
AGE_EPOCHS=${AGE_EPOCHS:-8}
FOLDS_SUB="1 2 3"          # folds of the robustness sweeps, label quality and explainers
N_EXPLAIN=${N_EXPLAIN:-16}  # test ECGs per fold for explain evaluate
N_CLASS=${N_CLASS:-8}       # positives per fold and class for the wave mass by class
N_RANDOM=${N_RANDOM:-6}     # test ECGs per fold for the randomisation check (every layer re-drawn, every method: costly)
mkdir -p "$OUT"

run() { # run NAME CMD...: once, timed, echoed
  local name=$1; shift
  if [ -e "$OUT/$name.done" ]; then echo "== $name: done already"; return; fi
  echo "== $name: $*"
  printf '# %s\n%s\n' "$name" "$*" >> "$OUT/commands.sh"
  local t0; t0=$(date +%s)
  eval "$@"
  printf '%s\t%s\t%s\n' "$name" "$(( $(date +%s) - t0 ))" "$(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/timings.tsv"
  touch "$OUT/$name.done"
}

train() { # train NAME ARGS...: a resumable ecgx train into OUT/NAME
  local name=$1; shift
  if [ -e "$OUT/$name/run.json" ] && [ ! -e "$OUT/$name.done" ]; then
    echo "== $name: $OUT/$name holds a finished run; kept"; touch "$OUT/$name.done"
  fi
  if [ -d "$OUT/$name.partial" ] && [ ! -e "$OUT/$name/run.json" ]; then
    run "$name" "$ECGX train --resume --out $OUT/$name"
  else
    run "$name" "$ECGX train $* --out $OUT/$name"
  fi
}

test_ids() { # test_ids FOLD N [CLASS]: the first N test ECGs of a fold (with CLASS positive when given), comma-separated
  local f=$1 n=$2 cls=${3:-}
  if [ -z "$cls" ]; then
    tail -n +2 "$OUT/cls/fold-$f/predictions.csv" | head -n "$n" | cut -d, -f1 | paste -sd, -
  else
    local col; col=$(head -1 "$OUT/cls/fold-$f/predictions.csv" | tr ',' '\n' | grep -nx "target:$cls" | cut -d: -f1)
    tail -n +2 "$OUT/cls/fold-$f/predictions.csv" | awk -F, -v c="$col" '$c == 1 { print $1 }' | head -n "$n" | paste -sd, -
  fi
}

# 1. The CNN: multi-label, the Challenge classes with >= 50 positives, 10 seeded stratified folds.
train cls --data $D --labels $L --task labels --min-positives 50 --model "'$M'" --epochs $CLS_EPOCHS --lr 2e-3 --batch-size 64 --cv 10 --seed 1 --threads $T
run cls-eval "$ECGX evaluate --run $OUT/cls --json > $OUT/cls-eval.json"

# 2. TLC on the last three blocks, every fold: surrogate, agreement, waves (delineator), entropy (held-out temperature), noise, enrichment, prototypes.
run tlc-k8 "$ECGX tlc evaluate --run $OUT/cls --k 8 --waves delineate --noise 0.1 --seed 0 --threads $T --out $OUT/tlc-k8"
# The previous temperature rule, for the entropy distribution beside the held-out one.
run tlc-k8-inertia "$ECGX tlc evaluate --run $OUT/cls --k 8 --temperature inertia --fold ${FOLDS_SUB// /,} --waves delineate --noise 0.1 --seed 0 --threads $T --out $OUT/tlc-k8-inertia"
# Robustness across K and across training-set fractions.
for k in 4 12; do
  run tlc-k$k "$ECGX tlc evaluate --run $OUT/cls --k $k --fold ${FOLDS_SUB// /,} --waves delineate --seed 0 --threads $T --out $OUT/tlc-k$k"
done
for fr in 0.1 0.25 0.5; do
  run tlc-frac-$fr "$ECGX tlc evaluate --run $OUT/cls --k 8 --train-fraction $fr --fold ${FOLDS_SUB// /,} --waves delineate --seed 0 --threads $T --out $OUT/tlc-frac-$fr"
done
# Clusters vs the cardiologists' waves of LUDB (500 Hz, resampled to 100 Hz by the model card).
run ludb "$ECGX tlc align --tlc $OUT/tlc-k8/tlc-fold-1.json --model $OUT/cls/fold-1/model.onnx --data $LUDB --threads $T --json > $OUT/ludb-align.json"

# 3. Does TLC's class-dependent entropy show in Grad-CAM?
run gradcam-entropy "node dist/scripts/study/gradcam-entropy.js --run $OUT/cls --tlc-dir $OUT/tlc-k8 --folds ${FOLDS_SUB// /,} --threads $T --out $OUT/gradcam-entropy.json"

# 4. Label quality: a seeded 5% of the ECGs get one class flipped; recall of the flips in the top k.
for f in $FOLDS_SUB; do
  run lq-train-$f "$ECGX tlc label-quality --run $OUT/cls --fold $f --tlc $OUT/tlc-k8/tlc-fold-$f.json --flip 0.05 --threads $T --json > $OUT/lq-train-$f.json"
  run lq-test-$f "$ECGX tlc label-quality --run $OUT/cls --fold $f --tlc $OUT/tlc-k8/tlc-fold-$f.json --test-fold --flip 0.05 --threads $T --json > $OUT/lq-test-$f.json"
done

# 5. Every explainer on the test folds: faithfulness, sanity, agreement, and wave mass by class.
# Every registered attribution method but tcav (it scores a concept set for a class, not one ECG).
METHODS=gradcam,saliency,input-x-gradient,smoothgrad,ig,occlusion,deeplift,deeplift-shap,gradient-shap,guided-backprop,guided-gradcam,lrp,shap-waves,lime
for f in $FOLDS_SUB; do
  run explain-$f "$ECGX explain evaluate --model $OUT/cls/fold-$f/model.onnx --data $D --records $(test_ids $f $N_EXPLAIN) --method $METHODS,tlc --tlc $OUT/tlc-k8/tlc-fold-$f.json --waves delineate --threads $T --out $OUT/explain-$f"
  # The randomisation check does not apply to TLC (its clusters are fitted on the trained model).
  run random-$f "$ECGX explain evaluate --model $OUT/cls/fold-$f/model.onnx --data $D --records $(test_ids $f $N_RANDOM) --method $METHODS --waves delineate --randomization --threads $T --out $OUT/random-$f"
  for c in LBBB CRBBB TAb TInv IAVB AF; do
    ids=$(test_ids $f $N_CLASS $c)
    if [ -n "$ids" ]; then
      run wave-$c-$f "$ECGX explain evaluate --model $OUT/cls/fold-$f/model.onnx --data $D --records $ids --target $c --method gradcam,saliency,ig,occlusion,tlc --tlc $OUT/tlc-k8/tlc-fold-$f.json --waves delineate --threads $T --out $OUT/wave-$c-$f"
    fi
  done
done

# 6. Age: the same architecture as a regressor, 5 folds; TLC's regression surrogate and clusters by age quarter.
train age --data $D --labels $L --task age --model "'$M'" --epochs $AGE_EPOCHS --lr 2e-3 --batch-size 64 --cv 5 --seed 1 --threads $T
run age-eval "$ECGX evaluate --run $OUT/age --json > $OUT/age-eval.json"
run tlc-age "$ECGX tlc evaluate --run $OUT/age --k 8 --waves delineate --seed 0 --threads $T --out $OUT/tlc-age"

# 7. The tables and figures (always rewritten).
node dist/scripts/study/summarize.js "$OUT"
echo "results: $OUT/results.md"
