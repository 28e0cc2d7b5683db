"""办理 attachments, kept like recordings: an absolute path under one directory, named by date and
ticket, with size and sha256 in the row; served only while the file still has that checksum.

The checks are pure (name, size, first bytes in; the kind or a Chinese refusal out), so a bad
file is refused before anything is written. Writing goes to a temporary name and is renamed
into place, so a half-written file never looks like an attachment.
"""
from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

# What each allowed kind must start with: the extension alone proves nothing.
MAGIC = {"pdf": (b"%PDF-",), "jpg": (b"\xff\xd8\xff",), "jpeg": (b"\xff\xd8\xff",),
         "png": (b"\x89PNG\r\n\x1a\n",), "docx": (b"PK\x03\x04",), "xlsx": (b"PK\x03\x04",),
         "doc": (b"\xd0\xcf\x11\xe0",), "txt": (b"",)}
CONTENT_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png",
                 "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "doc": "application/msword", "txt": "text/plain"}


class AttachmentRefused(ValueError):
    error_id = "ticket.attachment.refused"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class AttachmentRules:
    directory: Path
    max_bytes: int = 10 * 1024 * 1024
    types: tuple[str, ...] = ("pdf", "jpg", "png", "docx")
    max_files: int = 5

    def __post_init__(self) -> None:
        root = Path(self.directory).expanduser().resolve()
        if str(root) == root.anchor:
            raise ValueError(f"附件目录不能是根目录 / attachment directory {self.directory!r}")
        unknown = [t for t in self.types if t not in MAGIC]
        if unknown:
            raise ValueError(f"tickets.attachment_types {unknown}: expected some of {sorted(MAGIC)}")
        object.__setattr__(self, "directory", root)

    @classmethod
    def from_config(cls, config) -> AttachmentRules:
        t = config.tickets
        return cls(directory=t.attachment_directory or (config.engine.data_dir / "attachments"),
                   max_bytes=t.attachment_max_bytes, types=tuple(x.lower() for x in t.attachment_types),
                   max_files=t.attachment_max_files)

    @property
    def limit_text(self) -> str:
        size = (f"{self.max_bytes / 1024 / 1024:g} MB" if self.max_bytes >= 1024 * 1024
                else f"{self.max_bytes / 1024:g} KB")
        return f"单个文件不超过 {size}，类型限 {'/'.join(self.types)}，最多 {self.max_files} 个"


def kind_of(rules: AttachmentRules, name: str, size: int, head: bytes) -> str:
    """The attachment's kind (its extension), or AttachmentRefused saying why in Chinese."""
    clean = Path(str(name).replace("\\", "/")).name
    ext = clean.rsplit(".", 1)[-1].lower() if "." in clean else ""
    if ext not in rules.types:
        raise AttachmentRefused(f"附件「{clean[:60]}」类型不允许：仅限 {'/'.join(rules.types)}")
    if size > rules.max_bytes:
        raise AttachmentRefused(f"附件「{clean[:60]}」过大（{size / 1024 / 1024:.1f} MB）：{rules.limit_text}")
    if size == 0:
        raise AttachmentRefused(f"附件「{clean[:60]}」是空文件")
    if not any(head.startswith(m) for m in MAGIC[ext]):
        raise AttachmentRefused(f"附件「{clean[:60]}」的内容与扩展名 .{ext} 不符，请上传真实的 {ext} 文件")
    return ext


def safe_name(name: str) -> str:
    """What the user called it, without a path and control characters (kept for the download)."""
    clean = Path(str(name).replace("\\", "/")).name
    return "".join(c for c in clean if c.isprintable() and c not in '"\\/')[:200] or "attachment"


def attachment_path(root: Path, number: str, kind: str, at: datetime, zone: ZoneInfo) -> Path:
    local = at.astimezone(zone)
    token = secrets.token_hex(6)
    return root / f"{local:%Y}" / f"{local:%m}" / f"{local:%d}" / f"{number}-{local:%H%M%S}-{token}.{kind}"


def write_file(path: Path, source) -> tuple[int, str]:
    """Blocking: copy `source` (a binary file object) to `path`; (size, sha256)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    digest, size = hashlib.sha256(), 0
    source.seek(0)
    with open(tmp, "wb") as out:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    os.replace(tmp, path)
    return size, digest.hexdigest()


def is_inside(root: Path, path: Path | str) -> bool:
    try:
        Path(path).resolve().relative_to(root)
    except ValueError:
        return False
    return True


def intact(root: Path, path: str, size: int, sha256: str) -> bool:
    """Blocking: the file is under the directory and still has the size and checksum it was stored with."""
    p = Path(path)
    if not is_inside(root, p):
        return False
    try:
        if p.stat().st_size != size:
            return False
        digest = hashlib.sha256()
        with open(p, "rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return False
    return digest.hexdigest() == sha256
