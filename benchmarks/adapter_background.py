"""An adapter on frozen Whisper-base vectors of an affect-varied background, its proxy-validation accuracy.

The background is ASED + URDU + CASIA with every gold label hidden
(`training.background.hide_gold_labels`) before the proxy labeller and the
feature loader see the manifests. Each corpus' segments get Whisper-base
vectors through the front-end's own `cached_embeddings` (computed once into
$AVSPNET_CACHE, so a rerun or another study reuses them; an interrupted run
resumes at the corpus it was on), per-segment proxy labels from
`compute_proxy_labels` (what `avspnet proxy` runs), and speakers prefixed by
corpus. Then each asked recipe trains an adapter (`training.adapter`) and
the script prints its history: proxy-validation accuracy per epoch on
held-out background speakers. `--also ravdess` embeds RAVDESS too (for the
shared cache only; it is not background here).

  AVSPNET_CACHE=/work/cache-study AVSPNET_ASED=/work/data/ased \
      python benchmarks/adapter_background.py --recipes W_a AE AVSpNET_a
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from avspnet.content import default_cache_dir
from avspnet.corpora import load_corpus
from avspnet.features.config import FeatureConfig
from avspnet.features.dataset import load_segments
from avspnet.features.store import SegmentStore
from avspnet.frontends.base import EmbedContext, cached_embeddings
from avspnet.frontends.whisper import Whisper
from avspnet.proxy import ProxyConfig, compute_proxy_labels
from avspnet.training.background import hide_gold_labels, segment_proxy_labels

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ROOTS = {"ased": Path(os.environ.get("AVSPNET_ASED", "/work/data/ased")), "urdu": DATA / "urdu",
         "casia": DATA / "casia", "ravdess": Path(os.environ.get("AVSPNET_RAVDESS", DATA / "ravdess"))}
BACKGROUND = ("ased", "urdu", "casia")


def corpus_vectors(name: str, cache_dir: Path, progress: bool) -> dict[str, np.ndarray]:
    """Whisper-base vectors, speakers and proxy labels of one corpus' segments, gold labels hidden first."""
    started = time.perf_counter()
    manifest = hide_gold_labels(load_corpus(name, ROOTS[name]))
    features = FeatureConfig()
    proxy = compute_proxy_labels(manifest, ProxyConfig(), cache_dir, progress=progress)
    segment_set = load_segments(manifest, features, cache_dir, progress=progress)
    embedded = cached_embeddings(Whisper(), segment_set, segment_set.key,
                                 EmbedContext(features, cache_dir, progress=progress))
    arousal, valence = segment_proxy_labels(segment_set, proxy)
    print(f"{name}: {len(manifest)} utterances, {manifest['speaker'].nunique()} speakers, "
          f"{manifest['duration_s'].sum() / 3600:.2f} h, {len(segment_set)} segments; whisper-base vectors "
          f"{'cached' if embedded.cached else f'computed in {embedded.seconds:.0f} s'} ({embedded.path.name}); "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    return {"vectors": SegmentStore.open(embedded.path)[:], "speakers": np.char.add(f"{name}:", segment_set.labels(
        "speaker").astype(str)), "arousal": arousal, "valence": valence}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipes", nargs="*", default=["W_a"], help="adapter recipes to train (none: embed only)")
    parser.add_argument("--also", nargs="*", default=[], choices=["ravdess"], help="corpora to embed, not train on")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--val-fraction", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="write the histories here as JSON")
    args = parser.parse_args()
    missing = [name for name in (*BACKGROUND, *args.also) if not ROOTS[name].is_dir()]
    if missing:
        print(f"skipped: corpora not found: {', '.join(str(ROOTS[m]) for m in missing)}")
        return
    cache_dir = default_cache_dir()
    parts = [corpus_vectors(name, cache_dir, progress=False) for name in BACKGROUND]
    for name in args.also:
        corpus_vectors(name, cache_dir, progress=False)
    if not args.recipes:
        return
    from avspnet.training.adapter import AdapterConfig, train_adapter

    columns = {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
    print(f"background: {len(columns['vectors'])} segments, {len(np.unique(columns['speakers']))} speakers; "
          f"proxy arousal labelled {np.mean(columns['arousal'] >= 0):.1%}, valence {np.mean(columns['valence'] >= 0):.1%}")
    results = {}
    for recipe in args.recipes:
        config = AdapterConfig(frontend=recipe, epochs=args.epochs, batch_size=args.batch_size,
                               val_speaker_fraction=args.val_fraction, seed=args.seed)
        started = time.perf_counter()
        result = train_adapter(columns["vectors"], columns["speakers"], columns["arousal"], columns["valence"],
                               config, progress=False)
        print(f"{recipe}: {time.perf_counter() - started:.0f} s, {len(result.history)} epochs")
        for row in result.history:
            print("  " + ", ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()))
        results[recipe] = result.history
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
