"""Readers of media that are not still images: documents, video and audio (:mod:`.facts`)."""
