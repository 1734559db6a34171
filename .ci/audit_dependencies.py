"""pip-audit of the installed environment, with a verdict that never passes silently.

Run by .ci/run as ``.venv/bin/python .ci/audit_dependencies.py``. pip-audit looks every
installed distribution up in PyPI's vulnerability data (the JSON API of pypi.org):

* a known vulnerability, not listed in IGNORED below with its reason: fail;
* some distributions audited, others not (a lookup failed, a package unknown to PyPI): fail;
* none audited because the vulnerability data cannot be reached (a machine that reaches
  only a package mirror, as this project's CI does): say so in a banner, listing what was
  not audited, and fail only if INQUIRY_REQUIRE_AUDIT=1 (set it where PyPI is reachable).

docs/security.md explains each entry of IGNORED and this last case.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

# Vulnerability id -> why it does not apply to Inquiry (repeated in docs/security.md).
IGNORED: dict[str, str] = {}


def main() -> int:
    command = [sys.executable, "-m", "pip_audit", "--format", "json", "--skip-editable",
               "--progress-spinner", "off"]
    for vulnerability in IGNORED:
        command += ["--ignore-vuln", vulnerability]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)  # noqa: S603
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        print(result.stdout, result.stderr, sep="\n")
        print("pip-audit: FAILED to run (see above).")
        return 1
    # Inquiry itself (installed editable) is not on PyPI: not audited, and not missed.
    dependencies = [d for d in report.get("dependencies", [])
                    if "editable" not in (d.get("skip_reason") or "")]
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    audited = len(dependencies) - len(skipped)

    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version"
            print(f"VULNERABLE {dependency['name']} {dependency['version']}: {vuln['id']} "
                  f"(fixed in {fixes}) {vuln.get('description', '')[:200]}")
    if vulnerable:
        print(f"pip-audit: FAILED, {len(vulnerable)} distribution(s) with a known "
              "vulnerability. Upgrade, or explain in docs/security.md and IGNORED.")
        return 1
    if skipped and audited:
        for dependency in skipped:
            print(f"NOT AUDITED {dependency['name']}: {dependency['skip_reason']}")
        print(f"pip-audit: FAILED, {len(skipped)} distribution(s) could not be audited.")
        return 1
    if skipped:
        names = ", ".join(d["name"] for d in skipped)
        print("!" * 78)
        print("pip-audit: NO VULNERABILITY DATA. PyPI's vulnerability service could not be "
              "reached from this machine,\nso none of the "
              f"{len(skipped)} installed distributions was audited: {names}.")
        print("Run `.venv/bin/python .ci/audit_dependencies.py` where pypi.org is reachable "
              "(docs/security.md).")
        print("!" * 78)
        return 1 if os.environ.get("INQUIRY_REQUIRE_AUDIT") == "1" else 0
    print(f"pip-audit: no known vulnerability in {audited} distributions"
          + (f" ({len(IGNORED)} ignored, see docs/security.md)." if IGNORED else "."))
    return 0


if __name__ == "__main__":
    sys.exit(main())
