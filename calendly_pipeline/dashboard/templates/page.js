// Sorting and CSV export for the reclaim list; plain DOM so the page needs nothing but itself.
(function () {
  const table = document.getElementById("reclaim-table");
  if (table) {
    const body = table.tBodies[0];
    const headers = Array.from(table.tHead.rows[0].cells);
    const sortBy = (th) => {
      const index = headers.indexOf(th);
      const numeric = th.dataset.type === "number";
      const direction = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
      const sign = direction === "ascending" ? 1 : -1;
      const key = (row) => {
        const raw = row.cells[index].dataset.sort;
        return numeric ? (raw === "" ? -Infinity : Number(raw)) : raw.toLowerCase();
      };
      const rows = Array.from(body.rows);
      rows.sort((a, b) => {
        const ka = key(a), kb = key(b);
        return (ka < kb ? -1 : ka > kb ? 1 : 0) * sign;
      });
      headers.forEach((h) => h.setAttribute("aria-sort", "none"));
      th.setAttribute("aria-sort", direction);
      rows.forEach((row) => body.appendChild(row));
    };
    headers.forEach((th) => {
      th.addEventListener("click", () => sortBy(th));
      th.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(th); } });
    });
  }

  const button = document.getElementById("download-csv");
  if (button) {
    button.addEventListener("click", () => {
      // Written and neutralized against formula injection in Python (render.reclaim_csv).
      const csv = JSON.parse(document.getElementById("reclaim-csv").textContent);
      const link = document.createElement("a");
      link.href = "data:text/csv;charset=utf-8," + encodeURIComponent(csv);
      link.download = "calendly-reclaim-list.csv";
      document.body.appendChild(link);
      link.click();
      link.remove();
    });
  }

  // Fit charts to the paper when printing, and back to the window afterwards.
  const charts = () => Array.from(document.querySelectorAll(".js-plotly-plot"));
  window.addEventListener("beforeprint", () => charts().forEach((el) => Plotly.relayout(el, { width: 680 })));
  window.addEventListener("afterprint", () => charts().forEach((el) => Plotly.relayout(el, { width: null, autosize: true })));
})();
