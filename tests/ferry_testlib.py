"""Helpers shared by Ferry's Python integration tests (run with /usr/bin/python3)."""
import argparse
import os
import subprocess
import sys
import tempfile


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--ferry", required=True, help="path of the ferry binary")
    p.add_argument("--source", required=True, help="project source folder")
    return p.parse_args()


class Ferry:
    """Runs the real `ferry` binary and captures what it prints."""

    def __init__(self, binary):
        self.binary = binary

    def run(self, *args, stdin=None, check=True):
        r = subprocess.run([self.binary, *map(str, args)], input=stdin, capture_output=True,
                           text=True, timeout=600)
        if check and r.returncode != 0:
            raise AssertionError(f"ferry {' '.join(map(str, args))} exited {r.returncode}\n"
                                 f"stdout: {r.stdout}\nstderr: {r.stderr}")
        return r


class Failures:
    """Collects failed checks so one run reports all of them."""

    def __init__(self):
        self.items = []

    def check(self, cond, what):
        if not cond:
            self.items.append(what)
            print(f"FAIL: {what}", file=sys.stderr)
        return cond

    def exit(self):
        if self.items:
            print(f"{len(self.items)} check(s) failed", file=sys.stderr)
            sys.exit(1)
        print("all checks passed")
        sys.exit(0)


def tempdir():
    return tempfile.TemporaryDirectory(prefix="ferry-it-")
