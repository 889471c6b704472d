// Search page: dropping an image on the zone searches with it right away.
(() => {
  "use strict";
  const zone = document.getElementById("search-drop");
  const input = document.getElementById("search-file");
  if (!zone || !input) return;
  const form = input.form;
  ["dragenter", "dragover"].forEach((t) => zone.addEventListener(t, (e) => { e.preventDefault(); zone.classList.add("over"); }));
  ["dragleave", "drop"].forEach((t) => zone.addEventListener(t, (e) => { e.preventDefault(); zone.classList.remove("over"); }));
  zone.addEventListener("drop", (e) => {
    if (!e.dataTransfer.files.length) return;
    input.files = e.dataTransfer.files;
    form.requestSubmit();
  });
  input.addEventListener("change", () => { if (input.files.length) form.requestSubmit(); });
  form.addEventListener("submit", () => { form.querySelector("button[type=submit]").disabled = true; form.querySelector("button[type=submit]").textContent = "Searching…"; });
})();
