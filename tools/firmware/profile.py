#!/usr/bin/env python3
"""Names the PC samples of a profiling firmware run by function.

    make qemu-m55 FW_PROFILE=1 > run.txt
    tools/firmware/profile.py build/fw-m55/firmware.elf run.txt

Samples are taken every 2048 SysTick ticks (ports/cortex-m/profile.c); the
instructions_TASK lines of the run turn shares into instructions.  A 16-byte
bucket is given to the function that holds its first byte."""
import bisect
import collections
import subprocess
import sys


def symbols(elf):
    out = subprocess.run(["arm-none-eabi-nm", "-n", "--defined-only", elf],
                         capture_output=True, text=True, check=True).stdout
    addrs, names = [], []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            addrs.append(int(parts[0], 16) & ~1)
            names.append(parts[2])
    return addrs, names


def main():
    elf, run = sys.argv[1], sys.argv[2]
    addrs, names = symbols(elf)
    per_task = collections.defaultdict(collections.Counter)
    insns = {}
    for line in open(run):
        if line.startswith("instructions_"):
            key, value = line.split(":")
            insns[key[len("instructions_"):]] = int(value)
        if not line.startswith("profile: "):
            continue
        task, at, count = line.split()[1:4]
        if at == "outside":
            name = "(outside the code)"
        else:
            i = bisect.bisect_right(addrs, int(at, 16)) - 1
            name = names[i] if i >= 0 else "?"
        per_task[task][name] += int(count, 16)
    for task, counts in per_task.items():
        total = sum(counts.values())
        scale = insns.get(task, 0) / total / 1e6
        print(f"{task}: {total} samples, {insns.get(task, 0) / 1e6:.0f} M instructions")
        for name, n in counts.most_common(25):
            print(f"  {100 * n / total:5.1f}%  {n * scale:8.1f} M  {name}")


if __name__ == "__main__":
    main()
