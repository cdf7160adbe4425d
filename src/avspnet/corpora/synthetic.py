"""A small synthetic English emotion corpus rendered with espeak-ng, so the pipeline runs with no download.

Speakers are distinct espeak-ng voice + variant pairs, each with its own
base pitch and rate. Valence lives only in the words (clearly positive,
negative or neutral sentences); arousal lives only in the sound (pitch,
pitch range, rate and loudness), rendered with a random strength and
jitter per utterance so the classes overlap a little. Every random choice
comes from the seed and espeak-ng is deterministic, so a seed always gives
byte-identical audio on one espeak-ng version. Ratings on IEMOCAP's 1-5
scale come from the same design (see `with_ratings`).

Layout: OUT/audio/<speaker>/<speaker>_NNN.wav, OUT/manifest.csv,
OUT/synthetic.json (config, its hash, espeak-ng version), OUT/README.txt.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
import soundfile as sf

from ..audio import load_audio
from ..configio import config_hash, to_dict
from ..errors import AudioError, AvspnetError, ConfigError, CorpusError
from ..log import SkipLog, get_logger
from ..paths import write_text_atomic
from .files import inside, require_dir
from .manifest import make_manifest, read_manifest, write_manifest

ESPEAK = "espeak-ng"
INSTALL_HINT = "install it with `apt-get install espeak-ng` (or `make install`)"

# (espeak-ng language voice, variant); genders alternate so any even prefix
# is balanced. Plain "en-gb" ignores variants in espeak-ng 1.51, so the
# British speakers use its regional voices.
VOICES = (
    ("en-us", "m3"), ("en-us", "f2"), ("en-gb-x-rp", "m1"), ("en-gb-scotland", "f5"),
    ("en-029", "m6"), ("en-us-nyc", "f1"), ("en-gb-x-gbclan", "m4"), ("en-gb-x-gbcwmd", "f3"),
    ("en-gb-scotland", "m7"), ("en-029", "f4"), ("en-us-nyc", "m2"), ("en-gb-x-rp", "f5"),
    ("en-us", "m5"), ("en-gb-x-gbclan", "f2"), ("en-gb-x-gbcwmd", "m3"), ("en-029", "f1"),
)


class Cell(NamedTuple):
    """One arousal x sentiment design cell and the labels it implies."""

    arousal: int
    sentiment: str
    emotion: str
    valence: int | None
    emotion4: str


# High and low alternate so any even prefix is arousal-balanced. Low arousal
# with positive words is "calm" and high with neutral words "alert": both
# keep valence independent of arousal and lie outside the 4-class task.
CELLS = (
    Cell(1, "positive", "happy", 1, "happy"),
    Cell(0, "negative", "sad", 0, "sad"),
    Cell(1, "negative", "angry", 0, "angry"),
    Cell(0, "neutral", "neutral", None, "neutral"),
    Cell(1, "neutral", "alert", None, ""),
    Cell(0, "positive", "calm", 1, ""),
)

NOUNS = ("day", "meal", "movie", "trip", "morning", "song", "game", "story", "dinner", "weekend", "concert", "book")
NEUTRAL_NOUNS = ("box", "chair", "letter", "parcel", "report", "bus", "window", "lamp", "key", "table")
WORDS = {
    "positive": ("wonderful", "beautiful", "excellent", "great", "lovely", "delightful", "fantastic"),
    "negative": ("terrible", "awful", "horrible", "dreadful", "miserable", "disgusting", "nasty"),
    "neutral": ("",),
}
TEMPLATES = {
    "positive": (
        "I love this {adj} {noun}.", "What {a} {adj} {noun}.", "This {noun} makes me happy.",
        "The {noun} was {adj}.", "We had {a} {adj} {noun}.",
    ),
    "negative": (
        "I hate this {adj} {noun}.", "What {a} {adj} {noun}.", "This {noun} makes me sad.",
        "The {noun} was {adj}.", "We had {a} {adj} {noun}.",
    ),
    "neutral": (
        "The {noun} is on the shelf.", "We moved the {noun} at noon.", "Put the {noun} by the door.",
        "The {noun} came on Tuesday.", "I saw the {noun} in the hall.",
    ),
}

# Render offsets from a speaker's base at full arousal strength: espeak-ng
# pitch (0-99), rate and amplitude factors, and SSML pitch range in percent
# (espeak-ng caps it at 200). Amplitude is 0-200 and clips above ~140; each
# speaker has its own level, as recordings do, so loudness separates arousal
# within a speaker far better than across speakers.
HIGH = {"pitch": 14.0, "rate": 1.2, "amplitude": 1.25, "range": 175.0}
LOW = {"pitch": -12.0, "rate": 0.84, "amplitude": 0.8, "range": 55.0}
ESPEAK_RATE = 22050
# arousal_rating = 3 +/- 2 x render strength (above 3 exactly for high arousal);
# valence_rating from the words, which carry valence at one strength only.
RATING_MIDDLE, RATING_REACH = 3.0, 2.0
VALENCE_RATINGS = {"positive": 5.0, "neutral": 3.0, "negative": 1.0}


@dataclass(frozen=True)
class SyntheticConfig:
    n_speakers: int = 8
    utterances_per_speaker: int = 48
    seed: int = 0
    sample_rate: int = 16000
    # Std of the white noise added to every file, full scale = 1.
    noise_level: float = 0.002
    # Scale of the per-utterance render jitter (0 = every utterance of a
    # speaker and class sounds alike; 1 = classes overlap a little).
    jitter: float = 1.0
    # Arousal strength is drawn uniformly from [min_strength, 1]; weaker
    # utterances lie nearer the speaker's neutral voice.
    min_strength: float = 0.4
    min_seconds: float = 1.0
    max_seconds: float = 3.0

    def __post_init__(self) -> None:
        if not 1 <= self.n_speakers <= len(VOICES):
            raise ConfigError(f"synthetic.n_speakers must be 1..{len(VOICES)}, got {self.n_speakers}")
        if self.utterances_per_speaker < 1:
            raise ConfigError("synthetic.utterances_per_speaker must be positive")
        if self.sample_rate < 8000:
            raise ConfigError(f"synthetic.sample_rate must be at least 8000, got {self.sample_rate}")
        if self.noise_level < 0 or self.jitter < 0 or not 0 <= self.min_strength <= 1:
            raise ConfigError("synthetic: noise_level and jitter must be >= 0 and min_strength in [0, 1]")
        if not 0 < self.min_seconds < self.max_seconds:
            raise ConfigError("synthetic: need 0 < min_seconds < max_seconds")


@dataclass(frozen=True)
class Utterance:
    """Everything needed to render one file; pickled to worker processes."""

    index: int
    utt_id: str
    speaker: str
    voice: str
    gender: str
    cell: Cell
    text: str
    strength: float
    pitch: int
    rate: int
    amplitude: int
    pitch_range: int


def find_espeak() -> tuple[str, str]:
    """(path, version line) of espeak-ng, or a one-line error saying how to install it."""
    binary = shutil.which(ESPEAK)
    if binary is None:
        raise AvspnetError(f"the synthetic corpus needs {ESPEAK}, which is not on PATH; {INSTALL_HINT}")
    result = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    return binary, result.stdout.split("Data at")[0].strip() or "unknown"


def plan_corpus(config: SyntheticConfig) -> list[Utterance]:
    """Draw every utterance's text and render parameters from the seed."""
    rng = np.random.default_rng(config.seed)
    plan: list[Utterance] = []
    for s, (language, variant) in enumerate(VOICES[: config.n_speakers]):
        speaker = f"synth{s + 1:02d}"
        base_pitch, base_rate, base_level = rng.uniform(38, 62), rng.uniform(160, 185), rng.uniform(70, 105)
        first = s * config.utterances_per_speaker
        cells = [CELLS[(first + i) % len(CELLS)] for i in range(config.utterances_per_speaker)]
        for i, k in enumerate(rng.permutation(len(cells))):
            cell = cells[k]
            strength = float(rng.uniform(config.min_strength, 1.0))
            target = HIGH if cell.arousal else LOW
            jitter = config.jitter * rng.standard_normal(4)
            plan.append(Utterance(
                index=len(plan),
                utt_id=f"{speaker}_{i:03d}",
                speaker=speaker,
                voice=f"{language}+{variant}",
                gender="female" if variant.startswith("f") else "male",
                cell=cell,
                text=_sentence(rng, cell.sentiment),
                strength=round(strength, 3),
                pitch=_clip(base_pitch + strength * target["pitch"] + 6 * jitter[0], 0, 99),
                rate=_clip(base_rate * (1 + strength * (target["rate"] - 1) + 0.06 * jitter[1]), 110, 320),
                amplitude=_clip(base_level * (_towards(1, target["amplitude"], strength) + 0.15 * jitter[2]), 20, 140),
                pitch_range=_clip(_towards(100, target["range"], strength) + 20 * jitter[3], 10, 200),
            ))
    return plan


