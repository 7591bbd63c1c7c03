"""The shipped after-queue setup with `content_filter` naming several nodes (docs/multinode.md):
Postfix hands each message to the first node that takes the connection, so a dead node's
share moves to the next one in the list."""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.support.postfix import (
    CapturingSink,
    PostfixInstance,
    PostfixPorts,
    free_port,
    submit,
    wait_until,
)

SMTP_OK = 250


class FilterListPostfix(PostfixInstance):
    """The shipped snippets, with the filter destination a list: a dead node, then a live one."""

    def __init__(self, root: Path, ports: PostfixPorts, dead: int) -> None:
        super().__init__(root, ports)
        self.dead = dead

    def main_cf(self) -> str:
        """See PostfixInstance; only the content_filter line changes."""
        one = f"content_filter = phigate:[127.0.0.1]:{self.ports.gateway}"
        text = super().main_cf()
        assert one in text
        listed = (
            f"content_filter = phigate:[127.0.0.1]:{self.dead}, [127.0.0.1]:{self.ports.gateway}"
        )
        return text.replace(one, listed)


def test_content_filter_list_skips_a_dead_node() -> None:
    """With the first listed node down, the message reaches the second, once."""
    with CapturingSink() as live_node, CapturingSink() as sink:
        ports = PostfixPorts(free_port(), free_port(), free_port(), live_node.port, sink.port)
        root = Path(tempfile.mkdtemp(prefix="phigate-filter-list-"))
        with FilterListPostfix(root, ports, dead=free_port()) as postfix:
            result = submit(
                ports.after_queue,
                "frontdesk@practice.example",
                ["someone@partner.example"],
                b"Subject: t\r\nMessage-ID: <list-1@practice.example>\r\n\r\nhello\r\n",
            )
            assert result.code == SMTP_OK
            wait_until(
                lambda: len(live_node.messages()) >= 1,
                timeout=20,
                what="the message at the second listed node",
                context=postfix.describe,
            )
            assert "Connection refused" in postfix.log_text()
        ids = [m.message_id for m in live_node.messages()]
        assert ids == ["<list-1@practice.example>"]
