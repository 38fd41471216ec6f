"""Interrupt a turn from another task, as a voice agent does when the user barges in."""

import anyio

from responses_client import Client
from responses_client.events import OutputTextDeltaEvent


async def main() -> None:
    async with Client() as client:
        convo = client.conversation(model="gpt-4.1")
        heard_something = anyio.Event()

        async def listen() -> None:
            async with convo.stream("Tell me a long story about the sea.") as events:
                async for event in events:
                    if isinstance(event, OutputTextDeltaEvent):
                        heard_something.set()
            print(f"turn ended: {events.result.status}")

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(listen)
            await heard_something.wait()
            await convo.interrupt()  # the user started speaking

        # The partial answer is not in the history; the next turn starts clean.
        result = await convo.send("Sorry, just the title please.")
        print(result.text)
        print(f"{len(convo.items)} items in the history")


anyio.run(main)
