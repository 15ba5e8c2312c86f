// Audit report: a card image that fails to load shows a note instead of a broken icon
// (the report itself lists the failing image as a finding; this only tidies the preview).
document.addEventListener(
  "error",
  (event) => {
    const img = event.target;
    if (!(img instanceof HTMLImageElement) || !img.closest(".audit-cards")) return;
    const box = img.parentElement;
    img.remove();
    if (box) {
      box.classList.add("broken");
      box.textContent = "image did not load";
    }
  },
  true,
);
