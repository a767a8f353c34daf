// Small conveniences for phones and keyboards; every page works without them.
// 1. Disclosures marked data-fold-on-phone (the header menu, the search filters) are open in
//    the markup, so that they work without JavaScript; on a phone they start folded.
// 2. After a facet choice the page reloads: focus goes back to the control that was used,
//    instead of the top of the page.
(function () {
  "use strict";
  var PHONE = window.matchMedia("(max-width: 760px)");
  var FOCUS_KEY = "atrium-focus";

  function remembered() {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(FOCUS_KEY) || "null");
      window.sessionStorage.removeItem(FOCUS_KEY);
      return saved;
    } catch (error) {
      return null; // storage may be off (private windows): then focus simply starts at the top
    }
  }

  function remember(control) {
    var saved = { kind: control.dataset.focusKind, facet: control.dataset.facet || "",
                  value: control.dataset.value || "" };
    try {
      window.sessionStorage.setItem(FOCUS_KEY, JSON.stringify(saved));
    } catch (error) { /* see remembered() */ }
  }

  function controlFor(saved) {
    if (!saved) return null;
    var candidates = document.querySelectorAll("[data-focus-kind]");
    for (var i = 0; i < candidates.length; i++) {
      var data = candidates[i].dataset;
      if (data.focusKind === saved.kind && (data.facet || "") === saved.facet &&
          (data.value || "") === saved.value) {
        return candidates[i];
      }
    }
    // The control has gone (a "more" became "fewer", a value left the list): its facet.
    return document.querySelector('[data-focus-kind="facet"][data-facet="' +
                                  CSS.escape(saved.facet) + '"]');
  }

  function fold(open) {
    var disclosures = document.querySelectorAll("details[data-fold-on-phone]");
    for (var i = 0; i < disclosures.length; i++) disclosures[i].open = open;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var target = controlFor(remembered());
    if (PHONE.matches) fold(false);
    if (target) {
      var drawer = target.closest("details");
      if (drawer) drawer.open = true;
      target.focus();
    }
    PHONE.addEventListener("change", function (event) { fold(!event.matches); });
    document.addEventListener("click", function (event) {
      var control = event.target.closest && event.target.closest("a[data-focus-kind]");
      if (control) remember(control);
    });
  });
})();
