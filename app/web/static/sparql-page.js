// The query page with YASGUI: replaces the plain form (which stays for readers without
// JavaScript), runs queries against this endpoint, and loads the examples into the editor.
(function () {
  "use strict";
  var root = document.getElementById("yasgui");
  var form = document.getElementById("query-form");
  if (!root || !form || typeof window.Yasgui !== "function") {
    return;
  }
  var yasgui = new window.Yasgui(root, {
    requestConfig: { endpoint: root.dataset.endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    persistenceId: null,
    populateFromUrl: false,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: root.dataset.endpoint }]; } },
  });
  root.hidden = false;
  form.hidden = true;
  yasgui.getTab().setQuery(form.elements.query.value);
  document.querySelectorAll("a[data-example]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      yasgui.getTab().setQuery(link.dataset.query);
      root.scrollIntoView();
    });
  });
  window.atriumYasgui = yasgui;
})();
