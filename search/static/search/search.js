// Search page: picking a colour searches right away (no box to tick), × removes a colour,
// and choosing or dropping an image searches with it.
(() => {
  "use strict";
  const form = document.getElementById("search-form");
  if (form) {
    const add = document.getElementById("colour-add");
    add?.addEventListener("change", () => { add.name = "color"; form.requestSubmit(); });
    for (const input of form.querySelectorAll("input[type=color][name=color]")) {
      input.addEventListener("change", () => form.requestSubmit());
    }
    form.addEventListener("click", (event) => {
      const clear = event.target.closest("[data-clear]");
      if (!clear) return;
      clear.closest(".colour-slot").remove();
      form.requestSubmit();
    });
  }
  // Colour chips in the results heading take their colour from data-chip (no inline styles).
  for (const chip of document.querySelectorAll("[data-chip]")) chip.style.setProperty("--chip", chip.dataset.chip);

  const zone = document.getElementById("search-drop");
  const input = document.getElementById("search-file");
  if (!zone || !input) return;
  const imageForm = input.form;
  ["dragenter", "dragover"].forEach((t) => document.addEventListener(t, (e) => { e.preventDefault(); zone.classList.add("over"); }));
  ["dragleave", "drop"].forEach((t) => document.addEventListener(t, (e) => { e.preventDefault(); zone.classList.remove("over"); }));
  document.addEventListener("drop", (e) => {
    if (!e.dataTransfer?.files.length) return;
    input.files = e.dataTransfer.files;
    imageForm.requestSubmit();
  });
  input.addEventListener("change", () => {
    if (!input.files.length) return;
    const label = [...zone.childNodes].find((node) => node.nodeType === Node.TEXT_NODE && node.textContent.trim());
    if (label) label.textContent = "Searching…";
    imageForm.requestSubmit();
  });
})();
