// Photo viewer, effects panel: render variants through the API with progress, compare before
// and after on the photo itself with a slider, and choose the subject by tapping the photo in a
// mode the person turns on (with a marker where they tapped).
(() => {
  "use strict";
  const panel = document.getElementById("effects");
  if (!panel) return;
  const form = document.getElementById("effect-form");
  const statusBox = document.getElementById("effect-status");
  const list = document.getElementById("variant-list");
  const stage = document.getElementById("stage");
  const frame = document.getElementById("frame");
  const photo = document.getElementById("photo-image");
  const variantUrl = (id) => panel.dataset.variantApi.replace(/0\/$/, `${id}/`);
  const saveUrl = (id) => panel.dataset.saveApi.replace(/\/0\//, `/${id}/`);
  const csrf = document.querySelector("[name=csrfmiddlewaretoken]")?.value || "";
  // Button value -> [effect, fields it sends], and how each field is sent (number or text):
  // effects.views.FORM_ACTIONS and FORM_KINDS, from the effects table, rendered by the page.
  const actionsTable = document.getElementById("effect-actions");
  const { actions: ACTIONS = {}, kinds: KINDS = {} } = actionsTable ? JSON.parse(actionsTable.textContent) : {};
  const STATUS = { pending: "Waiting", processing: "Rendering", ready: "Ready", failed: "Failed" };
  const narrow = window.matchMedia("(max-width: 999px)");

  const escape = (text) => String(text ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  // A function that shows a message (HTML, escaped by the caller) in `box`, or clears it.
  const reporter = (box, { scroll }) => (html, cls = "") => {
    box.innerHTML = html ? `<p class="${cls}">${html}</p>` : "";
    if (html && scroll) box.scrollIntoView({ block: "nearest", behavior: "smooth" });
  };
  const say = reporter(statusBox, { scroll: true });

  // --- before / after on the stage --------------------------------------------------------
  let compare = null;
  function compareView() {
    if (compare || !frame) return compare;
    const after = document.createElement("div");
    after.className = "compare-after";
    after.innerHTML = '<img alt="" id="compare-after">';
    const range = document.createElement("input");
    Object.assign(range, { type: "range", min: 0, max: 100, value: 50, className: "compare-range" });
    range.setAttribute("aria-label", "Before and after: slide to compare");
    const divider = document.createElement("div");
    divider.className = "compare-divider";
    divider.innerHTML = '<span class="compare-handle" aria-hidden="true">⟷</span>';
    const tags = document.createElement("div");
    tags.className = "compare-tags";
    tags.innerHTML = '<span>Before</span><span id="compare-label">After</span>';
    frame.append(after, range, divider, tags);
    const split = () => frame.style.setProperty("--split", `${range.value}%`);
    range.addEventListener("input", split);
    split();
    const closeButton = document.createElement("button");
    closeButton.type = "button";
    closeButton.className = "secondary small";
    closeButton.id = "compare-close";
    closeButton.textContent = "Show the photo only";
    const download = document.createElement("a");
    download.className = "button secondary small";
    download.id = "compare-download";
    download.textContent = "Download effect";
    const matte = document.createElement("a");
    matte.className = "button secondary small";
    matte.id = "compare-matte";
    matte.target = "_blank";
    matte.rel = "noopener";
    matte.textContent = "Subject mask";
    const tools = document.createElement("div");
    tools.className = "row";
    tools.id = "compare-tools";
    tools.append(closeButton, download, matte);
    statusBox.before(tools);
    closeButton.addEventListener("click", () => hideCompare());
    compare = { after, range, divider, tags, tools, image: after.querySelector("img"), download, matte };
    return compare;
  }

  // scroll: on a phone, bring the photo (where the result is shown) into view.
  function show(variant, scroll = true) {
    const view = compareView();
    if (!view) return;
    setTapping(false);
    view.image.src = variant.image_url;
    view.image.alt = `After: ${variant.summary}`;
    view.after.classList.toggle("transparent", variant.effect === "cutout");
    document.getElementById("compare-label").textContent = `After: ${variant.title || "effect"}`;
    view.download.href = `${variant.image_url}&download=1`;
    view.matte.href = variant.mask_url;
    view.matte.textContent = ["gaze", "hide_faces"].includes(variant.effect) ? "Where it changed" : "Subject mask";
    for (const part of [view.after, view.range, view.divider, view.tags, view.tools]) part.hidden = false;
    for (const item of list.querySelectorAll(".variant")) {
      item.classList.toggle("current", item.dataset.variant === String(variant.id));
    }
    if (scroll && narrow.matches) stage.scrollIntoView({ behavior: "smooth", block: "start" });
  }

  function hideCompare() {
    if (!compare) return;
    for (const part of [compare.after, compare.range, compare.divider, compare.tags, compare.tools]) part.hidden = true;
    for (const item of list.querySelectorAll(".variant.current")) item.classList.remove("current");
  }

  // --- the list of variants ---------------------------------------------------------------
  function remember(variant) {
    document.getElementById("no-variants")?.remove();
    let item = list.querySelector(`[data-variant="${variant.id}"]`);
    if (!item) {
      item = document.createElement("div");
      item.className = "variant";
      item.dataset.variant = variant.id;
      list.prepend(item);
    }
    item.dataset.status = variant.status;
    const thumb = variant.image_url
      ? `<img src="${escape(variant.image_url)}" alt="" class="variant-thumb">`
      : `<span class="variant-thumb placeholder">${escape(STATUS[variant.status])}</span>`;
    const save = variant.status === "ready"
      ? `<button type="button" class="link small" data-save="${variant.id}">Save as a new photo</button>` : "";
    const remove = form
      ? `<div class="variant-actions">${save}<button type="button" class="link small" data-delete="${variant.id}">Delete</button></div>` : "";
    item.innerHTML = `<a href="${escape(variant.image_url || "#effects")}" data-show="${variant.id}" aria-label="Show ${escape(variant.summary)}">${thumb}</a>
      <div class="variant-label"><strong>${escape(variant.title)}</strong> ${escape(variant.details)}
      <span class="badge ${escape(variant.status)}">${escape(STATUS[variant.status])}</span>
      ${variant.status === "failed" ? `<div class="error">${escape(variant.error)}</div>` : ""}</div>${remove}`;
  }

  // Where progress and outcomes are told (`report`, say() by default) and whether showing the
  // result may scroll the page: the "Hide faces first?" offer tells its own, in place.
  const HERE = { report: say, scroll: true };

  // A button deep in "More effects" or "Faces" tells its progress on a line just under its
  // own row: the panel's status line is screens above it, and scrolling there would take the
  // button (and the choices next to it) out of view.
  const nearby = new Map();
  function nearButton(button) {
    const row = button?.closest("details .row");
    if (!row) return HERE;
    if (!nearby.has(row)) {
      const box = document.createElement("div");
      box.className = "effect-status-near";
      box.setAttribute("role", "status");
      box.setAttribute("aria-live", "polite");
      row.after(box);
      nearby.set(row, { report: reporter(box, { scroll: true }), scroll: true });
    }
    return nearby.get(row);
  }

  // The variant once it has rendered; null when it failed (the reason was reported).
  function finished(variant, { report, scroll }) {
    if (variant.status === "ready") { report(""); show(variant, scroll); return variant; }
    report(`${escape(variant.summary)}: ${escape(variant.error)}`, "error");
    return null;
  }

  async function follow(id, how = HERE) {
    // Poll until the variant is ready or failed, showing progress meanwhile.
    for (let attempt = 0; attempt < 900; attempt++) {
      let variant;
      try {
        const response = await fetch(variantUrl(id), { headers: { Accept: "application/json" }, credentials: "same-origin" });
        if (!response.ok) { how.report("Could not check on the rendering; reload the page.", "error"); return null; }
        variant = await response.json();
      } catch (_) { await new Promise((r) => setTimeout(r, 1500)); continue; }
      remember(variant);
      if (variant.status === "ready" || variant.status === "failed") return finished(variant, how);
      how.report(`<span class="badge ${variant.status}">${STATUS[variant.status]}</span> ${escape(variant.summary)}… <progress aria-label="Rendering"></progress>`);
      await new Promise((r) => setTimeout(r, 700));
    }
    how.report("The rendering is taking very long; reload the page to see whether it finished.", "error");
    return null;
  }

  // POST to the API; the answer's JSON, or null after reporting why it failed.
  async function post(url, body, report) {
    try {
      const response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify(body),
      });
      const data = await response.json().catch(() => ({}));
      if (response.ok) return data;
      report(escape(data.error?.message || `The request failed (${response.status}).`), "error");
    } catch (_) {
      report("The server could not be reached; check your connection and try again.", "error");
    }
    return null;
  }

  // Save a ready variant as a photo of its own (private unless `visibility` says otherwise).
  function saveAsPhoto(id, report, visibility) {
    return post(saveUrl(id), visibility ? { visibility } : {}, report);
  }

  panel.addEventListener("click", async (event) => {
    const save = event.target.closest("[data-save]");
    if (save) {
      event.preventDefault();
      save.disabled = true;
      say(`Saving as a new photo… <progress aria-label="Saving"></progress>`);
      const photo = await saveAsPhoto(save.dataset.save, say);
      save.disabled = false;
      if (photo) {
        const what = photo.duplicate ? "Saved before as" : "Saved as a new photo:";
        say(`${what} <a href="${escape(photo.page_url)}">${escape(photo.title)}</a>. ${escape(photo.who_sees_it)}`, "success");
      }
      return;
    }
    const remove = event.target.closest("[data-delete]");
    if (remove) {
      event.preventDefault();
      if (!confirm("Delete this effect?")) return;
      const response = await fetch(variantUrl(remove.dataset.delete), {
        method: "DELETE", credentials: "same-origin", headers: { "X-CSRFToken": csrf, Accept: "application/json" },
      });
      if (response.ok || response.status === 404) {
        const item = remove.closest(".variant");
        if (item?.classList.contains("current")) hideCompare();
        item?.remove();
      } else say("The effect could not be deleted; try again.", "error");
      return;
    }
    const link = event.target.closest("[data-show]");
    if (!link) return;
    const item = link.closest(".variant");
    if (item?.dataset.status && item.dataset.status !== "ready") { event.preventDefault(); return; }
    event.preventDefault();
    const response = await fetch(variantUrl(link.dataset.show), { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (response.ok) {
      const variant = await response.json();
      if (variant.status === "ready") show(variant);
    }
  });

  // --- tap to choose the subject (a mode, with a marker) ----------------------------------
  const subject = document.getElementById("effect-subject");
  const toggle = document.getElementById("tap-toggle");
  const hint = document.getElementById("tap-hint");
  let marker = null;

  // What a tap on the photo chooses: the subject, or where the eyes look ("gaze").
  const gazeToggle = document.getElementById("gaze-tap");
  let tapFor = "subject";

  function setTapping(on, purpose = "subject") {
    if (!toggle) return;
    tapFor = purpose;
    toggle.setAttribute("aria-pressed", String(on && purpose === "subject"));
    gazeToggle?.setAttribute("aria-pressed", String(on && purpose === "gaze"));
    stage?.classList.toggle("tapping", on);
    const asked = purpose === "gaze" ? "Tap where the eyes should look." : "Tap the subject on the photo.";
    hint.textContent = on ? `${asked} Press Esc or the button again to stop.` : hint.dataset.chosen || "";
    if (on) hideCompare();
    if (on && narrow.matches) stage?.scrollIntoView({ behavior: "smooth", block: "start" });  // the photo, to tap
  }

  function placeMarker(x, y) {
    if (!marker) {
      marker = document.createElement("span");
      marker.className = "tap-marker";
      marker.setAttribute("aria-hidden", "true");
      frame.append(marker);
    }
    marker.style.setProperty("--x", `${x * 100}%`);
    marker.style.setProperty("--y", `${y * 100}%`);
    marker.hidden = false;
  }

  if (form && toggle && frame && photo) {
    toggle.hidden = false;
    toggle.addEventListener("click", () => setTapping(toggle.getAttribute("aria-pressed") !== "true"));
    if (gazeToggle) {
      gazeToggle.hidden = false;
      gazeToggle.addEventListener("click", () => setTapping(gazeToggle.getAttribute("aria-pressed") !== "true", "gaze"));
    }
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && stage.classList.contains("tapping")) { event.preventDefault(); setTapping(false); }
    }, true);
    stage.addEventListener("click", (event) => {
      if (!stage.classList.contains("tapping")) return;
      const box = photo.getBoundingClientRect();
      const inside = event.clientX >= box.left && event.clientX <= box.right
        && event.clientY >= box.top && event.clientY <= box.bottom;
      if (!inside || event.target.closest("a, button")) return;
      event.preventDefault();
      const x = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
      const y = Math.min(1, Math.max(0, (event.clientY - box.top) / box.height));
      if (tapFor === "gaze") {
        document.getElementById("gaze-point").value = `${x.toFixed(3)},${y.toFixed(3)}`;
        placeMarker(x, y);
        setTapping(false);
        makeVariant("gaze-point");
        return;
      }
      let option = subject.querySelector("option[data-point]");
      if (!option) {
        option = document.createElement("option");
        option.dataset.point = "1";
        subject.prepend(option);
      }
      option.value = `${x.toFixed(3)},${y.toFixed(3)}`;
      option.textContent = `What I tapped (${Math.round(x * 100)}%, ${Math.round(y * 100)}%)`;
      subject.value = option.value;
      placeMarker(x, y);
      hint.dataset.chosen = "Subject: what you tapped (the marker). Now press Portrait or another effect.";
      setTapping(false);
      form.querySelector("button[value=portrait]").focus({ preventScroll: true });
    });
    subject.addEventListener("change", () => {
      const tapped = Boolean(subject.selectedOptions[0]?.dataset.point);
      if (marker) marker.hidden = !tapped;
      if (!tapped) { hint.dataset.chosen = ""; hint.textContent = ""; }
    });
  }

  // --- making variants --------------------------------------------------------------------
  if (form) {
    const blur = document.getElementById("effect-blur");
    blur.addEventListener("input", () => { document.getElementById("blur-value").textContent = blur.value; });

    const strength = document.getElementById("gaze-strength");
    strength?.addEventListener("input", () => { document.getElementById("strength-value").textContent = strength.value; });

    form.addEventListener("submit", (event) => {
      const action = event.submitter?.value || "portrait";
      if (!ACTIONS[action]) return;
      event.preventDefault();
      makeVariant(action, nearButton(event.submitter));
    });
  }

  // The value of a form field as the API takes it (effects.registry: the field's form kind).
  function fieldValue(name, value) {
    if (KINDS[name] === "number") return Number(value);
    if (KINDS[name] === "ids" && /^[0-9, ]+$/.test(value)) return value.split(",").map(Number);
    return value;
  }

  // Ask for the variant of the form's current choices; the variant once rendered, or null.
  async function makeVariant(action, how = HERE) {
    setTapping(false);
    const [effect, fields] = ACTIONS[action];
    const body = { effect };
    for (const name of fields) {
      const field = form.elements[name];
      if (field && field.value !== "") body[name] = fieldValue(name, field.value);
    }
    how.report(`Starting… <progress aria-label="Rendering"></progress>`);
    const data = await post(panel.dataset.variantsApi, body, how.report);
    if (!data) return null;
    remember(data);
    if (data.status === "ready" || data.status === "failed") return finished(data, how);
    return follow(data.id, how);
  }

  // Going public: offer to make a copy with every face blurred and to share that copy instead,
  // while this photo keeps the visibility it has. Everything happens in the offer itself, next
  // to the choice the person is making (on a phone the effects panel is screens away).
  const offer = document.getElementById("hide-faces-offer");
  const visibility = document.querySelector("#edit select[name=visibility]");
  if (offer && visibility && form && ACTIONS.hide_faces) {
    const was = visibility.value;
    const intro = document.getElementById("offer-intro");
    const hideButton = document.getElementById("offer-hide");
    const offerStatus = document.getElementById("offer-status");
    const copyBox = document.getElementById("offer-copy");
    const shareButton = document.getElementById("offer-share");
    const tell = reporter(offerStatus, { scroll: false });
    let copy = null;  // the hide-faces variant, once ready
    let shared = false;
    visibility.addEventListener("change", () => {
      offer.hidden = !(visibility.value === "public" && was !== "public");
      if (!offer.hidden && shared) {  // Everyone again after sharing the copy: offer afresh
        shared = false;
        tell("");
        intro.hidden = false;
      }
    });
    hideButton.addEventListener("click", async () => {
      form.elements.style.value = "blur";
      form.elements.faces.value = "all";
      hideButton.disabled = true;
      copyBox.hidden = true;
      copy = await makeVariant("hide_faces", { report: tell, scroll: false });
      hideButton.disabled = false;
      if (!copy) return;
      document.getElementById("offer-thumb").src = copy.image_url;
      document.getElementById("offer-thumb-link").href = copy.image_url;
      intro.hidden = true;
      copyBox.hidden = false;
      shareButton.disabled = false;
      shareButton.focus({ preventScroll: true });
    });
    shareButton.addEventListener("click", async () => {
      if (!copy) return;
      shareButton.disabled = true;
      tell(`Sharing the copy… <progress aria-label="Sharing"></progress>`);
      const photo = await saveAsPhoto(copy.id, tell, "public");
      shareButton.disabled = false;
      if (!photo) return;
      // This photo keeps its visibility: a later "Save changes" must not share it after all.
      visibility.value = was;
      shared = true;
      copyBox.hidden = true;
      tell(`Shared a copy with the faces hidden: <a href="${escape(photo.page_url)}">${escape(photo.title)}</a>. `
        + `${escape(photo.who_sees_it)} This photo stays private.`, "success");
    });
  }

  // A variant asked for in the address (after the no-script form), or one still rendering.
  const pending = statusBox.querySelector("[data-pending]");
  if (pending) follow(pending.dataset.pending);
  else if (panel.dataset.current && new URLSearchParams(location.search).has("variant")) {
    fetch(variantUrl(panel.dataset.current), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : null)).then((v) => { if (v?.status === "ready") show(v); });
  }
})();
