#!/usr/bin/python3
"""bench/models/make_models.py - write the benchmark's ONNX models.

Two convolutional networks built layer by layer with onnx.helper and
seeded random weights (timing needs the shapes and the operators, not
trained values):

  resnet     ResNet-18's structure (7x7/2 stem, 3x3/2 max pool, four stages
             of two basic blocks with identity or 1x1/2 projection
             shortcuts, global average pool, fully connected 1000) with
             Conv + BatchNormalization + Relu as PyTorch exports them; the
             width multiplier and the input size are parameters.
  mobilenet  MobileNetV2 (inverted residual blocks: 1x1 expansion, 3x3
             depthwise, 1x1 linear projection; ReLU6 as Clip(0, 6); a
             residual Add where the shape allows), 224x224, width 1.0.

Weights follow He initialisation and the BatchNormalization statistics are
drawn near identity, so activations stay in a sane range through the
whole network (a benchmark must not time NaNs or denormals).

Needs Debian's python3-onnx and python3-numpy (run with /usr/bin/python3).

    make_models.py OUTDIR [--seed N] [--only resnet,mobilenet]

writes OUTDIR/NAME.onnx and OUTDIR/NAME.input.npy (a random input),
and prints one line per model: name, file, input shape, parameters, MACs.
"""

import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13


