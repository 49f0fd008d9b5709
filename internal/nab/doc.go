// Package nab reads series in the format of the Numenta Anomaly Benchmark (NAB) and scores
// a detector's output exactly as NAB does, so deploywatch's anomaly detector is measured on
// real labelled production metrics with the benchmark's own rules.
//
// The format: a CSV file `timestamp,value` per series, and two JSON files mapping each
// series' relative path to its labelled anomalies (combined_labels.json) and to the
// scoring windows around them (combined_windows.json). See
// https://github.com/numenta/NAB (MIT licence) and its wiki page "NAB Scoring".
//
// The scoring follows NAB's source, not only its documentation: nab/sweeper.py
// (calcSweepScore, calcScoreByThreshold, scoreDataSet), nab/optimizer.py (one threshold
// for the whole corpus), nab/runner.py (normalisation) and config/profiles.json. Each rule
// names where it comes from where it is implemented (sweep.go).
//
// The API, in short: ReadSeries and LoadCorpus read the data; Detect streams a series
// through a detector and writes `timestamp,value,anomaly_score` (the `deploywatch detect`
// format, which is also NAB's results format); Sweep finds the corpus-wide threshold with
// the best score for a Profile and ScoreAt scores at a given threshold.
package nab
