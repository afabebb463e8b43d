#!/usr/bin/env python3
"""CLI tests of the commands over the results store: runs (list, show, export, rm), bdrate from
a stored run, and compare (exit 6 on a regression) on runs with controlled timings."""
import copy
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from harness import check, finish, golden, validate

CB = os.environ["CODECBENCH"]


# Appended to a copy of the report: waits for the charts, checks the axes' visible tick labels
# for overlaps, ticks the log-scale box, checks again, and writes what it found into <body>.
PROBE = """<script>
(async function(){
  const done=()=>new Promise(r=>{const t=()=>document.body.dataset.charts==='done'?r():setTimeout(t,20);t();});
  let labels=0;
  function overlaps(){
    const bad=[];
    document.querySelectorAll('div.chart').forEach(el=>{
      el.querySelectorAll('g.role-axis').forEach(ax=>{
        const boxes=Array.from(ax.querySelectorAll('g.role-axis-label text')).filter(t=>
          t.getAttribute('opacity')!=='0'&&getComputedStyle(t).opacity!=='0'&&t.textContent)
          .map(t=>t.getBoundingClientRect());
        labels+=boxes.length;
        for(let i=0;i<boxes.length;i++)for(let j=i+1;j<boxes.length;j++){
          const a=boxes[i],b=boxes[j];
          if(a.left<b.right-0.5&&b.left<a.right-0.5&&a.top<b.bottom-0.5&&b.top<a.bottom-0.5)
            bad.push(el.dataset.chart);}});});
    return bad;}
  await done();
  document.body.dataset.overlapLinear=JSON.stringify(overlaps());
  document.body.dataset.rdTops=JSON.stringify(Array.from(document.querySelectorAll('section.multiples div.chart'))
    .map(e=>Math.round(e.getBoundingClientRect().top)));
  const box=document.getElementById('lograte');
  box.checked=true;box.dispatchEvent(new Event('change'));
  await done();
  document.body.dataset.overlapLog=JSON.stringify(overlaps());
  document.body.dataset.labels=JSON.stringify(labels);
  document.body.dataset.xscales=JSON.stringify(Array.from(document.querySelectorAll('div.chart')).map(e=>e.dataset.xscale));
  document.body.dataset.probe='done';
})();
</script>
"""


def run(*args):
    return subprocess.run([CB, *args], capture_output=True, text=True, timeout=300)


PRESET = """
inputs: [lavfi:testsrc2=size=160x120:rate=25:duration=0.4]
encoders:
  low: {codec: libx264, options: {preset: ultrafast}, axes: {crf: [22, 28, 34, 40]}}
  high: {codec: libx264, options: {preset: medium}, axes: {crf: [22, 28, 34, 40]}}
repeats: 2
jobs: 2
output: {store: "%s"}
"""


REAL = """
inputs: ["lavfi:testsrc2=size=320x240:rate=25:duration=0.4"]
encoders:
  a: {codec: libx264, options: {preset: medium, crf: 23}}
  b: {codec: libx264, options: {preset: fast, crf: 30}}
repeats: 6
jobs: 1
"""


