"""Choose the graph store the configuration asks for."""

from __future__ import annotations

from app.config import Config
from app.storage.graphstore import GraphStore


def open_store(config: Config) -> GraphStore:
    """The remote store when ``ATRIUM_STORE`` is a URL, else the embedded one in the data folder."""
    if config.store_url:
        from app.storage.remote import RemoteStore

        return RemoteStore(
            config.store_url,
            query_path=config.store_query_path,
            update_path=config.store_update_path,
            gsp_path=config.store_gsp_path,
            timeout=config.query_timeout,
        )
    from app.storage.embedded import EmbeddedStore

    return EmbeddedStore(config.store_dir)
