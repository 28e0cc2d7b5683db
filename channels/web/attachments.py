"""Attachments of a web request (photos, a PDF): read from a streamed multipart body, checked,
kept on disk under <data_dir>/citizen/<ticket number>/ with a row each in citizen_attachment.

The kind is decided by the file's first bytes (JPEG, PNG, PDF), never by the name or the type the
browser claims; a file over the size limit or of another kind refuses the whole submission before
anything is stored. Files are spooled to a temporary directory first and moved once the ticket
exists, so a refused or failed submission leaves nothing behind.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from channels.models import Attachment

MAX_FILES = 3
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FIELD_BYTES = 16 * 1024
MAX_FIELDS = 20
KINDS = ((b"\xff\xd8\xff", "image/jpeg", "jpg"), (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
         (b"%PDF-", "application/pdf", "pdf"))


class AttachmentRefused(ValueError):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


@dataclass
class Spooled:
    path: Path
    name: str
    size: int
    sha256: str
    content_type: str
    ext: str


def sniff(head: bytes) -> tuple[str, str] | None:
    for magic, ctype, ext in KINDS:
        if head.startswith(magic):
            return ctype, ext
    return None


async def read_multipart(request: web.Request, spool: Path | None, *, keep_files: bool) -> tuple[dict, list[Spooled]]:
    """Text fields and (if `keep_files`) the checked files of a multipart body, streamed."""
    fields, files = {}, []
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if part.filename is None:
            if len(fields) >= MAX_FIELDS:
                raise AttachmentRefused("提交格式错误，请刷新页面后重试")
            data = await part.read(decode=False)
            if len(data) > MAX_FIELD_BYTES:
                raise AttachmentRefused("提交内容过大，请精简后重试", 413)
            fields[part.name or ""] = data.decode("utf-8", "replace")
            continue
        first = await part.read_chunk(64 * 1024)
        if not first:
            continue  # an empty file input
        if not keep_files:
            while await part.read_chunk(64 * 1024):
                pass
            continue
        if len(files) >= MAX_FILES:
            raise AttachmentRefused(f"附件最多 {MAX_FILES} 个")
        kind = sniff(first)
        if kind is None:
            raise AttachmentRefused("附件只能是 JPG、PNG 图片或 PDF 文件")
        digest, size = hashlib.sha256(), 0
        path = spool / f"{len(files)}.{kind[1]}"
        with path.open("wb") as out:
            chunk = first
            while chunk:
                size += len(chunk)
                if size > MAX_FILE_BYTES:
                    raise AttachmentRefused(f"单个附件不能超过 {MAX_FILE_BYTES // (1024 * 1024)} MB", 413)
                digest.update(chunk)
                out.write(chunk)
                chunk = await part.read_chunk(64 * 1024)
        raw = unquote(part.filename or "")  # aiohttp's client percent-encodes names; browsers send UTF-8
        name = "".join(ch for ch in os.path.basename(raw.replace("\\", "/")) if ch.isprintable())[:100] or path.name
        files.append(Spooled(path, name, size, digest.hexdigest(), kind[0], kind[1]))
    return fields, files


def new_spool(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".spool-", dir=root))


class AttachmentStore:
    def __init__(self, root: Path, sessions, clock) -> None:
        self.root, self._sessions, self._clock = Path(root), sessions, clock

    def spool(self) -> Path:
        return new_spool(self.root)

    async def keep(self, number: str, files: list[Spooled]) -> None:
        if not files:
            return
        folder = self.root / number
        folder.mkdir(parents=True, exist_ok=True)
        async with self._sessions() as session, session.begin():
            for seq, f in enumerate(files, start=1):
                target = folder / f"{seq}.{f.ext}"
                shutil.move(str(f.path), target)
                session.add(Attachment(ticket_number=number, seq=seq, name=f.name, size=f.size, sha256=f.sha256,
                                       content_type=f.content_type, stored=f"{number}/{seq}.{f.ext}",
                                       created_at=self._clock()))

    def place(self, number: str, files: list[Spooled]) -> list[dict]:
        """Move a new ticket's spooled files to its folder; their rows, for the caller's transaction (the
        intake's group commit), which calls `remove` for the numbers it placed when it does not commit."""
        folder = self.root / number
        folder.mkdir(parents=True, exist_ok=True)
        rows = []
        for seq, f in enumerate(files, start=1):
            shutil.move(str(f.path), folder / f"{seq}.{f.ext}")
            rows.append({"ticket_number": number, "seq": seq, "name": f.name, "size": f.size, "sha256": f.sha256,
                         "content_type": f.content_type, "stored": f"{number}/{seq}.{f.ext}",
                         "created_at": self._clock()})
        return rows

    def remove(self, numbers: list[str]) -> None:
        """Files placed for numbers that were not stored: a rolled-back number is given out again."""
        for number in numbers:
            shutil.rmtree(self.root / number, ignore_errors=True)

    async def add(self, number: str, name: str, data: bytes, content_type: str, ext: str) -> int:
        """One more file for `number` (a WeChat image), already checked; its seq. The file is moved in
        inside the row's transaction, so a lost race for the seq (two images at once) leaves nothing."""
        folder = self.root / number
        folder.mkdir(parents=True, exist_ok=True)
        spool = Path(tempfile.mkstemp(prefix=".fetch-", dir=self.root)[1])
        spool.write_bytes(data)
        try:
            for _ in range(5):
                try:
                    async with self._sessions() as session, session.begin():
                        seq = (await session.scalar(select(func.max(Attachment.seq))
                                                    .where(Attachment.ticket_number == number)) or 0) + 1
                        session.add(Attachment(ticket_number=number, seq=seq, name=name[:128], size=len(data),
                                               sha256=hashlib.sha256(data).hexdigest(), content_type=content_type,
                                               stored=f"{number}/{seq}.{ext}", created_at=self._clock()))
                        await session.flush()
                        shutil.move(str(spool), folder / f"{seq}.{ext}")
                    return seq
                except IntegrityError:
                    continue
            raise RuntimeError(f"no attachment number free for {number}")
        finally:
            spool.unlink(missing_ok=True)

    async def of(self, number: str) -> list[Attachment]:
        async with self._sessions() as session:
            return list(await session.scalars(select(Attachment).where(Attachment.ticket_number == number)
                                              .order_by(Attachment.seq)))

    async def one(self, number: str, seq: int) -> tuple[Attachment, Path] | None:
        async with self._sessions() as session:
            row = (await session.execute(select(Attachment).where(Attachment.ticket_number == number,
                                                                  Attachment.seq == seq))).scalar_one_or_none()
        if row is None:
            return None
        path = (self.root / row.stored).resolve()
        if self.root.resolve() not in path.parents or not path.is_file():
            return None
        return row, path
