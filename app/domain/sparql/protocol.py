"""What the SPARQL service hands the web and the CLI: its answers' stream, the errors a query
can end in, and the media types results come in (SPARQL 1.1 Protocol, Query Results formats).

They are made by the storage layer (the query workers and the format table); the layers above
take them from here, so that none of them reaches into storage.
"""

from app.storage.formats import (
    GRAPH_TYPES,
    QUERY_FORMAT_NAMES,
    RESULT_FORMATS,
    RESULTS_AND_GRAPHS,
    SOLUTION_TYPES,
    query_formats,
)
from app.storage.graphstore import QuerySyntaxError, StoreError
from app.storage.query_jobs import (
    FIRST_BATCH,
    NotAcceptable,
    QueryTimeout,
    RowLimitReached,
    TooManyQueries,
    WorkersBusy,
)
from app.storage.query_workers import QueryStream

__all__ = [
    "FIRST_BATCH",
    "GRAPH_TYPES",
    "QUERY_FORMAT_NAMES",
    "RESULTS_AND_GRAPHS",
    "RESULT_FORMATS",
    "SOLUTION_TYPES",
    "NotAcceptable",
    "QueryStream",
    "QuerySyntaxError",
    "QueryTimeout",
    "RowLimitReached",
    "StoreError",
    "TooManyQueries",
    "WorkersBusy",
    "query_formats",
]
