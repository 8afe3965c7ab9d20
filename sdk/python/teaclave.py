"""Teaclave-compatible names over Clave's client, so that a script written
for Teaclave's Python SDK runs against a Clave server with only its
connection set-up changed.

Teaclave connects to two services (authentication and frontend) with
attestation arguments; Clave has one HTTPS endpoint.  Both classes here
accept Teaclave's positional arguments and ignore the attestation ones;
give the server with CLAVE_SERVER (default https://127.0.0.1:7777) and its
certificate fingerprint with CLAVE_FINGERPRINT, or pass server= and
fingerprint= explicitly.  `metadata = {"id": ..., "token": ...}` works as
in Teaclave.
"""

import os

from clave import (Client, ClaveError, DataMap, FunctionArgument,
                   FunctionInput, FunctionOutput, OwnerList, CryptoInfo)

__all__ = [
    "AuthenticationService", "FrontendService", "FunctionArgument",
    "FunctionInput", "FunctionOutput", "OwnerList", "DataMap", "CryptoInfo",
    "TeaclaveException",
]

TeaclaveException = ClaveError


def _server(address, server):
    if server:
        return server
    if os.environ.get("CLAVE_SERVER"):
        return os.environ["CLAVE_SERVER"]
    if isinstance(address, tuple):
        return "https://%s:%d" % address
    return "https://127.0.0.1:7777"


class _Service(Client):
    def __init__(self, address=None, as_root_ca_cert_path=None,
                 enclave_info_path=None, dump_report=False, server=None,
                 fingerprint=None, cafile=None, insecure=False):
        fp = fingerprint or os.environ.get("CLAVE_FINGERPRINT")
        super().__init__(_server(address, server), fingerprint=fp,
                         cafile=cafile, insecure=insecure or not fp and
                         not cafile and
                         os.environ.get("CLAVE_INSECURE") == "1")

    # Teaclave 0.4 style: Service(...).connect().get_client()
    def connect(self):
        return self

    def get_client(self):
        return self

    @property
    def metadata(self):
        return {"id": self.user_id, "token": self.token}

    @metadata.setter
    def metadata(self, value):
        self.user_id = value.get("id")
        self.token = value.get("token")


class AuthenticationService(_Service):
    pass


class FrontendService(_Service):
    pass
