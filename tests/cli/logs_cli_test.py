#!/usr/bin/python3
"""`ferry logs export|tail` through the real binary, on segment files this test writes itself in
the documented format (src/ferry/monitor/prediction_log.h: "FPLG" + u32 1, then per record
[u32 length][u64 SipHash-2-4 of the payload, libsodium crypto_shorthash, key "ferry-predlog-k1"]
[payload JSON]): rotated segments plus a current.open with a torn tail. Checks export (jsonl and
csv, --since/--until, --output), tail -n, tail --follow (a record appended later, a half-written
record, rotations, SIGINT/SIGTERM) and the error cases."""
import csv
import ctypes
import io
import json
import os
import queue
import signal
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from ferry_testlib import Failures, Ferry, parse_args, tempdir  # noqa: E402

SODIUM = ctypes.CDLL("libsodium.so.23")
assert SODIUM.sodium_init() >= 0
KEY = b"ferry-predlog-k1"
BASE_MS = 1795773600000  # 2026-11-27T10:00:00Z


def checksum(payload):
    out = ctypes.create_string_buffer(8)
    rc = SODIUM.crypto_shorthash(out, payload, ctypes.c_ulonglong(len(payload)), KEY)
    assert rc == 0
    return out.raw


def frame(rec):
    payload = json.dumps(rec, separators=(",", ":"), ensure_ascii=False).encode()
    return struct.pack("<I", len(payload)) + checksum(payload) + payload


HEADER = b"FPLG" + struct.pack("<I", 1)


def record(i, time_ms=None, key=None, extra=False):
    inputs = {"mean radius": 10 + i * 0.5, "texture": None if i % 4 == 1 else i * 0.25}
    if extra:
        inputs["extra feature"] = i
    return {"time_ms": BASE_MS + i * 60000 if time_ms is None else time_ms, "model": "bc",
            "version": 2 if i < 5 else 3, "key": f"id-{i}" if key is None else key,
            "inputs": inputs, "outputs": {"probability": round(0.05 * i, 2)},
            "latency_us": 100 + i}


def write_segment(path, records, tail=b""):
    with open(path, "wb") as f:
        f.write(HEADER + b"".join(frame(r) for r in records) + tail)


def iso(ms):
    s, milli = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + f".{milli:03d}Z"


