"""Push-to-talk: record while a key is held, send the turn, save the spoken answer.

Manual turns (``turn_detection=None``): the app decides when the user's turn ends,
``commit()`` makes the audio a user item and ``respond()`` asks for the answer.
"""

import asyncio
import math
from array import array
from pathlib import Path
from tempfile import gettempdir

from responses_client import Client
from responses_client.realtime import audio, events


def microphone(ms: int) -> bytes:
    """Stands in for a real microphone: a 16 kHz tone, as many cards record."""
    count = 16 * ms
    tone = (int(9000 * math.sin(2 * math.pi * 220 * i / 16000)) for i in range(count))
    return array("h", tone).tobytes()


async def main() -> None:
    async with Client() as client:
        session = client.realtime(
            instructions="Answer in one sentence.",
            turn_detection=None,
            transcription={"model": "whisper-1"},
        )
        async with session:
            # While the key is held: convert and send each chunk as it is recorded.
            to_api = audio.Resampler(16000, audio.API_RATE)
            for _ in range(10):
                await session.append_audio(to_api.process(microphone(100)))
            await session.append_audio(to_api.flush())
            # The key is released: the turn is over.
            await session.commit()
            await session.respond()

            answer = bytearray()
            async for event in session:
                match event:
                    case events.InputTranscriptionCompletedEvent():
                        print(f"you said: {event.transcript}")
                    case events.OutputAudioDeltaEvent():
                        answer += event.pcm
                        session.played(audio.duration_ms(len(answer)))
                    case events.OutputAudioTranscriptDoneEvent():
                        print(f"assistant: {event.transcript}")
                    case events.ResponseFiguresEvent():
                        print(f"{event.audio_ms_generated} ms of audio, usage {event.usage}")
                        break

    path = Path(gettempdir()) / "push_to_talk_answer.wav"
    audio.write_wav(path, bytes(answer))
    print(f"saved {path}")


asyncio.run(main())
