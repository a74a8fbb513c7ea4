// Keeps a request's status and timeline current while its workflow runs, without a reload.
// The server renders the page; this only swaps in the fresh `[data-live]` region.
(function () {
  "use strict";
  var region = document.querySelector("[data-live]");
  if (!region) { return; }
  var delay = 3000;
  function refresh() {
    if (region.getAttribute("data-live") !== "open") { return; }
    var typing = Array.prototype.some.call(
      region.querySelectorAll("textarea, input[type=text], input[type=checkbox]"),
      function (field) {
        return field.type === "checkbox" ? field.checked : field.value !== "" || field === document.activeElement;
      });
    if (typing) {  // never throw away what someone is writing
      window.setTimeout(refresh, delay);
      return;
    }
    fetch(window.location.href, { headers: { "X-Requested-With": "live" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-live]");
          if (fresh && fresh.innerHTML !== region.innerHTML) {
            region.innerHTML = fresh.innerHTML;
            region.setAttribute("data-live", fresh.getAttribute("data-live"));
          }
        }
        window.setTimeout(refresh, delay);
      })
      .catch(function () { window.setTimeout(refresh, delay * 2); });
  }
  window.setTimeout(refresh, delay);
})();
