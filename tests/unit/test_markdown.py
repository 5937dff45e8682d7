from readiness.support.markdown import code_block, code_span, escape, link


def test_evidence_text_cannot_mention_link_or_image() -> None:
    text = escape("@here see ![x](https://evil.example/a.png) [click](http://evil)")
    assert "@here" not in text and "](" not in text and "://" not in text


def test_code_block_cannot_be_closed_by_content() -> None:
    block = code_block("```\n@everyone")
    fence = block.splitlines()[0].removesuffix("text")
    assert len(fence) > 3 and block.endswith(fence)


def test_links_only_for_plain_http_urls() -> None:
    assert (
        link("runbook", "https://runbooks.example.com/x")
        == "[runbook](https://runbooks.example.com/x)"
    )
    assert "(" not in link("runbook", "javascript:alert(1)")


def test_code_span_is_verbatim_so_a_copied_run_id_exists_in_history() -> None:
    run_id = "file-storage-service@manual__2026-11-27T06:00:00+00:00"
    assert code_span(run_id) == f"`{run_id}`"  # no backslash, no zero-width space


def test_code_span_cannot_be_closed_by_content() -> None:
    assert code_span("a`b") == "``a`b``"
    assert code_span("`x``") == "``` `x`` ```"


def test_ids_sort_as_people_read_them() -> None:
    from readiness.support.markdown import natural_key

    ids = ["OBS10", "OBS5", "A2", "OBS5b", "a10", "A1"]
    assert sorted(ids, key=natural_key) == ["A1", "A2", "a10", "OBS5", "OBS5b", "OBS10"]
