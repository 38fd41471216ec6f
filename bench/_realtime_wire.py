"""A Realtime (GA) server for bench/realtime.py, in its own process so that its CPU is not
the clients'.

    python bench/_realtime_wire.py SECONDS      # prints "PORT" once listening

Each connection gets ``session.created``; a ``session.update`` gets ``session.updated``;
a ``response.create`` gets one spoken answer of SECONDS seconds: 24 kHz PCM16 in 20 ms
``response.output_audio.delta`` events, a transcript delta after every fifth, framed by
the GA lifecycle events. On a path beginning ``/bulk`` the frames go out as fast as the
socket takes them; on ``/paced`` each audio delta waits for its 20 ms slot (the pace of
a real answer), so every frame costs the client a wake-up. The frames are built once.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import sys
from array import array

from websockets.asyncio.server import ServerConnection, serve

FRAME_MS = 20


def _answer(seconds: float) -> list[tuple[str, bool]]:
    """Every frame of one answer, each with whether it is an audio delta (paced)."""
    where = {"response_id": "resp_b", "item_id": "item_b", "output_index": 0, "content_index": 0}
    count = 480
    tone = array("h", (int(8000 * math.sin(2 * math.pi * 400 * i / 24000)) for i in range(count)))
    delta = base64.b64encode(tone.tobytes()).decode()
    item = {
        "id": "item_b",
        "type": "message",
        "role": "assistant",
        "status": "in_progress",
        "object": "realtime.item",
        "content": [],
    }
    response = {
        "id": "resp_b",
        "object": "realtime.response",
        "status": "in_progress",
        "output": [],
        "conversation_id": "conv_b",
        "output_modalities": ["audio"],
        "usage": None,
        "status_details": None,
        "metadata": None,
    }

    def frame(event: dict[str, object], n: int) -> str:
        return json.dumps({"event_id": f"event_{n}", **event}, separators=(",", ":"))

    frames: list[tuple[str, bool]] = []
    n = 0

    def add(event: dict[str, object], paced: bool = False) -> None:
        nonlocal n
        n += 1
        frames.append((frame(event, n), paced))

    add({"type": "response.created", "response": response})
    add(
        {
            "type": "response.output_item.added",
            "response_id": "resp_b",
            "output_index": 0,
            "item": item,
        }
    )
    add({"type": "conversation.item.added", "previous_item_id": None, "item": item})
    add(
        {
            "type": "response.content_part.added",
            **where,
            "part": {"type": "audio", "transcript": ""},
        }
    )
    for index in range(int(seconds * 1000 / FRAME_MS)):
        add({"type": "response.output_audio.delta", **where, "delta": delta}, paced=True)
        if index % 5 == 4:
            add({"type": "response.output_audio_transcript.delta", **where, "delta": " word"})
    done_item = {
        **item,
        "status": "completed",
        "content": [{"type": "output_audio", "transcript": "..."}],
    }
    add({"type": "response.output_audio.done", **where})
    add({"type": "response.output_audio_transcript.done", **where, "transcript": "..."})
    add(
        {
            "type": "response.content_part.done",
            **where,
            "part": {"type": "audio", "transcript": "..."},
        }
    )
    add(
        {
            "type": "response.output_item.done",
            "response_id": "resp_b",
            "output_index": 0,
            "item": done_item,
        }
    )
    add({"type": "conversation.item.done", "previous_item_id": None, "item": done_item})
    usage = {
        "total_tokens": 10,
        "input_tokens": 5,
        "output_tokens": 5,
        "input_token_details": {"text_tokens": 5, "audio_tokens": 0, "cached_tokens": 0},
        "output_token_details": {"text_tokens": 1, "audio_tokens": 4},
    }
    add(
        {
            "type": "response.done",
            "response": {**response, "status": "completed", "output": [done_item], "usage": usage},
        }
    )
    return frames


async def main(seconds: float) -> None:
    answer = _answer(seconds)
    session = {"type": "realtime", "model": "gpt-realtime", "output_modalities": ["audio"]}
    created = json.dumps({"type": "session.created", "event_id": "event_0", "session": session})
    updated = json.dumps({"type": "session.updated", "event_id": "event_u", "session": session})

    async def handle(ws: ServerConnection) -> None:
        paced = ws.request is not None and ws.request.path.startswith("/paced")
        await ws.send(created)
        async for message in ws:
            kind = json.loads(message)["type"]
            if kind == "session.update":
                await ws.send(updated)
            elif kind == "response.create":
                loop = asyncio.get_running_loop()
                start = loop.time()
                slot = 0
                for text, audio in answer:
                    if paced and audio:
                        slot += 1
                        await asyncio.sleep(max(0.0, start + slot * FRAME_MS / 1000 - loop.time()))
                    await ws.send(text)

    async with serve(handle, "127.0.0.1", 0, compression=None, max_size=None) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(port, flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1])))
