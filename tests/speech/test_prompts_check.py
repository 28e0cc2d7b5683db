"""Start-up check: which prompts Asterisk would not find (issue 9.1); /healthz says so."""
from __future__ import annotations

import json

from aiohttp.test_utils import make_mocked_request

from hotline.testing import running_hotline
from ivr.prompts import load_catalogue
from ivr.prompts.check import missing_prompts


def test_given_a_sounds_dir_then_each_prompt_without_a_playable_file_is_named(tmp_path):
    catalogue = load_catalogue()
    assert missing_prompts(catalogue, tmp_path, ["zh"]) == [f"zh/{n}" for n in catalogue.names]
    for name in catalogue.names:
        path = tmp_path / "zh" / f"{name}.{'gsm' if name.endswith('welcome') else 'wav'}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    (tmp_path / "zh" / "hotline" / "goodbye.wav").unlink()
    assert missing_prompts(catalogue, tmp_path, ["zh"]) == ["zh/hotline/goodbye"]
    assert len(missing_prompts(catalogue, tmp_path, ["zh", "en"])) == 1 + len(catalogue.names)


async def test_given_an_engine_that_sees_no_prompts_then_healthz_is_degraded_and_counts_them(tmp_path):
    from hotline.engine import _health

    sounds = tmp_path / "sounds"
    sounds.mkdir()
    async with running_hotline(tmp_path, config={"ivr": {"sounds_dir": str(sounds)}}) as hotline:
        response = await _health(make_mocked_request("GET", "/healthz", app=hotline.app))
        body = json.loads(response.text)
        assert body["status"] == "degraded" and body["prompts_missing"] == len(load_catalogue().names)
