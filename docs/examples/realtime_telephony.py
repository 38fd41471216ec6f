"""A telephony bridge: G.711 μ-law at 8 kHz both ways, with barge-in from the caller.

A phone line (Twilio, a SIP trunk) carries 20 ms frames of μ-law audio at 8 kHz. The
session takes and gives that format directly (``audio/pcmu``), so no conversion is
needed on the hot path; ``audio.ulaw_decode`` is there for recording the call.
"""

import asyncio
import math
from array import array

from responses_client import Client
from responses_client.realtime import audio, events

FRAME_MS = 20


def caller_frames(ms: int, loud: bool) -> list[bytes]:
    """Stands in for the phone line: μ-law frames of a tone (speech) or of silence."""
    amplitude = 9000 if loud else 0
    count = 8 * ms
    pcm = array("h", (int(amplitude * math.sin(i / 3)) for i in range(count))).tobytes()
    ulaw = audio.ulaw_encode(pcm)
    return [ulaw[i : i + 160] for i in range(0, len(ulaw), 160)]


async def main() -> None:
    async with Client() as client:
        session = client.realtime(
            input_format="audio/pcmu",
            output_format="audio/pcmu",
            turn_detection={"type": "server_vad", "silence_duration_ms": 300},
        )
        async with session:
            for frame in caller_frames(600, loud=True) + caller_frames(400, loud=False):
                await session.append_audio(frame)

            sent_to_phone = 0  # bytes of μ-law handed to the line: 8 per ms
            barged_in = False
            answers = 0
            async for event in session:
                match event:
                    case events.OutputAudioDeltaEvent():
                        frame = event.pcm  # μ-law bytes, ready for the phone line
                        sent_to_phone += len(frame)
                        # The line plays in real time; report what it has played (here,
                        # all but the last 200 ms handed over).
                        session.played(audio.duration_ms(sent_to_phone, "audio/pcmu") - 200)
                        if not barged_in and sent_to_phone >= 8 * 1000:
                            barged_in = True  # the caller talks over the answer
                            for frame in caller_frames(400, True) + caller_frames(400, False):
                                await session.append_audio(frame)
                    case events.PlaybackStopEvent():
                        cut = event.audio_end_ms
                        print(f"caller barged in: stop the line; answer cut at {cut} ms")
                        sent_to_phone = 0
                    case events.ResponseFiguresEvent():
                        answers += 1
                        print(f"answer {answers}: {event.audio_ms_generated} ms of μ-law audio")
                        if answers == 2:
                            break


asyncio.run(main())
