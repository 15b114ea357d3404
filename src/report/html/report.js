// conform HTML report: the "failed only" toggle, the case-name filter, and opening a case when
// a failure links to it. Works offline; nothing is fetched.
(function () {
  "use strict";
  var failedOnly = document.getElementById("failed-only");
  var filter = document.getElementById("name-filter");
  var shown = document.getElementById("shown");
  var cases = Array.prototype.slice.call(document.querySelectorAll("#case-list details.case"));

  function apply() {
    var text = filter.value.trim().toLowerCase();
    var visible = 0;
    cases.forEach(function (item) {
      var keep = (!failedOnly.checked || item.classList.contains("fail")) &&
        (text === "" || item.dataset.name.toLowerCase().indexOf(text) !== -1);
      item.hidden = !keep;
      if (keep) { visible += 1; }
    });
    shown.textContent = visible + " of " + cases.length + " cases shown";
  }

  function openLinked() {
    var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target && target.tagName === "DETAILS") {
      target.hidden = false;
      target.open = true;
    }
  }

  failedOnly.addEventListener("change", apply);
  filter.addEventListener("input", apply);
  window.addEventListener("hashchange", openLinked);
  apply();
  openLinked();
})();
