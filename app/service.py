"""The Atrium service: one object that wires configuration, stores and domain together.

The CLI and the web app both hold one of these and speak to the domain through it.
"""

from __future__ import annotations

import dataclasses
from functools import cached_property

from app.config import Config, record_base_iri
from app.domain.assets.repository import AssetRepository, RecordWatcher, Watchers
from app.domain.assets.rights import RightsAlarm
from app.domain.assets.validation import Validator
from app.domain.collections import Collections
from app.domain.concepts import SHAPES_DIR, ConceptIndex, department_names, install_shipped
from app.domain.iris import Iris
from app.domain.media.web_rendition import WebRenditions
from app.domain.operations.rebase import base_iri_refusal
from app.domain.people.audit import AuditTrail
from app.domain.people.shares import ShareLinks
from app.domain.people.users import UserStore
from app.domain.results.campaigns import Campaigns
from app.domain.results.index import ResultsIndex
from app.domain.results.migration import CampaignMigration, migrate_campaigns
from app.domain.results.observations import Observations, ResultHomes
from app.domain.results.performance import Performance
from app.domain.search import SearchEngine, SearchIndex, SearchLimits
from app.domain.search.change_feed import ChangeFeed
from app.domain.shapes.catalogue import ShapeCatalogue
from app.domain.shapes.profiles import Profiles
from app.domain.shapes.registry import FieldRegistry
from app.domain.sparql.saved_queries import SavedQueries
from app.domain.sparql.service import SparqlService
from app.domain.vocab import Vocabularies
from app.storage.graphstore import GraphStore
from app.storage.media import MediaStore
from app.storage.open import open_store
from app.storage.read_cache import ReadCache


