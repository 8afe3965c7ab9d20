"""Clave's Python client: the platform's REST API with Teaclave's call names.

Standard library plus Debian's python3-cryptography (for the file schemes);
run it with /usr/bin/python3.  One `Client` talks to one server:

    from clave import Client, FunctionInput, OwnerList, DataMap
    c = Client("https://127.0.0.1:7777", fingerprint="AB:CD:...")
    c.user_login("alice", "secret password 1")
    fid = c.register_function("echo", "...", "wamr", payload=wasm_bytes, ...)

Every call raises ClaveError (with the HTTP status and the server's message)
when the server refuses it.  The calls keep Teaclave's names and
parameters (user_login, register_function, create_task,
register_input_file, register_output_file, assign_data_to_task,
approve_task, invoke_task, get_task_result, cancel_task, get_task,
get_function, list_functions, delete_function, register_user,
query_audit_logs), so a Teaclave script needs only its connection set-up
changed; see teaclave.py beside this package for that shim.
"""

import base64
import hashlib
import http.client
import json
import os
import ssl
import urllib.parse

__all__ = [
    "Client", "ClaveError", "FunctionArgument", "FunctionInput",
    "FunctionOutput", "OwnerList", "DataMap", "CryptoInfo", "encrypt_file",
    "decrypt_file", "file_tag",
]


class ClaveError(Exception):
    """A call the server refused (status is the HTTP status, 0 when the
    server could not be reached) or a task that failed."""

    def __init__(self, message, status=0):
        super().__init__(message)
        self.message = message
        self.status = status


# ---- declarations (Teaclave's classes, as plain data) -------------------

class FunctionArgument:
    def __init__(self, key, default_value="", allow_overwrite=True):
        self.key = key
        self.default_value = default_value
        self.allow_overwrite = allow_overwrite

    def to_json(self):
        return {"key": self.key, "default_value": self.default_value,
                "allow_overwrite": self.allow_overwrite}


class FunctionInput:
    def __init__(self, name, description="", optional=False):
        self.name = name
        self.description = description
        self.optional = optional

    def to_json(self):
        return {"name": self.name, "description": self.description,
                "optional": self.optional}


class FunctionOutput(FunctionInput):
    pass


class OwnerList:
    def __init__(self, data_name, uids):
        self.data_name = data_name
        self.uids = list(uids)

    def to_json(self):
        return {"data_name": self.data_name, "uids": self.uids}


class DataMap:
    def __init__(self, data_name, data_id):
        self.data_name = data_name
        self.data_id = data_id

    def to_json(self):
        return {"data_name": self.data_name, "data_id": self.data_id}


class CryptoInfo:
    def __init__(self, schema, key, iv):
        self.schema = schema
        self.key = bytes(key)
        self.iv = bytes(iv)


def _json(x):
    if hasattr(x, "to_json"):
        return x.to_json()
    if isinstance(x, str):
        return x
    return dict(x)


def _hex(b):
    if b is None:
        return ""
    if isinstance(b, str):
        return b
    return bytes(b).hex()


# ---- file schemes -------------------------------------------------------

_KEY_LEN = {"aes-gcm-128": 16, "aes-gcm-256": 32}
_AAD = bytes(8)


def file_tag(data, schema):
    """The tag a stored file carries: its last 16 bytes (raw: the first 16
    bytes of its SHA-256)."""
    if schema == "raw":
        return hashlib.sha256(data).digest()[:16]
    return bytes(data[-16:])


def encrypt_file(plain, schema="aes-gcm-128", key=None, iv=None):
    """Encrypt bytes into Teaclave's file format.  Returns
    (file_bytes, key, iv, cmac)."""
    if schema == "raw":
        return bytes(plain), b"", b"", file_tag(plain, "raw")
    if schema not in _KEY_LEN:
        raise ClaveError("unknown crypto scheme '%s'" % schema)
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    key = os.urandom(_KEY_LEN[schema]) if key is None else bytes(key)
    iv = os.urandom(12) if iv is None else bytes(iv)
    data = AESGCM(key).encrypt(iv, bytes(plain), _AAD)
    return data, key, iv, data[-16:]


def decrypt_file(data, schema, key, iv):
    """Decrypt a file of Teaclave's format; ClaveError on a bad tag."""
    if schema == "raw":
        return bytes(data)
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    try:
        return AESGCM(bytes(key)).decrypt(bytes(iv), bytes(data), _AAD)
    except InvalidTag:
        raise ClaveError("authentication tag mismatch")


# ---- the client ---------------------------------------------------------

