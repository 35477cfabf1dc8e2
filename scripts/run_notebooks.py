#!/usr/bin/env python3
"""Execute tslab notebooks headless through a real Jupyter client (nbclient), for `npm run notebooks`.

Called by lib/cli/notebooks.ts, which finds a Python with nbclient (Debian: python3-nbclient, python3-ipykernel,
python3-jupyter-client) and the project's tslab binary. For each notebook:

- the kernel is tslab, started from the notebook's own folder (as JupyterLab does), with a private kernel spec
  (a temporary JUPYTER_PATH entry pointing at the given tslab binary), so no `tslab install` is needed;
- cells run in order; the first failing cell (a TypeScript diagnostic or a thrown error: tslab answers with status
  "error") stops that notebook;
- the committed notebook is never written: the executed copy goes to --out.

Protocol on stdout, one JSON object per line:
  {"event": "start", "notebook": path}
  {"event": "cell", "notebook": path, "index": i, "seconds": s}
  {"event": "done", "notebook": path, "seconds": s, "cells": n, "executed": copy}
  {"event": "error", "notebook": path, "index": i, "code_cell": k, "source": text, "output": text, "seconds": s}
Exit status: 0 when every notebook ran, 1 when one failed, 2 on bad arguments or a missing dependency.
"""
import argparse
import json
import os
import sys
import tempfile
import time


def emit(**event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def cell_text(cell):
    """All text a cell printed: streams, errors, plain-text results."""
    parts = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            parts.append(o.get("text", ""))
        elif o.get("output_type") == "error":
            parts.append("%s: %s\n%s" % (o.get("ename", ""), o.get("evalue", ""), "\n".join(o.get("traceback", []))))
        elif "text/plain" in o.get("data", {}):
            parts.append(str(o["data"]["text/plain"]))
    return "".join(parts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tslab", required=True, help="path of the tslab binary (node_modules/.bin/tslab)")
    ap.add_argument("--out", required=True, help="folder for the executed copies")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    ap.add_argument("--startup-timeout", type=int, default=120, help="seconds for the kernel to start")
    ap.add_argument("notebooks", nargs="+")
    args = ap.parse_args()

    try:
        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError
    except ImportError as e:  # pragma: no cover - checked by the caller first
        sys.stderr.write("run_notebooks: %s (install python3-nbclient python3-ipykernel python3-jupyter-client)\n" % e)
        return 2

    tslab = os.path.abspath(args.tslab)
    if not os.access(tslab, os.X_OK):
        sys.stderr.write("run_notebooks: tslab binary not found or not executable: %s\n" % tslab)
        return 2

    # A private kernel spec named "tslab" that starts this project's tslab, found first via JUPYTER_PATH.
    spec_root = tempfile.mkdtemp(prefix="fer-ck48-jupyter-")
    spec_dir = os.path.join(spec_root, "kernels", "tslab")
    os.makedirs(spec_dir)
    with open(os.path.join(spec_dir, "kernel.json"), "w") as f:
        json.dump({"argv": [tslab, "kernel", "--config-path", "{connection_file}"], "display_name": "TypeScript", "language": "typescript"}, f)
    os.environ["JUPYTER_PATH"] = os.pathsep.join([spec_root] + [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p])
    # tslab is a node script; its folder (node_modules/.bin) also gives the kernel tsx and friends.
    os.environ["PATH"] = os.pathsep.join([os.path.dirname(tslab), os.environ.get("PATH", "")])

    os.makedirs(args.out, exist_ok=True)
    failed = False
    try:
        for path in args.notebooks:
            path = os.path.abspath(path)
            emit(event="start", notebook=path)
            t0 = time.time()
            nb = nbformat.read(path, as_version=4)
            client = NotebookClient(
                nb,
                kernel_name="tslab",
                timeout=args.timeout,
                startup_timeout=args.startup_timeout,
                resources={"metadata": {"path": os.path.dirname(path)}},
            )
            error = None
            code_index = -1
            with client.setup_kernel():
                for i, cell in enumerate(nb.cells):
                    if cell.cell_type != "code":
                        continue
                    code_index += 1
                    t1 = time.time()
                    try:
                        client.execute_cell(cell, i)
                    except CellExecutionError:
                        error = (i, code_index, cell)
                        break
                    if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                        error = (i, code_index, cell)
                        break
                    emit(event="cell", notebook=path, index=i, seconds=round(time.time() - t1, 2))
            copy = os.path.join(args.out, os.path.basename(path))
            nbformat.write(nb, copy)
            if error:
                i, k, cell = error
                failed = True
                emit(event="error", notebook=path, index=i, code_cell=k, source=cell.source, output=cell_text(cell), seconds=round(time.time() - t0, 2), executed=copy)
            else:
                emit(event="done", notebook=path, seconds=round(time.time() - t0, 2), cells=len(nb.cells), executed=copy)
    finally:
        import shutil

        shutil.rmtree(spec_root, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
