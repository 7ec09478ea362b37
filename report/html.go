package report

import (
	"bytes"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
)

//go:embed templates
var templateFS embed.FS

// templateFuncs are the number formatters templates use.
func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"ms":    fmtMs,
		"usd":   fmtUSD,
		"pct":   fmtPct,
		"vol":   fmtVolume,
		"rate":  fmtRate,
		"int":   func(v int64) string { return fmtInt(v) },
		"count": fmtCount,
	}
}

// fmtCount formats a count that may be unknown (nil): "unknown", not 0.
func fmtCount(v *int64) string {
	if v == nil {
		return "unknown"
	}
	return fmtInt(*v)
}

// chartImage is a chart rendered for inlining into HTML.
type chartImage struct {
	Name, Title, Caption string
	// DataURI is the SVG as a base64 data: URI. An SVG loaded through <img>
	// runs no script, so the figure is inert whatever text it holds.
	DataURI       template.URL
	Width, Height int
	// Table is shown under the chart, when set.
	Table *ChartTable
}

// htmlData is the template data of report.html.
type htmlData struct {
	*Model
	CSS         template.CSS
	Script      template.JS
	ChartImages []chartImage
}

// WriteHTML writes report.html: one self-contained page (no CDN; readable
// without JavaScript, a small inline script only makes tables sortable),
// charts inlined as SVG data URIs, light and dark colour schemes and a print
// style sheet.
func WriteHTML(w io.Writer, m *Model) error {
	css, js, err := readAssets()
	if err != nil {
		return err
	}
	d := htmlData{Model: m, CSS: css, Script: js}
	for _, c := range m.Charts {
		img, err := inlineChart(c)
		if err != nil {
			return err
		}
		d.ChartImages = append(d.ChartImages, img)
	}
	return writePage(w, "report.html.tmpl", templateFuncs(), d, "html")
}

// writePage renders templates/<name> with funcs and data into a buffer and
// writes the page to w; what names the page in errors ("html").
func writePage(w io.Writer, name string, funcs template.FuncMap, data any, what string) error {
	t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/"+name)
	if err != nil {
		return fmt.Errorf("parse %s template: %w", what, err)
	}
	var out bytes.Buffer
	if err := t.Execute(&out, data); err != nil {
		return fmt.Errorf("render %s: %w", what, err)
	}
	if _, err := out.WriteTo(w); err != nil {
		return fmt.Errorf("write %s: %w", what, err)
	}
	return nil
}

// readAssets returns the shared style sheet and the table-sorting script.
func readAssets() (template.CSS, template.JS, error) {
	css, err := templateFS.ReadFile("templates/report.css")
	if err != nil {
		return "", "", fmt.Errorf("read css: %w", err)
	}
	js, err := templateFS.ReadFile("templates/sort.js")
	if err != nil {
		return "", "", fmt.Errorf("read script: %w", err)
	}
	return template.CSS(css), template.JS(js), nil
}

// inlineChart renders c as an SVG data URI for an <img>.
func inlineChart(c *Chart) (chartImage, error) {
	var buf bytes.Buffer
	if err := c.WriteSVG(&buf); err != nil {
		return chartImage{}, fmt.Errorf("render html: %w", err)
	}
	return chartImage{
		Name: c.Name, Title: c.Title, Caption: c.Caption,
		DataURI: template.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())),
		Width:   int(c.Width.Dots(96)), Height: int(c.Height.Dots(96)),
		Table: c.Table,
	}, nil
}
