"""HTTP clients for tests and benchmarks that need no pytest (benchmarks/ imports this too)."""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter


class _FromAddress(HTTPAdapter):
    """Connect from another loopback address (127.0.0.0/8 all reaches a server on 127.0.0.1)."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: object, **kwargs: object) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def client_from(address: str) -> requests.Session:
    """A requests session whose connections come from ``address`` (e.g. ``127.0.0.2``), so a
    server that counts per client address sees another client."""
    client = requests.Session()
    client.mount("http://", _FromAddress(address))
    return client
