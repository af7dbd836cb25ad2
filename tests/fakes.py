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
from urllib.parse import parse_qsl, unquote

from aiosmtpd.controller import Controller


class FakeTelegram:
    """A Bot API server on 127.0.0.1: `url` is what LAPOR_TELEGRAM_API_URL takes.

    It records every method call, serves queued updates to getUpdates (long polling), files
    to getFile and the file URL, and answers the other methods as Telegram documents them.
    """

    BOT_ID = 123456

    def __init__(self, token: str = "123456:TEST-TOKEN") -> None:
        self.token = token
        self.calls: list[tuple[str, dict]] = []
        self.failures_left = 0  # answer this many sendMessage calls with an error
        self.files: dict[str, tuple[str, bytes]] = {}
        self._updates: list[dict] = []
        self._next_update = 1
        self._condition = threading.Condition()
        self._message_id = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/bot"

    def start(self) -> FakeTelegram:
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._condition:
            self._condition.notify_all()
        self._server.shutdown()
        self._server.server_close()

    # --- what a test does ---

    def push(self, update: dict, copies: int = 1) -> int:
        """Queue an update for getUpdates (`copies` times with the same update_id, as Telegram
        re-delivers one that a crashed bot never acknowledged); its update_id."""
        with self._condition:
            update = {"update_id": self._next_update, **update}
            self._next_update += 1
            self._updates.extend([update] * copies)
            self._condition.notify_all()
            return update["update_id"]

    def add_file(self, file_id: str, content: bytes) -> None:
        self.files[file_id] = (f"documents/{file_id}.bin", content)

    def sent(self, method: str = "sendMessage") -> list[dict]:
        with self._condition:
            return [params for name, params in self.calls if name == method]

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [
            m.get("text", "")
            for m in self.sent()
            if chat_id is None or str(m.get("chat_id")) == str(chat_id)
        ]

    def wait_for(self, check, timeout: float = 15.0):
        """Wait until check() returns something truthy; that value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out; the bot sent: {self.texts()[-5:]}")

    def wait_for_text(self, fragment: str, after: int = 0, timeout: float = 15.0) -> str:
        """The first message at index >= after that contains the fragment."""
        return self.wait_for(
            lambda: next((t for t in self.texts()[after:] if fragment in t), None), timeout
        )

    # --- the Bot API ---

    def answer(self, method: str, params: dict) -> tuple[int, dict]:
        if method == "getUpdates":
            return 200, {"ok": True, "result": self._get_updates(params)}
        with self._condition:
            self.calls.append((method, params))
            if method == "sendMessage" and self.failures_left > 0:
                self.failures_left -= 1
                return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}
            self._message_id += 1
            message_id = self._message_id
        if method == "getMe":
            return 200, {"ok": True, "result": self._bot_user()}
        if method in ("sendMessage", "editMessageText", "editMessageReplyMarkup"):
            chat = {"id": int(params.get("chat_id") or 0), "type": "private"}
            result = {
                "message_id": int(params.get("message_id") or message_id),
                "date": int(time.time()),
                "chat": chat,
                "from": self._bot_user(),
                "text": params.get("text", ""),
            }
            return 200, {"ok": True, "result": result}
        if method == "getFile":
            known = self.files.get(params.get("file_id", ""))
            if known is None:
                return 400, {"ok": False, "error_code": 400, "description": "file not found"}
            path, content = known
            result = {
                "file_id": params["file_id"],
                "file_unique_id": params["file_id"][::-1],
                "file_size": len(content),
                "file_path": path,
            }
            return 200, {"ok": True, "result": result}
        return 200, {"ok": True, "result": True}

    def file_content(self, path: str) -> bytes | None:
        return next((c for p, c in self.files.values() if p == path), None)

    def _bot_user(self) -> dict:
        return {
            "id": self.BOT_ID,
            "is_bot": True,
            "first_name": "Lapor",
            "username": "lapor_test_bot",
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _get_updates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), 1.0)
        deadline = time.monotonic() + wait
        with self._condition:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and time.monotonic() < deadline:
                self._condition.wait(deadline - time.monotonic())
            return list(self._updates)

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                path = unquote(self.path)  # clients may encode the token's colon
                file_prefix = f"/file/bot{fake.token}/"
                if path.startswith(file_prefix):
                    content = fake.file_content(path[len(file_prefix) :])
                    self._send(
                        200 if content is not None else 404,
                        content or b"",
                        "application/octet-stream",
                    )
                    return
                prefix = f"/bot{fake.token}/"
                if not path.startswith(prefix):
                    self._reply(
                        401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
                    )
                    return
                kind = self.headers.get("Content-Type", "")
                if "json" in kind:
                    params = json.loads(raw or b"{}")
                else:
                    params = dict(parse_qsl(raw.decode()))
                self._reply(*fake.answer(path[len(prefix) :], params))

            do_GET = do_POST  # noqa: N815

            def _reply(self, status: int, body: dict) -> None:
                self._send(status, json.dumps(body).encode(), "application/json")

            def _send(self, status: int, data: bytes, kind: str) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a long poll cut short at shutdown)

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
