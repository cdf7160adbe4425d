"""The evaluation protocol: speaker folds, nested label fractions, voting and UAR."""

from .folds import cv_folds, speaker_folds, validation_speakers
from .fractions import nested_fractions
from .metrics import confusion, uar
from .tasks import TASK_CLASSES, chance_level, encode_task, label_codes
from .vote import majority_vote

__all__ = [
    "TASK_CLASSES", "chance_level", "confusion", "cv_folds", "encode_task", "label_codes", "majority_vote",
    "nested_fractions", "speaker_folds", "uar", "validation_speakers",
]