class Atrium:
    def __init__(self, config: Config, store: GraphStore | None = None) -> None:
        self.config = config
        self.iris = Iris(config.base_iri)
        self.store = store if store is not None else open_store(config)
        if refusal := base_iri_refusal(config, self.store):  # another base: an empty-looking site
            if store is None:
                self.store.close()
            raise refusal
        self.media = MediaStore(config.media_dir)
        self.migration = CampaignMigration()  # what the last init() migrated (lines())

    @cached_property
    def shapes(self) -> ShapeCatalogue:
        """The core shape and the department profiles, as stored in the graph."""
        return ShapeCatalogue(self.store, self.iris)

    @property
    def fields(self) -> FieldRegistry:
        """Every field of every shape, as the shapes say now."""
        return self.shapes.registry

    @property
    def validator(self) -> Validator:
        return self.shapes.validator

    @cached_property
    def assets(self) -> AssetRepository:
        watchers = Watchers(
            *self.search_watchers,
            ResultHomes(self.observations),
            self.collections.homes,
            self.web_renditions,
            self.rights_alarm,
        )
        return AssetRepository(self.store, self.iris, self.shapes, watcher=watchers)

    @cached_property
    def rights_alarm(self) -> RightsAlarm:
        """Re-arms the rights check after each asset write (app/domain/assets/rights.py)."""
        return RightsAlarm()

    @cached_property
    def web_renditions(self) -> WebRenditions:
        """Web renditions of videos browsers cannot play, made in the background once started."""
        return WebRenditions(self)

    @cached_property
    def collections(self) -> Collections:
        """Collections of assets and collections, and where their memberships are stored."""
        return Collections(self.store, self.iris, self.audit)

    @cached_property
    def observations(self) -> Observations:
        """Results observed per asset, segment, channel, campaign and period."""
        return Observations(self.store, self.iris, self.results_index)

    @cached_property
    def results_index(self) -> ResultsIndex:
        """Every observation in memory, kept in step with every results write."""
        return ResultsIndex(self.store, self.iris, self.config.data_dir / "results-index.npz")

    @cached_property
    def performance(self) -> Performance:
        """Which assets work best for a segment, from the results index."""
        return Performance(self.store, self.iris, self.results_index)

    @cached_property
    def campaigns(self) -> Campaigns:
        """The campaigns vocabulary: find a campaign by name, or create one."""
        return Campaigns(self.store, self.iris, lambda: self.vocab.editor)

    @cached_property
    def profiles(self) -> Profiles:
        """Department profiles: check, preview and import, re-validating what they touch."""
        return Profiles(self.store, self.iris, self.shapes, self.assets, self.audit)

    @cached_property
    def search_index(self) -> SearchIndex:
        """The search index in the data folder, kept in step with every asset write, this
        process's and (over a remote store) the other processes' (the change feed)."""
        path = self.config.data_dir / "search.sqlite"
        return SearchIndex(path, self.store, self.iris, self.shapes, self.change_feed)

    @cached_property
    def change_feed(self) -> ChangeFeed | None:
        """Over a remote store, which other Atrium processes may write: the feed they follow."""
        return ChangeFeed(self.store, self.iris) if self.store.shared else None

    @property
    def search_watchers(self) -> tuple[RecordWatcher, ...]:
        """What every write of an asset record tells: the feed first (it starts before the
        write and ends after everything else), then the search index."""
        feed = (self.change_feed,) if self.change_feed is not None else ()
        return (*feed, self.search_index)

    @cached_property
    def search(self) -> SearchEngine:
        return SearchEngine(
            self.store,
            self.iris,
            self.search_index,
            SearchLimits(
                self.config.facet_seconds,
                self.config.facets_seconds,
                self.config.suggestion_seconds,
                remembered=self.config.remembered_searches,
            ),
            performance=self.performance,
            collections=self.collections,
        )

    @cached_property
    def users(self) -> UserStore:
        return UserStore(
            self.config.data_dir / "auth.sqlite",
            self.store,
            self.iris,
            self.config.session_seconds,
        )

    @cached_property
    def shares(self) -> ShareLinks:
        """Share links for outsiders, kept beside the users in auth.sqlite (so backed up)."""
        return ShareLinks(
            self.users.path, self.users, self.store, self.iris, self.assets, self.collections
        )

    @cached_property
    def audit(self) -> AuditTrail:
        return AuditTrail(self.store, self.iris)

    @cached_property
    def sparql(self) -> SparqlService:
        """Readers' SPARQL queries, in worker processes (started on first use)."""
        return SparqlService(self.store, self.config)

    @cached_property
    def saved_queries(self) -> SavedQueries:
        """Saved queries; their texts are parsed by the SPARQL service's workers."""
        return SavedQueries(self.store, self.iris, self.sparql)

    @cached_property
    def vocab(self) -> Vocabularies:
        """The vocabularies: import, quality gates, browsing and the taxonomist's editor."""
        return Vocabularies(
            self.store,
            self.iris,
            SHAPES_DIR,
            watcher=Watchers(*self.search_watchers),
            fields=lambda: self.fields,
            asset_locks=self.assets,
        )

    def departments(self) -> list[str]:
        """The departments' short names, in order (from the departments scheme)."""
        return department_names(self.store, self.fields)

    def concepts(self) -> ConceptIndex:
        """The index of every concept (labels, schemes, notations), read again once a write
        may have changed a vocabulary graph: on a store with GEMET, reading it takes half a
        second, and a new asset is no reason to."""
        fields = self.fields
        index = self._concept_indexes.get(
            "concepts", lambda: ConceptIndex.load(self.store, self.iris, fields)
        )
        # A profile (a shapes graph) may claim a scheme since: the fields are today's.
        return index if index.fields is fields else dataclasses.replace(index, fields=fields)

    @cached_property
    def _concept_indexes(self) -> ReadCache[ConceptIndex]:
        return ReadCache(self.store, keep=1, reading=self.iris.vocab_graph("").value)

    def is_initialised(self) -> bool:
        return self.iris.ontology_graph in self.store.graphs()

    def init(self) -> list[str]:
        """Install (or refresh) the ontology, the shipped vocabularies and the core shape, and
        the shipped profiles a department lacks, then migrate what older stores hold
        (free-text campaigns become campaign concepts); idempotent."""
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        record_base_iri(self.config.data_dir, self.config.base_iri)
        slugs = install_shipped(self.store, self.iris)
        self.shapes.install_shipped()
        self.migration = migrate_campaigns(self)
        return slugs

    def close(self) -> None:
        if "web_renditions" in self.__dict__:
            self.web_renditions.stop()
        if "sparql" in self.__dict__:
            self.sparql.close()
        if "search_index" in self.__dict__:
            self.search_index.close()
        if "results_index" in self.__dict__:
            self.results_index.close()
        self.store.close()

    def __enter__(self) -> Atrium:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
