// Progressive enhancement only: every page works without this file.
//
// Forms that take dates carry the browser's time zone, so that "today" and
// an end date are the person's own days (UTC without this script).
(function () {
  "use strict";
  var tz = "";
  try {
    tz = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (e) {
    return;
  }
  var fields = document.querySelectorAll("input[data-timezone]");
  for (var i = 0; i < fields.length; i++) {
    if (!fields[i].value) {
      fields[i].value = tz;
    }
  }
})();
