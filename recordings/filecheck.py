"""Is a recording file what the catalogue says it is? WAV header parsing is pure (bytes in);
`inspect_file` adds the disk: size, sha256 and mtime, read in one pass.

A WAV whose RIFF or data sizes disagree with the file (Asterisk stopped before rewriting
the header, a truncated copy) is damaged, as is one that is not PCM WAV at all.
"""
from __future__ import annotations

import hashlib
import os
import struct
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20


@dataclass(frozen=True)
class WavInfo:
    channels: int
    sample_rate: int
    bits: int
    data_bytes: int

    @property
    def duration(self) -> float:
        frame = self.channels * self.bits // 8
        return self.data_bytes / frame / self.sample_rate if frame and self.sample_rate else 0.0


class NotWav(ValueError):
    error_id = "recording.file.not_wav"


def parse_wav_header(head: bytes, file_size: int) -> WavInfo:
    """The fmt and data chunks of a RIFF/WAVE file, checked against the real file size."""
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise NotWav("不是 WAV 文件 / not a RIFF WAVE file")
    riff_size = struct.unpack_from("<I", head, 4)[0]
    if riff_size + 8 != file_size:
        raise NotWav(f"文件长度与头部不符 / RIFF size {riff_size + 8} != file size {file_size}")
    pos, fmt = 12, None
    while pos + 8 <= len(head):
        chunk_id, size = head[pos:pos + 4], struct.unpack_from("<I", head, pos + 4)[0]
        body = pos + 8
        if chunk_id == b"fmt ":
            if size < 16 or body + 16 > len(head):
                raise NotWav("fmt 块不完整 / short fmt chunk")
            tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", head, body)
            if tag not in (1, 0xFFFE) or not channels or not rate or bits not in (8, 16, 24, 32):
                raise NotWav(f"不支持的音频格式 / unsupported format tag={tag} bits={bits}")
            fmt = (channels, rate, bits)
        elif chunk_id == b"data":
            if fmt is None:
                raise NotWav("缺少 fmt 块 / data before fmt")
            if body + size != file_size:
                raise NotWav(f"音频数据长度不符 / data size {size} does not end at {file_size}")
            return WavInfo(*fmt, size)
        pos = body + size + (size & 1)
    raise NotWav("缺少 data 块 / no data chunk")


@dataclass(frozen=True)
class FileCheck:
    exists: bool
    size: int | None = None
    sha256: str | None = None
    mtime_ns: int | None = None
    wav: WavInfo | None = None
    problem: str | None = None

    @property
    def valid(self) -> bool:
        return self.exists and self.wav is not None and self.problem is None


def inspect_file(path: Path) -> FileCheck:
    """Blocking (run it in a thread): one read for header, size and checksum."""
    try:
        with open(path, "rb") as f:
            stat = os.fstat(f.fileno())
            digest = hashlib.sha256()
            head = f.read(4096)
            digest.update(head)
            while chunk := f.read(CHUNK):
                digest.update(chunk)
    except FileNotFoundError:
        return FileCheck(False, problem="文件不存在 / file not found")
    except OSError as exc:
        return FileCheck(False, problem=f"文件无法读取 / unreadable: {exc.strerror}")
    try:
        wav = parse_wav_header(head, stat.st_size)
        problem = None
    except NotWav as exc:
        wav, problem = None, str(exc)
    return FileCheck(True, stat.st_size, digest.hexdigest(), stat.st_mtime_ns, wav, problem)


def stat_matches(path: Path, size: int | None, mtime_ns: int | None) -> bool | None:
    """Cheap check: True same size and mtime, False changed, None missing."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_size == size and stat.st_mtime_ns == mtime_ns
