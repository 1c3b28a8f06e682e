// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // The browser's time zone: a cookie tells the server, which then shows
  // every time in it (UTC until it knows, or in the zone chosen in the
  // profile) and writes it into forms that take dates, so that "today" and
  // an end date are the person's own days; a date field the page left
  // without a zone gets the browser's.
  var tz = "";
  try {
    tz = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (e) {
    tz = "";
  }
  if (tz) {
    var fields = document.querySelectorAll("input[data-timezone]");
    for (var i = 0; i < fields.length; i++) {
      if (!fields[i].value) {
        fields[i].value = tz;
      }
    }
    if (document.cookie.indexOf("tz=" + encodeURIComponent(tz)) === -1) {
      document.cookie = "tz=" + encodeURIComponent(tz) + "; path=/; max-age=31536000; SameSite=Lax";
    }
  }

  // "+ Add" buttons copy the last (blank) row without a round trip; without
  // this script they post the form back, which shows one more blank row.
  // Row fields are named with their index (`q3_text`, `a3_name`): the copy
  // takes the next one, and the form's row count goes up by one.
  document.addEventListener("click", function (ev) {
    var button = ev.target.closest && ev.target.closest("button[data-add-row]");
    if (!button) {
      return;
    }
    var rows = document.querySelectorAll(button.getAttribute("data-add-row"));
    var counter = document.querySelector(button.getAttribute("data-count"));
    var prefix = button.getAttribute("data-prefix");
    if (!rows.length || !counter) {
      return;
    }
    ev.preventDefault();
    var last = rows[rows.length - 1];
    var n = parseInt(counter.value || "0", 10);
    var copy = last.cloneNode(true);
    // `q3_text` (a prefix and the index) or `question_text_3` (the index last).
    var pattern = prefix ? new RegExp("^" + prefix + "\\d+_") : /_\d+$/;
    var renamed = prefix ? prefix + n + "_" : "_" + n;
    // A blank row has one translation row, as the page writes it.
    var translations = copy.querySelectorAll(".translation-row");
    for (var t = 1; t < translations.length; t++) {
      translations[t].remove();
    }
    var fields = copy.querySelectorAll("[name], [id], label[for], [aria-describedby]");
    for (var i = 0; i < fields.length; i++) {
      ["name", "id", "for"].forEach(function (attr) {
        var v = fields[i].getAttribute(attr);
        if (v && pattern.test(v)) {
          fields[i].setAttribute(attr, v.replace(pattern, renamed));
        }
      });
      // Hints point at the copy's own (the old row's errors go below).
      var described = fields[i].getAttribute("aria-describedby");
      if (described) {
        var own = described.split(" ").filter(function (token) {
          return pattern.test(token);
        }).map(function (token) {
          return token.replace(pattern, renamed);
        });
        if (own.length) {
          fields[i].setAttribute("aria-describedby", own.join(" "));
        } else {
          fields[i].removeAttribute("aria-describedby");
        }
      }
      fields[i].removeAttribute("aria-invalid");
      if (fields[i].matches("input[type=checkbox]")) {
        // Ticked where a blank row from the server is (`data-blank-checked`).
        fields[i].checked = fields[i].hasAttribute("data-blank-checked");
      } else if (fields[i].matches("select")) {
        fields[i].selectedIndex = 0;
      } else if (fields[i].matches("input, textarea")) {
        fields[i].value = "";
      }
    }
    var errors = copy.querySelectorAll(".field-error");
    for (var k = 0; k < errors.length; k++) {
      errors[k].remove();
    }
    last.parentNode.insertBefore(copy, last.nextSibling);
    counter.value = String(n + 1);
    var first = copy.querySelector("input:not([type=hidden]), textarea, select");
    if (first) {
      first.focus();
    }
  });

  // "+ Add choice" and "+ Add translation": one more row in the same
  // question or attribute (`data-add-sibling` says which rows), its fields
  // named with the next index (`q3_choice4`, `q3_lang2` and `q3_loc2`, or
  // `lang2_3` and `loc2_3` in attribute 3), blank; the button
  // then posts nothing.
  document.addEventListener("click", function (ev) {
    var button = ev.target.closest && ev.target.closest("button[data-add-sibling]");
    if (!button) {
      return;
    }
    var rows = button.parentNode.querySelectorAll(button.getAttribute("data-add-sibling"));
    if (!rows.length) {
      return;
    }
    ev.preventDefault();
    var last = rows[rows.length - 1];
    var copy = last.cloneNode(true);
    var fields = copy.matches("[name]") ? [copy] : copy.querySelectorAll("[name]");
    for (var i = 0; i < fields.length; i++) {
      // The row's number is the last in the name (`q3_lang2`), or the one
      // before the index of the row it is in (`lang2_3`).
      fields[i].name = fields[i].name.replace(/\d+(?=_\d+$)|\d+$/, String(rows.length));
      fields[i].value = "";
      fields[i].removeAttribute("aria-invalid");
      var label = fields[i].getAttribute("aria-label");
      if (label) {
        fields[i].setAttribute("aria-label", label.replace(/\d+$/, String(rows.length + 1)));
      }
    }
    // Its labels say its number (`Language 3`), as the page numbers rows.
    var labels = copy.querySelectorAll("label");
    for (var l = 0; l < labels.length; l++) {
      var text = labels[l].firstChild;
      if (text && text.nodeType === 3) {
        text.nodeValue = text.nodeValue.replace(/\s*\d*\s*$/, " " + (rows.length + 1) + " ");
      }
    }
    last.parentNode.insertBefore(copy, last.nextSibling);
    (copy.matches("[name]") ? copy : copy.querySelector("[name]")).focus();
  });

  // Pickers: a field that names people, groups, packages or organizations
  // (one per line) becomes removable chips and a search box with suggestions
  // from /admin/lookup. The field itself stays in the form and is what is sent.
  function picker(area) {
    var kind = area.getAttribute("data-picker");
    var label = document.querySelector('label[for="' + area.id + '"]');
    var box = document.createElement("div");
    box.className = "picker";
    var chips = document.createElement("div");
    chips.className = "chips";
    chips.setAttribute("aria-live", "polite");
    var input = document.createElement("input");
    input.type = "search";
    input.autocomplete = "off";
    input.id = area.id + "-search";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", area.id + "-suggestions");
    input.setAttribute("aria-label", "Add to " + (label ? label.textContent.trim() : area.name));
    input.placeholder = "Type to search, Enter to add";
    var list = document.createElement("ul");
    list.className = "suggestions";
    list.id = area.id + "-suggestions";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    box.appendChild(chips);
    box.appendChild(input);
    box.appendChild(list);
    area.parentNode.insertBefore(box, area.nextSibling);
    area.hidden = true;
    area.setAttribute("aria-hidden", "true");
    // The search-and-pick form for browsers without the script is not needed.
    var plain = document.querySelectorAll('[data-pick-for="' + area.id + '"]');
    for (var p = 0; p < plain.length; p++) {
      plain[p].hidden = true;
    }
    if (label) {
      label.setAttribute("for", input.id);
    }
    var described = area.getAttribute("aria-describedby");
    if (described) {
      input.setAttribute("aria-describedby", described);
    }
    if (area.getAttribute("aria-invalid") === "true") {
      input.setAttribute("aria-invalid", "true");
    }

    function values() {
      return area.value.split(/\n/).map(function (v) { return v.trim(); }).filter(Boolean);
    }
    function save(vs) {
      area.value = vs.join("\n");
      draw();
    }
    function draw() {
      chips.textContent = "";
      values().forEach(function (v) {
        var chip = document.createElement("span");
        chip.className = "chip";
        chip.appendChild(document.createTextNode(v));
        var x = document.createElement("button");
        x.type = "button";
        x.textContent = "×";
        x.setAttribute("aria-label", "Remove " + v);
        x.addEventListener("click", function () {
          save(values().filter(function (w) { return w !== v; }));
          input.focus();
        });
        chip.appendChild(x);
        chips.appendChild(chip);
      });
    }
    function add(v) {
      v = v.trim();
      if (v && values().indexOf(v) === -1) {
        save(values().concat([v]));
      }
      input.value = "";
      close();
    }
    var active = -1;
    var found = [];
    function close() {
      list.hidden = true;
      list.textContent = "";
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function show(items) {
      found = items;
      list.textContent = "";
      items.forEach(function (item, i) {
        var li = document.createElement("li");
        li.id = area.id + "-option-" + i;
        li.setAttribute("role", "option");
        li.appendChild(document.createTextNode(item.label + " "));
        if (item.detail) {
          var small = document.createElement("small");
          small.textContent = item.detail;
          li.appendChild(small);
        }
        li.addEventListener("mousedown", function (e) {
          e.preventDefault();
          add(item.value);
        });
        list.appendChild(li);
      });
      list.hidden = items.length === 0;
      input.setAttribute("aria-expanded", items.length ? "true" : "false");
    }
    function mark(i) {
      var options = list.querySelectorAll("[role=option]");
      for (var k = 0; k < options.length; k++) {
        options[k].setAttribute("aria-selected", k === i ? "true" : "false");
      }
      active = i;
      if (options[i]) {
        input.setAttribute("aria-activedescendant", options[i].id);
      }
    }
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2) {
        close();
        return;
      }
      timer = setTimeout(function () {
        fetch("/admin/lookup?kind=" + encodeURIComponent(kind) + "&q=" + encodeURIComponent(q), {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(show)
          .catch(close);
      }, 150);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" && found.length) {
        e.preventDefault();
        mark(Math.min(active + 1, found.length - 1));
      } else if (e.key === "ArrowUp" && found.length) {
        e.preventDefault();
        mark(Math.max(active - 1, 0));
      } else if (e.key === "Enter") {
        e.preventDefault();
        add(active >= 0 && found[active] ? found[active].value : input.value);
      } else if (e.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", function () {
      setTimeout(close, 150);
    });
    draw();
  }
  var areas = document.querySelectorAll("textarea[data-picker]");
  for (var j = 0; j < areas.length; j++) {
    picker(areas[j]);
  }
})();
