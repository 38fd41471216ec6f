"""Audio helpers a voice app needs, without ``audioop`` (removed in Python 3.13).

- G.711 for telephony: :func:`ulaw_encode` / :func:`ulaw_decode` (μ-law, ``audio/pcmu``)
  and :func:`alaw_encode` / :func:`alaw_decode` (A-law, ``audio/pcma``), PCM16 ↔ 8-bit;
- :class:`Resampler` and :func:`resample`: sample-rate conversion of mono PCM16 (8, 16,
  48 kHz ↔ the API's 24 kHz, or any pair), one chunk at a time without clicks between
  chunks;
- :func:`read_wav` / :func:`write_wav`: PCM16 WAV files through the stdlib ``wave``;
- :func:`frames`: audio split into base64 ``input_audio_buffer.append`` payloads, each
  under the API's per-event limit;
- :func:`duration_ms` and :func:`byte_count`: how long some audio lasts in a format.

PCM16 here always means signed 16-bit little-endian mono samples, the API's
``audio/pcm`` (24 kHz). Pure: no I/O beyond the file a WAV function is given.
"""

from __future__ import annotations

import base64
import sys
import wave
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from .._exceptions import InputError

__all__ = [
    "API_RATE",
    "MAX_APPEND_BYTES",
    "AudioFormat",
    "Resampler",
    "WavAudio",
    "alaw_decode",
    "alaw_encode",
    "byte_count",
    "duration_ms",
    "frames",
    "read_wav",
    "resample",
    "ulaw_decode",
    "ulaw_encode",
    "write_wav",
]

API_RATE = 24000
"""The sample rate of the API's ``audio/pcm`` format, in Hz."""

G711_RATE = 8000
"""The sample rate of ``audio/pcmu`` and ``audio/pcma``, in Hz."""

MAX_APPEND_BYTES = 15 * 1024 * 1024
"""The API's limit on one ``input_audio_buffer.append`` event's audio (15 MiB)."""

AudioFormat = Literal["audio/pcm", "audio/pcmu", "audio/pcma"]
"""The API's audio formats: PCM16 at 24 kHz, G.711 μ-law and A-law at 8 kHz."""

_LITTLE = sys.byteorder == "little"


def _samples(pcm: bytes) -> array[int]:
    if len(pcm) % 2:
        raise InputError(f"PCM16 audio has an even number of bytes, got {len(pcm)}")
    samples = array("h", pcm)
    if not _LITTLE:
        samples.byteswap()
    return samples


def _pcm(samples: array[int]) -> bytes:
    if not _LITTLE:
        samples = array("h", samples)
        samples.byteswap()
    return samples.tobytes()


# -- G.711 ---------------------------------------------------------------------------
# The codecs are table lookups: each 8-bit code maps to one sample, and each sample
# (cut to the bits G.711 keeps: 14 for μ-law, 13 for A-law) to one code. Decoding runs
# in C: the code bytes go through ``bytes.translate`` once for the samples' low bytes
# and once for their high bytes. bench/realtime.py measures both against NumPy.


def _ulaw_to_linear(code: int) -> int:
    code = ~code & 0xFF
    magnitude = (((code & 0x0F) << 3) + 0x84) << ((code & 0x70) >> 4)
    return (0x84 - magnitude) if code & 0x80 else (magnitude - 0x84)


def _alaw_to_linear(code: int) -> int:
    code ^= 0x55
    exponent = (code & 0x70) >> 4
    mantissa = code & 0x0F
    if exponent:
        magnitude = ((mantissa << 4) + 0x108) << (exponent - 1)
    else:
        magnitude = (mantissa << 4) + 8
    return magnitude if code & 0x80 else -magnitude


def _linear_to_ulaw(sample: int) -> int:
    sign = 0x80 if sample < 0 else 0
    magnitude = min(-sample if sign else sample, 32635) + 0x84
    exponent = magnitude.bit_length() - 8
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def _linear_to_alaw(sample: int) -> int:
    sign = 0 if sample < 0 else 0x80
    magnitude = min(-sample - 1 if sample < 0 else sample, 32767) >> 3
    if magnitude < 32:
        code = magnitude >> 1
    else:
        exponent = magnitude.bit_length() - 5
        code = (exponent << 4) | ((magnitude >> exponent) & 0x0F)
    return (sign | code) ^ 0x55


