/// The browser page: the dataset's images as a grid, with filters held in the URL, one image in full with
/// everything the catalog knows about it, and keyboard decisions on whole images.
///
/// Keys: arrows or h j k l move · 1–9 relabel to the view's classes · x exclude (the reason field's text) ·
/// r restore · u undo the focused image's last decision · n / p page · Enter or o open · Esc back · g show
/// the focused image's duplicates and related images · K keep / U unmark it in its cluster (`dedup keep` /
/// `dedup unmark`; `BrowseClustersHTML`). Every text from the catalog goes in through
/// `textContent`, never as HTML.
enum BrowsePageHTML {
  static let page = #"""
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><title>datasetkit browse</title>
    <style>
    body{font:14px system-ui,sans-serif;margin:0;background:#1e1f22;color:#ddd}
    header{position:sticky;top:0;background:#2b2d31;padding:8px 12px;display:flex;gap:8px;flex-wrap:wrap;align-items:center;z-index:2}
    header label{font-size:12px;color:#aaa}
    input,select{background:#1e1f22;color:#ddd;border:1px solid #555;padding:2px 4px}
    a{color:#8ab4ff}
    #grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(176px,1fr));gap:8px;padding:12px}
    .tile{background:#2b2d31;border:3px solid transparent;padding:4px;border-radius:4px;cursor:pointer}
    .tile img{width:160px;height:160px;object-fit:contain;display:block;margin:auto;background:#111}
    .tile .cap{font-size:12px;margin-top:3px;white-space:nowrap;overflow:hidden}
    .tile.focus{border-color:#5b9bff}
    .tile.rejected{background:#4a1f22;opacity:.6}.tile.duplicate{background:#3d3a1f}
    .tile.suspect .cap::before{content:"⚠ ";color:#f5c542}
    #status{margin-left:auto;font-size:12px}
    #keys{font-size:12px;color:#999;width:100%}
    #detail{position:fixed;inset:0;background:rgba(0,0,0,.94);display:none;z-index:3;overflow:auto;padding:12px}
    #detail .cols{display:flex;gap:16px;align-items:flex-start}
    #stage{position:relative;flex:0 0 auto}
    #stage img{display:block;max-width:70vw;max-height:85vh;min-width:min(320px,70vw)}
    .box{position:absolute;border:2px solid #f5c542;box-sizing:border-box}
    .box.accepted{border-color:#4cd964}.box.rejected{border-color:#ff3b30;border-style:dashed}
    #facts{font-size:13px;max-width:40vw}
    #facts h3{margin:10px 0 4px;font-size:13px;color:#aaa}
    #facts li{margin:2px 0}
    \#(BrowseClustersHTML.style)
    </style></head><body>
    <header>
      <strong>datasetkit browse</strong> <a id="boxes-link" href="#">face boxes</a>
      <label>label <select id="f-label"><option value="">any</option><option value="(none)">(none)</option></select></label>
      <label>source <select id="f-source"><option value="">any</option></select></label>
      <label>kind <select id="f-kind"><option value="">any</option><option>photo</option><option>crop</option></select></label>
      <label>status <select id="f-status"><option value="">any</option><option>active</option><option value="rejected">excluded</option><option>duplicate</option><option>quarantined</option></select></label>
      <label>split <select id="f-split"><option value="">any</option></select></label>
      <label>subset <select id="f-subset"><option value="">any</option></select></label>
      <label>decided <select id="f-decided"><option value="">any</option><option value="1">yes</option><option value="0">no</option></select></label>
      <label><input type="checkbox" id="f-suspects"> suspects first</label>
      <label>group of <input id="f-group" size="6"></label>
      <label>ids <input id="f-ids" size="10"></label>
      <label>score <input id="f-minScore" size="4">–<input id="f-maxScore" size="4"></label>
      <label>leaks of <select id="f-leaks"><option value="">-</option></select></label>
      <label>reason <input id="reason" size="14" value="excluded in the browser"></label>
      <span id="count"></span>
      <span id="status">loading…</span>
      <div id="keys">arrows/hjkl move · 1–9 relabel · x exclude · r restore · u undo · g group · K keep / U unmark (group) · n/p page · Enter open · Esc back</div>
    </header>
    <div id="side"></div>
    <div id="grid"></div>
    <div id="detail"><div class="cols"><div id="stage"><img id="full" alt=""></div><div id="facts"></div></div></div>
    <script>
    "use strict";
    const params = new URLSearchParams(location.search);
    const token = params.get("token") || "";
    const $ = id => document.getElementById(id);
    const fields = ["label", "source", "kind", "status", "split", "subset", "decided", "group", "ids", "minScore", "maxScore", "leaks"];
    const state = {config: null, tiles: [], focus: 0, page: Number(params.get("page") || 0), per: 48, total: 0,
                   saved: 0, pending: 0, errors: 0, detail: null, last: null};
    window.dsk = state;
    function q(path, extra) {
      const u = new URLSearchParams(extra || {}); u.set("token", token); return path + "?" + u.toString();
    }
    function el(tag, text, cls) {
      const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e;
    }
    function show(text) { $("status").textContent = text; }
    function filter() {
      const f = {};
      for (const name of fields) { const v = $("f-" + name).value.trim(); if (v) f[name] = v; }
      if ($("f-suspects").checked) f.suspects = "1";
      return f;
    }
    function syncURL() {
      const u = new URLSearchParams(filter()); u.set("token", token); if (state.page) u.set("page", state.page);
      history.replaceState(null, "", "/browse?" + u.toString());
    }
    function option(select, value, text) { const o = el("option", text === undefined ? value : text); o.value = value; select.appendChild(o); }
    async function getJSON(url) {
      const r = await fetch(url, {headers: {"X-Review-Token": token}});
      if (!r.ok) throw new Error(await r.text());
      return r.json();
    }
    async function load() {
      syncURL();
      show("loading…");
      // Filters changed quickly send several requests; only the latest one's answer is shown.
      const mine = state.seq = (state.seq || 0) + 1;
      if (filter().leaks) return loadLeaks(mine);
      state.leaks = null;
      try {
        const page = await getJSON(q("/api/browse/tiles", Object.assign(filter(), {page: state.page, per: state.per})));
        if (mine !== state.seq) return;
        state.tiles = page.tiles; state.total = page.total;
        await loadGroup(mine);
        if (mine !== state.seq) return;
        state.focus = Math.min(state.focus, Math.max(0, state.tiles.length - 1));
        render();
        const first = state.page * state.per;
        $("count").textContent = page.total ? `${first + 1}–${first + page.tiles.length} of ${page.total}` : "no image";
        show("ready");
      } catch (e) { if (mine === state.seq) { state.errors++; show("error: " + e.message); } }
      if (mine === state.seq) state.loads = (state.loads || 0) + 1;
    }
    function caption(t) {
      return `#${t.image} ${t.label || "(no label)"} · ${t.source || ""}` + (t.status !== "active" ? ` · ${t.status === "rejected" ? "excluded" : t.status}` : "");
    }
    function render() {
      if (state.leaks) return renderLeaks();
      const grid = $("grid"); grid.textContent = ""; grid.className = "";
      state.tiles.forEach((t, i) => {
        const d = el("div", undefined, "tile " + t.status + (t.suspect ? " suspect" : "") + (i === state.focus ? " focus" : ""));
        d.id = "tile-" + t.image;
        const img = el("img"); img.loading = "lazy"; img.alt = String(t.image);
        img.src = q("/ithumb/" + t.image, {side: 160});
        d.appendChild(img); d.appendChild(el("div", caption(t), "cap"));
        if (memberOf(t)) d.appendChild(el("div", groupCaption(t), "cap rel"));
        if (t.suspect) d.title = "suspect, score " + t.suspect;
        d.onclick = () => { state.focus = i; render(); open(); };
        grid.appendChild(d);
      });
    }
    async function decide(body, path) {
      state.pending++; show("saving…");
      try {
        const r = await fetch(q(path || "/api/browse/decide"), {method: "POST", headers: {"Content-Type": "application/json", "X-Review-Token": token}, body: JSON.stringify(body)});
        if (!r.ok) throw new Error(await r.text());
        state.last = await r.json(); state.saved++; show("saved");
      } catch (e) { state.errors++; show("not saved: " + e.message); }
      state.pending--;
      await load();
      if (state.detail) await open();
    }
    function focused() { return state.tiles[state.focus]; }
    async function open() {
      const t = focused(); if (!t) return;
      const d = await getJSON(q("/api/browse/image/" + t.image));
      state.detail = d;
      $("detail").style.display = "block";
      const img = $("full"); img.src = q("/object/" + d.image);
      const stage = $("stage"); for (const b of stage.querySelectorAll(".box")) b.remove();
      img.onload = () => {
        const s = img.clientWidth / d.width;
        for (const b of d.boxes) {
          const e = el("div", undefined, "box " + b.status);
          Object.assign(e.style, {left: b.xmin * s + "px", top: b.ymin * s + "px", width: (b.xmax - b.xmin) * s + "px", height: (b.ymax - b.ymin) * s + "px"});
          e.title = (b.label || "") + " " + b.status; stage.appendChild(e);
        }
      };
      const f = $("facts"); f.textContent = "";
      f.appendChild(el("h2", `image ${d.image}: ${d.label || "(no label)"}`));
      f.appendChild(el("div", `${d.width}×${d.height} ${d.format} · ${d.kind}${d.parent ? " of image " + d.parent : ""} · ${d.status === "rejected" ? "excluded" : d.status}${d.statusReason ? " (" + d.statusReason + ")" : ""}`));
      function list(title, items, text, click) {
        if (!items.length) return;
        f.appendChild(el("h3", title)); const ul = el("ul");
        for (const it of items) { const li = el("li", text(it)); if (click) { li.style.cursor = "pointer"; li.onclick = () => click(it); } ul.appendChild(li); }
        f.appendChild(ul);
      }
      list("why suspect", d.reasons, r => `${r.kind}: ${r.detail}`);
      list("labels", d.labels, l => `${l.view || "(as found)"}: ${l.label} — ${l.source || "-"} (${l.how})`);
      list("origins", d.origins, o => `${o.source}/${o.path}${o.url ? " " + o.url : ""} · license ${o.license || "unknown"}${o.creator ? " · " + o.creator : ""}`);
      list("relations", d.relations, r => `${r.relation} image ${r.image}: ${r.label || "(no label)"} · ${r.status} (${r.method})`, r => { close(); $("f-group").value = d.image; state.page = 0; load(); });
      list("splits", d.splits, m => `${m.split}: ${m.subset}`);
      list("decisions", d.decisions, x => `#${x.review} ${x.at} ${x.reviewer}: ${x.action}${x.value ? " " + x.value : ""}${x.undone ? " (undone)" : ""}`);
    }
    function close() { $("detail").style.display = "none"; state.detail = null; }
    document.addEventListener("keydown", ev => {
      if (ev.target.matches("input, select")) { if (ev.key === "Enter") { state.page = 0; load(); } return; }
      const t = focused(); const k = ev.key;
      if (k === "Escape") { close(); return; }
      if (k === "ArrowRight" || k === "l") state.focus = Math.min(state.tiles.length - 1, state.focus + 1);
      else if (k === "ArrowLeft" || k === "h") state.focus = Math.max(0, state.focus - 1);
      else if (k === "ArrowDown" || k === "j") state.focus = Math.min(state.tiles.length - 1, state.focus + columns());
      else if (k === "ArrowUp" || k === "k") state.focus = Math.max(0, state.focus - columns());
      else if (k === "n") { if ((state.page + 1) * state.per < state.total) { state.page++; load(); } return; }
      else if (k === "p") { if (state.page > 0) { state.page--; load(); } return; }
      else if (k === "Enter" || k === "o") { open(); return; }
      else if (k === "g" && t) { close(); $("f-group").value = t.image; state.page = 0; load(); return; }
      else if (t && /^[1-9]$/.test(k)) { const c = state.config.classes[Number(k) - 1]; if (c) decide({action: "relabel", images: [t.image], label: c}); return; }
      else if (t && k === "x") { decide({action: "exclude", images: [t.image], reason: $("reason").value}); return; }
      else if (t && k === "r") { decide({action: "restore", images: [t.image]}); return; }
      else if (t && k === "u") { decide({action: "undo", images: [t.image]}); return; }
      else if (t && (k === "K" || k === "U")) { decide({action: k === "K" ? "keep" : "unmark", image: t.image}, "/api/browse/dedup"); return; }
      else return;
      ev.preventDefault(); render();
    });
    function columns() { if (state.leaks) return 2; const g = $("grid"); return Math.max(1, Math.floor(g.clientWidth / 184)); }
    async function start() {
      $("boxes-link").href = q("/");
      try { state.config = await getJSON(q("/api/browse/config")); } catch (e) { state.errors++; show("error: " + e.message); return; }
      const c = state.config;
      for (const l of c.labels) option($("f-label"), l);
      for (const s of c.sources) option($("f-source"), s);
      for (const s of Object.keys(c.splits).sort()) { option($("f-split"), s); option($("f-leaks"), s); }
      const subsets = new Set(); for (const s of Object.values(c.splits)) for (const x of s) subsets.add(x);
      for (const s of [...subsets].sort()) option($("f-subset"), s);
      $("keys").textContent += " · classes: " + c.classes.slice(0, 9).map((x, i) => `${i + 1} ${x}`).join(", ");
      for (const name of fields) {
        const v = params.get(name); if (v !== null) { const e = $("f-" + name); if (e instanceof HTMLSelectElement && ![...e.options].some(o => o.value === v)) option(e, v); e.value = v; }
        $("f-" + name).addEventListener("change", () => { state.page = 0; load(); });
      }
      $("f-suspects").checked = params.get("suspects") === "1";
      $("f-suspects").addEventListener("change", () => { state.page = 0; load(); });
      await load();
    }
    \#(BrowseClustersHTML.script)
    start();
    </script></body></html>
    """#
}
