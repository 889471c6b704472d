// Photo page, effects panel: render variants through the API with progress, compare
// before/after with a slider, and pick the subject by tapping the photo.
(() => {
  "use strict";
  const panel = document.getElementById("effects");
  if (!panel) return;
  const form = document.getElementById("effect-form");
  const statusBox = document.getElementById("effect-status");
  const compare = document.getElementById("compare");
  const after = document.getElementById("compare-after");
  const clip = compare.querySelector(".compare-after");
  const range = compare.querySelector(".compare-range");
  const variantUrl = (id) => panel.dataset.variantApi.replace(/0\/$/, `${id}/`);
  const csrf = form ? form.querySelector("[name=csrfmiddlewaretoken]").value : "";
  // Button value -> [effect, fields it sends]: effects.views.FORM_ACTIONS, rendered by the page.
  const actionsTable = document.getElementById("effect-actions");
  const ACTIONS = actionsTable ? JSON.parse(actionsTable.textContent) : {};

  const say = (html, cls = "") => { statusBox.innerHTML = `<p class="${cls}">${html}</p>`; };
  const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

  range.addEventListener("input", () => clip.style.setProperty("--split", `${range.value}%`));

  function show(variant) {
    after.src = variant.image_url;
    after.classList.toggle("transparent", variant.effect === "cutout");
    document.getElementById("compare-label").textContent = variant.summary;
    document.getElementById("compare-download").href = `${variant.image_url}&download=1`;
    document.getElementById("compare-matte").href = variant.mask_url;
    compare.hidden = false;
    for (const item of panel.querySelectorAll(".variant")) {
      item.classList.toggle("current", item.dataset.variant === String(variant.id));
    }
  }

  function remember(variant) {
    // Add (or update) the variant in the list without reloading the page.
    document.getElementById("no-variants")?.remove();
    const list = document.getElementById("variant-list");
    let item = list.querySelector(`[data-variant="${variant.id}"]`);
    if (!item) {
      item = document.createElement("div");
      item.className = "variant";
      item.dataset.variant = variant.id;
      list.prepend(item);
    }
    const thumb = variant.image_url
      ? `<img src="${escape(variant.image_url)}" alt="" class="variant-thumb">`
      : `<span class="variant-thumb placeholder">${escape(variant.status)}</span>`;
    item.innerHTML = `<a href="?variant=${variant.id}#effects" data-show="${variant.id}">${thumb}</a>
      <div class="small">${escape(variant.summary)} <span class="badge ${escape(variant.status)}">${escape(variant.status)}</span>
      ${variant.status === "failed" ? `<div class="error">${escape(variant.error)}</div>` : ""}</div>`;
  }

  async function follow(id) {
    // Poll until the variant is ready or failed, showing progress meanwhile.
    for (let attempt = 0; attempt < 600; attempt++) {
      let variant;
      try {
        const response = await fetch(variantUrl(id), { headers: { Accept: "application/json" }, credentials: "same-origin" });
        if (!response.ok) { say("Could not check on the rendering; reload the page.", "error"); return; }
        variant = await response.json();
      } catch (_) { await new Promise((r) => setTimeout(r, 1500)); continue; }
      if (variant.status === "ready") { say(""); remember(variant); show(variant); return; }
      if (variant.status === "failed") { remember(variant); say(`${escape(variant.summary)}: ${escape(variant.error)}`, "error"); return; }
      say(`<span class="badge ${variant.status}">${variant.status === "processing" ? "Rendering" : "Waiting"}</span> ${escape(variant.summary)}… <progress aria-label="Rendering"></progress>`);
      await new Promise((r) => setTimeout(r, 700));
    }
  }

  if (form) {
    const blur = document.getElementById("effect-blur");
    blur.addEventListener("input", () => { document.getElementById("blur-value").textContent = blur.value; });

    form.addEventListener("submit", async (event) => {
      const action = event.submitter?.value || "portrait";
      if (!ACTIONS[action]) return;
      event.preventDefault();
      const [effect, fields] = ACTIONS[action];
      const body = { effect };
      for (const name of fields) {
        const field = form.elements[name];
        if (field && field.value !== "") body[name] = name === "blur" || name === "photo" ? Number(field.value) : field.value;
      }
      say(`Starting… <progress aria-label="Rendering"></progress>`);
      try {
        const response = await fetch(panel.dataset.variantsApi, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
          body: JSON.stringify(body),
        });
        const data = await response.json().catch(() => ({}));
        if (!response.ok) { say(escape(data.error?.message || `The request failed (${response.status}).`), "error"); return; }
        remember(data);
        if (data.status === "ready") { say(""); show(data); } else { follow(data.id); }
      } catch (_) {
        say("The server could not be reached; check your connection and try again.", "error");
      }
    });

    // Tap the photo to choose the subject under the finger.
    const photo = document.getElementById("photo-image");
    const subject = document.getElementById("effect-subject");
    const hint = document.getElementById("click-hint");
    const hintText = hint.textContent;
    subject.addEventListener("change", () => {
      if (!subject.selectedOptions[0]?.dataset.point) hint.textContent = hintText;
    });
    if (photo) {
      photo.style.cursor = "crosshair";
      photo.addEventListener("click", (event) => {
        event.preventDefault();
        const box = photo.getBoundingClientRect();
        const x = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width)).toFixed(3);
        const y = Math.min(1, Math.max(0, (event.clientY - box.top) / box.height)).toFixed(3);
        let option = subject.querySelector("option[data-point]");
        if (!option) {
          option = document.createElement("option");
          option.dataset.point = "1";
          subject.prepend(option);
        }
        option.value = `${x},${y}`;
        option.textContent = `the subject I tapped (${Math.round(x * 100)}%, ${Math.round(y * 100)}%)`;
        subject.value = option.value;
        hint.textContent = "Subject chosen: now press Portrait (or another effect).";
        form.querySelector("button[value=portrait]").focus();
      });
    }
  }

  panel.addEventListener("click", async (event) => {
    const link = event.target.closest("[data-show]");
    if (!link) return;
    const item = link.closest(".variant");
    if (item?.dataset.status && item.dataset.status !== "ready") return;
    event.preventDefault();
    const response = await fetch(variantUrl(link.dataset.show), { credentials: "same-origin" });
    if (response.ok) {
      const variant = await response.json();
      if (variant.status === "ready") show(variant);
    }
  });

  for (const form of panel.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (e) => { if (!confirm(form.dataset.confirm)) e.preventDefault(); });
  }
  const pending = statusBox.querySelector("[data-pending]");
  if (pending) follow(pending.dataset.pending);
})();
