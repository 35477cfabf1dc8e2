#!/usr/bin/env bash
# A virtual environment with JupyterLab 4 and this project's tslab kernel, for readers and for the JupyterLab test
# (test/e2e/jupyterlab.test.ts; .ci/run calls this):
#
#   bash scripts/jupyterlab.sh [DIR]          # default out/jupyterlab
#   DIR/bin/jupyter lab notebooks/            # from the repository root; Run > Run All Cells
#
# pip installs from the package indexes it is configured with (scripts/pip-index.sh). The kernel spec "tslab" (the
# notebooks' kernel) starts this checkout's node_modules/.bin/tslab.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-out/jupyterlab}
[ -x node_modules/.bin/tslab ] || { echo "jupyterlab: run npm ci first (no node_modules/.bin/tslab)"; exit 2; }
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"

source scripts/pip-index.sh
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pip_index_args[@]}" "jupyterlab>=4,<5"

kernels="$venv/share/jupyter/kernels/tslab"
mkdir -p "$kernels"
cat > "$kernels/kernel.json" <<JSON
{"argv": ["$PWD/node_modules/.bin/tslab", "kernel", "--config-path", "{connection_file}"], "display_name": "TypeScript", "language": "typescript"}
JSON
# The file browser leaves out notebooks/node_modules (the link through which the notebooks import lib/), as it
# leaves out __pycache__: the same setting as jupyter_server_config.json at the root, for a server started elsewhere.
mkdir -p "$venv/etc/jupyter"
cp jupyter_server_config.json "$venv/etc/jupyter/jupyter_server_config.json"
# Settings that hold for this environment only. No autosave: Run All must not write outputs into the committed
# notebooks (they are committed without; File > Save still saves).
mkdir -p "$venv/share/jupyter/lab/settings"
cat > "$venv/share/jupyter/lab/settings/overrides.json" <<'JSON'
{ "@jupyterlab/docmanager-extension:plugin": { "autosave": false } }
JSON
echo "jupyterlab: $("$venv/bin/jupyter" lab --version) in $venv with the tslab kernel; start it with: $venv/bin/jupyter lab notebooks/"
