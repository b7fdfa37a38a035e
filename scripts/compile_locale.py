"""Merge the translation parts into one catalogue per language and compile it.

Each area of the product keeps its Simplified Chinese translations in
jixiao/locale/zh_Hans/LC_MESSAGES/parts/<area>.po (msgid in English, msgstr in Chinese),
so that work on different areas never edits the same file. This script merges them into
django.po and compiles django.mo with polib (no GNU gettext needed). Duplicate msgids
with different translations are an error.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "jixiao" / "locale"


def build(language: str) -> int:
    folder = LOCALE / language / "LC_MESSAGES"
    parts = sorted((folder / "parts").glob("*.po"))
    merged = polib.POFile()
    merged.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Language": language,
        "Plural-Forms": "nplurals=1; plural=0;",
    }
    seen: dict[tuple[str | None, str], tuple[str, str]] = {}
    problems = 0
    for part in parts:
        for entry in polib.pofile(str(part)):
            if entry.obsolete or not (entry.msgstr or entry.msgstr_plural):
                continue
            key = (entry.msgctxt, entry.msgid)
            text = entry.msgstr or repr(sorted(entry.msgstr_plural.items()))
            if key in seen:
                if seen[key][0] != text:
                    print(
                        f"conflicting translations for {entry.msgid!r}: "
                        f"{seen[key][1]} says {seen[key][0]!r}, {part.name} says {text!r}",
                        file=sys.stderr,
                    )
                    problems += 1
                continue
            seen[key] = (text, part.name)
            merged.append(
                polib.POEntry(
                    msgid=entry.msgid,
                    msgstr=entry.msgstr,
                    msgctxt=entry.msgctxt,
                    msgid_plural=entry.msgid_plural,
                    msgstr_plural=entry.msgstr_plural,
                )
            )
    merged.save(str(folder / "django.po"))
    merged.save_as_mofile(str(folder / "django.mo"))
    return problems


if __name__ == "__main__":
    raise SystemExit(1 if build("zh_Hans") else 0)
