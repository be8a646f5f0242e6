import Foundation
import Testing
import TunaStore

/// The dashboard and the report in a real headless Chromium (Debian's `chromium` and
/// `chromium-driver`, driven by Selenium from PyPI in a scratch virtual environment), on a
/// study that is written to while the page is open: no console errors, one mark per trial in
/// every plot, a new trial shown without a reload, the table sorted by a click, screenshots
/// under `.build/test-output/dashboard/`. Skipped, with a printed note, without Chromium or pip.
@Suite(.serialized) struct BrowserTests {
    static let venv = FileManager.default.temporaryDirectory.appendingPathComponent("tuna-browser-venv-1").path
    static let output = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../.build/test-output/dashboard").standardized

    static func python() throws -> String? {
        let python = venv + "/bin/python"
        let check = [python, "-c", "import selenium"]
        if FileManager.default.isExecutableFile(atPath: python), try runProgram("/usr/bin/env", check, timeout: 60).status == 0 { return python }
        let made = try runProgram("/usr/bin/env", ["python3", "-m", "venv", venv], timeout: 120)
        let installed = made.status == 0
            ? try runProgram(venv + "/bin/pip", ["install", "--quiet", "selenium"], timeout: 300) : made
        guard installed.status == 0, try runProgram("/usr/bin/env", check, timeout: 60).status == 0 else {
            print("BrowserTests: SKIPPED, no Python environment with selenium (\(installed.output.suffix(300)))")
            return nil
        }
        return python
    }

    static func chromium() -> (browser: String, driver: String)? {
        let browsers = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        let drivers = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        guard let browser = browsers.first(where: FileManager.default.isExecutableFile(atPath:)),
              let driver = drivers.first(where: FileManager.default.isExecutableFile(atPath:)) else {
            print("BrowserTests: SKIPPED, no chromium and chromedriver (apt-get install chromium chromium-driver)")
            return nil
        }
        return (browser, driver)
    }

