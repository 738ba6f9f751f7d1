/* qcdc-excel web desk: drag and drop uploads with progress, filters, copy. No framework, no CDN. */
(function () {
  "use strict";
  var token = function () {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;  // never innerHTML: names come from files
    return e;
  }

  // a result stays until the person hides it (the page around it refreshes, the results do not)
  function dismissButton(li) {
    var list = li.parentNode;
    var b = el("button", "dismiss secondary", list ? list.dataset.dismiss : "×");
    b.type = "button";
    if (list) b.setAttribute("aria-label", list.dataset.dismissLabel);
    return b;
  }

  function head(li, name) {
    var h = el("div", "result-head");
    h.appendChild(el("span", "name", name));
    li.appendChild(h);
    return h;
  }

  function showResult(li, form, s) {
    li.textContent = "";
    li.className = "result s-" + s.status;
    var h = head(li, s.file_name);
    h.appendChild(el("span", "badge s-" + s.status, s.status_text));
    h.appendChild(dismissButton(li));
    if (s.unit_code) li.appendChild(el("div", "small", s.unit_code + " " + (s.unit_name || "") + " · " + (s.period_text || "")));
    if (s.findings && s.findings.length) {
      var ol = el("ol", "findings");
      s.findings.forEach(function (f) {
        var item = el("li", "f-" + f.severity);
        if (f.cell) item.appendChild(el("span", "cell", f.cell));
        item.appendChild(el("strong", null, f.title || ""));
        item.appendChild(el("div", "msg", f.message));
        ol.appendChild(item);
      });
      li.appendChild(ol);
    } else if (s.state === "checked") {
      li.appendChild(el("div", "good", form.dataset.noFindings));
    }
    var links = el("div", "links");
    var view = el("a", null, form.dataset.view);
    view.href = s.page_url;
    links.appendChild(view);
    if (s.feedback_link) {
      links.appendChild(document.createTextNode(" · "));
      var fb = el("a", "feedback", s.feedback_text);
      fb.href = s.feedback_link;
      links.appendChild(fb);
    }
    li.appendChild(links);
  }

  function showError(li, name, message) {
    li.textContent = "";
    li.className = "result s-refused";
    head(li, name).appendChild(dismissButton(li));
    li.appendChild(el("div", "msg", message));
  }

  function send(form, file, list, done) {
    var li = el("li", "result pending");
    li.appendChild(el("span", "name", file.name));
    var bar = el("progress");
    bar.max = 100;
    bar.value = 0;
    li.appendChild(bar);
    var label = el("span", "small", form.dataset.uploading);
    li.appendChild(label);
    list.insertBefore(li, list.firstChild);
    form.querySelector(".dismiss-bar").hidden = false;
    var limit = parseInt(form.dataset.limitMb || "20", 10) * 1024 * 1024;
    if (file.size > limit) {
      showError(li, file.name, form.dataset.tooLarge);
      done();
      return;
    }
    var data = new FormData();
    data.append("file", file, file.name);
    var day = form.querySelector("input[name=received_on]");
    if (day && day.value) { data.append("received_on", day.value); }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRFToken", token());
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total);
    };
    xhr.upload.onload = function () { bar.value = 100; label.textContent = form.dataset.checking; };
    xhr.onload = function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = null; }
      if (xhr.status >= 200 && xhr.status < 300 && body && body.submissions) {
        var subs = body.submissions;
        showResult(li, form, subs[0]);
        for (var i = 1; i < subs.length; i++) {
          var more = el("li", "result");
          list.insertBefore(more, li.nextSibling);
          showResult(more, form, subs[i]);
        }
      } else {
        showError(li, file.name, (body && body.message) || ("HTTP " + xhr.status));
      }
      done();
    };
    xhr.onerror = function () { showError(li, file.name, "HTTP 0"); done(); };
    xhr.send(data);
  }

  // After uploads: the page's own regions ([data-refresh], by id) are fetched again and swapped in
  // place; the upload form and its results are not among them, so they stay where they are.
  function refreshPage(form) {
    var stale = form.querySelector(".history-stale");
    document.body.classList.add("stale");
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-refresh]").forEach(function (old) {
          var next = fresh.getElementById(old.id);
          if (next) old.replaceWith(document.importNode(next, true));
        });
        if (stale) stale.hidden = true;
        document.querySelectorAll("input[data-filter]").forEach(function (i) { applyFilter(i); });
      })
      .catch(function () { if (stale) stale.hidden = false; })
      .then(function () { document.body.classList.remove("stale"); });
  }

  function sendAll(form, files) {
    var list = form.querySelector(".results");
    var queue = Array.prototype.slice.call(files);
    var running = 0, finished = 0, total = queue.length;
    function next() {
      while (running < 3 && queue.length) {
        running++;
        send(form, queue.shift(), list, function () {
          running--;
          finished++;
          if (finished === total) refreshPage(form);
          next();
        });
      }
    }
    next();
  }

  // kept as a class too: the wording stays right whatever later changes the media state
  if (window.matchMedia && window.matchMedia("(hover: none) and (pointer: coarse)").matches) {
    document.documentElement.classList.add("touch");
  }

  document.querySelectorAll("form.upload").forEach(function (form) {
    var drop = form.querySelector(".drop");
    var input = form.querySelector('input[type="file"]');
    input.addEventListener("change", function () {
      if (input.files.length) sendAll(form, input.files);
      input.value = "";
    });
    ["dragenter", "dragover"].forEach(function (ev) {
      drop.addEventListener(ev, function (e) { e.preventDefault(); drop.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (ev) {
      drop.addEventListener(ev, function (e) { e.preventDefault(); drop.classList.remove("over"); });
    });
    drop.addEventListener("drop", function (e) {
      if (e.dataTransfer && e.dataTransfer.files.length) sendAll(form, e.dataTransfer.files);
    });
    var list = form.querySelector(".results");
    var bar = form.querySelector(".dismiss-bar");
    list.addEventListener("click", function (e) {
      var b = e.target.closest("button.dismiss");
      if (!b) return;
      b.closest("li").remove();
      if (!list.children.length) bar.hidden = true;
    });
    bar.querySelector("button").addEventListener("click", function () {
      list.textContent = "";
      bar.hidden = true;
    });
  });

  // delegated: a refreshed region brings new selects
  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("select.autosubmit")) e.target.form.submit();
  });

  // search as the server does: no case, no diacritics ("dak" finds "Đăk", "kong" finds "Kông")
  function fold(text) {
    return text.toLocaleLowerCase("vi").replace(/đ/g, "d").normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  function applyFilter(input) {
    var table = document.querySelector(input.dataset.filter);
    if (!table) return;
    var q = fold(input.value.trim());
    var shown = 0;
    table.querySelectorAll("tbody tr").forEach(function (tr) {
      tr.hidden = q !== "" && fold(tr.dataset.search || tr.textContent).indexOf(q) < 0;
      if (!tr.hidden) shown++;
    });
    var none = table.parentNode.querySelector(".no-match");
    if (none) {
      none.textContent = input.dataset.noMatch.replace("{q}", input.value.trim());
      none.hidden = shown > 0 || q === "";
    }
  }

  document.querySelectorAll("input[data-filter]").forEach(function (input) {
    input.addEventListener("input", function () { applyFilter(input); });
  });

  document.querySelectorAll("input.check-all").forEach(function (box) {
    box.addEventListener("change", function () {
      box.closest("table").querySelectorAll('tbody input[type="checkbox"]').forEach(function (c) {
        c.checked = box.checked;
      });
    });
  });

  document.querySelectorAll("form.confirm").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      if (!window.confirm(form.dataset.confirm)) e.preventDefault();
    });
  });

  document.querySelectorAll("button.copy").forEach(function (b) {
    b.addEventListener("click", function () {
      var t = document.querySelector(b.dataset.target);
      t.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (err) { ok = false; }
      if (navigator.clipboard) navigator.clipboard.writeText(t.value).catch(function () {});
      b.textContent = b.dataset.done;
    });
  });
})();
