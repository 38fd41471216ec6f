"""Audio helpers: G.711 codecs, resampling, framing and WAV files (pure, no server)."""

from __future__ import annotations

import base64
import io
import math
from array import array

import pytest

from responses_client._exceptions import InputError
from responses_client.realtime import audio


def pcm(*samples: int) -> bytes:
    return array("h", samples).tobytes()


def samples(data: bytes) -> list[int]:
    return list(array("h", data))


def sine(count: int, rate: int, hz: float = 440.0, amplitude: int = 12000) -> bytes:
    return pcm(*(int(amplitude * math.sin(2 * math.pi * hz * i / rate)) for i in range(count)))


# G.711 points, as CPython 3.11's audioop (the module these helpers replace) computes them:
# silence, the extremes, the smallest steps, a mid-range value.
ULAW_POINTS = [(0, 0xFF), (-1, 0x7E), (32767, 0x80), (-32768, 0x00), (16, 0xFD), (1000, 0xCE)]
ALAW_POINTS = [(0, 0xD5), (-1, 0x55), (32767, 0xAA), (-32768, 0x2A), (16, 0xD4), (-1000, 0x7A)]
ULAW_DECODED = [(0xFF, 0), (0x80, 32124), (0x00, -32124), (0x7F, 0), (0xFE, 8)]
ALAW_DECODED = [(0xD5, 8), (0x55, -8), (0xAA, 32256), (0x2A, -32256)]


@pytest.mark.parametrize(("sample", "code"), ULAW_POINTS)
def test_ulaw_encodes_reference_points(sample: int, code: int) -> None:
    assert audio.ulaw_encode(pcm(sample)) == bytes([code])


@pytest.mark.parametrize(("sample", "code"), ALAW_POINTS)
def test_alaw_encodes_reference_points(sample: int, code: int) -> None:
    assert audio.alaw_encode(pcm(sample)) == bytes([code])


@pytest.mark.parametrize(("code", "sample"), ULAW_DECODED)
def test_ulaw_decodes_reference_points(code: int, sample: int) -> None:
    assert samples(audio.ulaw_decode(bytes([code]))) == [sample]


@pytest.mark.parametrize(("code", "sample"), ALAW_DECODED)
def test_alaw_decodes_reference_points(code: int, sample: int) -> None:
    assert samples(audio.alaw_decode(bytes([code]))) == [sample]


@pytest.mark.parametrize(
    ("encode", "decode"),
    [(audio.ulaw_encode, audio.ulaw_decode), (audio.alaw_encode, audio.alaw_decode)],
    ids=["ulaw", "alaw"],
)
def test_every_code_survives_decode_then_encode(encode: object, decode: object) -> None:
    assert callable(encode) and callable(decode)
    codes = bytes(range(256))
    # Two codes decode to 0 in μ-law (+0 and -0); each decodes back to itself otherwise.
    again = encode(decode(codes))
    assert decode(again) == decode(codes)


