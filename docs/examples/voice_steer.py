"""A voice agent on a lane: the caller speaks again while the assistant is still answering.

The reply streams to the speech synthesiser; when the speech recogniser hears more from
the caller, ``steer()`` adds it to the turn instead of starting a new one: the server
steers the response in flight (or, where a model cannot steer, the SDK restarts it with
the new words), and the stream goes on with the answer that takes them into account.
When the reply has already ended, the caller's words start the next turn instead.
"""

import anyio

from responses_client import Client, InputError
from responses_client.events import OutputTextDeltaEvent


async def main() -> None:
    async with Client() as client:
        pool = client.connection()  # every call of this process on a few sockets
        async with client.conversation(
            model="gpt-4.1", instructions="You take restaurant bookings.", connection=pool
        ) as call:
            speaking = anyio.Event()

            async def speak() -> None:  # the text-to-speech side
                async with call.stream("A table for two tonight, please.") as events:
                    async for event in events:
                        if isinstance(event, OutputTextDeltaEvent):
                            speaking.set()
                print(f"assistant: {events.result.text}")

            heard = "Oh, and make it four people, not two."
            too_late = False
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(speak)
                await speaking.wait()  # the recogniser hears the caller again
                try:
                    outcome = await call.steer(heard)
                    print(f"steer: {outcome}")
                except InputError:  # the reply ended before the caller spoke
                    too_late = True
            if too_late:
                result = await call.send(heard)
                print(f"assistant: {result.text}")
            print(f"{len(call.items)} items in the history")


anyio.run(main)