class Follower:
    """`ferry logs tail --follow` in the background; its stdout lines go to a queue."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.lines = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)

    def take(self, n, timeout=10.0):
        out, deadline = [], time.monotonic() + timeout
        while len(out) < n and time.monotonic() < deadline:
            try:
                out.append(self.lines.get(timeout=max(0.01, deadline - time.monotonic())))
            except queue.Empty:
                break
        return out

    def quiet(self, seconds):
        """Lines printed within `seconds` (expected: none)."""
        time.sleep(seconds)
        out = []
        while not self.lines.empty():
            out.append(self.lines.get())
        return out

    def stop(self, sig):
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.thread.join(timeout=5)
        return rc, self.proc.stderr.read()


def main():
    args = parse_args()
    ferry = Ferry(args.ferry)
    fails = Failures()

    def clean(what, r_stderr):
        fails.check("Sanitizer" not in r_stderr and "runtime error" not in r_stderr,
                    f"{what}: sanitizer report: {r_stderr}")

    def expect_error(what, argv, fragment, code=1, env=None):
        r = subprocess.run([args.ferry, *argv], capture_output=True, text=True, env=env,
                           timeout=120)
        ok = fails.check(r.returncode == code,
                         f"{what}: exit {r.returncode}, expected {code}; stderr: {r.stderr.strip()}")
        if ok and fragment is not None:
            fails.check(fragment in r.stderr, f"{what}: stderr lacks {fragment!r}: {r.stderr.strip()}")
        fails.check(r.stdout == "", f"{what}: printed on stdout: {r.stdout!r}")
        clean(what, r.stderr)

    with tempdir() as tmp:
        root = os.path.join(tmp, "logs")
        folder = os.path.join(root, "bc")
        os.makedirs(folder)
        recs = [record(i) for i in range(13)]
        recs[3]["key"] = 'id,3 "quoted"'
        recs[7]["inputs"]["extra feature"] = 7  # a column only one record has
        recs[11]["outputs"] = {"probability": 0.55, "scores": [0.45, 0.55]}
        torn = frame(record(99))[:30]
        write_segment(os.path.join(folder, f"{recs[0]['time_ms']}-1.seg"), recs[0:5])
        write_segment(os.path.join(folder, f"{recs[5]['time_ms']}-2.seg"), recs[5:10])
        write_segment(os.path.join(folder, "current.open"), recs[10:13], tail=torn)
        with open(os.path.join(folder, "notes.txt"), "w") as f:
            f.write("not a segment\n")
        common = ["--log-dir", root]

        # ---- export, jsonl to stdout ----
        r = ferry.run("logs", "export", "--model", "bc", *common)
        clean("export jsonl", r.stderr)
        lines = r.stdout.splitlines()
        got = [json.loads(line) for line in lines]
        fails.check(len(got) == 13, f"export jsonl: {len(got)} records, expected 13")
        for g, want in zip(got, recs):
            exp = {"time": iso(want["time_ms"]), "time_ms": want["time_ms"], "model": "bc",
                   "version": want["version"], "key": want["key"],
                   "latency_us": want["latency_us"], "inputs": want["inputs"],
                   "outputs": want["outputs"]}
            fails.check(g == exp, f"export jsonl: {g} != {exp}")
        fails.check(list(got[0].keys()) == ["time", "time_ms", "model", "version", "key",
                                            "latency_us", "inputs", "outputs"],
                    f"export jsonl: field order {list(got[0].keys()) if got else None}")
        fails.check(got and got[0]["time"] == "2026-11-27T10:00:00.000Z", "export: ISO time")
        fails.check("exported 13 records" in r.stderr, f"export: count report: {r.stderr}")
        fails.check("skipped 30 bytes" in r.stderr and "current.open" in r.stderr,
                    f"export: torn tail report: {r.stderr}")

        # ---- export, csv to a file (format from the extension) ----
        out_csv = os.path.join(tmp, "out", "bc.csv")
        os.makedirs(os.path.dirname(out_csv))
        r = ferry.run("logs", "export", "--model", "bc", *common, "--output", out_csv)
        clean("export csv", r.stderr)
        fails.check(r.stdout == "", f"export csv: stdout not empty: {r.stdout!r}")
        fails.check(f"exported 13 records to {out_csv}" in r.stderr, f"export csv: {r.stderr}")
        fails.check(not [n for n in os.listdir(os.path.dirname(out_csv)) if n != "bc.csv"],
                    f"export csv: leftovers {os.listdir(os.path.dirname(out_csv))}")
        with open(out_csv, newline="") as f:
            text = f.read()
        rows = list(csv.reader(io.StringIO(text)))
        header = ["time", "time_ms", "model", "version", "key", "latency_us", "mean radius",
                  "texture", "extra feature", "probability", "scores[0]", "scores[1]"]
        fails.check(rows and rows[0] == header, f"csv header: {rows[0] if rows else None}")
        fails.check(len(rows) == 14, f"csv: {len(rows)} lines, expected 14")
        fails.check('"id,3 ""quoted"""' in text, "csv: the key is quoted per RFC 4180")
        for row, want in zip(rows[1:], recs):
            cell = dict(zip(header, row))
            ok = (cell["time"] == iso(want["time_ms"]) and int(cell["time_ms"]) == want["time_ms"]
                  and cell["key"] == want["key"] and int(cell["version"]) == want["version"]
                  and int(cell["latency_us"]) == want["latency_us"]
                  and float(cell["mean radius"]) == want["inputs"]["mean radius"]
                  and (cell["texture"] == "" if want["inputs"]["texture"] is None
                       else float(cell["texture"]) == want["inputs"]["texture"])
                  and (cell["extra feature"] == str(want["inputs"].get("extra feature", "")))
                  and float(cell["probability"]) == want["outputs"]["probability"]
                  and cell["scores[1]"] == ("0.55" if "scores" in want["outputs"] else ""))
            fails.check(ok, f"csv row {row} does not match {want}")

        # --format beats the extension; '-o -' is stdout.
        out_other = os.path.join(tmp, "out", "forced.csv")
        ferry.run("logs", "export", "--model", "bc", *common, "-o", out_other, "--format", "jsonl")
        with open(out_other) as f:
            fails.check(json.loads(f.readline())["key"] == "id-0", "--format jsonl into a .csv name")
        r = ferry.run("logs", "export", "--model", "bc", *common, "--format", "csv", "-o", "-")
        fails.check(r.stdout.startswith("time,time_ms,model,version,key,latency_us,mean radius,"),
                    f"--format csv to stdout: {r.stdout[:80]!r}")

        # ---- --since / --until ----
        def export_keys(*extra):
            r = ferry.run("logs", "export", "--model", "bc", *common, *extra)
            clean(f"export {extra}", r.stderr)
            return [json.loads(line)["key"] for line in r.stdout.splitlines()]

        keys = [rec["key"] for rec in recs]
        fails.check(export_keys("--since", "2026-11-27T10:03:00Z") == keys[3:], "--since ISO")
        fails.check(export_keys("--since", "2026-11-27T10:03:00.001Z") == keys[4:],
                    "--since with milliseconds")
        fails.check(export_keys("--until", "2026-11-27T10:02:00Z") == keys[:3], "--until ISO")
        fails.check(export_keys("--since", str(BASE_MS + 5 * 60000), "--until",
                                "2026-11-27T12:11:00+02:00") == keys[5:12],
                    "--since epoch ms, --until with an offset (across segments)")
        fails.check(export_keys("--since", "2026-11-28") == [], "--since after every record")
        r = ferry.run("logs", "export", "--model", "bc", *common, "--since", "2026-11-28",
                      "--format", "csv")
        fails.check(r.stdout == "time,time_ms,model,version,key,latency_us\n",
                    f"empty csv export: {r.stdout!r}")
        fails.check("exported 0 records" in r.stderr, f"empty export report: {r.stderr}")

        # Relative times against the wall clock.
        recent = os.path.join(root, "recent")
        os.makedirs(recent)
        now = int(time.time() * 1000)
        write_segment(os.path.join(recent, f"{now - 7200000}-1.seg"),
                      [record(0, now - 7200000, "two-hours"), record(1, now - 1800000, "half-hour"),
                       record(2, now - 60000, "minute")])
        r = ferry.run("logs", "export", "--model", "recent", *common, "--since", "1h")
        fails.check([json.loads(x)["key"] for x in r.stdout.splitlines()] == ["half-hour", "minute"],
                    f"--since 1h: {r.stdout}")
        r = ferry.run("logs", "export", "--model", "recent", *common, "--since", "3h", "--until",
                      "15m")
        fails.check([json.loads(x)["key"] for x in r.stdout.splitlines()] == ["two-hours", "half-hour"],
                    f"--since 3h --until 15m: {r.stdout}")

        # FERRY_HOME/logs is the default log root.
        env = dict(os.environ, FERRY_HOME=tmp)
        r = subprocess.run([args.ferry, "logs", "export", "--model", "recent"], env=env,
                           capture_output=True, text=True, timeout=120)
        fails.check(r.returncode == 0 and len(r.stdout.splitlines()) == 3,
                    f"FERRY_HOME default: {r.returncode} {r.stderr}")

        # ---- tail -n ----
        r = ferry.run("logs", "tail", "--model", "bc", *common, "-n", "3")
        clean("tail", r.stderr)
        fails.check([json.loads(x)["key"] for x in r.stdout.splitlines()] == keys[10:13],
                    f"tail -n 3: {r.stdout}")
        r = ferry.run("logs", "tail", "--model", "bc", *common)
        fails.check([json.loads(x)["key"] for x in r.stdout.splitlines()] == keys[3:13],
                    "tail: 10 by default")
        r = ferry.run("logs", "tail", "--model", "bc", *common, "-n", "2", "--format", "csv")
        rows = list(csv.reader(io.StringIO(r.stdout)))
        fails.check(len(rows) == 3 and rows[0][:6] == header[:6] and rows[0][-2:] == ["scores[0]", "scores[1]"]
                    and rows[1][4] == keys[11] and rows[2][4] == keys[12],
                    f"tail --format csv: {rows}")
        r = ferry.run("logs", "tail", "--model", "bc", *common, "-n", "100", "--since",
                      "2026-11-27T10:11:00Z")
        fails.check([json.loads(x)["key"] for x in r.stdout.splitlines()] == keys[11:13],
                    "tail --since")
        r = ferry.run("logs", "tail", "--model", "bc", *common, "-n", "0")
        fails.check(r.stdout == "", "tail -n 0")

        # ---- tail --follow ----
        fol = Follower([args.ferry, "logs", "tail", "--model", "bc", *common, "-n", "2",
                        "--follow"])
        first = fol.take(2)
        fails.check([json.loads(x)["key"] for x in first] == keys[11:13],
                    f"follow: the last 2 first: {first}")
        # The torn current.open is rotated as is (a writer restarting), a new one opened.
        t = BASE_MS + 20 * 60000
        os.rename(os.path.join(folder, "current.open"), os.path.join(folder, f"{recs[10]['time_ms']}-3.seg"))
        write_segment(os.path.join(folder, "current.open"), [record(20, t, "A")])
        got = fol.take(1)
        fails.check([json.loads(x)["key"] for x in got] == ["A"], f"follow: after a rotation: {got}")
        # A record appended to current.open later; first half of it, then the rest.
        with open(os.path.join(folder, "current.open"), "ab") as f:
            f.write(frame(record(21, t + 1, "B")))
        got = fol.take(1)
        fails.check([json.loads(x)["key"] for x in got] == ["B"], f"follow: appended: {got}")
        c = frame(record(22, t + 2, "C"))
        with open(os.path.join(folder, "current.open"), "ab") as f:
            f.write(c[:25])
        early = fol.quiet(0.8)
        fails.check(early == [], f"follow: printed a half-written record: {early}")
        with open(os.path.join(folder, "current.open"), "ab") as f:
            f.write(c[25:] + frame(record(23, t + 3, "D")))
        # D only in current.open, then rotated; E in the new current.open, all before a poll.
        os.rename(os.path.join(folder, "current.open"), os.path.join(folder, f"{t}-4.seg"))
        write_segment(os.path.join(folder, "current.open"), [record(24, t + 4, "E")])
        got = fol.take(3)
        fails.check([json.loads(x)["key"] for x in got] == ["C", "D", "E"],
                    f"follow: half-written then rotated: {got}")
        more = fol.quiet(0.8)
        fails.check(more == [], f"follow: printed twice: {more}")
        rc, err = fol.stop(signal.SIGINT)
        fails.check(rc == 0, f"follow: exit {rc} after SIGINT; stderr {err}")
        clean("follow", err)

        # CSV follow from an empty start (header with the first records), SIGTERM.
        empty = os.path.join(root, "empty")
        os.makedirs(empty)
        fol = Follower([args.ferry, "logs", "tail", "--model", "empty", *common, "--format",
                        "csv", "--follow"])
        fails.check(fol.quiet(0.6) == [], "follow csv: nothing before the first record")
        write_segment(os.path.join(empty, "current.open"), [record(1, t, "first")])
        got = fol.take(2)
        fails.check(len(got) == 2 and got[0].startswith("time,time_ms,model,version,key,latency_us,mean radius,texture,probability")
                    and ",first," in got[1], f"follow csv: {got}")
        rc, err = fol.stop(signal.SIGTERM)
        fails.check(rc == 0, f"follow csv: exit {rc} after SIGTERM; stderr {err}")
        clean("follow csv", err)

        # ---- errors ----
        expect_error("unknown model", ["logs", "export", "--model", "nope", *common],
                     f'error: no prediction log for model "nope": folder {os.path.join(root, "nope")} does not exist')
        expect_error("unknown model (tail)", ["logs", "tail", "--model", "nope", *common],
                     f"folder {os.path.join(root, 'nope')} does not exist")
        expect_error("unknown model (FERRY_HOME)", ["logs", "tail", "--model", "nope"],
                     f"folder {os.path.join(tmp, 'logs', 'nope')} does not exist", env=env)
        expect_error("bad --since", ["logs", "export", "--model", "bc", *common, "--since", "yesterday"],
                     'error: --since: "yesterday" is not a time: use an RFC 3339 time')
        expect_error("--since without a zone", ["logs", "tail", "--model", "bc", *common, "--since",
                                                "2026-11-27T10:00:00"], "has no time zone")
        expect_error("bad --until", ["logs", "export", "--model", "bc", *common, "--until", "5y"],
                     'error: --until: "5y" is not a time')
        expect_error("until before since", ["logs", "export", "--model", "bc", *common, "--since",
                                            "2026-11-27T11:00:00Z", "--until", "2026-11-27T10:00:00Z"],
                     "is before --since")
        expect_error("bad format", ["logs", "export", "--model", "bc", *common, "--format", "xml"],
                     'error: --format: unknown format "xml": use csv or jsonl')
        expect_error("bad format (tail)", ["logs", "tail", "--model", "bc", *common, "--format", "parquet"],
                     'unknown format "parquet"')
        for bad in ["../bc", "a/b", "..", ".hidden", "", "x" * 129]:
            expect_error(f"model name {bad!r}", ["logs", "export", "--model", bad, *common],
                         f"is not a model name: expected [A-Za-z0-9][A-Za-z0-9._-]{{0,127}}")
        expect_error("output folder missing", ["logs", "export", "--model", "bc", *common, "-o",
                                               os.path.join(tmp, "no", "such", "x.csv")],
                     "cannot write --output")
        expect_error("a file, not a folder", ["logs", "export", "--model", "notes.txt", "--log-dir", folder],
                     "is not a folder")
        # ---- the log root from the serve config's monitoring.log_dir ----
        config = os.path.join(tmp, "serve.yaml")
        with open(config, "w") as f:
            f.write(f"monitoring:\n  log_dir: {root}\n  window: 1m\n")
        everything = ferry.run("logs", "export", "--model", "bc", *common).stdout
        last_two = ferry.run("logs", "tail", "--model", "bc", "-n", "2", *common).stdout
        fails.check(len(everything.splitlines()) >= 13 and len(last_two.splitlines()) == 2,
                    "the log read with --log-dir")
        r = ferry.run("logs", "export", "--model", "bc", "--config", config)
        fails.check(r.stdout == everything, f"export --config: {len(r.stdout.splitlines())} records")
        r = ferry.run("logs", "tail", "--model", "bc", "-n", "2", "--config", config)
        fails.check(r.stdout == last_two, f"tail --config: {r.stdout!r}")
        elsewhere = os.path.join(tmp, "elsewhere.yaml")
        with open(elsewhere, "w") as f:
            f.write("monitoring:\n  log_dir: /nonexistent/ferry-logs\n")
        r = ferry.run("logs", "export", "--model", "bc", "--config", elsewhere, "--log-dir", root)
        fails.check(r.stdout == everything, "--log-dir beats --config")
        expect_error("config's log root lacks the model",
                     ["logs", "export", "--model", "bc", "--config", elsewhere],
                     "/nonexistent/ferry-logs/bc does not exist")
        expect_error("missing config", ["logs", "export", "--model", "bc", "--config",
                                        os.path.join(tmp, "nope.yaml")], "nope.yaml")
        bad_config = os.path.join(tmp, "bad.yaml")
        with open(bad_config, "w") as f:
            f.write("monitoring:\n  window: soon\n")
        expect_error("bad config", ["logs", "tail", "--model", "bc", "--config", bad_config],
                     "monitoring.window")

        expect_error("negative -n", ["logs", "tail", "--model", "bc", *common, "-n", "-1"], None, code=105)
        expect_error("missing --model", ["logs", "export", *common], "--model is required", code=106)
        fails.check(not os.path.exists(os.path.join(tmp, "no")), "nothing created for a failed export")

    fails.exit()


if __name__ == "__main__":
    main()
