"""Many conversations on a few WebSocket connections: one lane each (a chat backend)."""

import anyio

from responses_client import Client


async def main() -> None:
    async with Client() as client:
        pool = client.connection()  # 16 conversations per connection by default
        answers: dict[int, str] = {}

        async def caller(number: int) -> None:
            async with client.conversation(model="gpt-4.1", connection=pool) as convo:
                result = await convo.send(f"Hello, this is caller {number}.")
                answers[number] = result.text

        async with anyio.create_task_group() as tasks:
            for number in range(40):
                tasks.start_soon(caller, number)
        print(f"{len(answers)} callers answered over {pool.connects} connections")
        print(answers[0])


anyio.run(main)