    @Test func dashboardAndReportInChromium() throws {
        guard let (browser, driver) = Self.chromium(), let python = try Self.python() else { return }
        try FileManager.default.createDirectory(at: Self.output, withIntermediateDirectories: true)
        let workspace = try Workspace()
        let study = try DashboardStudy(db: workspace.db, trials: 12)
        try Self.writeLargeStudy(study.store, trials: 10_000)
        let report = workspace.url.appendingPathComponent("report.html").path
        let (reported, _, reportErrors) = try TunaProcess.run(["report", "demo", "--db", workspace.db, "--out", report], in: workspace.url)
        try #require(reported == 0, "\(reportErrors)")
        let server = try DashboardServer(db: workspace.db, in: workspace)
        defer { #expect(server.stop() == 0, "\(server.process.errors)") }

        let script = try workspace.write("browser.py", Self.script)
        let go = workspace.url.appendingPathComponent("go").path
        let expected = "{\"finished\": \(study.count), \"complete\": \(study.completeCount), \"curves\": \(study.count - 1)}"
        let log = workspace.url.appendingPathComponent("browser.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, server.base.absoluteString, Self.output.path, report, go, browser, driver, expected]
        process.standardOutput = try FileHandle(forWritingTo: log)
        process.standardError = process.standardOutput
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        func said() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

        // The page is open and checked: one more trial finishes, as under a running study.
        let deadline = Date().addingTimeInterval(45)
        while process.isRunning && !said().contains("READY") && Date() < deadline { usleep(50_000) }
        try #require(said().contains("READY"), "the browser never got ready: \(said())")
        try study.add()
        _ = FileManager.default.createFile(atPath: go, contents: Data())
        let end = Date().addingTimeInterval(45)
        while process.isRunning && Date() < end { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(said())")
        for line in said().split(separator: "\n") where line.hasPrefix("ok ") { print("BrowserTests: \(line)") }
        for name in ["index.png", "study.png", "report.png"] {
            let size = (try? FileManager.default.attributesOfItem(atPath: Self.output.appendingPathComponent(name).path)[.size] as? Int) ?? 0
            #expect(size > 10_000, "\(name): \(size) bytes")
        }
    }

    /// A finished study of `trials` trials with curves, written in one batch: the page must
    /// stay responsive on it.
    static func writeLargeStudy(_ store: SQLiteTrialStore, trials: Int) throws {
        let study = try store.createStudy(NewStudy(name: "large", studyFile: "name: large", studyHash: "h-large", direction: .minimize, metric: "loss"))
        try store.batch {
            for n in 0..<trials {
                let x = Double((n * 7919) % 1000) / 1000, y = Double((n * 104_729) % 997) / 997
                let trial = try store.createTrial(study: study.id, params: ["x": .number(x), "y": .number(y), "kind": .string(n % 3 == 0 ? "a" : "b")])
                try store.markRunning(trial: trial.id, worker: "w\(n % 8)")
                for step in 0..<6 { try store.recordIntermediate(trial: trial.id, step: step, value: 1 / Double(step + 1) + x) }
                try store.finishTrial(trial.id, .complete(value: (x - 0.3) * (x - 0.3) + 0.1 * y, std: nil),
                                      folds: [FoldValue(fold: 0, value: 0), FoldValue(fold: 1, value: 0)])
            }
        }
        try store.setStudyState(.finished, study: study.id)
    }

    /// Checks in the browser; prints `ok …` lines, `READY` when the first page is checked, and
    /// exits 1 with the reason at the first failure.
    static let script = #"""
        import json, os, sys, time
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By

        base, outdir, report, go, browser, driver_path, expected = sys.argv[1:8]
        expected = json.loads(expected)

        def fail(message):
            print("FAIL " + message, flush=True)
            sys.exit(1)

        def wait(what, check, timeout=15):
            end = time.time() + timeout
            while time.time() < end:
                try:
                    value = check()
                    if value:
                        return value
                except Exception:
                    pass
                time.sleep(0.1)
            fail("timed out waiting for " + what)

        options = Options()
        options.binary_location = browser
        for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,3400", "--hide-scrollbars"]:
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        d = webdriver.Chrome(service=Service(driver_path), options=options)
        try:
            def shot(name):
                # The whole page, as tall as its content.
                height = d.execute_script("const m = document.querySelector('main'); return Math.ceil(m.getBoundingClientRect().bottom + window.scrollY)")
                d.set_window_size(1400, min(max(int(height) + 40, 600), 6000))
                d.execute_script("window.scrollTo(0, 0)")
                d.save_screenshot(os.path.join(outdir, name))

            def errors():
                return [e for e in d.get_log("browser") if e["level"] == "SEVERE"]

            d.get(base + "/")
            wait("the study list", lambda: d.find_elements(By.CSS_SELECTOR, "li[data-study='demo'] a"))
            shot("index.png")
            print("ok index lists the study", flush=True)

            d.find_element(By.CSS_SELECTOR, "li[data-study='demo'] a").click()
            kinds = ["history", "importance", "parallel", "slices", "contour", "curves"]
            wait("every plot", lambda: all(d.find_elements(By.CSS_SELECTOR, "#plot-%s svg" % k) for k in kinds))
            d.execute_script("window.__tunaNoReload = 1")

            def marks(kind):
                return len(d.find_elements(By.CSS_SELECTOR, "#plot-%s svg .mark" % kind))

            want = {"history": expected["finished"], "parallel": expected["complete"], "contour": expected["complete"], "curves": expected["curves"]}
            for kind, n in want.items():
                if marks(kind) != n:
                    fail("%s has %d marks, expected %d" % (kind, marks(kind), n))
            panels = d.find_elements(By.CSS_SELECTOR, "#plot-slices svg g.panel")
            if len(panels) != 3 or any(len(p.find_elements(By.CSS_SELECTOR, ".mark")) != expected["complete"] for p in panels):
                fail("slices: %s" % [len(p.find_elements(By.CSS_SELECTOR, ".mark")) for p in panels])
            if len(d.find_elements(By.CSS_SELECTOR, "#plot-importance svg rect.bar")) != 3:
                fail("importance bars")
            if len(d.find_elements(By.CSS_SELECTOR, "#plot-history svg .mark.pruned")) != 1 or len(d.find_elements(By.CSS_SELECTOR, "#plot-history svg .mark.fail")) != 1:
                fail("pruned and failed trials are not marked in the history")
            if not d.find_elements(By.CSS_SELECTOR, "#plot-curves svg .stop"):
                fail("the pruned curve is not marked where it stopped")
            print("ok every plot has one mark per trial", flush=True)

            wait("the worker table", lambda: len(d.find_elements(By.CSS_SELECTOR, "#worker-table tr[data-worker]")) == 2)
            rows = lambda: d.find_elements(By.CSS_SELECTOR, "#trial-table tbody tr")
            wait("the trial table", lambda: len(rows()) == expected["finished"])

            # Sorting: a click on the value header sorts ascending, a second descending.
            def values():
                # One round trip: the value column of the rows shown.
                return d.execute_script("return Array.from(document.querySelectorAll('#trial-table tbody tr')).map(r => r.cells[2].textContent).filter(t => t !== '').map(Number)")
            d.find_element(By.CSS_SELECTOR, "#trial-table th[data-sort='value']").click()
            wait("ascending values", lambda: d.find_elements(By.CSS_SELECTOR, "th.sorted-asc[data-sort='value']") and values() == sorted(values()) and len(values()) > 3)
            d.find_element(By.CSS_SELECTOR, "#trial-table th[data-sort='value']").click()
            wait("descending values", lambda: d.find_elements(By.CSS_SELECTOR, "th.sorted-desc[data-sort='value']") and values() == sorted(values(), reverse=True) and len(values()) > 3)
            print("ok sorting by value both ways: %s" % values()[:3], flush=True)
            # Filtering by state.
            d.execute_script("const s = document.getElementById('state-filter'); s.value = 'FAIL'; s.dispatchEvent(new Event('change'))")
            wait("the failed trials only", lambda: [r.get_attribute("class") for r in rows()] == ["FAIL"])
            d.execute_script("const s = document.getElementById('state-filter'); s.value = 'all'; s.dispatchEvent(new Event('change'))")
            wait("all trials again", lambda: len(rows()) == expected["finished"])
            print("ok filtering by state", flush=True)
            shot("study.png")

            # The test writes one more trial into the database now.
            print("READY", flush=True)
            wait("the go file", lambda: os.path.exists(go), timeout=30)
            n = expected["finished"] + 1
            wait("the new trial in the history", lambda: marks("history") == n)
            wait("the new trial in the table", lambda: len(rows()) == n)
            if d.execute_script("return window.__tunaNoReload") != 1:
                fail("the page was reloaded")
            print("ok the new trial appeared without a reload", flush=True)

            if errors():
                fail("console errors: %s" % errors())
            print("ok no console errors on the dashboard", flush=True)

            # 10,000 trials: the page shows its plots quickly and a sort answers quickly.
            started = time.time()
            d.get(base + "/study/large")
            wait("the large study's plots", lambda: all(d.find_elements(By.CSS_SELECTOR, "#plot-%s svg" % k) for k in kinds), timeout=20)
            loaded = time.time() - started
            if marks("history") != 2000 or "2000 of 10000" not in d.find_element(By.CSS_SELECTOR, "#plot-history .note").text:
                fail("the large history draws %d marks" % marks("history"))
            wait("the large table", lambda: "of 10000" in d.find_element(By.ID, "page-info").text, timeout=20)
            started = time.time()
            d.find_element(By.CSS_SELECTOR, "#trial-table th[data-sort='value']").click()
            wait("the large table sorted", lambda: d.find_elements(By.CSS_SELECTOR, "th.sorted-asc[data-sort='value']") and values() == sorted(values()), timeout=10)
            sorted_in = time.time() - started
            busy = d.execute_script("const t = performance.now(); let k = 0; for (let i = 0; i < 1e6; i++) k += i; return performance.now() - t")
            if loaded > 8 or sorted_in > 3:
                fail("10,000 trials: plots after %.2f s, sorted after %.2f s" % (loaded, sorted_in))
            shot("large.png")
            print("ok 10,000 trials: plots in %.2f s, a sort in %.2f s, main thread free (%.0f ms for a 1e6 loop)" % (loaded, sorted_in, busy), flush=True)
            if errors():
                fail("console errors on the large study: %s" % errors())

            d.get("file://" + report)
            for kind in kinds:
                if not d.find_elements(By.CSS_SELECTOR, "svg[data-plot='%s']" % kind):
                    fail("the report lacks the %s plot" % kind)
            for kind in ["history", "parallel", "contour", "curves"]:
                got = len(d.find_elements(By.CSS_SELECTOR, "svg[data-plot='%s'] .mark" % kind))
                if got != want[kind]:
                    fail("report %s has %d marks, expected %d" % (kind, got, want[kind]))
            if len(d.find_elements(By.CSS_SELECTOR, "#leaderboard tbody tr")) != expected["complete"]:
                fail("leaderboard rows")
            shot("report.png")
            if errors():
                fail("console errors on the report: %s" % errors())
            print("ok the report has every plot", flush=True)
        finally:
            d.quit()
        """#
}