@pytest.mark.parametrize("encode", [audio.ulaw_encode, audio.alaw_encode], ids=["ulaw", "alaw"])
def test_codec_error_stays_within_its_step(encode: object) -> None:
    assert callable(encode)
    decode = audio.ulaw_decode if encode is audio.ulaw_encode else audio.alaw_decode
    original = samples(sine(2400, 24000, amplitude=30000))
    restored = samples(decode(encode(pcm(*original))))
    for before, after in zip(original, restored, strict=True):
        # Logarithmic steps: the error grows with the magnitude, at most ~1/16 of it.
        assert abs(before - after) <= max(16, abs(before) // 16)


def test_odd_pcm_is_refused() -> None:
    with pytest.raises(InputError, match="even number of bytes"):
        audio.ulaw_encode(b"\x00\x01\x02")


@pytest.mark.parametrize(
    ("source", "target"),
    [(8000, 24000), (16000, 24000), (48000, 24000), (24000, 8000), (24000, 16000), (24000, 48000)],
)
def test_resample_keeps_the_duration(source: int, target: int) -> None:
    count = source // 10  # 100 ms
    out = audio.resample(sine(count, source), source, target)
    assert len(out) // 2 == target // 10


@pytest.mark.parametrize(("source", "target"), [(8000, 24000), (24000, 16000), (48000, 24000)])
def test_resample_chunks_give_the_same_output_as_one_clip(source: int, target: int) -> None:
    clip = sine(source // 5, source)
    converter = audio.Resampler(source, target)
    pieces = [converter.process(clip[i : i + 94]) for i in range(0, len(clip), 94)]
    assert b"".join(pieces) + converter.flush() == audio.resample(clip, source, target)


def test_resample_keeps_a_tone_s_shape() -> None:
    tone = sine(2400, 24000, hz=300)
    there = audio.resample(tone, 24000, 8000)
    back = samples(audio.resample(there, 8000, 24000))
    original = samples(tone)
    worst = max(abs(a - b) for a, b in zip(original[3:-3], back[3:-3], strict=False))
    assert worst < 12000 * 0.15


def test_resample_by_a_whole_factor_averages_groups() -> None:
    assert samples(audio.resample(pcm(0, 3, 6, 9, 100, 200), 48000, 24000)) == [1, 7, 150]


def test_same_rate_is_a_copy() -> None:
    assert audio.resample(pcm(1, 2, 3), 24000, 24000) == pcm(1, 2, 3)


def test_rates_must_be_positive() -> None:
    with pytest.raises(InputError):
        audio.Resampler(0, 24000)


@pytest.mark.parametrize(("size", "limit"), [(100, 40), (6, 8), (1_000_000, 65536), (0, 40)])
def test_frames_stay_under_the_limit_and_rebuild_the_audio(size: int, limit: int) -> None:
    data = bytes(i % 251 for i in range(size))
    payloads = list(audio.frames(data, limit=limit))
    assert all(len(p) <= limit for p in payloads)
    assert all(len(base64.b64decode(p)) % 2 == 0 for p in payloads[:-1])
    assert b"".join(base64.b64decode(p) for p in payloads) == data


def test_frames_default_limit_is_the_api_s() -> None:
    assert audio.MAX_APPEND_BYTES == 15 * 1024 * 1024
    assert len(list(audio.frames(b"\x00" * 4800))) == 1


def test_frames_refuse_a_limit_below_one_group() -> None:
    with pytest.raises(InputError):
        list(audio.frames(b"\x00\x00", limit=4))


@pytest.mark.parametrize(
    ("size", "fmt", "ms"),
    [(48000, "audio/pcm", 1000.0), (960, "audio/pcm", 20.0), (8000, "audio/pcmu", 1000.0)],
)
def test_duration_and_byte_count_agree(size: int, fmt: audio.AudioFormat, ms: float) -> None:
    assert audio.duration_ms(size, fmt) == ms
    assert audio.byte_count(ms, fmt) == size


def test_wav_round_trip_through_a_file(tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    clip = sine(480, 24000)
    audio.write_wav(tmp_path / "a.wav", clip)
    read = audio.read_wav(tmp_path / "a.wav")
    assert (read.pcm, read.rate, read.channels) == (clip, 24000, 1)


def test_wav_stereo_16k_becomes_api_audio() -> None:
    buffer = io.BytesIO()
    audio.write_wav(buffer, pcm(100, 300) * 1600, rate=16000, channels=2)
    buffer.seek(0)
    read = audio.read_wav(buffer)
    assert samples(read.mono())[:3] == [200, 200, 200]
    assert len(read.for_api()) == 2 * 2400


def test_wav_of_another_width_is_refused() -> None:
    import wave

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(1)
        wav.setframerate(8000)
        wav.writeframes(b"\x80" * 10)
    buffer.seek(0)
    with pytest.raises(InputError, match="16-bit"):
        audio.read_wav(buffer)


def test_not_a_wav_is_refused() -> None:
    with pytest.raises(InputError, match="not a WAV"):
        audio.read_wav(io.BytesIO(b"RIFX nonsense"))
