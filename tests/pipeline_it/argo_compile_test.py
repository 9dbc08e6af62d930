#!/usr/bin/python3
"""`ferry pipeline compile --target argo` and `ferry pipeline step` through the real binary.

Compiles a 4-step pipeline and checks the Workflow's structure, then emulates Argo on this
machine: each DAG task's container `command + args` runs in dependency order, with
{{workflow.name}} and {{workflow.parameters.*}} substituted, the embedded pipeline (raw artifact)
written to a temporary file standing in for /ferry/pipeline/pipeline.yaml and a temporary folder
standing in for the /ferry/runs volume. The outputs must equal those of a local
`ferry pipeline run` of the same file; likewise for a pipeline with a built-in step (ferry/split,
run in-process by `ferry pipeline step`). Also: CronWorkflow, `when` skips, exit codes, bad
inputs."""
import os
import subprocess
import sys

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from ferry_testlib import Failures, parse_args, tempdir  # noqa: E402

PIPELINE = """apiVersion: ferry/v1
kind: Pipeline
name: argo_demo
params:
  rows: "5"
  word: ferry
steps:
  - name: make_data
    run: seq 1 "${{ params.rows }}" > "${{outputs.numbers}}"
  - name: square
    needs: make_data
    retries: 1
    timeout: 30s
    run: |
      while read n; do echo $((n * n)); done < "${{ steps.make_data.outputs.numbers }}" \\
        > "${{ outputs.squares }}"
  - name: label
    needs: make_data
    env: {WORD: "${{ params.word }}", SUFFIX: "!"}
    run: echo "$WORD$SUFFIX $(wc -l < "${{ steps.make_data.outputs.numbers }}")" > "${{ outputs.title }}"
  - name: report
    needs: [square, label]
    when: ${{ params.word }} != 'skip'
    run: cat "${{ steps.label.outputs.title }}" "${{ steps.square.outputs.squares }}" > "${{ outputs.report }}"
"""

# A built-in step: `ferry pipeline step` runs it in-process, the local executor through
# `ferry pipeline builtin`; the outputs must be the same.
BUILTIN_PIPELINE = """apiVersion: ferry/v1
kind: Pipeline
name: argo_split
params:
  seed: "7"
steps:
  - name: make
    run: |
      { echo id,x; for i in $(seq 1 40); do echo "$i,$((i * 3))"; done; } > "${{ outputs.csv }}"
  - name: split
    needs: make
    uses: ferry/split
    with: {data: "${{ steps.make.outputs.csv }}", key: id, seed: "${{ params.seed }}"}
"""

ARGS_PIPELINE = "/ferry/pipeline/pipeline.yaml"
RUNS_MOUNT = "/ferry/runs"


class Env:
    def __init__(self, ferry, tmp):
        self.ferry = ferry
        self.tmp = tmp
        self.env = dict(os.environ)
        self.env["FERRY_HOME"] = os.path.join(tmp, "home")
        self.env.pop("FERRY_REGISTRY", None)
        self.work = os.path.join(tmp, "work")
        os.makedirs(self.work, exist_ok=True)

    def run(self, *args, env=None):
        return subprocess.run([self.ferry, *map(str, args)], env=env or self.env, cwd=self.work,
                              capture_output=True, text=True, timeout=300)

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path


def outputs_of(run_folder):
    """{step/name: bytes} of every output file of a run folder."""
    found = {}
    steps = os.path.join(run_folder, "steps")
    for step in sorted(os.listdir(steps)):
        out_dir = os.path.join(steps, step, "outputs")
        if not os.path.isdir(out_dir):
            continue
        for name in sorted(os.listdir(out_dir)):
            with open(os.path.join(out_dir, name), "rb") as f:
                found[f"{step}/{name}"] = f.read()
    return found


def topological(tasks):
    done, order = set(), []
    pending = list(tasks)
    while pending:
        ready = [t for t in pending if set(t.get("dependencies", [])) <= done]
        if not ready:
            raise AssertionError("the DAG has a cycle or an unknown dependency")
        for t in ready:
            order.append(t)
            done.add(t["name"])
            pending.remove(t)
    return order


