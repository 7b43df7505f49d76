"""After a blocked submit a screen-reader user is told, and taken to, what to fix (issue 11, bug 8):
the focus is on the notice, an alert region is filled at that moment (one filled at load is never
announced), the editor is aria-invalid, and the words to change are named in text."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser

SURFACE = ".fg-surface"
TERMS_NOTICE = "Unfortunately, your content contains terms that we do not allow."


def ax_tree(page: Any) -> list[dict[str, Any]]:
    """The page's full accessibility tree, as Chromium gives it to screen readers."""
    session = page.context.new_cdp_session(page)
    try:
        return list(session.send("Accessibility.getFullAXTree")["nodes"])
    finally:
        session.detach()


def subtree_text(nodes: list[dict[str, Any]], node: dict[str, Any]) -> str:
    """The text a screen reader reads inside ``node`` (its StaticText descendants)."""
    by_id = {n["nodeId"]: n for n in nodes}
    out: list[str] = []
    stack = list(reversed(node.get("childIds", [])))
    while stack:
        child = by_id.get(stack.pop())
        if child is None:
            continue
        if child.get("role", {}).get("value") == "StaticText":
            out.append(str(child.get("name", {}).get("value", "")))
        stack.extend(reversed(child.get("childIds", [])))
    return " ".join(out)


def prop(node: dict[str, Any], name: str) -> Any:
    for p in node.get("properties", []):
        if p["name"] == name:
            return p["value"].get("value")
    return None


def test_a_blocked_submit_is_announced_focused_and_names_the_words(page: Any) -> None:
    page.goto("/t/2")
    page.wait_for_selector(".fg-editor[data-fg-ready='true']")
    page.click(SURFACE)
    page.keyboard.type("This trip was shit and the guide a fucker")
    page.wait_for_selector(".fg-editor[data-fg-state='checked']")
    page.evaluate("""() => {
      window.__alerts = [];
      new MutationObserver(() => {
        document.querySelectorAll('[role=alert]').forEach((a) => {
          if (a.textContent.trim()) window.__alerts.push(a.textContent.trim());
        });
      }).observe(document.documentElement, { subtree: true, childList: true, characterData: true });
    }""")
    with page.expect_navigation():
        page.click("button:has-text('Submit Reply')")
    page.wait_for_selector(".fg-editor[data-fg-ready='true']")
    # the alert region was empty when the page loaded and is filled afterwards
    assert page.evaluate("() => performance.getEntriesByType('navigation')[0].responseStatus") == 422
    page.wait_for_function("() => [...document.querySelectorAll('[role=alert]')].some((a) => a.textContent.trim())")

    # the focus is on the notice, not on <body>
    focused = page.evaluate("() => document.activeElement.closest('[data-fg-server-notice]') !== null")
    assert focused, page.evaluate("() => document.activeElement.outerHTML.slice(0, 200)")

    nodes = ax_tree(page)
    alerts = [n for n in nodes if n.get("role", {}).get("value") == "alert"]
    alert_text = " ".join(subtree_text(nodes, n) for n in alerts)
    assert TERMS_NOTICE in alert_text, alerts
    assert "shit" in alert_text and "fucker" in alert_text, alert_text
    assert any(prop(n, "live") == "assertive" for n in alerts)

    textboxes = [n for n in nodes if n.get("role", {}).get("value") == "textbox" and not n.get("ignored")]
    editor = [n for n in textboxes if prop(n, "invalid") not in (None, "false")]
    assert editor, textboxes
    # the words are named in the editor's description too, not only by colour
    description = str(editor[0].get("description", {}).get("value", ""))
    assert "Words to change: shit, fucker." in description, description

    # once fixed, the editor is valid again
    page.click(SURFACE)
    page.keyboard.press("Control+A")
    page.keyboard.type("This trip was great")
    page.wait_for_function("() => !document.querySelector('.fg-surface').hasAttribute('aria-invalid')")