def _towards(neutral: float, target: float, strength: float) -> float:
    return neutral + strength * (target - neutral)


def _clip(value: float, low: float, high: float) -> int:
    return int(round(min(max(value, low), high)))


def _sentence(rng: np.random.Generator, sentiment: str) -> str:
    template = TEMPLATES[sentiment][rng.integers(len(TEMPLATES[sentiment]))]
    nouns = NEUTRAL_NOUNS if sentiment == "neutral" else NOUNS
    adj = WORDS[sentiment][rng.integers(len(WORDS[sentiment]))]
    article = "an" if adj.startswith(tuple("aeiou")) else "a"
    return template.format(a=article, adj=adj, noun=nouns[rng.integers(len(nouns))])


def synthesize(utt: Utterance, binary: str, sample_rate: int) -> np.ndarray:
    """espeak-ng's float waveform for one utterance at `sample_rate`."""
    ssml = f'<speak><prosody range="{utt.pitch_range}%">{escape(utt.text)}</prosody></speak>'
    command = [binary, "-m", "-z", "-v", utt.voice, "-p", str(utt.pitch), "-s", str(utt.rate),
               "-a", str(utt.amplitude)]
    with tempfile.TemporaryDirectory(prefix="avspnet-synth-") as tmp:
        wav = Path(tmp) / "out.wav"
        result = subprocess.run([*command, "-w", str(wav), ssml], capture_output=True, text=True, check=False)
        if result.returncode != 0 or not wav.is_file():
            reason = (result.stderr.strip().splitlines() or [f"exit {result.returncode}"])[-1]
            raise AudioError(f"{ESPEAK} failed for {utt.utt_id} ({utt.voice}): {reason}")
        return load_audio(wav, sample_rate).astype(np.float64)


