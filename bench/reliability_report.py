"""One command for the README's 'Reliability' figures::

    python bench/reliability_report.py                 # chaos 10 rounds of 200 SMS + 50 payouts
    python bench/reliability_report.py --rounds 100    # the bench's full run (30-75 min)
    python bench/reliability_report.py --chaos-json bench/results/chaos-100.json  # reuse a run

It runs, each in its own process:

1. the queue chaos (bench/chaos.py: PostgreSQL + its own Redis + a real Celery worker killed with
   SIGKILL mid-way every round, Redis restarted with nothing saved, SMS and payouts through the
   real adapters to the provider sandbox, which fails on demand);
2. the fuzzing (tests/reliability/test_fuzz.py: every playbook with arbitrary JSON facts, the
   SMS renderer with arbitrary values and bodies) with ``--fuzz-examples`` per test;
3. schemathesis over the API (tests/api/test_schema.py, ``--schemathesis-examples`` per
   operation, every response checked for 5xx and against the schema);
4. the security tests (tests/security: the generated permission matrix, CSRF, personal data,
   history, logins) for their request counts;

then prints the figures table and writes the README's "Reliability" section and
bench/results/reliability.json. Exit code 1 if any figure is not what it must be.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ARTIFACTS = ROOT / "test-artifacts"


def _run(args: list[str], env: dict | None = None, timeout: int = 7200) -> tuple[int, str]:
    started = time.monotonic()
    result = subprocess.run(
        args,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    output = result.stdout + result.stderr
    print(
        f"  {' '.join(args[1:4])}... exit {result.returncode} in {time.monotonic() - started:.0f} s"
    )
    return result.returncode, output


def chaos(args) -> dict:
    if args.chaos_json:
        return json.loads(Path(args.chaos_json).read_text())
    out = ROOT / "bench" / "results" / f"chaos-{args.rounds}.json"
    code, output = _run(
        [
            PYTHON,
            "bench/chaos.py",
            "--rounds",
            str(args.rounds),
            "--messages",
            str(args.messages),
            "--payouts",
            str(args.payouts),
            "--json",
            str(out),
        ]
    )
    if not out.exists():
        raise SystemExit(f"chaos run failed (exit {code}):\n{output[-3000:]}")
    return json.loads(out.read_text())


def fuzz(args) -> dict:
    test_env = {"DJANGO_SETTINGS_MODULE": "kmcs_site.settings.test"}
    (ARTIFACTS / "reliability" / "fuzz.json").unlink(missing_ok=True)  # only this run's counts
    code, output = _run(
        [PYTHON, "-m", "pytest", "-q", "tests/reliability/test_fuzz.py", "-p", "no:cacheprovider"],
        env={**test_env, "KMCS_FUZZ_EXAMPLES": str(args.fuzz_examples)},
    )
    counts = json.loads((ARTIFACTS / "reliability" / "fuzz.json").read_text())["counts"]
    return {
        "exit": code,
        "counts": counts,
        "failed": _pytest_failed(output),
        "summary": _pytest_summary(output),
    }


def schemathesis(args) -> dict:
    counts_path = ARTIFACTS / "reliability" / "schemathesis.json"
    counts_path.unlink(missing_ok=True)  # only this run's counts
    code, output = _run(
        [
            PYTHON,
            "-m",
            "pytest",
            "-q",
            "tests/api/test_schema.py",
            "-k",
            "test_generated_requests_never_break_the_api",
            "-p",
            "no:cacheprovider",
        ],
        env={
            "DJANGO_SETTINGS_MODULE": "kmcs_site.settings.test",
            "KMCS_SCHEMATHESIS_EXAMPLES": str(args.schemathesis_examples),
        },
    )
    if not counts_path.exists():
        raise SystemExit(f"schemathesis run wrote no counts (exit {code}):\n{output[-3000:]}")
    counts = json.loads(counts_path.read_text())
    return {
        "exit": code,
        "operations": counts["operations"],
        "examples": counts["requests"],
        "statuses": counts["statuses"],
        "server_errors": counts["statuses"].get("5xx", 0),
        "summary": _pytest_summary(output),
    }


def security(args) -> dict:
    (ARTIFACTS / "security" / "matrix.json").unlink(missing_ok=True)  # only this run's count
    code, output = _run(
        [PYTHON, "-m", "pytest", "-q", "tests/security", "-p", "no:cacheprovider"],
        env={"DJANGO_SETTINGS_MODULE": "kmcs_site.settings.test"},
    )
    matrix = json.loads((ARTIFACTS / "security" / "matrix.json").read_text())
    return {
        "exit": code,
        "matrix_requests": matrix["requests"],
        "matrix_roles": matrix["roles"],
        "summary": _pytest_summary(output),
    }


def _pytest_failed(output: str) -> int:
    """Failed and erroring tests in pytest's summary line (a fuzz test fails at its first
    exception, so this is the number of fuzz targets that raised)."""
    summary = _pytest_summary(output)
    return sum(int(n) for n in re.findall(r"(\d+) (?:failed|errors?)\b", summary))


def _pytest_summary(output: str) -> str:
    lines = [line for line in output.splitlines() if re.search(r"\d+ (passed|failed)", line)]
    return lines[-1].strip("= ") if lines else "(no summary)"


def table(figures: dict) -> str:
    c = figures["chaos"]["totals"]
    per = figures["chaos"]["per_round"]
    fz = figures["fuzz"]
    f = fz["counts"]
    s = figures["schemathesis"]
    sec = figures["security"]
    playbook_examples = sum(
        v for k, v in f.items() if k.startswith("playbook:") and k.count(":") == 1
    )
    proposals = sum(v for k, v in f.items() if k.endswith(":proposal"))
    render_examples = f.get("render:catalogue", 0) + f.get("render:body", 0)
    rows = [
        (
            "Chaos rounds (worker SIGKILL + Redis restart + provider failures each)",
            f"{c['rounds']}",
        ),
        (
            "per round",
            f"{per['messages']} SMS + {per['payouts']} payouts (+ their {3 * per['payouts']} SMS)",
        ),
        (
            "SMS queued / accepted exactly once (at the provider)",
            f"{c['messages']:,} / {c['messages_sent_once']:,}",
        ),
        (
            "Payouts / paid exactly once (at the bank)",
            f"{c['payouts']:,} / {c['payouts_paid_once']:,}",
        ),
        (
            "Duplicates (SMS sent twice, payouts paid twice)",
            f"{c['messages_sent_twice']} / {c['payouts_paid_twice']}",
        ),
        ("Lost (SMS not sent, payouts not paid)", f"{c['messages_lost']} / {c['payouts_lost']}"),
        *_kill_rows(figures["chaos"]),
        (
            "In flight at a kill, recovered",
            f"{c['messages_reclaimed']} SMS reclaimed, {c['transfers_reconciled']} transfers reconciled",
        ),
        *_provider_rows(c),
        (
            "Repeats absorbed by idempotency keys (SMS / bank)",
            f"{c['sms_repeats_absorbed']} / {c['bank_repeats_absorbed']}",
        ),
        (
            "Fuzz: playbook examples (reached a proposal)",
            f"{playbook_examples:,} ({proposals:,})",
        ),
        ("Fuzz: renderer examples", f"{render_examples:,}"),
        ("Fuzz tests that raised (of them all)", f"{fz['failed']} ({fz['summary']})"),
        (
            "Schemathesis: API operations / requests sent",
            f"{s['operations']} / {s['examples']:,} ("
            + ", ".join(f"{k}: {v:,}" for k, v in s["statuses"].items())
            + ")",
        ),
        ("Schemathesis: 5xx responses", f"{s['server_errors']}"),
        (
            f"Permission matrix requests ({sec['matrix_roles']} roles incl. anonymous)",
            f"{sec['matrix_requests']:,}",
        ),
        ("Security tests", sec["summary"]),
    ]
    width = max(len(k) for k, _ in rows)
    lines = [f"| {'figure':<{width}} | value |", f"|{'-' * (width + 2)}|-------|"]
    lines += [f"| {k:<{width}} | {v} |" for k, v in rows]
    return "\n".join(lines)


def _provider_rows(c: dict) -> list[tuple[str, str]]:
    """Provider failures and the payouts' state before the reconciliation, when the run went
    through the sandbox (issue 16)."""
    failures = c.get("provider_failures")
    if not failures:
        return []
    f = {k: failures.get(k, 0) for k in failures}
    return [
        (
            "SMS provider failures injected (503 / accepted, answered late / accepted, unreadable)",
            f"{f.get('sms.fail_next', 0)} / {f.get('sms.uncertain_next', 0)} / "
            f"{f.get('sms.malformed_next', 0)}",
        ),
        (
            "Bank failures injected (applied then 500/timeout/unreadable / 503 unapplied / "
            "result inquiry 503)",
            f"{f.get('bank.uncertain_next', 0)} / {f.get('bank.fail_next', 0)} / "
            f"{f.get('bank.result_fail_next', 0)}",
        ),
        (
            "Payouts before the reconciliation: paid once / 확인 필요 / transfer pending since a kill",
            f"{c['payouts_paid_before_reconciliation']:,} / "
            f"{c['payouts_awaiting_reconciliation']:,} / {c['payouts_pending_at_kill']:,}",
        ),
        (
            "SMS held back (breaker open, rate limit) without spending an attempt",
            f"{c.get('sms_held_back', 0):,}",
        ),
    ]


def _kill_rows(chaos: dict) -> list[tuple[str, str]]:
    """Where the kills landed (from each round's ``killed_with``), when the run recorded it."""
    kills = [r["killed_with"] for r in chaos.get("rounds_detail", [])]
    if not kills or "round_sms_delivered" not in kills[0]:
        return []
    per = chaos["per_round"]

    def span(name: str) -> str:
        values = [k[name] for k in kills]
        return f"{min(values)}-{max(values)}"

    return [
        (
            "At each kill: round's transfers executed / round's SMS delivered",
            f"{span('bank')} of {per['payouts']} / {span('round_sms_delivered')} of "
            f"{per['messages']}",
        )
    ]


def ok(figures: dict) -> list[str]:
    c = figures["chaos"]["totals"]
    problems = []
    if c["messages_lost"] or c["payouts_lost"]:
        problems.append("something was lost")
    if c["messages_sent_twice"] or c["payouts_paid_twice"]:
        problems.append("something was sent or paid twice")
    if c["messages_sent_once"] != c["messages"] or c["payouts_paid_once"] != c["payouts"]:
        problems.append("not everything delivered exactly once")
    for name in ("fuzz", "schemathesis", "security"):
        if figures[name]["exit"]:
            problems.append(f"{name} failed: {figures[name]['summary']}")
    if figures["schemathesis"]["server_errors"]:
        problems.append("5xx from the API")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--payouts", type=int, default=50)
    parser.add_argument("--chaos-json", help="figures of an earlier bench/chaos.py --json run")
    parser.add_argument("--fuzz-examples", type=int, default=500)
    parser.add_argument("--schemathesis-examples", type=int, default=25)
    parser.add_argument("--out", type=Path, default=ROOT / "README.md")
    args = parser.parse_args(argv)

    started = time.monotonic()
    print("==> chaos")
    figures = {"chaos": chaos(args)}
    print("==> fuzz")
    figures["fuzz"] = fuzz(args)
    print("==> schemathesis")
    figures["schemathesis"] = schemathesis(args)
    print("==> security")
    figures["security"] = security(args)
    figures["settings"] = {
        "fuzz_examples_per_test": args.fuzz_examples,
        "schemathesis_examples_per_operation": args.schemathesis_examples,
    }
    figures["at"] = datetime.now(UTC).isoformat(timespec="seconds")
    figures["command"] = " ".join(["python bench/reliability_report.py", *(argv or sys.argv[1:])])
    figures["seconds"] = round(time.monotonic() - started)
    rendered = table(figures)
    print(rendered)
    problems = ok(figures)
    for problem in problems:
        print("PROBLEM:", problem)
    results = ROOT / "bench" / "results" / "reliability.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    slim = {**figures, "chaos": {k: v for k, v in figures["chaos"].items() if k != "rounds_detail"}}
    results.write_text(json.dumps(slim, indent=1, ensure_ascii=False))
    write_section(args.out, rendered, figures)
    return 1 if problems else 0


def write_section(path: Path, rendered: str, figures: dict) -> None:
    """Replace the figures between the markers of the README's "Reliability" section (the prose stays)."""
    text = path.read_text() if path.exists() else ""
    begin, end = "<!-- figures:begin -->", "<!-- figures:end -->"
    chaos_seconds = figures["chaos"].get("seconds")
    block = (
        f"{begin}\n_Measured {figures['at']} by `{figures['command']}` "
        f"({figures['seconds'] / 60:.0f} min in all"
        + (f", the chaos rounds {chaos_seconds / 60:.0f} min" if chaos_seconds else "")
        + f"): chaos {figures['chaos']['rounds']} rounds of "
        f"{figures['chaos']['per_round']['messages']} SMS + "
        f"{figures['chaos']['per_round']['payouts']} payouts; fuzz "
        f"{figures['settings']['fuzz_examples_per_test']} examples per test, schemathesis "
        f"{figures['settings']['schemathesis_examples_per_operation']} per operation._\n\n"
        f"{rendered}\n{end}"
    )
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end) :]
    else:
        text = text + "\n" + block + "\n"
    path.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
