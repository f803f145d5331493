"""`make audit`: pip-audit over .venv, with an honest answer when nothing could be checked.

pip-audit alone misleads offline: when its advisory service answers "not found" for every
package (a PyPI mirror without the JSON API) it skips them all and still prints "No known
vulnerabilities found" with status 0; when the service cannot be reached at all it dies with
a traceback and status 1, the same status as "vulnerabilities found". This wrapper runs it
with JSON output and says which of three things happened:

  0  every package was checked and none has a known vulnerability
  1  known vulnerabilities (listed, with the versions that fix them)
  2  pip-audit could not reach its advisory database: nothing (or not everything) was checked

Arguments are passed on to pip-audit (e.g. `-s osv` to ask OSV instead of PyPI).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

# pip-audit's own wording for a package its service does not know (pip_audit/_service).
_NOT_FOUND = "Dependency not found on PyPI"


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def main(argv: list[str]) -> int:
    command = [sys.executable, "-m", "pip_audit", "--skip-editable", "--format", "json",
               "--progress-spinner", "off", *argv]
    # The arguments are the operator's own, from the command line.
    proc = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    try:
        report: dict[str, Any] = json.loads(proc.stdout)
    except json.JSONDecodeError:
        # No report at all: pip-audit failed before auditing (service unreachable, DNS).
        print(f"pip-audit could not reach its advisory database ({_last_line(proc.stderr)}): "
              "nothing was checked", file=sys.stderr)
        return 2

    dependencies: list[dict[str, Any]] = report.get("dependencies", [])
    unknown = [d for d in dependencies if _NOT_FOUND in d.get("skip_reason", "")]
    audited = [d for d in dependencies if "skip_reason" not in d]
    vulnerable = [d for d in audited if d.get("vulns")]

    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
            print(f"{dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixes})")
    if not audited and unknown:
        print(f"pip-audit could not reach its advisory database (all {len(unknown)} packages "
              "answered 'not found'): nothing was checked", file=sys.stderr)
        return 2
    if vulnerable:
        print(f"{len(vulnerable)} of {len(audited)} packages have known vulnerabilities",
              file=sys.stderr)
        return 1
    if unknown:
        names = ", ".join(d["name"] for d in unknown)
        print(f"no known vulnerabilities in {len(audited)} packages, but the advisory "
              f"database did not know {len(unknown)}: {names}", file=sys.stderr)
        return 2
    print(f"no known vulnerabilities in {len(audited)} packages")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
