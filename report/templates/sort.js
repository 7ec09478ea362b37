// Sortable tables (progressive enhancement: the page reads the same without
// it). Click a header, or focus it and press Enter, to sort by that column;
// again to reverse. Numbers sort as numbers ("1,234", "$0.12", "+5.0%",
// "34.9M"), cells without one ("–") last, text with numeric-aware order.
(function () {
  "use strict";
  var mult = { k: 1e3, M: 1e6, B: 1e9 };
  function key(cell) {
    var s = cell.textContent.trim();
    var m = s.replace(/[,$\s]/g, "").match(/^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)([kMB])?(?![A-Za-z])/);
    if (s === "∞") return { n: Infinity, s: s };
    return { n: m ? parseFloat(m[1]) * (m[2] ? mult[m[2]] : 1) : null, s: s };
  }
  function cmp(a, b) {
    if (a.n !== null && b.n !== null) return a.n - b.n;
    if (a.n !== null) return -1;
    if (b.n !== null) return 1;
    return a.s.localeCompare(b.s, undefined, { numeric: true });
  }
  function sortable(table) {
    var head = table.tHead && table.tHead.rows[0], body = table.tBodies[0];
    if (!head || !body || body.rows.length < 2 || table.classList.contains("kv")) return false;
    for (var i = 0; i < body.rows.length; i++) {
      var r = body.rows[i];
      if (r.cells.length !== head.cells.length) return false;
      for (var j = 0; j < r.cells.length; j++) if (r.cells[j].colSpan > 1) return false;
    }
    return true;
  }
  function sortBy(table, th, col) {
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    var ths = table.tHead.rows[0].cells;
    for (var i = 0; i < ths.length; i++) ths[i].removeAttribute("aria-sort");
    th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows).map(function (r, i) {
      return { r: r, k: key(r.cells[col]), i: i };
    });
    rows.sort(function (a, b) {
      var aMissing = a.k.n === null && a.k.s === "–", bMissing = b.k.n === null && b.k.s === "–";
      if (aMissing !== bMissing) return aMissing ? 1 : -1;
      return dir * cmp(a.k, b.k) || a.i - b.i;
    });
    rows.forEach(function (x) { body.appendChild(x.r); });
  }
  var tables = document.querySelectorAll("table");
  for (var t = 0; t < tables.length; t++) {
    var table = tables[t];
    if (!sortable(table)) continue;
    table.classList.add("sortable");
    var ths = table.tHead.rows[0].cells;
    for (var c = 0; c < ths.length; c++) {
      (function (table, th, col) {
        th.tabIndex = 0;
        th.title = "sort by this column";
        th.addEventListener("click", function () { sortBy(table, th, col); });
        th.addEventListener("keydown", function (e) {
          if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(table, th, col); }
        });
      })(table, ths[c], c);
    }
  }
})();
