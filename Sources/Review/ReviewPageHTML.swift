/// The review page: one self-contained HTML document (inline CSS and script, no external requests).
///
/// Keys, grid: arrows or h j k l move · a accept · x or r reject · 1–9 relabel (and accept) · u undo ·
/// n / p next / previous page · Enter or o open the full image. Full image: drag to draw a missed face ·
/// click a box to select it · Shift+drag moves the selected box · a x 1–9 u act on the selected box ·
/// Esc back to the grid. Nothing is shown as saved until the server has committed it.
enum ReviewPageHTML {
  static let page = #"""
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><title>datasetkit review</title>
    <style>
    body{font:14px system-ui,sans-serif;margin:0;background:#1e1f22;color:#ddd}
    header{position:sticky;top:0;background:#2b2d31;padding:8px 12px;display:flex;gap:10px;flex-wrap:wrap;align-items:center;z-index:2}
    header label{font-size:12px;color:#aaa}
    input,select{background:#1e1f22;color:#ddd;border:1px solid #555;padding:2px 4px}
    #grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(176px,1fr));gap:8px;padding:12px}
    .tile{background:#2b2d31;border:3px solid transparent;padding:4px;border-radius:4px;cursor:pointer}
    .tile img{width:160px;height:160px;object-fit:contain;display:block;margin:auto;background:#111}
    .tile .cap{font-size:12px;margin-top:3px;white-space:nowrap;overflow:hidden}
    .tile.focus{border-color:#5b9bff}
    .tile.accepted{background:#1f3d27}.tile.rejected{background:#4a1f22;opacity:.6}
    #status{margin-left:auto;font-size:12px}
    #keys{font-size:12px;color:#999}
    #viewer{position:fixed;inset:0;background:rgba(0,0,0,.92);display:none;z-index:3;overflow:auto}
    #stage{position:relative;margin:40px auto;user-select:none}
    #stage img{display:block;width:100%;height:100%}
    .box{position:absolute;border:2px solid #f5c542;box-sizing:border-box}
    .box.accepted{border-color:#4cd964}.box.rejected{border-color:#ff3b30;border-style:dashed}
    .box.sel{outline:2px solid #5b9bff;outline-offset:2px}
    .box span{position:absolute;top:-18px;left:0;font-size:11px;background:#000a;padding:0 3px;white-space:nowrap}
    #draft{position:absolute;border:2px dashed #5b9bff;display:none}
    #vbar{position:fixed;top:0;left:0;right:0;background:#2b2d31;padding:6px 12px;font-size:12px;z-index:4}
    </style></head><body>
    <header>
      <strong>datasetkit review</strong> <a id="browse-link" href="#" style="color:#8ab4ff">browse images</a>
      <label>status <select id="f-status"><option>proposed</option><option>accepted</option><option>rejected</option><option>any</option></select></label>
      <label>label <select id="f-label"><option value="">any</option></select></label>
      <label>source <input id="f-source" size="10"></label>
      <label>detector <input id="f-origin" size="8"></label>
      <label>score ≥ <input id="f-min" size="4"></label>
      <label>≤ <input id="f-max" size="4"></label>
      <label><input type="checkbox" id="f-crops"> crops</label>
      <span id="count"></span>
      <span id="status">loading…</span>
      <div id="keys">arrows/hjkl move · a accept · x reject · 1–9 relabel · u undo · n/p page · Enter full image · Esc back</div>
    </header>
    <div id="grid"></div>
    <div id="viewer"><div id="vbar"></div><div id="stage"><img id="full" alt=""><div id="draft"></div></div></div>
    <script>
    "use strict";
    const token = new URLSearchParams(location.search).get("token") || "";
    document.getElementById("browse-link").href = "/browse?token=" + encodeURIComponent(token);
    const $ = id => document.getElementById(id);
    const state = {labels: [], page: 0, per: 48, tiles: [], focus: 0, total: 0, undo: [], saved: 0, pending: 0,
                   errors: 0, viewer: null, selected: null};
    window.dsk = state;
    function q(path, params) {
      const u = new URLSearchParams(params || {}); u.set("token", token); return path + "?" + u.toString();
    }
    async function call(path, body) {
      state.pending++; show("saving…");
      try {
        const r = await fetch(q(path), {method: "POST", headers: {"Content-Type": "application/json", "X-Review-Token": token},
                                        body: JSON.stringify(body)});
        const text = await r.text();
        if (!r.ok) {
          let message = text.trim();
          try { const refusal = JSON.parse(text); if (refusal.error) message = refusal.error; } catch (_) {}
          throw new Error(message);
        }
        const report = JSON.parse(text);
        state.saved++; state.pending--;
        show("saved: " + report.action + (report.value ? " " + report.value : "") + " · box " + report.boxes.join(" ") +
             " · review " + report.reviewIDs.join(" "));
        return report;
      } catch (e) { state.pending--; state.errors++; show("NOT saved: " + e.message, true); throw e; }
    }
    function show(text, bad) { const s = $("status"); s.textContent = text; s.style.color = bad ? "#ff6b6b" : ""; }
    function filterParams() {
      return {status: $("f-status").value, label: $("f-label").value, source: $("f-source").value,
              origin: $("f-origin").value, minScore: $("f-min").value, maxScore: $("f-max").value,
              crops: $("f-crops").checked ? "1" : "0"};
    }
    async function load(page) {
      const p = filterParams(); p.page = String(page); p.per = String(state.per);
      const r = await fetch(q("/api/tiles", p));
      if (!r.ok) { show("cannot load: " + (await r.text()).trim(), true); return; }
      const data = await r.json();
      state.page = data.page; state.tiles = data.tiles; state.total = data.total; state.focus = 0;
      render();
      const pages = Math.max(1, Math.ceil(data.total / data.perPage));
      $("count").textContent = data.total + " boxes · page " + (data.page + 1) + "/" + pages;
      show("ready");
    }
    function caption(t) {
      return "#" + t.box + " " + (t.label || "?") + (t.score != null ? " " + (t.score >= 1 ? t.score.toFixed(0) : t.score.toFixed(2)) : "") +
        " " + t.origin;
    }
    function render() {
      const g = $("grid"); g.innerHTML = "";
      state.tiles.forEach((t, i) => {
        const d = document.createElement("div");
        d.className = "tile " + t.status + (i === state.focus ? " focus" : "");
        d.dataset.box = t.box; d.id = "tile-" + t.box;
        const img = document.createElement("img");
        img.src = t.crop ? q("/object/" + t.crop) : q("/thumb/" + t.box); img.alt = "box " + t.box;
        const c = document.createElement("div"); c.className = "cap"; c.textContent = caption(t);
        d.append(img, c);
        d.onclick = () => { state.focus = i; render(); };
        d.ondblclick = () => openViewer(t.image, t.box);
        g.append(d);
      });
      const f = g.children[state.focus]; if (f) f.scrollIntoView({block: "nearest"});
    }
    function apply(t, report) {
      if (report.action === "reject") t.status = "rejected";
      else if (report.action === "relabel") { t.status = "accepted"; t.label = report.value; }
      else if (report.action === "accept" || report.action === "adjust" || report.action === "add") t.status = "accepted";
    }
    async function decide(t, action, label) {
      const body = {action: action, boxes: [t.box]}; if (label) body.label = label;
      const report = await call("/api/decide", body);
      state.undo.push({reviews: report.reviewIDs, tile: t, before: {status: t.status, label: t.label}});
      apply(t, report);
      return report;
    }
    async function undo() {
      const last = state.undo.pop(); if (!last) { show("nothing to undo"); return; }
      for (const id of last.reviews.slice().reverse()) await call("/api/undo", {review: id});
      if (last.tile) { last.tile.status = last.before.status; last.tile.label = last.before.label; }
      if (state.viewer) await refreshViewer(); else render();
    }
    function move(delta) {
      const n = state.tiles.length; if (!n) return;
      state.focus = Math.max(0, Math.min(n - 1, state.focus + delta)); render();
    }
    function columns() {
      const g = $("grid"); const first = g.children[0]; if (!first) return 1;
      return Math.max(1, Math.floor(g.clientWidth / (first.offsetWidth + 8)));
    }
    async function gridKey(e) {
      const t = state.tiles[state.focus];
      const k = e.key;
      if (k === "ArrowRight" || k === "l") move(1);
      else if (k === "ArrowLeft" || k === "h") move(-1);
      else if (k === "ArrowDown" || k === "j") move(columns());
      else if (k === "ArrowUp" || k === "k") move(-columns());
      else if (k === "n" || k === "PageDown") { if ((state.page + 1) * state.per < state.total) await load(state.page + 1); }
      else if (k === "p" || k === "PageUp") { if (state.page > 0) await load(state.page - 1); }
      else if (k === "u" || (k === "z" && e.ctrlKey)) await undo();
      else if (!t) return;
      else if (k === "a") { await decide(t, "accept"); move(1); render(); }
      else if (k === "x" || k === "r" || k === "Delete") { await decide(t, "reject"); move(1); render(); }
      else if (/^[1-9]$/.test(k) && state.labels[+k - 1]) { await decide(t, "relabel", state.labels[+k - 1]); move(1); render(); }
      else if (k === "Enter" || k === "o") await openViewer(t.image, t.box);
      else return;
      e.preventDefault();
    }
    // Full image: boxes scaled onto the picture, drag to draw.
    async function openViewer(image, box) {
      state.viewer = {image: image, scale: 1, data: null}; state.selected = box || null;
      $("full").src = q("/object/" + image);
      $("viewer").style.display = "block";
      await refreshViewer();
    }
    async function refreshViewer() {
      const v = state.viewer; if (!v) return;
      const r = await fetch(q("/api/image/" + v.image));
      v.data = await r.json();
      const maxW = window.innerWidth - 40, maxH = window.innerHeight - 80;
      v.scale = Math.min(maxW / v.data.width, maxH / v.data.height, 4);
      const st = $("stage");
      st.style.width = Math.round(v.data.width * v.scale) + "px"; st.style.height = Math.round(v.data.height * v.scale) + "px";
      st.querySelectorAll(".box").forEach(b => b.remove());
      for (const b of v.data.boxes) {
        const d = document.createElement("div");
        d.className = "box " + b.status + (b.box === state.selected ? " sel" : ""); d.id = "box-" + b.box;
        d.style.left = b.rect.xmin * v.scale + "px"; d.style.top = b.rect.ymin * v.scale + "px";
        d.style.width = (b.rect.xmax - b.rect.xmin) * v.scale + "px"; d.style.height = (b.rect.ymax - b.rect.ymin) * v.scale + "px";
        const s = document.createElement("span"); s.textContent = caption(b) + " " + b.status; d.append(s);
        d.addEventListener("mousedown", ev => { if (!ev.shiftKey) { ev.stopPropagation(); state.selected = b.box; refreshViewer(); } });
        st.append(d);
      }
      $("vbar").textContent = "image " + v.image + " · " + v.data.boxes.length + " boxes · drag: draw a missed face (label " +
        currentLabel() + ") · click: select · Shift+drag: move the selected box · a x 1–9 u · Esc back";
    }
    function currentLabel() {
      const v = state.viewer; const sel = v && v.data && v.data.boxes.find(b => b.box === state.selected);
      return (sel && sel.label) || state.labels[0] || "";
    }
    let drag = null;
    $("stage").addEventListener("mousedown", e => {
      const r = $("stage").getBoundingClientRect();
      drag = {x: e.clientX - r.left, y: e.clientY - r.top, shift: e.shiftKey};
      const d = $("draft"); d.style.display = "block"; d.style.left = drag.x + "px"; d.style.top = drag.y + "px";
      d.style.width = "0px"; d.style.height = "0px"; e.preventDefault();
    });
    window.addEventListener("mousemove", e => {
      if (!drag) return;
      const r = $("stage").getBoundingClientRect(); const x = e.clientX - r.left, y = e.clientY - r.top;
      const d = $("draft");
      d.style.left = Math.min(x, drag.x) + "px"; d.style.top = Math.min(y, drag.y) + "px";
      d.style.width = Math.abs(x - drag.x) + "px"; d.style.height = Math.abs(y - drag.y) + "px";
    });
    window.addEventListener("mouseup", async e => {
      if (!drag) return;
      const start = drag; drag = null; $("draft").style.display = "none";
      const v = state.viewer; if (!v) return;
      const r = $("stage").getBoundingClientRect(); const x = e.clientX - r.left, y = e.clientY - r.top;
      if (Math.abs(x - start.x) < 4 || Math.abs(y - start.y) < 4) return;
      const rect = {xmin: Math.min(x, start.x) / v.scale, ymin: Math.min(y, start.y) / v.scale,
                    xmax: Math.max(x, start.x) / v.scale, ymax: Math.max(y, start.y) / v.scale};
      if (start.shift && state.selected) {
        const report = await call("/api/adjust", {box: state.selected, rect: rect});
        state.undo.push({reviews: report.reviewIDs});
      } else {
        const body = {image: v.image, rect: rect}; const label = currentLabel(); if (label) body.label = label;
        const report = await call("/api/add", body);
        state.undo.push({reviews: report.reviewIDs}); state.selected = report.boxes[0];
      }
      await refreshViewer();
    });
    async function viewerKey(e) {
      const k = e.key; const v = state.viewer;
      const sel = v.data && v.data.boxes.find(b => b.box === state.selected);
      if (k === "Escape") { $("viewer").style.display = "none"; state.viewer = null; await load(state.page); }
      else if (k === "u" || (k === "z" && e.ctrlKey)) await undo();
      else if (!sel) return;
      else if (k === "a") { await decide(sel, "accept"); await refreshViewer(); }
      else if (k === "x" || k === "r" || k === "Delete") { await decide(sel, "reject"); await refreshViewer(); }
      else if (/^[1-9]$/.test(k) && state.labels[+k - 1]) { await decide(sel, "relabel", state.labels[+k - 1]); await refreshViewer(); }
      else return;
      e.preventDefault();
    }
    let busy = Promise.resolve();
    document.addEventListener("keydown", e => {
      if (e.target.matches("input, select")) { if (e.key === "Enter") { e.target.blur(); load(0); } return; }
      // One key at a time, in order: a decision is confirmed before the next key acts.
      busy = busy.then(() => state.viewer ? viewerKey(e) : gridKey(e)).catch(() => {});
      if (e.key.length === 1 || e.key.startsWith("Arrow") || e.key === "Enter") e.preventDefault();
    });
    ["f-status", "f-label", "f-crops"].forEach(id => $(id).addEventListener("change", () => load(0)));
    (async () => {
      const r = await fetch(q("/api/config"));
      if (!r.ok) { show("cannot load: " + (await r.text()).trim(), true); return; }
      const c = await r.json();
      state.labels = c.labels; state.per = c.perPage;
      for (const [i, l] of c.labels.entries()) {
        const o = document.createElement("option"); o.value = l; o.textContent = (i + 1) + " " + l; $("f-label").append(o);
      }
      const f = c.filter;
      $("f-status").value = f.status || "any"; $("f-label").value = f.label || ""; $("f-source").value = f.source || "";
      $("f-origin").value = f.origin || ""; $("f-min").value = f.minScore ?? ""; $("f-max").value = f.maxScore ?? "";
      $("f-crops").checked = !!f.crops;
      await load(0);
    })();
    </script></body></html>
    """#
}
