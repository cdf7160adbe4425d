"""No test speaker shapes a baseline: R without a background takes its input statistics per fold, and an in-domain
adapter is trained per fold on the fold's training speakers only."""

import numpy as np
from tests.frontends.test_adapter_frontend import register_toy_encoder

from avspnet.corpora.manifest import make_manifest, write_manifest
from avspnet.downstream.splits import plan_splits
from avspnet.experiment.config import CorpusSpec
from avspnet.experiment.data import in_domain_target, load_target, unlabeled_target
from avspnet.experiment.fold_embeddings import PER_FOLD, embed_target, input_statistics
from avspnet.features.config import FeatureConfig
from avspnet.features.store import SegmentStore
from avspnet.frontends import BuildContext, EmbedContext, build
from avspnet.frontends import adapter as adapter_frontends
from avspnet.models.config import ModelConfig
from avspnet.proxy import ProxyConfig
from avspnet.training.adapter import AdapterConfig
from avspnet.training.pretrain_config import PretrainConfig

SETTINGS = PretrainConfig(model=ModelConfig(channels=4, embed_dim=16, latent_dim=4, head_dims=(8, 4)),
                          precision="fp32", val_speaker_fraction=0.0)


def _target(tmp_path, voice, loud: set[str], name: str, proxy=None):
    """4 speakers x 2 utterances (low/high arousal); speakers in `loud` made drastically different."""
    rows = []
    for s, speaker in enumerate("abcd"):
        for i in range(2):
            odd = speaker in loud
            path = voice(tmp_path / name / f"{speaker}{i}.wav", seconds=1.8, f0=(400 if odd else 110) + 30 * s + 20 * i,
                         level=0.9 if odd else 0.1 + 0.2 * i, seed=10 * s + i + (99 if odd else 0))
            rows.append({"utt_id": f"{speaker}{i}", "path": str(path), "speaker": speaker, "arousal": i,
                         "emotion": "angry" if i else "sad"})
    manifest = write_manifest(make_manifest(rows), tmp_path / f"{name}.csv")
    return load_target(CorpusSpec(manifest=str(manifest)), FeatureConfig(), tmp_path / "cache", 0, 1, False, proxy)


def _embed(target, tmp_path):
    splits = plan_splits(target.segments.utterances, ("arousal",), (1.0,), 2, 0.5, 0)
    building = BuildContext({"pretrain": SETTINGS}, lambda: unlabeled_target(target), tmp_path / "cache",
                            SETTINGS.runtime(), progress=False)
    frontends = {"R": build("R", building)}
    context = EmbedContext(FeatureConfig(), tmp_path / "cache", SETTINGS.runtime(), progress=False)
    return splits, embed_target(frontends, target, splits, context, building, has_background=False, whole=True)


def test_test_speakers_never_shape_r_without_a_background(tmp_path, voice):
    plain = _target(tmp_path, voice, set(), "plain")
    splits, before = _embed(plain, tmp_path)
    utterances = plain.segments.utterances
    test_speakers = set(utterances["speaker"].iloc[splits[0].test])
    training_rows = np.flatnonzero(np.isin(plain.segments.utt_index, splits[0].training))
    assert len(before.folds["R"]) == 2 and not test_speakers & set(utterances["speaker"].iloc[splits[0].training])

    changed = _target(tmp_path, voice, test_speakers, "changed")  # fold 0's test speakers: other voices entirely
    assert changed.key != plain.key
    _, after = _embed(changed, tmp_path)
    for result in (before, after):
        assert result.path("R", 0) == result.folds["R"][0] != result.path("R", 1)
    np.testing.assert_array_equal(SegmentStore.open(after.path("R", 0))[training_rows],
                                  SegmentStore.open(before.path("R", 0))[training_rows])
    # the whole-target statistics (what R used before, and what the exported model uses) do move
    assert not np.array_equal(SegmentStore.open(after.whole["R"])[training_rows],
                              SegmentStore.open(before.whole["R"])[training_rows])
    assert before.timing["R"]["folds"] == 2
    assert input_statistics(("R", "egemaps"), has_background=False) == PER_FOLD
    assert input_statistics(("egemaps",), has_background=False) is None


def test_an_in_domain_adapter_of_a_fold_never_sees_a_test_speaker(tmp_path, voice, monkeypatch):
    register_toy_encoder(monkeypatch)
    seen = []
    real = adapter_frontends.train_adapter

    def spy(vectors, speakers, arousal, valence, config, progress):
        seen.append((set(speakers), np.asarray(arousal).copy()))
        return real(vectors, speakers, arousal, valence, config, progress)

    monkeypatch.setattr(adapter_frontends, "train_adapter", spy)
    target = _target(tmp_path, voice, set(), "plain", ProxyConfig())
    splits = plan_splits(target.segments.utterances, ("arousal",), (1.0,), 2, 0.5, 0)
    settings = AdapterConfig(epochs=1, batch_size=4, hidden=4, device="cpu", precision="fp32")
    building = BuildContext({"adapter": settings}, lambda: None, tmp_path / "cache", SETTINGS.runtime(),
                            progress=False, in_domain=lambda: in_domain_target(target))
    name = "toy-encoder/W_a/in-domain"
    context = EmbedContext(FeatureConfig(), tmp_path / "cache", SETTINGS.runtime(), progress=False)
    embedded = embed_target({name: build(name, building)}, target, splits, context, building, has_background=True,
                            whole=True)
    utterances = target.segments.utterances
    assert seen[0][0] == set(utterances["speaker"])  # the whole-target build, for the exported model
    assert len(seen) == 3 and sorted(embedded.folds[name]) == [0, 1] and name in embedded.whole
    for split, (speakers, arousal) in zip(sorted(splits, key=lambda split: split.fold), seen[1:]):
        assert speakers == set(utterances["speaker"].iloc[split.training])
        assert not speakers & set(utterances["speaker"].iloc[split.test])
        # The fold's rows of the target's proxy labels (its gold columns hidden before they were computed).
        expected = in_domain_target(target, split.training).proxy_arousal
        np.testing.assert_array_equal(arousal, expected)
    assert embedded.path(name, 0) != embedded.path(name, 1)
