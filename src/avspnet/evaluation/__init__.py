"""The evaluation protocol: speaker folds, nested label fractions, tasks and UAR."""

from .folds import cv_folds, speaker_folds, validation_speakers
from .fractions import nested_fractions
from .metrics import confusion, uar
from .tasks import TASK_CLASSES, TASKS, chance_level, encode_task, label_codes, task_classes

__all__ = [
    "TASKS", "TASK_CLASSES", "chance_level", "confusion", "cv_folds", "encode_task", "label_codes",
    "nested_fractions", "speaker_folds", "task_classes", "uar", "validation_speakers",
]
