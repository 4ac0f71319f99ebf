"""The rendered alerts and dashboard, read by promtool (Debian's prometheus
package): every rule and every panel query parses (`promtool check rules`),
and the alerts of each production profile pass their unit tests in
tests/alerts/ (`promtool test rules`), which must fail once any one rule
is made to never fire or to always fire.

usage: alerts.py KAFKAGEN OUT_DIR"""
import json
import shutil
import subprocess
import sys

import yaml

CASES = ["profile-production", "profile-production-kraft"]


def objects(kafkagen, case):
    out = subprocess.run([kafkagen, "render", "spec.yaml"], cwd=f"golden/{case}",
                         check=True, capture_output=True, text=True).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def promtool(*args):
    r = subprocess.run(["promtool", *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"promtool {' '.join(args)} failed:\n{r.stdout}{r.stderr}")
    return r.stdout


def main(kafkagen, out):
    for case in CASES:
        docs = objects(kafkagen, case)
        groups = next(d["spec"]["groups"] for d in docs if d["kind"] == "PrometheusRule")
        panels = []
        for d in docs:
            if d["kind"] == "ConfigMap" and d["metadata"].get("labels", {}).get("grafana_dashboard") == "1":
                for text in d["data"].values():
                    for p in json.loads(text)["panels"]:
                        panels += [t["expr"] for t in p["targets"]]
        work = f"{out}/{case}"
        shutil.rmtree(work, ignore_errors=True)
        subprocess.run(["mkdir", "-p", work], check=True)
        with open(f"{work}/full.yaml", "w") as f:
            yaml.safe_dump({"groups": groups}, f)
        with open(f"{work}/panels.yaml", "w") as f:
            yaml.safe_dump({"groups": [{"name": "panels", "rules": [
                {"record": f"panel_{i}", "expr": e} for i, e in enumerate(panels)]}]}, f)
        promtool("check", "rules", f"{work}/full.yaml", f"{work}/panels.yaml")
        bare = [{**g, "rules": [{k: v for k, v in r.items() if k != "annotations"}
                                for r in g["rules"]]} for g in groups]
        with open(f"{work}/rules.yaml", "w") as f:
            yaml.safe_dump({"groups": bare}, f)
        test = f"tests/alerts/{case}.test.yaml"
        shutil.copy(test, work)
        promtool("test", "rules", f"{work}/{case}.test.yaml")
        # The tests must notice a rule that never fires and one that always
        # does: each rule's expression replaced, one rule at a time.
        rules = [(gi, ri) for gi, g in enumerate(bare) for ri in range(len(g["rules"]))]
        for gi, ri in rules:
            for mutant in ("vector(0) > 1", "vector(1)"):
                changed = [{**g, "rules": [{**r, "expr": mutant} if (i, j) == (gi, ri) else r
                                           for j, r in enumerate(g["rules"])]}
                           for i, g in enumerate(bare)]
                with open(f"{work}/rules.yaml", "w") as f:
                    yaml.safe_dump({"groups": changed}, f)
                r = subprocess.run(["promtool", "test", "rules", f"{work}/{case}.test.yaml"],
                                   capture_output=True, text=True)
                if r.returncode == 0:
                    name = bare[gi]["rules"][ri]["alert"]
                    sys.exit(f"{test}: the tests pass with rule {ri + 1} ({name}) as `{mutant}`")
        names = {r["alert"] for g in groups for r in g["rules"]}
        print(f"promtool: {case}: {len(rules)} rules ({len(names)} alerts) and {len(panels)} panel "
              f"queries parse; the unit tests pass, and fail with any one rule made to never or "
              f"always fire")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
