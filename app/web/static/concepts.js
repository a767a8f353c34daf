// Suggestions for the concept boxes of the edit and upload forms (inputs with data-concepts),
// from /api/concepts?q=&field= ({"concepts": [{"iri", "label", "matched", …}]}): the input's
// name is its field's name, so each box offers only the concepts its field takes (a rights
// box rights statements, the subject box subjects). Only a convenience: without it, a label
// typed in any language, or an IRI, is resolved by the server.
"use strict";

function option(concept) {
  const element = document.createElement("option");
  element.value = concept.label || concept.iri;
  if (concept.matched && concept.matched !== concept.label) {
    element.label = `${concept.label} (${concept.matched})`;
  }
  return element;
}

document.querySelectorAll("input[data-concepts]").forEach((input) => {
  let timer;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    const text = input.value.trim();
    if (text.length < 2 || text.includes(":")) return;
    timer = setTimeout(async () => {
      try {
        const params = new URLSearchParams({ q: text });
        if (input.name) params.set("field", input.name);
        const response = await fetch(`/api/concepts?${params}`, {
          headers: { Accept: "application/json" },
        });
        if (!response.ok) return;
        const body = await response.json();
        const list = document.getElementById(input.getAttribute("list"));
        list.replaceChildren(...(body.concepts || []).slice(0, 20).map(option));
      } catch (error) {
        // no suggestions: the box still takes any label or IRI
      }
    }, 150);
  });
});
