"""Frozen teachers: policies (teacher.py), ONNX models from any framework
(onnx.py), what each reads and how its actions map to the suite's (specs.py),
and stock acme networks' snapshots (stock_acme.py)."""

from acme_kickstart.teachers.teacher import check_action_map
from acme_kickstart.teachers.teacher import Teacher
from acme_kickstart.teachers.teacher import TeacherSet
from acme_kickstart.teachers.teacher import TeacherInputError
from acme_kickstart.teachers.teacher import UNMAPPED_LOGIT