def emulate_argo(env, fails, doc, workflow_name, params, label):
    """Runs the Workflow's tasks like Argo would; returns the run folder."""
    spec = doc["spec"]
    templates = {t["name"]: t for t in spec["templates"]}
    values = {p["name"]: p.get("value") for p in spec.get("arguments", {}).get("parameters", [])}
    values.update(params)
    runs = os.path.join(env.tmp, f"volume-{label}")
    os.makedirs(runs, exist_ok=True)
    dag = templates[spec["entrypoint"]]["dag"]["tasks"]
    for task in topological(dag):
        t = templates[task["template"]]
        art = t["inputs"]["artifacts"][0]
        pipeline_path = os.path.join(env.tmp, f"{label}-{task['name']}-pipeline.yaml")
        with open(pipeline_path, "w") as f:
            f.write(art["raw"]["data"])
        argv = []
        for word in t["container"]["command"] + t["container"]["args"]:
            word = word.replace("{{workflow.name}}", workflow_name)
            for k, v in values.items():
                word = word.replace("{{workflow.parameters.%s}}" % k, v)
            if word == art["path"]:
                word = pipeline_path
            if word.startswith(RUNS_MOUNT + "/"):
                word = runs + word[len(RUNS_MOUNT):]
            argv.append(word)
        fails.check("{{" not in " ".join(argv), f"{label}: unsubstituted tag in {argv}")
        fails.check(argv[:3] == ["ferry", "pipeline", "step"], f"{label}: command {argv[:3]}")
        task_env = dict(env.env)
        for e in t["container"].get("env", []):
            task_env[e["name"]] = e["value"]
        r = subprocess.run([env.ferry, *argv[1:]], env=task_env, cwd=env.work,
                           capture_output=True, text=True, timeout=300)
        fails.check(r.returncode == 0,
                    f"{label}: task {task['name']} exited {r.returncode}: {r.stderr}")
    return os.path.join(runs, workflow_name)


def local_run(env, fails, pipeline, params):
    home = os.path.join(env.tmp, "home-local-" + "-".join(params) if params else "home-local")
    local_env = dict(env.env)
    local_env["FERRY_HOME"] = home
    args = ["pipeline", "run", pipeline]
    for p in params:
        args += ["--param", p]
    r = env.run(*args, env=local_env)
    fails.check(r.returncode == 0, f"local run exited {r.returncode}: {r.stderr}")
    runs = os.path.join(home, "runs")
    ids = os.listdir(runs) if os.path.isdir(runs) else []
    fails.check(len(ids) == 1, f"one local run folder, found {ids}")
    return os.path.join(runs, ids[0]) if ids else None


def check_structure(fails, doc):
    fails.check(doc["apiVersion"] == "argoproj.io/v1alpha1", "apiVersion")
    fails.check(doc["kind"] == "Workflow", f"kind {doc['kind']}")
    fails.check(doc["metadata"] == {"generateName": "argo-demo-"}, f"metadata {doc['metadata']}")
    spec = doc["spec"]
    fails.check(spec["entrypoint"] == "main", "entrypoint")
    fails.check(spec["arguments"]["parameters"] == [{"name": "rows", "value": "5"},
                                                    {"name": "word", "value": "ferry"}],
                f"parameters {spec['arguments']}")
    fails.check(spec["volumes"] == [{"name": "ferry-runs",
                                     "persistentVolumeClaim": {"claimName": "runs-pvc"}}],
                f"volumes {spec['volumes']}")
    names = [t["name"] for t in spec["templates"]]
    fails.check(names == ["main", "step-make-data", "step-square", "step-label", "step-report"],
                f"templates {names}")
    tasks = {t["name"]: t for t in spec["templates"][0]["dag"]["tasks"]}
    fails.check(sorted(tasks) == ["label", "make-data", "report", "square"], f"tasks {tasks}")
    fails.check("dependencies" not in tasks["make-data"], "make-data has no dependencies")
    fails.check(tasks["square"]["dependencies"] == ["make-data"], "square needs make-data")
    fails.check(tasks["report"]["dependencies"] == ["square", "label"], "report needs 2")
    square = spec["templates"][2]
    fails.check(square["activeDeadlineSeconds"] == 30, "activeDeadlineSeconds")
    fails.check(square["retryStrategy"]["limit"] == 1 and
                square["retryStrategy"]["retryPolicy"] == "Always" and
                square["retryStrategy"]["backoff"]["duration"] == "1s",
                f"retryStrategy {square.get('retryStrategy')}")
    for t in spec["templates"][1:]:
        c = t["container"]
        fails.check(c["image"] == "example.com/ferry:7", f"{t['name']} image")
        fails.check(c["volumeMounts"] == [{"name": "ferry-runs", "mountPath": "/ferry/runs"}],
                    f"{t['name']} volumeMounts")
        fails.check("retryStrategy" not in t or t["name"] == "step-square", f"{t['name']} retry")
        fails.check({"name": "FERRY_REGISTRY", "value": "postgresql://db/ferry"} in c["env"],
                    f"{t['name']} FERRY_REGISTRY")
        fails.check(t["inputs"]["artifacts"][0]["path"] == ARGS_PIPELINE, "artifact path")
    label_env = spec["templates"][3]["container"]["env"]
    fails.check(label_env[0] == {"name": "SUFFIX", "value": "!"}, f"literal env {label_env}")
    fails.check(all(e["name"] != "WORD" for e in label_env), "expression env left to step")


