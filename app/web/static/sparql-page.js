// The query page remembers the query. With YASGUI, its tabs live in localStorage; without it,
// the plain form keeps its text in localStorage (and, for a reload of the same address, in
// sessionStorage). A query that came in the address (a share link, an example, a query run)
// wins over the remembered one. "Save this query" sends the query as it is in the editor.
(function () {
  "use strict";
  var LAST_QUERY = "atrium.sparql.query"; // the last query, for any later visit
  var THIS_PAGE = "atrium.sparql.page"; // {href, text}: an edit made on this very address
  var form = document.getElementById("query-form");
  if (!form) {
    return;
  }
  var textarea = form.elements.query;
  var shared = form.dataset.shared === "true";

  function remember(text) {
    try {
      window.localStorage.setItem(LAST_QUERY, text);
      window.sessionStorage.setItem(THIS_PAGE, JSON.stringify({ href: location.href, text: text }));
    } catch (error) {
      // storage refused (private mode, quota): the query still runs, it is just not kept
    }
  }

  function recalled() {
    try {
      var here = JSON.parse(window.sessionStorage.getItem(THIS_PAGE) || "null");
      if (here && here.href === location.href) {
        return here.text; // a reload: the edit wins over the address it was made on
      }
      return shared ? null : window.localStorage.getItem(LAST_QUERY);
    } catch (error) {
      return null;
    }
  }

  function plainForm() {
    var text = recalled();
    if (text !== null && text !== undefined) {
      textarea.value = text;
    }
    remember(textarea.value);
    textarea.addEventListener("input", function () { remember(textarea.value); });
    return function () { return textarea.value; };
  }

  function withYasgui(root) {
    var yasgui = new window.Yasgui(root, {
      requestConfig: { endpoint: root.dataset.endpoint, method: "POST" },
      copyEndpointOnNewTab: false,
      persistenceId: "atrium-sparql",
      populateFromUrl: false,
      yasqe: { value: form.dataset.defaultQuery },
      endpointCatalogueOptions: { getData: function () { return [{ endpoint: root.dataset.endpoint }]; } },
    });
    root.hidden = false;
    form.hidden = true;
    if (shared) {
      openInTab(yasgui, textarea.value);
      // The address has done its job: a reload now shows the tabs as the reader left them.
      history.replaceState(null, "", root.dataset.endpoint);
    }
    document.querySelectorAll("a[data-example]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        openInTab(yasgui, link.dataset.query, link.textContent.trim());
        root.scrollIntoView();
      });
    });
    keepTyping(yasgui, root);
    window.atriumYasgui = yasgui;
    return function () { return yasgui.getTab().getQuery(); };
  }

  // YASGUI stores a tab when its editor loses focus or runs; store it while typing too, and
  // when the page goes away, so a reload or a link followed mid-edit loses nothing.
  function keepTyping(yasgui, root) {
    var timer;
    function store() {
      var tab = yasgui.getTab();
      var editor = tab && tab.getYasqe();
      if (editor && editor.getValue() !== tab.persistentJson.yasqe.value) {
        tab.persistentJson.yasqe.value = editor.getValue();
        tab.emit("change", tab, tab.persistentJson);
      }
    }
    root.addEventListener("keyup", function () {
      clearTimeout(timer);
      timer = setTimeout(store, 250);
    });
    window.addEventListener("pagehide", store);
    document.addEventListener("visibilitychange", store);
  }

  // The tab holding ``text`` if there is one, else a new tab with it: never another copy.
  function openInTab(yasgui, text, name) {
    var stored = yasgui.persistentConfig;
    var found = stored.getTabs().find(function (id) {
      return stored.getTab(id).yasqe.value === text;
    });
    if (found) {
      yasgui.selectTabId(found);
      return;
    }
    var current = yasgui.getTab();
    if (current && current.getYasqe() && current.getQuery() === form.dataset.defaultQuery) {
      current.setQuery(text); // an untouched default tab: reuse it
      return;
    }
    var config = { yasqe: { value: text } };
    if (name) {
      config.name = name;
    }
    yasgui.addTab(true, config);
  }

  var root = document.getElementById("yasgui");
  var currentQuery =
    root && typeof window.Yasgui === "function" ? withYasgui(root) : plainForm();

  var save = document.getElementById("save-query-form");
  if (save) {
    save.addEventListener("submit", function () {
      save.elements.sparql.value = currentQuery();
    });
  }
})();
