"""Time and memory to refuse each of issue 15's hostile repros and those of the backward pass's keys, each in a
fresh process (printed, no pass/fail).

The time is what ``convanim.render`` takes from the config's text to the refusal (reading, checking, refusing;
start-up excluded); the memory is the peak resident size the refusal added to the process's. Targets: well
under a second, and a few MB.
"""

from __future__ import annotations

import json
import subprocess
import sys

PY = sys.executable


def bomb(levels: int = 9) -> str:
    lines = ["input_size: 3", "a0: &a0 [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels + 1)]
    return "\n".join([*lines, f"input: *a{levels}"]) + "\n"


REPROS = {
    "input_size: [5000, 5000]": "input_size: [5000, 5000]\n",
    "input_size: 100000": "input_size: 100000\n",
    "in_channels: 10000": "input_size: 3\nin_channels: 10000\n",
    "input_size: 200, kernel_size: 200": "input_size: 200\nkernel_size: 200\n",
    "input_size: [1000000], kernel 1000000": "input_size: [1000000]\nkernel_size: 1000000\n",
    "100 layers on 5x5": "input_size: 5\nlayers:\n" + "  - {kernel_size: 1}\n" * 100,
    "60 layers on 5x5": "input_size: 5\nlayers:\n" + "  - {kernel_size: 1}\n" * 60,
    "alias bomb (10**10 values)": bomb(),
    "10,000 nested [": "input_size: 3\ninput: " + "[" * 10000 + "]" * 10000 + "\n",
    "stride: 10**30": "input_size: 3\nkernel_size: 1\nstride: 1" + "0" * 30 + "\n",
    "products overflow float64": "input_size: [3]\ninput: [1.0e+300, 1, 1]\nweight: [1.0e+300, 1, 1]\n",
    "50 MB list of numbers": None,  # written to a file: refused by its size
    # the backward pass and learn:
    "grad_output of a 9e10-cell output": "input_size: [4, 4]\nkernel_size: 1\nstride: 100000\ntransposed: true\n"
                                         "render: {pass: backward}\n",
    "learn.target of a 9e10-cell output": "input_size: [4, 4]\nkernel_size: 1\nstride: 100000\ntransposed: true\n"
                                          "learn: {target: {random: {}}, steps: 2, lr: 0.1}\n",
    "learn.steps: 10**12": "input_size: [5]\nkernel_size: 2\nlearn: {target: {kernel: [1, -1]}, "
                           "steps: 1000000000000, lr: 0.1}\n",
    "learn: 10,000 states of 24x24x2": "input_size: [24, 24]\nin_channels: 2\nout_channels: 2\nkernel_size: 3\n"
                                        "learn: {target: {random: {}}, steps: 10000, every: 100, lr: 0.001}\n",
    "learn: 10,001 frames": "input_size: [5]\nkernel_size: 2\nlearn: {target: {kernel: [1, -1]}, steps: 10000, "
                            "lr: 0.1}\n",
}

MEASURE = r"""
import json, os, resource, sys, tempfile, time
import convanim
from convanim.app.pipeline import as_config
text = sys.stdin.read()
path = None
if not text:
    fd, path = tempfile.mkstemp(suffix=".yaml")
    with os.fdopen(fd, "w") as f:
        f.write("input_size: 3\ninput: [" + "1, " * (17 << 20) + "1]\n")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
try:
    with tempfile.TemporaryDirectory() as out:
        convanim.render(path or as_config(text), out)
    message = "rendered"
except convanim.ConvanimError as err:
    message = str(err)
seconds = time.perf_counter() - start
if path:
    os.unlink(path)
print(json.dumps([seconds, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024, message]))
"""


def main() -> None:
    print(f"{'refusing issue 15 repro':40s} {'time':>9s} {'memory':>9s}  message")
    for name, text in REPROS.items():
        result = subprocess.run([PY, "-c", MEASURE], input=text or "", capture_output=True, text=True, check=True)
        seconds, mb, message = json.loads(result.stdout)
        shown = message.split(": ", 1)[1] if ": " in message else message
        print(f"{name:40s} {seconds * 1000:7.1f} ms {mb:6.1f} MB  {shown[:90]}")


if __name__ == "__main__":
    main()
