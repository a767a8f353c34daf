"""Assets: the repository of asset records, their views, editing, validation, versions,
rights, downloads and the actions on many at once."""
