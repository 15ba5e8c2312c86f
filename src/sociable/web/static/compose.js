// Composer: tabs over the per-account panels (all panels show without JavaScript).
(() => {
  let selected = null;

  function show(root, id, focus) {
    const tabs = root.querySelectorAll('[role="tab"]');
    if (!tabs.length) return;
    if (!Array.from(tabs).some((t) => t.dataset.tab === id)) id = tabs[0].dataset.tab;
    selected = id;
    tabs.forEach((tab) => {
      const on = tab.dataset.tab === id;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
      if (on && focus) tab.focus();
    });
    root.querySelectorAll('[role="tabpanel"]').forEach((panel) => {
      panel.hidden = panel.dataset.panel !== id;
    });
  }

  function init() {
    const live = document.getElementById("live");
    if (!live) return;
    document.querySelectorAll(".js-hide").forEach((el) => { el.hidden = true; });
    show(live, selected, false);
  }

  document.addEventListener("click", (event) => {
    const pick = event.target.closest(".suggest-time");
    if (pick) {
      const when = document.getElementById("when");
      if (when) { when.value = pick.dataset.when; event.preventDefault(); }
      return;
    }
    const tab = event.target.closest('#live [role="tab"]');
    if (tab) show(document.getElementById("live"), tab.dataset.tab, true);
  });

  document.addEventListener("keydown", (event) => {
    const tab = event.target.closest && event.target.closest('#live [role="tab"]');
    if (!tab || !["ArrowLeft", "ArrowRight", "Home", "End"].includes(event.key)) return;
    const tabs = Array.from(document.querySelectorAll('#live [role="tab"]'));
    let i = tabs.indexOf(tab);
    if (event.key === "ArrowRight") i = (i + 1) % tabs.length;
    else if (event.key === "ArrowLeft") i = (i - 1 + tabs.length) % tabs.length;
    else if (event.key === "Home") i = 0;
    else i = tabs.length - 1;
    show(document.getElementById("live"), tabs[i].dataset.tab, true);
    event.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:afterSwap", init);
})();
