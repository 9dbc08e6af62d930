"""A real Prometheus server scrapes `ferry serve` on loopback; the number of
successful infer requests is read back through Prometheus' query API."""
import json
import os
import shutil
import socket
import subprocess
import urllib.parse
import urllib.request

import serve_helpers as sh
import ferry_testlib


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    args = ferry_testlib.parse_args()
    f = ferry_testlib.Failures()
    prometheus = shutil.which("prometheus")
    if not f.check(prometheus is not None, "prometheus is installed (scripts/setup.sh)"):
        f.exit()
    with ferry_testlib.tempdir() as tmp:
        bundle = sh.make_bundle(args.ferry, args.source, os.path.join(tmp, "bc"))
        _, rows, _ = sh.example_rows(args.source)
        server = sh.Server(args.ferry, "--model", f"breast-cancer={bundle}")
        prom = None
        try:
            conn = server.connection()
            n = 37
            for i in range(n):
                status, _, _ = sh.request(conn, "POST", "/v2/models/breast-cancer/infer",
                                          sh.infer_body([rows[i]]))
                f.check(status == 200, f"infer {i}: {status}")

            prom_port = free_port()
            config = os.path.join(tmp, "prometheus.yml")
            with open(config, "w") as fh:
                fh.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                         "scrape_configs:\n  - job_name: ferry\n    static_configs:\n"
                         f"      - targets: ['127.0.0.1:{server.port}']\n")
            prom = subprocess.Popen(
                [prometheus, f"--config.file={config}", f"--storage.tsdb.path={tmp}/tsdb",
                 f"--web.listen-address=127.0.0.1:{prom_port}"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            query = 'sum(ferry_http_infer_requests_total{model="breast-cancer",outcome="ok"})'
            url = (f"http://127.0.0.1:{prom_port}/api/v1/query?" +
                   urllib.parse.urlencode({"query": query}))
            seen = {}

            def scraped():
                try:
                    with urllib.request.urlopen(url, timeout=2) as r:
                        data = json.load(r)
                except OSError:
                    return False
                result = data.get("data", {}).get("result", [])
                if result:
                    seen["value"] = float(result[0]["value"][1])
                return bool(result)

            f.check(sh.wait_until(scraped, 60), "Prometheus scraped ferry within 60 s")
            f.check(seen.get("value") == n, f"value read back through the query API: {seen}")
        finally:
            if prom is not None:
                prom.terminate()
                prom.wait(timeout=30)
            code, err = server.stop()
        f.check(code == 0, f"ferry serve exit code {code}: {err}")
    f.exit()


if __name__ == "__main__":
    main()