def render(job: tuple[Utterance, str, SyntheticConfig, str]) -> tuple[float, bool]:
    """Synthesize, fit to the duration bounds, add seeded noise, write 16-bit WAV.

    Returns (duration in seconds, whether the end was cut off).
    """
    utt, binary, config, out_path = job
    rate = config.sample_rate
    samples = synthesize(utt, binary, rate)
    longest, shortest = int(config.max_seconds * rate), int(np.ceil(config.min_seconds * rate))
    trimmed = len(samples) > longest
    if trimmed:
        fade = min(int(0.02 * rate), longest)
        samples = samples[:longest].copy()
        samples[-fade:] *= np.linspace(1.0, 0.0, fade)
    if len(samples) < shortest:
        samples = np.pad(samples, (0, shortest - len(samples)))
    noise = np.random.default_rng([config.seed, utt.index]).standard_normal(len(samples))
    samples = np.clip(samples + config.noise_level * noise, -1.0, 1.0)
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)
    sf.write(out_path, samples.astype(np.float32), rate, subtype="PCM_16")
    return len(samples) / rate, trimmed


def make_synthetic_corpus(
    out_dir: Path, config: SyntheticConfig = SyntheticConfig(), workers: int | None = None
) -> pd.DataFrame:
    """Generate the corpus into `out_dir` (or reuse it when already made with this config) and return its manifest."""
    out_dir = Path(out_dir)
    binary, version = find_espeak()
    stamp = {"config": to_dict(config), "config_hash": config_hash(config), "espeak_ng": version}
    log = get_logger("corpora.synthetic")
    if _is_current(out_dir, stamp):
        try:
            manifest = load(out_dir)
        except CorpusError as exc:
            manifest = None
            log.warning("synthetic corpus in %s is unreadable (%s); generating it again", out_dir, exc)
        if manifest is not None and len(manifest) == config.n_speakers * config.utterances_per_speaker:
            log.info("reusing synthetic corpus in %s (config %s)", out_dir, stamp["config_hash"])
            return manifest
        if manifest is not None:
            log.warning("synthetic corpus in %s lacks audio files; generating it again", out_dir)
    _prepare(out_dir)
    plan = plan_corpus(config)
    jobs = [(utt, binary, config, str(_audio_path(out_dir, utt.speaker, utt.utt_id))) for utt in plan]
    workers = workers or min(len(jobs), os.cpu_count() or 1)
    if workers <= 1 or len(jobs) < 8:
        results = [render(job) for job in jobs]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(render, jobs, chunksize=8))
    trimmed = sum(cut for _, cut in results)
    if trimmed:
        log.warning("%d synthetic utterances longer than %.1f s were cut off", trimmed, config.max_seconds)
    rows = [_row(utt, path, duration, cut) for (utt, _, _, path), (duration, cut) in zip(jobs, results)]
    write_text_atomic(out_dir / "README.txt", _readme(config, stamp))
    write_text_atomic(out_dir / "synthetic.json", json.dumps(stamp, indent=2, sort_keys=True) + "\n")
    write_manifest(with_ratings(make_manifest(rows)), out_dir / "manifest.csv")
    log.info("synthetic corpus: %d utterances, %d speakers in %s", len(rows), config.n_speakers, out_dir)
    return load(out_dir)


