"""Each transfer action object sends exactly the AMI fields Asterisk 22 understood in the traces."""
from __future__ import annotations

import pytest

from hotline.ami.errors import AmiActionError
from transfer import actions as act


class RecordingClient:
    def __init__(self, error: str | None = None) -> None:
        self.sent: list[tuple[str, dict]] = []
        self.error = error

    async def send(self, name, fields):
        self.sent.append((name, fields))
        if self.error:
            raise AmiActionError(name, self.error)
        return {"Response": "Success"}


async def _sent(action) -> tuple[str, dict]:
    client = RecordingClient()
    await act.send(client, action)
    (sent,) = client.sent
    return sent


async def test_given_a_citizen_and_agent_when_dual_redirecting_then_both_fields_sets_are_sent_as_in_09a():
    sent = await _sent(act.Redirect("PJSIP/trunk-00000001", "hotline-conference", "7",
                                    extra_channel="PJSIP/8001-00000002"))
    assert sent == ("Redirect", {"Channel": "PJSIP/trunk-00000001", "Context": "hotline-conference", "Exten": "7",
                                 "Priority": "1", "ExtraChannel": "PJSIP/8001-00000002",
                                 "ExtraContext": "hotline-conference", "ExtraExten": "7", "ExtraPriority": "1"})


async def test_given_one_channel_when_redirecting_then_no_extra_fields_are_sent():
    assert await _sent(act.Redirect("PJSIP/8001-00000002", "hotline-agents", "wrapup")) == (
        "Redirect", {"Channel": "PJSIP/8001-00000002", "Context": "hotline-agents", "Exten": "wrapup", "Priority": "1"})


async def test_given_the_agent_channel_when_blind_transferring_to_119_then_the_linkage_context_is_named():
    assert await _sent(act.BlindTransfer("PJSIP/8001-00000002", "emergency-linkage", "119")) == (
        "BlindTransfer", {"Channel": "PJSIP/8001-00000002", "Context": "emergency-linkage", "Exten": "119"})


async def test_given_the_agent_channel_when_starting_an_attended_transfer_then_exten_and_context_are_sent():
    assert await _sent(act.Atxfer("PJSIP/8001-00000002", "emergency-linkage", "119")) == (
        "Atxfer", {"Channel": "PJSIP/8001-00000002", "Exten": "119", "Context": "emergency-linkage"})


async def test_given_an_emergency_dial_string_when_originating_then_it_goes_straight_into_the_quiet_conference():
    sent = await _sent(act.OriginateIntoConference("PJSIP/119@emergency-trunk", "linkage-7",
                                                   "13800138000 <13800138000>", 60))
    assert sent == ("Originate", {"Channel": "PJSIP/119@emergency-trunk", "Application": "ConfBridge",
                                  "Data": "linkage-7,linkage_bridge,linkage_user",
                                  "CallerID": "13800138000 <13800138000>", "Timeout": "60000", "Async": "true"})


async def test_given_a_caller_id_with_a_line_break_when_originating_then_it_cannot_inject_a_header():
    name, fields = await _sent(act.OriginateIntoConference("PJSIP/9001", "linkage-1", "张伟\r\nAction: Hangup", 30))
    assert fields["CallerID"] == "张伟 Action: Hangup"


async def test_given_the_agent_channel_when_leaving_then_a_normal_clearing_hangup_is_sent():
    assert await _sent(act.Hangup("PJSIP/8001-00000002")) == ("Hangup", {"Channel": "PJSIP/8001-00000002",
                                                                          "Cause": "16"})


async def test_given_a_conference_when_kicking_then_every_participant_is_named():
    assert await _sent(act.ConfbridgeKick("linkage-7")) == ("ConfbridgeKick", {"Conference": "linkage-7",
                                                                               "Channel": "all"})


async def test_given_a_sub_center_when_setting_the_dial_variable_then_value_is_one_line():
    assert await _sent(act.Setvar("PJSIP/trunk-1", "HOTLINE_DIAL", "PJSIP/9001\n")) == (
        "Setvar", {"Channel": "PJSIP/trunk-1", "Variable": "HOTLINE_DIAL", "Value": "PJSIP/9001"})


async def test_given_asterisk_refuses_when_sending_then_the_typed_error_reaches_the_caller():
    with pytest.raises(AmiActionError, match="Channel specified does not exist"):
        await act.send(RecordingClient("Channel specified does not exist"), act.BlindTransfer("PJSIP/x", "c", "1"))
