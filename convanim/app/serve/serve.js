/* convanim serve: the editor page. The form and the YAML editor both send the config to the server, which
 * answers with the new player (or the CLI's one-line error, the last good figure staying on screen). */
(function () {
  "use strict";
  var boot = JSON.parse(document.getElementById("boot").textContent);
  function $(id) { return document.getElementById(id); }
  var yamlBox = $("yaml"), form = $("form"), error = $("error"), player = $("player"), files = $("file");
  var saveName = $("save-name"), saved = $("saved"), fields = {}, current = boot.start, seq = 0, timer = 0;

  function post(path, body) {
    return fetch(path, {method: "POST", body: JSON.stringify(body),
                        headers: {"Content-Type": "application/json", "X-Convanim-Token": boot.token}});
  }

  function field(key, kind, choices) {
    var label = document.createElement("label"), input;
    label.className = "field " + kind;
    label.appendChild(document.createElement("span")).textContent = key;
    if (kind === "flag") {
      input = document.createElement("input");
      input.type = "checkbox";
    } else if (kind === "choice") {
      input = document.createElement("select");
      ["", ...choices].forEach(function (c) {
        var o = input.appendChild(document.createElement("option"));
        o.value = c;
        o.textContent = c || "(default)";
      });
    } else {
      input = document.createElement("input");
      input.type = "text";
      input.spellcheck = false;
      if (choices.length) {
        var list = document.body.appendChild(document.createElement("datalist"));
        list.id = "choices-" + key;
        choices.forEach(function (c) { list.appendChild(document.createElement("option")).value = c; });
        input.setAttribute("list", list.id);
      }
    }
    input.name = key;
    input.addEventListener("change", function () { set(key, kind === "flag" ? input.checked : input.value); });
    label.appendChild(input);
    form.appendChild(label);
    fields[key] = input;
  }

  function fill(values) {
    Object.keys(fields).forEach(function (k) {
      var f = fields[k], v = values[k];
      if (f.type === "checkbox") f.checked = !!v;
      else if (document.activeElement !== f) f.value = v === null || v === undefined ? "" : String(v);
    });
  }

  function show(res) {
    if (res.values) fill(res.values);
    form.classList.toggle("layers", !!res.layers);
    form.dataset.state = res.ok ? "ok" : "error";
    if (res.ok) {
      error.textContent = "";
      player.innerHTML = res.player;
      player.dataset.frames = res.frames;
      window.convanim.init(player);
    } else {
      error.textContent = res.error;  // the last good figure stays
    }
  }

  function ask(path, body, then) {
    var n = ++seq;
    return post(path, body).then(function (r) { return r.json(); }).then(function (res) {
      if (n === seq) then(res);
    });
  }

  function renderYaml() { ask("/api/render", {yaml: yamlBox.value, name: current}, show); }

  function set(key, value) {
    ask("/api/set", {yaml: yamlBox.value, key: key, value: value, name: current}, function (res) {
      if (res.yaml !== undefined) yamlBox.value = res.yaml;
      show(res);
    });
  }

  function load(name) {
    current = name;
    saveName.value = name || "new_config.yaml";
    if (!name) { yamlBox.value = boot.starter; renderYaml(); return; }
    fetch("/api/file?name=" + encodeURIComponent(name)).then(function (r) { return r.json(); }).then(function (res) {
      if (!res.ok) { error.textContent = res.error; return; }
      yamlBox.value = res.yaml;
      renderYaml();
    });
  }

  function listFiles(names, selected) {
    files.textContent = "";
    names.concat([""]).forEach(function (n) {
      var o = files.appendChild(document.createElement("option"));
      o.value = n;
      o.textContent = n || "(new config)";
      o.selected = n === selected;
    });
  }

  function save() {
    post("/api/save", {yaml: yamlBox.value, name: saveName.value}).then(function (r) { return r.json(); })
      .then(function (res) {
        if (!res.ok) { saved.textContent = res.error; return; }
        saved.textContent = "Saved " + res.saved;
        current = res.saved;
        listFiles(res.files, res.saved);
      });
  }

  function gif() {
    post("/api/gif", {yaml: yamlBox.value, name: current}).then(function (r) {
      if ((r.headers.get("Content-Type") || "").indexOf("image/gif") !== 0) {
        return r.json().then(function (res) { error.textContent = res.error; });
      }
      var name = (/filename="([^"]+)"/.exec(r.headers.get("Content-Disposition") || "") || [0, "figure.gif"])[1];
      return r.blob().then(function (blob) {
        var a = document.createElement("a");
        a.href = URL.createObjectURL(blob);
        a.download = name;
        document.body.appendChild(a);
        a.click();
        setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
      });
    });
  }

  boot.form.forEach(function (f) { field(f[0], f[1], f[2]); });
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  yamlBox.addEventListener("input", function () {
    seq++;  // typing wins over any answer still on its way
    clearTimeout(timer);
    timer = setTimeout(renderYaml, 250);
  });
  files.addEventListener("change", function () { load(files.value); });
  $("save").addEventListener("click", save);
  $("gif").addEventListener("click", gif);
  listFiles(boot.files, boot.start);
  load(boot.start);
})();
