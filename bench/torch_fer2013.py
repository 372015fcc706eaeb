#!/usr/bin/env python3
"""Accuracy peer: the paper's baseline CNN (the net of ../shared/bench/torch_peer.py) trained with PyTorch on the
real FER2013 image folders, so the workbench's numbers at equal epochs have a reference from another framework.

  /usr/bin/python3 bench/torch_fer2013.py DIR [--epochs 6] [--seed 1] [--threads 2]

DIR holds train/<emotion>/*.jpg and test/<emotion>/{PublicTest,PrivateTest}_*.jpg (the Kaggle layout). Adam 1e-3,
batch 64, random horizontal flip only, pixels in [0, 1]. Prints one JSON line per epoch (PublicTest and PrivateTest
accuracy of that epoch's weights). Needs Debian's python3-torch and python3-pil; not part of CI.
"""
import argparse, json, os, time

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

EMOTIONS = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]


def load(root: str, split: str, prefix: str):
    xs, ys = [], []
    for label, name in enumerate(EMOTIONS):
        folder = os.path.join(root, split, name)
        for f in sorted(os.listdir(folder)):
            if prefix and not f.startswith(prefix):
                continue
            xs.append(np.asarray(Image.open(os.path.join(folder, f)).convert("L"), dtype=np.float32) / 255.0)
            ys.append(label)
    return torch.from_numpy(np.stack(xs)[:, None]), torch.tensor(ys)


def baseline() -> nn.Module:
    def block(cin):
        return [nn.Conv2d(cin, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU()]
    return nn.Sequential(*block(1), *block(32), nn.MaxPool2d(2), *block(32), *block(32), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Dropout(0.5), nn.Linear(12 * 12 * 32, 7))


def accuracy(model, x, y) -> float:
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(x[i:i + 512]).argmax(1) for i in range(0, len(x), 512)])
    model.train()
    return (pred == y).float().mean().item()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    xtr, ytr = load(a.dir, "train", "")
    xpub, ypub = load(a.dir, "test", "PublicTest")
    xpriv, ypriv = load(a.dir, "test", "PrivateTest")
    model, lossf = baseline(), nn.CrossEntropyLoss()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(1, a.epochs + 1):
        t0 = time.time()
        order = torch.randperm(len(xtr))
        for i in range(0, len(xtr), 64):
            idx = order[i:i + 64]
            xb = xtr[idx].clone()
            flip = torch.rand(len(idx)) < 0.5
            xb[flip] = xb[flip].flip(3)
            opt.zero_grad()
            lossf(model(xb), ytr[idx]).backward()
            opt.step()
        print(json.dumps({"engine": "pytorch-cpu", "epoch": epoch, "publicTest": accuracy(model, xpub, ypub),
                          "privateTest": accuracy(model, xpriv, ypriv), "seconds": time.time() - t0}), flush=True)


if __name__ == "__main__":
    main()
