"""A service's checklist as Markdown: what the DAG's docs show an SRE, so the rules a run
applies are one click away from the run."""

from __future__ import annotations

from readiness.domain.model import Checklist, Item, ServiceSpec
from readiness.support.markdown import escape


def checklist_markdown(spec: ServiceSpec, checklist: Checklist) -> str:
    """Levels, then every section's items with the level that requires them and the
    evidence they are checked against; the spec's overrides are marked."""
    target = checklist.level(spec.target_level)
    lines = [
        f"# Readiness: {escape(spec.service)}",
        "",
        escape(spec.description) if spec.description else "",
        "",
        f"- **Owner:** {escape(spec.owner_team)} (Linear team `{spec.tracker_team}`)",
        f"- **Target:** {target.label}",
        f"- **Checklist:** `{checklist.id}` v{checklist.version} "
        f"({len(checklist.items)} items, sha256 `{checklist.sha256[:12]}`)",
        f"- **Spec:** `{spec.file}`",
    ]
    lines += [f"- **{escape(k)}:** <{v}>" for k, v in sorted(spec.owner_links.items())]
    overridden = {
        item_id for item_id, o in spec.overrides.items() if o.required_from or o.not_applicable
    }
    for line, item in _checklist_lines(checklist):
        if item is None or item.id not in overridden:
            lines.append(line)
            continue
        override = spec.overrides[item.id]
        required = f"{override.required_from} (override)" if override.required_from else ""
        if override.not_applicable:
            required = f"n/a: {escape(override.not_applicable)}"
        title = escape(item.title).replace("|", "\\|")
        lines.append(
            f"| {item.id} | {title} | {required} | {item.severity} | {item.evidence.kind} |"
        )
    if spec.waivers:
        lines += ["", "## Waivers in the spec", ""]
        lines += [
            f"- {w.item} until {w.expires.isoformat()} ({escape(w.approver)}): {escape(w.reason)}"
            for w in spec.waivers
        ]
    return "\n".join(lines) + "\n"


_LINES: dict[tuple[str, str, int], list[tuple[str, Item | None]]] = {}


def _checklist_lines(checklist: Checklist) -> list[tuple[str, Item | None]]:
    """The levels table and every section's rows, rendered once per checklist (each
    item's row with the item, so a spec's override can replace it): at 10,000 specs on one
    checklist the dag-processor rendered the same 99 rows 10,000 times, 14 % of a parse."""
    key = (checklist.id, checklist.sha256, id(checklist))
    found = _LINES.get(key)
    if found is not None:
        return found
    lines: list[tuple[str, Item | None]] = [
        (text, None)
        for text in ["", "## Levels", "", "| level | name | meaning |", "| --- | --- | --- |"]
    ]
    lines += [
        (f"| {lv.id} | {escape(lv.name)} | {escape(lv.description).replace(chr(10), ' ')} |", None)
        for lv in checklist.levels
    ]
    for section in checklist.sections:
        lines += [
            (text, None)
            for text in [
                "",
                f"## {section.id} {escape(section.title)}",
                "",
                "| item | title | from | severity | evidence |",
                "| --- | --- | --- | --- | --- |",
            ]
        ]
        for item in section.items:
            title = escape(item.title).replace("|", "\\|")
            lines.append(
                (
                    f"| {item.id} | {title} | {item.required_from} | {item.severity} | "
                    f"{item.evidence.kind} |",
                    item,
                )
            )
    if len(_LINES) >= 64:  # a long-lived process re-parsing: keep the recent ones only
        _LINES.clear()
    _LINES[key] = lines
    return lines
