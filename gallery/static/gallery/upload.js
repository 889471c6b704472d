// Upload page: every file goes up through the resumable upload API (tus 1.0 at /api/uploads/)
// in pieces of a few MB, each file with its own progress bar and outcome. A dropped connection
// is retried with back-off from the offset the server holds; after a reload or a closed page,
// choosing the same files again continues each one where it stopped: the browser keeps each
// upload's address in localStorage under a fingerprint of the file (name, size, date). Leaving
// the page while bytes are still going asks first. Thumbnails appear as the worker finishes them.
(() => {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form) return;
  const photosApi = form.dataset.api;
  const tusApi = form.dataset.tus;
  const maxBytes = Number(form.dataset.maxBytes);
  const pieceBytes = Number(form.dataset.pieceBytes);
  const account = form.dataset.account;
  const list = document.getElementById("upload-list");
  const summary = document.getElementById("upload-summary");
  const dropzone = document.getElementById("dropzone");
  const visibility = document.getElementById("visibility");
  const resumeNote = document.getElementById("resume-note");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const PARALLEL = 3;
  const STALL_MS = 30000; // no progress for this long: the connection is treated as lost
  const BACKOFF_S = [1, 2, 4, 8, 15, 30];
  const STORE = `focal.uploads.${account}`;
  const CHOICE = `focal.upload-visibility.${account}`;
  const queue = [];
  // Photo id -> [{li, duplicate}], until processing ends: two files with the same pixels (a
  // copy under another name) become one photo, and both rows wait for it.
  const waiting = new Map();
  const sleepers = new Set();
  let active = 0;
  let pollTimer = null;

  // --- What the browser remembers: fingerprint -> {url, name, size, offset, expires} --------
  function fingerprint(file, choice) {
    return [file.name, file.size, file.lastModified, choice].join("|");
  }

  function remembered() {
    try {
      const all = JSON.parse(localStorage.getItem(STORE) || "{}");
      const now = Date.now();
      for (const [key, entry] of Object.entries(all)) if (!(entry.expires > now)) delete all[key];
      return all;
    } catch (_) { return {}; }
  }

  function remember(key, entry) {
    const all = remembered();
    if (entry) all[key] = { ...all[key], ...entry }; else delete all[key];
    try { localStorage.setItem(STORE, JSON.stringify(all)); } catch (_) { /* storage full or off */ }
    showResumeNote();
  }

  function showResumeNote() {
    const inPage = new Set([...list.querySelectorAll("[data-key]")].map((li) => li.dataset.key));
    const stopped = Object.entries(remembered()).filter(([key]) => !inPage.has(key));
    resumeNote.hidden = !stopped.length;
    if (!stopped.length) return;
    const names = stopped.map(([, e]) => `${e.name} (${percent(e.offset || 0, e.size)}%)`);
    const one = stopped.length === 1;
    resumeNote.querySelector(".resume-count").textContent = one
      ? "1 upload stopped before it finished:" : `${stopped.length} uploads stopped before they finished:`;
    resumeNote.querySelector(".resume-names").textContent = names.join(", ");
    resumeNote.querySelector(".resume-how").textContent = one
      ? "Choose the same file again to continue where it stopped."
      : "Choose the same files again to continue where they stopped.";
    resumeNote.querySelector("button").textContent = one ? "Discard it" : "Discard them";
  }

  async function discardStopped() {
    const inPage = new Set([...list.querySelectorAll("[data-key]")].map((li) => li.dataset.key));
    for (const [key, entry] of Object.entries(remembered())) {
      if (inPage.has(key)) continue;
      await request("DELETE", entry.url); // tus termination; a failure leaves it to expire
      remember(key, null);
    }
  }

  // --- One request of the protocol ------------------------------------------------------
  // Resolves with {status, header(name), error} (status 0: no answer, the connection failed).
  function request(method, url, { headers = {}, body = null, progress = null } = {}) {
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.setRequestHeader("Tus-Resumable", "1.0.0");
      xhr.setRequestHeader("X-CSRFToken", csrf);
      xhr.setRequestHeader("Accept", "application/json");
      for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
      let last = Date.now();
      const watchdog = setInterval(() => { if (Date.now() - last > STALL_MS) xhr.abort(); }, 1000);
      xhr.upload.onprogress = (e) => { last = Date.now(); if (progress) progress(e.loaded); };
      xhr.onprogress = () => { last = Date.now(); };
      const done = (status) => {
        clearInterval(watchdog);
        let error = null;
        try { error = JSON.parse(xhr.responseText).error || null; } catch (_) { /* no body */ }
        resolve({ status, header: (name) => xhr.getResponseHeader(name), error });
      };
      xhr.onload = () => done(xhr.status);
      xhr.onerror = xhr.onabort = xhr.ontimeout = () => done(0);
      xhr.send(body);
    });
  }

  function pause(seconds) {
    return new Promise((resolve) => {
      const wake = () => { clearTimeout(timer); sleepers.delete(wake); resolve(); };
      const timer = setTimeout(wake, seconds * 1000);
      sleepers.add(wake);
    });
  }
  window.addEventListener("online", () => [...sleepers].forEach((wake) => wake()));

  // --- One file, from creation (or resumption) to its photo ------------------------------
  async function send(file, li, choice) {
    const key = li.dataset.key;
    const bar = li.querySelector("progress");
    let url = null;
    let offset = 0;
    let failures = 0;
    const show = (at) => { bar.value = percent(at, file.size); };
    const retry = async (answer) => {
      const wait = Number(answer.header("Retry-After")) ||
        BACKOFF_S[Math.min(failures, BACKOFF_S.length - 1)] * (0.75 + Math.random() / 2);
      failures += 1;
      setState(li, navigator.onLine === false
        ? "Offline: it continues when the connection is back…"
        : answer.status === 429 && answer.error // e.g. too many of your photos still waiting
          ? answer.error.message
          : `The connection was lost; trying again in ${Math.ceil(wait)} s…`);
      await pause(wait);
    };
    const saved = remembered()[key];
    while (saved && !url) { // chosen again after a reload: ask the server how far it got
      const answer = await request("HEAD", saved.url);
      if (answer.status === 200) {
        url = saved.url;
        offset = Number(answer.header("Upload-Offset"));
        show(offset);
        setState(li, `Continuing from ${percent(offset, file.size)}%…`);
      } else if (answer.status === 0 || answer.status >= 500 || answer.status === 423) {
        await retry(answer);
      } else {
        remember(key, null); // expired or removed on the server: start again
        break;
      }
    }
    for (;;) {
      if (!url) {
        const meta = { filename: file.name, visibility: choice };
        const answer = await request("POST", tusApi, {
          headers: { "Upload-Length": String(file.size), "Upload-Metadata": metadata(meta) },
        });
        if (answer.status === 201) {
          url = answer.header("Location");
          offset = 0;
          remember(key, { url, name: file.name, size: file.size, offset: 0, expires: expiry(answer) });
        } else if (answer.status === 0 || answer.status >= 500) {
          await retry(answer); continue;
        } else {
          return fail(li, answer);
        }
      }
      // The last piece may be empty: it asks the server for the photo (after a retry).
      const end = Math.min(offset + pieceBytes, file.size);
      const start = offset;
      const sending = (at) => {
        show(at);
        setState(li, `Uploading… ${percent(at, file.size)}% (${megabytes(at, file.size)})`);
      };
      sending(start);
      const answer = await request("PATCH", url, {
        headers: { "Upload-Offset": String(start), "Content-Type": "application/offset+octet-stream" },
        body: file.slice(start, end),
        progress: (loaded) => sending(start + loaded),
      });
      if (answer.status === 204) {
        failures = 0;
        offset = Number(answer.header("Upload-Offset"));
        show(offset);
        const photo = answer.header("Focal-Photo-Id");
        if (photo) {
          remember(key, null);
          return uploaded(li, Number(photo), answer.header("Focal-Photo-Duplicate") === "true");
        }
        if (start === end) return fail(li, answer); // complete, yet no photo: cannot happen
        remember(key, { offset, expires: expiry(answer) });
      } else if (answer.status === 409 || answer.status === 423 || answer.status === 0 ||
                 answer.status >= 500 || answer.status === 429) {
        // Not where the server is, or the connection failed: wait if need be, then ask.
        if (answer.status !== 409) await retry(answer);
        const where = await request("HEAD", url);
        if (where.status === 200) offset = Number(where.header("Upload-Offset"));
        else if (where.status === 404 || where.status === 410) { remember(key, null); url = null; }
      } else if (answer.status === 404 || answer.status === 410) {
        remember(key, null); // expired or removed on the server: start again
        url = null;
      } else {
        remember(key, null); // refused for good (the server kept nothing)
        return fail(li, answer);
      }
    }
  }

  function metadata(pairs) {
    const b64 = (text) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));
    return Object.entries(pairs).map(([k, v]) => `${k} ${b64(v)}`).join(",");
  }

  function expiry(answer) {
    const when = Date.parse(answer.header("Upload-Expires") || "");
    return Number.isNaN(when) ? Date.now() + 3600e3 : when;
  }

  function percent(part, whole) {
    return whole ? Math.floor((100 * part) / whole) : 100;
  }

  // "1.2 of 3.4 MB" (or "120 of 340 KB" for small files): how much of the file has gone.
  function megabytes(part, whole) {
    const [unit, size] = whole >= 1048576 ? ["MB", 1048576] : ["KB", 1024];
    const show = (bytes) => (bytes / size).toFixed(unit === "MB" ? 1 : 0);
    return `${show(part)} of ${show(whole)} ${unit}`;
  }

  // --- The list on the page ---------------------------------------------------------------
  // A new row; `before` is the row it goes above (the list's first row, kept for a whole
  // batch, so the newest batch is on top and its files in the order they were chosen).
  function item(file, before) {
    const li = document.createElement("li");
    li.className = "upload-item";
    li.innerHTML = '<span class="mini"></span><div><div class="name"></div>' +
      '<progress max="100" value="0"></progress><div class="state">Waiting…</div></div>';
    li.querySelector(".name").textContent = file.name || "photo";
    li.querySelector("progress").setAttribute("aria-label", `Upload of ${file.name || "photo"}`);
    list.insertBefore(li, before);
    return li;
  }

  function setState(li, text, cls, link) {
    const state = li.querySelector(".state");
    state.textContent = text;
    if (link) {
      const a = document.createElement("a");
      a.href = link; a.textContent = " Open";
      state.append(a);
    }
    if (cls) li.classList.add(cls);
  }

  function fail(li, answer) {
    li.querySelector("progress")?.remove();
    setState(li, answer.error ? answer.error.message : `Upload failed (HTTP ${answer.status}).`, "error");
  }

  function uploaded(li, id, duplicate) {
    setState(li, duplicate ? "Already in your photos." : "Uploaded. Processing…");
    li.querySelector("progress")?.removeAttribute("value"); // sent: now an open-ended wait
    waiting.set(id, [...(waiting.get(id) || []), { li, duplicate }]);
    schedulePoll();
  }

  function rowsWaiting() {
    let rows = 0;
    for (const entries of waiting.values()) rows += entries.length;
    return rows;
  }

  function showThumb(li, photo) {
    if (!photo.thumbnail_url) return;
    const img = document.createElement("img");
    img.className = "mini"; img.alt = ""; img.src = photo.thumbnail_url;
    li.querySelector(".mini").replaceWith(img);
  }

  function addFiles(files) {
    const choice = visibility.value;
    const top = list.firstChild;
    for (const file of files) {
      const li = item(file, top);
      if (file.size > maxBytes) {
        li.querySelector("progress").remove();
        setState(li, `Too large: ${(file.size / 1048576).toFixed(1)} MB; the limit is ${(maxBytes / 1048576).toFixed(0)} MB.`, "error");
        continue;
      }
      li.dataset.key = fingerprint(file, choice);
      queue.push([file, li, choice]);
    }
    showResumeNote();
    pump();
  }

  function pump() {
    while (active < PARALLEL && queue.length) {
      const [file, li, choice] = queue.shift();
      active += 1;
      send(file, li, choice).finally(() => { active -= 1; pump(); });
    }
    updateSummary();
  }

  function schedulePoll() {
    if (!pollTimer) pollTimer = setTimeout(poll, 700);
  }

  async function poll() {
    pollTimer = null;
    if (!waiting.size) return;
    const ids = [...waiting.keys()].slice(0, 100).join(",");
    try {
      const response = await fetch(`${photosApi}?mine=true&ids=${ids}&page_size=100`, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) {
        const data = await response.json();
        for (const photo of data.results) {
          const entries = waiting.get(photo.id) || [];
          if (photo.status === "ready" || photo.status === "failed") waiting.delete(photo.id);
          for (const { li, duplicate } of entries) showOutcome(li, duplicate, photo);
        }
      }
    } catch (_) { /* network blip: try again */ }
    updateSummary();
    if (waiting.size) schedulePoll();
  }

  function showOutcome(li, duplicate, photo) {
    if (photo.status === "ready") {
      li.querySelector("progress")?.remove();
      showThumb(li, photo);
      setState(li, duplicate ? "Already in your photos." : "Added.", "done", photo.page_url);
    } else if (photo.status === "failed") {
      li.querySelector("progress")?.remove();
      setState(li, photo.error || "Processing failed.", "error", photo.page_url);
    } else if (!duplicate) {
      setState(li, photo.status === "processing" ? "Processing…" : "Waiting for a worker…");
    }
  }

  function updateSummary() {
    const sending = queue.length + active;
    const busy = sending + rowsWaiting();
    summary.textContent = sending
      ? `${busy} still in progress… Keep this page open until the uploads finish.`
      : busy ? `${busy} still being processed…` : "";
  }

  // Leaving while bytes are still going: the browser asks first (what is stored is kept, and
  // choosing the same files again later continues them).
  window.addEventListener("beforeunload", (e) => {
    if (queue.length + active > 0) { e.preventDefault(); e.returnValue = ""; }
  });

  try {
    const chosen = localStorage.getItem(CHOICE);
    if (chosen && [...visibility.options].some((o) => o.value === chosen)) visibility.value = chosen;
  } catch (_) { /* storage off */ }
  visibility.addEventListener("change", () => {
    try { localStorage.setItem(CHOICE, visibility.value); } catch (_) { /* storage off */ }
  });
  resumeNote.querySelector("button").addEventListener("click", () => discardStopped());
  document.getElementById("resume-hint").hidden = false; // it needs this script
  showResumeNote();

  for (const input of form.querySelectorAll("input[type=file]")) {
    input.addEventListener("change", () => { addFiles([...input.files]); input.value = ""; });
  }
  ["dragenter", "dragover"].forEach((type) => dropzone.addEventListener(type, (e) => {
    e.preventDefault(); dropzone.classList.add("over");
  }));
  ["dragleave", "drop"].forEach((type) => dropzone.addEventListener(type, (e) => {
    e.preventDefault(); dropzone.classList.remove("over");
  }));
  dropzone.addEventListener("drop", (e) => addFiles([...e.dataTransfer.files]));
  form.addEventListener("submit", (e) => e.preventDefault());
})();
