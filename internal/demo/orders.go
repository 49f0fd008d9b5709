package demo

import (
	"fmt"
	"net/http"
	"time"
)

// Error rates of the orders API: the healthy background noise, and the share of requests
// that cannot get a database connection when the pool is exhausted.
const (
	baseErrorRate     = 0.001
	poolExhaustedRate = 0.5
)

// order is one order of the demo API.
type order struct {
	ID         string `json:"id"`
	Status     string `json:"status"`
	Customer   string `json:"customer"`
	Items      int    `json:"items"`
	TotalCents int    `json:"total_cents"`
	Currency   string `json:"currency"`
	CreatedAt  string `json:"created_at"`
}

// orderList is the answer of GET /api/v1/orders.
type orderList struct {
	Orders     []order `json:"orders"`
	NextCursor string  `json:"next_cursor"`
}

var (
	orderStatuses = []string{"paid", "paid", "paid", "shipped", "shipped", "pending", "refunded"}
	customers     = []string{"cus_7Hk2", "cus_Q9a1", "cus_Lm3x", "cus_0PzR", "cus_Tt58", "cus_bW4e"}
)

// respondOrders answers the orders API, failing as often as fault f makes it.
func (s *Service) respondOrders(w http.ResponseWriter, rt route, f Fault) {
	switch {
	case f == FaultReadiness && s.chance(poolExhaustedRate):
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Error: "database: connection pool exhausted"})
		return
	case f == FaultErrors && s.chance(s.errorRateNow()):
		writeJSON(w, http.StatusInternalServerError, errorBody{Error: "payment gateway: unexpected response"})
		return
	case s.chance(baseErrorRate):
		writeJSON(w, http.StatusInternalServerError, errorBody{Error: "internal server error"})
		return
	}
	now := time.Now()
	if rt == routeCreateOrder {
		o := s.newOrder(now, 0)
		o.Status = "pending"
		writeJSON(w, http.StatusCreated, o)
		return
	}
	list := orderList{Orders: make([]order, 3+s.intn(8))}
	for i := range list.Orders {
		list.Orders[i] = s.newOrder(now, time.Duration(i*7+s.intn(7))*time.Minute)
	}
	list.NextCursor = fmt.Sprintf("c_%08x", s.intn(1<<31))
	writeJSON(w, http.StatusOK, list)
}

// newOrder makes a plausible order created age ago.
func (s *Service) newOrder(now time.Time, age time.Duration) order {
	return order{
		ID:         fmt.Sprintf("ord_%09d", s.intn(1e9)),
		Status:     orderStatuses[s.intn(len(orderStatuses))],
		Customer:   customers[s.intn(len(customers))],
		Items:      1 + s.intn(5),
		TotalCents: 499 + s.intn(25000),
		Currency:   "EUR",
		CreatedAt:  now.Add(-age).UTC().Format(time.RFC3339),
	}
}

// errorRateNow is the share of orders requests FaultErrors fails.
func (s *Service) errorRateNow() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.errorRate
}
