"""Charges the samples of `perf script -F comm,ip,sym` (call graphs) to the
stages of kafkagen's pipeline: bench/profile.sh.

A sample belongs to the outermost stage function on its stack (read from
the root); the read-back of template output is a stage of its own inside
render. Samples in glibc's allocator and memory copies with no kafkagen
frame are counted apart: glibc has no frame pointers, so their callers are
lost. The other samples with no kafkagen frame are start-up and exit: the
loader, libc's set-up and the kernel's exec, page faults and exit."""

import sys
from collections import Counter

# (stage, symbol prefixes), in pipeline order. The first whose prefix a
# frame starts with names the frame's stage.
STAGES = [
    ("input: read, merge, decode", ["kafkagen::input::"]),
    ("validate", ["kafkagen::validate::"]),
    ("model", ["kafkagen::model::"]),
    ("read-back of template output", ["kafkagen::yaml::readback::", "kafkagen::render::full_parse"]),
    ("render: templates", ["kafkagen::render::", "minijinja::"]),
    ("round trip through the API types", ["kafkagen::check::manifest::"]),
    ("rules", ["kafkagen::check::rules::"]),
    ("emit: YAML out, write", ["kafkagen::emit::", "kafkagen::yaml::emit::", "kafkagen::cli::write_stdout"]),
]
INNER = {"read-back of template output"}
OTHER = "other kafkagen code (arguments, the pipeline's glue)"
ALLOC = "malloc, free and memory copies, callers unknown (glibc has no frame pointers)"
STARTUP = "start-up and exit (loader, libc, kernel)"
ALLOCATOR = {
    "malloc", "__malloc", "_int_malloc", "free", "__free", "_int_free", "cfree",
    "realloc", "__realloc", "_int_realloc", "malloc_consolidate", "unlink_chunk.constprop.0",
    "__libc_malloc", "__libc_free", "__libc_realloc", "calloc", "__libc_calloc",
    "_int_free_merge_chunk", "_int_free_create_chunk", "_int_free_maybe_consolidate",
    "tcache_get", "tcache_put", "sysmalloc", "__memmove_avx_unaligned_erms",
    "__memcpy_avx_unaligned_erms", "__memset_avx2_unaligned_erms",
}


def stage_of(frames):
    """frames: root first."""
    found = None
    for sym in frames:
        for name, prefixes in STAGES:
            if any(sym.startswith(p) for p in prefixes):
                if found is None:
                    found = name
                elif name in INNER:
                    return name
                break
    if found:
        return found
    if any(sym.startswith("kafkagen::") for sym in frames):
        return OTHER
    # glibc is built without frame pointers: a sample in the allocator
    # loses its callers.
    if any(sym.split()[0] in ALLOCATOR for sym in frames if sym):
        return ALLOC
    return STARTUP


def samples(path):
    stack = []
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip():
                if stack:
                    yield stack
                stack = []
            elif line[0] not in " \t":
                stack = []
            else:
                parts = line.strip().split(None, 1)
                sym = parts[1] if len(parts) > 1 else "[unknown]"
                # perf appends "+0x..": keep the name.
                sym = sym.split("+0x")[0].strip()
                stack.append(sym)
    if stack:
        yield stack


def main():
    path, runs, title = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    count = Counter()
    total = 0
    for stack in samples(path):
        count[stage_of(list(reversed(stack)))] += 1
        total += 1
    if total == 0:
        sys.exit("no samples of kafkagen: is perf allowed here (perf_event_paranoid)?")
    order = [n for n, _ in STAGES] + [OTHER, ALLOC, STARTUP]
    print(f"{total} samples of {title}")
    print()
    print("| stage | share of samples |")
    print("|---|---:|")
    for name in order:
        print(f"| {name} | {100 * count[name] / total:.1f} % |")


if __name__ == "__main__":
    main()
