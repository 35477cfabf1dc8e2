#!/usr/bin/env bash
# A virtual environment with PyTorch, and Keras 3 on TensorFlow, for `npm run bench -- --compare-torch` and
# `--compare-keras` and for scripts/torch-protocol.py: the same model and step in the frameworks the paper's readers
# know, timed in the same run as ours. Neither is a dependency of the project.
#
#   bash scripts/python-peers.sh [DIR]        # default out/python-peers; then FER_PYTHON=DIR/bin/python
#
# pip installs from the package indexes it is configured with (scripts/pip-index.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-out/python-peers}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"

source scripts/pip-index.sh
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pip_index_args[@]}" torch "keras>=3,<4" tensorflow-cpu
"$venv/bin/python" -c 'import torch, keras, tensorflow as tf; print(f"python-peers: torch {torch.__version__}, keras {keras.__version__}, tensorflow {tf.__version__} in '"$venv"'")'
