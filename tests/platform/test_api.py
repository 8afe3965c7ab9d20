#!/usr/bin/python3
"""End-to-end tests of the platform: a real server on loopback (HTTPS with
its self-signed certificate pinned by fingerprint), driven through the
Python SDK.

Covers the two-party flow (function owner + data owner, both approve,
encrypted input, encrypted output only its owner can read), the state
machine and participant rules, authentication and roles (401/403), unknown
ids (404), malformed and oversized bodies (400/413), a tampered ciphertext,
payloads that trap, spin for ever (fuel, deadline) or want too much memory,
a killed task child, concurrent tasks, crash recovery (kill -9 of the
server), the audit log and the Teaclave-named shim.

    test_api.py --server-bin PATH --wat2wasm PATH --sdk DIR
"""

import argparse
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ARGS = None
ADMIN_PW = "Admin-pass-123"


def wasm(name):
    out = os.path.join(ARGS.tmp, name + ".wasm")
    if not os.path.exists(out):
        subprocess.run([ARGS.wat2wasm, os.path.join(HERE, "payloads",
                                                    name + ".wat"),
                        "-o", out], check=True)
    with open(out, "rb") as f:
        return f.read()


class Server:
    """A clave-test-server process on 127.0.0.1 with its own data folder."""

    def __init__(self, data, extra=()):
        self.data = data
        self.extra = list(extra)
        self.proc = None
        self.port = None
        self.fingerprint = None

    def start(self):
        env = dict(os.environ, CLAVE_ADMIN_PASSWORD=ADMIN_PW)
        self.proc = subprocess.Popen(
            [ARGS.server_bin, "--data", self.data, "--listen",
             "127.0.0.1:0", "--quiet", "--workers", "3"] + self.extra,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
            text=True)
        line = self.proc.stdout.readline().split()
        if not line or line[0] != "listening":
            self.proc.wait(timeout=30)
            raise RuntimeError("server did not start: %s"
                               % self.proc.stderr.read())
        self.port = int(line[1])
        self.fingerprint = line[2] if len(line) > 2 else None
        return self

    def url(self):
        return "https://127.0.0.1:%d" % self.port

    def client(self, user=None, password=None):
        c = clave.Client(self.url(), fingerprint=self.fingerprint)
        if user:
            c.user_login(user, password)
        return c

    def stop(self):
        """SIGTERM; the server must exit 0 (a leak report would not)."""
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=60)
        err = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return rc, err

    def kill9(self):
        self.proc.kill()
        self.proc.wait(timeout=60)
        self.proc.stdout.close()
        self.proc.stderr.close()


