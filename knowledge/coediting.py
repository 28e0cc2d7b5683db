"""共建共享: departments propose or edit knowledge entries of their own domain, the center reviews
and publishes them, and every entry keeps its history.

A department user's domain is the entries whose `department` is their department's name (the
name the import files use). A proposal is validated like an import row (same Chinese messages)
and changes nothing until a center reviewer publishes it; publishing, and a center user's direct
edit of one entry, upsert through the store, write a `kb_revision` and rebuild the search index,
so agents find the new text at once. Rejections keep the reviewer's comment for the department.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from knowledge.errors import KnowledgeError
from knowledge.models import KbEntry, KbProposal, KbRevision
from knowledge.parse import validate
from knowledge.service import KnowledgeBase

PENDING, PUBLISHED, REJECTED = "pending", "published", "rejected"


class NotYourDomain(KnowledgeError):
    error_id = "knowledge.domain"


class ProposalGone(KnowledgeError):
    error_id = "knowledge.proposal.gone"


@dataclass(frozen=True)
class Proposal:
    id: int
    entry_id: int | None
    key: str
    question: str
    answer: str
    department: str
    keywords: tuple[str, ...]
    proposer: str
    state: str
    created_at: datetime
    reviewer: str | None
    comment: str

    def as_dict(self) -> dict:
        return {"id": self.id, "entry_id": self.entry_id, "key": self.key, "question": self.question,
                "answer": self.answer, "department": self.department, "keywords": list(self.keywords),
                "proposer": self.proposer, "state": self.state, "created_at": self.created_at.isoformat(),
                "reviewer": self.reviewer, "comment": self.comment}


def _proposal(row: KbProposal) -> Proposal:
    return Proposal(row.id, row.entry_id, row.key, row.question, row.answer, row.department,
                    tuple(k for k in row.keywords.split("、") if k), row.proposer, row.state, row.created_at,
                    row.reviewer, row.comment)


class KnowledgeCoEditing:
    def __init__(self, kb: KnowledgeBase, sessions: async_sessionmaker, clock: Callable[[], datetime]) -> None:
        self._kb, self._sessions, self._clock = kb, sessions, clock

    @staticmethod
    def _draft(key: str | None, department: str, fields: dict):
        row = {"key": key or "", "question": fields.get("question"), "answer": fields.get("answer"),
               "department": department, "keywords": fields.get("keywords"),
               "valid_from": fields.get("valid_from"), "valid_to": fields.get("valid_to"),
               "active": fields.get("active", True)}
        return validate([(1, row)])[0]  # ImportInvalidError names the bad field in Chinese

    async def propose(self, proposer: str, department: str, fields: dict, entry_id: int | None = None) -> Proposal:
        """A department's new entry (entry_id None) or edit of one of its own entries."""
        key = None
        if entry_id is not None:
            entry = await self._kb.store.get(entry_id)
            if entry is None:
                raise ProposalGone("知识条目不存在")
            if entry.department != department:
                raise NotYourDomain(f"只能修改本单位（{department}）的知识条目")
            key = entry.key
        draft = self._draft(key, department, fields)
        async with self._sessions() as session, session.begin():
            row = KbProposal(entry_id=entry_id, key=draft.key, question=draft.question, answer=draft.answer,
                             department=department, keywords="、".join(draft.keywords), proposer=proposer,
                             state=PENDING, created_at=self._clock(), comment="")
            session.add(row)
            await session.flush()
            return _proposal(row)

    async def proposals(self, *, state: str | None = PENDING, department: str | None = None) -> list[Proposal]:
        query = select(KbProposal).order_by(KbProposal.id)
        if state:
            query = query.where(KbProposal.state == state)
        if department is not None:
            query = query.where(KbProposal.department == department)
        async with self._sessions() as session:
            return [_proposal(r) for r in await session.scalars(query.limit(500))]

    async def _decide(self, proposal_id: int, reviewer: str, comment: str, state: str) -> KbProposal:
        async with self._sessions() as session, session.begin():
            row = await session.get(KbProposal, proposal_id)
            if row is None or row.state != PENDING:
                raise ProposalGone("该提议不存在或已被审核")
            row.state, row.reviewer, row.reviewed_at, row.comment = state, reviewer, self._clock(), comment[:500]
            return row

    async def publish(self, proposal_id: int, reviewer: str, comment: str = "") -> Proposal:
        row = await self._decide(proposal_id, reviewer, comment, PUBLISHED)
        draft = self._draft(row.key, row.department, {"question": row.question, "answer": row.answer,
                                                      "keywords": row.keywords})
        await self._write(draft, reviewer, "proposal", row.id)
        return _proposal(row)

    async def reject(self, proposal_id: int, reviewer: str, comment: str) -> Proposal:
        if not comment.strip():
            raise KnowledgeError("驳回需要填写审核意见")
        return _proposal(await self._decide(proposal_id, reviewer, comment.strip(), REJECTED))

    async def edit(self, entry_id: int, actor: str, fields: dict):
        """The center edits one entry in the console (not only by import)."""
        entry = await self._kb.store.get(entry_id)
        if entry is None:
            raise ProposalGone("知识条目不存在")
        merged = {"question": entry.question, "answer": entry.answer, "keywords": "、".join(entry.keywords),
                  "valid_from": entry.valid_from.isoformat() if entry.valid_from else None,
                  "valid_to": entry.valid_to.isoformat() if entry.valid_to else None, "active": entry.active}
        merged.update({k: v for k, v in fields.items() if v is not None})
        draft = self._draft(entry.key, fields.get("department") or entry.department, merged)
        await self._write(draft, actor, "edit", None)
        return await self._kb.store.get(entry_id)

    async def _write(self, draft, actor: str, source: str, proposal_id: int | None) -> None:
        await self._kb.store.upsert([draft])
        async with self._sessions() as session, session.begin():
            session.add(KbRevision(key=draft.key, at=self._clock(), actor=actor, source=source,
                                   proposal_id=proposal_id, question=draft.question, answer=draft.answer,
                                   department=draft.department, keywords="、".join(draft.keywords)))
        await self._kb.reload()

    async def entries_of(self, department: str) -> list:
        return await self._kb.store.of_department(department)

    async def entry(self, entry_id: int):
        entry = await self._kb.store.get(entry_id)
        if entry is None:
            raise ProposalGone("知识条目不存在")
        return entry

    async def history(self, entry_id: int) -> list[dict]:
        async with self._sessions() as session:
            entry = await session.get(KbEntry, entry_id)
            if entry is None:
                raise ProposalGone("知识条目不存在")
            rows = await session.scalars(select(KbRevision).where(KbRevision.key == entry.key)
                                         .order_by(KbRevision.id))
            return [{"at": r.at.isoformat(), "actor": r.actor, "source": r.source, "proposal_id": r.proposal_id,
                     "question": r.question, "answer": r.answer, "department": r.department} for r in rows]
