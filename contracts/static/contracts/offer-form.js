// "Add another milestone" on the offer form: copies the formset's empty row. Without script the form still
// works with the rows the server rendered.
document.addEventListener("DOMContentLoaded", () => {
  const button = document.querySelector("[data-add-milestone]");
  const template = document.getElementById("milestone-row-template");
  const total = document.getElementById("id_milestones-TOTAL_FORMS");
  const max = document.getElementById("id_milestones-MAX_NUM_FORMS");
  if (!button || !template || !total) return;
  const limit = max ? parseInt(max.value, 10) : Infinity;
  const sync = () => { button.hidden = parseInt(total.value, 10) >= limit; };
  button.addEventListener("click", () => {
    const index = parseInt(total.value, 10);
    if (index >= limit) return;
    const html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
    button.insertAdjacentHTML("beforebegin", html);
    total.value = String(index + 1);
    const added = button.previousElementSibling;
    const first = added && added.querySelector("input");
    if (first) first.focus();
    sync();
  });
  sync();
});
