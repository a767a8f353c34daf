"""Every setting Atrium reads, declared once with its default and its help text.

The README's configuration table is checked against this list by a test, so a setting
cannot be added without being documented.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_BASE_IRI = "http://127.0.0.1:{port}/"
DEFAULT_PORT = 5000
BASE_IRI_FILE = "base-iri"  # in the data folder: the base its IRIs were minted under


@dataclass(frozen=True)
class Setting:
    env: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("ATRIUM_DATA", "./var", "Data folder: the embedded store, media files and renditions."),
    Setting(
        "ATRIUM_STORE",
        "",
        "Unset: the embedded pyoxigraph store in the data folder. An http(s) URL: a remote "
        "SPARQL 1.1 service (Oxigraph server paths /query, /update, /store by default).",
    ),
    Setting("ATRIUM_STORE_QUERY_PATH", "/query", "Remote store: path of the SPARQL query service."),
    Setting(
        "ATRIUM_STORE_UPDATE_PATH", "/update", "Remote store: path of the SPARQL update service."
    ),
    Setting("ATRIUM_STORE_GSP_PATH", "/store", "Remote store: path of the Graph Store Protocol."),
    Setting(
        "ATRIUM_BASE_IRI",
        "",
        "Base of every IRI Atrium mints, recorded in the data folder at init. Unset: the recorded "
        f"base; for a new data folder {DEFAULT_BASE_IRI.format(port='PORT')} (PORT: the --port of "
        "serve or init, default 5000). Another base than the recorded one is refused: move the "
        "data with `atrium rebase NEW_BASE`.",
    ),
    Setting(
        "ATRIUM_SECRET_KEY",
        "",
        "Key that signs session cookies. Unset: a random key made at start-up "
        "(sessions end on restart).",
    ),
    Setting("ATRIUM_QUERY_TIMEOUT", "30", "Time limit of one SPARQL query, in seconds."),
    Setting("ATRIUM_ROW_LIMIT", "10000", "Most rows one SPARQL query returns."),
    Setting(
        "ATRIUM_QUERY_WORKERS",
        "",
        "Processes that run SPARQL queries. Unset: one per CPU core, at least 2.",
    ),
    Setting(
        "ATRIUM_QUERY_QUEUE",
        "2",
        "SPARQL queries that may wait for a busy worker; beyond them: 503 with Retry-After.",
    ),
    Setting(
        "ATRIUM_QUERIES_PER_ADDRESS",
        "2",
        "SPARQL queries one anonymous address may have running or waiting; beyond: 429.",
    ),
    Setting(
        "ATRIUM_QUERIES_PER_USER",
        "2",
        "SPARQL queries one signed-in user may have running or waiting; beyond: 429.",
    ),
    Setting(
        "ATRIUM_ANONYMOUS_QUERIES",
        "",
        "SPARQL queries all anonymous callers together may have running or waiting. Unset: "
        "as many as there are query workers, so the queue's places stay for signed-in users.",
    ),
    Setting("ATRIUM_MAX_UPLOAD_MB", "200", "Largest file accepted by an upload, in MiB."),
    Setting(
        "ATRIUM_MAX_IMAGE_PIXELS", "200000000", "Largest image decoded, in pixels (bomb guard)."
    ),
    Setting(
        "ATRIUM_MAX_DOWNLOAD_WIDTH",
        "4096",
        "Widest picture made on request for a download (JPEG, PNG or WebP), in pixels.",
    ),
    Setting(
        "ATRIUM_SWEEP_MINUTES",
        "60",
        "How often the server sweeps what killed uploads and ingests left in the data folder, "
        "in minutes (0: only at start).",
    ),
    Setting(
        "ATRIUM_RIGHTS_CHECK_MINUTES",
        "60",
        "How often the server withdraws public assets whose rights expired or whose embargo has "
        "not begun, and restores embargoed ones whose day came, in minutes (0: only at start).",
    ),
    Setting(
        "ATRIUM_SWEEP_GRACE_MINUTES",
        "60",
        "Age, in minutes, a leftover (temporary file, unused media file) must reach before a "
        "sweep removes it.",
    ),
    Setting(
        "ATRIUM_METRICS_TOKEN",
        "",
        "A secret that Prometheus sends as `Authorization: Bearer …` to read /metrics. Unset: "
        "only administrators (a session or an API token) may read it.",
    ),
)

_BY_ENV = {setting.env: setting for setting in SETTINGS}


@dataclass(frozen=True)
class Config:
    data_dir: Path
    store_url: str
    store_query_path: str
    store_update_path: str
    store_gsp_path: str
    base_iri: str
    secret_key: str
    query_timeout: float
    row_limit: int
    max_upload_bytes: int
    max_image_pixels: int
    max_download_width: int
    query_workers: int  # 0: one per CPU core, at least 2
    query_queue: int
    queries_per_address: int
    queries_per_user: int
    anonymous_queries: int  # 0: as many as there are query workers
    sweep_seconds: float
    sweep_grace_seconds: float
    rights_check_seconds: float
    metrics_token: str  # empty: /metrics for administrators only

    @property
    def store_dir(self) -> Path:
        return self.data_dir / "store"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def pictures_dir(self) -> Path:
        """Pictures made on request for downloads: a cache, made again when removed."""
        return self.data_dir / "pictures"

    @classmethod
    def from_env(
        cls, environ: dict[str, str] | None = None, *, port: int | None = None, **overrides: object
    ) -> Config:
        """Read the configuration from environment variables; keyword overrides win. ``port``:
        the port the server will listen on, which a new data folder's base IRI names."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str:
            return env.get(name, _BY_ENV[name].default)

        data_dir = Path(get("ATRIUM_DATA")).resolve()
        base_iri = (
            get("ATRIUM_BASE_IRI")
            or recorded_base_iri(data_dir)
            or DEFAULT_BASE_IRI.format(port=port or DEFAULT_PORT)
        )
        if not base_iri.endswith("/"):
            base_iri += "/"
        values: dict[str, object] = dict(
            data_dir=data_dir,
            store_url=get("ATRIUM_STORE").rstrip("/"),
            store_query_path=get("ATRIUM_STORE_QUERY_PATH"),
            store_update_path=get("ATRIUM_STORE_UPDATE_PATH"),
            store_gsp_path=get("ATRIUM_STORE_GSP_PATH"),
            base_iri=base_iri,
            secret_key=get("ATRIUM_SECRET_KEY"),
            query_timeout=float(get("ATRIUM_QUERY_TIMEOUT")),
            row_limit=int(get("ATRIUM_ROW_LIMIT")),
            max_upload_bytes=int(get("ATRIUM_MAX_UPLOAD_MB")) * 1024 * 1024,
            max_image_pixels=int(get("ATRIUM_MAX_IMAGE_PIXELS")),
            max_download_width=int(get("ATRIUM_MAX_DOWNLOAD_WIDTH")),
            query_workers=int(get("ATRIUM_QUERY_WORKERS") or 0),
            query_queue=int(get("ATRIUM_QUERY_QUEUE")),
            queries_per_address=int(get("ATRIUM_QUERIES_PER_ADDRESS")),
            queries_per_user=int(get("ATRIUM_QUERIES_PER_USER")),
            anonymous_queries=int(get("ATRIUM_ANONYMOUS_QUERIES") or 0),
            sweep_seconds=float(get("ATRIUM_SWEEP_MINUTES")) * 60,
            sweep_grace_seconds=float(get("ATRIUM_SWEEP_GRACE_MINUTES")) * 60,
            rights_check_seconds=float(get("ATRIUM_RIGHTS_CHECK_MINUTES")) * 60,
            metrics_token=get("ATRIUM_METRICS_TOKEN"),
        )
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


def recorded_base_iri(data_dir: Path) -> str | None:
    """The base IRI recorded in the data folder at init (or by a rebase); None if none is."""
    try:
        return (data_dir / BASE_IRI_FILE).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def record_base_iri(data_dir: Path, base_iri: str) -> None:
    """Record ``base_iri`` in the data folder, replacing the file in one step (a crash leaves
    the old record or the new one, never half of one)."""
    if recorded_base_iri(data_dir) == base_iri:
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    partial = data_dir / f"{BASE_IRI_FILE}.part"
    with partial.open("w", encoding="utf-8") as output:
        output.write(base_iri + "\n")
        output.flush()
        os.fsync(output.fileno())
    os.replace(partial, data_dir / BASE_IRI_FILE)