class Net:
    """A graph under construction: nodes, initializers, a MAC count."""

    def __init__(self, name, rng):
        self.name = name
        self.rng = rng
        self.nodes = []
        self.inits = []
        self.n = 0
        self.macs = 0
        self.params = 0

    def uid(self, what):
        self.n += 1
        return "%s_%d" % (what, self.n)

    def const(self, what, arr):
        name = self.uid(what)
        arr = np.asarray(arr)
        self.inits.append(numpy_helper.from_array(arr, name))
        if arr.dtype == np.float32:
            self.params += arr.size
        return name

    def node(self, op, inputs, what=None, **attrs):
        out = self.uid(what or op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def conv(self, x, shape, cin, cout, k, stride=1, group=1, bias=False):
        """x has shape [1, cin, h, w]; returns (y, out shape)."""
        h, w = shape
        pad = k // 2
        fan_in = cin // group * k * k
        wt = self.rng.standard_normal((cout, cin // group, k, k)).astype(np.float32)
        wt *= np.float32(np.sqrt(2.0 / fan_in))
        ins = [x, self.const("w", wt)]
        if bias:
            ins.append(self.const("b", np.zeros(cout, np.float32)))
        oh = (h + 2 * pad - k) // stride + 1
        ow = (w + 2 * pad - k) // stride + 1
        self.macs += cout * oh * ow * (cin // group) * k * k
        y = self.node("Conv", ins, "conv", kernel_shape=[k, k],
                      strides=[stride, stride], pads=[pad] * 4, group=group)
        return y, (oh, ow)

    def bn(self, x, c):
        r = self.rng
        scale = (1.0 + 0.1 * r.standard_normal(c)).astype(np.float32)
        shift = (0.05 * r.standard_normal(c)).astype(np.float32)
        mean = (0.05 * r.standard_normal(c)).astype(np.float32)
        var = (1.0 + 0.1 * r.random(c)).astype(np.float32)
        ins = [x] + [self.const(n, v) for n, v in
                     (("gamma", scale), ("beta", shift), ("mean", mean),
                      ("var", var))]
        return self.node("BatchNormalization", ins, "bn", epsilon=1e-5)

    def relu(self, x):
        return self.node("Relu", [x], "relu")

    def relu6(self, x):
        lo = self.const("clip_min", np.array(0.0, np.float32))
        hi = self.const("clip_max", np.array(6.0, np.float32))
        return self.node("Clip", [x, lo, hi], "relu6")

    def head(self, x, c, classes):
        x = self.node("GlobalAveragePool", [x], "gap")
        x = self.node("Flatten", [x], "flatten", axis=1)
        wt = self.rng.standard_normal((classes, c)).astype(np.float32)
        wt *= np.float32(np.sqrt(1.0 / c))
        b = (0.01 * self.rng.standard_normal(classes)).astype(np.float32)
        self.macs += classes * c
        return self.node("Gemm", [x, self.const("fc_w", wt), self.const("fc_b", b)],
                         "fc", transB=1)

    def model(self, x_name, x_shape, y, classes):
        graph = helper.make_graph(
            self.nodes, self.name,
            [helper.make_tensor_value_info(x_name, TensorProto.FLOAT, x_shape)],
            [helper.make_tensor_value_info(y, TensorProto.FLOAT, [1, classes])],
            initializer=self.inits)
        m = helper.make_model(graph, producer_name="clave-bench",
                              opset_imports=[helper.make_opsetid("", OPSET)])
        m.ir_version = 8
        onnx.checker.check_model(m)
        return m


def resnet(rng, size=224, width=1.0, classes=1000):
    net = Net("resnet18", rng)
    ch = [max(8, int(c * width)) for c in (64, 128, 256, 512)]
    x, shape = net.conv("input", (size, size), 3, ch[0], 7, stride=2)
    x = net.relu(net.bn(x, ch[0]))
    x = net.node("MaxPool", [x], "maxpool", kernel_shape=[3, 3],
                 strides=[2, 2], pads=[1, 1, 1, 1])
    shape = ((shape[0] + 2 - 3) // 2 + 1, (shape[1] + 2 - 3) // 2 + 1)
    cin = ch[0]
    for stage, cout in enumerate(ch):
        for block in range(2):
            stride = 2 if stage > 0 and block == 0 else 1
            y, oshape = net.conv(x, shape, cin, cout, 3, stride)
            y = net.relu(net.bn(y, cout))
            y, _ = net.conv(y, oshape, cout, cout, 3)
            y = net.bn(y, cout)
            if stride != 1 or cin != cout:
                sc, _ = net.conv(x, shape, cin, cout, 1, stride)
                sc = net.bn(sc, cout)
            else:
                sc = x
            x = net.relu(net.node("Add", [y, sc], "add"))
            shape, cin = oshape, cout
    y = net.head(x, cin, classes)
    return net, net.model("input", [1, 3, size, size], y, classes), [1, 3, size, size]


def mobilenet(rng, size=224, width=1.0, classes=1000):
    net = Net("mobilenetv2", rng)

    def ch(c):  # round to a multiple of 8, as MobileNetV2 does
        v = max(8, int(c * width + 4) // 8 * 8)
        return v + 8 if v < 0.9 * c * width else v

    cin = ch(32)
    x, shape = net.conv("input", (size, size), 3, cin, 3, stride=2)
    x = net.relu6(net.bn(x, cin))
    # expansion t, output channels c, repeats n, first stride s
    for t, c, n, s in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2),
                       (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                       (6, 320, 1, 1)):
        cout = ch(c)
        for i in range(n):
            stride = s if i == 0 else 1
            hidden = cin * t
            y = x
            if t != 1:
                y, _ = net.conv(y, shape, cin, hidden, 1)
                y = net.relu6(net.bn(y, hidden))
            y, oshape = net.conv(y, shape, hidden, hidden, 3, stride, group=hidden)
            y = net.relu6(net.bn(y, hidden))
            y, _ = net.conv(y, oshape, hidden, cout, 1)
            y = net.bn(y, cout)
            if stride == 1 and cin == cout:
                y = net.node("Add", [x, y], "add")
            x, shape, cin = y, oshape, cout
    last = ch(1280) if width > 1.0 else 1280
    x, shape = net.conv(x, shape, cin, last, 1)
    x = net.relu6(net.bn(x, last))
    y = net.head(x, last, classes)
    return net, net.model("input", [1, 3, size, size], y, classes), [1, 3, size, size]


MODELS = {"resnet": resnet, "mobilenet": mobilenet}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("--only", default=",".join(MODELS))
    ap.add_argument("--resnet-size", type=int, default=224)
    ap.add_argument("--resnet-width", type=float, default=1.0)
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    for name in a.only.split(","):
        if name not in MODELS:
            sys.exit("make_models.py: unknown model '%s' (%s)" %
                     (name, ", ".join(MODELS)))
        rng = np.random.default_rng(a.seed)
        if name == "resnet":
            net, m, shape = resnet(rng, a.resnet_size, a.resnet_width)
        else:
            net, m, shape = MODELS[name](rng)
        path = os.path.join(a.outdir, name + ".onnx")
        tmp = path + ".tmp"
        onnx.save(m, tmp)
        os.replace(tmp, path)
        x = rng.standard_normal(shape).astype(np.float32)
        np.save(os.path.join(a.outdir, name + ".input.npy"), x)
        print("%s %s %s params=%d macs=%d" % (
            name, path, "x".join(map(str, shape)), net.params, net.macs))


if __name__ == "__main__":
    main()
