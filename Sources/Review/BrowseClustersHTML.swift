/// The browser page's cluster and leak views (part of `BrowsePageHTML.page`):
/// - with `group=ID`, the members of the image's duplicate cluster and related group, kept images first, each with
///   its relation (kept, duplicate, related: mirror …), distance to the kept image and label; K keeps the
///   focused image (`dedup keep`), U unmarks it (`dedup unmark`);
/// - with `leaks=SPLIT`, the pairs crossing subsets of the split (`check leakage`) side by side, each image with
///   its subset, the pair with its relation and distance.
enum BrowseClustersHTML {
  static let style = #"""
    #side{padding:4px 12px;font-size:13px;color:#ccc}
    .tile .rel{color:#9fd49f}
    #grid.pairs{display:block}
    .pair{display:flex;gap:8px;align-items:center;margin:6px 0}
    .pair .tile{width:176px}
    .pair .why{width:260px;font-size:12px;color:#f5c542}
    """#

  static let script = #"""
    // Clusters and leaks side by side (BrowseClustersHTML).
    async function loadGroup(mine) {
      const g = filter().group;
      state.group = null;
      const side = $("side"); side.textContent = "";
      if (!g) return;
      try {
        const d = await getJSON(q("/api/browse/group/" + encodeURIComponent(g)));
        if (mine !== state.seq) return;
        state.group = d;
        const rank = new Map(d.members.map((m, i) => [m.image, i]));
        state.tiles.sort((a, b) => (rank.has(a.image) ? rank.get(a.image) : 1e9) - (rank.has(b.image) ? rank.get(b.image) : 1e9));
        side.textContent = `image ${d.image}: cluster ${d.cluster} (${d.method}, radius ${d.radius}), kept ${d.kept.map(k => "#" + k).join(", ") || "none"}, `
          + `${d.members.length} images in its group · K keeps the focused image, U unmarks it`;
      } catch (e) { if (mine === state.seq) side.textContent = "no cluster: " + e.message; }
    }
    function memberOf(t) { return state.group && state.group.members.find(m => m.image === t.image); }
    function groupCaption(t) {
      const m = memberOf(t); if (!m) return "";
      return m.relation + (m.evidence ? ": " + m.evidence : "") + (m.distance !== null && m.distance !== undefined ? " · d " + m.distance : "")
        + (m.linkedTo && m.relation === "related" ? " to #" + m.linkedTo : "") + (m.decision ? " · " + m.decision + (m.reviewer ? " by " + m.reviewer : "") : "");
    }
    async function loadLeaks(mine) {
      state.group = null;
      try {
        const d = await getJSON(q("/api/browse/leaks", Object.assign(filter(), {page: state.page, per: state.per})));
        if (mine !== state.seq) return;
        state.leaks = d; state.total = d.total;
        state.tiles = d.pairs.flatMap(p => [p.first, p.second]);
        state.focus = Math.min(state.focus, Math.max(0, state.tiles.length - 1));
        render();
        const first = state.page * state.per;
        $("count").textContent = d.total ? `pairs ${first + 1}–${first + d.pairs.length} of ${d.total}` : "no pair crosses subsets";
        $("side").textContent = `split ${d.split}: ${d.imagesChecked} images checked`
          + (d.hashAlgorithm ? `, duplicates and related copies by ${d.hashAlgorithm} within ${d.radius} bits` : ", not compared by hash")
          + (d.unhashable ? `, ${d.unhashable} could not be hashed` : "") + "; pairs that cross subsets, as check leakage lists them";
        show("ready");
      } catch (e) { if (mine === state.seq) { state.errors++; show("error: " + e.message); } }
      if (mine === state.seq) state.loads = (state.loads || 0) + 1;
    }
    function renderLeaks() {
      const grid = $("grid"); grid.textContent = ""; grid.className = "pairs";
      state.leaks.pairs.forEach((p, i) => {
        const row = el("div", undefined, "pair"); row.id = "pair-" + i;
        const sides = [[2 * i, p.first, p.firstSubset], [2 * i + 1, p.second, p.secondSubset]];
        sides.forEach(([k, t, subset], n) => {
          const d = el("div", undefined, "tile " + t.status + (k === state.focus ? " focus" : ""));
          const img = el("img"); img.loading = "lazy"; img.alt = String(t.image); img.src = q("/ithumb/" + t.image, {side: 160});
          d.appendChild(img); d.appendChild(el("div", caption(t), "cap")); d.appendChild(el("div", "subset " + subset, "cap rel"));
          d.onclick = () => { state.focus = k; render(); open(); };
          row.appendChild(d);
          if (n === 0) row.appendChild(el("div", (p.relation ? p.relation + " · " : "") + p.evidence + (p.distance !== null && p.distance !== undefined ? " · distance " + p.distance : ""), "why"));
        });
        grid.appendChild(row);
      });
    }
    """#
}
