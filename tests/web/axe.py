"""axe-core in the browser tests: inject the vendored axe.min.js (tests/web/vendor/) into a
Playwright page and run it. `serious_violations` returns what a page fails at the "serious"
or "critical" impact, each as a line naming the rule and where, for an assertion message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
# The rules of WCAG 2.0/2.1/2.2 A and AA and axe's best practices, plus the experimental one
# that names controls whose accessible name leaves out their visible text (the counts).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
EXTRA_RULES = {"label-content-name-mismatch": {"enabled": True}}


async def run_axe(page: Any) -> list[dict[str, Any]]:
    """The page's axe violations (axe's own JSON)."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(content=AXE.read_text())
    result = await page.evaluate(
        """async ([tags, rules]) => {
             const found = await axe.run(document, {
               runOnly: {type: "tag", values: tags}, rules: rules, resultTypes: ["violations"]});
             return found.violations;
           }""", [TAGS, EXTRA_RULES])
    return list(result)


async def serious_violations(page: Any) -> list[str]:
    lines = []
    for violation in await run_axe(page):
        if violation.get("impact") not in ("serious", "critical") \
                and violation["id"] != "label-content-name-mismatch":
            continue
        for node in violation["nodes"][:5]:
            lines.append(f"{violation['id']} ({violation['impact']}): {node['target']} "
                         f"{node.get('failureSummary', '')[:200]}")
    return lines
