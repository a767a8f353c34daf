"""``/vocab/…``: the vocabulary browser and the taxonomist's editor; ``/api/concepts``.

One blueprint, ``vocab`` (:mod:`.blueprint`, with the helpers both halves share), whose routes
live by what they do: :mod:`.browse` for reading, :mod:`.edit` for the taxonomist's changes.
Importing this package registers every route on it.
"""

from app.web.vocab import browse, edit
from app.web.vocab.blueprint import vocab

__all__ = ["browse", "edit", "vocab"]
