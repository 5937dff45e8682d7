"""A service's checklist as Markdown: what the DAG's docs show an SRE, so the rules a run
applies are one click away from the run."""

from __future__ import annotations

from readiness.domain.model import Checklist, ServiceSpec
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
    lines += ["", "## Levels", "", "| level | name | meaning |", "| --- | --- | --- |"]
    lines += [
        f"| {lv.id} | {escape(lv.name)} | {escape(lv.description).replace(chr(10), ' ')} |"
        for lv in checklist.levels
    ]
    for section in checklist.sections:
        lines += [
            "",
            f"## {section.id} {escape(section.title)}",
            "",
            "| item | title | from | severity | evidence |",
            "| --- | --- | --- | --- | --- |",
        ]
        for item in section.items:
            override = spec.overrides.get(item.id)
            level = override.required_from if override and override.required_from else None
            required = f"{level} (override)" if level else item.required_from
            if override and override.not_applicable:
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
