"""AMI session and bad input, compared with traces 01 and 07."""
from __future__ import annotations

import asyncio

from .amiclient import get, split_messages, trace_messages, TRACES


async def test_given_no_login_when_ping_then_permission_denied_and_socket_stays_open(standin, connect):
    c = await connect()
    resp = await c.action("Ping", ActionID="ami1-1")
    assert resp == [("Response", "Error"), ("ActionID", "ami1-1"), ("Message", "Permission denied")]
    assert c.raw.startswith(b"Asterisk Call Manager/11.0.0\r\nResponse")
    await c.login()
    await c.close()


async def test_given_wrong_secret_when_login_then_auth_failed_and_server_closes(standin, connect):
    c = await connect()
    c.send("Login", ActionID="ami1-2", Username="eng", Secret="wrong-password")
    async with asyncio.timeout(3):
        await c.closed.wait()
    assert c.messages == [[("Response", "Error"), ("ActionID", "ami1-2"), ("Message", "Authentication failed")]]
    await c.close()


async def test_given_good_login_with_events_then_fullybooted_and_successfulauth_shapes_match_trace(standin, connect):
    c = await connect()
    await c.action("Login", ActionID="ami3-1", Username="eng", Secret="test-secret", Events="on")
    await c.event("SuccessfulAuth")
    ours = [[k for k, _ in m] for m in c.messages[:3]]
    theirs = [[k for k, _ in m] for m in trace_messages("01-ami-basic", "ami3")[:3]]
    assert ours == theirs
    pong = await c.action("Ping", ActionID="x")
    assert [k for k, _ in pong] == ["Response", "ActionID", "Ping", "Timestamp"]
    assert len(get(pong, "Timestamp").split(".")[1]) == 6
    ev = await c.action("Events", ActionID="e", EventMask="off")
    assert ev == [("Response", "Success"), ("ActionID", "e"), ("Events", "Off")]
    bye = await c.action("Logoff", ActionID="b")
    assert bye == [("Response", "Goodbye"), ("ActionID", "b"), ("Message", "Thanks for all the fish.")]
    async with asyncio.timeout(2):
        await c.closed.wait()
    await c.close()


async def test_given_md5_challenge_when_login_with_key_then_accepted_without_events(standin, connect):
    import hashlib

    c = await connect()
    ch = await c.action("Challenge", ActionID="c1", AuthType="MD5")
    key = hashlib.md5((get(ch, "Challenge") + "test-secret").encode()).hexdigest()
    ok = await c.action("Login", ActionID="c2", AuthType="MD5", Username="eng", Key=key, Events="off")
    assert get(ok, "Message") == "Authentication accepted"
    assert len(c.messages) == 2
    await c.close()


async def test_given_trace_07_bad_input_bytes_when_replayed_then_responses_equal_trace_except_timestamps(standin, connect):
    """Replays the exact byte stream the capture tool sent (secret swapped) and compares every response."""
    sent = (TRACES / "raw" / "07-ami-bad-input.ami1.to_asterisk.bin").read_bytes().replace(b"Secret: ********", b"Secret: test-secret")
    c = await connect()
    c.send_raw(sent)
    async with asyncio.timeout(5):
        await c.closed.wait()
    ours = split_messages(c.raw)
    theirs = trace_messages("07-ami-bad-input", "ami1")

    def norm(msgs):
        out = []
        for m in msgs:
            if m[0][0] == "Event":
                continue
            out.append([(k, "*" if k in ("Timestamp", "Output") else v) for k, v in m])
        return out

    assert norm(ours) == norm(theirs)
    await c.close()


async def test_given_http_garbage_before_login_then_missing_action(standin, connect):
    c = await connect()
    c.send_raw(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    msg = await c.wait_for(lambda m: True)
    assert msg == [("Response", "Error"), ("Message", "Missing action in request")]
    await c.close()


async def test_given_unknown_action_then_error_and_request_bad_format_event(ami):
    resp = await ami.action("Queues", ActionID="q")
    assert get(resp, "Message") == "Invalid/unknown command: Queues. Use Action: ListCommands to show available commands."
    ev = await ami.event("RequestBadFormat")
    assert get(ev, "RequestType") == "Action: Queues"
    theirs = [m for m in trace_messages("04-ami-queue-management") if m[0] == ("Event", "RequestBadFormat")][0]
    assert [k for k, _ in ev] == [k for k, _ in theirs]
