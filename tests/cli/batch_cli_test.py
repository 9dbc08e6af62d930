#!/usr/bin/python3
"""`ferry batch` through the real binary: CSV edge cases (quoting, missing values, CRLF, BOM,
quoted line breaks), bad inputs (wrong header, column count mismatch, a non-UTF-8 byte, an empty
file, a header-only file, a bad number) under --on-error fail and skip, sharding (N=4 by byte
range and by key: the union equals the single run), resume after SIGKILL at random points, and
bounded memory (peak RSS does not grow with the input)."""
import json
import os
import random
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from ferry_testlib import Failures, Ferry, parse_args, tempdir  # noqa: E402


def main():
    args = parse_args()
    ferry = Ferry(args.ferry)
    fails = Failures()
    example = os.path.join(args.source, "examples", "breast-cancer")
    with open(os.path.join(example, "data.csv")) as f:
        lines = f.read().splitlines()
    header, rows = lines[0], lines[1:]
    names = header.split(",")[1:-1]  # id, 30 features, target

    def check_clean(what, r):
        fails.check("Sanitizer" not in r.stderr and "runtime error" not in r.stderr,
                    f"{what}: sanitizer report: {r.stderr[-2000:]}")

    def batch(*argv, check=True):
        r = ferry.run("batch", *argv, check=False)
        check_clean(" ".join(map(str, argv)), r)
        if check and r.returncode != 0:
            fails.check(False, f"batch {argv}: exit {r.returncode}: {r.stderr}")
        return r

    def expect_error(what, argv, fragment):
        r = batch(*argv, check=False)
        if fails.check(r.returncode == 1, f"{what}: exit {r.returncode}, expected 1: {r.stderr}"):
            fails.check(fragment in r.stderr, f"{what}: stderr lacks {fragment!r}: {r.stderr}")
        return r

    def read(path):
        with open(path) as f:
            return f.read()

    with tempdir() as tmp:
        bundle = os.path.join(tmp, "bundle")
        ferry.run("bundle", "create", "--model", os.path.join(example, "model.json"), "--name",
                  "bc", "-o", bundle)
        p = lambda name: os.path.join(tmp, name)  # noqa: E731

        def write(name, text, mode="w"):
            with open(p(name), mode) as f:
                f.write(text)
            return p(name)

        # Reference: ferry predict on the plain file (its own tests pin it to XGBoost).
        data = write("data.csv", "\n".join(lines) + "\n")
        ferry.run("predict", "--bundle", bundle, "--input", data, "--output", p("ref.csv"),
                  "--key-column", "id")
        ref = read(p("ref.csv"))
        ref_rows = ref.splitlines()[1:]
        batch("--bundle", bundle, "--input", data, "--output", p("b.csv"), "--key-column", "id")
        fails.check(read(p("b.csv")) == ref, "batch output equals ferry predict's")
        # FERRY_CSV_SIMD=off: the portable parsing path (as on CPUs without AVX-512), same bytes.
        os.environ["FERRY_CSV_SIMD"] = "off"
        try:
            batch("--bundle", bundle, "--input", data, "--output", p("b-portable.csv"),
                  "--key-column", "id")
        finally:
            del os.environ["FERRY_CSV_SIMD"]
        fails.check(read(p("b-portable.csv")) == ref, "FERRY_CSV_SIMD=off: the same output")

        # stdin to stdout.
        r = ferry.run("batch", "--bundle", bundle, "--input", "-", "--input-format", "csv",
                      "--output", "-", "--format", "csv", "--key-column", "id", "-q",
                      stdin="\n".join(lines) + "\n")
        fails.check(r.stdout == ref, "stdin to stdout equals the file run")

        # Quoting, CRLF, BOM, blank lines, missing values, quoted line break in a kept column.
        cells = rows[0].split(",")
        feats = cells[1:-1]
        quoted = ",".join(f'"{v}"' for v in feats)
        edge = ("\ufeff" + header + "\r\n" + f'"a,1",{quoted},"x\ny"\r\n' + "\r\n" +
                f'"b""2",{",".join(feats[:3])},,{",".join(feats[4:])},0\n' +
                f'c3,{",".join(feats[:5])}, NA ,{",".join(feats[6:])},"1"')
        write("edge.csv", edge)
        r = batch("--bundle", bundle, "--input", p("edge.csv"), "--output", p("edge.jsonl"),
                  "--key-column", "id", "--keep", "target")
        out = [json.loads(x) for x in read(p("edge.jsonl")).splitlines()]
        fails.check([o["id"] for o in out] == ["a,1", 'b"2', "c3"], f"edge keys: {out}")
        fails.check([o["target"] for o in out] == ["x\ny", "0", "1"], f"edge kept: {out}")
        first = float(ref_rows[0].split(",")[1])
        fails.check(abs(out[0]["probability"] - first) < 1e-6, "quoted numbers score the same")
        # Missing values agree with ferry predict on the same file.
        ferry.run("predict", "--bundle", bundle, "--input", p("edge.csv"), "--output",
                  p("edge-ref.jsonl"), "--key-column", "id", "--keep", "target")
        fails.check(read(p("edge.jsonl")) == read(p("edge-ref.jsonl")), "edge file: same as predict")

        # Bad inputs.
        expect_error("empty file", ["--bundle", bundle, "--input", write("empty.csv", ""),
                                    "--output", p("o.csv")], "empty file, expected a header line")
        only = batch("--bundle", bundle, "--input", write("hdr.csv", header + "\n"), "--output",
                     p("hdr-out.csv"), "--key-column", "id")
        fails.check(read(p("hdr-out.csv")) == "id,probability\n", "header-only file: header out")
        fails.check("scored 0 rows" in only.stderr, "header-only file: 0 rows")
        expect_error("wrong header", ["--bundle", bundle, "--input",
                                      write("wrong.csv", header.replace("mean_radius", "radius") +
                                            "\n" + rows[0] + "\n"), "--output", p("o.csv")],
                     "no column 'mean_radius' (a model feature) in the header")
        bad = [rows[0], rows[1] + ",extra", rows[2], ",".join(rows[3].split(",")[:1] + ["abc"] + rows[3].split(",")[2:]),
               rows[4].encode().replace(b"p0004", b"p\xff04").decode("latin-1"), rows[5],
               ",".join([""] + rows[6].split(",")[1:])]
        with open(p("bad.csv"), "wb") as f:
            f.write((header + "\n" + "\n".join(bad) + "\n").encode("latin-1"))
        expect_error("column count, fail", ["--bundle", bundle, "--input", p("bad.csv"),
                                            "--output", p("bad-out.csv"), "--key-column", "id"],
                     "bad.csv:3: expected 32 fields, got 33")
        fails.check(not os.path.exists(p("bad-out.csv")) and
                    not os.path.exists(p("bad-out.csv.partial")), "failed job leaves no output")
        r = batch("--bundle", bundle, "--input", p("bad.csv"), "--output", p("bad-out.csv"),
                  "--key-column", "id", "--on-error", "skip")
        errs = [json.loads(x) for x in read(p("bad-out.csv.errors.jsonl")).splitlines()]
        fails.check([e["line"] for e in errs] == [3, 5, 6, 8], f"error lines: {errs}")
        reasons = " | ".join(e["reason"] for e in errs)
        for frag in ("expected 32 fields, got 33", "column 'mean_radius': 'abc' is not a number",
                     "invalid UTF-8", "empty key in column 'id'"):
            fails.check(frag in reasons, f"error reasons lack {frag!r}: {reasons}")
        fails.check("scored 3 rows, skipped 4" in r.stderr, f"skip summary: {r.stderr}")
        got = read(p("bad-out.csv")).splitlines()[1:]
        fails.check(got == [ref_rows[0], ref_rows[2], ref_rows[5]], f"good rows kept: {got}")
        expect_error("model flag without registry or bundle",
                     ["--input", data, "--output", p("o.csv")], "exactly one of --model")
        # --model REF resolves through the registry (FERRY_HOME in the test folder).
        os.environ["FERRY_HOME"] = p("home")
        ferry.run("models", "register", bundle)
        batch("--model", "bc", "--input", data, "--output", p("m.csv"), "--key-column", "id")
        fails.check(read(p("m.csv")) == ref, "--model bc (registry) scores like --bundle")
        expect_error("unknown model", ["--model", "nope", "--input", data, "--output", p("o.csv")],
                     "--model nope")
        expect_error("bad shard", ["--bundle", bundle, "--input", data, "--output", p("o.csv"),
                                   "--shard", "4/4"], "expected i/N with 0 <= i < N")

        # Sharding: 4 shards together give every row exactly once (byte ranges and key hash).
        big_rows = [f"r{k}-{row}" for k in range(40) for row in rows]
        big = write("big.csv", header + "\n" + "\n".join(big_rows) + "\n")
        batch("--bundle", bundle, "--input", big, "--output", p("all.csv"), "--key-column", "id",
              "--threads", "2")
        whole = read(p("all.csv")).splitlines()
        fails.check(len(whole) == len(big_rows) + 1, f"single run: {len(whole) - 1} rows")
        for by in ("bytes", "key"):
            parts = []
            for i in range(4):
                out = p(f"shard-{by}-{i}.csv")
                batch("--bundle", bundle, "--input", big, "--output", out, "--key-column", "id",
                      "--shard", f"{i}/4", "--shard-by", by, "--threads", "1")
                part = read(out).splitlines()
                fails.check(part[0] == whole[0], f"shard {by} {i}: header")
                fails.check(0 < len(part) - 1 < len(whole) - 1, f"shard {by} {i}: {len(part) - 1} rows")
                parts += part[1:]
            if by == "bytes":
                fails.check(parts == whole[1:], "byte-range shards concatenated = single run")
            fails.check(sorted(parts) == sorted(whole[1:]), f"{by} shards: union = single run")

        # Resume: SIGKILL at random points, then --resume until done; same bytes as one run.
        # Kill times are drawn from the length of an uninterrupted run of the same command.
        rng = random.Random(11)
        base_argv = [args.ferry, "batch", "--bundle", bundle, "--input", big, "--key-column",
                     "id", "--threads", "2", "--resume", "-q", "--chunk-kb", "64",
                     "--checkpoint-interval-ms", "0"]
        t0 = time.monotonic()
        subprocess.run(base_argv + ["--output", p("timing.csv")], check=True)
        full = time.monotonic() - t0
        for trial in range(5):
            out = p(f"resume-{trial}.csv")
            kills, resumed_partial = 0, 0
            while True:
                proc = subprocess.Popen(base_argv + ["--output", out], stderr=subprocess.PIPE,
                                        text=True)
                try:
                    # Up to 6 kills per trial, then let it finish.
                    proc.wait(timeout=rng.uniform(0.1, 0.9) * full if kills < 6 else 600)
                except subprocess.TimeoutExpired:
                    proc.send_signal(signal.SIGKILL)
                    proc.wait()
                    proc.stderr.close()
                    kills += 1
                    if os.path.exists(out + ".ferry-checkpoint"):
                        resumed_partial += 1
                    continue
                err = proc.stderr.read()
                proc.stderr.close()
                check_clean("resume", subprocess.CompletedProcess([], 0, "", err))
                fails.check(proc.returncode == 0, f"resume trial {trial}: exit {proc.returncode}: {err}")
                break
            print(f"resume trial {trial}: {kills} kills, {resumed_partial} left a checkpoint")
            fails.check(os.path.exists(out) and read(out).splitlines() == whole,
                        f"resume trial {trial} ({kills} kills): output equals the single run")
            fails.check(not os.path.exists(out + ".ferry-checkpoint"), "checkpoint removed at the end")
            fails.check(not os.path.exists(out + ".partial"), "partial output renamed at the end")
        r = batch("--bundle", bundle, "--input", data, "--output", p("c.csv"), "--resume")
        fails.check(read(p("c.csv")).splitlines()[1:] == [x.split(",", 1)[1] for x in ref_rows],
                    "--resume without a checkpoint starts afresh")

        # Memory: peak RSS with a 4x larger input stays within a few MB of the smaller one's.
        def peak_rss_kb(path):
            # Under ASan, freed memory waits in a quarantine (256 MB by default): keep it small
            # so that RSS shows what the program holds.
            env = dict(os.environ)
            env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=4"
            proc = subprocess.Popen([args.ferry, "batch", "--bundle", bundle, "--input", path,
                                     "--output", p("mem.csv"), "--threads", "2", "--memory-mb",
                                     "32", "-q"], stderr=subprocess.DEVNULL, env=env)
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            fails.check(proc.returncode == 0, f"memory run on {path}: exit {proc.returncode}")
            return usage.ru_maxrss

        small = write("mem1.csv", header + "\n" + "\n".join(rows * 60) + "\n")
        large = write("mem4.csv", header + "\n" + "\n".join(rows * 240) + "\n")
        a, b = peak_rss_kb(small), peak_rss_kb(large)
        print(f"peak RSS: {a / 1024:.0f} MiB on {os.path.getsize(small) / 1e6:.0f} MB, "
              f"{b / 1024:.0f} MiB on {os.path.getsize(large) / 1e6:.0f} MB")
        fails.check(b < a + 24 * 1024, f"peak RSS grows with the input: {a} KB -> {b} KB")
    fails.exit()


if __name__ == "__main__":
    main()
