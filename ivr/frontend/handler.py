"""The FastAGI route `ivr`: mount with `AgiServer({"ivr": make_ivr_handler(deps)})`."""
from __future__ import annotations

import logging

from ivr.fastagi import AgiSession, Handler, UnsafeArgument
from ivr.fastagi.protocol import token
from ivr.frontend.callinfo import call_info
from ivr.frontend.driver import drive
from ivr.frontend.errors import SettingsError
from ivr.frontend.flow import IvrOutcome, ivr_flow
from ivr.frontend.ports import IvrDeps


def make_ivr_handler(deps: IvrDeps, logger: logging.Logger | None = None) -> Handler:
    """Checks at start-up what would otherwise fail on every call (an unusable recordings path)."""
    if not deps.recordings_dir.is_absolute():
        raise SettingsError(f"recordings directory must be absolute (Asterisk resolves RECORD FILE paths "
                            f"against its own directories): {deps.recordings_dir}")
    try:
        token(str(deps.recordings_dir / "intake"), "recordings directory")
    except UnsafeArgument as exc:
        raise UnsafeArgument(f"{exc} - RECORD FILE cannot take this path; choose one without spaces") from None
    log = logger or logging.getLogger("ivr.frontend")

    async def handler(session: AgiSession) -> None:
        outcome: IvrOutcome = await drive(session, ivr_flow(call_info(session.env), deps))
        route = outcome.variables.get("HOTLINE_ACTION", "-")
        log.info("ivr %s line=%s action=%s queue=%s ticket=%s lang=%s hung_up=%s",
                 outcome.call_id, session.env.args[0] if session.env.args else "-", route,
                 outcome.variables.get("HOTLINE_QUEUE", "-"), outcome.ticket or "-", outcome.language,
                 outcome.hung_up)
        for note in outcome.notes:
            log.warning("ivr %s: %s", outcome.call_id, note)

    return handler
