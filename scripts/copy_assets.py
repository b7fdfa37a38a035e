"""Copy the front-end files we serve from node_modules into jixiao/static/vendor.

The list is explicit so that a package upgrade that moves a file fails loudly here
instead of producing a page without styles at run time.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules"
VENDOR = ROOT / "jixiao" / "static" / "vendor"

FILES: dict[str, str] = {
    "@tabler/core/dist/css/tabler.min.css": "tabler/tabler.min.css",
    "@tabler/core/dist/js/tabler.min.js": "tabler/tabler.min.js",
    "htmx.org/dist/htmx.min.js": "htmx/htmx.min.js",
    "@alpinejs/csp/dist/cdn.min.js": "alpinejs/alpine-csp.min.js",
    "echarts/dist/echarts.min.js": "echarts/echarts.min.js",
    "echarts/i18n/langZH.js": "echarts/langZH.js",
}


def main() -> int:
    missing = [src for src in FILES if not (NODE / src).is_file()]
    if missing:
        print("missing front-end files (run npm ci):", *missing, sep="\n  ", file=sys.stderr)
        return 1
    for src, dest in FILES.items():
        target = VENDOR / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        source = NODE / src
        if not target.exists() or target.stat().st_mtime < source.stat().st_mtime:
            shutil.copy2(source, target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
