from readiness.markdown import code_block, escape, link


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
