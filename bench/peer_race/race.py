"""Race two running Django apps page by page over real HTTP, interleaved, in one run.

    python race.py hd_pages.json kmcs_pages.json \
        --a http://127.0.0.1:18803 --b http://127.0.0.1:18804 --requests 30 --warmup 3 \
        --out race.json

Stdlib only (any Python 3.10+). The two JSON files come from count_pages.py (one per app): each
names the login form, the users and their passwords, and the pages by group. Each user logs in
through the app's own login form (CSRF token, POST, session cookie), like a browser.

Timing: every round requests every page of both apps once, alternating apps (A, B, A, B...);
rounds alternate direction (forward, then backward) so no page always follows the same one.
The first --warmup rounds are not timed. A request is timed from connect to the last body byte
(new connection per request: gunicorn's sync workers close it anyway). Every answer is checked:
status 200, and for the helpdesk data endpoint, as many rows as counted. A page made of several
requests (helpdesk's list: the HTML, then the datatables JSON the browser always loads next) is
timed as the sum of its parts within the same round.
"""

import argparse
import http.client
import json
import math
import os
import platform
import re
import statistics
import sys
import time
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit


def percentile(values, q):
    """Nearest-rank percentile (p95 of 30 samples is the 29th smallest), as bench/run.py."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


class Session:
    def __init__(self, base):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.cookies = {}

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        h = {"Host": f"{self.host}:{self.port}", "Accept-Encoding": "identity"}
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        h.update(headers or {})
        t0 = time.perf_counter()
        conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        data = resp.read()
        elapsed = time.perf_counter() - t0
        conn.close()
        for key, value in resp.getheaders():
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return resp.status, resp.getheader("Location"), data, elapsed

    def login(self, url, username, password, next_url):
        status, _, body, _ = self.request("GET", url)
        assert status == 200, (url, status)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
        form = urlencode(
            {
                "csrfmiddlewaretoken": token,
                "username": username,
                "password": password,
                "next": next_url,
            }
        )
        status, location, body, _ = self.request(
            "POST",
            url,
            body=form,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://{self.host}:{self.port}{url}",
            },
        )
        assert status == 302 and "sessionid" in self.cookies, (
            f"login of {username} failed: {status} {location}"
        )


def load(path, side, base):
    spec = json.load(open(path))
    sessions = {}
    for user, password in spec["passwords"].items():
        s = Session(base)
        s.login(spec["login"]["url"], user, password, spec["login"]["next"])
        sessions[user] = s
    probes = []
    for page in spec["pages"]:
        probes.append(
            dict(page, side=side, app=spec["app"], session=sessions[page["user"]], times=[])
        )
    return spec, probes


def interleave(a_probes, b_probes):
    groups = []
    for p in a_probes + b_probes:
        if p["group"] not in groups:
            groups.append(p["group"])
    order = []
    for g in groups:
        a = [p for p in a_probes if p["group"] == g]
        b = [p for p in b_probes if p["group"] == g]
        for i in range(max(len(a), len(b))):
            if i < len(a):
                order.append(a[i])
            if i < len(b):
                order.append(b[i])
    return order


def hit(probe):
    status, location, body, elapsed = probe["session"].request("GET", probe["url"])
    if status != 200:
        raise SystemExit(f"{probe['app']} {probe['url']}: {status} {location}")
    if probe.get("rows") is not None:
        rows = len(json.loads(body)["data"])
        if rows != probe["rows"]:
            raise SystemExit(f"{probe['app']} {probe['url']}: {rows} rows, want {probe['rows']}")
    probe["last_bytes"] = len(body)
    return elapsed


def summarize(probes, requests):
    """Pages (parts summed per round) per side and group."""
    pages = {}
    for p in probes:
        key = (p["side"], p["group"], p.get("part_of") or p["label"])
        page = pages.setdefault(
            key,
            dict(
                side=p["side"],
                app=p["app"],
                group=p["group"],
                label=key[2],
                parts=[],
                times=[0.0] * requests,
                queries=0,
                sql_ms=0.0,
                counts=set(),
            ),
        )
        page["parts"].append(p["label"])
        page["times"] = [t + x for t, x in zip(page["times"], p["times"])]
        page["queries"] += p["queries"]
        page["sql_ms"] += p["sql_ms"]
        if p["counts"] != "-":
            page["counts"].update(p["counts"].split(","))
    out = []
    for page in pages.values():
        ms = [t * 1000 for t in page["times"]]
        page.update(
            median_ms=round(statistics.median(ms), 1),
            p95_ms=round(percentile(ms, 0.95), 1),
            counts=",".join(sorted(page["counts"])) or "-",
            sql_ms=round(page["sql_ms"], 1),
            times_ms=[round(x, 2) for x in ms],
        )
        del page["times"]
        out.append(page)
    return out


def part_rows(probes):
    rows = []
    for p in probes:
        ms = [t * 1000 for t in p["times"]]
        rows.append(
            dict(
                side=p["side"],
                app=p["app"],
                group=p["group"],
                label=p["label"],
                url=p["url"],
                user=p["user"],
                median_ms=round(statistics.median(ms), 1),
                p95_ms=round(percentile(ms, 0.95), 1),
                queries=p["queries"],
                counts=p["counts"],
                sql_ms=p["sql_ms"],
                inprocess_ms=p["inprocess_ms"],
                bytes=p.get("last_bytes"),
            )
        )
    return rows


GROUP_TITLES = {
    "list": "(i) main list of open tickets, page 1",
    "list50": "(i') main list, 50 rows (KMCS's page size)",
    "filter": "(ii) filtered: status + queue/playbook",
    "search": "(iii) search, term hitting a few rows",
    "detail": "(iv) one ticket/case",
    "history": "(v) history/audit of one ticket/case",
    "agentlist": "(vi) main list as a plain agent",
}


def table(pages, a_name, b_name):
    lines = [
        f"| page | {a_name} page | median | p95 | SQL | COUNT | {b_name} page | median | p95 "
        f"| SQL | COUNT | ratio {a_name}/{b_name} (median) |",
        "| --- | --- | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: | --- | ---: |",
    ]
    for group, title in GROUP_TITLES.items():
        a = [p for p in pages if p["side"] == "a" and p["group"] == group]
        b = [p for p in pages if p["side"] == "b" and p["group"] == group]
        if not a and not b:
            continue
        for i in range(max(len(a), len(b), 1)):
            pa = a[min(i, len(a) - 1)] if a else None  # the peer's page against each of B's
            pb = b[i] if i < len(b) else None

            def cells(p):
                if not p:
                    return "n/a | | | |"
                return (
                    f"{p['label']} | {p['median_ms']:.1f} ms | {p['p95_ms']:.1f} ms | "
                    f"{p['queries']} | {p['counts']}"
                )

            ratio = f"{pa['median_ms'] / pb['median_ms']:.2f}x" if pa and pb else "-"
            lines.append(f"| {title if i == 0 else ''} | {cells(pa)} | {cells(pb)} | {ratio} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("a_pages")
    ap.add_argument("b_pages")
    ap.add_argument("--a", default="http://127.0.0.1:18803", help="base URL of app A (peer)")
    ap.add_argument("--b", default="http://127.0.0.1:18804", help="base URL of app B (KMCS)")
    ap.add_argument("--requests", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--groups", default="", help="comma-separated groups to race (default all)")
    ap.add_argument("--out", default="race.json")
    args = ap.parse_args()
    a_spec, a_probes = load(args.a_pages, "a", args.a)
    b_spec, b_probes = load(args.b_pages, "b", args.b)
    if args.groups:
        keep = set(args.groups.split(","))
        a_probes = [p for p in a_probes if p["group"] in keep]
        b_probes = [p for p in b_probes if p["group"] in keep]
    order = interleave(a_probes, b_probes)
    load0 = os.getloadavg()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.time()
    for rnd in range(args.warmup + args.requests):
        seq = order if rnd % 2 == 0 else list(reversed(order))
        for probe in seq:
            elapsed = hit(probe)
            if rnd >= args.warmup:
                probe["times"].append(elapsed)
        print(
            f"  round {rnd + 1}/{args.warmup + args.requests} "
            f"({time.time() - t0:.0f} s, load {os.getloadavg()[0]:.1f})",
            file=sys.stderr,
        )
    pages = summarize(a_probes + b_probes, args.requests)
    result = dict(
        started_at=started,
        seconds=round(time.time() - t0, 1),
        load_before=load0,
        load_after=os.getloadavg(),
        machine=dict(platform=platform.platform(), cpus=os.cpu_count()),
        requests=args.requests,
        warmup=args.warmup,
        order=[p["app"] + " " + p["label"] for p in order],
        a={k: v for k, v in a_spec.items() if k not in ("pages", "passwords")},
        b={k: v for k, v in b_spec.items() if k not in ("pages", "passwords")},
        parts=part_rows(a_probes + b_probes),
        pages=pages,
    )
    result["table"] = table(pages, a_spec["app"], b_spec["app"])
    json.dump(result, open(args.out, "w"), ensure_ascii=False, indent=1)
    print(
        f"race {started}, {result['seconds']} s, load {load0[0]:.1f} -> "
        f"{result['load_after'][0]:.1f}; {a_spec['app']}: "
        f"{a_spec.get('tickets', a_spec.get('cases')):,} rows; {b_spec['app']}: "
        f"{b_spec.get('cases', b_spec.get('tickets')):,} rows"
    )
    print("\nrequests (each part):")
    for r in result["parts"]:
        print(
            f"  {r['app']:<8} {r['group']:<9} {r['label']:<42} median {r['median_ms']:8.1f} "
            f"p95 {r['p95_ms']:8.1f}  SQL {r['queries']:>3} ({r['sql_ms']:.1f} ms in-process "
            f"capture; request {r['inprocess_ms']:.1f} ms)"
        )
    print()
    print(result["table"])
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
