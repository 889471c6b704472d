// Upload page: each file goes to the JSON API on its own request, so every file gets a
// progress bar and its own outcome; then thumbnails appear as the worker finishes them.
(() => {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form) return;
  const api = form.dataset.api;
  const maxBytes = Number(form.dataset.maxBytes);
  const list = document.getElementById("upload-list");
  const summary = document.getElementById("upload-summary");
  const dropzone = document.getElementById("dropzone");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const PARALLEL = 3;
  const queue = [];
  const waiting = new Map(); // photo id -> list item, until processing ends
  let active = 0;
  let pollTimer = null;

  function item(file) {
    const li = document.createElement("li");
    li.className = "upload-item";
    li.innerHTML = '<span class="mini"></span><div><div class="name"></div>' +
      '<progress max="100" value="0"></progress><div class="state">Waiting…</div></div>';
    li.querySelector(".name").textContent = file.name || "photo";
    list.prepend(li);
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

  function showThumb(li, photo) {
    if (!photo.thumbnail_url) return;
    const img = document.createElement("img");
    img.className = "mini"; img.alt = ""; img.src = photo.thumbnail_url;
    li.querySelector(".mini").replaceWith(img);
  }

  function addFiles(files) {
    for (const file of files) {
      const li = item(file);
      if (file.size > maxBytes) {
        li.querySelector("progress").remove();
        setState(li, `Too large: ${(file.size / 1048576).toFixed(1)} MB; the limit is ${(maxBytes / 1048576).toFixed(0)} MB.`, "error");
        continue;
      }
      queue.push([file, li]);
    }
    pump();
  }

  function pump() {
    while (active < PARALLEL && queue.length) {
      const [file, li] = queue.shift();
      active += 1;
      send(file, li).finally(() => { active -= 1; pump(); });
    }
    updateSummary();
  }

  function send(file, li) {
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      const bar = li.querySelector("progress");
      const body = new FormData();
      body.append("image", file);
      body.append("visibility", document.getElementById("visibility").value);
      xhr.open("POST", api);
      xhr.setRequestHeader("X-CSRFToken", csrf);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) bar.value = Math.round((100 * e.loaded) / e.total);
        setState(li, `Uploading… ${bar.value}%`);
      };
      xhr.onload = () => {
        let data = null;
        try { data = JSON.parse(xhr.responseText); } catch (_) { /* not JSON */ }
        bar.value = 100;
        if (xhr.status === 201 && data) {
          setState(li, "Uploaded. Processing…");
          waiting.set(data.id, li);
          schedulePoll();
        } else if (xhr.status === 200 && data && data.duplicate) {
          bar.remove();
          showThumb(li, data);
          setState(li, "Already in your gallery.", "done", data.page_url);
        } else {
          bar.remove();
          const message = data && data.error ? data.error.message : `Upload failed (HTTP ${xhr.status}).`;
          setState(li, message, "error");
        }
        resolve();
      };
      xhr.onerror = () => {
        bar.remove();
        setState(li, "The connection failed; check the file size and try again.", "error");
        resolve();
      };
      xhr.send(body);
    });
  }

  function schedulePoll() {
    if (!pollTimer) pollTimer = setTimeout(poll, 700);
  }

  async function poll() {
    pollTimer = null;
    if (!waiting.size) return;
    const ids = [...waiting.keys()].slice(0, 100).join(",");
    try {
      const response = await fetch(`${api}?mine=true&ids=${ids}&page_size=100`, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) {
        const data = await response.json();
        for (const photo of data.results) {
          const li = waiting.get(photo.id);
          if (!li) continue;
          if (photo.status === "ready") {
            waiting.delete(photo.id);
            li.querySelector("progress")?.remove();
            showThumb(li, photo);
            setState(li, "Added.", "done", photo.page_url);
          } else if (photo.status === "failed") {
            waiting.delete(photo.id);
            li.querySelector("progress")?.remove();
            setState(li, photo.error || "Processing failed.", "error", photo.page_url);
          } else {
            setState(li, photo.status === "processing" ? "Processing…" : "Waiting for a worker…");
          }
        }
      }
    } catch (_) { /* network blip: try again */ }
    updateSummary();
    if (waiting.size) schedulePoll();
  }

  function updateSummary() {
    const busy = queue.length + active + waiting.size;
    summary.textContent = busy ? `${busy} still in progress…` : "";
  }

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
