"""The demo collection: a fictional company's departments, and generated pictures with
embedded metadata."""
