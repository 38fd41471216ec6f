"""Stream a turn, then send one, with a tool the model can call.

Run against the real API (OPENAI_API_KEY) or the emulator:
    python -m responses_client serve --port 8000 &
    OPENAI_BASE_URL=http://127.0.0.1:8000/v1 python docs/examples/quickstart.py
"""

import anyio

from responses_client import Client, tool
from responses_client.events import OutputTextDeltaEvent, ToolResultEvent


@tool
async def get_weather(city: str) -> str:
    """Current weather for a city.

    Args:
        city: The city name, e.g. "Paris".
    """
    return f"Sunny and 21 °C in {city}"


async def main() -> None:
    async with Client() as client:
        convo = client.conversation(model="gpt-4.1", instructions="Be brief.", tools=[get_weather])
        async with convo.stream("What is the weather in Paris?") as events:
            async for event in events:
                match event:
                    case OutputTextDeltaEvent():
                        print(event.delta, end="", flush=True)
                    case ToolResultEvent():
                        print(f"[{event.name} -> {event.output}]")
        print()
        result = await convo.send("Thanks! And tomorrow?")
        print(result.text)
        print(f"tokens: {result.usage.total_tokens if result.usage else 'n/a'}")


anyio.run(main)
