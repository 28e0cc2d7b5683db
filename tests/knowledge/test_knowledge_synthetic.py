"""The benchmark corpus: Guangxi-sized, deterministic, valid as an import, with some expired entries."""
from __future__ import annotations

from datetime import date

import pytest

from knowledge.parse import validate
from knowledge.synthetic import GUANGXI_SIZE, generate_corpus


def test_given_the_default_size_then_12305_distinct_entries_that_pass_import_validation():
    corpus = generate_corpus()
    assert len(corpus) == GUANGXI_SIZE == len({d.key for d in corpus}) == len({(d.department, d.question)
                                                                                for d in corpus})
    rows = [(d.line, {"key": d.key, "question": d.question, "answer": d.answer, "department": d.department,
                      "valid_from": d.valid_from.isoformat(), "valid_to": d.valid_to and d.valid_to.isoformat(),
                      "keywords": list(d.keywords)}) for d in corpus]
    assert validate(rows) == corpus
    expired = sum(1 for d in corpus if d.valid_to and d.valid_to < date(2025, 6, 1)) / len(corpus)
    assert 0.06 < expired < 0.10


def test_given_the_same_seed_then_the_same_corpus_and_another_seed_differs():
    assert generate_corpus(50) == generate_corpus(50)
    assert generate_corpus(50) != generate_corpus(50, seed=1)


def test_given_more_than_the_templates_can_make_then_refused():
    with pytest.raises(ValueError):
        generate_corpus(10**6)
