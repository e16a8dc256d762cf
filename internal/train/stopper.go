package train

// Stopper is early stopping on a score to maximize: an epoch improves when
// its score exceeds the best so far by more than MinDelta; training stops
// after Patience epochs in a row without improvement (Patience 0 never
// stops early). It matches Keras's EarlyStopping(mode="max",
// restore_best_weights=True), and the caller restores the best weights in
// every case, including when the epoch limit ends training.
type Stopper struct {
	Patience  int     `json:"patience"`
	MinDelta  float64 `json:"min_delta"`
	Best      float64 `json:"best"`
	BestEpoch int     `json:"best_epoch"` // 0 before the first epoch
	Bad       int     `json:"bad"`        // epochs since the last improvement
}

// Observe records the score of epoch and reports whether it is the new best
// and whether training should stop.
func (s *Stopper) Observe(epoch int, score float64) (improved, stop bool) {
	if s.BestEpoch == 0 || score > s.Best+s.MinDelta {
		s.Best, s.BestEpoch, s.Bad = score, epoch, 0
		return true, false
	}
	s.Bad++
	return false, s.Patience > 0 && s.Bad >= s.Patience
}
