"""The SHACL shapes as Atrium's single source of truth for fields.

- :mod:`.fields`: what one shapes graph says about each field (name, labels, kind, cardinality);
- :mod:`.registry`: the fields of the core shape and every department profile together;
- :mod:`.catalogue`: the shapes stored in the graph, one named graph each, re-read on change;
- :mod:`.profiles`: checking, previewing and importing a department's profile.
"""
