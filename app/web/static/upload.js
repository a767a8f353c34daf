// The upload form's drop zone: files dropped on it become the file input's choice, and the
// chosen files are listed. Without this script the plain multiple file input does the job.
(function () {
  "use strict";
  const zone = document.querySelector("[data-drop-zone]");
  if (!zone) return;
  const input = zone.querySelector("input[type=file]");
  const chosen = zone.querySelector("[data-chosen]");
  const hint = zone.querySelector(".drop-hint");
  if (!input || !chosen) return;
  zone.classList.add("droppable");
  if (hint) hint.hidden = false;

  function size(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " KiB";
    return (bytes / (1024 * 1024)).toFixed(1) + " MiB";
  }

  function show() {
    chosen.replaceChildren(
      ...Array.from(input.files, function (file) {
        const item = document.createElement("li");
        item.textContent = file.name + " (" + size(file.size) + ")";
        return item;
      })
    );
  }

  input.addEventListener("change", show);
  ["dragenter", "dragover"].forEach(function (type) {
    zone.addEventListener(type, function (event) {
      event.preventDefault();
      zone.classList.add("over");
    });
  });
  ["dragleave", "drop"].forEach(function (type) {
    zone.addEventListener(type, function () {
      zone.classList.remove("over");
    });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    const files = event.dataTransfer && event.dataTransfer.files;
    if (!files || !files.length) return;
    input.files = files;
    show();
  });
})();
