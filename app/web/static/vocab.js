// The vocabulary pages: a scheme's tree loads each level when it is opened, and concept boxes
// of the editor suggest concepts from /api/concepts. Both are conveniences: without JavaScript
// the tree links to pages with the level opened, and the boxes take any IRI or label.
"use strict";

function loadChildren(details) {
  if (details.dataset.loaded || !details.open) return;
  details.dataset.loaded = "1";
  const placeholder = details.querySelector(":scope > a.load");
  fetch(details.dataset.children, { headers: { Accept: "text/html" } })
    .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
    .then((html) => {
      const holder = document.createElement("div");
      holder.innerHTML = html;
      const list = holder.querySelector("ul.tree");
      if (list && placeholder) placeholder.replaceWith(list);
    })
    .catch(() => {
      delete details.dataset.loaded; // the link still opens the level on its own page
    });
}

document.addEventListener(
  "toggle",
  (event) => {
    if (event.target.matches && event.target.matches("details[data-children]")) {
      loadChildren(event.target);
    }
  },
  true,
);

document.querySelectorAll("input[data-autocomplete]").forEach((input) => {
  let timer;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    const text = input.value.trim();
    if (text.length < 2 || text.includes(":")) return;
    timer = setTimeout(async () => {
      const params = new URLSearchParams({ q: text });
      if (input.dataset.autocomplete) params.set("scheme", input.dataset.autocomplete);
      try {
        const response = await fetch(`/api/concepts?${params}`, { headers: { Accept: "application/json" } });
        if (!response.ok) return;
        const body = await response.json();
        const list = document.getElementById(input.getAttribute("list"));
        list.replaceChildren(
          ...body.concepts.map((concept) => {
            const option = document.createElement("option");
            option.value = concept.iri;
            option.label = concept.matched === concept.label ? concept.label : `${concept.label} (${concept.matched})`;
            return option;
          }),
        );
      } catch (error) {
        // no suggestions: the box still takes any IRI or label
      }
    }, 150);
  });
});
