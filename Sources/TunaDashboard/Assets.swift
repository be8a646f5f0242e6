/// The dashboard's page, stylesheet and script, served by Tuna itself (nothing from the
/// internet). The script only fetches JSON and inserts the SVG TunaPlots drew, so the report
/// and the dashboard show the same pictures from one renderer.
enum Assets {
    /// Both pages are this shell; the script reads which from the address. `data:,` as the
    /// icon keeps the browser from asking for /favicon.ico.
    static func shell(_ kind: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <link rel="icon" href="data:,">
        <link rel="stylesheet" href="/assets/dashboard.css">
        <title>Tuna dashboard</title></head>
        <body data-page="\(kind)">
        <header><h1 id="title">Tuna</h1><p id="subtitle"></p></header>
        <main id="main"></main>
        <script src="/assets/dashboard.js"></script>
        </body></html>
        """
    }

    static let indexPage = shell("index")
    static let studyPage = shell("study")

    static let extraCSS = """
        .pager button{margin:0 4px}#status{font-size:12px;color:#cfe8ff}
        th.sorted-asc::after{content:" ▲"}th.sorted-desc::after{content:" ▼"}
        td.err{max-width:320px;overflow:hidden;text-overflow:ellipsis}
        """

    static let script = #"""
        "use strict";
        (function () {
          const POLL_MS = 1000;
          const PROGRESS_MS = 3000;
          let plotsAt = 0;
          const main = document.getElementById("main");
          const page = document.body.dataset.page;

          function el(tag, attrs, text) {
            const node = document.createElement(tag);
            for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
            if (text !== undefined) node.textContent = text;
            return node;
          }
          async function getJSON(url) {
            const response = await fetch(url, { cache: "no-store" });
            const body = await response.json();
            if (!response.ok) throw new Error(body.error || response.statusText);
            return body;
          }
          function fmt(x) {
            if (x === null || x === undefined) return "";
            if (typeof x === "number") return Number.isInteger(x) ? String(x) : x.toPrecision(5);
            return String(x);
          }
          function setStatus(text) {
            document.getElementById("subtitle").textContent = text;
          }

          // ---- the list of studies ----
          async function indexPage() {
            const list = el("ul", { class: "studies", id: "studies" });
            const card = el("section", { class: "wide" });
            card.appendChild(el("h2", {}, "Studies"));
            card.appendChild(list);
            main.appendChild(card);
            let version = null;
            let liveWorkers = true;
            let progress = 0;
            async function refresh() {
              const v = await getJSON("/api/version");
              if (v.version === version) return;
              version = v.version;
              const studies = await getJSON("/api/studies");
              list.replaceChildren();
              for (const s of studies) {
                const item = el("li", { "data-study": s.name });
                const link = el("a", { href: "/study/" + encodeURIComponent(s.name) }, s.name);
                item.appendChild(link);
                item.appendChild(document.createTextNode(
                  ` — ${s.state}, ${s.trials} trials (${s.counts.COMPLETE} complete, ${s.counts.RUNNING} running), ` +
                  `${s.direction} ${s.metric}, best ${fmt(s.best)}`));
                list.appendChild(item);
              }
              if (studies.length === 0) list.appendChild(el("li", {}, "no studies in this database yet"));
              setStatus(`${studies.length} studies`);
            }
            await loop(refresh);
          }

          // ---- one study ----
          async function studyPage() {
            const name = decodeURIComponent(location.pathname.replace(/^\/study\//, ""));
            const base = "/api/studies/" + encodeURIComponent(name);
            document.getElementById("title").textContent = "Study " + name;
            document.title = "Tuna: " + name;
            const back = el("a", { href: "/" }, "all studies");
            document.querySelector("header").appendChild(back);

            const plotCards = {};
            function card(kind) {
              if (!plotCards[kind]) {
                const section = el("section", { class: "card", id: "plot-" + kind });
                section.appendChild(el("h2", {}));
                section.appendChild(el("p", { class: "note" }));
                section.appendChild(el("div", { class: "svg" }));
                main.insertBefore(section, tableCard);
                plotCards[kind] = section;
              }
              return plotCards[kind];
            }

            // The trial table: paged on the server, sorted and filtered by it.
            const table = { sort: "number", order: "asc", state: "all", offset: 0, limit: 50 };
            const tableCard = el("section", { class: "wide", id: "trials" });
            tableCard.appendChild(el("h2", {}, "Trials"));
            const controls = el("div", { class: "controls" });
            const filter = el("select", { id: "state-filter" });
            for (const s of ["all", "COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING"]) filter.appendChild(el("option", { value: s }, s));
            filter.addEventListener("change", () => { table.state = filter.value; table.offset = 0; refreshTable(); });
            controls.appendChild(el("label", { for: "state-filter" }, "state"));
            controls.appendChild(filter);
            const pager = el("span", { class: "pager" });
            const prev = el("button", { id: "prev" }, "‹ previous");
            const next = el("button", { id: "next" }, "next ›");
            const pageInfo = el("span", { id: "page-info" });
            prev.addEventListener("click", () => { table.offset = Math.max(0, table.offset - table.limit); refreshTable(); });
            next.addEventListener("click", () => { table.offset += table.limit; refreshTable(); });
            pager.append(prev, pageInfo, next);
            controls.appendChild(pager);
            tableCard.appendChild(controls);
            const grid = el("table", { class: "trials", id: "trial-table" });
            tableCard.appendChild(grid);
            main.appendChild(tableCard);

            const workerCard = el("section", { class: "wide", id: "workers" });
            workerCard.appendChild(el("h2", {}, "Workers"));
            const workerTable = el("table", { class: "trials", id: "worker-table" });
            workerCard.appendChild(workerTable);
            main.appendChild(workerCard);

            let paramNames = [];
            async function refreshTable() {
              const q = new URLSearchParams({ sort: table.sort, order: table.order, state: table.state, offset: table.offset, limit: table.limit });
              const body = await getJSON(base + "/trials?" + q.toString());
              if (body.offset >= body.total && body.total > 0) { table.offset = Math.max(0, body.total - table.limit); return refreshTable(); }
              const names = new Set(paramNames);
              for (const t of body.trials) for (const k of Object.keys(t.params)) names.add(k);
              paramNames = Array.from(names).sort();
              const columns = [["number", "trial"], ["state", "state"], ["value", "value"], [null, "std"], ["duration", "seconds"], ["worker", "worker"]];
              const head = el("tr");
              for (const [key, label] of columns) {
                const th = el("th", key ? { "data-sort": key } : {}, label);
                if (key === table.sort) th.classList.add("sorted-" + table.order);
                if (key) th.addEventListener("click", () => {
                  table.order = table.sort === key && table.order === "asc" ? "desc" : "asc";
                  table.sort = key; table.offset = 0; refreshTable();
                });
                head.appendChild(th);
              }
              for (const p of paramNames) head.appendChild(el("th", {}, p));
              head.appendChild(el("th", {}, "error"));
              const thead = el("thead"); thead.appendChild(head);
              const tbody = el("tbody");
              for (const t of body.trials) {
                const row = el("tr", { "data-trial": t.number, class: t.state });
                for (const v of [t.number, t.state, t.value, t.std, t.duration, t.worker]) row.appendChild(el("td", {}, fmt(v)));
                for (const p of paramNames) row.appendChild(el("td", {}, fmt(t.params[p])));
                row.appendChild(el("td", { class: "err", title: t.error || "" }, t.error || ""));
                tbody.appendChild(row);
              }
              grid.replaceChildren(thead, tbody);
              const last = Math.min(body.offset + body.trials.length, body.total);
              pageInfo.textContent = ` ${body.total === 0 ? 0 : body.offset + 1}–${last} of ${body.total} `;
              prev.disabled = body.offset === 0;
              next.disabled = last >= body.total;
            }

            async function refreshPlots() {
              const body = await getJSON(base + "/plots");
              for (const plot of body.plots) {
                const section = card(plot.kind);
                section.querySelector("h2").textContent = plot.title;
                section.querySelector(".note").textContent = plot.note || "";
                // SVG drawn by TunaPlots (names and values escaped there).
                section.querySelector(".svg").innerHTML = plot.svg;
              }
              main.dataset.plotsVersion = body.version;
              plotsAt = Date.now();
            }

            async function refreshWorkers() {
              const body = await getJSON(base + "/workers");
              const head = el("tr");
              for (const h of ["worker", "trials here", "running here", "now (live)", "silent s"]) head.appendChild(el("th", {}, h));
              const rows = [el("thead")];
              rows[0].appendChild(head);
              const tbody = el("tbody");
              for (const w of body.workers) {
                const row = el("tr", { "data-worker": w.name });
                const now = w.live ? (w.study ? `${w.study} #${w.trial}` : "idle") : (body.live ? "gone" : "(not known without the daemon)");
                for (const v of [w.name, w.trials, w.running.join(", "), now, w.silentFor]) row.appendChild(el("td", {}, fmt(v)));
                tbody.appendChild(row);
              }
              rows.push(tbody);
              workerTable.replaceChildren(...rows);
              return body.live;
            }

            let version = null;
            let liveWorkers = true;
            let progress = 0;
            async function refresh() {
              const summary = await getJSON(base);
              setStatus(`${summary.state}: ${summary.trials} trials — ${summary.counts.COMPLETE} complete, ${summary.counts.PRUNED} pruned, ` +
                `${summary.counts.FAIL} failed, ${summary.counts.RUNNING} running; ${summary.direction} ${summary.metric}, best ${fmt(summary.best)}` +
                (summary.bestTrial !== undefined && summary.bestTrial !== null ? ` (trial ${summary.bestTrial})` : ""));
              const changed = summary.version !== version;
              if (changed) {
                version = summary.version;
                progress = summary.progress;
                await refreshPlots();
                await refreshTable();
              } else if (summary.progress !== progress && Date.now() - plotsAt > PROGRESS_MS) {
                // Running trials reported epochs: redraw their curves, at most every few seconds.
                progress = summary.progress;
                await refreshPlots();
              }
              // Recorded workers change with the trials; a daemon's live ones at any time.
              if (changed || liveWorkers) liveWorkers = await refreshWorkers();
            }
            await loop(refresh);
          }

          // Polls until the page is closed; a failed poll is shown, and the next one retries.
          async function loop(refresh) {
            for (;;) {
              try {
                await refresh();
                document.body.dataset.updated = String(Date.now());
              } catch (error) {
                setStatus("update failed: " + error.message + " (retrying)");
              }
              await new Promise((resolve) => setTimeout(resolve, POLL_MS));
            }
          }

          if (page === "study") studyPage(); else indexPage();
        })();
        """#
}
