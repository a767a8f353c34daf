"""The shared SKOS vocabularies: import with quality gates, browsing, autocomplete and the
taxonomist's editor.

Each vocabulary lives in its own named graph ``{base}graphs/vocab/{slug}`` and keeps its own
IRIs (SKOS Reference, https://www.w3.org/TR/skos-reference/). The modules follow the work:

- :mod:`.files`: reading and writing vocabulary files (Turtle, RDF/XML, N-Triples, JSON-LD, CSV);
- :mod:`.cleaning`: skosify, when an import asks for ``--clean``;
- :mod:`.quality`: the quality gates, SHACL shapes in ``shapes/skos-quality.ttl``;
- :mod:`.catalogue`: which vocabularies the store holds, and where a scheme or concept lives;
- :mod:`.importer` and :mod:`.diff`: importing a file, and what a new version changed;
- :mod:`.browse` and :mod:`.autocomplete`: what readers see;
- :mod:`.editor` and :mod:`.history`: changes, each validated, recorded and revertible;
  :mod:`.hierarchy` keeps the hierarchy consistent, :mod:`.merge` says which merges make sense;
- :mod:`.usage`: which assets use a concept, by any concept field the shapes declare.

:class:`Vocabularies` wires them together for the service.
"""

from app.domain.vocab.service import Vocabularies

__all__ = ["Vocabularies"]
