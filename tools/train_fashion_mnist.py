#!/usr/bin/python3
"""Train Clave's reference Fashion-MNIST classifier and export it to ONNX.

A one-off step, not part of the build or the tests: it needs Debian's
python3-torch and python3-onnx (about 1 GB), which scripts/install-deps
deliberately leaves out.  The tests and the demo use the committed
models/fashion_mnist/model.onnx only.

  /usr/bin/python3 tools/train_fashion_mnist.py [--out models/fashion_mnist]
      [--epochs 10] [--channels 8,16] [--seed 1] [--threads 2]

The network is two 5x5 convolutions (with ReLU and 2x2 max pooling) and one
fully connected layer, trained with Adam, the learning rate falling
linearly to zero over the epochs.  Its input is float32 [1,1,28,28] holding pixels
scaled to [0,1] (nothing else: `clave compile --image
28x28,gray,scale=1/255` reproduces it from an image), its output raw
logits [1,10].  Everything is seeded and torch runs deterministic
algorithms, so the same command on the same packages gives the same
weights.  The data is read where Debian's dataset-fashion-mnist puts it.
"""

import argparse
import gzip
import os
import random
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA_DIR = "/usr/share/datasets/fashion-mnist"
LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
          "Shirt", "Sneaker", "Bag", "Ankle boot"]


def read_idx(path):
    """An idx file (gzip'ed) as a numpy array: magic 0x00 0x00 type ndim,
    then ndim big-endian uint32 dims, then the data (uint8 here)."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise SystemExit("%s: not an idx file of unsigned bytes" % path)
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big")
            for i in range(ndim)]
    start = 4 + 4 * ndim
    count = int(np.prod(dims))
    if len(raw) != start + count:
        raise SystemExit("%s: %d bytes of data, expected %d"
                         % (path, len(raw) - start, count))
    return np.frombuffer(raw, dtype=np.uint8, offset=start).reshape(dims)


def load(split):
    images = read_idx(os.path.join(DATA_DIR, "%s-images-idx3-ubyte.gz" % split))
    labels = read_idx(os.path.join(DATA_DIR, "%s-labels-idx1-ubyte.gz" % split))
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


class Net(nn.Module):
    def __init__(self, c1, c2):
        super().__init__()
        self.conv1 = nn.Conv2d(1, c1, 5)       # 28 -> 24, pool -> 12
        self.conv2 = nn.Conv2d(c1, c2, 5)      # 12 -> 8, pool -> 4
        self.fc = nn.Linear(c2 * 4 * 4, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(torch.flatten(x, 1))


def accuracy(net, x, y):
    net.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), 1000):
            correct += int((net(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum())
    return correct


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="models/fashion_mnist",
                    help="folder for model.onnx")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--channels", default="8,16",
                    help="channels of the two convolutions")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()

    random.seed(a.seed)
    np.random.seed(a.seed)
    torch.manual_seed(a.seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(a.threads)

    c1, c2 = (int(c) for c in a.channels.split(","))
    xtr, ytr = load("train")
    xte, yte = load("t10k")
    net = Net(c1, c2)
    params = sum(p.numel() for p in net.parameters())
    print("model: conv5x5 1->%d, conv5x5 %d->%d, fc %d->10: %d parameters"
          % (c1, c1, c2, c2 * 16, params), flush=True)

    opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    steps = a.epochs * ((len(xtr) + a.batch - 1) // a.batch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: 1 - k / steps)
    gen = torch.Generator().manual_seed(a.seed)
    for epoch in range(a.epochs):
        net.train()
        order = torch.randperm(len(xtr), generator=gen)
        total = 0.0
        for i in range(0, len(xtr), a.batch):
            idx = order[i:i + a.batch]
            opt.zero_grad()
            loss = F.cross_entropy(net(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * len(idx)
        print("epoch %d: loss %.4f, test accuracy %d/10000 (torch)"
              % (epoch + 1, total / len(xtr), accuracy(net, xte, yte)),
              flush=True)

    net.eval()
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, "model.onnx")
    torch.onnx.export(net, torch.zeros(1, 1, 28, 28), path, opset_version=13,
                      input_names=["image"], output_names=["logits"],
                      do_constant_folding=True)

    import onnx  # only for checking what was written
    m = onnx.load(path)
    onnx.checker.check_model(m)
    ops = sorted({n.op_type for n in m.graph.node})
    print("wrote %s: %d bytes, opset %d, ops %s"
          % (path, os.path.getsize(path), m.opset_import[0].version,
             " ".join(ops)))
    print("torch test accuracy: %d/10000" % accuracy(net, xte, yte))


if __name__ == "__main__":
    sys.exit(main())
