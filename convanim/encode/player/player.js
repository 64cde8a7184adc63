/* convanim player: plays, steps and links the cells of every figure.cv-player on the page.
 * Each figure carries its own frames as JSON (its script.cv-data element); this script
 * is shared. It defines itself once per page and sets up every player it has not seen yet, so a page may
 * hold any number of players, each with its own state. window.convanim.init() sets up players added later. */
(function () {
  "use strict";
  if (window.convanim && window.convanim.init) { window.convanim.init(); return; }
  var SVG = "http://www.w3.org/2000/svg";
  var ICONS = {first: "M2 2h2v12H2zM14 2 5 8l9 6z", prev: "M12 2 4 8l8 6z", play: "M4 2v12l10-6z",
               pause: "M3 2h4v12H3zM9 2h4v12H9z", next: "M4 2l8 6-8 6z", last: "M12 2h2v12h-2zM2 2l9 6-9 6z"};
  var LABELS = {first: "First step", prev: "Previous step", play: "Play", next: "Next step", last: "Last step"};
  var KEYS = {" ": "play", ArrowLeft: "prev", ArrowRight: "next", Home: "first", End: "last"};
  var count = 0;

  function el(tag, attrs, parent, ns) {
    var node = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(node);
    return node;
  }

  function icon(button, name) {
    button.textContent = "";
    el("path", {d: ICONS[name]}, el("svg", {viewBox: "0 0 16 16", "aria-hidden": "true", focusable: "false"},
                                    button, SVG), SVG);
  }

  /* The control bar: buttons, the scrub slider, speed and loop. */
  function controls(fig, n, id, loop) {
    var bar = el("div", {"class": "cv-controls", role: "group", "aria-label": "Animation controls"});
    var ui = {bar: bar};
    ["first", "prev", "play", "next", "last"].forEach(function (act) {
      ui[act] = el("button", {type: "button", "data-act": act, "aria-label": LABELS[act], title: LABELS[act]}, bar);
      icon(ui[act], act);
    });
    ui.slider = el("input", {type: "range", min: 0, max: n - 1, step: 1, value: 0, "aria-label": "Step"}, bar);
    var speed = el("label", {}, bar);
    speed.appendChild(document.createTextNode("Speed"));
    ui.speed = el("select", {id: id + "-speed"}, speed);
    [["0.25", "¼×"], ["0.5", "½×"], ["1", "1×"], ["2", "2×"], ["4", "4×"]].forEach(function (o) {
      var opt = el("option", {value: o[0]}, ui.speed);
      opt.textContent = o[1];
      opt.selected = o[0] === "1";
    });
    var looping = el("label", {}, bar);
    ui.loop = el("input", {type: "checkbox"}, looping);
    ui.loop.checked = loop === 0;
    looping.appendChild(document.createTextNode("Loop"));
    fig.querySelector(".cv-stage").after(bar);
    return ui;
  }

  /* Hover linking from the scene's links: what a cell reads (below) and what reads it (above). */
  function linker(fig, svg, links, jump, leave) {
    var groups = links.groups;
    function outline(g, n) {
      var G = groups[g];
      if (G.cells) return G.cells[n];
      var r = Math.floor(n / G.shape[1]), c = n % G.shape[1];
      var dx = c * G.du[0] + r * G.dv[0], dy = c * G.du[1] + r * G.dv[1];
      return G.first.map(function (v, k) { return v + (k % 2 ? dy : dx); });
    }
    function path(pts) {
      var d = "";
      for (var k = 0; k < pts.length; k += 2) d += (k ? "L" : "M") + pts[k].toFixed(2) + " " + pts[k + 1].toFixed(2);
      return d + "Z";
    }
    var reads = new Map(), readers = new Map(), writer = new Map();
    links.reads.forEach(function (e) {
      var cell = e[0] + ":" + e[1], list = [];
      for (var k = 2; k < e.length; k += 2) {
        var ref = e[k] + ":" + e[k + 1];
        list.push(ref);
        if (!readers.has(ref)) readers.set(ref, []);
        readers.get(ref).push(cell);
      }
      reads.set(cell, list);
    });
    links.writes.forEach(function (w, i) {
      for (var k = 0; k < w.length; k += 2) if (!writer.has(w[k] + ":" + w[k + 1])) writer.set(w[k] + ":" + w[k + 1], i);
    });
    var hl = el("g", {"class": "cv-hl"}, svg, SVG), hit = el("g", {"class": "cv-hit", "aria-hidden": "true"}, svg, SVG);
    groups.forEach(function (G, g) {
      for (var n = 0; n < G.shape[0] * G.shape[1]; n++) el("path", {d: path(outline(g, n)), "data-cell": g + ":" + n}, hit, SVG);
    });
    var hint = el("p", {"class": "cv-hint"});
    fig.querySelector(".cv-status").after(hint);
    function closure(cell, map) {
      var seen = new Set(), todo = [cell];
      while (todo.length) (map.get(todo.pop()) || []).forEach(function (r) { if (!seen.has(r)) { seen.add(r); todo.push(r); } });
      return seen;
    }
    function draw(cell) {
      hl.textContent = "";
      if (!cell) { delete fig.dataset.cell; hint.textContent = ""; return; }
      function add(ref, cls) {
        var p = ref.split(":");
        el("path", {d: path(outline(+p[0], +p[1])), "class": cls, "data-cell": ref}, hl, SVG);
      }
      var below = closure(cell, reads), above = closure(cell, readers);
      below.forEach(function (r) { add(r, "cv-below"); });
      above.forEach(function (r) { add(r, "cv-above"); });
      add(cell, "cv-here");
      fig.dataset.cell = cell;
      var p = cell.split(":"), G = groups[+p[0]], r = Math.floor(+p[1] / G.shape[1]), c = +p[1] % G.shape[1];
      hint.textContent = G.name + " (" + (G.shape[0] > 1 ? "row " + r + ", " : "") + "column " + c + "): reads " +
        below.size + ", feeds " + above.size + (pinned ? " · pinned (click again or Esc to release)" : "");
    }
    var pinned = null;
    function point(cell) {
      if (pinned) return;
      draw(cell);
      if (writer.has(cell)) jump(writer.get(cell));
    }
    function pin(cell) {
      pinned = pinned === cell || !cell ? null : cell;
      if (pinned) fig.dataset.pinned = pinned; else delete fig.dataset.pinned;
      draw(pinned || cell);
      if (pinned && writer.has(pinned)) jump(writer.get(pinned));
    }
    hit.addEventListener("pointerover", function (e) { if (e.target.dataset.cell) point(e.target.dataset.cell); });
    hit.addEventListener("click", function (e) { pin(e.target.dataset.cell || null); });
    svg.addEventListener("pointerleave", function () { if (!pinned) { draw(null); leave(); } });
    return {unpin: function () { if (pinned) { pinned = null; delete fig.dataset.pinned; draw(null); leave(); } }};
  }

  function setup(fig) {
    fig.dataset.ready = "";
    var id = "cv" + (++count);
    var data = JSON.parse(fig.querySelector("script.cv-data").textContent);
    var n = data.frames.length, svg = fig.querySelector("svg.cv-svg"), status = fig.querySelector(".cv-status");
    var slots = Array.prototype.slice.call(svg.querySelectorAll("g.cv-d"));
    var reveals = Array.prototype.slice.call(svg.querySelectorAll("g[data-r]"));
    var items = Array.prototype.slice.call(fig.querySelectorAll(".cv-transcript li"));
    var shown = slots.map(function (g) { return g.innerHTML; });
    var ui = controls(fig, n, id, data.loop);
    var frame = data.poster, playing = false, timer = 0, speed = 1, resume = false, plays = 0;
    fig.tabIndex = 0;
    fig.setAttribute("aria-keyshortcuts", "Space ArrowLeft ArrowRight Home End Escape");

    function show(i) {
      frame = Math.max(0, Math.min(n - 1, i));
      var html = slots.map(function () { return ""; });
      var f = data.frames[frame];
      for (var k = 0; k < f.length; k += 3) {  // [shape, x, y, ...]: each shape is drawn at the origin
        var shape = data.table[f[k]];
        html[shape[0]] += "<g transform='translate(" + f[k + 1] + " " + f[k + 2] + ")'>" + shape[1] + "</g>";
      }
      slots.forEach(function (g, s) { if (shown[s] !== html[s]) { g.innerHTML = html[s]; shown[s] = html[s]; } });
      reveals.forEach(function (g) { g.style.display = +g.dataset.r <= frame ? "" : "none"; });
      ui.slider.value = frame;
      ui.slider.setAttribute("aria-valuetext", "Step " + (frame + 1) + " of " + n);
      status.textContent = "Step " + (frame + 1) + " of " + n + (items[frame] ? ": " + items[frame].textContent : "");
      items.forEach(function (li, k) { if (k === frame) li.setAttribute("aria-current", "step"); else li.removeAttribute("aria-current"); });
      fig.dataset.frame = frame;
    }
    // how long the frame on screen stays: its own duration (render.hold_first / hold_last) at this speed
    function delay() { return (data.durations ? data.durations[frame] : 1000 / data.fps) / speed; }
    function tick() {
      if (!fig.isConnected) { pause(); return; }  // taken off the page (a live editor replaced it)
      if (frame >= n - 1) {
        plays += 1;  // render.loop: 0 forever (the Loop box), n: n plays
        if (!ui.loop.checked && plays >= Math.max(data.loop, 1)) { pause(); return; }
        show(0);
      } else show(frame + 1);
      timer = setTimeout(tick, delay());
    }
    function playButton() {
      var name = playing ? "pause" : "play", label = playing ? "Pause" : "Play";
      icon(ui.play, name);
      ui.play.setAttribute("aria-label", label);
      ui.play.title = label;
    }
    function play() {
      if (playing || n < 2) return;
      if (frame >= n - 1 && !ui.loop.checked) show(0);
      playing = true;
      plays = 0;
      fig.dataset.playing = "";
      status.setAttribute("aria-live", "off");  // no announcement every second while it plays
      playButton();
      timer = setTimeout(tick, delay());
    }
    function pause() {
      playing = false;
      clearTimeout(timer);
      delete fig.dataset.playing;
      status.setAttribute("aria-live", "polite");
      playButton();
    }
    function act(name) {
      if (name === "play") { resume = false; return playing ? pause() : play(); }
      pause();
      resume = false;
      show({first: 0, prev: frame - 1, next: frame + 1, last: n - 1}[name]);
    }
    ui.bar.addEventListener("click", function (e) {
      var b = e.target.closest("button");
      if (b) act(b.dataset.act);
    });
    ui.slider.addEventListener("input", function () { pause(); show(+ui.slider.value); });
    ui.speed.addEventListener("change", function () {
      speed = +ui.speed.value;
      if (playing) { clearTimeout(timer); timer = setTimeout(tick, delay()); }
    });
    var links = data.links ? linker(fig, svg, data.links, function (i) {
      if (playing) { resume = true; pause(); }
      show(i);
    }, function () {
      if (resume) { resume = false; play(); }
    }) : null;
    fig.addEventListener("keydown", function (e) {
      var tag = e.target.tagName;
      if (e.key === "Escape" && links) { links.unpin(); return; }
      if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || tag === "SUMMARY" || e.altKey || e.ctrlKey || e.metaKey) return;
      if (tag === "BUTTON" && (e.key === " " || e.key === "Enter")) return;
      if (!KEYS[e.key]) return;
      e.preventDefault();
      act(KEYS[e.key]);
    });
    var reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    if (data.start !== null && data.start !== undefined) show(data.start);
    else if (reduce) show(data.poster);
    else { show(0); play(); }
    fig.dataset.interactive = Math.round(performance.now());  // ms after navigation: time to interactive
  }

  function init(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("figure.cv-player:not([data-ready])"), setup);
  }
  window.convanim = {init: init};
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { init(); });
  else init();
})();
