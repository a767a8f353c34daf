"""The taxonomist's editor: every change checked, recorded and applied in one update.

:class:`Editor` is the one entry point; its operations live by what they edit:

- :mod:`.editor_base`: the version check, the quality gates and applying a change with its
  history record, in one SPARQL update request;
- :mod:`.editor_concepts`: creating, saving, deleting and deprecating concepts;
- :mod:`.editor_schemes`: creating, saving and deleting whole vocabularies;
- :mod:`.editor_merges`: merges and reverts, the changes that may rewrite asset records.
"""

from __future__ import annotations

from app.domain.vocab.editor_base import Conflict, EditError, Impact, NotFound, Refused
from app.domain.vocab.editor_concepts import ConceptEditor
from app.domain.vocab.editor_merges import MergeEditor
from app.domain.vocab.editor_schemes import SchemeEditor

__all__ = ["Conflict", "EditError", "Editor", "Impact", "NotFound", "Refused"]


class Editor(ConceptEditor, SchemeEditor, MergeEditor):
    """Concepts, schemes and merges, sharing one lock, one guard and one history."""
