// Photo page: confirm destructive forms; refresh when processing finishes.
(() => {
  "use strict";
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (e) => { if (!confirm(form.dataset.confirm)) e.preventDefault(); });
  }
  const root = document.getElementById("photo");
  if (!root || !["pending", "processing"].includes(root.dataset.status)) return;
  const tick = async () => {
    try {
      const response = await fetch(root.dataset.api, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) {
        const photo = await response.json();
        if (photo.status === "ready" || photo.status === "failed") { location.reload(); return; }
        const badge = document.getElementById("status-badge");
        if (badge) badge.textContent = photo.status === "processing" ? "Processing" : "Waiting";
      }
    } catch (_) { /* retry */ }
    setTimeout(tick, 1000);
  };
  setTimeout(tick, 800);
})();
