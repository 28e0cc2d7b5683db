"""Start-up check: which prompts Asterisk would not find (issue 9.1); the health report says so."""
from __future__ import annotations

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
    sounds = tmp_path / "sounds"
    sounds.mkdir()
    async with running_hotline(tmp_path, config={"ivr": {"sounds_dir": str(sounds)}}) as hotline:
        report = await hotline.engine.health.report()
        assert report.status == "degraded"
        assert report.checks["prompts"].detail["missing"] == len(load_catalogue().names)



def test_given_a_prompt_missing_in_zh_when_asterisk_would_fall_back_to_en_or_no_language_then_it_is_not_missing(
        tmp_path):
    """Asterisk 22 main/file.c: zh_CN, zh, no language, en (trace 17 played hotline/emergency-transfer from
    en/ although zh/ lacked it)."""
    catalogue = load_catalogue()
    for name in catalogue.names:
        path = tmp_path / "zh" / f"{name}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    for gone, fallback in (("hotline/emergency-transfer", tmp_path / "en"), ("hotline/goodbye", tmp_path),
                           ("hotline/invalid", None)):
        (tmp_path / "zh" / f"{gone}.wav").unlink()
        if fallback is not None:
            (fallback / gone).parent.mkdir(parents=True, exist_ok=True)
            (fallback / f"{gone}.gsm").write_bytes(b"x")
    assert missing_prompts(catalogue, tmp_path, ["zh"]) == ["zh/hotline/invalid"]
    assert missing_prompts(catalogue, tmp_path, ["zh_CN"]) == ["zh_CN/hotline/invalid"]  # zh_CN → zh
    # en is tried only as the last resort: a yue channel finds zh's files nowhere
    assert "yue/hotline/welcome" in missing_prompts(catalogue, tmp_path, ["yue"])
    assert "yue/hotline/emergency-transfer" not in missing_prompts(catalogue, tmp_path, ["yue"])


def test_asterisk_search_order_for_a_dialect_and_for_english():
    from ivr.prompts.check import search_order

    assert search_order("zh_CN_x") == ["zh_CN_x", "zh_CN", "zh", "", "en"]
    assert search_order("en") == ["en", ""]
    assert search_order("en_GB") == ["en_GB", "en", ""]
