"""Runs checkov over rendered golden outputs and gates on the result:
production cases (a production profile) must have no failed check outside
.ci/checkov-skips.txt; every other case fewer failures than the Bitnami
Kafka chart's default render (12), counting every check.

usage: checkov_gate.py CHECKOV GOLDEN_SPECS_DIR RENDERED_DIR
"""
import json
import os
import subprocess
import sys

checkov, golden, rendered = sys.argv[1:4]
BITNAMI_FAILURES = 12
skips = {}
for line in open(os.path.join(os.path.dirname(__file__), "checkov-skips.txt")):
    line = line.strip()
    if line and not line.startswith("#"):
        check, reason = line.split(None, 1)
        skips[check] = reason

run = subprocess.run(
    [checkov, "-d", rendered, "--framework", "kubernetes", "-o", "json", "--quiet", "--compact"],
    capture_output=True,
    text=True,
)
if run.returncode not in (0, 1):
    print(run.stderr)
    sys.exit(2)
report = json.loads(run.stdout)
reports = report if isinstance(report, list) else [report]
failed = {}
for r in reports:
    for f in r.get("results", {}).get("failed_checks", []):
        case = os.path.splitext(os.path.basename(f["file_path"]))[0]
        failed.setdefault(case, []).append(f["check_id"])

def is_production(case):
    text = open(os.path.join(golden, case, "spec.yaml")).read()
    args = os.path.join(golden, case, "args")
    if os.path.isfile(args):
        text += open(args).read()
    return "production" in text.replace("--profile\n", "profile: ")

problems = 0
cases = sorted(os.path.splitext(f)[0] for f in os.listdir(rendered) if f.endswith(".yaml"))
for case in cases:
    checks = failed.get(case, [])
    outside = sorted(set(c for c in checks if c not in skips))
    if is_production(case):
        ok = not outside
        note = "production: 0 outside the skip list required"
    else:
        ok = len(checks) < BITNAMI_FAILURES
        note = f"fewer than {BITNAMI_FAILURES} required"
    problems += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {case}: {len(checks)} failed ({len(checks) - len([c for c in checks if c not in skips])} skip-listed) [{note}]"
          + (f" outside the list: {', '.join(outside)}" if outside else ""))
print(f"checkov: {len(cases) - problems} passed, {problems} failed")
sys.exit(1 if problems else 0)
