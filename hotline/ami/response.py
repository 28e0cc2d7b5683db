"""The answer to one action: the Response message plus, for list actions, the item events."""
from __future__ import annotations

from dataclasses import dataclass

from hotline.ami.message import Message


@dataclass(frozen=True)
class AmiResponse:
    action: str
    message: Message
    items: tuple[Message, ...] = ()
    complete: Message | None = None

    @property
    def ok(self) -> bool:
        return self.message.get("Response") in ("Success", "Goodbye", "Follows")

    @property
    def text(self) -> str | None:
        """Asterisk's ``Message:`` header (absent for e.g. Ping and MixMonitor)."""
        return self.message.get("Message")

    @property
    def output(self) -> list[str]:
        """``Output:`` lines of a Command action, in order."""
        return self.message.getall("Output")

    @property
    def reported_items(self) -> int | None:
        """``ListItems`` of the …Complete event (compare with ``len(items)``)."""
        if self.complete is None:
            return None
        value = self.complete.get("ListItems")
        return int(value) if value and value.isdigit() else None

    def __getitem__(self, key: str) -> str:
        return self.message[key]

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.message.get(key, default)
