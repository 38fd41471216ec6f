"""Save a conversation as JSON and continue it later, e.g. in another process."""

import json

import anyio

from responses_client import Client


async def main() -> None:
    async with Client() as client:
        convo = client.conversation(model="gpt-4.1", instructions="Remember names.")
        await convo.send("My name is Ada.")
        saved = json.dumps(convo.to_json())

    async with Client() as client:
        restored = client.restore(json.loads(saved))
        print(f"restored {len(restored.items)} items")
        print((await restored.send("What is my name?")).text)


anyio.run(main)