def children_of(pid, comm=b"clave-task"):
    """Pids of the server's children named comm: its task processes
    ("clave-task"), or the prepared processes they are forked from
    ("clave-prepared")."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open("/proc/%s/comm" % d, "rb") as f:
                name = f.read().strip()
        except OSError:
            continue
        if ppid == pid and name == comm:
            out.append(int(d))
    return out


class PlatformTest(unittest.TestCase):
    """One server for the whole class; each test makes its own users."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="clave-plat-", dir=ARGS.tmp)
        cls.imports = os.path.join(cls.dir, "imports")
        os.mkdir(cls.imports)
        cls.srv = Server(os.path.join(cls.dir, "data"),
                         ["--import", cls.imports]).start()
        cls.admin = cls.srv.client("admin", ADMIN_PW)
        cls.n = 0

    @classmethod
    def tearDownClass(cls):
        rc, err = cls.srv.stop()
        if rc != 0:
            raise AssertionError("server exited %d: %s" % (rc, err[-3000:]))

    def user(self, role="DataOwner", attribute=""):
        PlatformTest.n += 1
        uid = "%s%d" % (role.lower(), PlatformTest.n)
        pw = "Passw0rd-%d" % PlatformTest.n
        self.admin.register_user(uid, pw, role, attribute)
        c = self.srv.client(uid, pw)
        return uid, c

    def refused(self, status, message, fn, *a, **kw):
        with self.assertRaises(clave.ClaveError) as cm:
            fn(*a, **kw)
        self.assertEqual(cm.exception.status, status, cm.exception.message)
        if message is not None:
            self.assertEqual(cm.exception.message, message)
        return cm.exception

    def echo_function(self, fo, public=False, allow=(), limits=None,
                      payload="echo", quota=-1):
        return fo.register_function(
            "echo", "copies in to out", "wamr", public=public,
            payload=wasm(payload),
            arguments=[clave.FunctionArgument("n", "1"),
                       clave.FunctionArgument("fixed", "x", False)],
            inputs=[clave.FunctionInput("in", "data")],
            outputs=[clave.FunctionOutput("out", "copy")],
            user_allowlist=list(allow), usage_quota=quota, limits=limits)

    def prepared_task(self, payload="echo", plain=b"hello clave",
                      limits=None, tamper=False):
        """fo registers a function, do registers files and a task; both
        approve.  Returns (fo, do, task_id, ids, keys)."""
        fo_id, fo = self.user("FunctionOwner")
        do_id, do = self.user("DataOwner")
        fid = self.echo_function(fo, allow=[do_id], limits=limits,
                                 payload=payload)
        data, key, iv, cmac = clave.encrypt_file(plain, "aes-gcm-128")
        if tamper:
            data = bytes([data[0] ^ 1]) + data[1:]
        iid = do.register_input_file("", "aes-gcm-128", key, iv, cmac,
                                     data=data)
        okey, oiv = os.urandom(32), os.urandom(12)
        oid = do.register_output_file("", "aes-gcm-256", okey, oiv)
        tid = do.create_task(fid, {"n": "5"}, "wamr",
                             [clave.OwnerList("in", [do_id])],
                             [clave.OwnerList("out", [do_id])])
        do.assign_data_to_task(tid, [clave.DataMap("in", iid)],
                               [clave.DataMap("out", oid)])
        do.approve_task(tid)
        fo.approve_task(tid)
        return fo, do, tid, (fid, iid, oid), (okey, oiv)

    # ---- the flow -------------------------------------------------------

    def test_two_party_flow(self):
        fo, do, tid, (fid, iid, oid), (okey, oiv) = self.prepared_task()
        self.assertEqual(do.get_task(tid)["status"], "Approved")
        self.assertEqual(do.invoke_task(tid)["status"], "Staged")
        # argc 4 (two declared arguments), 11 bytes copied
        self.assertEqual(do.get_task_result(tid), b"4011")
        t = do.get_task(tid)
        self.assertEqual(t["status"], "Finished")
        self.assertEqual(t["function_arguments"], {"n": "5", "fixed": "x"})
        self.assertEqual(t["result"]["return_value"], 4011)
        cipher = do.download(oid)
        self.assertEqual(t["result"]["tags_map"]["out"], cipher[-16:].hex())
        self.assertEqual(do.get_output_cmac_by_tag(tid, "out"), cipher[-16:])
        self.assertEqual(clave.decrypt_file(cipher, "aes-gcm-256", okey, oiv),
                         b"hello clave")
        self.assertEqual(do.get_file(oid)["cmac"], cipher[-16:].hex())
        # the function owner takes part but cannot read the data owner's
        # files, nor learn any key
        self.refused(403, "file %s belongs to other users" % oid,
                     fo.download, oid)
        self.refused(403, "file %s belongs to other users" % iid,
                     fo.get_file, iid)
        self.assertNotIn("key", do.get_file(iid))
        self.assertEqual(fo.get_task(tid)["status"], "Finished")
        # a finished task cannot be canceled or run again; the output
        # file cannot be reused
        self.refused(409, "task %s already ended (Finished)" % tid,
                     do.cancel_task, tid)
        self.refused(409, "task %s is Finished: only an Approved task can "
                     "be invoked" % tid, do.invoke_task, tid)
        fn = fo.get_function(fid)
        self.assertEqual(fn["usage_count"], 1)
        self.assertEqual(fn["owner"], fo.user_id)

    def test_concurrent_tasks(self):
        fo_id, fo = self.user("FunctionOwner")
        do_id, do = self.user()
        fid = self.echo_function(fo, public=True)
        tids = []
        for i in range(8):
            data, key, iv, cmac = clave.encrypt_file(b"x" * i, "aes-gcm-256")
            iid = do.register_input_file("", "aes-gcm-256", key, iv, cmac,
                                         data=data)
            oid = do.register_output_file("", "aes-gcm-128", os.urandom(16),
                                          os.urandom(12))
            tid = do.create_task(fid, {}, "wasm",
                                 [clave.OwnerList("in", [do_id])],
                                 [clave.OwnerList("out", [do_id])])
            do.assign_data_to_task(tid, [clave.DataMap("in", iid)],
                                   [clave.DataMap("out", oid)])
            do.approve_task(tid)  # public function: fo is no participant
            tids.append(tid)
        for tid in tids:
            do.invoke_task(tid)
        results = {}

        def wait(tid):
            c = self.srv.client()
            c.token = do.token
            results[tid] = c.get_task_result(tid)

        threads = [threading.Thread(target=wait, args=(t,)) for t in tids]
        for th in threads:
            th.start()
        for th in threads:
            th.join(120)
        self.assertEqual([results.get(t) for t in tids],
                         [str(4000 + i).encode() for i in range(8)])

    # ---- state machine and participants --------------------------------

    def test_state_machine(self):
        fo_id, fo = self.user("FunctionOwner")
        do_id, do = self.user()
        other_id, other = self.user()
        fid = self.echo_function(fo, allow=[do_id])
        self.refused(403, "function %s is not shared with you" % fid,
                     other.create_task, fid, {}, "wamr",
                     [clave.OwnerList("in", [other_id])],
                     [clave.OwnerList("out", [other_id])])
        self.refused(400, "unknown argument 'zz': the function does not "
                     "declare it", do.create_task, fid, {"zz": "1"}, "wamr",
                     [clave.OwnerList("in", [do_id])],
                     [clave.OwnerList("out", [do_id])])
        self.refused(400, "argument 'fixed' may not be overridden by a task",
                     do.create_task, fid, {"fixed": "y"}, "wamr",
                     [clave.OwnerList("in", [do_id])],
                     [clave.OwnerList("out", [do_id])])
        self.refused(400, "input 'in' of the function needs owners in "
                     "inputs_ownership", do.create_task, fid, {}, "wamr", [],
                     [clave.OwnerList("out", [do_id])])
        self.refused(400, "the function declares no input named 'nope'",
                     do.create_task, fid, {}, "wamr",
                     [clave.OwnerList("nope", [do_id])], [])
        self.refused(400, "unknown executor 'python' (wasm, or its alias "
                     "wamr)", do.create_task, fid, {}, "python", [], [])
        # input owned by do and other together: both must take part
        tid = do.create_task(fid, {}, "wamr",
                             [clave.OwnerList("in", [do_id, other_id])],
                             [clave.OwnerList("out", [do_id])])
        t = do.get_task(tid)
        self.assertEqual(t["status"], "Created")
        self.assertEqual(t["participants"],
                         sorted([do_id, other_id, fo_id]))
        self.refused(409, "task %s is Created: its data must be assigned "
                     "before approval" % tid, do.approve_task, tid)
        data, key, iv, cmac = clave.encrypt_file(b"abc")
        iid = do.register_input_file("", "aes-gcm-128", key, iv, cmac,
                                     data=data)
        oid = do.register_output_file("", "aes-gcm-128", key, iv)
        self.refused(403, 'the owners of %s (["%s"]) do not match the owners '
                     'the task declares for input \'in\' (%s)'
                     % (iid, do_id, '["%s","%s"]' % tuple(sorted([do_id, other_id]))),
                     do.assign_data_to_task, tid,
                     [clave.DataMap("in", iid)], [])
        self.refused(403, "only an owner of %s may assign it" % oid,
                     other.assign_data_to_task, tid, [],
                     [clave.DataMap("out", oid)])
        self.refused(400, "input 'in' needs an input file, got %s" % oid,
                     do.assign_data_to_task, tid,
                     [clave.DataMap("in", oid)], [])
        self.refused(404, "file 'input-nope' not found",
                     do.assign_data_to_task, tid,
                     [clave.DataMap("in", "input-nope")], [])
        self.assertEqual(do.assign_data_to_task(
            tid, [], [clave.DataMap("out", oid)])["status"], "Created")
        self.refused(409, "output 'out' of task %s is already assigned" % tid,
                     do.assign_data_to_task, tid, [],
                     [clave.DataMap("out", oid)])
        # a stranger sees nothing
        _, carol = self.user()
        for call in (carol.get_task, carol.approve_task, carol.cancel_task,
                     carol.invoke_task):
            self.refused(403, "you are not a participant of task %s" % tid,
                         call, tid)
        self.assertEqual(do.cancel_task(tid)["status"], "Canceled")
        t = other.get_task(tid)
        self.assertEqual(t["status"], "Canceled")
        self.assertEqual(t["result"]["reason"], "canceled by %s" % do_id)
        self.refused(409, "task %s is Canceled: data can be assigned only "
                     "while it is Created" % tid, do.assign_data_to_task,
                     tid, [clave.DataMap("in", iid)], [])

    def test_payload_pinned(self):
        """A task runs the payload its participants approved, even if the
        function's owner swaps the payload afterwards."""
        fo, do, tid, (fid, iid, oid), _ = self.prepared_task()
        before = fo.get_function(fid)["payload_sha256"]
        self.assertEqual(do.get_task(tid)["payload_sha256"], before)
        fo.update_function(fid, "echo", "now traps", "wamr", public=False,
                           payload=wasm("trap"), user_allowlist=[do.user_id])
        self.assertNotEqual(fo.get_function(fid)["payload_sha256"], before)
        do.invoke_task(tid)
        self.assertEqual(do.get_task_result(tid), b"4011")

    def test_invoke_rules(self):
        fo, do, tid, ids, _ = self.prepared_task()
        self.refused(403, "only the creator of task %s may invoke it" % tid,
                     fo.invoke_task, tid)
        _, do2 = self.user()
        # approvals are listed; approving an Approved task is refused
        self.refused(409, "task %s is Approved: approval is over" % tid,
                     do.approve_task, tid)
        self.assertEqual(do.get_task(tid)["approved_users"],
                         sorted([fo.user_id, do.user_id]))
        self.assertEqual(do.cancel_task(tid)["status"], "Canceled")
        self.refused(409, "task %s is Canceled: only an Approved task can be "
                     "invoked" % tid, do.invoke_task, tid)

    def test_waiting_for_approval(self):
        fo_id, fo = self.user("FunctionOwner")
        do_id, do = self.user()
        fid = self.echo_function(fo, allow=[do_id])
        data, key, iv, cmac = clave.encrypt_file(b"abc")
        iid = do.register_input_file("", "aes-gcm-128", key, iv, cmac,
                                     data=data)
        oid = do.register_output_file("", "aes-gcm-128", key, iv)
        tid = do.create_task(fid, {}, "wamr",
                             [clave.OwnerList("in", [do_id])],
                             [clave.OwnerList("out", [do_id])])
        self.assertEqual(do.assign_data_to_task(
            tid, [clave.DataMap("in", iid)],
            [clave.DataMap("out", oid)])["status"], "DataAssigned")
        do.approve_task(tid)
        self.refused(409, "task %s is DataAssigned: every participant must "
                     "approve first (waiting for: %s)" % (tid, fo_id),
                     do.invoke_task, tid)

    # ---- failures of the function ----------------------------------------

    def run_failing(self, **kw):
        fo, do, tid, ids, _ = self.prepared_task(**kw)
        do.invoke_task(tid)
        e = self.refused(0, None, do.get_task_result, tid)
        t = do.get_task(tid)
        self.assertEqual(t["status"], "Failed")
        self.assertTrue(e.message.startswith("Task Failed, Error: "))
        if os.environ.get("CLAVE_TEST_VERBOSE"):
            print("reason:", t["result"]["reason"])
        return t["result"]["reason"], do, ids

    def test_tampered_input(self):
        reason, do, (fid, iid, oid) = self.run_failing(tamper=True)
        self.assertEqual(reason, "input 'in': authentication tag mismatch")
        self.refused(409, "%s has no content yet (its task has not finished)"
                     % oid, do.download, oid)

    def test_trap(self):
        reason, _, _ = self.run_failing(payload="trap")
        self.assertEqual(reason, "trap: unreachable")

    def test_fuel(self):
        reason, _, _ = self.run_failing(payload="spin",
                                        limits={"fuel": 100000})
        self.assertEqual(reason, "trap: fuel exhausted")

    def test_deadline(self):
        reason, _, _ = self.run_failing(payload="spin",
                                        limits={"timeout_ms": 300})
        self.assertEqual(reason, "trap: deadline passed")

    def test_memory_limit(self):
        reason, _, _ = self.run_failing(payload="bigmem",
                                        limits={"memory_mb": 16})
        self.assertTrue(reason.startswith("limit exceeded: "), reason)
        self.assertIn("16 MiB", reason)

    def test_killed_child(self):
        fo, do, tid, ids, _ = self.prepared_task(payload="spin")
        do.invoke_task(tid)
        pids = []
        for _ in range(600):
            if do.get_task(tid)["status"] == "Running":
                pids = children_of(self.srv.proc.pid)
                if pids:
                    break
            time.sleep(0.05)
        self.assertTrue(pids, "no task child found")
        # the function's prepared process is another child, left alone
        self.assertTrue(children_of(self.srv.proc.pid, b"clave-prepared"))
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        t = do.wait_task(tid, 60)
        self.assertEqual(t["status"], "Failed")
        self.assertEqual(t["result"]["reason"],
                         "worker crashed: killed by signal 9 (Killed)")
        # the server still serves
        self.assertEqual(do.whoami()["id"], do.user_id)

    def test_cancel_running(self):
        fo, do, tid, ids, _ = self.prepared_task(payload="spin")
        do.invoke_task(tid)
        for _ in range(600):
            if do.get_task(tid)["status"] == "Running":
                break
            time.sleep(0.05)
        self.assertEqual(fo.cancel_task(tid)["status"], "Canceled")
        t = do.wait_task(tid, 60)
        self.assertEqual(t["status"], "Canceled")
        self.assertEqual(t["result"]["reason"], "canceled by %s" % fo.user_id)

    # ---- functions, files -------------------------------------------------

    def test_function_calls(self):
        fo_id, fo = self.user("FunctionOwner")
        do_id, do = self.user()
        self.refused(400, "payload is not a WebAssembly module (no \\0asm "
                     "header)", fo.register_function, "x", "d", "wamr",
                     payload=b"not wasm at all")
        e = self.refused(400, None, fo.register_function, "x", "d", "wamr",
                         payload=b"\0asm\x01\0\0\0\x01\x05")
        self.assertTrue(e.message.startswith("payload refused: "), e.message)
        self.refused(400, "unknown executor_type 'tvm' (wasm; wamr and clave "
                     "are accepted as aliases)", fo.register_function, "x",
                     "d", "tvm", payload=wasm("echo"))
        self.refused(403, "role DataOwner may not register functions",
                     do.register_function, "x", "d", "wamr",
                     payload=wasm("echo"))
        fid = self.echo_function(fo, public=False)
        self.refused(403, "function %s is not shared with you" % fid,
                     do.get_function, fid)
        listed = fo.list_functions()
        self.assertEqual(listed["registered_functions"], [fid])
        self.refused(403, "only a PlatformAdmin may list another user's "
                     "functions", do.list_functions, fo_id)
        self.assertEqual(self.admin.list_functions(fo_id)
                         ["registered_functions"], [fid])
        fo.update_function(fid, "echo2", "new", "wamr", public=False,
                           user_allowlist=[do_id])
        f = do.get_function(fid)
        self.assertEqual((f["name"], f["description"]), ("echo2", "new"))
        self.assertEqual(do.list_functions()["allowed_functions"], [fid])
        self.refused(403, "function %s belongs to another user" % fid,
                     do.delete_function, fid)
        fo.disable_function(fid)
        self.assertTrue(do.get_function(fid)["disabled"])
        self.refused(409, "function %s is disabled" % fid, do.create_task,
                     fid, {}, "wamr", [], [])
        fo.delete_function(fid)
        self.refused(404, "function '%s' not found" % fid, fo.get_function,
                     fid)
        # a quota of one task
        fid = self.echo_function(fo, public=True, quota=1)
        own = [clave.OwnerList("in", [do_id])], [clave.OwnerList("out",
                                                                 [do_id])]
        tid = do.create_task(fid, {}, "wamr", *own)
        self.refused(409, "function %s has used its quota of 1 tasks" % fid,
                     do.create_task, fid, {}, "wamr", *own)
        self.refused(409, "function '%s' still has tasks; disable it instead"
                     % fid, fo.delete_function, fid)
        self.assertTrue(tid.startswith("task-"))

    def test_file_registration(self):
        _, do = self.user()
        data, key, iv, cmac = clave.encrypt_file(b"abc")
        self.refused(400, "the registered cmac does not match the file's tag "
                     "(its last 16 bytes)", do.register_input_file, "",
                     "aes-gcm-128", key, iv, bytes(16), data=data)
        self.refused(400, "aes-gcm-128 needs a 16-byte key, got 32 bytes",
                     do.register_input_file, "", "aes-gcm-128", bytes(32),
                     iv, cmac, data=data)
        self.refused(400, "raw is for inputs only: an output needs "
                     "aes-gcm-128 or aes-gcm-256", do.register_output_file,
                     "", "raw", b"", b"")
        self.refused(400, "unknown crypto scheme 'teaclave-file-128' "
                     "(expected raw, aes-gcm-128 or aes-gcm-256)",
                     do.register_output_file, "", "teaclave-file-128", key,
                     iv)
        self.refused(400, "an input needs its content: a \"blob\" uploaded "
                     "to /v1/blobs, or a file:// url inside the server's "
                     "import folder (got url 'http://example.invalid/x')",
                     do.register_input_file, "http://example.invalid/x",
                     "aes-gcm-128", key, iv, cmac)
        # file:// urls inside the import folder only
        with open(os.path.join(self.imports, "img.enc"), "wb") as f:
            f.write(data)
        os.symlink("/etc/hostname", os.path.join(self.imports, "escape"))
        fid = do.register_input_file("file://" + self.imports + "/img.enc",
                                     "aes-gcm-128", key, iv, cmac)
        self.assertEqual(do.download(fid), data)
        self.refused(403, "file:///etc/hostname is outside the server's "
                     "import folder", do.register_input_file,
                     "file:///etc/hostname", "raw", b"", b"", b"")
        url = "file://" + self.imports + "/escape"
        self.refused(403, "%s is outside the server's import folder" % url,
                     do.register_input_file, url, "raw", b"", b"", b"")
        url = "file://" + self.imports + "/missing"
        self.refused(400, "%s: No such file or directory" % url,
                     do.register_input_file, url, "raw", b"", b"", b"")
        rid = do.register_input_file("", "raw", b"", b"", b"", data=b"plain")
        self.assertEqual(do.download(rid), b"plain")
        self.assertEqual(do.get_file(rid)["schema"], "raw")
        self.assertTrue(rid.startswith("input-"))

    # ---- authentication, roles, malformed requests --------------------------

    def test_authentication(self):
        anon = self.srv.client()
        calls = [("GET", "users/me"), ("POST", "functions"),
                 ("GET", "functions"), ("GET", "functions/function-x"),
                 ("POST", "files/input"), ("GET", "files/input-x/content"),
                 ("POST", "tasks"), ("GET", "tasks/task-x"),
                 ("POST", "tasks/task-x/approve"),
                 ("POST", "tasks/task-x/invoke"),
                 ("GET", "tasks/task-x/result"), ("GET", "audit"),
                 ("POST", "users")]
        for method, path in calls:
            self.refused(401, "missing bearer token (log in first)",
                         anon.request, method, path, {})
        anon.token = "0" * 64
        self.refused(401, "invalid or expired token (log in again)",
                     anon.request, "GET", "users/me")
        self.refused(401, "wrong user id or password", anon.user_login,
                     "admin", "wrong password 1")
        self.refused(401, "wrong user id or password", anon.user_login,
                     "nobody", "wrong password 1")
        # an expired token
        uid, c = self.user()
        db = sqlite3.connect(os.path.join(self.srv.data, "clave.db"),
                             timeout=30)
        db.execute("UPDATE tokens SET expires_at = 1 WHERE user_id = ?",
                   (uid,))
        db.commit()
        db.close()
        self.refused(401, "invalid or expired token (log in again)", c.whoami)

    def test_roles(self):
        mgr_id, mgr = self.user("DataOwnerManager", "hospital")
        _, do = self.user()
        self.refused(403, "role DataOwner may not register users",
                     do.register_user, "x1", "Passw0rd-x1")
        self.assertEqual(mgr.register_user("nurse1", "Passw0rd-n1",
                                           "DataOwner")["attribute"],
                         "hospital")
        self.refused(403, "a DataOwnerManager may register DataOwner users "
                     "only", mgr.register_user, "x2", "Passw0rd-x2",
                     "FunctionOwner")
        self.refused(403, "a DataOwnerManager may register users of its own "
                     "attribute 'hospital' only", mgr.register_user, "x3",
                     "Passw0rd-x3", "DataOwner", "bank")
        self.refused(409, "user 'nurse1' already exists",
                     self.admin.register_user, "nurse1", "Passw0rd-n1")
        self.refused(400, "password refused: a password needs at least 10 "
                     "characters", self.admin.register_user, "x4", "short")
        self.refused(400, "unknown role 'Root' (PlatformAdmin, "
                     "FunctionOwner, DataOwnerManager, DataOwner)",
                     self.admin.register_user, "x5", "Passw0rd-x5", "Root")
        self.refused(403, "only a PlatformAdmin may read the audit log",
                     do.query_audit_logs)
        nurse = self.srv.client("nurse1", "Passw0rd-n1")
        self.assertEqual(nurse.whoami(), {"id": "nurse1", "role":
                                          "DataOwner", "attribute":
                                          "hospital"})

    def test_bad_requests(self):
        _, do = self.user()
        self.refused(404, "task 'task-nope' not found", do.get_task,
                     "task-nope")
        self.refused(404, "function 'function-nope' not found",
                     do.get_function, "function-nope")
        self.refused(404, "file 'input-nope' not found", do.get_file,
                     "input-nope")
        self.refused(404, "no such API path: GET /v1/nothing", do.request,
                     "GET", "nothing")
        self.refused(405, "method DELETE not allowed on /v1/tasks/task-x",
                     do.request, "DELETE", "tasks/task-x")
        import http.client
        import json
        import ssl

        def raw(body, ctype="application/json"):
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            conn = http.client.HTTPSConnection("127.0.0.1", self.srv.port,
                                               context=ctx, timeout=60)
            conn.request("POST", "/v1/tasks", body=body, headers={
                "Authorization": "Bearer " + do.token,
                "Content-Type": ctype})
            r = conn.getresponse()
            out = r.status, json.loads(r.read())["error"]
            conn.close()
            return out

        self.assertEqual(raw(b"{not json"),
                         (400, "malformed JSON body: string or '}' expected "
                          "near 'not' (line 1, column 4)"))
        self.assertEqual(raw(b"[1, 2]"),
                         (400, "the JSON body must be an object"))
        self.assertEqual(raw(b"{}"),
                         (400, "create_task needs a \"function_id\""))
        # an oversized body is refused from its Content-Length, before it
        # is sent
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection("127.0.0.1", self.srv.port,
                                           context=ctx, timeout=60)
        conn.putrequest("POST", "/v1/tasks")
        conn.putheader("Authorization", "Bearer " + do.token)
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(2 * 1024 * 1024))
        conn.endheaders()
        r = conn.getresponse()
        self.assertEqual((r.status, json.loads(r.read())["error"]),
                         (413, "request body larger than 1048576 bytes"))
        conn.close()
        # and one that lies about its length is cut while it is read
        self.assertEqual(raw(b'{"x": "' + b"a" * 1000 + b'"}'),
                         (400, "create_task needs a \"function_id\""))
        # and the server keeps serving
        self.assertEqual(do.whoami()["id"], do.user_id)

    def test_audit(self):
        do_id, do = self.user()
        try:
            do.create_task("function-nope", {}, "wamr")
        except clave.ClaveError:
            pass
        logs = self.admin.query_audit_logs(user=do_id)
        self.assertEqual(logs[0]["action"], "create_task")
        self.assertEqual(logs[0]["result"],
                         "function 'function-nope' not found")
        self.assertEqual(logs[1]["action"], "user_login")
        self.assertEqual(logs[1]["result"], "ok")
        logs = self.admin.query_audit_logs(action="register_user", limit=1)
        self.assertEqual([(l["user"], l["target"], l["result"]) for l in logs],
                         [("admin", do_id, "ok")])

    def test_teaclave_names(self):
        """A Teaclave-style script: metadata dict, services by address."""
        os.environ["CLAVE_FINGERPRINT"] = self.srv.fingerprint
        uid, _ = self.user("FunctionOwner")
        pw = "Passw0rd-%d" % PlatformTest.n
        auth = teaclave.AuthenticationService(
            ("127.0.0.1", self.srv.port), "ca.pem", "enclave_info.toml"
        ).connect().get_client()
        token = auth.user_login(uid, pw)
        fe = teaclave.FrontendService(("127.0.0.1", self.srv.port), "ca.pem",
                                      "enclave_info.toml")
        fe.metadata = {"id": uid, "token": token}
        fid = fe.register_function(
            "echo", "d", "wamr", payload=list(wasm("echo")),
            arguments=[teaclave.FunctionArgument("n")],
            inputs=[teaclave.FunctionInput("in", "d")],
            outputs=[teaclave.FunctionOutput("out", "d")])
        self.assertEqual(fe.get_function(fid)["name"], "echo")
        with self.assertRaises(teaclave.TeaclaveException):
            fe.get_task("task-nope")


