"""Where a result comes from: the commit it ran and the machine it ran on."""

import os
import platform
import shutil
import subprocess
from typing import Dict


def git_commit(root: str) -> str:
  """HEAD's commit in `root`, '+dirty' if tracked files differ from it."""
  def git(*args):
    return subprocess.run(['git', *args], cwd=root, text=True,
                          capture_output=True).stdout.strip()
  head = git('rev-parse', 'HEAD') or 'unknown'
  return head + ('+dirty' if git('status', '--porcelain',
                                 '--untracked-files=no') else '')


def machine() -> Dict[str, object]:
  """Where a run ran: platform, CPU count and any NVIDIA GPUs."""
  gpus = []
  if shutil.which('nvidia-smi'):
    listing = subprocess.run(['nvidia-smi', '-L'], text=True,
                             capture_output=True).stdout
    gpus = [line.split(' (UUID')[0] for line in listing.splitlines() if line]
  return {'platform': platform.platform(), 'cpu_count': os.cpu_count(),
          'processor': platform.processor(), 'gpus': gpus}
