# Sourced by scripts/jupyterlab.sh and scripts/python-peers.sh: sets the array `pip_index_args` to the package indexes
# pip is configured with, where `pip config` names extra indexes and they are local (file://, a machine's own wheel
# index): only those, so pip never waits on an index it cannot reach; else nothing (pip as usual).
read -r -a extra <<< "$(python3 -m pip config get global.extra-index-url 2>/dev/null || true)"
pip_index_args=()
if [ "${#extra[@]}" -gt 0 ] && [[ "${extra[0]}" == file://* ]]; then
  pip_index_args=(--index-url "${extra[0]}")
  for u in "${extra[@]:1}"; do pip_index_args+=(--extra-index-url "$u"); done
fi
