"""Knowledge-base search latency at Guangxi scale (12,305 entries), against a substring scan.

Measured in one run on the same synthetic corpus (knowledge/synthetic.py): the import into SQLite
(parse + upsert), the BM25F index build (jieba segmentation of every entry) and the memory it holds,
then p50/p99 latency of `KnowledgeBase.search` and `suggest` over realistic queries. Baseline: a
plain scan of every valid entry counting which query words occur as substrings, the way a naive
knowledge page searches. Also reported: how often the top hit is the entry's own topic (sanity).

    .venv/bin/python -m bench.knowledge [--quick] [--entries 12305] [--queries 400]
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import gc
import io
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

if not __package__:  # run as `python bench/knowledge.py`: this file must not shadow the knowledge package
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import psutil  # noqa: E402

from hotline.db import Base, make_engine, make_sessionmaker  # noqa: E402
from knowledge.index import terms  # noqa: E402
from knowledge.models import KbEntry  # noqa: E402
from knowledge.service import KnowledgeBase  # noqa: E402
from knowledge.synthetic import CITIES, DEPARTMENTS, GUANGXI_SIZE, generate_corpus  # noqa: E402

TODAY = date(2025, 6, 1)
NOW = datetime(2025, 6, 1, 2, 0, tzinfo=UTC)
ASKS = ("{topic}怎么弄", "我想问一下{topic}要带什么材料", "{city}哪里可以办{topic}", "{topic}", "请问{topic}要多久",
        "在{city}{topic}网上能办吗", "你好，我是{city}的，{topic}收不收费")


def to_csv(drafts) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["编号", "问题", "答案", "责任部门", "生效日期", "失效日期", "关键词"])
    for d in drafts:
        writer.writerow([d.key, d.question, d.answer, d.department, d.valid_from or "", d.valid_to or "",
                         "、".join(d.keywords)])
    return out.getvalue().encode("utf-8")


def queries(count: int, rng: random.Random) -> list[tuple[str, str]]:
    topics = [t for ts in DEPARTMENTS.values() for t in ts]
    return [(rng.choice(ASKS).format(topic=(topic := rng.choice(topics)), city=rng.choice(CITIES)), topic)
            for _ in range(count)]


def substring_scan(entries, tokenizer, query: str, limit: int = 10):
    words = set(terms(tokenizer, query))
    scored = []
    for e in entries:
        if e.visible_on(TODAY):
            text = f"{e.question} {e.answer} {' '.join(e.keywords)}"
            n = sum(1 for w in words if w in text)
            if n:
                scored.append((n, e.id))
    scored.sort(reverse=True)
    return scored[:limit]


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


async def run(entries: int, count: int) -> None:
    rng = random.Random(7)
    process = psutil.Process()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'kb.db'}")
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=[KbEntry.__table__]))
        kb = KnowledgeBase(make_sessionmaker(engine), lambda: NOW)
        try:
            await kb.start()
            data = to_csv(generate_corpus(entries, today=TODAY))
            gc.collect()
            rss_before = process.memory_info().rss
            start = time.perf_counter()
            report = await kb.import_data(data, "csv")  # parse + upsert + index build
            import_s = time.perf_counter() - start
            gc.collect()
            rss_after = process.memory_info().rss
            start = time.perf_counter()
            index = await kb.reload()
            build_s = time.perf_counter() - start
            print(f"corpus: {report.created} entries ({len(data) / 1e6:.1f} MB CSV), vocabulary {index.vocabulary} "
                  f"terms, {len(index.visible_entries(TODAY))} valid today")
            print(f"import (parse + upsert + index): {import_s:.2f} s; index rebuild from DB: {build_s:.2f} s; "
                  f"RSS growth after import: {(rss_after - rss_before) / 2**20:.0f} MiB "
                  f"({index.postings} postings, {index.posting_bytes / 2**20:.1f} MiB of posting arrays)")

            asked = queries(count, rng)
            entries_list = await kb.store.all_entries()
            tokenizer = kb._segmenter.tokens
            timings, baseline, top_ok = [], [], 0
            for query, topic in asked:
                t0 = time.perf_counter()
                hits = kb.search(query)
                timings.append(time.perf_counter() - t0)
                top_ok += bool(hits) and topic in hits[0].entry.keywords
            for query, _ in asked[: max(20, count // 10)]:
                t0 = time.perf_counter()
                substring_scan(entries_list, tokenizer, query)
                baseline.append(time.perf_counter() - t0)
            transcripts = [("喂，你好。" + "，".join(q for q, _ in rng.sample(asked, 6)) + "。就这个问题。")[-400:]
                           for _ in range(max(20, count // 10))]
            suggest = []
            for text in transcripts:
                t0 = time.perf_counter()
                kb.suggest(text, 5)
                suggest.append(time.perf_counter() - t0)
        finally:
            await engine.dispose()
    p50, p99 = percentiles(timings)
    b50, b99 = percentiles(baseline)
    s50, s99 = percentiles(suggest)
    print(f"search  p50 {p50:.2f} ms  p99 {p99:.2f} ms   ({len(timings)} queries)")
    print(f"suggest p50 {s50:.2f} ms  p99 {s99:.2f} ms   ({len(suggest)} transcripts of ~400 chars)")
    print(f"baseline substring scan  p50 {b50:.2f} ms  p99 {b99:.2f} ms   ({len(baseline)} queries)")
    print(f"ratio: search is {b50 / p50:.0f}x faster at p50, {b99 / p99:.0f}x at p99 than the substring scan")
    print(f"top hit on the asked topic: {top_ok / len(asked):.1%}; target p99 < 50 ms: "
          f"{'met' if p99 < 50 else 'MISSED'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 entries, 60 queries: a smoke run")
    parser.add_argument("--entries", type=int, default=None)
    parser.add_argument("--queries", type=int, default=None)
    args = parser.parse_args(argv)
    entries = args.entries or (1000 if args.quick else GUANGXI_SIZE)
    count = args.queries or (60 if args.quick else 400)
    asyncio.run(run(entries, count))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
