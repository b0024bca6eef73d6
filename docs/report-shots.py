#!/usr/bin/python3
"""Annotated screenshots of a run's report.html for docs/report-guide.md.

    /usr/bin/python3 docs/report-shots.py RUN_DIR [OUT_DIR]

Cuts report.html into its sections (each keeps the page's own CSS), puts
numbered badges where docs/report-guide.md explains something, and has
headless Chromium (Debian's `chromium`) take one PNG per section into
OUT_DIR (default docs/img).  The guide's screenshots were made with this
script from the default run (`airtime run scenarios/default.ini`).
"""
import os
import re
import subprocess
import sys
import tempfile

BADGE_CSS = ("<style>.badge{display:inline-block;background:#d0021b;color:#fff;"
             "border-radius:50%;min-width:1.6em;height:1.6em;line-height:1.6em;"
             "text-align:center;font:bold 14px sans-serif;margin:0 .4em;"
             "box-shadow:0 0 0 2px #fff,0 0 0 4px #d0021b;vertical-align:middle}"
             "body{margin:1rem auto}</style>")


def badge(n):
    return '<span class="badge">%d</span>' % n


def section(html, title):
    """The HTML of the section under <h2>title</h2>, up to the next <h2>."""
    start = html.index("<h2>%s</h2>" % title)
    nxt = html.find("<h2>", start + 4)
    return html[start:nxt if nxt >= 0 else html.index("</body>")]


def mark(text, anchor, n, after=False, nth=0):
    """Put badge n before (or just after) the nth occurrence of anchor."""
    at = -1
    for _ in range(nth + 1):
        at = text.index(anchor, at + 1)
    if after:
        at += len(anchor)
    return text[:at] + badge(n) + text[at:]


def figures(html, names):
    """The <figure> elements whose caption starts with one of names."""
    out = []
    for m in re.finditer(r"<figure>.*?</figure>", html, re.S):
        cap = re.search(r"<figcaption>(.*?)</figcaption>", m.group(0), re.S).group(1)
        if any(cap.startswith(n) for n in names):
            out.append(m.group(0))
    return out


def shoot(head, body, out, height, tmp):
    page = os.path.join(tmp, "page.html")
    with open(page, "w") as f:
        f.write(head + BADGE_CSS + "</head><body>" + body + "</body></html>")
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                    "--hide-scrollbars", "--user-data-dir=" + os.path.join(tmp, "profile"),
                    "--window-size=1100,%d" % height, "--virtual-time-budget=3000",
                    "--screenshot=" + out, "file://" + page],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(out)


def main():
    run = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "img")
    html = open(os.path.join(run, "report.html")).read()
    head = html[:html.index("</head>")]
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        d = section(html, "Decision")
        d = mark(d, "<p>[ab] primary", 1, after=True)
        d = mark(d, '<p class="', 2, nth=0)
        d = mark(d, "<table>", 3)
        d = mark(d, "HARM", 4, after=True) if "HARM" in d else d
        shoot(head, d, os.path.join(out, "report-decision.png"), 560, tmp)

        v = section(html, "Verdict")
        v = mark(v, "<ul>", 1)
        shoot(head, v, os.path.join(out, "report-verdict.png"), 420, tmp)

        a = section(html, "A/B results (split)")
        a = mark(a, "Sample-ratio check", 1)
        a = mark(a, "<table>", 2)
        a = mark(a, "CUPED lift", 3)
        a = mark(a, "MDE (rel.)", 4)
        shoot(head, a, os.path.join(out, "report-ab.png"), 900, tmp)

        s = section(html, "Service-level objectives")
        s = mark(s, "availability</td>", 1)
        s = mark(s, "reflection time p99", 2)
        shoot(head, s, os.path.join(out, "report-slo.png"), 560, tmp)

        for name, caps, badges in (
                ("report-latency.png", ["End-to-end endpoint latency"], 1),
                ("report-freshness.png", ["Batch path", "Streaming path"], 2),
                ("report-exposures.png", ["Cumulative home-page exposures",
                                          "Engagement actions"], 2)):
            figs = figures(html, caps)
            body = "".join(badge(i + 1) + f for i, f in enumerate(figs[:badges]))
            shoot(head, body, os.path.join(out, name), 680 * len(figs[:badges]), tmp)


if __name__ == "__main__":
    main()
