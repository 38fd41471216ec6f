"""The API key never appears in a log record, a repr, a str or an exception, on any path.

Every logger is at DEBUG (root, responses_client, httpx, httpcore, websockets); each path
is run and every record's message, arguments and formatted text are searched, as are the
reprs and strs of everything the caller can hold.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from responses_client import Client, ResponsesError, tool
from responses_client.emulator import (
    CallTool,
    Drop,
    Emulator,
    HttpStatus,
    Malformed,
    Reply,
    ScriptedModel,
)

from ._support import transport_for

pytestmark = pytest.mark.anyio

SECRET = "sk-proj-SECRET0123456789abcdefLEAKCHECK"
WRONG = "sk-proj-WRONGKEY0123456789abcdefLEAK"
LOGGERS = ("", "responses_client", "httpx", "httpcore", "websockets")


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logs() -> Iterator[Capture]:
    capture = Capture()
    saved = {name: logging.getLogger(name).level for name in LOGGERS}
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    logging.getLogger().addHandler(capture)
    try:
        yield capture
    finally:
        logging.getLogger().removeHandler(capture)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


@pytest.fixture(scope="module")
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator(ScriptedModel([]), api_keys=[SECRET]) as emu:
        yield emu


def leaks(text: str) -> bool:
    return SECRET in text or WRONG in text or SECRET[8:28] in text


def assert_clean_logs(capture: Capture) -> None:
    assert capture.records, "the path logged nothing: the check would prove nothing"
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    for record in capture.records:
        assert not leaks(record.getMessage()), record.getMessage()
        assert not leaks(repr(record.args)), record.args
        assert not leaks(formatter.format(record)), record.name


def assert_clean_objects(*objects: Any) -> None:
    for value in objects:
        assert not leaks(repr(value)) and not leaks(str(value)), type(value).__name__
        if isinstance(value, BaseException):
            chain: BaseException | None = value
            while chain is not None:
                assert not leaks(repr(chain)) and not leaks(str(chain))
                assert not leaks(repr(chain.args))
                assert not leaks(repr(vars(chain)))
                chain = chain.__cause__ or chain.__context__


@tool
def lookup(q: str) -> str:
    """Look something up."""
    if q == "boom":
        raise RuntimeError("tool failed")
    return f"found {q}"


SUCCESS = [
    Reply(tool_calls=[CallTool("lookup", {"q": "x"}), CallTool("lookup", {"q": "boom"})]),
    "Done.",
]
PATHS: dict[str, list[Reply | HttpStatus | str]] = {
    "success-with-tools": SUCCESS,
    "429-then-success": [HttpStatus(429, headers={"retry-after": "0"}), "Fine."],
    "500-exhausted": [HttpStatus(500)] * 3,
    "drop-then-retry": [Reply(text="a b c", faults=[Drop(after=4)]), "Fine."],
    "malformed": [Reply(text="a b", faults=[Malformed(at=3)])],
    "failed-response": [Reply(text="x", end="failed")],
}


@pytest.mark.parametrize("transport", ["sse", "websocket", "chat", "lane"])
@pytest.mark.parametrize("path", list(PATHS))
async def test_no_secret_on_any_path(
    emulator: Emulator, logs: Capture, path: str, transport: str
) -> None:
    emulator.model = ScriptedModel(PATHS[path])
    held: list[Any] = []
    async with Client(base_url=emulator.base_url, api_key=SECRET) as client:
        held += [client, client._config]
        chosen = transport_for(client, transport)
        convo = client.conversation(tools=[lookup], transport=chosen)
        held += [convo, convo._transport, convo._settings, convo.tools]
        try:
            async with convo.stream("Hi") as events:
                async for event in events:
                    held.append(event)
            held.append(events.result)
        except ResponsesError as error:
            held.append(error)
        held.append(convo.to_json())
        await convo.aclose()
    assert_clean_logs(logs)
    assert_clean_objects(*held)


@pytest.mark.parametrize("transport", ["sse", "websocket", "chat", "lane"])
async def test_401_names_no_key(emulator: Emulator, logs: Capture, transport: str) -> None:
    """Over HTTP (SSE, chat) a 401; over WebSocket a refused handshake."""
    emulator.model = ScriptedModel(["never"])
    async with Client(base_url=emulator.base_url, api_key=WRONG) as client:
        chosen = transport_for(client, transport)
        convo = client.conversation(transport=chosen)
        with pytest.raises(ResponsesError) as caught:
            await convo.send("Hi")
        assert caught.value.__class__.__name__ == "AuthenticationError"
        assert_clean_objects(caught.value, client, convo)
    assert_clean_logs(logs)


def test_the_checks_do_find_a_leak(logs: Capture) -> None:
    logging.getLogger("responses_client").debug("header %s", f"Bearer {SECRET}")
    with pytest.raises(AssertionError):
        assert_clean_logs(logs)
    with pytest.raises(AssertionError):
        assert_clean_objects(RuntimeError(f"key={SECRET}"))
