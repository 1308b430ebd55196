"""The report as Markdown: the same sections, in the same order, as the HTML."""

from __future__ import annotations

from typing import Any

from techsafe.playbooks import Playbook, md_escape, render_markdown as render_playbook_markdown

e = md_escape


def render_markdown(content: dict[str, Any]) -> str:
    out: list[str] = []
    add = out.append
    summary = content["summary"]
    add("# techsafe evidence report")
    add("")
    head = content["header"]
    add(f"**Case:** {e(head['case_id'])}  ")
    add(f"**Date:** {e(head['date'])}  ")
    add(f"**Device:** {e(head['device'])}")
    add("")
    if content.get("simulated"):
        add("**PRACTICE SCAN OF A SIMULATED PHONE.** Made by `techsafe demo`: nothing here is about a real phone "
            "or a real person, and it is not evidence.")
        add("")
    _integrity(content, add)
    if content.get("redacted"):
        add("*Redacted copy: personal values are replaced by tokens such as [email-1].*")
        add("")
    add(f"## Summary: {e(summary['headline'])}")
    add("")
    for line in summary["lines"]:
        add(f"- {e(line)}")
    add("")
    add("| Severity | Count | Meaning |")
    add("|---|---|---|")
    from techsafe.report.content import SEVERITY_MEANING

    for sev, count in summary["counts"].items():
        add(f"| {sev} | {count} | {e(SEVERITY_MEANING.get(sev, ''))} |")
    add("")

    add("## Findings")
    add("")
    if not content["findings"]:
        if summary.get("nothing_checked"):
            add("No findings, because nothing could be checked (see \"What could not be checked\").")
        else:
            add("No findings in the areas that were checked.")
        add("")
    for f in content["findings"]:
        add(f"### {f['number']}. [{f['severity'].upper()}] {e(f['title'])}")
        add("")
        add(f"- **What it means:** {e(f['meaning'])}")
        add(f"- **About:** {e(f['subject'])}")
        add(f"- **Kind:** {e(f['kind'])}")
        ind = f.get("indicator")
        if ind:
            add(
                f"- **Matched indicator:** {e(ind['entry'])} ({e(ind['field'])} {e(ind['value'])}) "
                f"from {e(ind['source'])} version {e(ind['version'])}"
            )
        for fact in f["facts"]:
            add(f"- **{e(fact.get('label') or fact['name'])}:** {e(fact['value'])}")
        add("- **Evidence:**")
        if not f["evidence"]:
            add("  - (none recorded)")
        for ev in f["evidence"]:
            where = e(ev["artifact"]) + (f", line {ev['line']}" if ev.get("line") else "")
            excerpt = f": {e(ev['excerpt'])}" if ev.get("excerpt") else ""
            add(f"  - {where}{excerpt}")
        note = " (no guide for this exact finding yet; this is the nearest one)" if f.get("playbook_is_fallback") else ""
        add(f"- **What to do:** see the guide \"{e(f['playbook_title'])}\" below{note}.")
        add("")

    add("## Device")
    add("")
    _table(add, ("Fact", "Value"), [(d["name"], d["value"]) for d in content["device"]],
           "No device facts were recorded.")
    add("")

    add("## Timeline")
    add("")
    _table(add, ("Time", "Event", "Subject", "Detail"),
           [(t["time"], t["event"], t["subject"], t["detail"]) for t in content["timeline"]],
           "No dated events were found.")
    add("")

    add("## What was checked")
    add("")
    for area in content["checked_areas"]:
        add(f"- {e(area['name'])} (`{area['area']}`)")
    if not content["checked_areas"]:
        add("- Nothing could be checked.")
    add("")
    add("## What could not be checked")
    add("")
    if not content["not_checked"]:
        add("- Every area this version knows about was checked.")
    for n in content["not_checked"]:
        art = f" ({e(n['artifact'])})" if n.get("artifact") else ""
        add(f"- **{e(n['area'])}:** {e(n['reason'])}{art}")
    add("")

    _about(content, add)

    add("## Guides")
    add("")
    for pb in content["playbooks"].values():
        add(render_playbook_markdown(Playbook.from_json(pb), heading_level=3))
    return "\n".join(out).rstrip() + "\n"


def _table(add, headers: tuple[str, ...], rows: list[tuple], empty: str) -> None:
    """A Markdown table of escaped cells, or one line saying there is nothing."""
    if not rows:
        add(empty)
        return
    add("| " + " | ".join(headers) + " |")
    add("|" + "---|" * len(headers))
    for row in rows:
        add("| " + " | ".join(e(str(cell)) for cell in row) + " |")


def _integrity(content: dict[str, Any], add) -> None:
    integ = content["integrity"]
    if integ.get("warning"):
        add(f"**Warning: {e(integ['warning'])}**")
        add("")
        for p in integ.get("problems", ()):
            add(f"- {e(p)}")
        add("")


def _about(content: dict[str, Any], add) -> None:
    case, gen, signing = content["case"], content["generated"], content["signing"]
    add("## About this report")
    add("")
    add(f"- **Case:** {e(case['case_id'])}")
    add(f"- **Case created:** {e(case['created']['utc'])} ({e(case['created']['local'])} local)")
    add(f"- **Operator:** {e(case['operator'])}")
    add(f"- **Report written:** {e(gen['utc'])} ({e(gen['local'])} local)")
    add(f"- **Tool:** techsafe {e(gen['tool_version'])} (case made with {e(case['tool_version'])})")
    add(f"- **Integrity check:** {e(content['integrity'].get('status', ''))}")
    add(f"- **Signing public key:** `{signing['public_key']}`")
    add(f"- **Key fingerprint:** {e(signing['fingerprint'])}")
    add("")
    add("### Signature sources")
    add("")
    _table(add, ("Source", "Version", "Entries", "SHA-256"),
           [(s["name"], s["version"], s["entries"], s["sha256"]) for s in content["signature_sources"]],
           "No indicator feeds were recorded for this case.")
    add("")
    add("### Artifacts")
    add("")
    if content["artifacts"]:
        add("| File | SHA-256 | Command | Collected (UTC) | Complete |")
        add("|---|---|---|---|---|")
        for a in content["artifacts"]:
            done = "yes" if a["complete"] else f"no: {e(a['error'])}"
            add(f"| {e(a['path'])} | {e(a['sha256'])} | {e(a['command'])} | {e(a['started'])} | {done} |")
    else:
        add("No artifacts are stored in this case.")
    add("")
