"""Atomic writes survive interrupts: Ctrl-C at any moment leaves the old file or the new one, never a stray."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from convanim.core.files import signals_deferred, write_text_atomic

LOOP = """
import sys
from convanim.core.files import write_text_atomic
print('ready', flush=True)
i = 0
while True:
    write_text_atomic(sys.argv[1] + '/manifest.json', 'x' * 50000 + str(i))
    i += 1
"""


@pytest.mark.parametrize("delay", [0.0, 0.013, 0.029, 0.047, 0.071, 0.089, 0.11, 0.13])
def test_ctrl_c_while_writing_leaves_no_temporary_file(tmp_path, delay):
    proc = subprocess.Popen([sys.executable, "-c", LOOP, str(tmp_path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert "KeyboardInterrupt" in err
    assert sorted(os.listdir(tmp_path)) in ([], ["manifest.json"])
    if os.listdir(tmp_path):
        assert (tmp_path / "manifest.json").read_text().startswith("x" * 50000)  # whole


def test_write_text_atomic_replaces_whole(tmp_path):
    path = write_text_atomic(tmp_path / "a.txt", "one")
    write_text_atomic(path, "two")
    assert path.read_text() == "two" and os.listdir(tmp_path) == ["a.txt"]


def test_signals_deferred_acts_after_the_block():
    steps = []
    with pytest.raises(KeyboardInterrupt):
        with signals_deferred():
            signal.raise_signal(signal.SIGINT)
            steps.append("still running")
    assert steps == ["still running"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
