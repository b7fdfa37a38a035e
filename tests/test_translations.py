"""Every message the code and the templates ask to translate has a Simplified Chinese translation.

The msgids are extracted the way `makemessages` would, without needing GNU gettext: Python
files are parsed (calls of gettext, gettext_lazy, pgettext, ngettext... under whatever name
they are imported), templates go through Django's own `templatize` (which turns
{% translate %}, {% blocktranslate %} and _("...") into gettext calls). The translations are
the part files in jixiao/locale/zh_Hans/LC_MESSAGES/parts/, which scripts/compile_locale.py
merges and compiles.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import django
import polib
import pytest
from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "jixiao", ROOT / "config"]
PARTS = ROOT / "jixiao" / "locale" / "zh_Hans" / "LC_MESSAGES" / "parts"

# Argument roles of each translation function, in order.
FUNCTIONS: dict[str, tuple[str, ...]] = {
    "gettext": ("msgid",),
    "gettext_lazy": ("msgid",),
    "gettext_noop": ("msgid",),
    "pgettext": ("context", "msgid"),
    "pgettext_lazy": ("context", "msgid"),
    "ngettext": ("msgid", "plural"),
    "ngettext_lazy": ("msgid", "plural"),
    "npgettext": ("context", "msgid", "plural"),
    "npgettext_lazy": ("context", "msgid", "plural"),
}
TRANSLATION_MODULE = "django.utils.translation"


@dataclass(frozen=True)
class Message:
    msgid: str
    context: str | None
    plural: str | None
    where: str  # file:line

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.context, self.msgid)


# ---------------------------------------------------------------- Python


def _translation_names(tree: ast.Module) -> tuple[dict[str, str], set[str]]:
    """Local names bound to translation functions (`gettext as _`), and local names of the
    translation module itself (`from django.utils import translation`)."""
    functions: dict[str, str] = {}
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == TRANSLATION_MODULE:
            for alias in node.names:
                if alias.name in FUNCTIONS:
                    functions[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module == "django.utils":
            for alias in node.names:
                if alias.name == "translation":
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == TRANSLATION_MODULE and alias.asname:
                    modules.add(alias.asname)
    return functions, modules


def _called_function(call: ast.Call, functions: dict[str, str], modules: set[str]) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return functions.get(func.id)
    if (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id in modules
        and func.attr in FUNCTIONS
    ):
        return func.attr
    return None


def python_messages(path: Path) -> Iterator[Message]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    functions, modules = _translation_names(tree)
    if not functions and not modules:
        return
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _called_function(node, functions, modules)
        if name is None:
            continue
        roles = FUNCTIONS[name]
        values: dict[str, str] = {}
        for role, arg in zip(roles, node.args, strict=False):
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                values[role] = arg.value
        if "msgid" not in values:
            continue  # a variable: nothing to extract (makemessages cannot either)
        yield Message(
            values["msgid"],
            values.get("context"),
            values.get("plural"),
            f"{path.relative_to(ROOT)}:{node.lineno}",
        )


# ---------------------------------------------------------------- templates

_STRING = r"""(?:[ru]?'(?:[^'\\\n]|\\.)*'|[ru]?"(?:[^"\\\n]|\\.)*")"""
_CALL = re.compile(
    rf"(?<![\w.])(gettext|pgettext|ngettext|npgettext|_)\(\s*({_STRING})"
    rf"(?:\s*,\s*({_STRING}))?(?:\s*,\s*({_STRING}))?"
)
_TEMPLATE_ROLES = {
    "gettext": ("msgid",),
    "_": ("msgid",),
    "pgettext": ("context", "msgid"),
    "ngettext": ("msgid", "plural"),
    "npgettext": ("context", "msgid", "plural"),
}


def template_source_messages(source: str, origin: str) -> Iterator[Message]:
    code = templatize(source, origin=origin)
    for match in _CALL.finditer(code):
        name = match[1]
        strings = [ast.literal_eval(s) for s in match.groups()[1:] if s is not None]
        values = dict(zip(_TEMPLATE_ROLES[name], strings, strict=False))
        if "msgid" not in values:
            continue
        line = code.count("\n", 0, match.start()) + 1
        yield Message(
            values["msgid"], values.get("context"), values.get("plural"), f"{origin}:{line}"
        )


def template_messages(path: Path) -> Iterator[Message]:
    yield from template_source_messages(
        path.read_text(encoding="utf-8"), str(path.relative_to(ROOT))
    )


# ---------------------------------------------------------------- all of them


def _files(suffix: str) -> Iterator[Path]:
    for root in SOURCES:
        for path in sorted(root.rglob(f"*{suffix}")):
            parts = set(path.relative_to(ROOT).parts)
            if parts & {"migrations", "node_modules", "static", "__pycache__"}:
                continue
            yield path


def used_messages() -> list[Message]:
    found: list[Message] = []
    for path in _files(".py"):
        found.extend(python_messages(path))
    for suffix in (".html", ".txt"):
        for path in _files(suffix):
            if "templates" in path.parts:
                found.extend(template_messages(path))
    return found


