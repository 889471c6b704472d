"""What a page must satisfy in the browser, at every size: the layout invariants a person would
notice, accessibility (axe-core), and the Content-Security-Policy. Shared by the browser tests
and `make screenshots`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SIZES = {"desktop": (1366, 900), "phone": (390, 844), "small-phone": (360, 780)}
# Apple's and Google's guidance: about 44 CSS px for anything a finger has to hit.
TAP = 44

# Record every CSP violation the page reports, from the first script on.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} (${e.sourceFile || ""}:${e.lineNumber || ""})`);
});
"""

# Scroll through the page (lazy images load), then look at every image and the page width.
LAYOUT_JS = r"""
async (minTile) => {
  const faults = [];
  for (let y = 0; y < document.body.scrollHeight; y += innerHeight / 2) {
    scrollTo(0, y); await new Promise(r => setTimeout(r, 50));
  }
  scrollTo(0, 0);
  const deadline = Date.now() + 5000;
  while ([...document.images].some(i => !i.complete) && Date.now() < deadline)
    await new Promise(r => setTimeout(r, 50));
  // On a phone innerWidth grows to fit content that overflows; the layout viewport does not.
  const width = document.scrollingElement.scrollWidth, view = document.documentElement.clientWidth;
  if (width > view + 1) faults.push(`horizontal overflow: ${width}px wide in ${view}px`);
  const shown = (el) => {
    const st = getComputedStyle(el), r = el.getBoundingClientRect();
    return st.display !== "none" && st.visibility !== "hidden" && r.width > 0 && r.height > 0;
  };
  for (const el of document.querySelectorAll("[hidden] *")) {
    if (shown(el)) faults.push(`visible inside [hidden]: <${el.tagName.toLowerCase()} class="${el.className}">`);
  }
  let tiles = 0;
  for (const img of document.images) {
    if (!shown(img)) continue;
    if (img.naturalWidth === 0) { faults.push(`broken image ${img.src.slice(-60)}`); continue; }
    const r = img.getBoundingClientRect();
    const fit = getComputedStyle(img).objectFit;
    const natural = img.naturalWidth / img.naturalHeight, box = r.width / r.height;
    if (r.width >= 24 && r.height >= 24 && fit !== "contain" && fit !== "scale-down"
        && Math.abs(box / natural - 1) > 0.05)
      faults.push(`aspect ${box.toFixed(3)} shown for ${natural.toFixed(3)}: ${img.src.slice(-50)}`);
    if (img.closest(".tile")) {
      tiles += 1;
      if (r.height < minTile) faults.push(`thumbnail ${Math.round(r.width)}x${Math.round(r.height)} px: under ${minTile} px tall`);
    }
  }
  return { faults, tiles };
}
"""


@dataclass
class PageReport:
    name: str
    size: str
    faults: list[str] = field(default_factory=list)
    tiles: int = 0

    def __str__(self) -> str:
        return f"{self.name} at {self.size}: " + ("; ".join(self.faults) or "ok")


def serious_axe_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"axe {v['id']} ({v['impact']}): {v['help']} - "
        + ", ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


def check_page(page: Any, name: str, size: str) -> PageReport:
    """Layout, accessibility and CSP of the page as it is now."""
    report = PageReport(name, size)
    found = page.evaluate(LAYOUT_JS, 100 if size == "phone" else 90)
    report.faults += found["faults"]
    report.tiles = found["tiles"]
    report.faults += serious_axe_violations(page)
    report.faults += [f"CSP: {v}" for v in page.evaluate("window.__cspViolations || []")]
    return report


# A finger lands anywhere in a TAP-sized square around a control's centre: every point of that
# square's cross must reach the control (itself, something inside it, or one of its labels).
TAP_JS = r"""
([selector, size]) => {
  const faults = [];
  const reach = (el, x, y) => {
    const hit = document.elementFromPoint(x, y);
    return hit && (el.contains(hit) || [...(el.labels || [])].some(l => l.contains(hit)));
  };
  for (const el of document.querySelectorAll(selector)) {
    el.scrollIntoView({ block: "center" });
    const r = el.getBoundingClientRect();
    if (r.width === 0 || getComputedStyle(el).visibility === "hidden") continue;
    const x = r.left + r.width / 2, y = r.top + r.height / 2, d = size / 2 - 1;
    const missed = [[0, 0], [-d, 0], [d, 0], [0, -d], [0, d]]
      .filter(([dx, dy]) => !reach(el, x + dx, y + dy));
    if (missed.length)
      faults.push(`${selector} #${[...document.querySelectorAll(selector)].indexOf(el)}: ` +
        `under ${size}px to tap (${Math.round(r.width)}x${Math.round(r.height)}, missed ${JSON.stringify(missed)})`);
  }
  return faults;
}
"""


def small_tap_targets(page: Any, selector: str, size: int = TAP) -> list[str]:
    """Controls matching `selector` that a finger could miss (nothing matching is a fault)."""
    if page.locator(selector).count() == 0:
        return [f"nothing matches {selector}"]
    return page.evaluate(TAP_JS, [selector, size])
