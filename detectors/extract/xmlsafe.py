"""XML parts of documents parsed without expanding entities, loading DTDs or touching a network."""

from __future__ import annotations

from typing import Any

from lxml import etree

from .model import UnscannableContent


def parse_xml(data: bytes, what: str) -> Any:
    """The root element of `data`; a DTD (entity bombs) or broken XML raises UnscannableContent.

    `what` names the part in the error detail (a part name, never content).
    """
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise UnscannableContent("corrupt", f"{what}: XML unreadable") from exc
    if root is None:
        raise UnscannableContent("corrupt", f"{what}: empty XML")
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        raise UnscannableContent("unsafe-xml", f"{what}: XML with a DTD is refused")
    return root


def localname(element: Any) -> str:
    """The element's name without its namespace ('' for comments and entities)."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def attribute(element: Any, name: str) -> str:
    """An attribute's value by local name, whatever its namespace ('' when absent)."""
    for key, value in element.attrib.items():
        if key.rsplit("}", 1)[-1] == name:
            return str(value)
    return ""
