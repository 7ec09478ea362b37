// Package report renders a benchctl run directory into the documents people
// take into a capacity-planning review: a self-contained HTML page
// (report.html), a Markdown page (report.md) with PNG charts beside it, the
// machine summary (summary.json), and the charts alone as PNG (192 DPI, 2×)
// or SVG files. It also compares two runs (Compare), with a verdict per
// target, as text, Markdown, JSON or a self-contained compare.html with the
// two runs' latency CDFs overlaid (WriteComparison).
//
// The package reads runs through the results package, prices through the
// pricing package, and never measures anything itself. Records are streamed
// once from results.jsonl; everything kept in memory is bounded: latency
// histograms (HDR, 3 significant digits), per-second rate bins, and scatter
// points decimated to at most DefaultMaxScatterPoints per target (the charts
// say "1 in N shown").
//
// Formats are registered by name in one registry (see Formats); each writes
// to an io.Writer. Charts whose data is absent from a run are skipped with a
// note in the report rather than drawn empty.
package report
