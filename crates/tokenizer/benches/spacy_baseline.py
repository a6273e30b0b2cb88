"""spaCy's blank English tokenizer on the same text as benches/tokenize.rs.

The article in corpus/ repeated, one copy per line, to at least 10 MiB; the
tokenizer is timed on the whole text the way the criterion bench times ours
(best of three runs). Prints MiB/s on stdout as `spacy_mib_s=<float>`.
"""

import sys
import time

import spacy

article = open(sys.argv[1], encoding="utf-8").read()
target = 10 * 1024 * 1024
copies = []
size = 0
while size < target:
    copies.append(article + "\n")
    size += len((article + "\n").encode("utf-8"))
text = "".join(copies)

nlp = spacy.blank("en")
nlp.max_length = len(text) + 1
best = float("inf")
for _ in range(3):
    started = time.perf_counter()
    doc = nlp.make_doc(text)
    best = min(best, time.perf_counter() - started)
mib = len(text.encode("utf-8")) / (1024 * 1024)
print(f"spacy tokens={len(doc)} bytes={len(text.encode('utf-8'))} seconds={best:.3f}", file=sys.stderr)
print(f"spacy_mib_s={mib / best:.2f}")
