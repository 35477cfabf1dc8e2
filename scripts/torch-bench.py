"""PyTorch's time for one training epoch of the paper's CNN, for `npm run bench -- --compare-torch`.

The same model as lib/model.ts (conv 6@5x5 -> pool -> conv 16@5x5 -> pool -> conv 64@3x3 -> pool -> dense 128 +
dropout 0.5 -> 7, valid padding, ReLU; 86,911 parameters, checked below), the same step (categorical cross-entropy,
RMSprop lr 1e-3, rho 0.9, eps 1e-7, batch 8) on the same number of seeded random images (no augmentation), timed
after a warm-up, for each thread count asked. Prints one JSON line: {"torch", "threads": {"1": [s, s, ...], ...}}.
Not a dependency of the project: bench runs it only when asked and PyTorch is installed (Debian: python3-torch).
"""
import json
import sys
import time

import torch
from torch import nn


def model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 3 * 3, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 7),
    )


def main() -> None:
    images = int(sys.argv[1]) if len(sys.argv) > 1 else 784
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    threads = [int(t) for t in (sys.argv[3] if len(sys.argv) > 3 else "1,2").split(",")]
    torch.manual_seed(0)
    x = torch.rand(images, 3, 48, 48)
    y = torch.randint(0, 7, (images,))
    out = {"torch": torch.__version__, "images": images, "threads": {}}
    for t in threads:
        torch.set_num_threads(t)
        m = model()
        params = sum(p.numel() for p in m.parameters())
        assert params == 86911, params
        opt = torch.optim.RMSprop(m.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
        loss_fn = nn.CrossEntropyLoss()
        m.train()

        def epoch(limit: int | None = None) -> float:
            t0 = time.perf_counter()
            for s, i in enumerate(range(0, images, 8)):
                if limit is not None and s >= limit:
                    break
                opt.zero_grad()
                loss = loss_fn(m(x[i:i + 8]), y[i:i + 8])
                loss.backward()
                opt.step()
            return time.perf_counter() - t0

        epoch(40)  # warm-up, as bench does for tfjs
        out["threads"][str(t)] = [round(epoch(), 4) for _ in range(epochs)]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
