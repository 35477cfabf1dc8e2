#!/usr/bin/env bash
# Build @tensorflow/tfjs-node's native binding offline, against the libtensorflow inside the TensorFlow CPU wheel of
# the package index pip is configured with, for `--backend tensorflow` where its install script cannot download
# libtensorflow (no internet but the npm registry).
#
# Not a default install step: run it yourself (CI runs it before the tests of the tensorflow backend).
#   bash scripts/tfjs-node-from-wheel.sh [WHEEL]
#
# tfjs-node 4.22 was made for libtensorflow 2.9.1; this links it to the wheel's 2.x (2.21 here): the C API it calls is
# stable across 2.x, but it is not the pairing Google tested, and test/e2e/tensorflow.test.ts is what vouches for it.
# The wheel ships libtensorflow_cc.so.2 (which exports the C API) and libtensorflow_framework.so.2; the binding links
# -ltensorflow -ltensorflow_framework, so libtensorflow.so is made a link to libtensorflow_cc.so.2.
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=node_modules/@tensorflow/tfjs-node
if [ ! -f "$pkg/package.json" ]; then
  # npm ci drops an optional dependency whose install script failed (it could not download libtensorflow): put the
  # package back from the npm registry without running that script, and without touching package.json or the lock.
  version=$(node -p "require('./package.json').optionalDependencies['@tensorflow/tfjs-node']")
  npm install --no-save --ignore-scripts --no-audit --no-fund "@tensorflow/tfjs-node@$version" >/dev/null
fi

wheel=${1:-}
if [ -z "$wheel" ]; then
  # The wheel from the index pip is configured with (a file:// simple index here), never a typed path.
  read -r -a indexes <<< "$(python3 -m pip config get global.extra-index-url 2>/dev/null || true)"
  for u in "${indexes[@]}"; do
    [[ "$u" == file://* ]] || continue
    dir=${u#file://}
    page="$dir/tensorflow-cpu/index.html"
    [ -f "$page" ] || continue
    href=$(grep -o 'href="[^"#]*\.whl' "$page" | sed 's/^href="//' | sort -V | tail -1)
    [ -n "$href" ] && wheel=$(cd "$dir/tensorflow-cpu" && readlink -f "$href") && break
  done
fi
[ -n "$wheel" ] && [ -f "$wheel" ] || { echo "tfjs-node-from-wheel: no tensorflow-cpu wheel found in pip's indexes (give its path)"; exit 2; }
echo "tfjs-node-from-wheel: libtensorflow from $(basename "$wheel")"

deps="$pkg/deps"
rm -rf "$deps" && mkdir -p "$deps/lib" "$deps/include"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$wheel" "$tmp" <<'PY'
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist()
             if n in ("tensorflow/libtensorflow_cc.so.2", "tensorflow/libtensorflow_framework.so.2")
             or n.startswith(("tensorflow/include/tensorflow/c/", "tensorflow/include/tensorflow/core/platform/",
                              "tensorflow/include/tsl/", "tensorflow/include/xla/tsl/"))]
    for n in names:
        z.extract(n, out)
print(f"tfjs-node-from-wheel: extracted {len(names)} files")
PY
mv "$tmp/tensorflow/libtensorflow_cc.so.2" "$tmp/tensorflow/libtensorflow_framework.so.2" "$deps/lib/"
cp -r "$tmp/tensorflow/include/." "$deps/include/"
ln -sf libtensorflow_cc.so.2 "$deps/lib/libtensorflow.so"
ln -sf libtensorflow_cc.so.2 "$deps/lib/libtensorflow.so.2"
ln -sf libtensorflow_framework.so.2 "$deps/lib/libtensorflow_framework.so"

gyp=$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js
[ -f "$gyp" ] || gyp=$(npm prefix -g)/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js
nodedir=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
napi=$(node -p "process.versions.napi")
napi=$(( napi > 8 ? 8 : napi ))
# The variables node-pre-gyp would pass; the gyp file's own copy step puts the binding where tfjs-node looks for it.
(cd "$pkg" && node "$gyp" rebuild --nodedir="$nodedir" --napi_build_version="$napi" \
  --module_name=tfjs_binding --module_path="$(pwd)/lib/napi-v$napi" >"$tmp/gyp.log" 2>&1) \
  || { tail -30 "$tmp/gyp.log"; echo "tfjs-node-from-wheel: the binding did not build (the log's end is above)"; exit 1; }
TF_CPP_MIN_LOG_LEVEL=2 node -e "
const tf = require('@tensorflow/tfjs-node');
const lib = tf.backend().binding.TF_Version;
console.log('tfjs-node-from-wheel: @tensorflow/tfjs-node ' + tf.version['tfjs-node'] + ' on libtensorflow ' + lib + ', backend ' + tf.getBackend() + ', 2 + 3 = ' + tf.add(2, 3).dataSync()[0]);"