def main():
    args = parse_args()
    fails = Failures()
    with tempdir() as tmp:
        env = Env(args.ferry, tmp)
        pipeline = env.write("pipeline.yaml", PIPELINE)

        # Compile: structure, determinism, stdout vs --output.
        compile_args = ["pipeline", "compile", pipeline, "--target", "argo", "--image",
                        "example.com/ferry:7", "--volume-claim", "runs-pvc", "--registry",
                        "postgresql://db/ferry"]
        r = env.run(*compile_args)
        fails.check(r.returncode == 0, f"compile exited {r.returncode}: {r.stderr}")
        doc = yaml.safe_load(r.stdout)
        check_structure(fails, doc)
        again = env.run(*compile_args)
        fails.check(again.stdout == r.stdout, "compile is deterministic")
        out_file = os.path.join(tmp, "wf.yaml")
        r2 = env.run(*compile_args, "--output", out_file)
        fails.check(r2.returncode == 0 and "Workflow with 4 tasks written to" in r2.stdout,
                    f"--output: {r2.stdout} {r2.stderr}")
        with open(out_file) as f:
            fails.check(f.read() == r.stdout, "--output writes the same manifest")

        # Emulate Argo and compare with a local run (defaults, then overridden params).
        plain = yaml.safe_load(env.run("pipeline", "compile", pipeline, "--target", "argo").stdout)
        for label, params in (("defaults", {}), ("params", {"rows": "3", "word": "hi"})):
            folder = emulate_argo(env, fails, plain, f"argo-demo-{label}", params, label)
            argo_out = outputs_of(folder)
            local = local_run(env, fails, pipeline, [f"{k}={v}" for k, v in params.items()])
            local_out = outputs_of(local) if local else {}
            fails.check(sorted(argo_out) == ["label/title", "make_data/numbers",
                                             "report/report", "square/squares"],
                        f"{label}: argo outputs {sorted(argo_out)}")
            fails.check(argo_out == local_out,
                        f"{label}: argo outputs differ from the local run:\n{argo_out}\n{local_out}")
        expected = b"hi! 3\n1\n4\n9\n"
        fails.check(argo_out.get("report/report") == expected,
                    f"report {argo_out.get('report/report')!r}")

        # A built-in step run in-process inside the task.
        split = env.write("split.yaml", BUILTIN_PIPELINE)
        r = env.run("pipeline", "compile", split, "--target", "argo")
        fails.check(r.returncode == 0, f"compile split: {r.stderr}")
        folder = emulate_argo(env, fails, yaml.safe_load(r.stdout), "argo-split-1", {}, "split")
        argo_out = outputs_of(folder)
        local = local_run(env, fails, split, ["seed=7"])
        fails.check(sorted(argo_out) == ["make/csv", "split/test", "split/train",
                                         "split/validation"],
                    f"split: argo outputs {sorted(argo_out)}")
        fails.check(argo_out == (outputs_of(local) if local else {}),
                    "split: argo outputs differ from the local run")

        # `when` false inside the task: skipped, exit 0, and so is nothing else.
        step = ["pipeline", "step", "--file", pipeline, "--run-dir",
                os.path.join(tmp, "volume-skip", "wf1"), "--param", "word=skip"]
        for s in ("make_data", "square", "label"):
            env.run(*step, "--step", s)
        r = env.run(*step, "--step", "report")
        fails.check(r.returncode == 0 and
                    r.stdout.strip() == "skipped: when condition is false: "
                                        "${{ params.word }} != 'skip'",
                    f"when false: {r.returncode} {r.stdout} {r.stderr}")

        # A failing run step gives its exit code; a missing output exits 1.
        bad = env.write("bad.yaml", "apiVersion: ferry/v1\nkind: Pipeline\nname: bad\nsteps:\n"
                        "  - {name: boom, run: 'echo out; echo err >&2; exit 4'}\n"
                        "  - {name: lazy, run: 'true', outputs: [model]}\n")
        r = env.run("pipeline", "step", "--file", bad, "--step", "boom", "--run-dir", "r1")
        fails.check(r.returncode == 4 and r.stdout == "out\n" and
                    r.stderr == "err\nerror: step 'boom' failed: exit code 4\n",
                    f"failing step: {r.returncode} {r.stdout!r} {r.stderr!r}")
        r = env.run("pipeline", "step", "--file", bad, "--step", "lazy", "--run-dir", "r1")
        missing = os.path.join(env.work, "r1", "steps", "lazy", "outputs", "model")
        fails.check(r.returncode == 1 and r.stderr ==
                    f"error: the step did not write its output 'model' ({missing})\n",
                    f"missing output: {r.returncode} {r.stderr!r}")
        r = env.run("pipeline", "step", "--file", bad, "--step", "nope", "--run-dir", "r1")
        fails.check(r.returncode == 1 and
                    r.stderr == "error: unknown step 'nope'; the pipeline has: boom, lazy\n",
                    f"unknown step: {r.stderr!r}")

        # CronWorkflow when scheduled.
        cron = env.write("cron.yaml", PIPELINE.replace("steps:\n", "schedule: '30 2 * * *'\nsteps:\n", 1))
        r = env.run("pipeline", "compile", cron, "--target", "argo", "--namespace", "ml")
        cdoc = yaml.safe_load(r.stdout) if r.returncode == 0 else {}
        fails.check(cdoc.get("kind") == "CronWorkflow" and
                    cdoc["metadata"] == {"name": "argo-demo", "namespace": "ml"} and
                    cdoc["spec"]["schedules"] == ["30 2 * * *"] and
                    cdoc["spec"]["concurrencyPolicy"] == "Forbid" and
                    cdoc["spec"]["workflowSpec"]["entrypoint"] == "main",
                    f"cron: {r.returncode} {r.stderr} {cdoc.get('spec', {}).get('schedules')}")

        # Bad inputs: invalid pipeline (validate's report), unknown target, bad names.
        invalid = env.write("invalid.yaml", "apiVersion: ferry/v1\nkind: Pipeline\nname: x\n"
                            "steps:\n  - {name: a, needs: [b], run: 'true'}\n")
        r = env.run("pipeline", "compile", invalid, "--target", "argo")
        fails.check(r.returncode == 1 and r.stdout == "" and f"{invalid}:5:" in r.stderr and
                    r.stderr.endswith(f"error: {invalid}: 1 problem found\n"),
                    f"invalid: {r.returncode} {r.stderr!r}")
        r = env.run("pipeline", "compile", pipeline, "--target", "kubeflow")
        fails.check(r.returncode == 1 and
                    r.stderr == "error: --target: unknown target 'kubeflow'; supported: argo\n",
                    f"target: {r.stderr!r}")
        r = env.run("pipeline", "compile", pipeline, "--target", "argo", "--volume-claim", "A_B")
        fails.check(r.returncode == 1 and "--volume-claim: 'A_B' is not a Kubernetes name" in
                    r.stderr, f"volume claim: {r.stderr!r}")
        r = env.run("pipeline", "compile", os.path.join(tmp, "absent.yaml"), "--target", "argo")
        fails.check(r.returncode == 1 and "cannot read pipeline file" in r.stderr,
                    f"absent: {r.stderr!r}")
        r = env.run("pipeline", "compile", pipeline)
        fails.check(r.returncode != 0 and "--target" in r.stderr, f"no target: {r.stderr!r}")
    fails.exit()


if __name__ == "__main__":
    main()
