"""SPARQL for readers and administrators: the query service, updates, examples, saved queries."""