def translations() -> dict[tuple[str | None, str], polib.POEntry]:
    out: dict[tuple[str | None, str], polib.POEntry] = {}
    for part in sorted(PARTS.glob("*.po")):
        for entry in polib.pofile(str(part)):
            if entry.obsolete:
                continue
            translated = (
                all(v for v in entry.msgstr_plural.values())
                if entry.msgid_plural
                else bool(entry.msgstr)
            )
            if translated:
                out.setdefault((entry.msgctxt, entry.msgid), entry)
    return out


# ---------------------------------------------------------------- the tests


def test_the_extractor_finds_what_it_should() -> None:
    """The extractor itself: names bound by import, contexts, plurals, template tags."""
    keys = {m.key for m in used_messages()}
    assert (None, "Back") in keys  # {% translate %} in core/refused.html
    assert (None, "Department saved.") in keys  # gettext as _
    assert (None, "object type") in keys  # gettext_lazy as _ in a model
    assert (None, "since %(date)s") in keys  # {% blocktranslate %} with a variable
    sample = (
        "{% load i18n %}{% translate 'Menu' context 'nav' %}"
        "{% blocktranslate count n=items|length %}One item{% plural %}{{ n }} items"
        "{% endblocktranslate %}{{ _('Shown') }}{% translate \"50% done\" %}"
    )
    found = {(m.context, m.msgid, m.plural) for m in template_source_messages(sample, "x")}
    assert found == {
        ("nav", "Menu", None),
        (None, "One item", "%(n)s items"),
        (None, "Shown", None),
        (None, "50%% done", None),
    }


def django_translations() -> set[tuple[str | None, str]]:
    """Messages Django's own zh_Hans catalogue translates ("This field is required."): they
    are translated at run time behind ours, so they need no entry in the parts."""
    folder = Path(django.__file__).parent / "conf" / "locale" / "zh_Hans" / "LC_MESSAGES"
    return {
        (entry.msgctxt, entry.msgid)
        for entry in polib.mofile(str(folder / "django.mo"))
        if entry.msgstr or entry.msgstr_plural
    }


def test_every_message_has_a_chinese_translation() -> None:
    known = translations()
    from_django = django_translations()
    missing: dict[tuple[str | None, str], list[str]] = {}
    for message in used_messages():
        entry = known.get(message.key)
        if entry is None and message.key in from_django:
            continue
        if entry is None or (message.plural and not entry.msgid_plural):
            missing.setdefault(message.key, []).append(message.where)
    report = "\n".join(
        f"  {msgid!r}" + (f" (context {ctx!r})" if ctx else "") + f"  ← {', '.join(where[:3])}"
        for (ctx, msgid), where in sorted(missing.items(), key=lambda kv: kv[1][0])
    )
    assert not missing, (
        f"{len(missing)} messages have no translation in {PARTS.relative_to(ROOT)}/*.po "
        f"(add them to the part of their area):\n{report}"
    )


_PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-+ #0]*\d*(?:\.\d+)?[sdfir]|\{\w*\}")


def _placeholders(text: str) -> tuple[set[str], int]:
    """Named placeholders (each may recur), and how many positional ones (order matters)."""
    found = _PLACEHOLDER.findall(text.replace("%%", ""))
    named = {p for p in found if p.startswith("%(") or p.startswith("{")}
    return named, len(found) - sum(1 for p in found if p in named)


@pytest.mark.parametrize("part", sorted(p.name for p in PARTS.glob("*.po")))
def test_translations_keep_the_placeholders(part: str) -> None:
    """A translation that drops or renames %(name)s fails at run time (KeyError), or shows the
    wrong value: every translation has the placeholders of its msgid."""
    wrong = []
    for entry in polib.pofile(str(PARTS / part)):
        if entry.obsolete:
            continue
        if entry.msgid_plural:
            # Chinese has one form for every count: it may use the singular's or the
            # plural's names (usually the count), but no other, and the plural's positionals.
            names = _placeholders(entry.msgid)[0] | _placeholders(entry.msgid_plural)[0]
            positional = _placeholders(entry.msgid_plural)[1]
            for text in entry.msgstr_plural.values():
                got_names, got_positional = _placeholders(text)
                if text and (not got_names <= names or got_positional != positional):
                    wrong.append(f"{entry.msgid_plural!r} → {text!r}")
        elif entry.msgstr and _placeholders(entry.msgid) != _placeholders(entry.msgstr):
            wrong.append(f"{entry.msgid!r} → {entry.msgstr!r}")
    assert not wrong, "\n".join(wrong)


def test_each_message_is_translated_once_across_the_parts() -> None:
    """compile_locale refuses conflicting duplicates; identical ones are only clutter, but a
    message living in two parts is easy to change in one and not the other."""
    seen: dict[tuple[str | None, str], str] = {}
    twice = []
    for part in sorted(PARTS.glob("*.po")):
        for entry in polib.pofile(str(part)):
            if entry.obsolete or not entry.msgid:
                continue
            key = (entry.msgctxt, entry.msgid)
            if key in seen and seen[key] != part.name:
                twice.append(f"{entry.msgid!r} in {seen[key]} and {part.name}")
            seen.setdefault(key, part.name)
    assert not twice, "\n".join(twice)
