package sim

import (
	"math"
	"math/rand/v2"
)

// poisson draws from a Poisson distribution of the given mean: by multiplication of
// uniforms for small means, by Hörmann's transformed rejection (PTRS, as in NumPy) above.
func poisson(r *rand.Rand, mean float64) float64 {
	switch {
	case !(mean > 0):
		return 0
	case mean < 10:
		limit, prod, k := math.Exp(-mean), r.Float64(), 0.0
		for prod > limit {
			prod *= r.Float64()
			k++
		}
		return k
	}
	slam, loglam := math.Sqrt(mean), math.Log(mean)
	b := 0.931 + 2.53*slam
	a := -0.059 + 0.02483*b
	invalpha := 1.1239 + 1.1328/(b-3.4)
	vr := 0.9277 - 3.6224/(b-2)
	for {
		u := r.Float64() - 0.5
		v := r.Float64()
		us := 0.5 - math.Abs(u)
		k := math.Floor((2*a/us+b)*u + mean + 0.43)
		if us >= 0.07 && v <= vr {
			return k
		}
		if k < 0 || (us < 0.013 && v > us) {
			continue
		}
		lg, _ := math.Lgamma(k + 1)
		if math.Log(v)+math.Log(invalpha)-math.Log(a/(us*us)+b) <= -mean+k*loglam-lg {
			return k
		}
	}
}

// binomial draws the successes of n trials of probability p by summing geometric gaps
// between successes: exact, and as fast as n·p is small.
func binomial(r *rand.Rand, n, p float64) float64 {
	if !(n > 0) || !(p > 0) {
		return 0
	}
	if p >= 1 {
		return n
	}
	logq := math.Log1p(-p)
	k, pos := 0.0, 0.0
	for {
		pos += math.Floor(math.Log(1-r.Float64())/logq) + 1
		if pos > n {
			return k
		}
		k++
	}
}

// gammaMean1 draws from a Gamma distribution of mean 1 and coefficient of variation cv
// (Marsaglia and Tsang's method; the shape 1/cv² is above 1 for any cv below 1).
func gammaMean1(r *rand.Rand, cv float64) float64 {
	if !(cv > 0) {
		return 1
	}
	shape := 1 / (cv * cv)
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v / shape
		}
	}
}
