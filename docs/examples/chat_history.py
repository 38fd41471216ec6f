"""Start from a chat-style history (Chat Completions messages) and continue it."""

from typing import Any

import anyio

from responses_client import Client

HISTORY: list[dict[str, Any]] = [
    {"role": "system", "content": "You are a terse assistant."},
    {"role": "user", "content": "What is 2 + 2?"},
    {
        "role": "assistant",
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "add", "arguments": '{"a": 2, "b": 2}'},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": "4"},
    {"role": "assistant", "content": "4."},
]


async def main() -> None:
    async with Client() as client:
        convo = client.conversation(model="gpt-4.1", items=HISTORY)
        for item in convo.items:
            print(type(item).__name__, item.to_wire())
        result = await convo.send("And times 3?")
        print(result.text)


anyio.run(main)
