// 到手价计算器 (promotion calculator): adding and removing cart rows. Everything else — samples,
// held coupons, the quote — is rendered by the server (htmx swaps the partials in); without this
// script the form still works with the blank rows the server adds.

function clearRow(row) {
  for (const input of row.querySelectorAll("input")) {
    input.value = input.name === "qty" ? "1" : "";
  }
}

function setUp() {
  const body = document.getElementById("cart-rows");
  if (!body) return;
  for (const el of document.querySelectorAll(".pr-js-only")) el.hidden = false;
  // the server adds spare blank rows for browsers without scripts; here "添加商品" does that job
  const spare = [...body.querySelectorAll("tr[data-spare]")];
  const keep = spare.length === body.rows.length ? 1 : 0;
  for (const row of spare.slice(keep)) row.remove();

  document.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("[data-action]") : null;
    if (!button) return;
    const action = button.getAttribute("data-action");
    if (action === "add-row") {
      const max = Number(button.getAttribute("data-max") || "50");
      if (body.rows.length >= max) {
        button.disabled = true;
        button.textContent = `最多 ${max} 行`;
        return;
      }
      const row = body.rows[body.rows.length - 1].cloneNode(true);
      clearRow(row);
      body.appendChild(row);
      row.querySelector("input")?.focus();
    } else if (action === "remove-row") {
      const row = button.closest("tr");
      if (!row) return;
      if (body.rows.length > 1) row.remove();
      else clearRow(row);
      const add = document.querySelector("[data-action=add-row]");
      if (add) {
        add.disabled = false;
        add.textContent = "＋ 添加商品";
      }
    }
  });
}

setUp();
