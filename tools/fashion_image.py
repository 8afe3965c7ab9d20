#!/usr/bin/python3
"""Write Fashion-MNIST images as PNG, PGM or raw files, and say their labels.

For the demo and the tests: a real test image in a format a compiled model
decodes inside its payload.  Standard library only (zlib for PNG).

  tools/fashion_image.py INDEX [INDEX...] (-o FILE | --dir DIR)
      [--format png|pgm|raw] [--split t10k|train] [--data DIR] [--ascii]

Prints one line per image: `INDEX LABEL NAME PATH`, and with --ascii the
image itself in characters (14 lines of 28, two pixel rows a line).  With --dir the files
are DIR/fashion-INDEX.FORMAT; -o takes a single INDEX.  Exits with status
1 and a message on stderr when the data is missing or malformed, or an
index is out of range.
"""

import argparse
import gzip
import os
import struct
import sys
import zlib

DATA_DIR = "/usr/share/datasets/fashion-mnist"
LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
          "Shirt", "Sneaker", "Bag", "Ankle boot"]


class DataError(Exception):
    pass


def idx_open(path, ndim_want):
    """Open an idx file (gzip'ed) of unsigned bytes; return (file, dims)."""
    try:
        f = gzip.open(path, "rb")
        head = f.read(4)
    except OSError as e:
        raise DataError("%s: %s" % (path, e.strerror or e))
    if len(head) < 4 or head[:3] != b"\0\0\x08" or head[3] != ndim_want:
        f.close()
        raise DataError("%s: not an idx file of %d-dimensional unsigned bytes"
                        % (path, ndim_want))
    raw = f.read(4 * ndim_want)
    if len(raw) != 4 * ndim_want:
        f.close()
        raise DataError("%s: truncated header" % path)
    return f, struct.unpack(">%dI" % ndim_want, raw)


def read_image(data, split, index):
    """(pixels: 784 bytes, row-major, 0 = background; label: int)."""
    path = os.path.join(data, "%s-images-idx3-ubyte.gz" % split)
    f, (count, rows, cols) = idx_open(path, 3)
    with f:
        if (rows, cols) != (28, 28):
            raise DataError("%s: images are %dx%d, expected 28x28"
                            % (path, rows, cols))
        if not 0 <= index < count:
            raise DataError("index %d: %s holds images 0 to %d"
                            % (index, path, count - 1))
        f.seek(16 + index * 784)
        pixels = f.read(784)
    if len(pixels) != 784:
        raise DataError("%s: truncated at image %d" % (path, index))
    path = os.path.join(data, "%s-labels-idx1-ubyte.gz" % split)
    f, (nlabels,) = idx_open(path, 1)
    with f:
        if nlabels != count:
            raise DataError("%s: %d labels for %d images"
                            % (path, nlabels, count))
        f.seek(8 + index)
        label = f.read(1)
    if len(label) != 1 or label[0] >= len(LABELS):
        raise DataError("%s: bad label for image %d" % (path, index))
    return pixels, label[0]


def png_chunk(kind, body):
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def encode(pixels, fmt):
    if fmt == "raw":
        return pixels
    if fmt == "pgm":
        return b"P5\n28 28\n255\n" + pixels
    # PNG: 8-bit grayscale, no interlace, filter type 0 on every row
    rows = b"".join(b"\0" + pixels[r * 28:(r + 1) * 28] for r in range(28))
    ihdr = struct.pack(">IIBBBBB", 28, 28, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) +
            png_chunk(b"IDAT", zlib.compress(rows, 9)) +
            png_chunk(b"IEND", b""))


def ascii_art(pixels):
    """The image as 14 lines of 28 characters, darker pixels denser."""
    shades = " .:-=+*#%@"
    lines = []
    for r in range(0, 28, 2):
        row = ""
        for c in range(28):
            v = (pixels[r * 28 + c] + pixels[(r + 1) * 28 + c]) // 2
            row += shades[v * len(shades) // 256]
        lines.append(row.rstrip())
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("index", type=int, nargs="+")
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("-o", dest="out", help="output file (one INDEX)")
    where.add_argument("--dir", help="output folder (any number of INDEX)")
    ap.add_argument("--format", choices=["png", "pgm", "raw"], default="png")
    ap.add_argument("--split", choices=["t10k", "train"], default="t10k")
    ap.add_argument("--data", default=DATA_DIR,
                    help="the idx files (default %s)" % DATA_DIR)
    ap.add_argument("--ascii", action="store_true",
                    help="also print each image in characters")
    a = ap.parse_args()
    if a.out and len(a.index) != 1:
        ap.error("-o takes one INDEX; use --dir for several")
    try:
        for index in a.index:
            pixels, label = read_image(a.data, a.split, index)
            path = a.out or os.path.join(a.dir, "fashion-%d.%s"
                                         % (index, a.format))
            with open(path, "wb") as f:
                f.write(encode(pixels, a.format))
            print("%d %d %s %s" % (index, label, LABELS[label], path))
            if a.ascii:
                print(ascii_art(pixels))
    except DataError as e:
        print("fashion_image: %s" % e, file=sys.stderr)
        return 1
    except OSError as e:
        print("fashion_image: %s: %s" % (e.filename, e.strerror),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
