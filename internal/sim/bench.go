package sim

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"time"
)

// Config sizes a benchmark.
type Config struct {
	// Seed makes the benchmark reproducible.
	Seed uint64
	// PerRow is the number of scenarios per class and band.
	PerRow int
	// Compare is the number of error ×20 scenarios at CompareRPS for the delay ratio.
	Compare int
	// HealthyOnly runs the healthy scenarios alone: a large count measures the rate of
	// false alarms.
	HealthyOnly bool
}

// CompareRPS is the traffic at which the delays of the rule sets are compared.
const CompareRPS = 50

// Result is a whole benchmark.
type Result struct {
	Config Config
	Rows   []Row
	// Compare holds the rows of the delay comparison at CompareRPS, one per rule set.
	Compare []Row
}

// Ratio is the median delay of the seed's rule over deploywatch's at CompareRPS.
func (r Result) Ratio() float64 {
	var dw, seed time.Duration = -1, -1
	for _, row := range r.Compare {
		switch row.RuleSet {
		case Deploywatch().Name:
			dw = row.Delay(0.5)
		case Seed().Name:
			seed = row.Delay(0.5)
		}
	}
	if dw <= 0 || seed <= 0 {
		return math.NaN()
	}
	return seed.Seconds() / dw.Seconds()
}

type job struct {
	row      int // index of the first row of the job's group
	scenario Scenario
	stream   uint64
}

// Bench runs every rule set on the same simulated scenarios.
func Bench(cfg Config, sets ...RuleSet) Result {
	res := Result{Config: cfg}
	var jobs []job
	groups := func(dst *[]Row, class Class, band Band, n int, rps func(r *rand.Rand) float64) {
		first := len(*dst)
		for _, s := range sets {
			*dst = append(*dst, Row{RuleSet: s.Name, Class: class, Band: band})
		}
		for range n {
			stream := uint64(len(jobs))
			r := rand.New(rand.NewPCG(cfg.Seed, 2*stream))
			sc := Scenario{Class: class, RPS: rps(r), Drift: MaxDrift * (2*r.Float64() - 1)}
			if class.Regression() {
				sc.Onset = time.Duration(r.Int64N(int64(Run)))
			}
			jobs = append(jobs, job{first, sc, stream})
		}
	}
	for _, c := range Classes {
		if cfg.HealthyOnly && c.Regression() {
			continue
		}
		for _, b := range Bands {
			groups(&res.Rows, c, b, cfg.PerRow, func(r *rand.Rand) float64 {
				return b.Lo * math.Pow(b.Hi/b.Lo, r.Float64())
			})
		}
	}
	compareFrom := len(jobs)
	groups(&res.Compare, Errors20, Band{"50 req/s", CompareRPS, CompareRPS}, cfg.Compare, func(*rand.Rand) float64 { return CompareRPS })
	judged := run(cfg.Seed, jobs, sets)
	for i, j := range jobs {
		rows := res.Rows
		if i >= compareFrom {
			rows = res.Compare
		}
		for k := range sets {
			rows[j.row+k].add(j.scenario, judged[i], k)
		}
	}
	for _, rows := range [][]Row{res.Rows, res.Compare} {
		for i := range rows {
			slices.Sort(rows[i].Delays)
		}
	}
	return res
}

// judged is what the rule sets concluded on one scenario, with the errors it had after
// its onset.
type judged struct {
	outcomes    []Outcome
	errorsAfter float64
}

// run judges every job with every rule set, in parallel; each job draws from its own
// stream so the result does not depend on scheduling.
func run(seed uint64, jobs []job, sets []RuleSet) []judged {
	out := make([]judged, len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				// Parameters came from stream 2i, traffic comes from 2i+1.
				r := rand.New(rand.NewPCG(seed, 2*jobs[i].stream+1))
				ws := Generate(jobs[i].scenario, r)
				out[i].outcomes = make([]Outcome, len(sets))
				for k, s := range sets {
					out[i].outcomes[k] = s.Judge(ws)
				}
				for _, w := range ws {
					if w.Start+Interval > jobs[i].scenario.Onset {
						out[i].errorsAfter += w.Errors
					}
				}
			}
		})
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}
