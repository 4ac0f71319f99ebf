"""Reads every YAML golden output with PyYAML (a YAML 1.1 reader, as kubectl
uses) and compares it with kafkagen's own JSON output of the same case, so a
string our emitter left unquoted cannot turn into a boolean or number.
Also splits JSON List outputs into documents for kubernetes-validate.

usage: yaml_check.py KAFKAGEN GOLDEN_DIR OUT_DIR
"""
import json
import os
import subprocess
import sys

import yaml

kafkagen, golden, out_dir = sys.argv[1:4]
os.makedirs(out_dir, exist_ok=True)
checked = 0
failures = []
for case in sorted(os.listdir(golden)):
    path = os.path.join(golden, case)
    expected = os.path.join(path, "expected.yaml")
    if not os.path.isfile(expected):
        continue
    args_file = os.path.join(path, "args")
    args = ["render", "spec.yaml"]
    if os.path.isfile(args_file):
        args = [a for a in open(args_file).read().splitlines() if a]
    text = open(expected).read()
    if "-o" in args and args[args.index("-o") + 1] == "json":
        items = json.loads(text)["items"]
        with open(os.path.join(out_dir, case + ".yaml"), "w") as f:
            f.write("".join("---\n" + json.dumps(i) + "\n" for i in items))
        continue
    with open(os.path.join(out_dir, case + ".yaml"), "w") as f:
        f.write(text)
    as_json = subprocess.run(
        [kafkagen] + args + ["-o", "json"], cwd=path, capture_output=True, check=True, text=True
    ).stdout
    docs = [d for d in yaml.safe_load_all(text) if d is not None]
    if docs != json.loads(as_json)["items"]:
        failures.append(case)
    checked += 1
for case in failures:
    print(f"FAIL {case}: PyYAML reads the YAML output differently from the JSON output")
print(f"yaml 1.1 read-back: {checked - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
