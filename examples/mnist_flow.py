#!/usr/bin/python3
"""Two-party private inference on a Clave server, with the Python SDK.

A model owner registers a compiled model (a payload .wasm) as a private
function shared with one data owner; the data owner encrypts an image with
a key only they hold, registers it, creates a task and approves it; the
model owner approves too; the data owner invokes it and reads the
predicted class.  The server never sees the key outside a sandboxed task
process, and the model owner never sees the image.

  mnist_flow.py --payload model.wasm --fashion-index 0 \
      (--start build/bin/clave | --server URL --fingerprint FP) \
      [--admin-password PW] [--input-name image] [--arg key=value ...] \
      [--image-format raw|pgm] [--image FILE [--true-class N]]
      [--labels fashion|digits]

--start runs `clave serve` in a temporary data folder for the length of
the flow; otherwise the script talks to a running server whose admin
password it is given (CLAVE_ADMIN_PASSWORD).
"""

import argparse
import gzip
import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "sdk", "python"))
import clave  # noqa: E402

FASHION = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
           "Shirt", "Sneaker", "Bag", "Ankle boot"]
FASHION_DIR = "/usr/share/datasets/fashion-mnist"


def step(msg):
    if sys.stdout.isatty():
        msg = "\033[1m%s\033[0m" % msg
    print("\n" + msg, flush=True)


def fashion_image(index, fmt):
    """The index-th Fashion-MNIST test image (28x28 grayscale) and its
    label, from Debian's dataset-fashion-mnist."""
    with gzip.open(os.path.join(FASHION_DIR, "t10k-images-idx3-ubyte.gz")) as f:
        head = f.read(16)
        count = int.from_bytes(head[4:8], "big")
        if not 0 <= index < count:
            raise SystemExit("--fashion-index must be below %d" % count)
        f.seek(16 + index * 784)
        pixels = f.read(784)
    with gzip.open(os.path.join(FASHION_DIR, "t10k-labels-idx1-ubyte.gz")) as f:
        f.seek(8 + index)
        label = f.read(1)[0]
    if fmt == "pgm":
        pixels = b"P5\n28 28\n255\n" + pixels
    return pixels, label


def start_server(clave_bin, password):
    data = tempfile.mkdtemp(prefix="clave-demo-")
    env = dict(os.environ, CLAVE_ADMIN_PASSWORD=password)
    proc = subprocess.Popen([clave_bin, "serve", "--data", data, "--listen",
                             "127.0.0.1:0", "--quiet"], env=env,
                            stdout=subprocess.PIPE, text=True)
    url = fp = None
    for line in proc.stdout:
        words = line.split()
        if line.startswith("clave: serving "):
            url = words[2]
        elif line.startswith("clave: certificate sha256 fingerprint "):
            fp = words[4]
        if url and fp:
            break
    if not url:
        proc.kill()
        raise SystemExit("clave serve did not start")
    return proc, data, url, fp


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--payload", required=True, help="compiled model .wasm")
    ap.add_argument("--start", metavar="CLAVE", help="start this clave binary")
    ap.add_argument("--server", default="https://127.0.0.1:7777")
    ap.add_argument("--fingerprint")
    ap.add_argument("--admin-password",
                    default=os.environ.get("CLAVE_ADMIN_PASSWORD",
                                           "Demo-admin-2024"))
    ap.add_argument("--image", help="input file (sent as is)")
    ap.add_argument("--true-class", type=int,
                    help="the --image's true class, shown beside the result")
    ap.add_argument("--fashion-index", type=int, default=0)
    ap.add_argument("--image-format", choices=["raw", "pgm"], default="raw")
    ap.add_argument("--input-name", default="image",
                    help="the function's input name (the payload's fid)")
    ap.add_argument("--arg", action="append", default=[],
                    help="function argument key=value (repeatable)")
    ap.add_argument("--labels", choices=["fashion", "digits"],
                    default="fashion")
    a = ap.parse_args()

    proc = data = None
    if a.start:
        step("Starting clave serve in a temporary data folder")
        proc, data, a.server, a.fingerprint = start_server(a.start,
                                                           a.admin_password)
        print("  server %s, certificate %s..." % (a.server,
                                                  a.fingerprint[:23]))
    try:
        run(a)
    finally:
        if proc:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
            shutil.rmtree(data, ignore_errors=True)


def connect(a):
    return clave.Client(a.server, fingerprint=a.fingerprint,
                        insecure=a.server.startswith("http://"))


def run(a):
    with open(a.payload, "rb") as f:
        payload = f.read()
    if a.image:
        with open(a.image, "rb") as f:
            image, truth = f.read(), a.true_class
    else:
        image, truth = fashion_image(a.fashion_index, a.image_format)
    args = dict(kv.split("=", 1) for kv in a.arg)

    step("0. The operator registers the two parties")
    admin = connect(a)
    admin.user_login("admin", a.admin_password)
    for uid, pw, role in (("modelco", "Model-owner-1", "FunctionOwner"),
                          ("alice", "Data-owner-1", "DataOwner")):
        try:
            admin.register_user(uid, pw, role)
            print("  registered %s (%s)" % (uid, role))
        except clave.ClaveError as e:
            if e.status != 409:
                raise
            print("  %s exists" % uid)
    model, alice = connect(a), connect(a)
    model.user_login("modelco", "Model-owner-1")
    alice.user_login("alice", "Data-owner-1")

    step("1. modelco registers the compiled model (%d bytes), shared with "
         "alice only" % len(payload))
    fid = model.register_function(
        "fashion-mnist", "classifies a 28x28 grayscale image", "wamr",
        public=False, payload=payload,
        arguments=[clave.FunctionArgument(k, v) for k, v in args.items()],
        inputs=[clave.FunctionInput(a.input_name, "the image")],
        user_allowlist=["alice"])
    print("  " + fid)

    step("2. alice encrypts her image (AES-GCM-128, her own key) and "
         "registers it")
    data, key, iv, cmac = clave.encrypt_file(image, "aes-gcm-128")
    iid = alice.register_input_file("", "aes-gcm-128", key, iv, cmac,
                                     data=data)
    print("  %s: %d bytes of ciphertext, tag %s" % (iid, len(data),
                                                    cmac.hex()))

    step("3. alice creates the task, assigns her image and approves")
    tid = alice.create_task(fid, args, "wamr",
                            [clave.OwnerList(a.input_name, ["alice"])])
    alice.assign_data_to_task(tid, [clave.DataMap(a.input_name, iid)], [])
    print("  %s: %s" % (tid, alice.approve_task(tid)["status"]))

    step("4. modelco approves the task")
    print("  %s: %s" % (tid, model.approve_task(tid)["status"]))

    step("5. alice invokes it and waits for the result")
    alice.invoke_task(tid)
    result = int(alice.get_task_result(tid))
    names = FASHION if a.labels == "fashion" else [str(i) for i in range(10)]
    if not 0 <= result < len(names):
        log = alice.get_task(tid).get("result", {}).get("log", "")
        raise SystemExit("mnist_flow: the function returned %d, not a class; "
                         "its log:\n%s" % (result, log.rstrip()))
    print("  predicted class: %d (%s)" % (result, names[result]))
    if truth is not None and 0 <= truth < len(names):
        print("  true class:      %d (%s)" % (truth, names[truth]))
    return result


if __name__ == "__main__":
    try:
        main()
    except clave.ClaveError as e:
        sys.exit("mnist_flow: %s" % e)