def _decode_tables(to_linear: list[int]) -> tuple[bytes, bytes]:
    low = bytes(value & 0xFF for value in to_linear)
    high = bytes((value >> 8) & 0xFF for value in to_linear)
    return low, high


_ULAW_LINEAR = [_ulaw_to_linear(code) for code in range(256)]
_ALAW_LINEAR = [_alaw_to_linear(code) for code in range(256)]
_ULAW_DECODE = _decode_tables(_ULAW_LINEAR)
_ALAW_DECODE = _decode_tables(_ALAW_LINEAR)
# Encoding tables indexed by the sample's top bits, as an unsigned number (so the index
# of -1 is the last entry): μ-law keeps 14 bits, A-law 13.
_ULAW_ENCODE = bytes(_linear_to_ulaw(((i << 2) ^ 0x8000) - 0x8000) for i in range(1 << 14))
_ALAW_ENCODE = bytes(_linear_to_alaw(((i << 3) ^ 0x8000) - 0x8000) for i in range(1 << 13))


def _decode(codes: bytes, tables: tuple[bytes, bytes]) -> bytes:
    out = bytearray(2 * len(codes))
    out[0::2] = codes.translate(tables[0])
    out[1::2] = codes.translate(tables[1])
    return bytes(out)


def _encode(pcm: bytes, table: bytes, shift: int) -> bytes:
    samples = _samples(pcm)
    unsigned = array("H", samples.tobytes())
    lookup = table.__getitem__
    return bytes(lookup(value >> shift) for value in unsigned)


def ulaw_decode(codes: bytes) -> bytes:
    """G.711 μ-law bytes (``audio/pcmu``) to PCM16, one sample per byte."""
    return _decode(codes, _ULAW_DECODE)


def alaw_decode(codes: bytes) -> bytes:
    """G.711 A-law bytes (``audio/pcma``) to PCM16, one sample per byte."""
    return _decode(codes, _ALAW_DECODE)


def ulaw_encode(pcm: bytes) -> bytes:
    """PCM16 to G.711 μ-law bytes, one byte per sample (the rate is kept).

    Raises:
        InputError: ``pcm`` has an odd number of bytes.
    """
    return _encode(pcm, _ULAW_ENCODE, 2)


def alaw_encode(pcm: bytes) -> bytes:
    """PCM16 to G.711 A-law bytes, one byte per sample (the rate is kept).

    Raises:
        InputError: ``pcm`` has an odd number of bytes.
    """
    return _encode(pcm, _ALAW_ENCODE, 3)


# -- sample-rate conversion ------------------------------------------------------------


