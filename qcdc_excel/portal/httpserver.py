"""waitress, refusing a request body its sender may not send before reading it.

waitress reads a whole request body (spooling it to a temporary file) before the application sees
the request, and its ``max_request_body_size`` is one limit for everybody: the secretariat's
512 MiB. Here the limit is the caller's own, decided from the request's headers as soon as they
are read (``limit_for(authorization, cookie)``, the web app's ``body_limit``): a Content-Length
over it is refused at once, unread, and a chunked body is cut off as soon as it passes it. Either
way the request goes on to the application without its body and with a Content-Length over the
limit, so the page or the API refuses it in the sender's language (413), and the connection is
closed after the answer.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import BaseWSGIServer, create_server
from waitress.utilities import RequestEntityTooLarge


class _Limit:
    """waitress's settings with this request's own body limit."""

    def __init__(self, adj, max_request_body_size: int) -> None:
        self._adj, self.max_request_body_size = adj, max_request_body_size

    def __getattr__(self, name: str):
        return getattr(self._adj, name)


def _parser(limit_for: Callable[[str, str], int], smallest: int) -> type[HTTPRequestParser]:
    class LimitedParser(HTTPRequestParser):
        def parse_header(self, header_plus: bytes) -> None:
            super().parse_header(header_plus)
            if self.chunked or self.content_length > smallest:  # only then is the sender asked about
                try:
                    limit = limit_for(self.headers.get("AUTHORIZATION", ""), self.headers.get("COOKIE", ""))
                except Exception:  # noqa: BLE001 - this runs in the server's only I/O thread: never let it fall
                    logging.getLogger("qcdc_excel.portal").exception("could not tell who sends a large body")
                    limit = smallest  # refused (413) rather than read
                # waitress refuses a body of max_request_body_size bytes or more
                self.adj = _Limit(self.adj, min(limit + 1, self.adj.max_request_body_size))

        def received(self, data: bytes) -> int:
            consumed = super().received(data)
            if isinstance(self.error, RequestEntityTooLarge) and self.headers_finished:
                self._without_body()
            return consumed

        def _without_body(self) -> None:
            """Hand the request on without its body, for the application to refuse."""
            self.error = None
            if self.body_rcv is not None:
                self.body_rcv.getbuf().close()
                self.body_rcv = None
            self.headers["CONTENT_LENGTH"] = str(max(self.content_length, self.adj.max_request_body_size))
            self.headers["CONNECTION"] = "close"  # the rest of the body is never read
            self.connection_close = True
            self.expect_continue = False
            self.completed = True

    return LimitedParser


def make_server(app, limit_for: Callable[[str, str], int], smallest: int, **adjustments):
    """``waitress.create_server`` whose connections apply ``limit_for`` (bytes a sender may send)
    to every body longer than ``smallest`` (a limit nobody is below)."""
    sockets: dict = {}
    server = create_server(app, map=sockets, **adjustments)
    channel = type("LimitedChannel", (HTTPChannel,), {"parser_class": _parser(limit_for, smallest)})
    for listener in list(sockets.values()):
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = channel
    return server