def real_timings(tmp):
    """Real runs, pinned to one core: exported and compared with itself a run shows no change
    and passes; the same preset run again beside a busy process on that core is slower, and
    comparing the two exports is a regression (exit 6)."""
    preset = os.path.join(tmp, "real.yaml")
    open(preset, "w").write(REAL)
    store = os.path.join(tmp, "real.sqlite")
    pinned = ["taskset", "-c", "0", CB]
    res = subprocess.run(pinned + ["run", preset, "--store", store, "-q"], capture_output=True,
                         text=True, timeout=300)
    check(res.returncode == 0, f"real run 1 ({res.stderr.strip()[-200:]})")
    hog = subprocess.Popen(["taskset", "-c", "0", sys.executable, "-c", "while True: pass"])
    try:
        res = subprocess.run(pinned + ["run", preset, "--store", store, "-q"],
                             capture_output=True, text=True, timeout=300)
    finally:
        hog.kill()
        hog.wait()
    check(res.returncode == 0, "real run 2, beside a busy process")
    one, two = os.path.join(tmp, "one.json"), os.path.join(tmp, "two.json")
    check(run("runs", "export", "1", "--store", store, "--json", one).returncode == 0
          and run("runs", "export", "2", "--store", store, "--json", two).returncode == 0,
          "runs export --json FILE")
    validate(json.load(open(one)), "run")
    res = run("compare", one, "1", "--store", store, "--json")
    doc = json.loads(res.stdout)
    validate(doc, "compare")
    check(res.returncode == 0 and doc["regressions"] == 0 and len(doc["jobs"]) == 2
          and all(j["speed_change_pct"] == 0 and j["size_change_pct"] == 0
                  and j["quality_change"] == 0 and j["flags"] == [] for j in doc["jobs"]),
          f"an export compared with its stored run: zero change, exit 0 ({res.returncode})")
    res = run("compare", one, two, "--json")
    doc = json.loads(res.stdout)
    slower = [(round(j["speed_change_pct"]), j["p_value"], j["flags"]) for j in doc["jobs"]]
    check(res.returncode == 6 and all(j["speed_change_pct"] > 20 for j in doc["jobs"])
          and any("SLOWER" in j["flags"] for j in doc["jobs"]),
          f"two exports, the second really slower ({slower} %): regression, exit 6 ({res.returncode})")
    res = run("compare", one, two, "--markdown")
    check(res.stdout.startswith("| input | encoder |") and "| --- |" in res.stdout,
          "compare --markdown: a Markdown table")


def input_noise(tmp):
    """A random source without a seed is another reference each run (issue 13: quick.yaml's
    noise differed by 0.24 dB SNR between two runs, and compare called it a regression). The
    jobs record a hash of the reference they measured; compare marks the unseeded job "input
    differs" and judges neither its size nor its quality, while the seeded one's reference,
    stream and quality are identical."""
    preset = os.path.join(tmp, "noise.yaml")
    open(preset, "w").write(
        "inputs:\n"
        "  - {uri: 'lavfi:anoisesrc=d=1:c=pink:a=0.3:r=48000', name: unseeded}\n"
        "  - {uri: 'lavfi:anoisesrc=d=1:c=pink:a=0.3:r=48000:seed=7', name: seeded}\n"
        "encoders: {opus: {codec: libopus, options: {b: 24k}}}\nrepeats: 1\n")
    docs = []
    for i in range(2):
        path = os.path.join(tmp, f"noise{i}.json")
        res = run("run", preset, "--store", os.path.join(tmp, "noise.sqlite"), "--json", path, "-q")
        check(res.returncode == 0, f"noise run {i + 1} ({res.stderr.strip()[-200:]})")
        docs.append(path)
    res = run("compare", *docs, "--json")
    doc = json.loads(res.stdout) if res.stdout else {"jobs": []}
    by_input = {j["input"]: j for j in doc["jobs"]}
    un, se = by_input.get("unseeded", {}), by_input.get("seeded", {})
    runs = [json.load(open(p)) for p in docs]
    hashes = {j["input"]: [r["jobs"][k]["result"]["source_hash"] for r in runs]
              for k, j in enumerate(runs[0]["jobs"])}
    check(hashes["unseeded"][0] != hashes["unseeded"][1] and
          hashes["seeded"][0] == hashes["seeded"][1],
          f"the reference hash differs between runs for the unseeded source only ({hashes})")
    check(un.get("input_differs") is True and
          "input differs (size and quality not compared)" in un.get("flags", []) and
          "WORSE QUALITY" not in un.get("flags", []) and "LARGER" not in un.get("flags", []),
          f"compare: the unseeded job is 'input differs', not judged ({un.get('flags')}, "
          f"quality change {un.get('quality_change')})")
    check(se.get("input_differs") is False and se.get("quality_change") == 0 and
          se.get("size_change_pct") == 0,
          f"compare: the seeded job measured the same reference and stream ({se})")
    check(res.returncode == 0 and doc.get("regressions") == 0,
          f"compare: no regression from input noise (exit {res.returncode})")


