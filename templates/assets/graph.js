/* kbwiki global graph: every page on a canvas, laid out by d3-force (vendored) a few ticks per frame.
   The layout is deterministic: d3 starts nodes on a phyllotaxis spiral and uses its own seeded random
   source, and the number of ticks does not depend on the frame rate. */
(function () {
  "use strict";
  var raw = window.KBWIKI_GRAPH, d3 = window.d3;
  var canvas = document.querySelector(".global-graph-canvas");
  var status = document.querySelector(".global-graph-status");
  if (!canvas || !raw || !d3 || !d3.forceSimulation) {
    if (status) status.textContent = "The graph could not be drawn: its data or scripts did not load.";
    return;
  }
  var rootEl = document.querySelector("script[data-root]");
  var root = rootEl ? rootEl.getAttribute("data-root") : "";
  var ctx = canvas.getContext("2d");

  var nodes = raw.nodes.map(function (n, i) { return { index: i, title: n[0], type: n[1], url: n[2], degree: 0 }; });
  var links = [];
  var neighbours = nodes.map(function () { return []; });
  for (var i = 0; i < raw.links.length; i += 2) {
    var a = raw.links[i], b = raw.links[i + 1];
    links.push({ source: a, target: b });
    nodes[a].degree++; nodes[b].degree++;
    neighbours[a].push(b); neighbours[b].push(a);
  }
  nodes.forEach(function (n) { n.r = 2.5 + Math.sqrt(n.degree) * 1.2; });
  var byDegree = nodes.slice().sort(function (p, q) { return q.degree - p.degree || p.index - q.index; });

  var many = nodes.length > 1500;
  var sim = d3.forceSimulation(nodes)
    .force("link", d3.forceLink(links).distance(many ? 18 : 40))
    .force("charge", d3.forceManyBody().strength(many ? -18 : -60).theta(many ? 1.1 : 0.9).distanceMax(many ? 300 : 800))
    .force("x", d3.forceX().strength(0.04))
    .force("y", d3.forceY().strength(0.04))
    .alphaDecay(many ? 0.045 : 0.0228)  // about 150 steps for a large graph, 300 for a small one
    .stop();

  var view = { k: 1, x: 0, y: 0 }, touched = false, hover = -1, frames = 0, ticks = 0, width = 0, height = 0;
  // graph.html#some-page.html (the local graph's link) picks that page: it stays highlighted and in view.
  var wanted = decodeURIComponent(location.hash.slice(1)), picked = -1;
  nodes.forEach(function (n) { if (n.url === wanted) picked = n.index; });
  if (picked >= 0) hover = picked;
  var colours = [], hollow = [], edgeColour = "", labelColour = "", haloColour = "", focusColour = "";

  // Each type's colour is the theme's --tN named by its classes (render.type_palette: the same in cards, badges
  // and the local graph); a type past the twelfth repeats a colour and is drawn as a ring.
  function readColours() {
    var style = getComputedStyle(document.documentElement);
    var classes = raw.type_colours || [], fallback = style.getPropertyValue("--other").trim();
    colours = raw.types.map(function (_, t) {
      var slot = /\btype-t(\d+)\b/.exec(classes[t] || "");
      return (slot && style.getPropertyValue("--t" + slot[1]).trim()) || fallback;
    });
    hollow = raw.types.map(function (_, t) { return /\btype-more\b/.test(classes[t] || ""); });
    edgeColour = style.getPropertyValue("--graph-edge").trim() || "rgba(128,128,128,0.35)";
    labelColour = style.getPropertyValue("--fg").trim();
    haloColour = style.getPropertyValue("--bg").trim();
    focusColour = style.getPropertyValue("--focus").trim();
  }

  function holes(t, list) { // the inside of each node of a repeated colour, in the background's colour: a ring
    if (!hollow[t]) return;
    ctx.fillStyle = haloColour;
    ctx.beginPath();
    list.forEach(function (n) {
      if (n.type !== t) return;
      ctx.moveTo(n.x + n.r * 0.45, n.y);
      ctx.arc(n.x, n.y, n.r * 0.45, 0, 2 * Math.PI);
    });
    ctx.fill();
  }

  function resize() {
    var ratio = window.devicePixelRatio || 1;
    width = canvas.clientWidth; height = canvas.clientHeight;  // inside the border
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    if (!touched) fit();
    draw();
  }

  function fit() {
    if (!nodes.length) return;
    if (picked >= 0) {  // the picked page and its neighbours, a little zoomed in
      var p = nodes[picked];
      view.k = Math.min(2, Math.max(0.6, view.k));
      view.x = width / 2 - view.k * p.x;
      view.y = height / 2 - view.k * p.y;
      return;
    }
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    nodes.forEach(function (n) { x0 = Math.min(x0, n.x); y0 = Math.min(y0, n.y); x1 = Math.max(x1, n.x); y1 = Math.max(y1, n.y); });
    var k = Math.min(width / (x1 - x0 + 60), height / (y1 - y0 + 60), 3);
    view.k = k;
    view.x = width / 2 - k * (x0 + x1) / 2;
    view.y = height / 2 - k * (y0 + y1) / 2;
  }

  function screen(n) { return [view.x + view.k * n.x, view.y + view.k * n.y]; }

  function draw() {
    frames++;
    ctx.clearRect(0, 0, width, height);
    ctx.save();
    ctx.translate(view.x, view.y);
    ctx.scale(view.k, view.k);
    ctx.lineWidth = 1 / view.k;
    ctx.strokeStyle = edgeColour;
    ctx.beginPath();
    links.forEach(function (l) { ctx.moveTo(l.source.x, l.source.y); ctx.lineTo(l.target.x, l.target.y); });
    ctx.stroke();
    var near = hover >= 0 ? new Set(neighbours[hover].concat([hover])) : null;
    if (near) {
      ctx.strokeStyle = labelColour;
      ctx.lineWidth = 1.5 / view.k;
      ctx.beginPath();
      neighbours[hover].forEach(function (j) { ctx.moveTo(nodes[hover].x, nodes[hover].y); ctx.lineTo(nodes[j].x, nodes[j].y); });
      ctx.stroke();
    }
    raw.types.forEach(function (_, t) {
      ctx.fillStyle = colours[t];
      ctx.globalAlpha = near ? 0.35 : 1;
      ctx.beginPath();
      nodes.forEach(function (n) {
        if (n.type !== t) return;
        ctx.moveTo(n.x + n.r, n.y);
        ctx.arc(n.x, n.y, n.r, 0, 2 * Math.PI);
      });
      ctx.fill();
      holes(t, nodes);
    });
    ctx.globalAlpha = 1;
    if (near) {
      near.forEach(function (j) {
        var n = nodes[j];
        ctx.fillStyle = colours[n.type];
        ctx.beginPath();
        ctx.arc(n.x, n.y, n.r, 0, 2 * Math.PI);
        ctx.fill();
        holes(n.type, [n]);
      });
      ctx.strokeStyle = focusColour;
      ctx.lineWidth = 2 / view.k;
      ctx.beginPath();
      ctx.arc(nodes[hover].x, nodes[hover].y, nodes[hover].r + 2 / view.k, 0, 2 * Math.PI);
      ctx.stroke();
    }
    ctx.restore();
    drawLabels(near);
  }

  function drawLabels(near) {
    var wanted = nodes.length <= 60 ? nodes.length : Math.min(300, Math.floor(12 * view.k * view.k));
    var chosen = near ? Array.from(near).map(function (j) { return nodes[j]; }) : [];
    for (var i = 0; i < byDegree.length && i < wanted; i++) chosen.push(byDegree[i]);
    ctx.font = "12px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.lineWidth = 3;
    ctx.strokeStyle = haloColour;
    ctx.fillStyle = labelColour;
    chosen.forEach(function (n) {
      var p = screen(n);
      if (p[0] < -100 || p[0] > width + 100 || p[1] < -20 || p[1] > height + 20) return;
      var y = p[1] + n.r * view.k + 12;
      ctx.strokeText(n.title, p[0], y);
      ctx.fillText(n.title, p[0], y);
    });
  }

  /* A few ticks per frame, within a time budget, so the page stays responsive while it settles. */
  function step() {
    var start = performance.now();
    while (sim.alpha() > sim.alphaMin() && performance.now() - start < 12) { sim.tick(); ticks++; }
    if (!touched) fit();
    draw();
    if (sim.alpha() > sim.alphaMin()) requestAnimationFrame(step);
    else status.textContent = "";
  }

  function nodeAt(px, py) {
    var x = (px - view.x) / view.k, y = (py - view.y) / view.k, best = -1, bestD = Infinity;
    nodes.forEach(function (n) {
      var d = (n.x - x) * (n.x - x) + (n.y - y) * (n.y - y), reach = n.r + 4 / view.k;
      if (d < reach * reach && d < bestD) { best = n.index; bestD = d; }
    });
    return best;
  }

  function zoom(factor, cx, cy) {
    touched = true;
    var k = Math.max(0.05, Math.min(12, view.k * factor));
    view.x = cx - (cx - view.x) * k / view.k;
    view.y = cy - (cy - view.y) * k / view.k;
    view.k = k;
    draw();
  }

  var drag = null;
  canvas.addEventListener("pointerdown", function (e) {
    drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y, moved: false };
    canvas.setPointerCapture(e.pointerId);
  });
  canvas.addEventListener("pointermove", function (e) {
    var rect = canvas.getBoundingClientRect();
    if (drag) {
      var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      if (drag.moved) { touched = true; view.x = drag.vx + dx; view.y = drag.vy + dy; draw(); }
      return;
    }
    var found = nodeAt(e.clientX - rect.left - canvas.clientLeft, e.clientY - rect.top - canvas.clientTop);
    if (found < 0) found = picked;
    if (found !== hover) {
      hover = found;
      canvas.style.cursor = found >= 0 && found !== picked ? "pointer" : "grab";
      canvas.title = found >= 0 ? nodes[found].title : "";
      draw();
    }
  });
  canvas.addEventListener("pointerup", function (e) {
    var wasDrag = drag && drag.moved;
    drag = null;
    if (wasDrag) return;
    var rect = canvas.getBoundingClientRect();
    var found = nodeAt(e.clientX - rect.left - canvas.clientLeft, e.clientY - rect.top - canvas.clientTop);
    if (found >= 0) location.href = root + nodes[found].url;
  });
  canvas.addEventListener("pointerleave", function () { if (hover !== picked) { hover = picked; draw(); } });
  canvas.addEventListener("wheel", function (e) {
    e.preventDefault();
    var rect = canvas.getBoundingClientRect();
    zoom(Math.exp(-e.deltaY * 0.0015), e.clientX - rect.left - canvas.clientLeft, e.clientY - rect.top - canvas.clientTop);
  }, { passive: false });
  canvas.addEventListener("keydown", function (e) {
    var pan = 40;
    if (e.key === "+" || e.key === "=") zoom(1.25, width / 2, height / 2);
    else if (e.key === "-" || e.key === "_") zoom(0.8, width / 2, height / 2);
    else if (e.key === "0") { touched = false; fit(); draw(); }
    else if (e.key.indexOf("Arrow") === 0) {
      touched = true;
      view.x += e.key === "ArrowLeft" ? pan : e.key === "ArrowRight" ? -pan : 0;
      view.y += e.key === "ArrowUp" ? pan : e.key === "ArrowDown" ? -pan : 0;
      draw();
    } else return;
    e.preventDefault();
  });

  readColours();
  document.addEventListener("kbwiki:theme", function () { readColours(); draw(); });
  if (window.matchMedia) window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", function () { readColours(); draw(); });
  if (window.ResizeObserver) new ResizeObserver(resize).observe(canvas);
  else window.addEventListener("resize", resize);
  status.textContent = nodes.length > 300 ? "Laying out " + nodes.length + " pages…" : "";
  resize();
  requestAnimationFrame(step);

  /* For scripts and tests: the nodes, progress, and where a node is on screen (CSS pixels in the canvas). */
  window.kbwikiGraph = {
    nodes: nodes, frames: function () { return frames; }, ticks: function () { return ticks; },
    settled: function () { return sim.alpha() <= sim.alphaMin(); }, scale: function () { return view.k; },
    picked: function () { return picked; },
    screenPoint: function (i) { return screen(nodes[i]); }
  };
})();
