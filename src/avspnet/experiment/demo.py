"""The no-download default: the whole protocol on a small synthetic espeak-ng corpus.

Half of the synthetic voices play the user's unlabeled background media
(gold labels hidden, proxy labels from pitch, loudness and words), the other
half the small labeled target corpus. The network is narrowed and the budget
cut so the run takes minutes on 2 cores; the pipeline is the real one.
"""

from __future__ import annotations

from pathlib import Path

from ..corpora.manifest import write_manifest
from ..corpora.synthetic import SyntheticConfig, make_synthetic_corpus
from ..downstream.fit import transfer_preset
from ..models.config import ModelConfig
from ..training.pretrain_config import PretrainConfig
from .config import CorpusSpec, ExperimentConfig

DEMO_CORPUS = SyntheticConfig(n_speakers=16, utterances_per_speaker=36)
DEMO_MODEL = ModelConfig(channels=4, embed_dim=64, latent_dim=16, head_dims=(32, 16))


def prepare_demo_data(work_dir: Path, seed: int, workers: int | None = None) -> tuple[Path, Path]:
    """Synthesize the corpus and split its speakers into target and background manifests."""
    corpus = make_synthetic_corpus(work_dir / "corpus", SyntheticConfig(**{**vars(DEMO_CORPUS), "seed": seed}),
                                   workers)
    speakers = sorted(corpus["speaker"].unique())
    in_target = corpus["speaker"].isin(speakers[::2])
    target = write_manifest(corpus[in_target].reset_index(drop=True), work_dir / "target.csv")
    background = write_manifest(corpus[~in_target].reset_index(drop=True), work_dir / "background.csv")
    return target, background


def demo_config(target: Path, background: Path, seed: int = 0, workers: int = 0) -> ExperimentConfig:
    return ExperimentConfig(
        name="demo-synthetic",
        seed=seed,
        workers=workers,
        target=CorpusSpec(name="synthetic-target", manifest=str(target)),
        background=(CorpusSpec(name="synthetic-background", manifest=str(background)),),
        pretrain=PretrainConfig(frontend="AVSpNET_a", model=DEMO_MODEL, epochs=3, max_steps=20, precision="fp32",
                                seed=seed),
        transfer=transfer_preset("tuned", hidden=(128, 64, 32), epochs=20, patience=3, batch_size=32),
        notes=(
            "SYNTHETIC DEMO: every utterance is espeak-ng speech made by `avspnet demo`; the numbers say the "
            "pipeline works, not how well it does on real speech.",
            "Background = 8 synthetic voices with their labels hidden (proxy labels only); target = 8 other voices.",
            "Network narrowed for speed (4 conv channels, 64-d embedding, 20 pre-training steps per phase); use configs/ for the paper's sizes.",
        ),
    )
