// Package csvorders is the distributed Map example: statemachine.asl.json
// reads orders.csv from object storage (an ItemReader), prices every row in
// a child execution of its own (a Map Run), tolerates the two bad rows,
// writes the children's results back to the bucket (a ResultWriter) and
// totals the priced orders. Price and Summarize are the pricing logic, pure
// functions; Register serves them as the workers price-order and
// summarize-orders, and ./worker runs them as a program.
//
// It imports the workers SDK and nothing else of Stepwise.
package csvorders

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/stepwise-dev/stepwise/workers"
)

// Definition is the state machine (statemachine.asl.json).
//
//go:embed statemachine.asl.json
var Definition string

// Row is one line of orders.csv as the ItemReader reads it: every cell is a
// string, keyed by the header line.
type Row struct {
	ID        string `json:"id"`
	Customer  string `json:"customer"`
	SKU       string `json:"sku"`
	Quantity  string `json:"quantity"`
	UnitPrice string `json:"unit_price"`
}

// Item is price-order's input, as the Map's ItemSelector shapes it: the row
// and its line number in the file (the header is line 1).
type Item struct {
	Line  int `json:"line"`
	Order Row `json:"order"`
}

// Priced is price-order's result, the output of a child execution.
// Amounts are decimal strings; TotalCents is the total in cents, for sums.
type Priced struct {
	ID         string `json:"id"`
	Customer   string `json:"customer"`
	SKU        string `json:"sku"`
	Quantity   int64  `json:"quantity"`
	Subtotal   string `json:"subtotal"`
	Discount   string `json:"discount"`
	Tax        string `json:"tax"`
	Total      string `json:"total"`
	TotalCents int64  `json:"totalCents"`
}

// The ASL errors of price-order, for the child's Retry and Catch (the
// example has none: a bad row fails its child, and the Map tolerates it).
const (
	ErrInvalidOrder = "InvalidOrder" // a quantity or price that is not a positive number
	ErrUnknownSKU   = "UnknownSku"   // a SKU the catalogue does not sell
)

// Catalogue is what the shop sells: each SKU with its VAT rate in basis
// points (books at 5.5%, the rest at 20%).
var Catalogue = map[string]int64{
	"BOOK-001":  550,
	"BOOK-002":  550,
	"PEN-010":   2000,
	"MUG-100":   2000,
	"LAMP-020":  2000,
	"DESK-300":  2000,
	"CHAIR-400": 2000,
}

// BulkQuantity is the quantity from which a line gets BulkDiscount (in
// basis points) off its subtotal.
const (
	BulkQuantity = 10
	BulkDiscount = 1000
)

// Price prices one order line: subtotal = quantity × unit price, 10% off
// from BulkQuantity units, then the SKU's VAT on what remains; amounts are
// rounded half up to the cent. A line that cannot be priced is a
// workers.Fail error named ErrInvalidOrder or ErrUnknownSKU.
func Price(in Item) (Priced, error) {
	o := in.Order
	vat, ok := Catalogue[o.SKU]
	if !ok {
		return Priced{}, workers.Fail(ErrUnknownSKU, fmt.Sprintf("line %d: order %s: unknown sku %q", in.Line, o.ID, o.SKU))
	}
	qty, err := strconv.ParseInt(strings.TrimSpace(o.Quantity), 10, 64)
	if err != nil || qty <= 0 || qty > 1_000_000 {
		return Priced{}, workers.Fail(ErrInvalidOrder, fmt.Sprintf("line %d: order %s: quantity %q is not a whole number from 1 to 1000000", in.Line, o.ID, o.Quantity))
	}
	unit, err := parseCents(o.UnitPrice)
	if err != nil || unit <= 0 {
		return Priced{}, workers.Fail(ErrInvalidOrder, fmt.Sprintf("line %d: order %s: unit price %q is not a positive amount", in.Line, o.ID, o.UnitPrice))
	}
	subtotal := qty * unit
	var discount int64
	if qty >= BulkQuantity {
		discount = basisPoints(subtotal, BulkDiscount)
	}
	tax := basisPoints(subtotal-discount, vat)
	total := subtotal - discount + tax
	return Priced{ID: o.ID, Customer: o.Customer, SKU: o.SKU, Quantity: qty,
		Subtotal: formatCents(subtotal), Discount: formatCents(discount), Tax: formatCents(tax),
		Total: formatCents(total), TotalCents: total}, nil
}

// parseCents reads a decimal amount with at most two decimals ("12.5",
// "12.50", "12") as cents, up to a million.
func parseCents(s string) (int64, error) {
	s = strings.TrimSpace(s)
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || strings.HasPrefix(whole, "-") || strings.HasPrefix(whole, "+") {
		return 0, fmt.Errorf("amount %q", s)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > 1_000_000 {
		return 0, fmt.Errorf("amount %q", s)
	}
	var f int64
	if frac != "" {
		if f, err = strconv.ParseInt(frac+strings.Repeat("0", 2-len(frac)), 10, 64); err != nil || strings.ContainsAny(frac, "+-") {
			return 0, fmt.Errorf("amount %q", s)
		}
	}
	return w*100 + f, nil
}

// basisPoints is cents × bp / 10000, rounded half up.
func basisPoints(cents, bp int64) int64 {
	return (cents*bp + 5000) / 10000
}

// formatCents writes cents as a decimal amount: 1250 is "12.50".
func formatCents(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

// ChildResult is one entry of a ResultWriter's SUCCEEDED file: a child
// execution, its output as JSON text.
type ChildResult struct {
	ExecutionArn string
	Status       string
	Output       string
}

// Results is summarize-orders' input: the Map Run, where its results are,
// and the entries of its SUCCEEDED file.
type Results struct {
	MapRunArn string        `json:"mapRunArn"`
	Manifest  string        `json:"manifest"`
	Succeeded []ChildResult `json:"succeeded"`
}

// Summary is summarize-orders' result, the execution's output.
type Summary struct {
	MapRunArn  string            `json:"mapRunArn"`
	Manifest   string            `json:"manifest"`
	Orders     int               `json:"orders"`
	Revenue    string            `json:"revenue"`
	ByCustomer map[string]string `json:"byCustomer"`
	Largest    string            `json:"largest"` // the id of the order with the largest total
}

// Summarize totals the priced orders of a Map Run's SUCCEEDED file.
func Summarize(in Results) (Summary, error) {
	s := Summary{MapRunArn: in.MapRunArn, Manifest: in.Manifest, ByCustomer: map[string]string{}}
	var revenue, largest int64
	byCustomer := map[string]int64{}
	for _, r := range in.Succeeded {
		var p Priced
		if err := json.Unmarshal([]byte(r.Output), &p); err != nil {
			return Summary{}, workers.Fail("BadResult", fmt.Sprintf("%s: output %q: %v", r.ExecutionArn, r.Output, err))
		}
		s.Orders++
		revenue += p.TotalCents
		byCustomer[p.Customer] += p.TotalCents
		if p.TotalCents > largest || s.Largest == "" {
			largest, s.Largest = p.TotalCents, p.ID
		}
	}
	for c, cents := range byCustomer {
		s.ByCustomer[c] = formatCents(cents)
	}
	s.Revenue = formatCents(revenue)
	return s, nil
}

// Register adds price-order and summarize-orders to w.
func Register(w *workers.Worker) {
	workers.HandleFunc(w, "price-order", func(_ context.Context, in Item) (Priced, error) { return Price(in) })
	workers.HandleFunc(w, "summarize-orders", func(_ context.Context, in Results) (Summary, error) { return Summarize(in) })
}