class Client:
    """A connection to one Clave server.

    server: "https://HOST:PORT" (or http:// for a loopback --insecure-http
    server).  Verify the server by its certificate's SHA-256 fingerprint
    (as `clave serve` prints it), by a CA file, or not at all with
    insecure=True (tests only)."""

    def __init__(self, server="https://127.0.0.1:7777", fingerprint=None,
                 cafile=None, insecure=False, timeout=600, token=None,
                 user_id=None):
        u = urllib.parse.urlparse(server)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise ClaveError("bad server url '%s'" % server)
        self.scheme = u.scheme
        self.host = u.hostname
        self.port = u.port or (443 if u.scheme == "https" else 80)
        self.timeout = timeout
        self.token = token
        self.user_id = user_id
        self.fingerprint = None
        if fingerprint:
            self.fingerprint = fingerprint.replace(":", "").lower()
        self._ctx = None
        if self.scheme == "https":
            if cafile:
                ctx = ssl.create_default_context(cafile=cafile)
            else:
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                if not self.fingerprint and not insecure:
                    raise ClaveError("give the server's fingerprint or a "
                                     "cafile (or insecure=True for tests)")
            self._ctx = ctx
        self._conn = None

    # -- transport --

    def _connect(self):
        if self.scheme == "https":
            conn = http.client.HTTPSConnection(self.host, self.port,
                                               timeout=self.timeout,
                                               context=self._ctx)
            conn.connect()
            if self.fingerprint:
                der = conn.sock.getpeercert(binary_form=True)
                got = hashlib.sha256(der).hexdigest()
                if got != self.fingerprint:
                    conn.close()
                    raise ClaveError("server certificate fingerprint "
                                     "mismatch: got %s" % got)
        else:
            conn = http.client.HTTPConnection(self.host, self.port,
                                              timeout=self.timeout)
            conn.connect()
        return conn

    def close(self):
        if self._conn:
            self._conn.close()
            self._conn = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def request(self, method, path, body=None, raw=None, query=None,
                binary=False, auth=True):
        """One API call: returns the decoded JSON reply (or the bytes when
        binary), raises ClaveError with the server's message."""
        url = "/v1/" + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        headers = {}
        data = None
        if raw is not None:
            data = bytes(raw)
            headers["Content-Type"] = "application/octet-stream"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if auth and self.token:
            headers["Authorization"] = "Bearer " + self.token
        for attempt in (0, 1):
            try:
                if self._conn is None:
                    self._conn = self._connect()
                self._conn.request(method, url, body=data, headers=headers)
                resp = self._conn.getresponse()
                payload = resp.read()
                break
            except ClaveError:
                raise
            except (http.client.HTTPException, OSError) as e:
                self.close()
                if attempt:
                    raise ClaveError("cannot reach %s:%d: %s"
                                     % (self.host, self.port, e))
        if resp.getheader("Connection", "").lower() == "close":
            self.close()
        if resp.status != 200:
            try:
                msg = json.loads(payload)["error"]
            except Exception:
                msg = payload.decode("utf-8", "replace") or resp.reason
            raise ClaveError(msg, resp.status)
        if binary:
            return payload
        return json.loads(payload) if payload else {}

    # -- users --

    def user_login(self, user_id, user_password):
        r = self.request("POST", "users/login",
                         {"id": user_id, "password": user_password},
                         auth=False)
        self.token = r["token"]
        self.user_id = user_id
        return self.token

    def register_user(self, user_id, user_password, role="DataOwner",
                      attribute=""):
        return self.request("POST", "users", {
            "id": user_id, "password": user_password, "role": role,
            "attribute": attribute})

    user_register = register_user

    def user_change_password(self, user_password):
        return self.request("POST", "users/me/password",
                            {"password": user_password})

    def whoami(self):
        return self.request("GET", "users/me")

    # -- functions --

    def _function_body(self, name, description, executor_type, public,
                       payload, arguments, inputs, outputs, user_allowlist,
                       usage_quota, limits):
        body = {"name": name, "description": description,
                "executor_type": executor_type, "public": public,
                "arguments": [_json(a) if not isinstance(a, str) else a
                              for a in arguments],
                "inputs": [_json(x) for x in inputs],
                "outputs": [_json(x) for x in outputs],
                "user_allowlist": list(user_allowlist),
                "usage_quota": usage_quota}
        if limits:
            body["limits"] = dict(limits)
        if payload is not None and len(payload):
            payload = bytes(payload)
            if len(payload) > 4 * 1024 * 1024:
                body["payload_blob"] = self.upload(payload)
            else:
                body["payload"] = base64.b64encode(payload).decode()
        return body

    def register_function(self, name, description, executor_type="wasm",
                          public=True, payload=b"", arguments=(), inputs=(),
                          outputs=(), user_allowlist=(), usage_quota=-1,
                          limits=None):
        body = self._function_body(name, description, executor_type, public,
                                   payload, arguments, inputs, outputs,
                                   user_allowlist, usage_quota, limits)
        return self.request("POST", "functions", body)["function_id"]

    def update_function(self, function_id, name, description,
                        executor_type="wasm", public=True, payload=b"",
                        arguments=(), inputs=(), outputs=(),
                        user_allowlist=(), usage_quota=-1, limits=None):
        body = self._function_body(name, description, executor_type, public,
                                   payload, arguments, inputs, outputs,
                                   user_allowlist, usage_quota, limits)
        return self.request("PUT", "functions/" + function_id,
                            body)["function_id"]

    def get_function(self, function_id):
        return self.request("GET", "functions/" + function_id)

    def list_functions(self, user_id=None):
        q = {"user_id": user_id} if user_id else None
        return self.request("GET", "functions", query=q)

    def delete_function(self, function_id):
        return self.request("DELETE", "functions/" + function_id)

    def disable_function(self, function_id):
        return self.request("POST", "functions/%s/disable" % function_id)

    # -- files --

    def upload(self, data):
        """Upload bytes (a payload or a file's ciphertext); returns the
        blob name to register them by."""
        return self.request("POST", "blobs", raw=data)["blob"]

    def register_input_file(self, url, schema, key, iv, cmac, data=None):
        """Register an input file.  Its content is `data` (uploaded), or
        the server's file:// url inside its import folder."""
        body = {"url": url, "schema": schema, "key": _hex(key),
                "iv": _hex(iv), "cmac": _hex(cmac)}
        if data is not None:
            body["blob"] = self.upload(data)
        return self.request("POST", "files/input", body)["data_id"]

    def register_output_file(self, url, schema, key, iv):
        return self.request("POST", "files/output", {
            "url": url, "schema": schema, "key": _hex(key),
            "iv": _hex(iv)})["data_id"]

    def get_file(self, data_id):
        return self.request("GET", "files/" + data_id)

    def download(self, data_id):
        """The stored bytes of a file you own (ciphertext)."""
        return self.request("GET", "files/%s/content" % data_id,
                            binary=True)

    def download_output(self, data_id, schema, key, iv):
        """Download an output and decrypt it with its owner's key."""
        return decrypt_file(self.download(data_id), schema, key, iv)

    # -- tasks --

    def create_task(self, function_id, function_arguments=None,
                    executor="wasm", inputs_ownership=(),
                    outputs_ownership=()):
        if isinstance(function_arguments, str):
            function_arguments = json.loads(function_arguments)
        return self.request("POST", "tasks", {
            "function_id": function_id,
            "function_arguments": function_arguments or {},
            "executor": executor,
            "inputs_ownership": [_json(x) for x in inputs_ownership],
            "outputs_ownership": [_json(x) for x in outputs_ownership],
        })["task_id"]

    def assign_data_to_task(self, task_id, inputs=(), outputs=()):
        return self.request("POST", "tasks/%s/assign" % task_id, {
            "inputs": [_json(x) for x in inputs],
            "outputs": [_json(x) for x in outputs]})

    def approve_task(self, task_id):
        return self.request("POST", "tasks/%s/approve" % task_id)

    def invoke_task(self, task_id):
        return self.request("POST", "tasks/%s/invoke" % task_id)

    def cancel_task(self, task_id):
        return self.request("POST", "tasks/%s/cancel" % task_id)

    def get_task(self, task_id):
        return self.request("GET", "tasks/" + task_id)

    def wait_task(self, task_id, timeout=300):
        """Long-poll until the task ends (or timeout seconds); the task."""
        left = timeout
        while True:
            step = min(left, 60)
            t = self.request("GET", "tasks/%s/result" % task_id,
                             query={"wait": int(step)})
            left -= step
            if t["status"] in ("Finished", "Failed", "Canceled") or left <= 0:
                return t

    def get_task_result(self, task_id, timeout=300):
        """Wait for the task; its return value as bytes (the decimal text
        of the function's int, as Teaclave returns it).  Raises ClaveError
        when the task failed or was canceled."""
        t = self.wait_task(task_id, timeout)
        if t["status"] == "Finished":
            return t["result"]["return_text"].encode()
        if t["status"] in ("Failed", "Canceled"):
            raise ClaveError("Task %s, Error: %s"
                             % (t["status"], t["result"]["reason"]))
        raise ClaveError("task %s did not end within %d s (it is %s)"
                         % (task_id, timeout, t["status"]))

    def get_output_cmac_by_tag(self, task_id, tag):
        t = self.wait_task(task_id)
        return bytes.fromhex(t["result"]["tags_map"][tag])

    # -- audit --

    def query_audit_logs(self, query="", limit=100, user=None, action=None):
        q = {"limit": limit}
        if user:
            q["user"] = user
        if action or query:
            q["action"] = action or query
        return self.request("GET", "audit", query=q)["logs"]