def _is_current(out_dir: Path, stamp: dict) -> bool:
    try:
        saved = json.loads((out_dir / "synthetic.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    same = all(saved.get(k) == stamp[k] for k in ("config_hash", "espeak_ng"))
    return same and (out_dir / "manifest.csv").is_file()


def _prepare(out_dir: Path) -> None:
    """Empty a stale synthetic corpus; refuse to write into a directory that holds something else."""
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / "synthetic.json").is_file():
        raise CorpusError(f"{out_dir} is not empty and holds no synthetic corpus; choose a new or empty directory")
    for name in ("manifest.csv", "synthetic.json", "README.txt"):
        (out_dir / name).unlink(missing_ok=True)
    shutil.rmtree(out_dir / "audio", ignore_errors=True)
    out_dir.mkdir(parents=True, exist_ok=True)


def _audio_path(root: Path, speaker: str, utt_id: str) -> Path:
    return inside(root / "audio", f"{speaker}/{utt_id}.wav", f"synthetic: {root / 'manifest.csv'}")


def _row(utt: Utterance, path: str, duration: float, trimmed: bool) -> dict:
    return {
        "utt_id": f"synthetic/{utt.utt_id}",
        "path": str(Path(path).resolve()),
        "speaker": utt.speaker,
        "group": utt.speaker,
        "duration_s": duration,
        "language": "en",
        "transcript": utt.text,
        "emotion": utt.cell.emotion,
        "arousal": utt.cell.arousal,
        "valence": utt.cell.valence,
        "emotion4": utt.cell.emotion4,
        "raw_voice": utt.voice,
        "raw_gender": utt.gender,
        "raw_sentiment": utt.cell.sentiment,
        "raw_strength": f"{utt.strength:.3f}",
        "raw_pitch": utt.pitch,
        "raw_rate": utt.rate,
        "raw_amplitude": utt.amplitude,
        "raw_pitch_range": utt.pitch_range,
        "raw_trimmed": int(trimmed),
    }


def with_ratings(frame: pd.DataFrame) -> pd.DataFrame:
    """The manifest with arousal_rating / valence_rating derived from its design columns.

    Derived, not stored at render time, so a corpus made before ratings
    existed (the demo's cached one) gets them too, and they always agree with
    the binary arousal and the words.
    """
    direction = np.where(frame["arousal"].to_numpy(dtype=float, na_value=np.nan) == 1, 1.0, -1.0)
    strength = frame["raw_strength"].astype(float).to_numpy()
    return frame.assign(arousal_rating=RATING_MIDDLE + RATING_REACH * direction * strength,
                        valence_rating=frame["raw_sentiment"].map(VALENCE_RATINGS).astype(float))


def _readme(config: SyntheticConfig, stamp: dict) -> str:
    return (
        "SYNTHETIC SPEECH - not recordings of people.\n\n"
        f"Rendered by avspnet with {stamp['espeak_ng']} from config {stamp['config_hash']} "
        f"({config.n_speakers} speakers x {config.utterances_per_speaker} utterances, seed {config.seed}).\n"
        "Speakers are espeak-ng voice+variant pairs. Valence is carried only by the words of the\n"
        "transcript (positive / negative / neutral sentences); arousal only by the sound: pitch, pitch\n"
        "range, speaking rate and loudness, with a random strength and jitter per utterance.\n"
        "emotion4: happy = high+positive, angry = high+negative, sad = low+negative,\n"
        "neutral = low+neutral; calm (low+positive) and alert (high+neutral) have no 4-class label.\n"
        "arousal_rating (1-5) is 3 + 2 x strength for high arousal and 3 - 2 x strength for low;\n"
        "valence_rating is 5, 3 or 1 for positive, neutral or negative words.\n"
        "Render parameters are in the manifest's raw_* columns. Results on this corpus show that the\n"
        "pipeline runs; they say nothing about recognising emotion in human speech.\n"
    )


def load(root: Path) -> pd.DataFrame:
    """The manifest of a corpus made by `make_synthetic_corpus`, with paths under `root` wherever it now lies."""
    root = require_dir(root, "synthetic")
    if not (root / "manifest.csv").is_file():
        raise CorpusError(f"synthetic: {root} has no manifest.csv; create the corpus with `avspnet synth {root}`")
    frame = read_manifest(root / "manifest.csv")
    frame["path"] = [
        str(_audio_path(root.resolve(), speaker, Path(path).stem))
        for speaker, path in zip(frame["speaker"], frame["path"])
    ]
    skips = SkipLog("corpora.synthetic")
    present = frame["path"].map(lambda p: Path(p).is_file())
    for path in frame["path"][~present]:
        skips.skip(path, "audio file not found")
    get_logger("corpora.synthetic").info(skips.summary())
    return make_manifest(with_ratings(frame[present]).to_dict("records"))
