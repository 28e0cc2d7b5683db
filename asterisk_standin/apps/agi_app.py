"""AGI(agi://host:port/script?query,arg1,…): FastAGI only (no local scripts in the stand-in)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..agi_client import run_fastagi

if TYPE_CHECKING:
    from ..channels import Channel
    from ..pbx import Pbx


async def agi_app(pbx: Pbx, chan: Channel, data: str) -> str | None:
    url, *args = data.split(",")
    if not url.startswith("agi://"):
        status = "FAILURE"
    else:
        status = await run_fastagi(pbx, chan, url.strip(), args)
    if chan.gone:
        return "hangup"
    pbx.set_var(chan, "AGISTATUS", status)
    if not chan.alive:
        return "hangup"
    return None
