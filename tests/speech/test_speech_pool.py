"""Recognizer pool behaviour with fake recognizers: bounds, reuse, discard, grammar keys."""
from __future__ import annotations

import asyncio
import json

import pytest
from speech_helpers import stray_tasks

from ivr.speech import GrammarError, PoolClosedError, RecognizerPool
from ivr.speech.pool import grammar_key


class FakeRecognizer:
    def __init__(self, key):
        self.key = key
        self.resets = 0
        self.fail_reset = False

    def Reset(self):  # noqa: N802 - vosk's name
        if self.fail_reset:
            raise RuntimeError("reset failed")
        self.resets += 1


class Factory:
    def __init__(self, fail=False):
        self.made: list[FakeRecognizer] = []
        self.fail = fail

    def __call__(self, key):
        if self.fail:
            raise RuntimeError("cannot create recognizer")
        rec = FakeRecognizer(key)
        self.made.append(rec)
        return rec


async def test_given_idle_recognizer_when_acquired_again_then_same_one_is_reused_after_reset():
    factory = Factory()
    pool = RecognizerPool(factory, size=2)
    first = await pool.acquire()
    pool.release(first)
    second = await pool.acquire()
    assert second.recognizer is first.recognizer
    assert second.recognizer.resets == 1
    assert len(factory.made) == 1 and second.uses == 2


async def test_given_pool_full_when_third_caller_acquires_then_it_waits_for_a_release():
    factory = Factory()
    pool = RecognizerPool(factory, size=2)
    a, b = await pool.acquire(), await pool.acquire()
    third = asyncio.create_task(pool.acquire())
    await asyncio.sleep(0)
    assert not third.done()
    assert pool.status()["waiting"] == 1
    pool.release(a)
    async with asyncio.timeout(2):
        c = await third
    assert c.recognizer is a.recognizer
    assert len(factory.made) == 2
    pool.release(b)
    pool.release(c)
    assert pool.status()["pools"] == [{"mode": "free-form", "grammar": None, "idle": 2, "busy": 0}]


async def test_given_broken_recognizer_when_released_then_it_is_discarded_not_reused():
    factory = Factory()
    pool = RecognizerPool(factory, size=1)
    lease = await pool.acquire()
    pool.release(lease, broken=True)
    again = await pool.acquire()
    assert again.recognizer is not lease.recognizer
    assert pool.discarded == 1 and len(factory.made) == 2


async def test_given_lease_context_when_body_raises_then_recognizer_is_discarded():
    factory = Factory()
    pool = RecognizerPool(factory, size=1)
    with pytest.raises(ValueError):
        async with pool.lease() as lease:
            raise ValueError("decode blew up")
    async with pool.lease() as fresh:
        assert fresh.recognizer is not lease.recognizer
    async with pool.lease() as reused:
        assert reused.recognizer is fresh.recognizer


async def test_given_reset_fails_when_released_then_recognizer_is_dropped():
    pool = RecognizerPool(Factory(), size=1)
    lease = await pool.acquire()
    lease.recognizer.fail_reset = True
    pool.release(lease)
    assert pool.discarded == 1
    assert (await pool.acquire()).recognizer is not lease.recognizer


async def test_given_grammar_and_free_form_then_pools_are_kept_apart_and_keyed_by_grammar():
    factory = Factory()
    pool = RecognizerPool(factory, size=1)
    free = await pool.acquire()
    pool.release(free)
    gram = await pool.acquire(["是", "不是"])
    assert gram.recognizer is not free.recognizer
    assert json.loads(gram.recognizer.key) == ["不是", "是"]
    assert free.recognizer.key is None
    pool.release(gram)
    same = await pool.acquire(["不是", "是", "是"])
    assert same.recognizer is gram.recognizer
    pool.release(same)
    modes = sorted(p["mode"] for p in pool.status()["pools"])
    assert modes == ["free-form", "grammar"]


def test_given_unicode_grammar_then_key_keeps_characters_unescaped():
    key = grammar_key(["서울", "  是   的 "])
    assert "서울" in key and "\\u" not in key
    assert json.loads(key) == ["是 的", "서울"]
    assert grammar_key(None) is None


@pytest.mark.parametrize("bad", ["是 不是", b"x", [], [""], ["  "], [1], ["ok", None], 42])
def test_given_bad_grammar_when_keyed_then_grammar_error(bad):
    with pytest.raises(GrammarError) as info:
        grammar_key(bad)
    assert info.value.error_id == "speech.grammar_invalid"


