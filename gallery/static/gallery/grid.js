// Gallery timeline: load older photos as the reader nears the end (keyset pages of HTML), with
// a plain "Older photos" link as the fallback when scripts or the network fail.
(() => {
  "use strict";
  const timeline = document.getElementById("timeline");
  if (!timeline) return;
  let loading = false;

  async function loadMore(more) {
    if (loading) return;
    loading = true;
    observer?.unobserve(more);
    const link = more.querySelector("a");
    link.textContent = "Loading…";
    try {
      const url = new URL(more.dataset.next, location.href);
      url.searchParams.set("fragment", "1");
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (!response.ok) throw new Error(String(response.status));
      const template = document.createElement("template");
      template.innerHTML = await response.text();
      const incoming = template.content;
      // A month that continues from the previous page joins the grid already shown, and a
      // day that continues loses its repeated heading.
      const first = incoming.querySelector(".month-section");
      const months = timeline.querySelectorAll(".month-section");
      const last = months[months.length - 1];
      if (first && last && first.dataset.month === last.dataset.month) {
        const grid = last.querySelector(".jgrid");
        const added = [...first.querySelector(".jgrid").children];
        if (added[0]?.classList.contains("day-title")
            && added[0].dataset.day === window.Focal.lastDay(grid)) added.shift();
        first.remove();
        window.Focal.extend(grid, added);
      }
      const fresh = [...incoming.querySelectorAll(".jgrid")];
      more.replaceWith(incoming);
      for (const grid of fresh) window.Focal.extend(grid, []);
      watch();
    } catch (_) {
      link.textContent = "Could not load more photos. Try again";
    } finally {
      loading = false;
    }
  }

  const observer = "IntersectionObserver" in window
    ? new IntersectionObserver((entries) => {
        for (const entry of entries) if (entry.isIntersecting) loadMore(entry.target);
      }, { rootMargin: "1200px 0px" })
    : null;

  function watch() {
    const more = timeline.querySelector(".timeline-more[data-next]");
    if (!more) return;
    more.querySelector("a").addEventListener("click", (event) => { event.preventDefault(); loadMore(more); });
    observer?.observe(more);
  }
  watch();
})();
