"""Bad checklists and specs give messages naming the file, the path and what was
expected; nothing raises."""

from __future__ import annotations

import textwrap
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readiness.spec.loader import load_catalog, parse_checklist, parse_spec

GOOD = """
checklist: tiny
title: Tiny
levels: [{id: L0, name: Dev}, {id: L1, name: Staging}]
sections:
  - id: s
    title: S
    items:
      - id: X1
        title: one
        required_from: L0
        evidence: {kind: document, params: {document: ci_check}}
        expectations:
          - expect_column_values_to_be_in_set: {column: status, value_set: [passed]}
"""


def write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def problems_of(tmp_path: Path, text: str) -> list[str]:
    checklist, problems = parse_checklist(write(tmp_path, text))
    assert checklist is None
    return [str(p) for p in problems]


def test_good_checklist_loads(tmp_path: Path) -> None:
    checklist, problems = parse_checklist(write(tmp_path, GOOD))
    assert problems == [] and checklist is not None
    assert [i.id for i in checklist.items] == ["X1"]


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    [message] = problems_of(tmp_path, "checklist: [unclosed\n")
    assert "c.yaml" in message and "malformed YAML" in message and "line" in message


def test_unknown_expectation_names_the_path(tmp_path: Path) -> None:
    text = GOOD.replace("expect_column_values_to_be_in_set", "expect_magic")
    [message] = problems_of(tmp_path, text)
    assert "sections[0].items[0].expectations[0].expect_magic" in message
    assert "unknown expectation" in message and "(line 14)" in message


def test_unknown_evidence_kind(tmp_path: Path) -> None:
    [message] = problems_of(tmp_path, GOOD.replace("kind: document", "kind: telepathy"))
    assert "sections[0].items[0].evidence.kind" in message and "unknown evidence kind" in message


def test_unknown_document_kind(tmp_path: Path) -> None:
    [message] = problems_of(tmp_path, GOOD.replace("document: ci_check", "document: vibes"))
    assert "evidence.params.document" in message and "unknown document kind" in message


def test_duplicate_item_ids(tmp_path: Path) -> None:
    text = GOOD + textwrap.indent(
        textwrap.dedent("""
        - id: X1
          title: again
          required_from: L1
          evidence: {kind: document, params: {document: ci_check}}
          expectations:
            - expect_column_values_to_not_be_null: {column: status}
    """),
        "      ",
    )
    messages = problems_of(tmp_path, text)
    assert any("duplicate item id 'X1'" in m and "items[1].id" in m for m in messages)


def test_level_that_does_not_exist(tmp_path: Path) -> None:
    [message] = problems_of(tmp_path, GOOD.replace("required_from: L0", "required_from: L9"))
    assert "required_from" in message and "'L9' does not exist" in message


def test_unknown_field_and_missing_field(tmp_path: Path) -> None:
    messages = problems_of(tmp_path, GOOD.replace("title: one", "titel: one"))
    assert any("items[0].titel" in m and "unknown field" in m for m in messages)
    assert any("items[0].title" in m and "required field is missing" in m for m in messages)


def test_spec_errors_name_file_and_field(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "tiny.yaml")
    specs = tmp_path / "specs"
    specs.mkdir()
    write(
        specs,
        """
        service: svc
        owner_team: t
        linear_team: TEAM
        target_level: L7
        checklist: tiny
        waivers: [{item: NOPE, reason: r, approver: a, expires: 2026-12-01}]
    """,
        "svc.yaml",
    )
    write(specs, "service: Bad Name\n", "bad.yaml")
    write(
        specs,
        """
        service: ok
        owner_team: t
        linear_team: TEAM
        target_level: L1
        checklist: tiny
    """,
        "ok.yaml",
    )
    catalog = load_catalog([tmp_path / "tiny.yaml"], [specs])
    text = "\n".join(str(p) for p in catalog.problems)
    assert "svc.yaml: target_level: level 'L7' does not exist" in text
    assert "svc.yaml: waivers[0].item: item 'NOPE' is not in checklist tiny" in text
    assert "bad.yaml: service:" in text
    assert list(catalog.specs) == ["ok"]  # one bad spec never stops the others


yaml_ish = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8)),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(
            st.sampled_from(
                [
                    "service",
                    "owner_team",
                    "linear_team",
                    "target_level",
                    "checklist",
                    "waivers",
                    "overrides",
                    "evidence",
                    "x",
                ]
            ),
            children,
            max_size=6,
        ),
    ),
    max_leaves=12,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(yaml_ish)
