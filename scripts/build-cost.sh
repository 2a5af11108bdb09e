#!/usr/bin/env bash
# Cold build and incremental rebuild (after a one-line change to the document)
# of a program that depends on voxys-connect with default features, at a few
# commits, one after the other on a quiet machine.
set -euo pipefail
repo="$(git rev-parse --show-toplevel)"
for rev in "$@"; do
  wt=/tmp/wt_$rev
  rm -rf "$wt"; git -C "$repo" worktree prune
  git -C "$repo" worktree add -f -q "$wt" "$rev"
  gen="$wt/crates/voxys-connect-api/src/generated.rs"
  lines=$(wc -l < "$gen"); bytes=$(wc -c < "$gen")
  ops=$(grep -c "operationId:" "$wt/crates/voxys-connect-spec/voxys-connect.yaml")
  dep="$wt/crates/voxys-connect/tests/as-a-dependency"
  cp "$wt/Cargo.lock" "$dep/"
  export CARGO_TARGET_DIR=/tmp/tgt_$rev
  rm -rf "$CARGO_TARGET_DIR"
  start=$(date +%s.%N)
  (cd "$dep" && cargo build -q --offline)
  cold=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  # One line of the document: an operation's summary.
  sed -i 's/      summary: Get a lead$/      summary: Get one lead/' "$wt/crates/voxys-connect-spec/voxys-connect.yaml"
  (cd "$wt" && CARGO_TARGET_DIR=/tmp/tgt_xtask cargo xtask generate >/dev/null 2>&1)
  start=$(date +%s.%N)
  (cd "$dep" && cargo build -q --offline)
  incr=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
  echo "$rev ops=$ops generated=${lines}lines/${bytes}B cold=${cold}s incremental=${incr}s"
  git -C "$repo" worktree remove --force "$wt"
done