class PreparedTest(unittest.TestCase):
    """Prepared processes (one per function payload, forking a task
    process per task): a cap of one makes functions take turns; a killed
    one is started again; no task sees what an earlier one left."""

    def test_prepared_processes(self):
        data = tempfile.mkdtemp(prefix="clave-prep-", dir=ARGS.tmp)
        srv = Server(os.path.join(data, "d"), ["--prepared", "1"]).start()
        try:
            admin = srv.client("admin", ADMIN_PW)
            admin.register_user("fo", "Passw0rd-fo", "FunctionOwner")
            admin.register_user("do", "Passw0rd-do", "DataOwner")
            fo = srv.client("fo", "Passw0rd-fo")
            do = srv.client("do", "Passw0rd-do")
            fns = {}
            for name in ("echo", "counter"):
                fns[name] = fo.register_function(
                    name, "", "wamr", public=True, payload=wasm(name),
                    inputs=[clave.FunctionInput("in")],
                    outputs=[clave.FunctionOutput("out", optional=True)])

            def run(name):
                d, k, iv, cmac = clave.encrypt_file(b"12345")
                iid = do.register_input_file("", "aes-gcm-128", k, iv, cmac,
                                             data=d)
                tid = do.create_task(fns[name], {}, "wamr",
                                     [clave.OwnerList("in", ["do"])])
                do.assign_data_to_task(tid, [clave.DataMap("in", iid)])
                do.approve_task(tid)
                do.invoke_task(tid)
                return do.get_task_result(tid)

            def prepared():
                return children_of(srv.proc.pid, b"clave-prepared")

            for name, want in (("echo", b"-2"), ("counter", b"11"),
                               ("echo", b"-2"), ("counter", b"11"),
                               ("counter", b"11")):
                self.assertEqual(run(name), want, name)
                self.assertEqual(len(prepared()), 1)
            before = prepared()
            os.kill(before[0], signal.SIGKILL)
            self.assertEqual(run("counter"), b"11")
            after = prepared()
            self.assertEqual(len(after), 1)
            self.assertNotEqual(after, before)
        finally:
            rc, err = srv.stop()
        self.assertEqual(rc, 0, err[-3000:])


