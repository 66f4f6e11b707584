// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  // Sign-up and settings forms learn the browser's time zone so times show in the user's own zone.
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  document.querySelectorAll("input[type=hidden][name=timezone]").forEach((input) => {
    if (!input.value || input.value === "UTC") input.value = zone || "UTC";
  });
  // Radio groups that show or hide a dependent field (data-shows="value:#id").
  document.querySelectorAll("[data-toggle-field]").forEach((group) => {
    const [value, selector] = group.dataset.toggleField.split(":");
    const target = document.querySelector(selector);
    if (!target) return;
    const sync = () => {
      const checked = group.querySelector("input:checked");
      target.hidden = !(checked && checked.value === value);
    };
    group.addEventListener("change", sync);
    sync();
  });
});
