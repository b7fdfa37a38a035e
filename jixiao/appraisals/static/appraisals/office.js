// The performance office's pages: the period picker fills in a new cycle's dates and kind,
// and print buttons print the code sheet. CSP-safe: no inline handlers.
document.addEventListener("change", (event) => {
  const el = event.target;
  if (!(el instanceof HTMLSelectElement) || !el.hasAttribute("data-period-picker") || !el.form) {
    return;
  }
  const source = document.getElementById("cycle-periods");
  const periods = source ? JSON.parse(source.textContent || "{}") : {};
  const period = periods[el.value];
  if (!period) {
    return;
  }
  const fields = el.form.elements;
  for (const name of ["start", "end", "kind"]) {
    const field = fields.namedItem(name);
    if (field instanceof HTMLInputElement || field instanceof HTMLSelectElement) {
      field.value = period[name];
    }
  }
});
document.addEventListener("click", (event) => {
  const el = event.target instanceof Element ? event.target.closest("[data-print]") : null;
  if (el) {
    event.preventDefault();
    window.print();
  }
});
