#!/bin/sh
# Offline proof of the ICL-curves analysis (issue: label relationships): the bundled models on
# SST-2 and Financial PhraseBank, 50 repeats, 60 demonstrations, default / random / half-way
# flipped labels. Writes rows, summary.json and plots per run under ${OUT:-runs/proof}/curves-*.
set -eu
OUT=${OUT:-runs/proof}
ICLAB=${ICLAB:-.venv/bin/iclab}
REPEATS=${REPEATS:-50}
for spec in gemma-3-270m:lr-sst2 gemma-3-270m:lr-financial_phrasebank smollm2-135m:lr-sst2; do
    model=${spec%%:*}; task=${spec#*:}
    $ICLAB curves --model "$model" --task "$task" --settings default,random,flip,flip-f2d \
        --repeats "$REPEATS" --shots 60 --out "$OUT/curves-$model-$task" --json \
        | tail -n 1 > "$OUT/curves-$model-$task.json.tmp"
    mv "$OUT/curves-$model-$task.json.tmp" "$OUT/curves-$model-$task.json"
done
