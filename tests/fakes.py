"""Local stand-ins for the outside servers Lapor talks to: Telegram's Bot API over real HTTP,
and a real SMTP server (aiosmtpd). Both record what they were sent."""

from __future__ import annotations

import json
import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from aiosmtpd.controller import Controller


class FakeTelegram:
    """A Bot API server on 127.0.0.1: `url` is what LAPOR_TELEGRAM_API_URL takes."""

    def __init__(self, token: str = "123456:TEST-TOKEN") -> None:
        self.token = token
        self.calls: list[tuple[str, dict]] = []
        self.failures_left = 0  # answer this many sendMessage calls with an error
        self._lock = threading.Lock()
        self._message_id = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/bot"

    def start(self) -> FakeTelegram:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def sent(self, method: str = "sendMessage") -> list[dict]:
        with self._lock:
            return [params for name, params in self.calls if name == method]

    def answer(self, method: str, params: dict) -> tuple[int, dict]:
        with self._lock:
            self.calls.append((method, params))
            if method == "sendMessage" and self.failures_left > 0:
                self.failures_left -= 1
                return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}
            self._message_id += 1
            message_id = self._message_id
        if method == "getMe":
            return 200, {
                "ok": True,
                "result": {
                    "id": 123456,
                    "is_bot": True,
                    "first_name": "Lapor",
                    "username": "lapor_test_bot",
                },
            }
        if method == "sendMessage":
            chat = {"id": int(params.get("chat_id", 0)), "type": "private"}
            result = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": chat,
                "text": params.get("text", ""),
            }
            return 200, {"ok": True, "result": result}
        return 200, {"ok": True, "result": True}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                prefix = f"/bot{fake.token}/"
                if not self.path.startswith(prefix):
                    self._reply(
                        401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
                    )
                    return
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                kind = self.headers.get("Content-Type", "")
                if "json" in kind:
                    params = json.loads(raw or b"{}")
                else:
                    params = dict(parse_qsl(raw.decode()))
                self._reply(*fake.answer(self.path[len(prefix) :], params))

            do_GET = do_POST  # noqa: N815

            def _reply(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args) -> None:
                pass

        return Handler


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = message_from_bytes(envelope.content, policy=policy.default)
        message["X-Rcpt-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"


class FakeSmtp:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 keeping every message it accepts."""

    def __init__(self) -> None:
        self._mailbox = _Mailbox()
        # aiosmtpd checks readiness by connecting to the port it was given, so not port 0.
        self.port = _free_port()
        self._controller = Controller(self._mailbox, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> list[EmailMessage]:
        return self._mailbox.messages

    def start(self) -> FakeSmtp:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
