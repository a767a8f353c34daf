"""XMP packets (ISO 16684-1) as nested dicts, and the values of their properties.

An image's packet is read by Pillow (``Image.getxmp``); a packet found elsewhere (a PDF's
metadata stream) is parsed here into the same shape with defusedxml, which refuses entity
expansion and external entities. Keys are ``{namespace}name`` (or bare names where Pillow before
13 strips namespaces); an element with attributes or children is a dict, a bare one its text.
:mod:`app.domain.media.embedded_metadata` turns the values into facts.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from PIL import Image

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XML_NS = "http://www.w3.org/XML/1998/namespace"
PACKET_START, PACKET_END = b"<x:xmpmeta", b"</x:xmpmeta>"

Properties = dict[str, Any]


def image_properties(image: Image.Image) -> Properties:
    """The properties of every rdf:Description of an image's packet, merged (first one wins)."""
    try:
        packet = image.getxmp(strip_namespaces=False)
    except TypeError:  # Pillow before 13 always strips namespaces; `get` copes with both
        packet = image.getxmp()
    return _merged(packet)


def packet_properties(packet: bytes) -> Properties:
    """The merged properties of a serialised packet (``<x:xmpmeta>…</x:xmpmeta>``).

    Raises ValueError (or defusedxml's errors, which are ValueErrors too) when it is not XML.
    """
    root = ElementTree.fromstring(packet)
    return _merged({root.tag: _value(root)})


def find_packet(data: bytes) -> bytes | None:
    """The first ``<x:xmpmeta>`` element in ``data``, as written uncompressed (the way XMP's
    part 3 asks files to carry it, so that tools that do not know the format still find it)."""
    start = data.find(PACKET_START)
    end = data.find(PACKET_END, start)
    if start < 0 or end < 0:
        return None
    return data[start : end + len(PACKET_END)]


def _value(element: Element) -> Any:
    """An element as Pillow's ``getxmp`` gives it (with its namespaces kept)."""
    value: dict[str, Any] = dict(element.attrib)
    children = list(element)
    for child in children:
        found = _value(child)
        if child.tag in value:
            if not isinstance(value[child.tag], list):
                value[child.tag] = [value[child.tag]]
            value[child.tag].append(found)
        else:
            value[child.tag] = found
    if not children and not value:
        return element.text
    if not children and element.text:
        value["text"] = element.text
    return value


def _merged(packet: Any) -> Properties:
    merged: Properties = {}
    for description in _descriptions(packet):
        for key, value in description.items():
            merged.setdefault(key, value)
    return merged


def _descriptions(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, list):
        return [found for item in node for found in _descriptions(item)]
    if not isinstance(node, dict):
        return []
    description = get(node, RDF_NS, "Description")
    if description is not None:
        return [item for item in as_list(description) if isinstance(item, dict)]
    return [found for value in node.values() for found in _descriptions(value)]


def get(node: dict[str, Any], namespace: str, name: str) -> Any:
    return node.get(f"{{{namespace}}}{name}", node.get(name))


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def values(value: Any) -> list[Any]:
    """The items of a simple value, an rdf:Bag / rdf:Seq, or an rdf:Alt (x-default first)."""
    if isinstance(value, list):  # a property repeated in several places
        return [item for part in value for item in values(part)]
    if not isinstance(value, dict):
        return [value]
    entries = _container_entries(value)
    if entries is not None:
        return _language_first([entry for entry in entries if entry is not None])
    return [value["text"]] if "text" in value else []


def _container_entries(value: dict[str, Any]) -> list[Any] | None:
    for container in ("Bag", "Seq", "Alt"):
        for key in (f"{{{RDF_NS}}}{container}", container):
            if key in value:
                items = value[key]
                return as_list(get(items, RDF_NS, "li")) if isinstance(items, dict) else []
    return None


def _language_first(entries: list[Any]) -> list[Any]:
    """Plain items as they are; language alternatives as text, the x-default one first."""
    ranked = sorted(entries, key=lambda entry: _language(entry) != "x-default")
    return [entry.get("text") if isinstance(entry, dict) else entry for entry in ranked]


def _language(entry: Any) -> str | None:
    return get(entry, XML_NS, "lang") if isinstance(entry, dict) else None
