// Collect a card with Stripe.js (SetupIntent, for later off-session charges), then post its payment method id.
// The card number never reaches our server.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("stripe-card-form");
  if (!form || typeof Stripe === "undefined") return;
  const stripe = Stripe(form.dataset.publishableKey);
  const card = stripe.elements().create("card");
  card.mount("#card-element");
  const errors = document.getElementById("card-errors");
  form.addEventListener("submit", async (event) => {
    if (form.elements.payment_method.value) return;
    event.preventDefault();
    const result = await stripe.confirmCardSetup(form.dataset.clientSecret, { payment_method: { card } });
    if (result.error) {
      errors.textContent = result.error.message;
      return;
    }
    form.elements.payment_method.value = result.setupIntent.payment_method;
    form.submit();
  });
});
