"""Every setting Atrium reads, declared once with its default and its help text.

The README's configuration table is checked against this list by a test, so a setting
cannot be added without being documented.
"""

from __future__ import annotations

import math
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
    Setting("ATRIUM_SERVER_THREADS", "8", "Threads of `atrium serve` that answer requests."),
    Setting(
        "ATRIUM_RUNNING_REQUESTS",
        "",
        "Requests that run at once; the others wait for a place (one waiting on a SPARQL "
        "worker gives its place up). Unset: one per CPU core.",
    ),
    Setting(
        "ATRIUM_RUNNING_WAIT_SECONDS",
        "0.25",
        "Longest a request waits for a place before it runs anyway, in seconds.",
    ),
    Setting(
        "ATRIUM_INGEST_WORKERS",
        "",
        "Processes that read files during an ingest. Unset: one per CPU core, at most 8.",
    ),
    Setting("ATRIUM_FACET_SECONDS", "1", "Time one facet of a search may take, in seconds."),
    Setting(
        "ATRIUM_FACETS_SECONDS", "3", "Time all the facets of one search may take, in seconds."
    ),
    Setting(
        "ATRIUM_SUGGESTION_SECONDS",
        "0.5",
        'Time a search with few results may spend finding "did you mean" texts, in seconds.',
    ),
    Setting(
        "ATRIUM_REMEMBERED_SEARCHES",
        "256",
        "Search answers kept in memory for the next identical search, while nothing is written "
        "(0: none), over a remote store too: every Atrium process stamps its writes.",
    ),
    Setting(
        "ATRIUM_SIGN_IN_FAILURES",
        "5",
        "Failed sign-ins for one name from one address before it is locked out.",
    ),
    Setting(
        "ATRIUM_SIGN_IN_FAILURES_PER_ADDRESS",
        "20",
        "Failed sign-ins from one address, whatever the name, before it is locked out.",
    ),
    Setting(
        "ATRIUM_SIGN_IN_LOCKOUT_MINUTES",
        "5",
        "The first sign-in lock-out, in minutes; each further failure doubles it.",
    ),
    Setting(
        "ATRIUM_SIGN_IN_LOCKOUT_MAX_MINUTES", "60", "The longest sign-in lock-out, in minutes."
    ),
    Setting("ATRIUM_SESSION_HOURS", "12", "How long a sign-in lasts, in hours."),
    Setting("ATRIUM_MAX_FILES_PER_UPLOAD", "100", "Files one upload from the web may hold."),
    Setting("ATRIUM_MAX_ZIP_ASSETS", "2000", "Assets one zip download may hold; more: 413."),
    Setting("ATRIUM_MAX_BULK_ASSETS", "2000", "Assets one bulk action may take."),
    Setting(
        "ATRIUM_HEALTH_STORE_SECONDS",
        "2",
        "Time the store has to answer /healthz's `ASK {}` before it counts as down, in seconds.",
    ),
)

_BY_ENV = {setting.env: setting for setting in SETTINGS}


class ConfigError(ValueError):
    """A setting's value cannot be used; the message names the variable."""


def _whole(name: str, text: str, minimum: int = 0) -> int:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise ConfigError(f"{name} must be a whole number of at least {minimum}, not {text!r}")
    return value


def _decimal(name: str, text: str, minimum: float = 0.0) -> float:
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value) or value < minimum:
        raise ConfigError(f"{name} must be a number of at least {minimum:g}, not {text!r}")
    return value


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
    server_threads: int
    running_requests: int  # 0: one per CPU core
    running_wait_seconds: float
    ingest_workers: int  # 0: one per CPU core, at most 8
    facet_seconds: float
    facets_seconds: float
    suggestion_seconds: float
    remembered_searches: int
    sign_in_failures: int  # per (address, name) pair
    sign_in_failures_per_address: int
    sign_in_lockout_seconds: float
    sign_in_lockout_max_seconds: float
    session_seconds: float
    max_files_per_upload: int
    max_zip_assets: int
    max_bulk_assets: int
    health_store_seconds: float

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

        def whole(name: str, minimum: int = 0) -> int:
            return _whole(name, get(name), minimum)

        def decimal(name: str, minimum: float = 0.0) -> float:
            return _decimal(name, get(name), minimum)

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
            query_timeout=decimal("ATRIUM_QUERY_TIMEOUT"),
            row_limit=whole("ATRIUM_ROW_LIMIT"),
            max_upload_bytes=whole("ATRIUM_MAX_UPLOAD_MB") * 1024 * 1024,
            max_image_pixels=whole("ATRIUM_MAX_IMAGE_PIXELS"),
            max_download_width=whole("ATRIUM_MAX_DOWNLOAD_WIDTH"),
            query_workers=_whole("ATRIUM_QUERY_WORKERS", get("ATRIUM_QUERY_WORKERS") or "0"),
            query_queue=whole("ATRIUM_QUERY_QUEUE"),
            queries_per_address=whole("ATRIUM_QUERIES_PER_ADDRESS"),
            queries_per_user=whole("ATRIUM_QUERIES_PER_USER"),
            anonymous_queries=_whole(
                "ATRIUM_ANONYMOUS_QUERIES", get("ATRIUM_ANONYMOUS_QUERIES") or "0"
            ),
            sweep_seconds=decimal("ATRIUM_SWEEP_MINUTES") * 60,
            sweep_grace_seconds=decimal("ATRIUM_SWEEP_GRACE_MINUTES") * 60,
            rights_check_seconds=decimal("ATRIUM_RIGHTS_CHECK_MINUTES") * 60,
            metrics_token=get("ATRIUM_METRICS_TOKEN"),
            server_threads=whole("ATRIUM_SERVER_THREADS", 1),
            running_requests=_whole(
                "ATRIUM_RUNNING_REQUESTS", get("ATRIUM_RUNNING_REQUESTS") or "0"
            ),
            running_wait_seconds=decimal("ATRIUM_RUNNING_WAIT_SECONDS"),
            ingest_workers=_whole("ATRIUM_INGEST_WORKERS", get("ATRIUM_INGEST_WORKERS") or "0"),
            facet_seconds=decimal("ATRIUM_FACET_SECONDS"),
            facets_seconds=decimal("ATRIUM_FACETS_SECONDS"),
            suggestion_seconds=decimal("ATRIUM_SUGGESTION_SECONDS"),
            remembered_searches=whole("ATRIUM_REMEMBERED_SEARCHES"),
            sign_in_failures=whole("ATRIUM_SIGN_IN_FAILURES", 1),
            sign_in_failures_per_address=whole("ATRIUM_SIGN_IN_FAILURES_PER_ADDRESS", 1),
            sign_in_lockout_seconds=decimal("ATRIUM_SIGN_IN_LOCKOUT_MINUTES") * 60,
            sign_in_lockout_max_seconds=decimal("ATRIUM_SIGN_IN_LOCKOUT_MAX_MINUTES") * 60,
            session_seconds=decimal("ATRIUM_SESSION_HOURS") * 3600,
            max_files_per_upload=whole("ATRIUM_MAX_FILES_PER_UPLOAD", 1),
            max_zip_assets=whole("ATRIUM_MAX_ZIP_ASSETS"),
            max_bulk_assets=whole("ATRIUM_MAX_BULK_ASSETS", 1),
            health_store_seconds=decimal("ATRIUM_HEALTH_STORE_SECONDS"),
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