def test_spec_loading_never_raises(tmp_path: Path, data: object) -> None:
    import yaml

    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump(data))
    spec, problems = parse_spec(path)
    assert (spec is None) == bool(problems)
    assert all(p.file == str(path) for p in problems)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_raise(tmp_path: Path, blob: bytes) -> None:
    path = tmp_path / "raw.yaml"
    path.write_bytes(blob)
    parse_spec(path)
    parse_checklist(path)


def test_a_waiver_reference_that_would_name_a_path_is_a_named_problem(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(GOOD)  # checklist tiny
    spec = tmp_path / "svc.yaml"
    spec.write_text(
        textwrap.dedent(
            """
            service: svc
            owner_team: t
            linear_team: TEAM
            target_level: L1
            checklist: tiny
            waivers:
              - {item: X1, reason: r, approver: a@example.com, expires: 2027-01-31,
                 reference: ../../../../tmp/x}
            """
        )
    )
    catalog = load_catalog([tmp_path / "c.yaml"], [spec])
    assert "svc" not in catalog.specs
    (problem,) = [str(p) for p in catalog.problems]
    assert "svc.yaml: waivers[0].reference" in problem, problem


def _bomb(levels: int) -> str:
    """About 600 bytes whose aliases expand nine-fold per level, in a field that fails."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for n in range(1, levels + 1):
        refs = ", ".join(f"*a{n - 1}" for _ in range(9))
        lines.append(f"a{n}: &a{n} [{refs}]")
    return "\n".join(lines) + f"\nservice: svc\nowner_team: *a{levels}\n"


def test_an_alias_bomb_is_refused_quickly_naming_the_bound(tmp_path: Path) -> None:
    import time

    spec = tmp_path / "svc.yaml"
    spec.write_text(_bomb(6))
    started = time.monotonic()
    catalog = load_catalog([], [spec])
    assert time.monotonic() - started < 2  # it took 2.2 s and 323 MB, growing nine-fold
    (problem,) = [str(p) for p in catalog.problems]
    assert "svc.yaml" in problem and "aliases expand to over 100,000 nodes" in problem


def test_a_huge_or_endless_spec_is_refused_without_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("service: svc\n# " + "x" * 1_100_000 + "\n")
    endless = tmp_path / "endless.yaml"
    endless.symlink_to("/dev/zero")
    catalog = load_catalog([], [big, endless])
    text = "\n".join(str(p) for p in catalog.problems)
    assert "big.yaml: file is over 1,000,000 bytes" in text
    assert "endless.yaml: expected a regular file" in text


def test_required_until_names_a_level_at_or_above_required_from(tmp_path: Path) -> None:
    ok = GOOD.replace("required_from: L0", "required_from: L0\n        required_until: L0")
    checklist, problems = parse_checklist(write(tmp_path, ok))
    assert problems == [] and checklist is not None
    assert checklist.items[0].required_until == "L0"
    below = GOOD.replace("required_from: L0", "required_from: L1\n        required_until: L0")
    [message] = problems_of(tmp_path, below)
    assert "sections[0].items[0].required_until" in message
    assert "level 'L0' is below required_from 'L1'" in message
    unknown = GOOD.replace("required_from: L0", "required_from: L0\n        required_until: L9")
    [message] = problems_of(tmp_path, unknown)
    assert "level 'L9' does not exist" in message


def test_a_reference_that_is_not_an_http_link_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace(
        "required_from: L0", "required_from: L0\n        references: ['javascript:alert(1)']"
    )
    [message] = problems_of(tmp_path, text)
    assert "references.0" in message and "is not an http(s) link" in message


def test_an_expectation_on_a_column_the_collector_never_emits_is_refused(
    tmp_path: Path,
) -> None:
    """The importer once wrote coverage as ``line_rate``; coverage_report emits
    ``lines_pct``: such a rule could never pass, so ``check`` refuses it."""
    text = GOOD.replace(
        "evidence: {kind: document, params: {document: ci_check}}",
        "evidence: {kind: coverage_report, params: {prefixes: [src/]}}",
    ).replace(
        "expect_column_values_to_be_in_set: {column: status, value_set: [passed]}",
        "expect_column_values_to_be_between: {column: line_rate, min_value: 0.8}",
    )
    [message] = problems_of(tmp_path, text)
    assert "expectations.0.column" in message
    assert "evidence kind 'coverage_report' has no column 'line_rate'" in message
    assert "lines_pct" in message
