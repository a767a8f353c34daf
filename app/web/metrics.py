"""``/metrics``: Prometheus metrics (the text exposition format, through ``prometheus_client``).

- Requests: the time to answer each, as a histogram labelled by the Flask endpoint that
  answered (``assets.page``, not ``/assets/1234…``: one series per route, however many
  assets), and counts by status class (``2xx`` … ``5xx``), from :mod:`app.web.serving`.
- SPARQL query workers: busy and idle workers, jobs waiting for one, jobs run, time-outs (while
  running, or while waiting for a worker) and refusals by rule, read from the pool's plain
  counters (:meth:`app.storage.query_workers.QueryWorkers.status`) when scraped.
- Every tally of the domain (:func:`app.domain.operations.health.tallies`): files ingested by source
  and outcome, say.

Who may read it: the holder of ``ATRIUM_METRICS_TOKEN``, sent as ``Authorization: Bearer …``
(what a Prometheus scrape job sends), and administrators (a session or an API token).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator

from flask import Blueprint, Flask, Response, abort, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from app.domain.operations.health import tallies
from app.domain.sparql.protocol import StoreError
from app.web.serving import Listener, Served

metrics = Blueprint("metrics", __name__)

REGISTRY = "metrics_registry"  # its key in app.extensions: one registry per app
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


def request_metrics(app: Flask) -> Listener:
    """Make ``app``'s registry; the listener that counts each request served into it."""
    registry = CollectorRegistry()
    latency = Histogram(
        "atrium_http_request_duration_seconds",
        "Time to answer a request, until its body was sent, by the endpoint that answered it.",
        ["endpoint"],
        buckets=LATENCY_BUCKETS,
        registry=registry,
    )
    answered = Counter(
        "atrium_http_requests",
        "Requests answered, by status class (2xx, 3xx, 4xx, 5xx).",
        ["status"],
        registry=registry,
    )
    registry.register(ServiceCollector(app))
    app.extensions[REGISTRY] = registry

    def count(served: Served) -> None:
        latency.labels(served.endpoint).observe(served.seconds)
        answered.labels(f"{served.status // 100}xx").inc()

    return count


@metrics.get("/metrics")
def exposition() -> Response:
    """The metrics, for Prometheus (the metrics token, or an administrator)."""
    _authorise()
    data = generate_latest(current_app.extensions[REGISTRY])
    response = Response(data, content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


def _authorise() -> None:
    from app.web.auth import current_user
    from app.web.context import current_atrium

    expected = current_atrium().config.metrics_token
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    offered_token = offered.strip().encode() if scheme.lower() == "bearer" else b""
    if expected and hmac.compare_digest(offered_token, expected.encode()):
        return
    user = current_user()  # another Bearer token is an API token, or answers 401
    if user is None:
        abort(
            401,
            description="send the metrics token (ATRIUM_METRICS_TOKEN) as a Bearer token, or "
            "sign in as an administrator",
        )
    if not user.is_admin:
        abort(403, description="only administrators and the metrics token may read the metrics")


class ServiceCollector(Collector):
    """What the service counts itself, read when Prometheus scrapes."""

    def __init__(self, app: Flask) -> None:
        self.atrium = app.extensions["atrium"]

    def collect(self) -> Iterator[Metric]:
        yield from self._query_workers()
        for tally in tallies():
            family = CounterMetricFamily(f"atrium_{tally.name}", tally.help, labels=tally.labels)
            for values, count in sorted(tally.counts().items()):
                family.add_metric(list(values), count)
            yield family

    def _query_workers(self) -> Iterator[Metric]:
        try:
            status = self.atrium.sparql.workers.status()
        except StoreError:  # no SPARQL endpoint over this store (an in-memory one)
            return
        workers = GaugeMetricFamily(
            "atrium_query_workers", "SPARQL query workers, busy or idle.", labels=["state"]
        )
        workers.add_metric(["busy"], status.busy)
        workers.add_metric(["idle"], status.idle)
        yield workers
        yield GaugeMetricFamily(
            "atrium_query_workers_limit", "The most query workers run at once.", value=status.size
        )
        yield GaugeMetricFamily(
            "atrium_query_queue_length",
            "Admitted SPARQL queries waiting for a free worker.",
            value=status.waiting,
        )
        yield CounterMetricFamily(
            "atrium_query_jobs", "Jobs given to a query worker.", value=status.counts.get("jobs", 0)
        )
        timeouts = CounterMetricFamily(
            "atrium_query_timeouts",
            "Queries stopped at their time limit (ATRIUM_QUERY_TIMEOUT), while running or "
            "while waiting for a worker.",
            labels=["phase"],
        )
        timeouts.add_metric(["running"], status.counts.get("timeouts", 0))
        timeouts.add_metric(["waiting"], status.counts.get("waited_out", 0))
        yield timeouts
        refusals = CounterMetricFamily(
            "atrium_query_refusals",
            "Queries refused on arrival, by rule: caller (one caller's share), anonymous "
            "(anonymous callers' share), full (every worker and queue place taken).",
            labels=["rule"],
        )
        for rule, count in sorted(status.refused.items()):
            refusals.add_metric([rule], count)
        yield refusals
        yield CounterMetricFamily(
            "atrium_query_workers_started",
            "Query worker processes started (one replaces each worker stopped at a time-out).",
            value=status.counts.get("workers_started", 0),
        )
