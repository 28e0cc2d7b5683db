"""What the service does when Asterisk refuses or does not answer: the ledger tells the truth."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from hotline.ami import events as ev
from hotline.ami.errors import AmiActionError, AmiTimeout
from hotline.ami.protocol import AmiReader
from hotline.db import make_engine, make_sessionmaker
from transfer.agent_calls import AgentCalls
from transfer.errors import TransferError
from transfer.ledger import Ledger
from transfer.models import LedgerRow
from transfer.service import TransferService
from transfer.settings import TransferSettings


@dataclass
class User:
    username: str = "agent01"
    phone_interface: str | None = "PJSIP/8101"


class FakeClient:
    def __init__(self, fail: BaseException | None) -> None:
        self.fail = fail
        self.sent: list[str] = []

    async def send(self, name, fields):
        self.sent.append(name)
        if self.fail is not None:
            raise self.fail
        return {"Response": "Success"}


def _event(text: str) -> ev.AmiEvent:
    (msg,) = AmiReader().feed(b"Asterisk Call Manager/11.0.0\r\n" + text.replace("\n", "\r\n").encode() + b"\r\n\r\n")
    return ev.to_event(msg)


CONNECT = """Event: AgentConnect
Channel: PJSIP/trunk-00000001
CallerIDNum: 13800138000
Linkedid: 1.1
DestChannel: PJSIP/8101-00000002
Queue: hotline-general
Interface: PJSIP/8101"""


@pytest.fixture
async def make_service(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: LedgerRow.__table__.create(sync))
    services = []

    def build(fail):
        client = FakeClient(fail)
        service = TransferService(ledger=Ledger(make_sessionmaker(engine)), clients={"standin": client},
                                  calls=AgentCalls(), tickets=None, clock=lambda: datetime.now(UTC),
                                  settings=TransferSettings({"119": "PJSIP/119@emergency-trunk"}))
        service.start()
        service.handle(_event(CONNECT))
        services.append(service)
        return service, client

    yield build
    for service in services:
        await service.aclose()
    await engine.dispose()


async def test_given_asterisk_refuses_the_blind_transfer_when_clicking_119_then_502_and_the_row_says_failed(make_service):
    service, client = make_service(AmiActionError("BlindTransfer", "Transfer failed: Invalid"))
    with pytest.raises(TransferError) as err:
        await service.emergency(User(), "119", "blind", "着火")
    assert (err.value.error_id, err.value.status) == ("transfer.ami.refused", 502)
    (row,) = await service.ledger.list()
    assert (row.state, row.result, row.detail) == ("failed", "failed", "Transfer failed: Invalid")
    assert row.ended_at is not None and client.sent == ["BlindTransfer"]


async def test_given_no_answer_to_the_blind_transfer_when_clicking_119_then_504_and_the_events_still_decide(make_service):
    service, client = make_service(AmiTimeout("no complete answer"))
    with pytest.raises(TransferError) as err:
        await service.emergency(User(), "119", "blind")
    assert err.value.error_id == "transfer.ami.no_answer"
    (row,) = await service.ledger.list()
    assert (row.state, row.result) == ("requested", None)
    service.handle(_event("""Event: BlindTransfer
Result: Success
TransfererChannel: PJSIP/8101-00000002
TransfereeChannel: PJSIP/trunk-00000001
Context: emergency-linkage
Extension: 119"""))
    await service.drain()
    assert (await service.ledger.get(row.id)).state == "dialing"


async def test_given_asterisk_refuses_the_originate_when_starting_a_threeway_then_the_row_says_failed(make_service):
    service, client = make_service(AmiActionError("Originate", "Originate failed"))
    with pytest.raises(TransferError):
        await service.emergency(User(), "119", "threeway")
    (row,) = await service.ledger.list()
    assert (row.state, row.result, row.mode) == ("failed", "failed", "threeway")


async def test_given_a_transfer_under_way_when_clicking_again_then_409(make_service):
    service, client = make_service(AmiTimeout("no complete answer"))
    with pytest.raises(TransferError):
        await service.emergency(User(), "119", "blind")
    with pytest.raises(TransferError) as err:
        await service.emergency(User(), "119", "blind")
    assert (err.value.error_id, err.value.status) == ("transfer.busy", 409)


def _conference_event(kind: str, channel: str, conference: str = "linkage-1") -> ev.AmiEvent:
    return _event(f"Event: {kind}\nConference: {conference}\nChannel: {channel}")


async def test_given_another_agents_threeway_when_leaving_then_403_and_nobody_is_hung_up(make_service):
    service, client = make_service(None)
    client.send = _answering(client, {"Response": "Success", "ActionID": "t-1"})
    entry = await service.emergency(User(), "119", "threeway")
    service.handle(_event("Event: OriginateResponse\nActionID: t-1\nResponse: Success\nChannel: PJSIP/119-3\nReason: 4"))
    service.handle(_conference_event("ConfbridgeJoin", "PJSIP/trunk-00000001"))
    service.handle(_conference_event("ConfbridgeJoin", "PJSIP/8101-00000002"))
    await service.drain()
    assert (await service.get(entry.id)).state == "conference"
    assert client.sent == ["Originate", "Redirect"]
    with pytest.raises(TransferError) as err:
        await service.leave(User("agent02", "PJSIP/8102"), entry.id)
    assert (err.value.error_id, err.value.status) == ("transfer.leave.not_yours", 403)
    await service.leave(User(), entry.id)
    assert client.sent[-1] == "Hangup"


def _answering(client: FakeClient, answer: dict):
    async def send(name, fields):
        client.sent.append(name)
        return answer
    return send
