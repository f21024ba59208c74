"""``python -m interviewer bench`` — speed of the real engine against the bare model cost.

One run measures, on the bundled collection and the configured model:

* ``build_s`` (index from nothing: empty data folder, empty embedding cache) and
  ``cached_load_s`` (``open_index`` when the index is up to date);
* search latency over the labelled queries in ``eval/`` (≥ 100) next to the bare
  cost of encoding one query with the same embedder (``search_ratio``);
* scoring latency over the labelled answers (≥ 50) next to the bare cost of
  encoding the same answers with the scorer's embedder(s) (``score_ratio``);
* ``cold_start_s``: ``python app.py`` start to serving HTTP with a cached index;
* ``peak_rss_mb`` of this process;
* scale: synthetic collections of 1k / 10k / 100k passages (random unit vectors
  for the dense side, Zipf-distributed tokens for BM25) → build time and search
  p50, plus an HNSW index at 100k to show what 1M passages would switch to.

With ``--json`` the last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .appserver import free_port, start_app, stop_app
from .config import AppConfig

ROOT = Path(__file__).resolve().parent.parent
EVAL_DIR = ROOT / "eval"


def _percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if values else float("nan")


def _timed(fn: Callable[[], object], repeat: int = 1) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000.0)
    return out


def _queries() -> list[str]:
    queries: list[str] = []
    for name in ("retrieval.tsv", "retrieval_dev.tsv"):
        path = EVAL_DIR / name
        if path.is_file():
            queries += [line.split("\t")[0] for line in path.read_text(encoding="utf-8").splitlines() if "\t" in line]
    return queries


def _answers() -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for name in ("scoring.tsv", "scoring_dev.tsv"):
        path = EVAL_DIR / name
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                parts = line.split("\t")
                if len(parts) >= 3 and parts[2].strip():
                    rows.append((parts[0], parts[2]))
    return rows


def measure_cold_start(data_dir: Path, model: str, timeout: float = 300.0, corpus: Path | None = None,
                       section_level: int | None = None) -> float:
    """Seconds from spawning ``python app.py`` to its first HTTP 200 (index already cached)."""
    env = {"AI_INTERVIEW_MODEL": model,
           **({"AI_INTERVIEW_CORPUS": str(corpus)} if corpus else {}),
           **({"AI_INTERVIEW_SECTION_LEVEL": str(section_level)} if section_level else {})}
    started = time.perf_counter()
    proc = start_app(data_dir, free_port(), env=env, timeout=timeout)
    elapsed = time.perf_counter() - started
    stop_app(proc, grace=10)
    return elapsed


def measure_scale(sizes: Sequence[int], dim: int, queries: int = 50, seed: int = 0) -> dict[str, dict[str, float]]:
    """Build and search synthetic indexes of ``sizes`` passages (dense + BM25, as the engine does)."""
    import bm25s
    import faiss

    rng = np.random.default_rng(seed)
    vocab = [f"t{i}" for i in range(20000)]
    out: dict[str, dict[str, float]] = {}
    for n in sizes:
        vectors = rng.standard_normal((n, dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        ids = rng.zipf(1.3, size=(n, 40)) % len(vocab)
        docs = [[vocab[i] for i in row] for row in ids]
        started = time.perf_counter()
        dense = faiss.IndexFlatIP(dim)
        dense.add(vectors)
        bm25 = bm25s.BM25()
        bm25.index(docs, show_progress=False)
        build = time.perf_counter() - started
        qv = rng.standard_normal((queries, dim)).astype(np.float32)
        qv /= np.linalg.norm(qv, axis=1, keepdims=True)
        qt = [[vocab[i] for i in rng.zipf(1.3, size=6) % len(vocab)] for _ in range(queries)]
        times = []
        for i in range(queries):
            started = time.perf_counter()
            dense.search(qv[i : i + 1], 200)
            scores = bm25.get_scores(qt[i])
            np.argpartition(-scores, 200)[:200] if n > 200 else None
            times.append((time.perf_counter() - started) * 1000)
        out[str(n)] = {"build_s": round(build, 3), "search_p50_ms": round(_percentile(times, 50), 3)}
        if n == max(sizes):
            started = time.perf_counter()
            hnsw = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
            hnsw.hnsw.efSearch = 64
            hnsw.add(vectors)
            hnsw_build = time.perf_counter() - started
            flat_t = _timed(lambda: [dense.search(qv[i : i + 1], 10) for i in range(queries)])[0] / queries
            hnsw_t = _timed(lambda: [hnsw.search(qv[i : i + 1], 10) for i in range(queries)])[0] / queries
            exact = dense.search(qv, 10)[1]
            approx = hnsw.search(qv, 10)[1]
            recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact, approx)]))
            out[str(n)].update({
                "dense_flat_ms": round(flat_t, 3), "dense_hnsw_ms": round(hnsw_t, 3),
                "hnsw_build_s": round(hnsw_build, 2), "hnsw_recall@10": round(recall, 3),
                "flat_1m_estimate_ms": round(flat_t * 1_000_000 / n, 1),
            })
    return out


def run_bench(config: AppConfig, args: argparse.Namespace) -> int:
    from corpus.parser import load_collection
    from index.build import open_index
    from index.cache import EmbeddingCache
    from index.embedders import load_embedder

    quick = bool(getattr(args, "quick", False))
    log = (lambda *a: print(*a, file=sys.stderr)) if args.json else print
    results: dict[str, object] = {"model": config.model}
    collection = load_collection(config.corpus, section_level=config.section_level)
    embedder = load_embedder(config.model)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        data_dir = Path(tmp)
        from index.build import index_folder

        folder = index_folder(data_dir, collection, config.corpus)  # where the app keeps it, so cold start reuses it
        log("building the index from nothing …")
        started = time.perf_counter()
        index, report = open_index(collection, embedder, folder, cache=EmbeddingCache(data_dir / "index" / "embeddings.sqlite3"))
        results["build_s"] = round(time.perf_counter() - started, 3)
        results["passages"] = report.passages
        loads = []
        for _ in range(3 if quick else 5):
            started = time.perf_counter()
            index, report = open_index(collection, embedder, folder, cache=EmbeddingCache(data_dir / "index" / "embeddings.sqlite3"))
            loads.append(time.perf_counter() - started)
            assert report.action == "loaded"
        results["cached_load_s"] = round(statistics.median(loads), 4)

        queries = _queries()
        if len(queries) < 100:
            from .cli import UserError

            raise UserError("bench needs ≥ 100 queries in eval/retrieval*.tsv")
        log(f"search: {len(queries)} queries …")
        for q in queries[:10]:  # warm up jieba, BLAS, the model
            index.search(q)
        # interleaved, so both see the same machine load at the same moment
        encode, search = [], []
        for q in queries:
            encode += _timed(lambda q=q: embedder.encode_queries([q]))
            search += _timed(lambda q=q: index.search(q, k=10))
        results["search_p50_ms"] = round(_percentile(search, 50), 3)
        results["search_p95_ms"] = round(_percentile(search, 95), 3)
        results["encode_query_p50_ms"] = round(_percentile(encode, 50), 3)
        results["search_ratio"] = round(results["search_p50_ms"] / results["encode_query_p50_ms"], 3)  # type: ignore[operator]
        results["search_queries"] = len(queries)

        from .scoring import Scorer

        scorer = Scorer(index, cache=EmbeddingCache(data_dir / "index" / "embeddings.sqlite3"))
        scorer.prepare()
        rows = _answers()
        rows = rows[: 80 if quick else len(rows)]
        resolved = []
        for title, answer in rows:
            q = collection.find_by_heading(title)
            if q is not None:
                resolved.append((q.id, answer))
        if len(resolved) < 50:
            from .cli import UserError

            raise UserError("bench scores the labelled answers of eval/scoring*.tsv, which name questions of the "
                            "bundled collection; run it without --corpus.")
        log(f"scoring: {len(resolved)} answers …")
        for qid, answer in resolved[:5]:
            scorer.score(qid, answer)
        bare, scored = [], []
        for qid, answer in resolved:  # interleaved, as for search
            bare += _timed(lambda a=answer: scorer.encode_answer(a))
            scored += _timed(lambda qid=qid, a=answer: scorer.score(qid, a))
        results["score_p50_ms"] = round(_percentile(scored, 50), 3)
        results["score_p95_ms"] = round(_percentile(scored, 95), 3)
        results["encode_answer_p50_ms"] = round(_percentile(bare, 50), 3)
        results["score_ratio"] = round(results["score_p50_ms"] / results["encode_answer_p50_ms"], 3)  # type: ignore[operator]
        results["score_answers"] = len(resolved)

        log("cold start of app.py with the cached index …")
        try:
            from .engine import load_engine

            load_engine(config.with_overrides(data_dir=data_dir), with_scorer=True)  # the app's own index, cached
            results["cold_start_s"] = round(measure_cold_start(data_dir, config.model, corpus=config.corpus,
                                                                section_level=config.section_level), 3)
        except (RuntimeError, OSError) as exc:
            results["cold_start_s"] = None
            results["cold_start_error"] = str(exc)

    sizes = (1_000, 10_000) if quick else (1_000, 10_000, 100_000)
    log(f"scale: synthetic {', '.join(str(s) for s in sizes)} passages …")
    scale = measure_scale(sizes, embedder.dim)
    results["scale"] = scale
    for n in sizes:
        results[f"scale_{n // 1000}k_build_s"] = scale[str(n)]["build_s"]
        results[f"scale_{n // 1000}k_search_p50_ms"] = scale[str(n)]["search_p50_ms"]
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)

    _print_table(results, log)
    if args.json:
        print(json.dumps(results, ensure_ascii=False))
    return 0


def _print_table(r: dict[str, object], log: Callable[..., None]) -> None:
    rows = [
        ("index build from nothing", f"{r['build_s']} s ({r['passages']} passages)"),
        ("cached index load", f"{r['cached_load_s']} s"),
        ("search p50 / p95", f"{r['search_p50_ms']} / {r['search_p95_ms']} ms over {r['search_queries']} queries"),
        ("bare query encode p50", f"{r['encode_query_p50_ms']} ms"),
        ("search ratio (search / encode)", f"{r['search_ratio']}"),
        ("score p50 / p95", f"{r['score_p50_ms']} / {r['score_p95_ms']} ms over {r['score_answers']} answers"),
        ("bare answer encode p50", f"{r['encode_answer_p50_ms']} ms"),
        ("score ratio (score / encode)", f"{r['score_ratio']}"),
        ("cold start (app.py → HTTP 200)", f"{r.get('cold_start_s')} s"),
        ("peak RSS", f"{r['peak_rss_mb']} MB"),
    ]
    scale = r["scale"]
    assert isinstance(scale, dict)
    for n, v in scale.items():
        rows.append((f"scale {int(n):,} passages", f"build {v['build_s']} s, search p50 {v['search_p50_ms']} ms"))
        if "dense_hnsw_ms" in v:
            rows.append((f"  dense only at {int(n):,}: flat vs HNSW",
                         f"{v['dense_flat_ms']} ms vs {v['dense_hnsw_ms']} ms (HNSW recall@10 {v['hnsw_recall@10']}, "
                         f"build {v['hnsw_build_s']} s); flat at 1M ≈ {v['flat_1m_estimate_ms']} ms"))
    width = max(len(a) for a, _ in rows)
    log(f"\nbenchmark ({r['model']})")
    for a, b in rows:
        log(f"  {a:<{width}}  {b}")
