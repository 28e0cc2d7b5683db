"""Revocation reaches everything a person still holds, at once.

Disabling an account, removing one of its roles or changing/resetting its password ends the
user's HTTP sessions and closes its open live pages (desk, wallboard) with close code 4401 and
a Chinese reason the page shows. Disabling an agent also takes its phone out of every queue
over AMI (QueueRemove per queue) and makes the engine's membership memory forget it, so an
Asterisk restart does not put it back.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from hotline.ami.errors import AmiError
from queues.member_actions import RemoveMember, send

log = logging.getLogger(__name__)

DISABLED = "账号已停用，请联系管理员"
ROLES_CHANGED = "您的权限已变更，请重新登录"
PASSWORD_CHANGED = "密码已修改，请重新登录"


@dataclass
class Revoked:
    sessions: int = 0
    pages: int = 0
    removed: list[tuple[str, str]] = field(default_factory=list)  # (server, queue) the phone left
    failed: list[str] = field(default_factory=list)               # queues Asterisk did not confirm

    def summary(self) -> str:
        text = f"{self.sessions} sessions, {self.pages} pages"
        if self.removed or self.failed:
            text += f", left {','.join(q for _, q in self.removed) or '-'}"
        if self.failed:
            text += f", NOT removed from {','.join(self.failed)}"
        return text


class Revoker:
    def __init__(self, sessions, hub, ami: Mapping[str, object], services: dict) -> None:
        self._sessions = sessions
        self._hub = hub
        self._ami = ami
        self._services = services  # floor and membership as the engine built them (absent without telephony)

    async def revoke(self, user, reason: str, *, keep_session: str | None = None) -> Revoked:
        """End the user's sessions (but `keep_session`, the one changing its own password) and close its pages."""
        done = Revoked()
        done.sessions = await self._sessions.destroy_user(user.id, keep=keep_session)
        if self._hub is not None:
            done.pages = await self._hub.end_user(user.id, reason)
        return done

    async def disable(self, user) -> Revoked:
        done = await self.revoke(user, DISABLED)
        if user.phone_interface:
            await self.remove_from_queues(user.phone_interface, done)
        return done

    def _queues_of(self, interface: str) -> dict[str, set[str]]:
        """server -> queues the phone is a member of, as the live floor and the membership memory know it."""
        found: dict[str, set[str]] = {}
        floor, membership = self._services.get("floor"), self._services.get("membership")
        if floor is not None:
            for (server, iface), agent in floor.agents.items():
                if iface == interface:
                    found.setdefault(server, set()).update(agent.queues)
        if membership is not None:
            for server in self._ami:
                found.setdefault(server, set()).update(m.queue for m in membership.members(server)
                                                       if m.interface == interface)
        return found

    async def remove_from_queues(self, interface: str, done: Revoked) -> None:
        membership = self._services.get("membership")
        for server, queues in self._queues_of(interface).items():
            client = self._ami.get(server)
            for queue in sorted(queues):
                try:
                    if client is None:
                        raise AmiError(f"no AMI client for {server}")
                    await send(client, RemoveMember(queue, interface))
                    done.removed.append((server, queue))
                except AmiError as exc:
                    log.error("revocation: %s not removed from %s on %s: %s", interface, queue, server, exc)
                    done.failed.append(queue)
            if membership is not None:
                membership.forget(server, interface)
