// A state machine's definition drawn as a graph: states top to bottom in layers (a state
// sits below every state that leads to it, loops aside), edges for Next, Choice rules and
// Default, Catch (dashed); Parallel branches side by side and Map processors inside a frame
// of their own state. Each state is a <g class="node" data-state=NAME data-status=…> that a
// live view colours by setting data-status.
"use strict";

const BatonGraph = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const NODE_W = 180, NODE_H = 38, GAP_X = 28, GAP_Y = 46, PAD = 14, HEADER = 30, TERM = 16;

  function el(name, attrs, parent) {
    const e = document.createElementNS(NS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }

  function short(text, max) { return text.length > max ? text.slice(0, max - 1) + "…" : text; }

  // The states a state leads to, with the kind of each edge.
  function edges(name, s) {
    const out = [];
    if (s.Next) out.push({ to: s.Next, kind: "next" });
    if (s.Type === "Choice") {
      (s.Choices || []).forEach((c, i) => { if (c.Next) out.push({ to: c.Next, kind: "choice", label: "rule " + (i + 1) }); });
      if (s.Default) out.push({ to: s.Default, kind: "choice", label: "default" });
    }
    (s.Catch || []).forEach(c => { if (c.Next) out.push({ to: c.Next, kind: "catch", label: (c.ErrorEquals || []).join(", ") }); });
    return out;
  }

  function ends(s) { return s.End === true || s.Type === "Succeed" || s.Type === "Fail"; }

  // Lays out one scope (the top level, a branch, a processor): sizes of nested scopes first.
  function layoutScope(scope, top) {
    const states = scope.States || {};
    const names = Object.keys(states);
    const nodes = {};
    for (const n of names) {
      const s = states[n];
      const node = { name: n, state: s, w: NODE_W, h: NODE_H, children: [] };
      if (s.Type === "Parallel") {
        node.children = (s.Branches || []).map(b => layoutScope(b, false));
      } else if (s.Type === "Map") {
        const processor = s.ItemProcessor || s.Iterator;
        if (processor) node.children = [layoutScope(processor, false)];
      }
      if (node.children.length) {
        node.w = Math.max(NODE_W, node.children.reduce((a, c) => a + c.w, 0) + GAP_X * (node.children.length - 1) + 2 * PAD);
        node.h = HEADER + Math.max(...node.children.map(c => c.h)) + PAD;
      }
      nodes[n] = node;
    }
    const start = "⟨start⟩", end = "⟨end⟩";
    if (top) {
      nodes[start] = { name: start, terminal: true, w: 2 * TERM, h: 2 * TERM, children: [] };
      nodes[end] = { name: end, terminal: true, w: 2 * TERM, h: 2 * TERM, children: [] };
    }
    const out = {};
    for (const n of names) {
      out[n] = edges(n, states[n]).filter(e => e.to in nodes);
      if (top && ends(states[n])) out[n].push({ to: end, kind: "next" });
    }
    if (top) out[start] = scope.StartAt in nodes ? [{ to: scope.StartAt, kind: "next" }] : [];
    if (top) out[end] = [];

    // Depth-first from the start: edges back to a state on the path are loops.
    const order = [], seen = new Set(), onPath = new Set(), back = new Set();
    function visit(n) {
      seen.add(n); onPath.add(n); order.push(n);
      for (const e of out[n] || []) {
        if (onPath.has(e.to)) back.add(n + "\u0000" + e.to);
        else if (!seen.has(e.to)) visit(e.to);
      }
      onPath.delete(n);
    }
    visit(top ? start : scope.StartAt);
    for (const n of names) if (!seen.has(n)) visit(n);
    if (top && !seen.has(end)) visit(end);

    // Layers: the longest path from the start over forward edges.
    const rank = {};
    for (const n of order) rank[n] = 0;
    const incoming = {};
    for (const n of order) for (const e of out[n] || []) {
      if (back.has(n + "\u0000" + e.to)) continue;
      (incoming[e.to] = incoming[e.to] || []).push(n);
    }
    const placed = new Set();
    function rankOf(n, guard) {
      if (placed.has(n)) return rank[n];
      if (guard.has(n)) return 0;
      guard.add(n);
      let r = 0;
      for (const p of incoming[n] || []) r = Math.max(r, rankOf(p, guard) + 1);
      guard.delete(n);
      rank[n] = r; placed.add(n);
      return r;
    }
    for (const n of order) rankOf(n, new Set());
    if (top) rank[end] = Math.max(...order.filter(n => n !== end).map(n => rank[n])) + 1;
    // An edge across several layers runs through a waypoint in each layer between (a lane
    // of its own, ordered with the states), so it goes around the states on its way instead of
    // straight through them.
    const via = {}, pred = {}, succ = {};
    let waypoints = 0;
    for (const n of order.slice()) for (const e of out[n] || []) {
      const key = n + "\u0000" + e.to;
      if (back.has(key)) continue;
      const chain = [n];
      for (let r = rank[n] + 1; r < rank[e.to]; r++) {
        const w = "\u0001" + (waypoints++);
        nodes[w] = { name: w, waypoint: true, w: 8, h: 1, children: [] };
        rank[w] = r; order.push(w); chain.push(w);
      }
      chain.push(e.to);
      if (chain.length > 2) via[key] = chain.slice(1, -1);
      for (let i = 1; i < chain.length; i++) {
        (succ[chain[i - 1]] = succ[chain[i - 1]] || []).push(chain[i]);
        (pred[chain[i]] = pred[chain[i]] || []).push(chain[i - 1]);
      }
    }
    const layers = [];
    for (const n of order) (layers[rank[n]] = layers[rank[n]] || []).push(n);

    // Order within layers: a few barycentre sweeps down and up reduce crossings.
    const pos = {};
    layers.forEach(l => l.forEach((n, i) => { pos[n] = i; }));
    for (let sweep = 0; sweep < 4; sweep++) {
      const down = sweep % 2 === 0;
      const range = down ? layers.keys() : [...layers.keys()].reverse();
      for (const r of range) {
        const layer = layers[r];
        if (!layer) continue;
        const bary = n => {
          const near = down ? pred[n] || [] : succ[n] || [];
          return near.length ? near.reduce((a, m) => a + pos[m], 0) / near.length : pos[n];
        };
        layer.sort((a, b) => bary(a) - bary(b));
        layer.forEach((n, i) => { pos[n] = i; });
      }
    }

    // Coordinates: layers stacked, each centred on the widest.
    const widths = layers.map(l => (l || []).reduce((a, n, i) => a + nodes[n].w + (i === 0 ? 0 : nodes[l[i - 1]].waypoint ? GAP_X / 2 : GAP_X), 0));
    const width = Math.max(NODE_W, ...widths);
    let y = 0;
    layers.forEach((l, r) => {
      if (!l) return;
      const h = Math.max(...l.map(n => nodes[n].h));
      let x = (width - widths[r]) / 2;
      for (const n of l) {
        // A waypoint spans its layer's height: its edge passes straight down through it.
        if (nodes[n].waypoint) nodes[n].h = h;
        nodes[n].x = x; nodes[n].y = y + (h - nodes[n].h) / 2;
        x += nodes[n].w + (nodes[n].waypoint ? GAP_X / 2 : GAP_X);
      }
      y += h + GAP_Y;
    });
    const edgeList = [];
    for (const n of order) for (const e of out[n] || []) {
      const key = n + "\u0000" + e.to;
      edgeList.push({ from: n, to: e.to, kind: e.kind, label: e.label, back: back.has(key), via: via[key] || [] });
    }
    return { nodes, edges: edgeList, w: width + 40, h: Math.max(NODE_H, y - GAP_Y) };
  }

  function drawScope(layout, svg, parent, ox, oy, index) {
    let loop = 0;
    for (const e of layout.edges) {
      const a = layout.nodes[e.from], b = layout.nodes[e.to];
      const ax = ox + a.x + a.w / 2, ay = oy + a.y + a.h, bx = ox + b.x + b.w / 2, by = oy + b.y;
      let d;
      // Where a label goes: halfway along the edge's first stretch.
      let lx = (ax + bx) / 2, ly = (ay + by) / 2;
      if (e.back || e.from === e.to) {
        // Loops go out on the right and come back into the state's right side.
        loop += 1;
        const side = ox + layout.w - 10 + loop * 8;
        const sy = oy + a.y + a.h / 2, ty = oy + b.y + b.h / 2;
        d = `M${ox + a.x + a.w},${sy} C${side},${sy} ${side},${ty} ${ox + b.x + b.w + 6},${ty}`;
      } else {
        // Down through each waypoint's lane: a curve into its top, straight to its bottom.
        const points = [[ax, ay]];
        for (const w of e.via) {
          const p = layout.nodes[w], px = ox + p.x + p.w / 2;
          points.push([px, oy + p.y], [px, oy + p.y + p.h]);
        }
        points.push([bx, by - 2]);
        lx = (points[0][0] + points[1][0]) / 2; ly = (points[0][1] + points[1][1]) / 2;
        d = `M${points[0][0]},${points[0][1]}`;
        for (let i = 1; i < points.length; i++) {
          const [x0, y0] = points[i - 1], [x1, y1] = points[i];
          if (x0 === x1 && i % 2 === 0) { d += ` L${x1},${y1}`; continue; }
          const mid = (y0 + y1) / 2;
          d += ` C${x0},${mid} ${x1},${mid} ${x1},${y1}`;
        }
      }
      el("path", { d, class: "edge " + e.kind, "marker-end": "url(#arrow)", "data-from": e.from, "data-to": e.to }, parent);
      if (e.label && e.kind !== "next" && !e.back) {
        const t = el("text", { x: lx + 4, y: ly, class: "edge-label" }, parent);
        t.textContent = short(e.label, 24);
      }
    }
    for (const n of Object.values(layout.nodes)) {
      const x = ox + n.x, y = oy + n.y;
      if (n.waypoint) continue;
      if (n.terminal) {
        const g = el("g", { class: "terminal", "data-terminal": n.name === "⟨start⟩" ? "start" : "end" }, parent);
        el("circle", { cx: x + TERM, cy: y + TERM, r: TERM }, g);
        const t = el("text", { x: x + TERM, y: y + TERM + 4, "text-anchor": "middle" }, g);
        t.textContent = n.name === "⟨start⟩" ? "Start" : "End";
        continue;
      }
      const group = n.children.length > 0;
      const g = el("g", { class: group ? "node group" : "node", "data-state": n.name, "data-type": n.state.Type, "data-status": "idle" }, parent);
      if (group) {
        el("rect", { class: "frame", x, y, width: n.w, height: n.h, rx: 8 }, g);
        el("rect", { class: "box", x: x + (n.w - NODE_W) / 2, y: y, width: NODE_W, height: HEADER - 4, rx: 6 }, g);
        const t = el("text", { x: x + n.w / 2, y: y + 17, "text-anchor": "middle" }, g);
        t.textContent = short(n.name, 26);
        let cx = x + PAD;
        for (const child of n.children) {
          drawScope(child, svg, parent, cx, y + HEADER, index);
          cx += child.w + GAP_X;
        }
      } else {
        el("rect", { class: "box", x, y, width: n.w, height: n.h, rx: 6 }, g);
        const t = el("text", { x: x + n.w / 2, y: y + 16, "text-anchor": "middle" }, g);
        t.textContent = short(n.name, 26);
        const k = el("text", { x: x + n.w / 2, y: y + 30, "text-anchor": "middle", class: "count" }, g);
        k.textContent = n.state.Type;
      }
      const count = el("text", { x: x + n.w - 6, y: y + 12, "text-anchor": "end", class: "count", "data-role": "count" }, g);
      count.textContent = "";
      const retry = el("text", { x: x + 6, y: y + 12, class: "retry", "data-role": "retry" }, g);
      retry.textContent = (n.state.Retry || []).length ? "↻" : "";
      index[n.name] = g;
    }
  }

  // Draws `definition` (a parsed ASL object) into `container`; returns the view.
  function render(definition, container, onSelect) {
    container.textContent = "";
    const layout = layoutScope(definition, true);
    const svg = el("svg", { class: "graph", xmlns: NS });
    const defs = el("defs", {}, svg);
    const marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
    el("path", { d: "M0,0 L10,5 L0,10 z", fill: "#7d8998" }, marker);
    const root = el("g", {}, svg);
    const index = {};
    const width = layout.w + 80, height = layout.h + 40;
    drawScope(layout, svg, root, 20, 20, index);
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    let zoom = 1;
    const size = () => { svg.setAttribute("width", Math.round(width * zoom)); svg.setAttribute("height", Math.round(height * zoom)); };
    size();
    container.appendChild(svg);
    // Wider than its panel: shrink to fit once the panel is on the page (not below 0.4).
    requestAnimationFrame(() => {
      if (container.clientWidth && width > container.clientWidth) { zoom = Math.max(0.4, container.clientWidth / width); size(); }
    });
    svg.addEventListener("click", ev => {
      const g = ev.target.closest("g.node");
      if (!g || !onSelect) return;
      for (const s of svg.querySelectorAll("g.node.selected")) s.classList.remove("selected");
      g.classList.add("selected");
      onSelect(g.getAttribute("data-state"));
    });
    return {
      svg,
      states: Object.keys(index),
      // Colours a state and writes its counts (entries, retries, Map iterations).
      set(name, info) {
        const g = index[name];
        if (!g) return;
        g.setAttribute("data-status", info.status);
        const count = g.querySelector('[data-role="count"]');
        const it = info.iterations;
        if (it && it.started > 0) count.textContent = `${it.succeeded}/${it.started} items` + (it.failed ? `, ${it.failed} failed` : "");
        else count.textContent = info.entered > 1 ? `×${info.entered}` : "";
        const retry = g.querySelector('[data-role="retry"]');
        if (info.retried > 0) retry.textContent = `↻${info.retried}`;
      },
      zoom(factor) { zoom = factor === 0 ? Math.min(1, container.clientWidth / width) : Math.max(0.2, Math.min(3, zoom * factor)); size(); },
    };
  }

  return { render, layoutScope };
})();

if (typeof module !== "undefined") module.exports = BatonGraph;
