"""What the CLI and oracle tests share: checks that print and count, and the summary line.

    from harness import check, finish
    check(value == expected, "what was checked")
    ...
    sys.exit(finish())
"""

failures = []


def check(cond, what):
    """Prints ok/FAIL with `what` and records a failure; returns cond."""
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)
    return cond


def finish():
    """Prints the summary; the test's exit status (1 when any check failed)."""
    print(f"{'FAILED' if failures else 'passed'}: {len(failures)} failure(s)")
    for f in failures:
        print("  " + f)
    return 1 if failures else 0
