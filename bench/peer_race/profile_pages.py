"""Where a page's time goes, in-process: SQL (execute_wrapper) vs template rendering vs the rest.

    # from the KMCS checkout:
    DATABASE_URL=... DJANGO_SETTINGS_MODULE=bench.settings .venv/bin/python PATH/TO/profile_pages.py \
        kmcs_pages.json [REQUESTS]

For each page of the JSON written by count_pages.py (same app): REQUESTS requests through the
test Client (after one warm-up), measuring the whole request, the time inside cursor.execute,
and the time inside django.template.base.Template.render (outermost calls only); then one
cProfile of 10 requests of the slowest page: its top functions by cumulative time.
"""

import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time

sys.path.insert(0, os.getcwd())
spec = json.load(open(sys.argv[1]))
REQUESTS = int(sys.argv[2]) if len(sys.argv) > 2 else 20
os.environ.setdefault(
    "DJANGO_SETTINGS_MODULE", "hdsite.settings" if spec["app"] == "helpdesk" else "bench.settings"
)
import django  # noqa: E402

django.setup()
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.template import base as template_base  # noqa: E402
from django.test import Client  # noqa: E402

state = {"sql": 0.0, "tpl": 0.0, "depth": 0}
_render = template_base.Template.render


def timed_render(self, context):
    if state["depth"]:
        return _render(self, context)
    state["depth"] += 1
    t0 = time.perf_counter()
    try:
        return _render(self, context)
    finally:
        state["tpl"] += time.perf_counter() - t0
        state["depth"] -= 1


template_base.Template.render = timed_render


def sql_timer(execute, sql, params, many, context):
    t0 = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        state["sql"] += time.perf_counter() - t0


clients = {}
rows = []
for page in spec["pages"]:
    c = clients.get(page["user"])
    if c is None:
        c = clients[page["user"]] = Client()
        c.force_login(get_user_model().objects.get(username=page["user"]))
    c.get(page["url"])
    wall, sql, tpl = [], [], []
    with connection.execute_wrapper(sql_timer):
        for _ in range(REQUESTS):
            state.update(sql=0.0, tpl=0.0)
            t0 = time.perf_counter()
            r = c.get(page["url"])
            wall.append(time.perf_counter() - t0)
            assert r.status_code == 200, (page["url"], r.status_code)
            sql.append(state["sql"])
            tpl.append(state["tpl"])
    w, s, t = (statistics.median(x) * 1000 for x in (wall, sql, tpl))
    # Template time includes the SQL run lazily inside templates; split it out approximately
    # by reporting the three medians as measured.
    rows.append(
        dict(
            label=page["label"],
            url=page["url"],
            wall_ms=round(w, 1),
            sql_ms=round(s, 1),
            template_ms=round(t, 1),
        )
    )
    print(
        f"{page['label']:<44} request {w:7.1f} ms   SQL {s:6.1f} ms ({s / w:4.0%})   "
        f"template render {t:6.1f} ms ({t / w:4.0%})",
        flush=True,
    )

slowest = max(rows, key=lambda r: r["wall_ms"])
page = next(p for p in spec["pages"] if p["url"] == slowest["url"])
c = clients[page["user"]]
prof = cProfile.Profile()
prof.enable()
for _ in range(10):
    c.get(page["url"])
prof.disable()
buf = io.StringIO()
pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(35)
print(f"\ncProfile, 10 requests of {page['label']} ({page['url']}):")
print("\n".join(buf.getvalue().splitlines()[:60]))
out = os.environ.get("PROFILE_OUT")
if out:
    json.dump(rows, open(out, "w"), ensure_ascii=False, indent=1)
