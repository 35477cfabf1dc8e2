"""PyTorch's time for the paper's whole protocol, run the way `npm run reproduce` runs it, for the protocol ratio of
the README's speed table (`npm run bench -- --compare-torch-protocol RUN.json` prints it beside ours).

The same work as a run record (default data/runs/paper/run.json): for each of its folds, a fresh model (the one of
scripts/torch-bench.py) trained for exactly as many epochs as that fold trained, on as many images, in batches of 8,
each batch augmented as lib/augment.ts does it (rotation 25 degrees, shifts 0.1, shear 0.2 degrees, zoom 0.8-1.2,
horizontal flip; one affine warp per image, bilinear, edges repeated: torch's affine_grid and grid_sample), RMSprop
(lr 1e-3, rho 0.9, eps 1e-7), the validation loss after every epoch in batches of 64 without dropout, and the best
epoch's weights kept; then the best fold's model scored on the test images. The images are seeded random numbers:
the time of this arithmetic does not depend on the pixels, and CK+48's faces stay out of this script. The folds run
in parallel in `workers` processes of one thread each, taking the next fold as they finish, as lib/folds.ts does.
Prints one JSON line: {"torch", "workers", "seconds", "folds": [{"epochs", "seconds"}], "epochs"}.
Not a dependency of the project (bash scripts/python-peers.sh installs PyTorch).
"""
import copy
import json
import math
import multiprocessing as mp
import sys
import time


def train_fold(job):
    import torch
    from torch import nn
    import torch.nn.functional as F

    torch.set_num_threads(1)
    fold, train_n, val_n, epochs = job
    g = torch.Generator().manual_seed(fold)
    x = torch.rand(train_n, 3, 48, 48, generator=g)
    y = torch.randint(0, 7, (train_n,), generator=g)
    xv = torch.rand(val_n, 3, 48, 48, generator=g)
    yv = torch.randint(0, 7, (val_n,), generator=g)
    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    from importlib import import_module

    model = import_module("torch-bench").model()
    opt = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()

    def augment(b):
        n = b.shape[0]
        theta = (torch.rand(n, generator=g) * 2 - 1) * math.radians(25)
        tx = (torch.rand(n, generator=g) * 2 - 1) * 0.2  # 0.1 of the side, in [-1, 1] units
        ty = (torch.rand(n, generator=g) * 2 - 1) * 0.2
        shear = (torch.rand(n, generator=g) * 2 - 1) * math.radians(0.2)
        zx = 0.8 + torch.rand(n, generator=g) * 0.4
        zy = 0.8 + torch.rand(n, generator=g) * 0.4
        flip = torch.where(torch.rand(n, generator=g) < 0.5, -1.0, 1.0)
        c, s = torch.cos(theta), torch.sin(theta)
        m = torch.zeros(n, 2, 3)
        m[:, 0, 0] = c * zx * flip
        m[:, 0, 1] = (-s + torch.tan(shear) * c) * zy
        m[:, 1, 0] = s * zx * flip
        m[:, 1, 1] = c * zy
        m[:, 0, 2] = tx
        m[:, 1, 2] = ty
        grid = F.affine_grid(m, list(b.shape), align_corners=False)
        return F.grid_sample(b, grid, mode="bilinear", padding_mode="border", align_corners=False)

    t0 = time.perf_counter()
    best, best_state = math.inf, None
    for _ in range(epochs):
        model.train()
        order = torch.randperm(train_n, generator=g)
        for i in range(0, train_n, 8):
            idx = order[i:i + 8]
            opt.zero_grad()
            loss = loss_fn(model(augment(x[idx])), y[idx])
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            val = sum(loss_fn(model(xv[i:i + 64]), yv[i:i + 64]).item() * len(yv[i:i + 64]) for i in range(0, val_n, 64))
        if val / val_n < best:
            best, best_state = val / val_n, copy.deepcopy(model.state_dict())
    return {"fold": fold, "epochs": epochs, "seconds": round(time.perf_counter() - t0, 3), "best": best}


def main() -> None:
    run_file = sys.argv[1] if len(sys.argv) > 1 else "data/runs/paper/run.json"
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    scale = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0  # a share of each fold's epochs (tests use a small one)
    run = json.load(open(run_file))
    train = len(run["split"]["train"])
    jobs = [(k, train - len(f["val"]), len(f["val"]), max(1, round(len(f["history"]) * scale)))
            for k, f in enumerate(run["folds"])]
    import torch

    t0 = time.perf_counter()
    with mp.get_context("spawn").Pool(workers) as pool:
        folds = pool.map(train_fold, jobs, chunksize=1)
    # the best fold's model on the test images (as reproduce ends): one pass in batches of 64
    torch.set_num_threads(workers)
    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    from importlib import import_module

    model = import_module("torch-bench").model().eval()
    with torch.no_grad():
        xt = torch.rand(len(run["split"]["test"]), 3, 48, 48)
        for i in range(0, xt.shape[0], 64):
            model(xt[i:i + 64])
    seconds = time.perf_counter() - t0
    print(json.dumps({"torch": torch.__version__, "workers": workers, "seconds": round(seconds, 3),
                      "epochs": sum(j[3] for j in jobs), "folds": [{"epochs": f["epochs"], "seconds": f["seconds"]} for f in folds]}))


if __name__ == "__main__":
    main()
