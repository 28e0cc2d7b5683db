"""manager.conf `read =` classes and Asterisk 22 eventfilters per user, with the shipped manager.conf.sample lines."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from asterisk_standin.ami_filters import EventFilters, FilterCompileError, FilterError, parse_filter
from asterisk_standin.ami_privileges import ALL, PERMS, event_category, events_mask, perm_mask
from asterisk_standin.lab_config import LabConfig
from asterisk_standin.people import Citizen, press
from asterisk_standin.standin import Standin

from .amiclient import AmiTestClient, get

SAMPLE = Path(__file__).resolve().parents[2] / "asterisk-config" / "manager.conf.sample"
NEWCHANNEL = ("Newchannel", [("Event", "Newchannel"), ("Privilege", "call,all"), ("Channel", "XXX"), ("Someheader", "YYY")])
VARSET = ("VarSet", [("Event", "VarSet"), ("Privilege", "dialplan,all"), ("Channel", "ABC"), ("Someheader", "XXX")])
EXTENSIONS = r"""
[test]
exten => s,1,Set(__HOTLINE_LINE=12345)
 same => n,Set(SCRATCH=1)
 same => n,Answer()
 same => n,Wait(2)
 same => n,Hangup()
"""


def _sample_hotline_lines() -> list[str]:
    """`read =`/`write =` and every eventfilter of the shipped [hotline] user."""
    lines = SAMPLE.read_text("utf-8").split("[hotline]", 1)[1].splitlines()
    return [line for line in lines if line.startswith(("read", "write", "eventfilter"))]


def _allows(criteria: str, pattern: str, event) -> bool:
    filters = EventFilters()
    filters.add(parse_filter(criteria, pattern))
    return filters.allows(*event)


@pytest.mark.parametrize(("criteria", "pattern", "event", "sent"), [
    ("eventfilter", "XXX", NEWCHANNEL, True),
    ("eventfilter", "!XXX", VARSET, False),
    ("eventfilter(name(VarSet),method(none))", "", VARSET, True),
    ("eventfilter(name(VarSet),method(none))", "", NEWCHANNEL, False),
    ("eventfilter(name(Newchannel),method(regex))", "X[XYZ]X", NEWCHANNEL, True),
    ("eventfilter(name(Newchannel),method(regex))", "X[abc]X", NEWCHANNEL, False),
    ("eventfilter(action(exclude),name(Newchannel),method(regex))", "X[XYZ]X", NEWCHANNEL, False),
    ("eventfilter(action(exclude),name(Newchannel),method(regex))", "X[abc]X", NEWCHANNEL, True),
    ("eventfilter(action(include),name(VarSet),header(Channel),method(starts_with))", "AB", VARSET, True),
    ("eventfilter(action(include),name(VarSet),header(Channel),method(ends_with))", "BC", VARSET, True),
    ("eventfilter(action(include),name(VarSet),header(Channel),method(exact))", "ABC", VARSET, True),
    ("eventfilter(action(include),name(VarSet),header(Channel),method(exact))", "XXX", VARSET, False),
    ("eventfilter(action(include),name(VarSet),header(Channel),method(contains))", "B", VARSET, True),
    ("eventfilter(name(VarSet),header(Channel),method(exact))", "!ZZZ", VARSET, True),
    ("eventfilter(action(include),name(VarSet),header(Someheader),method(exact))", "!XXX", VARSET, True),
    ("eventfilter(header(Missing),method(contains))", "X", VARSET, False),
])
def test_given_one_filter_when_event_checked_then_sent_as_manager_c_decides(criteria, pattern, event, sent):
    assert _allows(criteria, pattern, event) is sent


@pytest.mark.parametrize(("criteria", "pattern"), [
    ("eventfilter(action(include)", ""), ("eventfilter(action(inlude))", ""), ("eventfilter(nnnn(yyy))", "XXX"),
    ("eventfilter(name(yyy),heder(VarSet),method(contains))", "XXX"), ("eventfilter(method(yyy))", "XXX"),
    ("eventfilter(name(VarSet))", "XXX"), ("eventfilter(name(VarSet),method(regex))", ""), ("eventfilter(action(include))", ""),
    ("eventfilter", ""), ("eventfilter", "!"), ("eventfilter()", "XXX"), ("eventfilter(name())", ""),
])
def test_given_malformed_filter_when_parsed_then_format_error(criteria, pattern):
    with pytest.raises(FilterError) as err:
        parse_filter(criteria, pattern)
    assert err.value.error_id == "standin.ami_filter"


@pytest.mark.parametrize(("criteria", "pattern"), [("eventfilter", "XX[X"), ("eventfilter(method(regex))", "XX[X")])
def test_given_bad_regex_when_parsed_then_compile_error(criteria, pattern):
    with pytest.raises(FilterCompileError) as err:
        parse_filter(criteria, pattern)
    assert err.value.error_id == "standin.ami_filter_regex"


def test_given_include_and_exclude_filters_then_include_first_then_exclude():
    filters = EventFilters()
    filters.add(parse_filter("eventfilter(action(include),name(Newchannel))", ""))
    filters.add(parse_filter("eventfilter(action(exclude),header(Channel),method(starts_with))", "Local/"))
    local = [("Event", "Newchannel"), ("Privilege", "call,all"), ("Channel", "Local/1@x-00000001;1")]
    trunk = [("Event", "Newchannel"), ("Privilege", "call,all"), ("Channel", "PJSIP/trunk-00000002")]
    assert [filters.allows("Newchannel", m) for m in (local, trunk)] == [False, True]
    assert not filters.allows("Hangup", [("Event", "Hangup"), ("Privilege", "call,all"), ("Channel", "PJSIP/trunk-00000002")])


def test_given_permission_strings_then_masks_as_manager_c():
    assert perm_mask("system,call,agent,user,dialplan") == PERMS["system"] | PERMS["call"] | PERMS["agent"] | PERMS["user"] | PERMS["dialplan"]
    assert perm_mask("all") == ALL and perm_mask("") == 0 and perm_mask("Call,bogus") == 0
    assert event_category("call,all") == PERMS["call"] and event_category("security,all") == PERMS["security"]
    assert (events_mask("on"), events_mask("off"), events_mask("7"), events_mask(""), events_mask("agent")) == (ALL, 0, 7, -1, PERMS["agent"])


def test_given_sample_user_with_one_broken_filter_when_loaded_then_broken_one_is_skipped(tmp_path, caplog):
    lines = _sample_hotline_lines() + ["eventfilter(nosuch(x)) = y"]
    (tmp_path / "manager.conf").write_text("[hotline]\nsecret = t3st\n" + "\n".join(lines) + "\n", "utf-8")
    user = LabConfig.load(tmp_path).users["hotline"]
    assert len(user.filters.include) == sum(1 for line in lines if line.startswith("eventfilter(action(include)"))
    assert user.read == "system,call,agent,user,dialplan"
    assert "nosuch" in caplog.text


@pytest.fixture
async def filtered(tmp_path):
    (tmp_path / "extensions.conf").write_text(EXTENSIONS, "utf-8")
    manager = "[general]\nenabled = yes\n[eng]\nsecret = s3cret\nread = all\nwrite = all\n"
    manager += "[hotline]\nsecret = t3st-hotline\n" + "\n".join(_sample_hotline_lines()) + "\n"
    (tmp_path / "manager.conf").write_text(manager, "utf-8")
    s = Standin(tmp_path, time_scale=0.02, auth_fail_delay=0.01)
    await s.start()
    clients = [await AmiTestClient.connect(s.ami.port) for _ in range(2)]
    yield s, clients
    for client in clients:
        await client.close()
    await s.stop()


async def test_given_sample_hotline_user_when_a_call_runs_then_it_gets_only_the_engine_events(filtered):
    s, (engine, everything) = filtered
    await engine.action("Login", Username="hotline", Secret="t3st-hotline")
    await everything.action("Login", Username="eng", Secret="s3cret")
    out = Citizen("13800138000", "张伟", dialed="s", context="test", script=[press("5", at=0.5)]).place(s.pbx)
    await engine.action("UserEvent", UserEvent="HotlineProbe", Note="x")
    async with asyncio.timeout(5):
        await out.done.wait()
    await everything.event("Hangup", Channel=out.channel)
    await engine.event("Hangup", Channel=out.channel)
    names = [get(m, "Event") for m in engine.messages if get(m, "Event")]
    allowed = {line.split("name(")[1].split(")")[0] for line in _sample_hotline_lines() if "name(" in line}
    assert set(names) <= allowed
    assert {"FullyBooted", "Newchannel", "Newstate", "VarSet", "UserEvent", "Hangup"} <= set(names)
    assert [get(m, "Variable") for m in engine.messages if get(m, "Event") == "VarSet"] == ["__HOTLINE_LINE"]
    seen_by_all = {get(m, "Event") for m in everything.messages}
    assert {"Newexten", "DTMFEnd", "SuccessfulAuth"} <= seen_by_all
    assert {"SCRATCH", "__HOTLINE_LINE"} <= {get(m, "Variable") for m in everything.messages if get(m, "Event") == "VarSet"}


async def test_given_session_when_filter_action_adds_one_then_only_matching_events_follow(filtered):
    s, (client, _) = filtered
    await client.action("Login", Username="eng", Secret="s3cret")
    bad = await client.action("Filter", Operation="Add", MatchCriteria="name(UserEvent),method(regex)", Filter="[")
    unknown = await client.action("Filter", Operation="Remove", Filter="x")
    ok = await client.action("Filter", Operation="Add", MatchCriteria="action(include),name(UserEvent)")
    assert [get(m, "Message") for m in (bad, unknown, ok)] == [
        "Filter did not compile.  Check the syntax of the filter given.", "Unknown operation", "Success"]
    await client.action("UserEvent", UserEvent="Probe")
    await client.action("Ping")
    assert await client.event("UserEvent", UserEvent="Probe")
    start = len(client.messages)
    out = Citizen("13800138000", dialed="s", context="test").place(s.pbx)
    s.pbx.request_hangup(s.pbx.channels[out.channel])
    async with asyncio.timeout(5):
        await out.done.wait()
    await client.action("UserEvent", UserEvent="After")
    await client.event("UserEvent", UserEvent="After")
    assert {get(m, "Event") for m in client.messages[start:] if get(m, "Event")} == {"UserEvent"}


async def test_given_events_action_with_class_mask_then_only_those_classes_and_empty_mask_is_an_error(filtered):
    s, (client, _) = filtered
    await client.action("Login", Username="eng", Secret="s3cret", Events="off")
    empty = await client.action("Events", EventMask="")
    agent_only = await client.action("Events", EventMask="user")
    assert (get(empty, "Message"), get(agent_only, "Events")) == ("Invalid event mask", "On")
    start = len(client.messages)
    out = Citizen("13800138000", dialed="s", context="test").place(s.pbx)
    s.pbx.request_hangup(s.pbx.channels[out.channel])
    async with asyncio.timeout(5):
        await out.done.wait()
    await client.action("UserEvent", UserEvent="After")
    await client.event("UserEvent", UserEvent="After")
    assert {get(m, "Event") for m in client.messages[start:] if get(m, "Event")} == {"UserEvent"}


async def test_given_sample_hotline_user_when_it_sends_a_cli_command_then_permission_denied_but_its_actions_work(filtered):
    _, (client, _) = filtered
    await client.action("Login", Username="hotline", Secret="t3st-hotline")
    denied = await client.action("Command", Command="core show channels")
    ping = await client.action("Ping")
    status = await client.action("CoreStatus")
    assert (get(denied, "Response"), get(denied, "Message")) == ("Error", "Permission denied")
    assert get(ping, "Response") == get(status, "Response") == "Success"
