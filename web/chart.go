package web

import (
	"strconv"

	"github.com/accord-coop/accord/policies"
)

// chart is a stacked bar chart drawn as SVG on the server: one bar per
// period, one segment per series (a co-op, a fact kind). The same figures
// are in a table beside it.
type chart struct {
	ID            string // the id of its <title>, for aria-labelledby
	Title         string
	Width, Height int
	Bars          []bar
	Legend        []legendItem
	Ticks         []tick
	PlotLeft      float64
	PlotBottom    float64
	PlotRight     float64
	Empty         bool // nothing to draw: no period has credit
}

// bar is one period's bar.
type bar struct {
	Label    string
	X, W     float64
	LabelX   float64
	Segments []segment
}

// segment is one series' part of a bar.
type segment struct {
	Y, H  float64
	Class string // s0 … s7: its colour, from the stylesheet
	Title string // what a pointer over it shows
}

// legendItem names a series.
type legendItem struct {
	Name  string
	Class string
}

// tick is a line across the plot with its value.
type tick struct {
	Y     float64
	Label string
}

const seriesClasses = 8

// stacked draws values[bar][series] (milli-credits; negative parts are
// left out of the drawing, not of the tables) as stacked bars.
func stacked(id, title string, bars, series []string, values [][]int64) chart {
	c := chart{ID: id, Title: title, Width: 640, Height: 260, PlotLeft: 56, PlotRight: 632, PlotBottom: 220}
	const top = 12.0
	for i, s := range series {
		c.Legend = append(c.Legend, legendItem{Name: s, Class: "s" + strconv.Itoa(i%seriesClasses)})
	}
	var most int64
	for _, row := range values {
		var sum int64
		for _, v := range row {
			sum += max(v, 0)
		}
		most = max(most, sum)
	}
	if most == 0 || len(bars) == 0 {
		c.Empty = true
		return c
	}
	step := niceStep(most)
	axis := (most + step - 1) / step * step // the axis ends at a tick
	plotH := c.PlotBottom - top
	for v := int64(0); v <= axis; v += step {
		c.Ticks = append(c.Ticks, tick{Y: c.PlotBottom - plotH*float64(v)/float64(axis), Label: policies.Milli(v).String()})
	}
	most = axis
	slot := (c.PlotRight - c.PlotLeft) / float64(len(bars))
	w := min(slot*0.7, 64)
	for i, label := range bars {
		x := c.PlotLeft + slot*float64(i) + (slot-w)/2
		b := bar{Label: label, X: x, W: w, LabelX: x + w/2}
		y := c.PlotBottom
		for j, v := range values[i] {
			if v <= 0 {
				continue
			}
			h := plotH * float64(v) / float64(most)
			y -= h
			b.Segments = append(b.Segments, segment{Y: y, H: h, Class: "s" + strconv.Itoa(j%seriesClasses),
				Title: label + ", " + series[j] + ": " + policies.Milli(v).String() + " credits"})
		}
		c.Bars = append(c.Bars, b)
	}
	return c
}

// niceStep is the step between ticks for an axis up to most
// milli-credits: 1, 2 or 5 times a power of ten, for at most 5 steps.
func niceStep(most int64) int64 {
	for p := int64(1); ; p *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if step := m * p; most <= 5*step {
				return step
			}
		}
	}
}
