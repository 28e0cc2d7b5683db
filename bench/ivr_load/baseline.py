"""Child process: the minimal hand-written FastAGI responder the front end is compared with.

It answers the same calls with the same commands the `ivr` route sends (12 for a 12345 call
with an agent free, 18 for a 12315 call with intake) but decides nothing: the script is fixed
per dialed line, no database, no live queue state, no ticket, no limits, no typed results.

    python -m bench.ivr_load.baseline --data-dir DIR
"""
from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from bench.ivr_load.child import CallRecord, Recorder, control_loop, say

ANY_KEY = '"0123456789*#"'
HEAD = ["GET FULL VARIABLE ${CHANNEL(linkedid)}", 'SET VARIABLE CHANNEL(language) "zh"',
        'STREAM FILE hotline/welcome "0"']
INTAKE = ["STREAM FILE hotline/intake-invite " + ANY_KEY, "RECORD FILE {path} wav " + ANY_KEY + " 60000 0 BEEP s=3",
          'STREAM FILE hotline/intake-thanks ""', 'STREAM FILE hotline/ticket-number ""',
          'SAY DIGITS 20260101000001 ""', 'STREAM FILE hotline/ticket-number-after ""']  # the number read back


def variables(queue: str, overflow: str, after: str, ticket: str) -> list[str]:
    pairs = [("HOTLINE_LANG", "zh"), ("HOTLINE_TICKET", ticket), ("HOTLINE_QUEUE", queue),
             ("HOTLINE_OVERFLOW_QUEUE", overflow), ("HOTLINE_OVERFLOW_AFTER", after), ("HOTLINE_DIAL", ""),
             ("HOTLINE_QUEUE_POSITION", "1"), ("HOTLINE_EMERGENCY", ""), ("HOTLINE_ACTION", "queue")]
    return [f'SET VARIABLE {name} "{value}"' for name, value in pairs]


SCRIPTS = {
    "12345": HEAD + variables("hotline-general", "", "0", ""),
    "12315": HEAD + INTAKE + variables("line-12315", "hotline-general", "60", "20260101000001"),
}


def make_handler(recorder: Recorder, record_dir: Path, active: set):
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        active.add(asyncio.current_task())
        env = {}
        while (raw := await reader.readline()) not in (b"\n", b""):
            key, _, value = raw.decode().rstrip("\n").partition(": ")
            env[key] = value
        call = recorder.begin(env.get("agi_arg_1", ""))
        try:
            await converse(reader, writer, call, env, record_dir)
        except Exception as exc:  # noqa: BLE001 - reported, the bench goes on
            call.error = f"{type(exc).__name__}: {exc}"
        finally:
            call.ended = time.perf_counter()
            writer.close()
            active.discard(asyncio.current_task())

    return handle


async def converse(reader, writer, call: CallRecord, env: dict, record_dir: Path) -> None:
    last = call.started
    path = record_dir / env.get("agi_uniqueid", "x")
    for line in SCRIPTS.get(call.line, SCRIPTS["12345"]):
        line = line.replace("{path}", str(path))
        sent = time.perf_counter()
        call.think.append(sent - last)
        writer.write(line.encode() + b"\n")
        await writer.drain()
        reply = await reader.readline()
        if reply == b"HANGUP\n":
            call.hung_up = True
            reply = await reader.readline()
        last = time.perf_counter()
        call.rtt.append(last - sent)
        call.commands.append(line)
        if not reply.startswith(b"200"):
            call.error = reply.decode(errors="replace").strip()
            return


async def main(args: argparse.Namespace) -> None:
    recorder = Recorder()
    record_dir = args.data_dir / "intake"
    record_dir.mkdir(parents=True, exist_ok=True)
    active: set = set()
    server = await asyncio.start_server(make_handler(recorder, record_dir, active), "127.0.0.1", 0, backlog=1024)
    say({"agi_port": server.sockets[0].getsockname()[1]})

    async def status() -> dict:
        return {"active": len(active)}

    try:
        await control_loop(recorder, status)
    finally:
        server.close()
        await server.wait_closed()
        say({"tasks_after_cleanup": len(asyncio.all_tasks()) - 1})


def run(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, required=True)
    asyncio.run(main(parser.parse_args(argv)))


if __name__ == "__main__":
    run()
