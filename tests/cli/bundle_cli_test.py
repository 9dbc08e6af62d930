#!/usr/bin/python3
"""`ferry bundle …` and `ferry predict` through the real binary: the happy path (create, inspect,
verify, pack, unpack, digest stability) and a table of bad bundles and bad inputs, each with
its expected exit code and error message."""
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from ferry_testlib import Failures, Ferry, parse_args, tempdir  # noqa: E402


def zstd(raw_tar, out):
    subprocess.run(["zstd", "-q", "-f", raw_tar, "-o", out], check=True)


def make_tar(path, members):
    """members: list of (TarInfo, bytes or None). Written uncompressed, then zstd'ed."""
    raw = path + ".raw"
    with tarfile.open(raw, "w", format=tarfile.PAX_FORMAT) as t:
        for info, data in members:
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    zstd(raw, path)


def file_info(name, data):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    return ti, data


def link_info(name, target, kind):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.linkname = target
    return ti, None


def main():
    args = parse_args()
    ferry = Ferry(args.ferry)
    fails = Failures()
    example = os.path.join(args.source, "examples", "breast-cancer")
    model = os.path.join(example, "model.json")
    data = os.path.join(example, "data.csv")

    def expect_error(what, argv, fragment, code=1):
        r = ferry.run(*argv, check=False)
        ok = fails.check(r.returncode == code, f"{what}: exit {r.returncode}, expected {code}; stderr: {r.stderr.strip()}")
        if ok:
            fails.check(fragment in r.stderr, f"{what}: stderr lacks {fragment!r}: {r.stderr.strip()}")
        fails.check("Sanitizer" not in r.stderr and "runtime error" not in r.stderr,
                    f"{what}: sanitizer report: {r.stderr}")
        return r

    with tempdir() as tmp:
        good = os.path.join(tmp, "good")
        r = ferry.run("bundle", "create", "--model", model, "--name", "breast-cancer",
                      "--baseline", data, "--label", "target", "-o", good)
        digest = r.stdout.split("digest ")[1].strip()
        fails.check(digest.startswith("sha256:") and len(digest) == 71, f"digest printed: {digest}")
        for f in ("ferry.yaml", "model.json", "baseline.json", "ferry.sha256"):
            fails.check(os.path.isfile(os.path.join(good, f)), f"bundle holds {f}")

        info = json.loads(ferry.run("bundle", "inspect", good, "--json").stdout)
        fails.check(info["task"] == "binary_classification", "inspect: task from the objective")
        fails.check(info["digest"] == digest, "inspect: same digest as create")
        fails.check(info["signature"]["inputs"][0]["shape"] == [-1, 30], "inspect: input shape")
        fails.check(info["baseline"]["rows"] == 569, "inspect: baseline rows")
        table = ferry.run("bundle", "inspect", good).stdout
        fails.check("binary_classification" in table and "features" in table, "inspect: human table")

        v = ferry.run("bundle", "verify", good)
        fails.check(("digest " + digest) in v.stdout, "verify prints the digest")
        ferry.run("bundle", "verify", good, "--digest", digest)

        packed = os.path.join(tmp, "good.tar.zst")
        ferry.run("bundle", "pack", good, "-o", packed)
        packed2 = os.path.join(tmp, "again.tar.zst")
        ferry.run("bundle", "pack", good, "-o", packed2)
        fails.check(open(packed, "rb").read() == open(packed2, "rb").read(), "pack is deterministic")
        unpacked = os.path.join(tmp, "unpacked")
        u = ferry.run("bundle", "unpack", packed, "-o", unpacked)
        fails.check(("digest " + digest) in u.stdout, "unpacked bundle has the same digest")
        ferry.run("bundle", "verify", packed, "--digest", digest)
        info2 = json.loads(ferry.run("bundle", "inspect", packed, "--json").stdout)
        fails.check(info2["digest"] == digest, "inspect of the archive: same digest")

        # --- bad bundles -------------------------------------------------------------
        def variant(name, edit):
            d = os.path.join(tmp, name)
            shutil.copytree(good, d)
            edit(d)
            return d

        def replace_in(path, old, new):
            text = open(path).read()
            assert old in text, (old, path)
            open(path, "w").write(text.replace(old, new, 1))

        corrupt = variant("corrupt", lambda d: open(os.path.join(d, "model.json"), "wb").write(b"\x00\xffgarbage" * 50))
        expect_error("corrupt model: verify", ["bundle", "verify", corrupt], "model.json")
        expect_error("corrupt model: predict", ["predict", "--bundle", corrupt, "--input", data], "model.json")

        def truncate(d):
            p = os.path.join(d, "model.json")
            b = open(p, "rb").read()
            open(p, "wb").write(b[: len(b) // 2])
        truncated = variant("truncated", truncate)
        expect_error("truncated model", ["predict", "--bundle", truncated, "--input", data], "model.json")
        expect_error("truncated model: verify reports changed content", ["bundle", "verify", truncated],
                     "model.json: content changed")

        wrong_count = variant("wrong-count", lambda d: replace_in(
            os.path.join(d, "ferry.yaml"), "[-1, 30]", "[-1, 29]"))
        expect_error("manifest with a wrong feature count", ["predict", "--bundle", wrong_count, "--input", data],
                     "field 'signature'")

        def drop_features_list(d):
            p = os.path.join(d, "ferry.yaml")
            lines = [l for l in open(p) if "features:" not in l.strip()[:10] or "name:" in l]
            text = "".join(lines).replace("[-1, 30]", "[-1, 29]")
            open(p, "w").write(text)
        wrong_count2 = variant("wrong-count-2", drop_features_list)
        expect_error("model expects 30 features, signature says 29",
                     ["bundle", "verify", wrong_count2], "30")

        missing_field = variant("missing-field", lambda d: replace_in(
            os.path.join(d, "ferry.yaml"), "task: binary_classification\n", ""))
        expect_error("missing manifest field", ["bundle", "verify", missing_field],
                     "field 'task': is required but missing")

        traversal = variant("traversal", lambda d: replace_in(
            os.path.join(d, "ferry.yaml"), "artifact: model.json", "artifact: ../good/model.json"))
        expect_error("traversal in artifact", ["predict", "--bundle", traversal, "--input", data],
                     "escapes its folder")

        missing_artifact = variant("missing-artifact", lambda d: os.remove(os.path.join(d, "model.json")))
        expect_error("missing artifact", ["predict", "--bundle", missing_artifact, "--input", data],
                     "file 'model.json' does not exist in the bundle")

        def symlink_artifact(d):
            os.remove(os.path.join(d, "model.json"))
            os.symlink(model, os.path.join(d, "model.json"))
        symlinked = variant("symlinked", symlink_artifact)
        expect_error("artifact is a symlink", ["predict", "--bundle", symlinked, "--input", data], "symlink")

        no_manifest = variant("no-manifest", lambda d: os.remove(os.path.join(d, "ferry.yaml")))
        expect_error("no manifest", ["bundle", "inspect", no_manifest], "ferry.yaml: missing")

        # --- hostile archives -------------------------------------------------------
        manifest = open(os.path.join(good, "ferry.yaml"), "rb").read()
        modelbytes = open(model, "rb").read()
        base = [file_info("ferry.yaml", manifest), file_info("model.json", modelbytes)]
        hostile = {
            "dotdot": (base + [file_info("../evil", b"x")], "'..'"),
            "absolute": (base + [file_info("/tmp/ferry-evil", b"x")], "absolute"),
            "symlink-out": (base + [link_info("link", "/etc/passwd", tarfile.SYMTYPE)], "symlink"),
            "hardlink-out": (base + [link_info("hl", "/etc/passwd", tarfile.LNKTYPE)], "link"),
        }
        for label, (members, fragment) in hostile.items():
            path = os.path.join(tmp, f"{label}.tar.zst")
            make_tar(path, members)
            dest = os.path.join(tmp, f"out-{label}")
            expect_error(f"archive with {label}", ["bundle", "unpack", path, "-o", dest], fragment)
            fails.check(not os.path.exists(dest), f"{label}: nothing left at the destination")
            fails.check(not os.path.exists("/tmp/ferry-evil"), f"{label}: nothing written outside")

        # A 10 GB declared entry: a real header, only a few bytes of data.
        big = tarfile.TarInfo("model.json")
        big.size = 10 * 2**30
        raw = os.path.join(tmp, "big.tar")
        with open(raw, "wb") as f:
            f.write(big.tobuf(format=tarfile.GNU_FORMAT))
            f.write(b"{" * 4096)
        zstd(raw, raw + ".zst")
        dest = os.path.join(tmp, "out-big")
        expect_error("10 GB declared entry", ["bundle", "unpack", raw + ".zst", "-o", dest], "model.json")
        fails.check(not os.path.exists(dest), "10 GB entry: nothing left behind")

        missing_manifest_tar = os.path.join(tmp, "nomanifest.tar.zst")
        make_tar(missing_manifest_tar, [file_info("model.json", modelbytes)])
        expect_error("archive without a manifest", ["bundle", "unpack", missing_manifest_tar, "-o",
                                                     os.path.join(tmp, "out-nm")], "ferry.yaml")
        leftovers = [n for n in os.listdir(tmp) if n.startswith(".out-")]
        fails.check(not leftovers, f"no temporary folders left: {leftovers}")

        # --- create refuses to overwrite ----------------------------------------------
        before = open(os.path.join(good, "ferry.yaml")).read()
        expect_error("create over an existing folder",
                     ["bundle", "create", "--model", model, "--name", "x", "-o", good], "already exists")
        fails.check(open(os.path.join(good, "ferry.yaml")).read() == before, "existing bundle untouched")
        expect_error("create with a task that contradicts the objective",
                     ["bundle", "create", "--model", model, "--name", "x", "--task", "regression", "-o",
                      os.path.join(tmp, "x")], "disagrees")
        expect_error("create with a bad name",
                     ["bundle", "create", "--model", model, "--name", "../x", "-o", os.path.join(tmp, "y")],
                     "invalid")
        fails.check(not os.path.exists(os.path.join(tmp, "x")), "failed create leaves nothing")

        # --- bad inputs to predict ----------------------------------------------------
        header = open(data).readline().strip()
        row = open(data).readlines()[1].strip()

        def input_file(name, text, binary=False):
            p = os.path.join(tmp, name)
            with open(p, "wb") as f:
                f.write(text if binary else text.encode())
            return p

        cols = header.split(",")
        wrong_header = input_file("wrong-header.csv", ",".join(c.replace("mean_radius", "radius") for c in cols) + "\n" + row + "\n")
        expect_error("wrong header", ["predict", "--bundle", good, "--input", wrong_header],
                     "no column 'mean_radius' (a model feature)")
        bad_value = input_file("bad-value.csv", header + "\n" + row + "\n" + row.replace(",17.99,", ",abc,", 1) + "\n")
        expect_error("non-numeric value", ["predict", "--bundle", good, "--input", bad_value],
                     "bad-value.csv:3: column 'mean_radius': 'abc' is not a number")
        r = ferry.run("predict", "--bundle", good, "--input", bad_value, "--on-error", "skip",
                      "--key-column", "id")
        fails.check(r.stdout.count("\n") == 2 and "bad-value.csv:3" in r.stderr,
                    f"--on-error skip reports the line and scores the rest: {r.stdout!r} {r.stderr!r}")
        short_row = input_file("short.csv", header + "\n" + ",".join(row.split(",")[:-3]) + "\n")
        expect_error("column count mismatch", ["predict", "--bundle", good, "--input", short_row],
                     "short.csv:2: expected 32 fields, got 29")
        expect_error("empty file", ["predict", "--bundle", good, "--input", input_file("empty.csv", "")],
                     "empty file")
        only_header = input_file("header-only.csv", header + "\n")
        r = ferry.run("predict", "--bundle", good, "--input", only_header, "--key-column", "id")
        fails.check(r.stdout == "id,probability\n", f"header-only input gives a header-only output: {r.stdout!r}")
        non_utf8 = input_file("latin1.csv", (header + "\n").encode() + row.replace("p0000", "p\xe9").encode("latin-1") + b"\n", binary=True)
        expect_error("non-UTF-8 byte", ["predict", "--bundle", good, "--input", non_utf8],
                     "latin1.csv:2: invalid UTF-8")
        expect_error("missing input", ["predict", "--bundle", good, "--input", os.path.join(tmp, "nope.csv")],
                     "nope.csv")
        bad_json = input_file("bad.jsonl", '{"features": [1, 2]}\n{not json}\n')
        expect_error("JSONL wrong feature count", ["predict", "--bundle", good, "--input", bad_json],
                     "bad.jsonl:1: 'features' has 2 values, expected 30")
        bad_json2 = input_file("bad2.jsonl", json.dumps({"features": [1.0] * 30}) + "\n{not json}\n")
        expect_error("JSONL invalid JSON", ["predict", "--bundle", good, "--input", bad_json2],
                     "bad2.jsonl:2: invalid JSON")
        expect_error("missing key column", ["predict", "--bundle", good, "--input", data, "--key-column", "nope"],
                     "no column 'nope' (the key column)")
        out = os.path.join(tmp, "never.csv")
        expect_error("failed predict writes no output", ["predict", "--bundle", good, "--input", bad_value,
                                                         "-o", out], "abc")
        fails.check(not os.path.exists(out), "no partial output file")
        expect_error("unknown output format", ["predict", "--bundle", good, "--input", data, "-o",
                                               os.path.join(tmp, "out.parquet")], "cannot tell the format")
    fails.exit()


if __name__ == "__main__":
    main()