async def test_given_bad_grammar_when_acquiring_then_grammar_error_and_nothing_created():
    factory = Factory()
    pool = RecognizerPool(factory)
    with pytest.raises(GrammarError):
        await pool.acquire([])
    assert factory.made == []


async def test_given_grammar_pool_limit_when_new_grammar_needed_then_least_recent_idle_pool_is_evicted():
    pool = RecognizerPool(Factory(), size=1, max_grammar_pools=1)
    g1 = await pool.acquire(["一"])
    pool.release(g1)
    g2 = await pool.acquire(["二"])
    grammars = [p["grammar"] for p in pool.status()["pools"]]
    assert grammars == [["二"]]
    assert pool.discarded == 1
    pool.release(g2)


async def test_given_grammar_pool_limit_reached_and_busy_when_new_grammar_then_caller_waits():
    pool = RecognizerPool(Factory(), size=1, max_grammar_pools=1)
    g1 = await pool.acquire(["一"])
    waiting = asyncio.create_task(pool.acquire(["二"]))
    await asyncio.sleep(0)
    assert not waiting.done()
    pool.release(g1)
    async with asyncio.timeout(2):
        g2 = await waiting
    assert g2.recognizer.key == '["二"]'


async def test_given_factory_fails_when_acquiring_then_error_propagates_and_slot_is_freed():
    factory = Factory(fail=True)
    pool = RecognizerPool(factory, size=1)
    with pytest.raises(RuntimeError):
        await pool.acquire()
    factory.fail = False
    async with asyncio.timeout(2):
        lease = await pool.acquire()
    assert lease.recognizer is factory.made[0]


async def test_given_waiter_cancelled_then_it_leaves_no_waiter_or_task_behind():
    pool = RecognizerPool(Factory(), size=1)
    lease = await pool.acquire()
    waiting = asyncio.create_task(pool.acquire())
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert pool.status()["waiting"] == 0
    pool.release(lease)
    assert stray_tasks() == set()


async def test_given_creation_in_progress_when_requester_cancelled_then_recognizer_is_kept_idle():
    import threading

    loop = asyncio.get_running_loop()
    gate, started = threading.Event(), asyncio.Event()
    factory = Factory()

    def slow(key):
        loop.call_soon_threadsafe(started.set)
        gate.wait(5)
        return factory(key)

    pool = RecognizerPool(slow, size=1)
    task = asyncio.create_task(pool.acquire())
    async with asyncio.timeout(5):
        await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    gate.set()
    async with asyncio.timeout(5):
        lease = await pool.acquire()
    assert lease.recognizer is factory.made[0]
    assert len(factory.made) == 1


async def test_given_closed_pool_then_waiters_and_new_callers_get_pool_closed_and_releases_discard():
    pool = RecognizerPool(Factory(), size=1)
    lease = await pool.acquire()
    waiting = asyncio.create_task(pool.acquire())
    await asyncio.sleep(0)
    pool.close()
    with pytest.raises(PoolClosedError) as info:
        async with asyncio.timeout(2):
            await waiting
    assert info.value.error_id == "speech.pool_closed"
    with pytest.raises(PoolClosedError):
        await pool.acquire()
    pool.release(lease)
    assert pool.discarded == 1


async def test_given_recognizer_fed_long_audio_when_released_then_it_is_recycled():
    pool = RecognizerPool(Factory(), size=1, recycle_after_seconds=60)
    lease = await pool.acquire()
    lease.audio_seconds = 61
    pool.release(lease)
    assert (await pool.acquire()).recognizer is not lease.recognizer


async def test_given_foreign_lease_when_released_then_value_error():
    pool = RecognizerPool(Factory(), size=1)
    other = RecognizerPool(Factory(), size=1)
    lease = await other.acquire()
    with pytest.raises(ValueError):
        pool.release(lease)


async def test_given_lease_released_twice_then_value_error_and_counts_stay_right():
    pool = RecognizerPool(Factory(), size=2)
    first, second = await pool.acquire(), await pool.acquire()
    pool.release(first)
    with pytest.raises(ValueError):
        pool.release(first)
    assert pool.status()["pools"][0] == {"mode": "free-form", "grammar": None, "idle": 1, "busy": 1}
    pool.release(second)


@pytest.mark.parametrize("kwargs", [{"size": 0}, {"max_grammar_pools": 0}])
def test_given_non_positive_bounds_then_value_error(kwargs):
    with pytest.raises(ValueError):
        RecognizerPool(Factory(), **kwargs)
