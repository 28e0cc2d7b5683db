"""Typed events over every recorded stream, and the reply shapes of the traced actions."""
from __future__ import annotations

import asyncio

import pytest
from ami_replay import ami_streams, blocks, raw
from test_ami_client import FakeSleep, Recorder, make_client

from hotline.ami import AmiActionError
from hotline.ami.events import (
    EVENT_TYPES, AgentComplete, AttendedTransfer, BlindTransfer, ConfbridgeJoin, GenericEvent, OriginateResponse,
    QueueMember, QueueMemberAdded, to_event,
)
from hotline.ami.protocol import AmiReader


def events_of(trace: str):
    return [to_event(m) for m in AmiReader().feed(raw(f"{trace}.ami1.from_asterisk.bin")) if m.is_event]


def test_given_every_recorded_event_then_conversion_never_fails_and_known_names_get_their_type():
    count = 0
    for path in ami_streams("from_asterisk"):
        for msg in AmiReader().feed(path.read_bytes()):
            if not msg.is_event:
                continue
            event = to_event(msg)
            count += 1
            expected = EVENT_TYPES.get(msg.event, GenericEvent)
            assert type(event) is expected and event.name == msg.event and event.headers is msg
    assert count > 3000


def test_given_member_added_paused_with_chinese_reason_then_typed_fields_match():
    added = [e for e in events_of("12-ami-queue-member-lifecycle") if isinstance(e, QueueMemberAdded)][0]
    assert (added.member_name, added.paused, added.paused_reason) == ("坐席01", True, "登录")
    assert added.last_pause == added.login_time and added.in_call is False and added.ringinuse is False


def test_given_queue_status_member_item_then_name_and_location_map_to_member_fields():
    member = [e for e in events_of("12-ami-queue-member-lifecycle") if isinstance(e, QueueMember)][0]
    assert member.member_name == "坐席01" and member.interface == "Local/agent10@lab-agents"
    assert member.action_id.startswith("ami1-")


def test_given_agent_complete_then_caller_and_agent_blocks_and_reason():
    done = [e for e in events_of("10-ami-queue-waiting-prio") if isinstance(e, AgentComplete)]
    assert done and {e.reason for e in done} <= {"agent", "caller"}
    assert done[0].channel.caller_id_name == "王芳" and done[0].dest.channel.startswith("Local/agent11")
    assert done[0].uniqueid == done[0].channel.uniqueid and done[0].talk_time is not None


def test_given_transfers_and_conference_then_typed_blocks_are_filled():
    blind = [e for e in events_of("05b-ami-blindtransfer") if isinstance(e, BlindTransfer)][0]
    assert blind.is_external is True and blind.extension == "target" and blind.transferee.exten == "500"
    three = [e for e in events_of("09b-ami-linkage-atxfer-threeway") if isinstance(e, AttendedTransfer)][0]
    assert three.dest_type == "Threeway" and three.transfer_target.caller_id_name == "<unknown>"
    join = [e for e in events_of("09a-ami-linkage-confbridge") if isinstance(e, ConfbridgeJoin)][0]
    assert join.conference == "linkage-1001" and join.admin is False and join.muted is False


def test_given_failed_async_originate_then_reason_zero():
    failed = [e for e in events_of("08-ami-originate-status-misc")
              if isinstance(e, OriginateResponse) and e.response == "Failure"]
    assert failed and failed[0].reason == 0


def test_given_garbled_number_then_field_is_none_not_an_exception():
    msg = AmiReader().feed(b"Event: QueueCallerJoin\r\nQueue: q\r\nPosition: x\r\nCount: \r\n\r\n")[0]
    event = to_event(msg)
    assert (event.queue, event.position, event.count, event.channel) == ("q", None, None, None)


# --- reply shapes through the client ------------------------------------------------------------------
T09 = ("09a-ami-linkage-confbridge.ami1.from_asterisk.bin", "09a-ami-linkage-confbridge.ami1.to_asterisk.bin")
T04 = ("04-ami-queue-management.ami1.from_asterisk.bin", "04-ami-queue-management.ami1.to_asterisk.bin")
T06 = ("06-ami-mixmonitor.ami1.from_asterisk.bin", "06-ami-mixmonitor.ami1.to_asterisk.bin")


async def test_given_no_conference_then_confbridge_list_is_empty_not_an_error(ami_server):
    ami_server.use("ConfbridgeList", *T09, index=3)
    client = make_client(ami_server)
    async with asyncio.timeout(5):
        await client.start()
        resp = await client.send("ConfbridgeList", Conference="linkage-1001")
    assert resp.items == () and resp.text == "No active conferences."
    await client.close()


async def test_given_conference_then_confbridge_list_items_come_whole(ami_server):
    ami_server.use("ConfbridgeList", *T09, index=0)
    client = make_client(ami_server)
    async with asyncio.timeout(5):
        await client.start()
        resp = await client.send("ConfbridgeList", Conference="linkage-1001")
    assert len(resp.items) == 3 == resp.reported_items
    assert {m["CallerIDName"] for m in resp.items} >= {"张伟"}
    await client.close()


async def test_given_unknown_cli_command_then_error_keeps_output_lines(ami_server):
    ami_server.use("Command", *T04, index=2)
    client = make_client(ami_server)
    async with asyncio.timeout(5):
        await client.start()
        with pytest.raises(AmiActionError) as err:
            await client.send("Command", Command="no such cli command")
    assert err.value.message == "Command output follows"
    assert err.value.response.output[0].startswith("No such command")
    await client.close()


async def test_given_mixmonitor_then_success_without_message(ami_server):
    ami_server.use("MixMonitor", *T06, index=0)
    client = make_client(ami_server)
    async with asyncio.timeout(5):
        await client.start()
        resp = await client.send("MixMonitor", Channel="Local/500@xfer-00000001;2", File="/var/spool/r/x.wav")
    assert resp.ok and resp.text is None and list(resp.message) == ["Response", "ActionID"]
    await client.close()


@pytest.mark.parametrize("event_first", [True, False], ids=["event-first", "response-first"])
async def test_given_blind_transfer_in_either_order_then_response_ok_and_event_reaches_subscribers(
        ami_server, event_first):
    # README fact 26 says the event comes first; the bytes of trace 05b show the response first.
    data = raw("05b-ami-blindtransfer.ami1.from_asterisk.bin")
    all_blocks = blocks(data)
    event = next(b for b in all_blocks if b.startswith(b"Event: BlindTransfer"))
    response = next(b for b in all_blocks if b.endswith(b"Message: Transfer succeeded"))
    assert all_blocks.index(response) < all_blocks.index(event)
    old = response.split(b"\r\n")[1].split(b": ")[1].decode()
    ami_server.replies["blindtransfer"] = ([event, response] if event_first else [response, event], old)
    client = make_client(ami_server, sleep=FakeSleep())
    seen = Recorder(want=1)
    client.subscribe(seen, events=["BlindTransfer"], typed=True)
    async with asyncio.timeout(5):
        await client.start()
        resp = await client.send("BlindTransfer", Channel="Local/agent3@agents-00000021;1", Exten="target",
                                 Context="xfer")
        await seen.done.wait()
    assert resp.text == "Transfer succeeded"
    assert isinstance(seen.events[-1], BlindTransfer) and seen.events[-1].result == "Success"
    await client.close()
