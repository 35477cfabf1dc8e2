#!/usr/bin/env bash
# A virtual environment with PyTorch, and Keras 3 on TensorFlow, for `npm run bench -- --compare-torch` and
# `--compare-keras` and for scripts/torch-protocol.py: the same model and step in the frameworks the paper's readers
# know, timed in the same run as ours. Neither is a dependency of the project.
#
#   bash scripts/python-peers.sh [DIR]        # default out/python-peers; then FER_PYTHON=DIR/bin/python
#
# pip installs from the package indexes it is configured with: where `pip config` names extra indexes and they are
# local (file://, a machine's own wheel index), only those (and its find-links), so pip never waits on an index it
# cannot reach; else as usual.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-out/python-peers}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"

read -r -a extra <<< "$(python3 -m pip config get global.extra-index-url 2>/dev/null || true)"
args=()
if [ "${#extra[@]}" -gt 0 ] && [[ "${extra[0]}" == file://* ]]; then
  args=(--index-url "${extra[0]}")
  for u in "${extra[@]:1}"; do args+=(--extra-index-url "$u"); done
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${args[@]}" torch "keras>=3,<4" tensorflow-cpu
"$venv/bin/python" -c 'import torch, keras, tensorflow as tf; print(f"python-peers: torch {torch.__version__}, keras {keras.__version__}, tensorflow {tf.__version__} in '"$venv"'")'
