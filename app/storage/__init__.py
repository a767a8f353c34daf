"""The storage layer: a graph store and a media store. Nothing here knows about the web."""