def set_times(job, times):
    """Gives a job of a run document these repeat wall times (measurements and statistics)."""
    job["measurements"] = [dict(job["measurements"][0], wall_s=t) for t in times]
    s = sorted(times)
    job["wall_s"].update(times=times, median=s[len(s) // 2], min=s[0], max=s[-1])


def main():
    with tempfile.TemporaryDirectory() as tmp:
        store = os.path.join(tmp, "s.sqlite")
        preset = os.path.join(tmp, "p.yaml")
        open(preset, "w").write(PRESET % store)
        first = os.path.join(tmp, "first.json")
        check(run("run", preset, "-q", "--json", first).returncode == 0, "first run")
        check(run("run", preset, "-q").returncode == 0, "second run")

        validate(json.load(open(first)), "run")
        golden(json.load(open(first)), "run")
        res = run("runs", "--store", store, "--json")
        runs = json.loads(res.stdout)
        validate(runs, "runs")
        check([r["id"] for r in runs] == [1, 2] and runs[0]["jobs"] == 8, f"runs lists both: {runs}")
        res = run("runs", "show", "1", "--store", store, "--json")
        doc = json.loads(res.stdout)
        check(len(doc["jobs"]) == 8 and len(doc["jobs"][0]["wall_s"]["times"]) == 2
              and len(doc["jobs"][0]["measurements"]) == 2, "runs show: jobs and repeats")
        # The run as `run --json` wrote it is the run as the store gives it back.
        res = run("runs", "export", "1", "--store", store, "--json")
        golden(json.loads(res.stdout), "runs-export")
        check(json.loads(res.stdout) == json.load(open(first)),
              "runs export --json is the very document run --json wrote")
        res = run("runs", "export", "2", "--store", store, "--csv")
        rows = list(csv.DictReader(io.StringIO(res.stdout)))
        check(len(rows) == 8 and "result.quality.psnr.average" in rows[0], "runs export --csv")

        res = run("bdrate", "--store", store, "--anchor", "low", "--test", "high", "--metric", "psnr", "--json")
        doc = json.loads(res.stdout)
        validate(doc, "bdrate")
        inp = doc["inputs"][0] if doc["inputs"] else {}
        check(res.returncode == 0 and inp.get("input") == "testsrc2" and inp.get("valid")
              and -50 < inp["bd_rate_pct"] < 50 and inp["bd_quality"] is not None,
              f"bdrate from the latest run: {inp}")
        res = run("bdrate", "1", "--store", store, "--anchor", "low", "--test", "nope")
        check(res.returncode == 2 and "no encoder label 'nope'" in res.stderr, "unknown label")

        # compare with controlled timings: the same run, then 20% slower with tight repeats.
        base = json.load(open(first))
        for j in base["jobs"]:
            set_times(j, [1.0, 1.01, 0.99])
        same = os.path.join(tmp, "same.json")
        json.dump(base, open(same, "w"))
        slow = copy.deepcopy(base)
        for j in slow["jobs"]:
            set_times(j, [1.2, 1.21, 1.19])
        slow_path = os.path.join(tmp, "slow.json")
        json.dump(slow, open(slow_path, "w"))
        res = run("compare", same, same)
        check(res.returncode == 0 and "0 regression(s)" in res.stdout, "compare: identical runs pass")
        res = run("compare", same, slow_path, "--json")
        doc = json.loads(res.stdout)
        validate(doc, "compare")
        check(res.returncode == 6 and doc["regressions"] == 8 and doc["jobs"][0]["flags"] == ["SLOWER"]
              and doc["jobs"][0]["p_value"] < 0.001, "compare: 20% slower is a regression, exit 6")
        # Mann-Whitney: 3 repeats a side cannot reach p < 0.05 (said, not flagged); 5 can.
        res = run("compare", same, slow_path, "--test", "mann-whitney", "--json")
        doc = json.loads(res.stdout)
        job = doc["jobs"][0]
        check(res.returncode == 0 and doc["schema_version"] == 1 and doc["test"] == "mann-whitney"
              and job["statistic"] == 0
              and abs(job["p_value"] - 0.1) < 1e-12 and abs(job["min_p_value"] - 0.1) < 1e-12
              and job["flags"] == ["slower? (too few repeats for this test)"],
              f"compare --test mann-whitney, 3 repeats: {job}")
        res = run("compare", same, slow_path, "--test", "mann-whitney")
        check("too few repeats for Mann-Whitney" in res.stdout, "compare: the 3-repeat note")
        for doc_, times in ((base, [1.0, 1.01, 0.99, 1.02, 0.98]), (slow, [1.2, 1.21, 1.19, 1.22, 1.18])):
            for j in doc_["jobs"]:
                set_times(j, times)
        json.dump(base, open(same, "w"))
        json.dump(slow, open(slow_path, "w"))
        res = run("compare", same, slow_path, "--test", "mwu", "--json")
        doc = json.loads(res.stdout)
        # exact: 2 / C(10, 5) = 0.00794 (scipy.stats.mannwhitneyu gives the same)
        check(res.returncode == 6 and doc["jobs"][0]["flags"] == ["SLOWER"]
              and abs(doc["jobs"][0]["p_value"] - 2 / 252) < 1e-12, "compare --test mwu, 5 repeats")
        res = run("compare", same, slow_path, "--test", "wilcoxon")
        check(res.returncode == 2 and "--test wilcoxon: unknown significance test" in res.stderr,
              "compare: unknown test")
        bigger = copy.deepcopy(base)
        for j in bigger["jobs"]:
            j["result"]["size"]["bitstream_bytes"] *= 1.05
        bigger_path = os.path.join(tmp, "bigger.json")
        json.dump(bigger, open(bigger_path, "w"))
        res = run("compare", same, bigger_path, "--json")
        doc = json.loads(res.stdout)
        check(res.returncode == 6 and "LARGER" in doc["jobs"][0]["flags"], "compare: 5% larger flagged")
        res = run("compare", "1", "2", "--store", store)
        check(res.returncode in (0, 6) and "8 jobs compared" in res.stdout, "compare two stored runs")
        real_timings(tmp)
        input_noise(tmp)

        # A sweep of the same preset, so that the report has its scaling figures too.
        res = run("sweep", preset, "--threads", "1,2", "--level", "jobs", "--repeats", "1",
                  "--warmup", "0", "-q")
        check(res.returncode == 0, f"sweep stored with the preset: {res.stderr.strip()[-200:]}")

        # The HTML report: self-contained, every chart drawn, the table complete.
        html_path = os.path.join(tmp, "report.html")
        figs = os.path.join(tmp, "figs")
        res = run("report", "2", "--store", store, "-o", html_path, "--figures", figs)
        html = open(html_path).read() if os.path.exists(html_path) else ""
        check(res.returncode == 0 and html.startswith("<!DOCTYPE html>"), "report written")
        charts = html.count('<div class="chart"')
        # One input: RD curves for PSNR, PSNR-Y and SSIM (MS-SSIM is not measured), compression
        # ratio, encoding speed, and the sweep's speedup, efficiency and throughput.
        check(charts == 8, f"report has 8 charts: {charts}")
        check(html.count('<div class="static"><svg') == charts, "each chart has a static SVG copy")
        check(html.count('<tr class="ok">') == 8, "report table has every job")
        check(html.count('<tbody class="group">') == 1
              and 'colspan="12">testsrc2 <span class="n">(8 jobs)</span>' in html,
              "the table is grouped by input, with a head row naming it")
        grids = re.findall(r'<section class="multiples"><h3>([^<]*)</h3><div class="grid">(.*?)</div></section>',
                           html, re.S)
        check(len(grids) == 1 and grids[0][0] == "testsrc2: quality against bitrate"
              and grids[0][1].count("<figure id=\"rd-testsrc2-") == 3,
              f"the RD curves of the input are small multiples in one grid, a panel per metric "
              f"({[(g[0], g[1].count('<figure')) for g in grids]})")
        # Each chart's data as CSV: the same numbers the chart draws.
        links = re.findall(r'<figure id="([^"]+)">.*?<a class="csv" download="([^"]+)" '
                           r'href="data:text/csv;charset=utf-8,([^"]*)">', html, re.S)
        check(len(links) == charts and all(f + ".csv" == name for f, name, _ in links),
              f"every chart links its data as NAME.csv ({len(links)} of {charts})")
        from urllib.parse import unquote
        if os.environ.get("CODECBENCH_VEGA") == "1" and links:
            start = html.find('<script type="application/json" id="chart-specs">')
            specs_ = json.loads(html[start:html.index("</script>", start)].split(">", 1)[1])
            fig_id, _, data = links[0]
            rows = list(csv.reader(io.StringIO(unquote(data))))
            points = [v for v in specs_[0]["data"]["values"] if v.get("marker")]
            check(fig_id.startswith("rd-") and rows[0] == ["series", "bitrate (kbit/s)", "PSNR (dB)", "note"]
                  and len(rows) - 1 == len(points)
                  and all(r[0] == p["series"] and float(r[1]) == p["x"] and float(r[2]) == p["y"]
                          for r, p in zip(rows[1:], points)),
                  f"the first chart's CSV holds exactly its points ({rows[:2]}, {len(points)} points)")
            check(specs_[0].get("usermeta", {}).get("x_log_option") is True
                  and html.count('id="lograte"') == 1,
                  "RD charts offer a log-scale bitrate axis (a checkbox)")
        # The report's BD table (anchor: the first label, "high") agrees with `bdrate`.
        res = run("bdrate", "2", "--store", store, "--anchor", "high", "--test", "low",
                  "--metric", "psnr", "--json")
        want = json.loads(res.stdout)["inputs"][0]
        row = re.search(r'<tr><td class="l">testsrc2</td><td class="l">high</td><td class="l">low</td>'
                        r'<td>([^<]*)</td><td>([^<]*)</td>', html)
        check(row is not None and row.group(1) == f"{want['bd_rate_pct']:+.2f} %"
              and row.group(2) == f"{want['bd_quality']:+.3f}",
              f"report BD-rate table equals bdrate: {row.groups() if row else None} vs {want}")
        # Another anchor and interpolation: still equal to bdrate's figures.
        alt = os.path.join(tmp, "alt.html")
        res = run("report", "2", "--store", store, "-o", alt, "-q", "--anchor", "low", "--interp", "akima")
        want = json.loads(run("bdrate", "2", "--store", store, "--anchor", "low", "--test", "high",
                              "--metric", "psnr", "--interp", "akima", "--json").stdout)["inputs"][0]
        alt_html = open(alt).read() if os.path.exists(alt) else ""
        row = re.search(r'<tr><td class="l">testsrc2</td><td class="l">low</td><td class="l">high</td>'
                        r'<td>([^<]*)</td>', alt_html)
        check(res.returncode == 0 and "Bjontegaard delta (akima)" in alt_html and row is not None
              and row.group(1) == f"{want['bd_rate_pct']:+.2f} %",
              f"report --anchor low --interp akima: {row.groups() if row else None} vs {want['bd_rate_pct']}")
        res = run("report", "2", "--store", store, "-o", alt, "--anchor", "nobody")
        check(res.returncode == 2 and "--anchor 'nobody': run 2 has no such encoder label" in res.stderr,
              "report --anchor with an unknown label")
        external = [w for w in ("src=\"http", "href=\"http", "<link ", "<script src") if w in html]
        check(not external, f"report needs no network: {external}")
        pngs = sorted(f for f in os.listdir(figs) if f.endswith(".png")) if os.path.isdir(figs) else []
        check(len(pngs) == charts and "sweep-1-speedup.png" in pngs, f"figures as PNG too: {pngs}")
        csvs = sorted(f for f in os.listdir(figs) if f.endswith(".csv")) if os.path.isdir(figs) else []
        check(len(csvs) == charts, f"and each figure's data as CSV: {csvs}")
        vega = os.environ.get("CODECBENCH_VEGA") == "1"
        if vega:
            start = html.find('<script type="application/json" id="chart-specs">')
            specs = json.loads(html[start:html.index("</script>", start)].split(">", 1)[1]) if start >= 0 else []
            check(len(specs) == charts and all("vega-lite/v6" in s["$schema"] for s in specs),
                  "one Vega-Lite spec per chart")
            check("Vega-Lite (vega 6.4.0, vega-lite 6.5.0, vega-embed 7.3.0)" in html
                  and "University of Washington Interactive Data Lab" in html,
                  "Vega inlined with its versions and licence notices")
        else:
            print("SKIP: codecbench was built without Vega (tools/fetch-vega): static charts only")
            check("built without Vega" in html, "the report says its charts are static")
        chromium = (shutil.which("chromium-headless-shell") or shutil.which("chromium")
                    or shutil.which("chromium-browser"))
        if chromium:
            # Let the page's scripts run (virtual time), then read the DOM: every view must have
            # drawn marks, none may have failed, and the page must have finished.
            base_args = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
                         "--disable-background-networking", "--no-first-run",
                         "--virtual-time-budget=20000"]
            dom = subprocess.run(base_args + [f"--user-data-dir={tmp}/chrome", "--dump-dom",
                                              "file://" + html_path],
                                 capture_output=True, text=True, timeout=180).stdout
            if vega:
                drawn = re.findall(r'<div class="chart[^"]*" data-chart="\d+"[^>]*data-drawn="(\d+)"', dom)
                errors = re.findall(r'data-error="([^"]*)"', dom)
                check('data-charts="done"' in dom and len(drawn) == charts and not errors
                      and all(int(n) > 0 for n in drawn),
                      f"Chromium draws every Vega-Lite view: {len(drawn)} of {charts}, errors {errors}")
                check(dom.count('<div class="static">') == 0, "drawn views replace the static copies")
                # Interaction, as a reader would: tick labels must not overlap (linear, then with
                # the log-scale box ticked), the RD panels sit side by side in their grid.
                probe = html_path.replace(".html", "-probe.html")
                with open(probe, "w") as f:
                    end = html.rindex("</body>")
                    f.write(html[:end] + PROBE + html[end:])
                dom = subprocess.run(base_args + [f"--user-data-dir={tmp}/chrome3", "--dump-dom",
                                                  "--window-size=1280,2000", "file://" + probe],
                                     capture_output=True, text=True, timeout=180).stdout
                got = {k: json.loads(v.replace("&quot;", '"')) for k, v in
                       re.findall(r'data-(overlap-linear|overlap-log|xscales|rd-tops|labels)="([^"]*)"', dom)}
                check('data-probe="done"' in dom, "the probe ran to its end")
                check(got.get("labels", 0) > 20 and got.get("overlap-linear") == []
                      and got.get("overlap-log") == [],
                      f"no two tick labels of an axis overlap, linear or log ({got.get('labels')} labels; "
                      f"{got.get('overlap-linear')}, {got.get('overlap-log')})")
                xs = got.get("xscales", [])
                check(xs[:3] == ["log", "log", "log"] and "log" not in xs[3:],
                      f"ticking the box redraws the RD charts, and only them, on a log axis ({xs})")
                tops = got.get("rd-tops", [])
                check(len(tops) == 3 and max(tops) - min(tops) < 1,
                      f"the three RD panels share a row of the grid at 1280 px ({tops})")
            else:
                check(dom.count("<svg") >= charts, "Chromium shows every static chart")
            shot = os.path.join(tmp, "shot.png")
            subprocess.run(base_args + [f"--user-data-dir={tmp}/chrome2", f"--screenshot={shot}",
                                        "--window-size=1200,3000", "file://" + html_path],
                           capture_output=True, timeout=180)
            check(os.path.exists(shot) and os.path.getsize(shot) > 50000, "Chromium screenshot")
            if os.environ.get("CODECBENCH_KEEP_SHOT"):
                shutil.copy(shot, os.environ["CODECBENCH_KEEP_SHOT"])
        elif os.environ.get("CODECBENCH_REQUIRE_BROWSER") == "1":
            check(False, "headless Chromium is required here (CODECBENCH_REQUIRE_BROWSER=1, as in CI) "
                  "and not installed: tools/bootstrap installs chromium-headless-shell")
        else:
            print("SKIP: headless Chromium is not installed (apt-get install chromium-headless-shell): "
                  "report not rendered")

        check(run("runs", "rm", "1", "--store", store).returncode == 0, "runs rm")
        res = run("runs", "--store", store, "--json")
        check([r["id"] for r in json.loads(res.stdout)] == [2], "run 1 removed")
        res = run("runs", "show", "1", "--store", store)
        check(res.returncode == 3 and "no run 1" in res.stderr, "a removed run is gone")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