class Resampler:
    """Converts a stream of mono PCM16 chunks from one sample rate to another.

    Upsampling, and downsampling by a factor that is not whole, interpolate linearly
    between neighbouring samples. Downsampling by a whole factor (48 → 24 kHz, 24 →
    8 kHz) averages each group of samples, which also filters out most of what the
    lower rate cannot carry. Voice quality, not studio quality.

    Feed chunks with :meth:`process`; the samples it cannot place yet (it needs the
    next one to interpolate) wait for the next chunk, and :meth:`flush` returns them at
    the end. Chunk boundaries never change the output.
    """

    def __init__(self, from_rate: int, to_rate: int) -> None:
        if from_rate <= 0 or to_rate <= 0:
            raise InputError(f"sample rates must be positive, got {from_rate} and {to_rate}")
        self.from_rate = from_rate
        """The input's rate, in Hz."""
        self.to_rate = to_rate
        """The output's rate, in Hz."""
        self._factor = from_rate // to_rate if from_rate % to_rate == 0 else 0
        self._pending: list[int] = []
        # The next output sample's position in the pending input, in 1/to_rate units.
        self._position = 0

    def process(self, pcm: bytes) -> bytes:
        """Convert the next chunk; returns the output samples it completes."""
        if self.from_rate == self.to_rate:
            return bytes(_pcm(_samples(pcm)))
        buffer = self._pending
        buffer.extend(_samples(pcm))
        out = array("h")
        if self._factor:
            factor = self._factor
            whole = len(buffer) - len(buffer) % factor
            for start in range(0, whole, factor):
                out.append(sum(buffer[start : start + factor]) // factor)
            del buffer[:whole]
            return _pcm(out)
        step, scale, position = self.from_rate, self.to_rate, self._position
        last = len(buffer) - 1
        while position // scale < last:
            index, fraction = divmod(position, scale)
            left = buffer[index]
            out.append(left + (buffer[index + 1] - left) * fraction // scale)
            position += step
        used = position // scale
        del buffer[:used]
        self._position = position - used * scale
        return _pcm(out)

    def flush(self) -> bytes:
        """The output of what is still pending (the stream's last samples)."""
        buffer, self._pending = self._pending, []
        out = array("h")
        if self._factor:
            if buffer:
                out.append(sum(buffer) // len(buffer))
        else:
            # The last samples have no right-hand neighbour: hold the last value.
            step, scale, position = self.from_rate, self.to_rate, self._position
            while position // scale < len(buffer):
                out.append(buffer[position // scale])
                position += step
        self._position = 0
        return _pcm(out)


def resample(pcm: bytes, from_rate: int, to_rate: int) -> bytes:
    """Convert a whole clip of mono PCM16 from ``from_rate`` to ``to_rate`` Hz."""
    converter = Resampler(from_rate, to_rate)
    return converter.process(pcm) + converter.flush()


# -- durations and framing ----------------------------------------------------------------


def _bytes_per_ms(audio_format: AudioFormat) -> float:
    if audio_format == "audio/pcm":
        return API_RATE * 2 / 1000
    return G711_RATE / 1000


def duration_ms(size: int, audio_format: AudioFormat = "audio/pcm") -> float:
    """How many ms ``size`` bytes of audio last in ``audio_format``."""
    return size / _bytes_per_ms(audio_format)


def byte_count(ms: float, audio_format: AudioFormat = "audio/pcm") -> int:
    """How many bytes ``ms`` of audio take in ``audio_format`` (whole samples)."""
    size = int(ms * _bytes_per_ms(audio_format))
    return size - size % 2 if audio_format == "audio/pcm" else size


def frames(audio: bytes, limit: int = MAX_APPEND_BYTES) -> Iterator[str]:
    """Split audio into base64 payloads for ``input_audio_buffer.append``.

    Each payload's base64 text is at most ``limit`` bytes, and each but the last holds
    a whole number of PCM16 samples and of base64 groups, so no sample is split across
    events.

    Raises:
        InputError: ``limit`` cannot hold one sample.
    """
    # 4 base64 characters per 3 bytes; a chunk of a multiple of 6 bytes ends on both a
    # sample and a base64 group.
    chunk = (limit // 4) * 3
    chunk -= chunk % 6
    if chunk <= 0:
        raise InputError(f"a base64 limit of {limit} bytes cannot hold one sample")
    view = memoryview(audio)
    for start in range(0, len(audio), chunk):
        yield base64.b64encode(view[start : start + chunk]).decode("ascii")


# -- WAV files ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WavAudio:
    """The audio of a WAV file."""

    pcm: bytes
    """Signed 16-bit little-endian samples, interleaved when there are several channels."""
    rate: int
    """Samples per second, per channel."""
    channels: int
    """1 for mono."""

    def mono(self) -> bytes:
        """The samples as mono PCM16 (the channels averaged)."""
        if self.channels == 1:
            return self.pcm
        samples = _samples(self.pcm)
        count = self.channels
        mixed = array(
            "h",
            (sum(samples[i : i + count]) // count for i in range(0, len(samples), count)),
        )
        return _pcm(mixed)

    def for_api(self) -> bytes:
        """Mono PCM16 at 24 kHz, ready for ``append_audio``."""
        return resample(self.mono(), self.rate, API_RATE)


def read_wav(source: str | Path | BinaryIO) -> WavAudio:
    """Read a PCM16 WAV file (a path or an open binary file).

    Raises:
        InputError: The file is not a WAV file, or its samples are not 16-bit.
    """
    try:
        with wave.open(source if not isinstance(source, Path) else str(source), "rb") as wav:
            width = wav.getsampwidth()
            rate, channels = wav.getframerate(), wav.getnchannels()
            data = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise InputError(f"not a WAV file this SDK reads: {exc}") from None
    if width != 2:
        raise InputError(f"WAV samples must be 16-bit, got {8 * width}-bit")
    return WavAudio(pcm=data, rate=rate, channels=channels)


def write_wav(
    target: str | Path | BinaryIO, pcm: bytes, rate: int = API_RATE, channels: int = 1
) -> None:
    """Write PCM16 samples as a WAV file (a path or an open binary file)."""
    with wave.open(target if not isinstance(target, Path) else str(target), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
