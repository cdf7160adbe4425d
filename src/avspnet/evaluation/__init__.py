"""The evaluation protocol: speaker folds, nested label fractions, the tasks and their metrics."""

from .folds import cv_folds, speaker_folds, validation_speakers
from .fractions import nested_fractions
from .metrics import METRICS, ccc, confusion, uar
from .tasks import (
    DEFAULT_TASKS,
    Classification,
    Regression,
    Task,
    chance_level,
    encode_task,
    get_task,
    label_codes,
    register,
    task_classes,
    task_names,
)

__all__ = [
    "DEFAULT_TASKS", "METRICS", "Classification", "Regression", "Task", "ccc", "chance_level", "confusion", "cv_folds",
    "encode_task",
    "get_task", "label_codes", "nested_fractions", "register", "speaker_folds", "task_classes", "task_names", "uar",
    "validation_speakers",
]