class RecoveryTest(unittest.TestCase):
    def test_kill9_and_restart(self):
        data = tempfile.mkdtemp(prefix="clave-recover-", dir=ARGS.tmp)
        data = os.path.join(data, "d")
        srv = Server(data).start()
        admin = srv.client("admin", ADMIN_PW)
        admin.register_user("fo", "Passw0rd-fo", "FunctionOwner")
        admin.register_user("do", "Passw0rd-do", "DataOwner")
        fo, do = srv.client("fo", "Passw0rd-fo"), srv.client("do",
                                                              "Passw0rd-do")
        spin = fo.register_function("spin", "", "wamr", public=True,
                                    payload=wasm("spin"),
                                    inputs=[clave.FunctionInput("in")],
                                    outputs=[clave.FunctionOutput("out")])
        echo = fo.register_function("echo", "", "wamr", public=True,
                                    payload=wasm("echo"),
                                    inputs=[clave.FunctionInput("in")],
                                    outputs=[clave.FunctionOutput("out")])

        def task(fid):
            d, k, iv, cmac = clave.encrypt_file(b"12345")
            iid = do.register_input_file("", "aes-gcm-128", k, iv, cmac,
                                         data=d)
            oid = do.register_output_file("", "aes-gcm-128", k, iv)
            tid = do.create_task(fid, {}, "wamr",
                                 [clave.OwnerList("in", ["do"])],
                                 [clave.OwnerList("out", ["do"])])
            do.assign_data_to_task(tid, [clave.DataMap("in", iid)],
                                   [clave.DataMap("out", oid)])
            do.approve_task(tid)
            return tid, oid

        done, done_out = task(echo)
        do.invoke_task(done)
        self.assertEqual(do.get_task_result(done), b"5")
        running, _ = task(spin)
        do.invoke_task(running)
        for _ in range(600):
            if do.get_task(running)["status"] == "Running":
                break
            time.sleep(0.05)
        self.assertEqual(do.get_task(running)["status"], "Running")
        staged, _ = task(echo)
        srv.kill9()
        # the orphaned child of the killed server ends on its own (its
        # socket is gone); a restarted server must not wait for it
        srv = Server(data).start()
        do = srv.client("do", "Passw0rd-do")
        t = do.get_task(running)
        self.assertEqual(t["status"], "Failed")
        self.assertEqual(t["result"]["reason"],
                         "worker lost: the server stopped while the task ran")
        self.assertEqual(do.get_task(done)["result"]["return_value"], 5)
        self.assertEqual(len(do.download(done_out)), 5 + 16)
        self.assertEqual(do.get_task(staged)["status"], "Approved")
        do.invoke_task(staged)
        self.assertEqual(do.get_task_result(staged), b"5")
        self.assertEqual(do.get_function(echo)["name"], "echo")
        # a client long-polling a task that never ends does not hold up a
        # stop
        waiting, _ = task(echo)
        poller = srv.client("do", "Passw0rd-do")
        th = threading.Thread(target=lambda: self.assertRaises(
            clave.ClaveError, poller.request, "GET",
            "tasks/%s/result" % waiting, query={"wait": 600}))
        th.start()
        time.sleep(0.5)
        rc, err = srv.stop()
        th.join(60)
        self.assertFalse(th.is_alive())
        self.assertEqual(rc, 0, err[-3000:])

    def test_first_start_rules(self):
        data = os.path.join(tempfile.mkdtemp(dir=ARGS.tmp), "d")
        env = dict(os.environ)
        env.pop("CLAVE_ADMIN_PASSWORD", None)
        r = subprocess.run([ARGS.server_bin, "--data", data, "--listen",
                            "127.0.0.1:0"], env=env, capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.strip(),
                         "clave-test-server: first start: an admin password "
                         "is required (--admin-password-file FILE, "
                         "CLAVE_ADMIN_PASSWORD, or the prompt)")
        env["CLAVE_ADMIN_PASSWORD"] = "admin"
        r = subprocess.run([ARGS.server_bin, "--data", data, "--listen",
                            "127.0.0.1:0"], env=env, capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.stderr.strip(),
                         "clave-test-server: admin password refused: a "
                         "password needs at least 10 characters")
        r = subprocess.run([ARGS.server_bin, "--data", data, "--listen",
                            "0.0.0.0:0", "--insecure-http"], env=env,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.stderr.strip(),
                         "clave-test-server: --insecure-http is only allowed "
                         "on a loopback address (got 0.0.0.0)")

    def test_insecure_http_loopback(self):
        data = os.path.join(tempfile.mkdtemp(dir=ARGS.tmp), "d")
        srv = Server(data, ["--insecure-http"]).start()
        c = clave.Client("http://127.0.0.1:%d" % srv.port)
        c.user_login("admin", ADMIN_PW)
        self.assertEqual(c.whoami()["role"], "PlatformAdmin")
        with self.assertRaises(clave.ClaveError) as cm:
            c.register_input_file("file:///etc/passwd", "raw", b"", b"", b"")
        self.assertEqual(cm.exception.message,
                         "file:// urls are disabled on this server (no "
                         "import folder); upload the file instead")
        # an upload without a token is refused before its body is read
        anon = clave.Client("http://127.0.0.1:%d" % srv.port)
        with self.assertRaises(clave.ClaveError) as cm:
            anon.upload(b"x" * 100000)
        self.assertEqual((cm.exception.status, cm.exception.message),
                         (401, "missing bearer token (log in first)"))
        # a second server on the same data folder is refused
        r = subprocess.run([ARGS.server_bin, "--data", data, "--listen",
                            "127.0.0.1:0", "--insecure-http"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.stderr.strip(), "clave-test-server: data folder "
                         "%s is in use by another clave server" % data)
        rc, err = srv.stop()
        self.assertEqual(rc, 0, err[-3000:])


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--server-bin", required=True)
    ap.add_argument("--wat2wasm", required=True)
    ap.add_argument("--sdk", required=True)
    ARGS, rest = ap.parse_known_args()
    sys.path.insert(0, ARGS.sdk)
    import clave  # noqa: E402
    import teaclave  # noqa: E402
    ARGS.tmp = tempfile.mkdtemp(prefix="clave-plat-test-")
    import warnings
    warnings.simplefilter("ignore", ResourceWarning)
    try:
        unittest.main(argv=[sys.argv[0]] + rest, verbosity=2,
                      warnings="ignore")
    finally:
        shutil.rmtree(ARGS.tmp, ignore_errors=True)
