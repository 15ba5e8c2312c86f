// Calendar: drag a post to another day to move it there (same local time), through the
// API's reschedule with the session's CSRF token. The Move form under each post does the
// same without a mouse or without JavaScript.
(() => {
  function csrf() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || "";
    } catch (e) {
      return "";
    }
  }

  function say(text, bad) {
    const status = document.getElementById("cal-status");
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("error", !!bad);
  }

  async function move(postId, when) {
    say("Moving post " + postId + "…", false);
    const response = await fetch("/api/v1/posts/" + postId + "/reschedule", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify({ when: when }),
    });
    if (response.ok) {
      say("Post " + postId + " moved to " + when + ".", false);
      window.location.reload();
      return;
    }
    let detail = response.statusText;
    try { detail = (await response.json()).detail || detail; } catch (e) { /* not JSON */ }
    say("Not moved: " + detail, true);
  }

  document.addEventListener("dragstart", (event) => {
    const item = event.target.closest && event.target.closest(".cal-item[draggable=true]");
    if (!item) return;
    const from = item.closest(".cal-day");
    const origin = from ? from.dataset.date : "";
    event.dataTransfer.setData("text/plain", [item.dataset.post, item.dataset.time, origin].join(" "));
    event.dataTransfer.effectAllowed = "move";
    item.classList.add("dragging");
  });

  document.addEventListener("dragend", (event) => {
    const item = event.target.closest && event.target.closest(".cal-item");
    if (item) item.classList.remove("dragging");
  });

  document.addEventListener("dragover", (event) => {
    const day = event.target.closest && event.target.closest(".cal-day");
    if (!day) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    day.classList.add("drop-target");
  });

  document.addEventListener("dragleave", (event) => {
    const day = event.target.closest && event.target.closest(".cal-day");
    if (day && !day.contains(event.relatedTarget)) day.classList.remove("drop-target");
  });

  document.addEventListener("drop", (event) => {
    const day = event.target.closest && event.target.closest(".cal-day");
    if (!day) return;
    event.preventDefault();
    day.classList.remove("drop-target");
    const [postId, time, origin] = (event.dataTransfer.getData("text/plain") || "").split(" ");
    if (!postId || !time) return;
    // An hour slot of the week grid moves to that hour (same minutes); a day keeps the time.
    const at = day.dataset.hour ? day.dataset.hour + time.slice(2) : time;
    if (origin === day.dataset.date && at === time) return;
    move(postId, day.dataset.date + " " + at);
  });

  // The week grid opens at its first scheduled hour (08:00 when the week is empty).
  const grid = document.querySelector(".cal-scroll[data-first-hour]");
  if (grid) {
    const hour = String(grid.dataset.firstHour).padStart(2, "0");
    const row = document.getElementById("hour-" + hour);
    const head = grid.querySelector("thead");
    if (row) grid.scrollTop = row.offsetTop - (head ? head.offsetHeight : 0);
  }
})();
