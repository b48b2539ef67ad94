// bouncewise: instant search results (progressive enhancement; the forms work without this).
(function () {
  "use strict";
  var form = document.querySelector("form[data-instant]");
  if (!form || !window.fetch) return;
  var input = form.querySelector("input[name=q]");
  var box = form.querySelector(".instant");
  if (!input || !box) return;
  var timer = 0, seq = 0;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function first(obj, keys) {
    for (var i = 0; i < keys.length; i++) {
      var v = obj[keys[i]];
      if (v !== null && v !== undefined && v !== "") return v;
    }
    return "";
  }
  function codeUrl(code) {
    return "/code/" + encodeURIComponent(String(code).trim());
  }
  function hide() { box.hidden = true; box.textContent = ""; }

  function render(data, q) {
    box.textContent = "";
    var rows = (data && data.results) || [];
    if (!rows.length) {
      box.appendChild(el("p", "empty", "No code matches \u201c" + q + "\u201d. Press Enter to search."));
    } else {
      var ul = el("ul");
      rows.forEach(function (r) {
        var code = first(r, ["code", "query", "status", "replycode"]);
        if (!code) return;
        var li = el("li"), a = el("a");
        a.href = codeUrl(code);
        a.appendChild(el("span", "code", String(code)));
        a.appendChild(el("span", "t", String(first(r, ["title", "name", "summary", "meaning"]))));
        li.appendChild(a);
        ul.appendChild(li);
      });
      box.appendChild(ul);
      if (data.count > rows.length) {
        box.appendChild(el("p", "more", data.count + " matches; press Enter to see them all."));
      }
    }
    box.hidden = false;
  }

  function search() {
    var q = input.value.trim();
    if (q.length < 1) { hide(); return; }
    var mine = ++seq;
    fetch("/v1/codes?limit=8&q=" + encodeURIComponent(q), { headers: { accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { results: [], count: 0 }; })
      .then(function (data) { if (mine === seq) render(data, q); })
      .catch(function () { /* the form still works */ });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 120);
  });
  // Keyboard: arrow keys move between the results, Escape closes them.
  form.addEventListener("keydown", function (ev) {
    var links = Array.prototype.slice.call(box.querySelectorAll("a"));
    var i = links.indexOf(document.activeElement);
    if (ev.key === "ArrowDown" && links.length) {
      ev.preventDefault();
      links[Math.min(i + 1, links.length - 1)].focus();
    } else if (ev.key === "ArrowUp" && links.length) {
      ev.preventDefault();
      if (i <= 0) input.focus(); else links[i - 1].focus();
    } else if (ev.key === "Escape") {
      hide();
      input.focus();
    }
  });
})();
